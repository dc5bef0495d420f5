"""Room on every page for in-place (HOT) updates of the rows each write
rewrites. None of the columns an update changes is indexed, so when the new
version fits on the page PostgreSQL leaves the indexes alone.

- The village flags, the rollups and today's progress point (50): with full
  pages a national import's refresh inserted into every index of 78,370 item
  rollup rows (2 s instead of 0.15 s).
- The delivery rows, 60 → 45: a correction of every row of a page needs room
  for a second version of each (60 left room for two thirds: a third of a
  national correction's updates went to other pages and into all three
  indexes). 45 rather than 50 because the first update of a row also fills
  ``updated_at`` and ``updated_by``.

Tables already holding rows get the space as their pages are rewritten
(``VACUUM FULL`` gives it at once)."""

from django.db import migrations

FILLFACTOR = {
    "logistics_delivery": (45, 60),
    "logistics_village": (50, None),
    "logistics_arearollup": (50, None),
    "logistics_itemrollup": (50, None),
    "logistics_progresspoint": (50, None),
}


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, (fillfactor, _before) in FILLFACTOR.items():
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, (_fillfactor, before) in FILLFACTOR.items():
            if before:
                schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {before})")
            else:
                schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("logistics", "0003_delivery_fillfactor")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
