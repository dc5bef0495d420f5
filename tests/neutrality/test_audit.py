"""The audit trail and the status history are append-only: the model, bulk
queries, the database and the admin all refuse to change them. Administrators
read them in the admin, for their region."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse

from desk.models import Region, Role, RoleAssignment
from neutrality.models import AuditEntry, ReportEvent


def test_events_and_audit_rows_cannot_be_changed_or_deleted(report_factory):
    report = report_factory()
    event = report.events.get()
    entry = AuditEntry.objects.get(report=report)
    for row in (event, entry):
        with pytest.raises(ValidationError):
            row.save()
        with pytest.raises(ValidationError):
            row.delete()
    with pytest.raises(ValidationError):
        ReportEvent.objects.filter(report=report).update(note="rewritten")
    with pytest.raises(ValidationError):
        AuditEntry.objects.all().delete()


@pytest.mark.parametrize("table", ["neutrality_reportevent", "neutrality_auditentry"])
def test_the_database_refuses_to_rewrite_history(report_factory, table):
    report_factory()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")


def test_admin_reads_the_audit_trail_and_edits_nothing(client, report_factory, django_user_model):
    report = report_factory()
    admin = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    client.force_login(admin)
    assert client.get("/admin/neutrality/auditentry/").status_code == 200
    entry = AuditEntry.objects.get(report=report)
    page = client.get(f"/admin/neutrality/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/neutrality/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/neutrality/report/").status_code == 200
    detail = client.get(f"/admin/neutrality/report/{report.pk}/change/").content.decode()
    assert report.reporter_nik not in detail
    assert client.get("/admin/neutrality/category/").status_code == 200


@pytest.fixture
def jatim_admin(make_user):
    """An administrator of Jawa Timur: staff, no Django permission granted."""
    return make_user(Role.ADMINISTRATOR, "35", username="jatim.admin", is_staff=True)


def _export_with_identity(client, officer):
    client.force_login(officer)
    url = reverse("neutrality:export", args=["csv"])
    assert client.get(url, {"identitas": "1"}).status_code == 200
    return AuditEntry.objects.get(action="export_identity", user=officer)


def test_administrators_read_the_audit_trail_of_their_region_and_edit_nothing(
    client, report_factory, pamekasan_bawaslu, pamekasan_office, jatim_admin, make_user
):
    pamekasan = report_factory()
    mahulu = report_factory(region=Region.objects.get(code="64.11.01"))
    mahulu_officer = make_user(Role.BAWASLU_OFFICER, "64.11", username="mahulu.bawaslu")
    own_export = _export_with_identity(client, pamekasan_bawaslu)
    other_export = _export_with_identity(client, mahulu_officer)
    assert own_export.region_id == "35.28" and other_export.region_id == "64.11"

    client.force_login(jatim_admin)
    listing = client.get("/admin/neutrality/auditentry/")
    assert listing.status_code == 200
    shown = set(listing.context["cl"].result_list.values_list("pk", flat=True))
    assert shown == set(
        AuditEntry.objects.filter(Q(report=pamekasan) | Q(pk=own_export.pk)).values_list(
            "pk", flat=True
        )
    )
    assert mahulu.pk not in AuditEntry.objects.filter(pk__in=shown).values_list(
        "report_id", flat=True
    )
    entry = AuditEntry.objects.filter(report=pamekasan).first()
    page = client.get(f"/admin/neutrality/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/neutrality/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.get(f"/admin/neutrality/auditentry/{other_export.pk}/change/").status_code == 302
    events = client.get("/admin/neutrality/reportevent/")
    assert events.status_code == 200
    assert {e.report_id for e in events.context["cl"].result_list} == {pamekasan.pk}


def test_a_nationwide_administrator_reads_every_entry_and_other_staff_none(
    client, report_factory, pamekasan_bawaslu, pamekasan_office, make_user
):
    report_factory()
    _export_with_identity(client, pamekasan_bawaslu)
    AuditEntry.objects.create(action="export_identity", detail="tanpa wilayah")
    nation = make_user(Role.ADMINISTRATOR, None, username="ri.admin", is_staff=True)
    client.force_login(nation)
    listing = client.get("/admin/neutrality/auditentry/")
    assert listing.context["cl"].result_count == AuditEntry.objects.count()
    # Staff without the Administrator role (a Kesbangpol staffer) read none of it.
    staffer = make_user(Role.DESK_STAFF, "35", username="jatim.staff", is_staff=True)
    client.force_login(staffer)
    assert client.get("/admin/neutrality/auditentry/").status_code == 403
    assert client.get("/admin/neutrality/reportevent/").status_code == 403


def test_an_export_spanning_offices_is_filed_under_the_region_holding_them(
    client, report_factory, make_user, pamekasan_office
):
    from neutrality.services import common_region

    assert common_region(["35.28", "35.29"]) == "35"
    assert common_region(["35.28", "64.11"]) is None
    assert common_region(["35.28"]) == "35.28"
    assert common_region([]) is None
    report_factory()
    report_factory(region=Region.objects.get(code="35.29.01"))
    officer = make_user(username="dua.kantor")
    for code in ("35.28", "35.29"):
        RoleAssignment.objects.create(
            user=officer, role=Role.BAWASLU_OFFICER, region=Region.objects.get(code=code)
        )
    assert _export_with_identity(client, officer).region_id == "35"


@pytest.mark.django_db(transaction=True)
def test_the_migration_files_existing_entries_under_a_region(live_db, django_user_model):
    from django.db.migrations.executor import MigrationExecutor

    from neutrality.models import Category, ReferralTarget
    from neutrality.reference import ensure_reference_data
    from neutrality.services import report_submit

    from .conftest import make_intake

    ensure_reference_data(Category, ReferralTarget)
    report = report_submit(intake=make_intake(), channel="public")
    officer = django_user_model.objects.create_user("pamekasan.lama")
    RoleAssignment.objects.create(
        user=officer, role=Role.BAWASLU_OFFICER, agency=report.office, region_id="35.28"
    )
    before = ("neutrality", "0003_register_number_unique_add_evidence_action")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("neutrality", "AuditEntry")
    old.objects.create(action="export_identity", user_id=officer.pk, detail="1 laporan")
    old.objects.create(action="export_identity", detail="tanpa pengguna")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # 0004 and whatever follows
    assert AuditEntry.objects.get(report=report).region_id == "35.28"
    assert AuditEntry.objects.get(user=officer).region_id == "35.28"
    assert AuditEntry.objects.get(detail="tanpa pengguna").region_id is None
    # The append-only trigger is back.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE neutrality_auditentry SET detail = 'x'")
