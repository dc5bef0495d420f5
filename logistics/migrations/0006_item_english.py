"""English names and units of the items of 0002, for the English UI. Data:
an item added in the admin gets its own, or shows its Indonesian name."""

from django.db import migrations, models

ENGLISH = {
    "surat-suara-gubernur": ("Governor ballot papers", "sheets"),
    "surat-suara-bupati-walikota": ("Regent/mayor ballot papers", "sheets"),
    "kotak-suara": ("Ballot boxes", "pieces"),
    "bilik-suara": ("Voting booths", "pieces"),
    "tinta": ("Ink", "bottles"),
    "segel": ("Seals and cable ties", "sets"),
    "formulir-c-kwk": ("Forms Model C-KWK", "sets"),
    "sampul": ("Envelopes", "sets"),
    "salinan-dpt": ("Copies of the voter list (DPT/DPTb)", "copies"),
    "alat-coblos": ("Punches and pads", "sets"),
}


def name_items(apps, schema_editor):
    Item = apps.get_model("logistics", "Item")
    for item in Item.objects.filter(code__in=ENGLISH, name_en=""):
        item.name_en, item.unit_en = ENGLISH[item.code]
        item.save(update_fields=["name_en", "unit_en"])


class Migration(migrations.Migration):
    dependencies = [("logistics", "0005_village_history")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="name_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="nama (Inggris)"),
        ),
        migrations.AddField(
            model_name="item",
            name="unit_en",
            field=models.CharField(blank=True, max_length=20, verbose_name="satuan (Inggris)"),
        ),
        migrations.RunPython(name_items, migrations.RunPython.noop),
    ]
