"""Writes: every change to meetings, series, invitations, decisions and
reminder deliveries goes through one of these functions (views, API, admin,
commands and tasks alike)."""

import datetime
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import Agency, Person, Region
from meetings import conf, links
from meetings.models import (
    CalendarFeed,
    Decision,
    DecisionEvent,
    Invitation,
    Meeting,
    ReminderDelivery,
    Series,
)
from meetings.reminders import delivery_queue
from meetings.selectors import in_reach

MAX_SERIES_DAYS = 366
MEETING_FIELDS = ("title", "kind", "venue", "online_url", "chair", "organiser", "agenda")


# --- Validation shared by meetings and series --------------------------------


def _check_url(url: str, errors: dict) -> None:
    if url and urlparse(url).scheme not in ("http", "https"):
        errors["online_url"] = _("Tautan rapat daring harus diawali http:// atau https://.")


def _check_people(region: Region, chair, organiser, errors: dict) -> None:
    if organiser is not None and not in_reach(region.code, organiser.region_id):
        errors["organiser"] = _("Instansi penyelenggara berada di luar jangkauan desk ini.")
    if chair is not None and not in_reach(region.code, chair.agency.region_id):
        errors["chair"] = _("Pimpinan rapat berada di luar jangkauan desk ini.")


def _check_place(venue: str, online_url: str, errors: dict) -> None:
    if not venue and not online_url:
        errors.setdefault("venue", _("Isi tempat rapat, tautan daring, atau keduanya."))


def remind_at_for(region: Region, starts_at: datetime.datetime) -> datetime.datetime:
    """The configured local time (default 07:00) on the meeting's day (or N
    days before) in the desk's own zone. A meeting starting before that hour
    is reminded an hour before it starts instead, never after."""
    local_day = timezone.localtime(starts_at, region.tzinfo).date()
    day = local_day - datetime.timedelta(days=conf.reminder_days_before())
    remind = datetime.datetime.combine(day, conf.reminder_time(), tzinfo=region.tzinfo)
    return min(remind, starts_at - datetime.timedelta(hours=1))


def _check_times(starts_at, ends_at, errors: dict) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = _("Waktu selesai harus setelah waktu mulai.")


# --- Meetings ----------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    *,
    user,
    region: Region,
    title: str,
    kind: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    venue: str = "",
    online_url: str = "",
    chair: Person | None = None,
    organiser: Agency | None = None,
    agenda: str = "",
    agencies=(),
    people=(),
    series: Series | None = None,
) -> Meeting:
    errors: dict = {}
    _check_times(starts_at, ends_at, errors)
    _check_url(online_url, errors)
    _check_place(venue, online_url, errors)
    _check_people(region, chair, organiser, errors)
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        region=region,
        series=series,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        online_url=online_url,
        chair=chair,
        organiser=organiser,
        agenda=agenda,
        remind_at=remind_at_for(region, starts_at),
        created_by=user,
    )
    invitations_add(meeting=meeting, agencies=agencies, people=people)
    return meeting


def _locked(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().select_related("region").get(pk=meeting.pk)
    if locked.is_cancelled:
        raise ValidationError(_("Rapat ini sudah dibatalkan dan tidak dapat diubah lagi."))
    return locked


@transaction.atomic
def meeting_update(*, meeting: Meeting, user, **changes) -> Meeting:
    """Edit one meeting. An occurrence edited on its own leaves its series:
    later series edits no longer touch it."""
    meeting = _locked(meeting)
    for name, value in changes.items():
        setattr(meeting, name, value)
    errors: dict = {}
    _check_times(meeting.starts_at, meeting.ends_at, errors)
    _check_url(meeting.online_url, errors)
    _check_place(meeting.venue, meeting.online_url, errors)
    _check_people(meeting.region, meeting.chair, meeting.organiser, errors)
    if errors:
        raise ValidationError(errors)
    if meeting.series_id:
        meeting.detached = True
    meeting.remind_at = remind_at_for(meeting.region, meeting.starts_at)
    # Look again: invitees added since, or a new time, get their reminder;
    # those already reminded keep their row and are not sent a second one.
    meeting.reminders_dispatched_at = None
    meeting.save()
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, user, reason: str = "") -> Meeting:
    """Cancel one meeting (or one occurrence). Reminders not yet sent are
    voided; whoever was already reminded gets a cancellation notice."""
    meeting = _locked(meeting)
    meeting.status = Meeting.Status.CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    reminders = ReminderDelivery.objects.filter(
        meeting=meeting, kind=ReminderDelivery.Kind.REMINDER
    )
    reminders.filter(state=ReminderDelivery.State.PENDING).update(state=ReminderDelivery.State.VOID)
    if meeting.starts_at > timezone.now():
        notices = [
            ReminderDelivery(
                meeting=meeting,
                kind=ReminderDelivery.Kind.CANCELLATION,
                email=r.email,
                name=r.name,
                language=r.language,
            )
            for r in reminders.filter(state=ReminderDelivery.State.SENT)
        ]
        if notices:
            ReminderDelivery.objects.bulk_create(notices, ignore_conflicts=True)
            delivery_queue(meeting_id=meeting.pk)
    return meeting


