"""The audit trail and the status history are append-only: the model, bulk
queries, the database and the admin all refuse to change them."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

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
