import pytest

from desk.models import Region, Role
from logistics import services

# Kecamatan Long Apari, Mahakam Ulu (64.11.01) and two of its desa; a second
# kecamatan of the same kabupaten.
DISTRICT = "64.11.01"


def villages_of(district: str, n: int | None = None) -> list[str]:
    codes = list(
        Region.objects.filter(parent_id=district).order_by("code").values_list("code", flat=True)
    )
    return codes[:n] if n else codes


@pytest.fixture
def mahulu(db):
    """Every desa of Kabupaten Mahakam Ulu with 2 TPS and 500 voters."""
    codes = list(
        Region.objects.filter(code__startswith="64.11.", level="village").values_list(
            "code", flat=True
        )
    )
    services.villages_set_counts(dict.fromkeys(codes, (2, 500, 500)))
    return codes


@pytest.fixture
def kaltim_logistik(make_user):
    return make_user(Role.LOGISTICS_OFFICER, "64", username="kaltim.logistik")


@pytest.fixture
def kaltim_sekda(make_user):
    return make_user(Role.VIEWER, "64", username="kaltim.sekda")


def complete_rows(codes, line=1, stage=4):
    """Rows that deliver every item in full to the TPS of these desa."""
    from logistics.models import Delivery

    rows = []
    for d in Delivery.objects.filter(village_id__in=codes).select_related("item"):
        rows.append((line, d.village_id, d.item.code, stage, d.required, d.required, 0, ""))
        line += 1
    return rows


@pytest.fixture(autouse=True)
def logistics_items(request):
    """The items of migration 0002. Transactional tests (live server,
    concurrency) flush every table when they end, data migrations included."""
    names = request.fixturenames
    if "live_db" in names:
        request.getfixturevalue("live_db")
    elif "db" in names:
        request.getfixturevalue("db")
    else:
        return
    ensure_items()


def ensure_items():
    from django.apps import apps

    from logistics.models import Item

    if not Item.objects.exists():
        import importlib

        importlib.import_module("logistics.migrations.0002_items").add_items(apps, None)
        importlib.import_module("logistics.migrations.0006_item_english").name_items(apps, None)
