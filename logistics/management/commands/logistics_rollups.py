"""Recompute every rollup from the village rows and report the drift:
`manage.py logistics_rollups` (report; exit 1 on drift) or `--fix`."""

from collections import defaultdict

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from logistics.models import AreaRollup, ItemRollup, Problem

AREA_FIELDS = ["desa_count", "desa_complete", "tps", "dpt", "open_problems"]
ITEM_FIELDS = ["required", "sent", "received", "damaged", "desa_complete"]


def _up(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, min(len(parts), 3) + 1)]


def expected() -> tuple[dict, dict]:
    area: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
    items: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0] * 5)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT district_id, COUNT(*), SUM(CASE WHEN complete THEN 1 ELSE 0 END),
                      SUM(tps), SUM(CASE WHEN dpt_governor > dpt_local THEN dpt_governor
                                         ELSE dpt_local END)
               FROM logistics_village GROUP BY district_id"""
        )
        for district, *values in cursor.fetchall():
            for code in _up(district):
                for i, v in enumerate(values):
                    area[code][i] += int(v or 0)
        cursor.execute(
            """SELECT v.district_id, d.item_id, SUM(d.required), SUM(d.sent), SUM(d.received),
                      SUM(d.damaged), SUM(CASE WHEN d.complete THEN 1 ELSE 0 END)
               FROM logistics_delivery d JOIN logistics_village v ON v.region_id = d.village_id
               GROUP BY v.district_id, d.item_id"""
        )
        for district, item, *values in cursor.fetchall():
            for code in _up(district):
                for i, v in enumerate(values):
                    items[(code, item)][i] += int(v or 0)
    for region in Problem.objects.exclude(status=Problem.Status.RESOLVED).values_list(
        "region_id", flat=True
    ):
        for code in _up(region):
            area[code][4] += 1
    return area, items


def compute_drift(*, fix: bool = False) -> list[tuple]:
    """[(region, item or None, field, stored, expected)]; with ``fix``, the
    stored rows are overwritten with the expected values."""
    with transaction.atomic():
        if fix:
            # Every writer takes these row locks first: none runs meanwhile.
            list(AreaRollup.objects.select_for_update().order_by("region_id").values_list("pk"))
        area, items = expected()
        drift = []
        stored_area = {r.region_id: r for r in AreaRollup.objects.all()}
        for code in sorted(set(area) | set(stored_area)):
            want = area.get(code, [0] * 5)
            row = stored_area.get(code)
            have = [getattr(row, f) for f in AREA_FIELDS] if row else [0] * 5
            for f, h, w in zip(AREA_FIELDS, have, want, strict=True):
                if h != w:
                    drift.append((code, None, f, h, w))
            if fix and have != want:
                AreaRollup.objects.update_or_create(
                    region_id=code,
                    defaults={
                        "parent_id": code.rpartition(".")[0] or None,
                        **dict(zip(AREA_FIELDS, want, strict=True)),
                    },
                )
        stored_items = {(r.region_id, r.item_id): r for r in ItemRollup.objects.all()}
        for key in sorted(set(items) | set(stored_items)):
            want = items.get(key, [0] * 5)
            row = stored_items.get(key)
            have = [getattr(row, f) for f in ITEM_FIELDS] if row else [0] * 5
            for f, h, w in zip(ITEM_FIELDS, have, want, strict=True):
                if h != w:
                    drift.append((key[0], key[1], f, h, w))
            if fix and have != want:
                ItemRollup.objects.update_or_create(
                    region_id=key[0],
                    item_id=key[1],
                    defaults=dict(zip(ITEM_FIELDS, want, strict=True)),
                )
    return drift


class Command(BaseCommand):
    help = "Recompute logistics rollups from the village rows; report (and --fix) any drift."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="overwrite drifted rollups")

    def handle(self, *args, fix=False, **options):
        drift = compute_drift(fix=fix)
        for region, item, field, have, want in drift[:100]:
            self.stdout.write(f"{region} {item or '-'} {field}: {have} ≠ {want}")
        self.stdout.write(f"{len(drift)} drifted value(s)" + (" fixed" if fix and drift else ""))
        if drift and not fix:
            raise SystemExit(1)
