"""Two officers acting at the same moment, on two real database
connections: pressing "register" (the row lock lets exactly one through, the
other is told the report already moved), and linking duplicates that
together would close a cycle (one link is refused)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from desk.models import Region, Role, RoleAssignment
from neutrality.models import Category, ReferralTarget, Report
from neutrality.reference import ensure_reference_data
from neutrality.services import report_mark_duplicate, report_submit, report_transition

from .conftest import make_intake


@pytest.mark.django_db(transaction=True)
def test_two_officers_registering_at_once_register_it_once(django_user_model):
    if not Region.objects.filter(code="35.28.01").exists():
        from tests.conftest import load_test_regions

        load_test_regions()
    ensure_reference_data(Category, ReferralTarget)

    report = report_submit(intake=make_intake(), channel="public")
    officers = []
    for name in ("a", "b"):
        user = django_user_model.objects.create_user(f"officer.{name}")
        RoleAssignment.objects.create(
            user=user, role=Role.BAWASLU_OFFICER, region_id="35.28", agency=report.office
        )
        officers.append(user)
    barrier = threading.Barrier(2)
    outcomes = []

    def press(user):
        try:
            barrier.wait()
            report_transition(
                report=report, user=user, action="register", expected_status="received"
            )
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    refused = [outcome for outcome in outcomes if outcome != "ok"]
    assert refused[0].startswith("Laporan ini sudah dipindahkan")
    report.refresh_from_db()
    assert report.status == Report.Status.REGISTERED
    assert report.events.filter(to_status="registered").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_duplicate_links_made_at_once_never_close_a_cycle(django_user_model):
    if not Region.objects.filter(code="35.28.01").exists():
        from tests.conftest import load_test_regions

        load_test_regions()
    ensure_reference_data(Category, ReferralTarget)
    a, b, c, d = (report_submit(intake=make_intake(), channel="public") for _ in range(4))
    officer = django_user_model.objects.create_user("officer.dup")
    RoleAssignment.objects.create(
        user=officer, role=Role.BAWASLU_OFFICER, region_id="35.28", agency=a.office
    )
    report_mark_duplicate(report=b, user=officer, original=c)
    report_mark_duplicate(report=d, user=officer, original=a)
    # a → b (→ c) and c → d (→ a): each alone is fine, both make a cycle.
    barrier = threading.Barrier(2)
    outcomes = []

    def link(report, original):
        try:
            barrier.wait()
            report_mark_duplicate(report=report, user=officer, original=original)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=link, args=pair) for pair in ((a, b), (c, d))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert "lingkaran" in next(o for o in outcomes if o != "ok")
    for start in (a, b, c, d):
        seen, report = set(), Report.objects.get(pk=start.pk)
        while report is not None:
            assert report.pk not in seen
            seen.add(report.pk)
            report = report.duplicate_of