@transaction.atomic
def minutes_save(*, meeting: Meeting, user, minutes: str) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.minutes = minutes
    meeting.save(update_fields=["minutes", "updated_at"])
    return meeting


# --- Invitations and attendance ----------------------------------------------


@transaction.atomic
def invitations_add(*, meeting: Meeting, agencies=(), people=()) -> list[Invitation]:
    """Invite agencies (as a whole) and people (through their agency). Anyone
    outside the meeting's reach is refused, and then nobody is invited. The
    refusal gives the ids the caller sent, never names: the caller may not
    be allowed to know who sits behind an id elsewhere."""
    code = meeting.region_id
    outside = {
        "agencies": [str(a.pk) for a in agencies if not in_reach(code, a.region_id)],
        "people": [str(p.pk) for p in people if not in_reach(code, p.agency.region_id)],
    }
    if any(outside.values()):
        raise ValidationError(
            {
                name: _("Di luar jangkauan desk %(desk)s: %(ids)s.")
                % {"desk": meeting.region.name, "ids": ", ".join(ids)}
                for name, ids in outside.items()
                if ids
            }
        )
    rows = [Invitation(meeting=meeting, agency=a) for a in agencies]
    rows += [Invitation(meeting=meeting, agency_id=p.agency_id, person=p) for p in people]
    created = Invitation.objects.bulk_create(rows, ignore_conflicts=True)
    if created and meeting.reminders_dispatched_at:
        Meeting.objects.filter(pk=meeting.pk).update(reminders_dispatched_at=None)
    return created


@transaction.atomic
def attendance_record(
    *, invitation: Invitation, attendance: str, represented_by: str = ""
) -> Invitation:
    if invitation.meeting.is_cancelled:
        raise ValidationError(_("Rapat ini sudah dibatalkan dan tidak dapat diubah lagi."))
    if attendance not in Invitation.Attendance.values:
        raise ValidationError({"attendance": _("Pilihan kehadiran tidak dikenal.")})
    represented_by = represented_by.strip()
    if attendance == Invitation.Attendance.REPRESENTED and not represented_by:
        raise ValidationError({"represented_by": _("Isi nama dan jabatan yang mewakili.")})
    if attendance != Invitation.Attendance.REPRESENTED:
        represented_by = ""
    invitation.attendance = attendance
    invitation.represented_by = represented_by
    invitation.save(update_fields=["attendance", "represented_by"])
    return invitation


# --- Decisions ---------------------------------------------------------------


def _check_responsible(meeting: Meeting, agency, person, errors: dict) -> None:
    if agency is not None and not in_reach(meeting.region_id, agency.region_id):
        errors["responsible_agency"] = _("Instansi ini berada di luar jangkauan desk.")
    if person is not None and agency is not None and person.agency_id != agency.pk:
        errors["responsible_person"] = _("Penanggung jawab harus dari instansi yang dipilih.")


