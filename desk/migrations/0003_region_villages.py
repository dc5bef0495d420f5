from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Substr


def count_villages(apps, schema_editor):
    """The same as desk.regions.count_villages, for regions already loaded."""
    Region = apps.get_model("desk", "Region")
    counts = {}
    for length in (2, 5, 8):
        rows = (
            Region.objects.filter(level="village")
            .annotate(prefix=Substr("code", 1, length))
            .values_list("prefix")
            .annotate(n=Count("code"))
            .order_by()
        )
        counts.update(rows)
    changed = []
    for region in Region.objects.exclude(level="village").only("code", "villages"):
        if counts.get(region.code, 0):
            region.villages = counts[region.code]
            changed.append(region)
    Region.objects.bulk_update(changed, ["villages"], batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0002_region_code_prefix_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="region",
            name="villages",
            field=models.PositiveIntegerField(
                db_default=0, default=0, verbose_name="jumlah desa/kelurahan"
            ),
        ),
        migrations.RunPython(count_villages, migrations.RunPython.noop),
    ]
