"""Keeping AreaRollup / ItemRollup equal to the village rows.

Every writer (form, import, API, problems) calls ``lock_areas`` with the
kecamatan it touches *before* changing anything: that locks the AreaRollup rows
of those kecamatan and of their kabupaten/kota and province, in code order
("64" < "64.11" < "64.11.01"), so two writers never wait on each other in a
cycle and a writer always recomputes from rows no one else is changing.
After the change, ``refresh`` recomputes the touched kecamatan from their
village rows and then their kabupaten/kota and province from the kecamatan
rows: set-based SQL, in the caller's transaction. A write of delivery rows
(services.deliveries_update / deliveries_import) instead moves the kecamatan
item rollups by the sums of what it changed, which it collects while writing.
Open-problem counts are not derived from villages; problem services move them
with increments under the same locks.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import F
from django.utils import timezone

from desk.models import Region
from logistics.models import AreaRollup


def ancestors_of(district_codes: Iterable[str]) -> list[str]:
    """The kecamatan codes plus their kabupaten/kota and province, sorted."""
    codes = set()
    for code in district_codes:
        parts = code.split(".")
        codes.update(".".join(parts[:i]) for i in range(1, min(len(parts), 3) + 1))
    return sorted(codes)


def ensure_areas(district_codes: Iterable[str]) -> None:
    codes = ancestors_of(district_codes)
    # Nearly always there already: one read is cheaper than an insert that
    # conflicts on every row (7,837 of them for a national import).
    missing = set(codes) - set(
        AreaRollup.objects.filter(region_id__in=codes).values_list("region_id", flat=True)
    )
    AreaRollup.objects.bulk_create(
        [AreaRollup(region_id=c, parent_id=c.rpartition(".")[0] or None) for c in sorted(missing)],
        ignore_conflicts=True,
    )


def lock_areas(district_codes: Iterable[str]) -> list[str]:
    """Lock the rollup rows of these kecamatan and everything above them."""
    district_codes = list(district_codes)
    ensure_areas(district_codes)
    codes = ancestors_of(district_codes)
    # ORDER BY under FOR UPDATE: PostgreSQL locks rows in this order.
    list(
        AreaRollup.objects.select_for_update()
        .filter(region_id__in=codes)
        .order_by("region_id")
        .values_list("region_id", flat=True)
    )
    return codes


def _in(codes: list[str]) -> tuple[str, list[str]]:
    return ", ".join(["%s"] * len(codes)), list(codes)


def refresh(district_codes: Iterable[str], *, item_deltas: str | None = None) -> None:
    """Recompute the rollups of these kecamatan from their village rows, then
    of their kabupaten/kota and province. Call under ``lock_areas``.

    ``item_deltas`` names a table of (region_id, item_id, sent, received,
    damaged, desa_complete): how a write of delivery rows changed each sum of
    a kecamatan and item. Those item rollups then move by it instead of being
    summed again from every delivery row of the kecamatan (most of a national
    import's refresh, and a scan of every delivery row for a one-desa form:
    nothing indexes the delivery rows by kecamatan). The sums stay exact: the
    rollup rows are locked and every writer keeps them in step."""
    districts = sorted(set(district_codes))
    if not districts:
        return
    codes = ancestors_of(districts)
    regencies = [c for c in codes if c.count(".") == 1]
    provinces = [c for c in codes if "." not in c]
    marks, d_params = _in(districts)
    d_where = f"v.district_id IN ({marks})"
    # A desa code is its kecamatan's code plus four digits: no join needed.
    i_where = f"substr(d.village_id, 1, 8) IN ({marks})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE logistics_arearollup SET desa_count = s.n, desa_complete = s.c,
                tps = s.tps, dpt = s.dpt
            FROM (SELECT v.district_id, COUNT(*) AS n,
                         SUM(CASE WHEN v.complete THEN 1 ELSE 0 END) AS c, SUM(v.tps) AS tps,
                         SUM(CASE WHEN v.dpt_governor > v.dpt_local THEN v.dpt_governor
                                  ELSE v.dpt_local END) AS dpt
                  FROM logistics_village v WHERE {d_where} GROUP BY v.district_id) s
            WHERE logistics_arearollup.region_id = s.district_id
            """,
            d_params,
        )
        if item_deltas is None or not _move_items(cursor, item_deltas):
            cursor.execute(
                f"""
                INSERT INTO logistics_itemrollup
                    (region_id, item_id, required, sent, received, damaged, desa_complete)
                SELECT substr(d.village_id, 1, 8), d.item_id, SUM(d.required), SUM(d.sent),
                       SUM(d.received), SUM(d.damaged),
                       SUM(CASE WHEN d.complete THEN 1 ELSE 0 END)
                FROM logistics_delivery d
                WHERE {i_where} GROUP BY substr(d.village_id, 1, 8), d.item_id
                ON CONFLICT (region_id, item_id) DO UPDATE SET required = excluded.required,
                    sent = excluded.sent, received = excluded.received,
                    damaged = excluded.damaged, desa_complete = excluded.desa_complete
                """,
                d_params,
            )
        for level_codes in (regencies, provinces):
            marks, params = _in(level_codes)
            cursor.execute(
                f"""
                UPDATE logistics_arearollup SET desa_count = s.n, desa_complete = s.c,
                    tps = s.tps, dpt = s.dpt
                FROM (SELECT parent_id, SUM(desa_count) AS n, SUM(desa_complete) AS c,
                             SUM(tps) AS tps, SUM(dpt) AS dpt
                      FROM logistics_arearollup WHERE parent_id IN ({marks})
                      GROUP BY parent_id) s
                WHERE logistics_arearollup.region_id = s.parent_id
                """,
                params,
            )
            cursor.execute(
                f"""
                INSERT INTO logistics_itemrollup
                    (region_id, item_id, required, sent, received, damaged, desa_complete)
                SELECT a.parent_id, i.item_id, SUM(i.required), SUM(i.sent), SUM(i.received),
                       SUM(i.damaged), SUM(i.desa_complete)
                FROM logistics_itemrollup i
                JOIN logistics_arearollup a ON a.region_id = i.region_id
                WHERE a.parent_id IN ({marks}) GROUP BY a.parent_id, i.item_id
                ON CONFLICT (region_id, item_id) DO UPDATE SET required = excluded.required,
                    sent = excluded.sent, received = excluded.received,
                    damaged = excluded.damaged, desa_complete = excluded.desa_complete
                """,
                params,
            )
        # Today's point of the progress chart, for every area touched.
        marks, params = _in(codes)
        cursor.execute(
            f"""
            INSERT INTO logistics_progresspoint (region_id, day, desa_count, desa_complete)
            SELECT region_id, %s, desa_count, desa_complete FROM logistics_arearollup
            WHERE region_id IN ({marks})
            ON CONFLICT (region_id, day) DO UPDATE SET desa_count = excluded.desa_count,
                desa_complete = excluded.desa_complete
            """,
            [timezone.localdate(), *params],
        )


