"""Meetings, series, attendance and decisions: the rules and the bad input."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from desk.models import Agency, Region
from meetings import services
from meetings.models import Decision, Meeting, Series

WITA = zoneinfo.ZoneInfo("Asia/Makassar")


def wita(*args):
    return datetime.datetime(*args, tzinfo=WITA)


def series_kwargs(kaltim, **extra):
    fields = {
        "user": None,
        "region": kaltim,
        "title": "Rapat mingguan desk",
        "kind": "rakor_mingguan",
        "weekday": 0,
        "start_time": datetime.time(9, 0),
        "duration": datetime.timedelta(hours=2),
        "starts_on": datetime.date(2024, 10, 28),
        "until": datetime.date(2024, 12, 4),
        "online_url": "https://zoom.us/j/123",
    }
    fields.update(extra)
    return fields


def test_weekly_series_creates_every_monday_ahead(kaltim, kaltim_directory):
    series = services.series_create(
        **series_kwargs(kaltim), people=[kaltim_directory["people"]["kpu"]]
    )
    starts = [m.local_start for m in series.occurrences.order_by("starts_at")]
    assert [s.date() for s in starts] == [
        datetime.date(2024, 10, 28),
        datetime.date(2024, 11, 4),
        datetime.date(2024, 11, 11),
        datetime.date(2024, 11, 18),
        datetime.date(2024, 11, 25),
        datetime.date(2024, 12, 2),
    ]
    assert {(s.hour, s.tzname()) for s in starts} == {(9, "WITA")}
    assert all(m.invitations.count() == 1 for m in series.occurrences.all())


def test_moving_one_occurrence_leaves_the_others_and_series_edits_skip_it(
    kaltim, kaltim_directory, time_machine
):
    time_machine.move_to(wita(2024, 10, 30, 12), tick=False)
    series = services.series_create(**series_kwargs(kaltim))
    first, second, third, *_ = series.occurrences.order_by("starts_at")
    services.meeting_update(
        meeting=second, user=None, starts_at=wita(2024, 11, 5, 10), ends_at=wita(2024, 11, 5, 12)
    )
    services.meeting_cancel(meeting=third, user=None)
    services.series_update(series=series, user=None, start_time=datetime.time(8, 0), venue="Aula")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.local_start.hour == 9  # past: untouched
    assert second.local_start == wita(2024, 11, 5, 10) and second.detached
    assert Meeting.objects.get(pk=third.pk).status == "cancelled"
    future = series.occurrences.filter(starts_at__gt=wita(2024, 11, 12), status="scheduled")
    assert {(m.local_start.hour, m.venue) for m in future} == {(8, "Aula")}
    # Shortening the series cancels the dates it drops.
    services.series_update(series=series, user=None, until=datetime.date(2024, 11, 20))
    assert series.occurrences.get(starts_at__date=datetime.date(2024, 12, 2)).is_cancelled


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"until": None}, "until"),
        ({"until": datetime.date(2025, 11, 30)}, "until"),
        ({"online_url": "ftp://zoom.us/j/1"}, "online_url"),
    ],
)
def test_bad_series_is_refused_and_nothing_saved(kaltim, extra, field):
    with pytest.raises(ValidationError) as exc:
        services.series_create(**series_kwargs(kaltim, **extra))
    assert field in exc.value.message_dict
    assert not Series.objects.exists() and not Meeting.objects.exists()


def test_bad_meetings_are_refused(kaltim, kaltim_directory, make_meeting):
    with pytest.raises(ValidationError) as exc:
        make_meeting(kaltim, wita(2024, 11, 4, 9), hours=-1)
    assert "ends_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_meeting(kaltim, wita(2024, 11, 4, 9), online_url="javascript:alert(1)")
    assert "online_url" in exc.value.message_dict
    sulbar_kpu = Agency.objects.create(region_id="76", kind="kpu", name="KPU Sulbar")
    with pytest.raises(ValidationError) as exc:
        make_meeting(kaltim, wita(2024, 11, 4, 9), agencies=[sulbar_kpu])
    # The refusal names the id the caller sent, never who is behind it.
    assert exc.value.message_dict["agencies"] == [
        f"Di luar jangkauan desk Kalimantan Timur: {sulbar_kpu.pk}."
    ]
    assert "Sulbar" not in str(exc.value.messages)
    assert not Meeting.objects.exists()


def test_province_meeting_invites_kabupaten_but_kabupaten_not_neighbours(
    kaltim, kaltim_directory, make_meeting
):
    meeting = make_meeting(
        kaltim, wita(2024, 11, 4, 9), people=[kaltim_directory["people"]["mahulu"]]
    )
    assert meeting.invitations.get().agency == kaltim_directory["kpu_mahulu"]
    kutai = Region.objects.get(code="64.02")
    other = make_meeting(kutai, wita(2024, 11, 4, 9), agencies=[kaltim_directory["kpu"]])
    with pytest.raises(ValidationError):
        services.invitations_add(meeting=other, agencies=[kaltim_directory["kpu_mahulu"]])


def test_cancelled_occurrence_cannot_be_edited(kaltim, make_meeting):
    meeting = make_meeting(kaltim, wita(2024, 11, 4, 9))
    services.meeting_cancel(meeting=meeting, user=None)
    with pytest.raises(ValidationError, match="dibatalkan"):
        services.meeting_update(meeting=meeting, user=None, title="Baru")
    with pytest.raises(ValidationError):
        services.meeting_cancel(meeting=meeting, user=None)


def test_decisions_carry_over_and_overdue_come_first(
    kaltim, kaltim_directory, make_meeting, time_machine
):
    time_machine.move_to(wita(2024, 11, 12, 12), tick=False)
    first = make_meeting(kaltim, wita(2024, 11, 4, 9))
    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            meeting=first,
            user=None,
            text="Terlalu awal",
            responsible_agency=kaltim_directory["kpu"],
            due_on=datetime.date(2024, 11, 3),
        )
    assert "due_on" in exc.value.message_dict
    later = services.decision_record(
        meeting=first,
        user=None,
        text="Rekap logistik",
        responsible_agency=kaltim_directory["kpu"],
        due_on=datetime.date(2024, 11, 30),
    )
    overdue = services.decision_record(
        meeting=first,
        user=None,
        text="Laporan pengamanan",
        responsible_agency=kaltim_directory["polda"],
        responsible_person=kaltim_directory["people"]["polda"],
        due_on=datetime.date(2024, 11, 8),
    )
    second = make_meeting(kaltim, wita(2024, 11, 11, 9))
    from meetings.selectors import open_decisions

    assert list(open_decisions(kaltim, before=second.starts_at)) == [overdue, later]
    services.decision_update(decision=overdue, user=None, status="done", at_meeting=second)
    assert list(open_decisions(kaltim)) == [later]
    event = overdue.events.last()
    assert (event.from_status, event.to_status, event.meeting) == ("open", "done", second)
    assert Decision.objects.get(pk=later.pk).events.count() == 1
