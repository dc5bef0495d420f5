"""The 3(+2)-day follow-up runs from registration (a report counts as
received once registered, docs/domain.md B); before it, the initial study's
deadline (settings.NEUTRALITY_INITIAL_STUDY_DAYS).

Backfill: a registered report's registration date is the local date (its
incident region's zone) of its "registered" event; the deadline of every
open report is recomputed: received + initial study days before
registration, registered + 3 after, + 2 when more information was asked.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db import migrations, models

FOLLOW_UP_DAYS, EXTENSION_DAYS = 3, 2
OPEN = ("received", "registered", "under_study", "info_requested")


def backfill(apps, schema_editor):
    Report = apps.get_model("neutrality", "Report")
    ReportEvent = apps.get_model("neutrality", "ReportEvent")
    initial = datetime.timedelta(days=settings.NEUTRALITY_INITIAL_STUDY_DAYS)
    for report in Report.objects.exclude(register_number="").select_related("region"):
        event = (
            ReportEvent.objects.filter(report_id=report.pk, to_status="registered")
            .order_by("at", "pk")
            .first()
        )
        zone = zoneinfo.ZoneInfo(report.region.timezone)
        report.registered_on = event.at.astimezone(zone).date() if event else report.received_on
        if report.status in OPEN:
            extended = ReportEvent.objects.filter(
                report_id=report.pk, to_status="info_requested"
            ).exists()
            days = FOLLOW_UP_DAYS + (EXTENSION_DAYS if extended else 0)
            report.due_on = report.registered_on + datetime.timedelta(days=days)
        report.save(update_fields=["registered_on", "due_on"])
    for report in Report.objects.filter(status="received", register_number=""):
        report.due_on = report.received_on + initial
        report.save(update_fields=["due_on"])


class Migration(migrations.Migration):
    dependencies = [("neutrality", "0004_auditentry_region")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="registered_on",
            field=models.DateField(
                blank=True,
                help_text="Tanggal lokal wilayah.",
                null=True,
                verbose_name="tanggal registrasi",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