def _move_items(cursor, item_deltas: str) -> bool:
    """Add the changes to the kecamatan item rollups. False when a rollup row
    is missing (then the caller sums them again from the delivery rows)."""
    cursor.execute(
        f"""
        UPDATE logistics_itemrollup r SET sent = r.sent + t.sent,
            received = r.received + t.received, damaged = r.damaged + t.damaged,
            desa_complete = r.desa_complete + t.desa_complete
        FROM {item_deltas} t
        WHERE r.region_id = t.region_id AND r.item_id = t.item_id
        """
    )
    moved = cursor.rowcount
    cursor.execute(f"SELECT COUNT(*) FROM {item_deltas}")
    return moved == cursor.fetchone()[0]


def refresh_village_flags(village_where: str, params: list, *, deliveries: bool) -> None:
    """Recompute ``complete`` of villages (and first of their deliveries when
    ``deliveries``) matched by ``village_where``, an SQL condition on
    ``village_id``."""
    with connection.cursor() as cursor:
        if deliveries:
            cursor.execute(
                f"""
                UPDATE logistics_delivery SET complete = (
                    required = 0 OR (stage = 4 AND received - damaged >= required))
                WHERE {village_where}
                """,
                params,
            )
        cursor.execute(
            f"""
            UPDATE logistics_village SET complete = s.ok AND logistics_village.tps > 0
            FROM (SELECT village_id,
                         MIN(CASE WHEN complete THEN 1 ELSE 0 END) = 1 AS ok
                  FROM logistics_delivery WHERE {village_where}
                    -- An item taken out of use no longer holds a desa back.
                    AND item_id IN (SELECT id FROM logistics_item WHERE is_active)
                  GROUP BY village_id) s
            WHERE logistics_village.region_id = s.village_id
              -- A desa without a TPS needs nothing, but is not "complete":
              -- a TPS count typed as 0 must not raise the share.
              AND logistics_village.complete <> (s.ok AND logistics_village.tps > 0)
            """,
            params,
        )


def bump_open_problems(region: Region, delta: int) -> None:
    """Move the open-problem count of the areas containing ``region`` (its
    kecamatan and above). Call under ``lock_areas``."""
    codes = [c for c in region.ancestor_codes() if c.count(".") <= 2]
    AreaRollup.objects.filter(region_id__in=codes).update(open_problems=F("open_problems") + delta)


def district_of(code: str) -> str:
    return ".".join(code.split(".")[:3])