@transaction.atomic
def decision_record(
    *,
    meeting: Meeting,
    user,
    text: str,
    responsible_agency: Agency,
    due_on: datetime.date,
    responsible_person: Person | None = None,
    report=None,
    problem=None,
    area=None,
) -> Decision:
    """Record a decision; it may follow up a neutrality report, a logistics
    problem and/or an area the user may see in the desk's region (links)."""
    errors: dict = links.check(user, meeting.region_id, report=report, problem=problem, area=area)
    if not text.strip():
        errors["text"] = _("Tuliskan isi keputusan.")
    if due_on < meeting.local_start.date():
        errors["due_on"] = _("Tenggat tidak boleh sebelum tanggal rapat (%(date)s).") % {
            "date": meeting.local_start.date().strftime("%d/%m/%Y")
        }
    _check_responsible(meeting, responsible_agency, responsible_person, errors)
    if meeting.is_cancelled:
        errors["__all__"] = _("Rapat ini sudah dibatalkan dan tidak dapat diubah lagi.")
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.create(
        meeting=meeting,
        region_id=meeting.region_id,
        text=text.strip(),
        responsible_agency=responsible_agency,
        responsible_person=responsible_person,
        due_on=due_on,
        report=report,
        problem=problem,
        area=area,
    )
    DecisionEvent.objects.create(
        decision=decision, meeting=meeting, by=user, to_status=decision.status
    )
    return decision


@transaction.atomic
def decision_update(
    *,
    decision: Decision,
    user,
    status: str | None = None,
    due_on: datetime.date | None = None,
    note: str = "",
    at_meeting: Meeting | None = None,
) -> Decision:
    """Change a decision's status (and/or due date), from its own meeting or a
    later one where it was carried over; each change is an event row."""
    decision = (
        Decision.objects.select_for_update().select_related("meeting__region").get(pk=decision.pk)
    )
    errors: dict = {}
    if status is not None and status not in Decision.Status.values:
        errors["status"] = _("Status keputusan tidak dikenal.")
    if due_on is not None and due_on < decision.meeting.local_start.date():
        errors["due_on"] = _("Tenggat tidak boleh sebelum tanggal rapat (%(date)s).") % {
            "date": decision.meeting.local_start.date().strftime("%d/%m/%Y")
        }
    if at_meeting is not None and at_meeting.region_id != decision.region_id:
        errors["__all__"] = _("Keputusan ini milik desk lain.")
    if errors:
        raise ValidationError(errors)
    old = decision.status
    fields = ["updated_at"]
    if status is not None and status != old:
        decision.status = status
        fields.append("status")
    if due_on is not None and due_on != decision.due_on:
        decision.due_on = due_on
        fields.append("due_on")
    if len(fields) == 1 and not note:
        return decision
    decision.save(update_fields=fields)
    DecisionEvent.objects.create(
        decision=decision,
        meeting=at_meeting or decision.meeting,
        by=user,
        from_status=old,
        to_status=decision.status,
        note=note[:300],
    )
    return decision


# --- Weekly series -----------------------------------------------------------


def _series_dates(weekday: int, starts_on: datetime.date, until: datetime.date):
    day = starts_on + datetime.timedelta(days=(weekday - starts_on.weekday()) % 7)
    while day <= until:
        yield day
        day += datetime.timedelta(days=7)


def _check_series(
    region, weekday, starts_on, until, duration, venue, online_url, chair, organiser
) -> None:
    errors: dict = {}
    if until is None:
        errors["until"] = _("Seri mingguan harus punya tanggal akhir.")
    elif starts_on and until < starts_on:
        errors["until"] = _("Tanggal akhir harus sesudah tanggal mulai.")
    elif starts_on and (until - starts_on).days > MAX_SERIES_DAYS:
        errors["until"] = _("Seri paling lama satu tahun; buat seri baru sesudahnya.")
    elif starts_on and not any(_series_dates(weekday, starts_on, until)):
        errors["until"] = _("Tidak ada satu pun hari rapat di antara kedua tanggal itu.")
    if duration is not None and duration <= datetime.timedelta(0):
        errors["duration"] = _("Durasi harus lebih dari nol.")
    _check_url(online_url, errors)
    _check_place(venue, online_url, errors)
    _check_people(region, chair, organiser, errors)
    if errors:
        raise ValidationError(errors)


def _occurrence_times(series: Series, day: datetime.date):
    starts = datetime.datetime.combine(day, series.start_time, tzinfo=series.region.tzinfo)
    return starts, starts + series.duration


