"""Starting data: the SKB 2022 violation types (Lampiran II) and the referral
targets with their periods (KASN until 23 Aug 2024, BKN since 24 Aug 2024).
Both stay editable in the admin. On PostgreSQL a trigger refuses UPDATE and
DELETE on the event and audit tables, whatever code path tries."""

from django.db import migrations

from neutrality.reference import ensure_reference_data

TRIGGER = """
CREATE OR REPLACE FUNCTION neutrality_refuse_rewrite() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = 'append-only table ' || TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER neutrality_reportevent_append_only BEFORE UPDATE OR DELETE
  ON neutrality_reportevent FOR EACH ROW EXECUTE FUNCTION neutrality_refuse_rewrite();
CREATE TRIGGER neutrality_auditentry_append_only BEFORE UPDATE OR DELETE
  ON neutrality_auditentry FOR EACH ROW EXECUTE FUNCTION neutrality_refuse_rewrite();
"""

UNTRIGGER = """
DROP TRIGGER IF EXISTS neutrality_reportevent_append_only ON neutrality_reportevent;
DROP TRIGGER IF EXISTS neutrality_auditentry_append_only ON neutrality_auditentry;
DROP FUNCTION IF EXISTS neutrality_refuse_rewrite();
"""


def seed(apps, schema_editor):
    ensure_reference_data(
        apps.get_model("neutrality", "Category"), apps.get_model("neutrality", "ReferralTarget")
    )


def triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def untriggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNTRIGGER)


class Migration(migrations.Migration):
    dependencies = [("neutrality", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(triggers, untriggers),
    ]
