"""Room in each page of logistics_delivery for in-place (HOT) updates: an
import rewrites most rows, and none of the columns it changes is indexed."""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE logistics_delivery SET (fillfactor = 60)")


class Migration(migrations.Migration):
    dependencies = [("logistics", "0002_items")]

    operations = [migrations.RunPython(set_fillfactor, migrations.RunPython.noop)]
