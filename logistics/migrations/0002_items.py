"""The items of UU Pilkada Art. 78(1) and the supplies packed per TPS
(docs/domain.md E). Quantities per TPS marked [U] there are starting values, edited
in the admin, not code."""

from django.db import migrations

ITEMS = [
    # code, name, unit, basis, factor, reserve %
    ("surat-suara-gubernur", "Surat suara gubernur", "lembar", "ballots_governor", 1, 2.5),
    ("surat-suara-bupati-walikota", "Surat suara bupati/wali kota", "lembar", "ballots_local", 1, 2.5),
    ("kotak-suara", "Kotak suara", "buah", "per_tps", 2, 0),
    ("bilik-suara", "Bilik suara", "buah", "per_tps", 4, 0),
    ("tinta", "Tinta", "botol", "per_tps", 2, 0),
    ("segel", "Segel dan kabel ties", "set", "per_tps", 1, 0),
    ("formulir-c-kwk", "Formulir Model C-KWK", "set", "per_tps", 1, 0),
    ("sampul", "Sampul", "set", "per_tps", 1, 0),
    ("salinan-dpt", "Salinan DPT/DPTb", "rangkap", "per_tps", 1, 0),
    ("alat-coblos", "Alat coblos dan bantalan", "set", "per_tps", 4, 0),
]


def add_items(apps, schema_editor):
    Item = apps.get_model("logistics", "Item")
    for order, (code, name, unit, basis, factor, reserve) in enumerate(ITEMS, start=1):
        Item.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "basis": basis,
                "factor": factor,
                "reserve_percent": reserve,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("logistics", "0001_initial")]

    operations = [migrations.RunPython(add_items, migrations.RunPython.noop)]
