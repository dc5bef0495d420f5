"""import_regions: the full Kemendagri hierarchy, strict, atomic, idempotent."""

import gzip
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from desk.models import Region
from desk.regions import DATA_DIR

pytestmark = pytest.mark.django_db


def test_full_import_counts_every_level_and_kind():
    call_command("import_regions", verbosity=0)
    levels = {level: Region.objects.filter(level=level).count() for level in Region.Level.values}
    assert levels == {"province": 38, "regency": 514, "district": 7285, "village": 83762}
    kinds = dict(
        Region.objects.filter(level="village").values_list("kind").annotate(n=Count("code"))
    )
    assert kinds == {"kelurahan": 8496, "desa": 75252, "desa_adat": 14}
    assert Region.objects.filter(kind="kabupaten").count() == 415
    assert Region.objects.filter(kind="kota").count() == 93
    assert Region.objects.filter(kind__in=["kabupaten_adm", "kota_adm"]).count() == 6
    # A second run changes nothing.
    before = list(Region.objects.order_by("code").values_list("code", "name", "parent_id"))
    call_command("import_regions", verbosity=0)
    after = list(Region.objects.order_by("code").values_list("code", "name", "parent_id"))
    assert before == after


def test_time_zones_follow_the_province():
    assert Region.objects.get(code="64.11").timezone == "Asia/Makassar"  # Mahakam Ulu, WITA
    assert Region.objects.get(code="35.28").timezone == "Asia/Jakarta"  # Pamekasan, WIB
    assert Region.objects.get(code="91").timezone == "Asia/Jayapura"  # Papua, WIT
    assert Region.objects.get(code="61").timezone == "Asia/Jakarta"  # Kalbar is WIB


def _copy_data(tmp_path):
    for path in DATA_DIR.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _rewrite(path, transform):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        lines = handle.read().split("\n")
    lines = transform(lines)
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(lines))


def test_renamed_village_is_updated(tmp_path):
    data = _copy_data(tmp_path)
    _rewrite(
        data / "villages.csv.gz",
        lambda lines: [
            line.replace("64.11.01.2001,64.11.01,", "64.11.01.2001,64.11.01,Nama Baru ", 1)
            for line in lines
        ],
    )
    old = Region.objects.get(code="64.11.01.2001").name
    call_command("import_regions", path=data, verbosity=0)
    assert Region.objects.get(code="64.11.01.2001").name == f"Nama Baru {old}"


@pytest.mark.parametrize(
    ("filename", "transform", "message"),
    [
        (
            "districts.csv.gz",
            lambda lines: lines[:10] + ["64.99.01,64.99,Kecamatan Yatim"] + lines[10:],
            "districts.csv.gz, line 11: parent '64.99'",
        ),
        (
            "villages.csv.gz",
            lambda lines: lines[:5] + ['11.01.01.2999,11.01.01,"Broken "quote"'] + lines[5:],
            "villages.csv.gz, line 6",
        ),
        (
            "regencies.csv.gz",
            lambda lines: lines[:3] + ["11.1,11,Kabupaten Salah"] + lines[3:],
            "regencies.csv.gz, line 4: code '11.1' is not a regency code",
        ),
    ],
)
def test_broken_file_is_refused_with_its_line_and_nothing_changes(
    tmp_path, filename, transform, message
):
    data = _copy_data(tmp_path)
    _rewrite(data / filename, transform)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(name) FROM desk_region")
        before = cursor.fetchone()
    with pytest.raises(CommandError, match="Nothing was loaded") as error:
        call_command("import_regions", path=data, verbosity=0)
    assert message in str(error.value)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(name) FROM desk_region")
        assert cursor.fetchone() == before


def test_quoted_commas_and_doubled_quotes_are_parsed():
    call_command("import_regions", verbosity=0)
    assert Region.objects.filter(name="Lubuk Pakam I,II").exists()
    assert Region.objects.filter(name__contains='Soka"an').exists()


def test_subtree_query_uses_the_prefix_index():
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT code FROM desk_region WHERE code::text LIKE %s", ["64.11.%"])
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "region_code_prefix" in plan