@transaction.atomic
def series_create(
    *,
    user,
    region: Region,
    title: str,
    kind: str,
    start_time: datetime.time,
    starts_on: datetime.date,
    until: datetime.date | None,
    weekday: int | None = None,
    duration: datetime.timedelta | None = None,
    venue: str = "",
    online_url: str = "",
    chair: Person | None = None,
    organiser: Agency | None = None,
    agenda: str = "",
    agencies=(),
    people=(),
) -> Series:
    """Create the rule and every occurrence up to ``until`` ahead. Without a
    weekday, the series meets on the weekday of its first date; without a
    duration, for the model's default (two hours)."""
    if weekday is None:
        weekday = starts_on.weekday()
    if duration is None:
        duration = Series._meta.get_field("duration").get_default()
    _check_series(region, weekday, starts_on, until, duration, venue, online_url, chair, organiser)
    series = Series.objects.create(
        region=region,
        title=title,
        kind=kind,
        weekday=weekday,
        start_time=start_time,
        duration=duration,
        starts_on=starts_on,
        until=until,
        venue=venue,
        online_url=online_url,
        chair=chair,
        organiser=organiser,
        agenda=agenda,
        created_by=user,
    )
    for day in _series_dates(weekday, starts_on, until):
        starts, ends = _occurrence_times(series, day)
        meeting_schedule(
            user=user,
            region=region,
            series=series,
            starts_at=starts,
            ends_at=ends,
            agencies=agencies,
            people=people,
            **{name: getattr(series, name) for name in MEETING_FIELDS},
        )
    return series


@transaction.atomic
def series_update(*, series: Series, user, **changes) -> Series:
    """Edit the rule: only future occurrences that were not moved or edited on
    their own follow; past ones and detached ones stay as they are. Dates the
    new rule drops are cancelled; dates it adds are created."""
    series = Series.objects.select_for_update().select_related("region").get(pk=series.pk)
    for name, value in changes.items():
        setattr(series, name, value)
    _check_series(
        series.region,
        series.weekday,
        series.starts_on,
        series.until,
        series.duration,
        series.venue,
        series.online_url,
        series.chair,
        series.organiser,
    )
    series.save()
    now = timezone.now()
    tz = series.region.tzinfo
    future = {
        timezone.localtime(m.starts_at, tz).date(): m
        for m in series.occurrences.select_for_update().filter(starts_at__gt=now)
    }
    wanted = list(_series_dates(series.weekday, series.starts_on, series.until))
    template = series.occurrences.order_by("starts_at").first()
    agencies, people = [], []
    if template is not None:
        invites = list(template.invitations.select_related("agency", "person__agency"))
        agencies = [i.agency for i in invites if i.person_id is None]
        people = [i.person for i in invites if i.person_id]
    for day in wanted:
        starts, ends = _occurrence_times(series, day)
        if starts <= now:
            continue
        meeting = future.pop(day, None)
        if meeting is None:
            meeting_schedule(
                user=user,
                region=series.region,
                series=series,
                starts_at=starts,
                ends_at=ends,
                agencies=agencies,
                people=people,
                **{name: getattr(series, name) for name in MEETING_FIELDS},
            )
        elif not meeting.detached and not meeting.is_cancelled:
            for name in MEETING_FIELDS:
                setattr(meeting, name, getattr(series, name))
            meeting.starts_at, meeting.ends_at = starts, ends
            meeting.remind_at = remind_at_for(series.region, starts)
            meeting.reminders_dispatched_at = None
            meeting.save()
    for meeting in future.values():
        if not meeting.detached and not meeting.is_cancelled:
            meeting_cancel(meeting=meeting, user=user, reason="series edited")
    return series


# --- Calendar feed -----------------------------------------------------------


@transaction.atomic
def feed_rotate(*, region: Region) -> CalendarFeed:
    """Create the desk's feed, or revoke the old URL by replacing its token."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        region=region, defaults={"token": CalendarFeed.new_token()}
    )
    if not created:
        feed.token = CalendarFeed.new_token()
        feed.save(update_fields=["token", "created_at"])
    return feed


@transaction.atomic
def feed_revoke(*, region: Region) -> None:
    CalendarFeed.objects.filter(region=region).delete()
