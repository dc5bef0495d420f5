from django.db import migrations


def create_prefix_index(apps, schema_editor):
    # Subtree queries are `code LIKE '64.%'`. Under a non-C collation a plain
    # btree cannot serve LIKE prefixes; varchar_pattern_ops can. The same for
    # every table that filters by region through scope.py is added by its app.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS region_code_prefix ON desk_region (code varchar_pattern_ops)"
        )


def drop_prefix_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS region_code_prefix")


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]

    operations = [migrations.RunPython(create_prefix_index, drop_prefix_index)]
