"""Audit entries carry the region whose administrators read them.

Backfill: an entry about a report takes the region of the report's office
now (a re-routed report's earlier entries go with it); an export without a
report takes the region holding every office its author is an officer of;
otherwise it stays empty, read by nationwide administrators only. On
PostgreSQL the append-only trigger is set aside for this one statement set
and restored in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

TRIGGER = "neutrality_auditentry_append_only"


def _common(codes):
    split = [code.split(".") for code in codes if code]
    common = []
    for parts in zip(*split, strict=False) if split else ():
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return ".".join(common) or None


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("neutrality", "AuditEntry")
    Report = apps.get_model("neutrality", "Report")
    RoleAssignment = apps.get_model("desk", "RoleAssignment")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE neutrality_auditentry DISABLE TRIGGER {TRIGGER}")
    AuditEntry.objects.filter(report__isnull=False).update(
        region=Subquery(
            Report.objects.filter(pk=OuterRef("report_id")).values("office__region_id")[:1]
        )
    )
    authors = (
        AuditEntry.objects.filter(report__isnull=True, user__isnull=False)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in list(authors):
        codes = [
            agency_region or region
            for agency_region, region in RoleAssignment.objects.filter(
                user_id=user_id, role="bawaslu_officer"
            ).values_list("agency__region_id", "region_id")
        ]
        if codes and all(codes):
            AuditEntry.objects.filter(report__isnull=True, user_id=user_id).update(
                region_id=_common(codes)
            )
    if postgres:
        # Run the new foreign key's deferred checks now: ALTER TABLE refuses
        # a table with pending trigger events.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE neutrality_auditentry ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0002_region_code_prefix_index"),
        ("neutrality", "0003_register_number_unique_add_evidence_action"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="region",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="desk.region",
                verbose_name="wilayah",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
