"""The handling path: every transition allowed and refused, who may act,
deadline arithmetic with frozen time, referral target by date."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from neutrality.models import AuditEntry, Report
from neutrality.services import (
    TRANSITIONS,
    allowed_actions,
    report_assign,
    report_mark_duplicate,
    report_reroute,
    report_transition,
)

S = Report.Status
NOV_1 = datetime.datetime(2024, 11, 1, 2, 0, tzinfo=datetime.UTC)  # 09.00 WIB


@pytest.fixture
def report(report_factory, pamekasan_office, time_machine):
    time_machine.move_to(NOV_1, tick=False)
    return report_factory(
        occurred_on=datetime.date(2024, 10, 29), known_on=datetime.date(2024, 10, 30)
    )


def move(report, user, action, **kwargs):
    return report_transition(report=report, user=user, action=action, **kwargs)


def test_the_whole_path_to_a_sanction(report, pamekasan_bawaslu):
    r = move(report, pamekasan_bawaslu, "register", note="Syarat formal dan materiel lengkap.")
    assert r.status == S.REGISTERED
    assert r.register_number == "001/Reg/LP/PW/35.28/11/2024"
    r = move(r, pamekasan_bawaslu, "study")
    r = move(r, pamekasan_bawaslu, "request_info", note="Minta tautan asli unggahan.")
    assert r.due_on == datetime.date(2024, 11, 6)  # 3 + 2 calendar days
    r = move(r, pamekasan_bawaslu, "study")
    r = move(r, pamekasan_bawaslu, "decide", outcome=Report.Outcome.OTHER_LAW)
    r = move(
        r,
        pamekasan_bawaslu,
        "refer",
        letter_number="123/PP.01.02/K.JI-22/XI/2024",
        letter_on=datetime.date(2024, 11, 1),
    )
    assert r.referral_target.name.startswith("BKN")
    r = move(
        r, pamekasan_bawaslu, "record_sanction", sanction="moderate", sanction_reference="800/12"
    )
    r = move(r, pamekasan_bawaslu, "close")
    assert r.status == S.CLOSED
    path = list(r.events.values_list("from_status", "to_status"))
    assert path == [
        ("", S.RECEIVED),
        (S.RECEIVED, S.REGISTERED),
        (S.REGISTERED, S.UNDER_STUDY),
        (S.UNDER_STUDY, S.INFO_REQUESTED),
        (S.INFO_REQUESTED, S.UNDER_STUDY),
        (S.UNDER_STUDY, S.DECIDED),
        (S.DECIDED, S.REFERRED),
        (S.REFERRED, S.SANCTIONED),
        (S.SANCTIONED, S.CLOSED),
    ]
    assert all(e.actor == pamekasan_bawaslu for e in r.events.exclude(from_status=""))
    assert AuditEntry.objects.filter(report=r, action="transition").count() == 8


# Every (status, action) pair not in TRANSITIONS is refused with a message.
ALL_STATUSES = list(S.values)


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_every_transition_not_allowed_from_a_status_is_refused(report, pamekasan_bawaslu, status):
    Report.objects.filter(pk=report.pk).update(status=status, outcome="not_violation")
    report.refresh_from_db()
    for action, (sources, _target) in TRANSITIONS.items():
        if status in sources:
            continue
        with pytest.raises(ValidationError) as exc:
            move(report, pamekasan_bawaslu, action)
        assert "tidak dapat dilakukan dari status" in exc.value.messages[0]
    report.refresh_from_db()
    assert report.status == status


def test_a_time_barred_report_cannot_be_registered(report_factory, pamekasan_bawaslu, time_machine):
    time_machine.move_to(NOV_1, tick=False)
    late = report_factory(
        occurred_on=datetime.date(2024, 10, 20), known_on=datetime.date(2024, 10, 20)
    )
    assert late.time_barred
    assert "register" not in allowed_actions(late)
    with pytest.raises(ValidationError) as exc:
        move(late, pamekasan_bawaslu, "register")
    assert "kedaluwarsa" in exc.value.messages[0]
    assert "hanya «Tidak diregistrasi»" in exc.value.messages[0]
    r = move(late, pamekasan_bawaslu, "not_register", reason="time_barred")
    assert r.not_registered_reason == "time_barred"
    assert move(r, pamekasan_bawaslu, "close").status == S.CLOSED


def test_not_registering_needs_a_reason(report, pamekasan_bawaslu):
    with pytest.raises(ValidationError) as exc:
        move(report, pamekasan_bawaslu, "not_register")
    assert "reason" in exc.value.message_dict
    report.refresh_from_db()
    assert report.status == S.RECEIVED and report.events.count() == 1


def test_a_registered_report_cannot_be_withdrawn(report, pamekasan_bawaslu):
    r = move(report, pamekasan_bawaslu, "register")
    with pytest.raises(ValidationError):
        move(r, pamekasan_bawaslu, "withdraw")


def test_a_received_report_can_be_withdrawn(report, pamekasan_bawaslu):
    assert move(report, pamekasan_bawaslu, "withdraw").status == S.WITHDRAWN


def test_more_information_extends_the_deadline_once(report, pamekasan_bawaslu):
    r = move(move(report, pamekasan_bawaslu, "register"), pamekasan_bawaslu, "study")
    assert r.due_on == datetime.date(2024, 11, 4)
    r = move(r, pamekasan_bawaslu, "request_info")
    assert r.due_on == datetime.date(2024, 11, 6) and r.extended
    r = move(r, pamekasan_bawaslu, "study")
    with pytest.raises(ValidationError):
        move(r, pamekasan_bawaslu, "request_info")


@pytest.mark.parametrize(
    ("outcome", "can_refer", "can_close"),
    [
        (Report.Outcome.OTHER_LAW, True, False),
        (Report.Outcome.ELECTION_CRIME, False, True),
        (Report.Outcome.NOT_VIOLATION, False, True),
    ],
)
def test_only_a_violation_of_other_laws_is_referred(
    report, pamekasan_bawaslu, outcome, can_refer, can_close
):
    r = move(move(report, pamekasan_bawaslu, "register"), pamekasan_bawaslu, "study")
    r = move(r, pamekasan_bawaslu, "decide", outcome=outcome)
    assert ("refer" in allowed_actions(r)) is can_refer
    assert ("close" in allowed_actions(r)) is can_close


def test_deciding_needs_an_outcome(report, pamekasan_bawaslu):
    r = move(move(report, pamekasan_bawaslu, "register"), pamekasan_bawaslu, "study")
    with pytest.raises(ValidationError) as exc:
        move(r, pamekasan_bawaslu, "decide", outcome="maybe")
    assert "outcome" in exc.value.message_dict


@pytest.fixture
def decided(report, pamekasan_bawaslu):
    r = move(move(report, pamekasan_bawaslu, "register"), pamekasan_bawaslu, "study")
    return move(r, pamekasan_bawaslu, "decide", outcome=Report.Outcome.OTHER_LAW)


def test_referral_target_follows_the_letter_date(decided, pamekasan_bawaslu, time_machine):
    # A letter dated before 24 Aug 2024 went to KASN (data, not code).
    Report.objects.filter(pk=decided.pk).update(received_on=datetime.date(2024, 8, 20))
    decided.refresh_from_db()
    r = move(
        decided,
        pamekasan_bawaslu,
        "refer",
        letter_number="01/2024",
        letter_on=datetime.date(2024, 8, 23),
    )
    assert r.referral_target.name.startswith("KASN")


def test_referral_needs_number_and_a_plausible_date(decided, pamekasan_bawaslu):
    with pytest.raises(ValidationError) as exc:
        move(decided, pamekasan_bawaslu, "refer")
    assert {"letter_number", "letter_on"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        move(
            decided,
            pamekasan_bawaslu,
            "refer",
            letter_number="1",
            letter_on=datetime.date(2024, 12, 30),
        )
    assert "letter_on" in exc.value.message_dict


def test_sanction_needs_kind_and_reference(decided, pamekasan_bawaslu):
    r = move(
        decided, pamekasan_bawaslu, "refer", letter_number="1", letter_on=datetime.date(2024, 11, 1)
    )
    with pytest.raises(ValidationError) as exc:
        move(r, pamekasan_bawaslu, "record_sanction", sanction="prison")
    assert {"sanction", "sanction_reference"} <= set(exc.value.message_dict)


def test_only_officers_of_the_owning_office_move_it(
    report, sumenep_bawaslu, jatim_bawaslu, pamekasan_desk, ri_bawaslu, outsider
):
    for user in (sumenep_bawaslu, jatim_bawaslu, pamekasan_desk, ri_bawaslu, outsider):
        with pytest.raises(ValidationError) as exc:
            move(report, user, "register")
        assert "kantor pemilik" in exc.value.messages[0]
    report.refresh_from_db()
    assert report.status == S.RECEIVED


def test_a_second_officer_acting_on_a_report_already_moved_is_told(
    report, pamekasan_bawaslu, second_pamekasan_officer
):
    move(report, pamekasan_bawaslu, "register", expected_status=S.RECEIVED)
    with pytest.raises(ValidationError) as exc:
        move(
            report,
            second_pamekasan_officer,
            "not_register",
            expected_status=S.RECEIVED,
            reason="formal",
        )
    assert "sudah dipindahkan ke status «Diregistrasi» oleh petugas lain" in exc.value.messages[0]
    report.refresh_from_db()
    assert report.status == S.REGISTERED and report.not_registered_reason == ""


def test_assignment_only_to_officers_of_the_office(
    report, pamekasan_bawaslu, second_pamekasan_officer, sumenep_bawaslu
):
    r = report_assign(report=report, user=pamekasan_bawaslu, assignee=second_pamekasan_officer)
    assert r.assignee == second_pamekasan_officer
    with pytest.raises(ValidationError):
        report_assign(report=report, user=pamekasan_bawaslu, assignee=sumenep_bawaslu)


def test_reroute_needs_a_reason_and_hands_the_report_over(
    report, pamekasan_bawaslu, sumenep_bawaslu, agency_factory
):
    from desk.models import Agency

    sumenep = agency_factory("35.29", kind=Agency.Kind.BAWASLU, name="Bawaslu Kabupaten Sumenep")
    with pytest.raises(ValidationError) as exc:
        report_reroute(report=report, user=pamekasan_bawaslu, region=sumenep.region, reason=" ")
    assert "reason" in exc.value.message_dict
    r = report_reroute(
        report=report,
        user=pamekasan_bawaslu,
        region=sumenep.region,
        reason="ASN bertugas di Sumenep",
    )
    assert r.office == sumenep and "ASN bertugas di Sumenep" in r.routing_reason
    assert r.status == S.RECEIVED
    with pytest.raises(ValidationError):
        move(r, pamekasan_bawaslu, "register")
    assert move(r, sumenep_bawaslu, "register").status == S.REGISTERED


def test_duplicates_are_linked_to_the_original(report, report_factory, pamekasan_bawaslu):
    second = report_factory()
    r = report_mark_duplicate(report=second, user=pamekasan_bawaslu, original=report)
    assert r.duplicate_of == report
    with pytest.raises(ValidationError):
        report_mark_duplicate(report=report, user=pamekasan_bawaslu, original=second)
    with pytest.raises(ValidationError):
        report_mark_duplicate(report=report, user=pamekasan_bawaslu, original=report)


def test_register_numbers_stay_unique_when_reports_move_away(
    report_factory, pamekasan_bawaslu, agency_factory, time_machine
):
    from desk.models import Agency

    time_machine.move_to(NOV_1, tick=False)
    sumenep = agency_factory("35.29", kind=Agency.Kind.BAWASLU, name="Bawaslu Kabupaten Sumenep")
    first = move(report_factory(), pamekasan_bawaslu, "register")
    report_reroute(
        report=first, user=pamekasan_bawaslu, region=sumenep.region, reason="Salah kantor"
    )
    second = move(report_factory(), pamekasan_bawaslu, "register")
    assert first.register_number == "001/Reg/LP/PW/35.28/11/2024"
    assert second.register_number == "002/Reg/LP/PW/35.28/11/2024"


def _chain_has_cycle(report) -> bool:
    seen = set()
    while report is not None:
        if report.pk in seen:
            return True
        seen.add(report.pk)
        report = Report.objects.get(pk=report.pk).duplicate_of
    return False


def test_a_duplicate_link_that_would_close_a_cycle_is_refused(report_factory, pamekasan_bawaslu):
    a, b, c = report_factory(), report_factory(), report_factory()
    report_mark_duplicate(report=a, user=pamekasan_bawaslu, original=b)
    report_mark_duplicate(report=b, user=pamekasan_bawaslu, original=c)
    for report, original in ((c, a), (c, b), (b, a)):
        with pytest.raises(ValidationError) as exc:
            report_mark_duplicate(report=report, user=pamekasan_bawaslu, original=original)
        assert "lingkaran" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        report_mark_duplicate(report=c, user=pamekasan_bawaslu, original=c)
    assert "dirinya" in exc.value.messages[0]
    for report in (a, b, c):
        assert not _chain_has_cycle(report)
    c.refresh_from_db()
    assert c.duplicate_of is None


def test_a_duplicate_points_to_the_end_of_the_chain(report_factory, pamekasan_bawaslu):
    a, b, c, d = (report_factory() for _ in range(4))
    report_mark_duplicate(report=b, user=pamekasan_bawaslu, original=c)
    report_mark_duplicate(report=a, user=pamekasan_bawaslu, original=b)
    assert Report.objects.get(pk=a.pk).duplicate_of == c
    # The chain's end may itself be marked later: the walk still ends, at d.
    report_mark_duplicate(report=c, user=pamekasan_bawaslu, original=d)
    r = report_mark_duplicate(report=report_factory(), user=pamekasan_bawaslu, original=a)
    assert r.duplicate_of == d


def test_reroute_reaches_any_province_or_kabupaten_office_creating_it_on_demand(
    report, pamekasan_bawaslu, make_user
):
    from desk.models import Agency, Region, Role

    assert not Agency.objects.filter(region_id="64.11").exists()  # Mahakam Ulu: no row yet
    r = report_reroute(
        report=report,
        user=pamekasan_bawaslu,
        region=Region.objects.get(code="64.11"),
        reason="Terlapor bertugas di Mahakam Ulu",
    )
    office = Agency.objects.get(region_id="64.11", kind=Agency.Kind.BAWASLU)
    assert r.office == office and office.name == "Bawaslu Kabupaten Mahakam Ulu"
    mahulu_officer = make_user(Role.BAWASLU_OFFICER, "64.11")
    r = report_reroute(
        report=r,
        user=mahulu_officer,
        region=Region.objects.get(code="64"),
        reason="ASN pemerintah provinsi",
    )
    assert r.office.name == "Bawaslu Provinsi Kalimantan Timur"
    for code, field in (("64.11.01", "region"), ("64", "region")):
        with pytest.raises(ValidationError) as exc:
            report_reroute(
                report=r,
                user=make_user(Role.BAWASLU_OFFICER, "64"),
                region=Region.objects.get(code=code),
                reason="x",
            )
        assert field in exc.value.message_dict
    assert Agency.objects.filter(region_id="64.11.01").count() == 0


def test_the_referral_letter_may_carry_the_regions_date_before_the_servers(
    report_factory, pamekasan_bawaslu, make_user, time_machine
):
    from desk.models import Region, Role

    # 1 Nov 2024 16:30 UTC: already 2 Nov (00:30) in Makassar, 1 Nov in Jakarta.
    time_machine.move_to(datetime.datetime(2024, 11, 1, 16, 30, tzinfo=datetime.UTC), tick=False)
    village = Region.objects.filter(code__startswith="73.71.", level="village").first()
    report = report_factory(
        region=village, occurred_on=datetime.date(2024, 10, 30), known_on=datetime.date(2024, 11, 1)
    )
    officer = make_user(Role.BAWASLU_OFFICER, "73.71")
    r = move(move(report, officer, "register"), officer, "study")
    r = move(r, officer, "decide", outcome=Report.Outcome.OTHER_LAW)
    r = move(r, officer, "refer", letter_number="1/2024", letter_on=datetime.date(2024, 11, 2))
    assert r.referral_letter_on == datetime.date(2024, 11, 2)


def test_the_follow_up_clock_starts_at_registration_on_the_regions_date(
    report_factory, pamekasan_bawaslu, time_machine
):
    # Received 31 Oct 2024, 09.00 WIB: the initial study runs to 2 Nov.
    time_machine.move_to(datetime.datetime(2024, 10, 31, 2, 0, tzinfo=datetime.UTC), tick=False)
    report = report_factory(
        occurred_on=datetime.date(2024, 10, 29), known_on=datetime.date(2024, 10, 30)
    )
    assert report.due_on == datetime.date(2024, 11, 2) and not report.extended
    # Registered 2 Nov 17.30 UTC: already 3 Nov (00.30) in Pamekasan.
    time_machine.move_to(datetime.datetime(2024, 11, 2, 17, 30, tzinfo=datetime.UTC), tick=False)
    r = move(report, pamekasan_bawaslu, "register")
    assert r.registered_on == datetime.date(2024, 11, 3)
    assert r.due_on == datetime.date(2024, 11, 6)  # 3 calendar days from registration
    assert r.register_number == "001/Reg/LP/PW/35.28/11/2024"  # the month of registration
    r = move(move(r, pamekasan_bawaslu, "study"), pamekasan_bawaslu, "request_info")
    assert r.due_on == datetime.date(2024, 11, 8) and r.extended  # + 2: 5 in total


@pytest.mark.parametrize(("days", "due"), [(2, 3), (1, 2), (0, 1), (5, 6)])
def test_the_initial_study_period_is_a_setting(report_factory, settings, time_machine, days, due):
    settings.NEUTRALITY_INITIAL_STUDY_DAYS = days
    time_machine.move_to(NOV_1, tick=False)
    report = report_factory(
        occurred_on=datetime.date(2024, 10, 29), known_on=datetime.date(2024, 10, 30)
    )
    assert report.due_on == datetime.date(2024, 11, due)


@pytest.mark.django_db(transaction=True)
def test_the_migration_restarts_open_deadlines_from_registration(live_db, django_user_model):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from desk.models import Role, RoleAssignment
    from neutrality.models import Category, ReferralTarget
    from neutrality.reference import ensure_reference_data
    from neutrality.services import report_submit

    from .conftest import make_intake

    ensure_reference_data(Category, ReferralTarget)
    received, registered, extended = (
        report_submit(intake=make_intake(), channel="public") for _ in range(3)
    )
    officer = django_user_model.objects.create_user("pamekasan.migrasi")
    RoleAssignment.objects.create(
        user=officer, role=Role.BAWASLU_OFFICER, agency=received.office, region_id="35.28"
    )
    registered = move(registered, officer, "register")
    extended = move(
        move(move(extended, officer, "register"), officer, "study"), officer, "request_info"
    )
    # As the old code left them: the clock from receipt, no registration date.
    Report.objects.update(due_on=received.received_on + datetime.timedelta(days=9))
    executor = MigrationExecutor(connection)
    executor.migrate([("neutrality", "0004_auditentry_region")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    day = datetime.timedelta(days=1)
    received.refresh_from_db()
    assert received.due_on == received.received_on + 2 * day and received.registered_on is None
    registered.refresh_from_db()
    assert registered.registered_on == registered.received_on  # registered the same day
    assert registered.due_on == registered.registered_on + 3 * day
    extended.refresh_from_db()
    assert extended.due_on == extended.registered_on + 5 * day and extended.extended


def test_reroute_refuses_an_office_deactivated_in_the_admin(
    report, pamekasan_bawaslu, agency_factory
):
    from desk.models import Agency

    agency_factory(
        "35.29", kind=Agency.Kind.BAWASLU, name="Bawaslu Kabupaten Sumenep", is_active=False
    )
    with pytest.raises(ValidationError) as exc:
        report_reroute(
            report=report,
            user=pamekasan_bawaslu,
            region=Agency.objects.get(name="Bawaslu Kabupaten Sumenep").region,
            reason="Salah kantor",
        )
    assert "dinonaktifkan" in exc.value.message_dict["region"][0]
    report.refresh_from_db()
    assert report.office.region_id == "35.28"
