"""Logistics at national scale: all 83,762 desa × every item.

Prints, in one run: the national and a provincial dashboard's server time
beside the raw SQL GROUP BY over the village rows computing the same numbers
(goal: ratio below 1), SQL queries per page, and the import of a full-country
CSV beside PostgreSQL COPY of the same file into a bare table (goal: ≤ 3×):
once as generated (some rows already up to date), once changing every row,
once more unchanged; and the floor of any import that keeps a history row
per change (COPY plus one bare UPDATE and history INSERT, rolled back).
"""

import io
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import row, setup_bench_db, timed

PROVINCE = "35"  # Jawa Timur: the most desa of any province


def best_of(fn, n=5) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generate(connection):
    from desk.models import Region
    from logistics import rollups
    from logistics.models import Item

    rng = random.Random(2024)
    items = list(Item.objects.filter(is_active=True))
    villages = list(
        Region.objects.filter(level="village").values_list("code", "parent_id").order_by("code")
    )
    vbuf, dbuf = io.StringIO(), io.StringIO()
    delivery_id = 0
    for code, district in villages:
        tps = rng.randint(1, 15)
        dpt = tps * rng.randint(150, 580)
        stage = rng.choice([1, 2, 3, 4, 4])
        vbuf.write(f"{code}\t{district}\t{tps}\t{dpt}\t{dpt}\tf\t2024-11-20 00:00:00+00\n")
        for item in items:
            need = item.required_for(tps=tps, dpt_governor=dpt, dpt_local=dpt)
            delivery_id += 1
            got = need if stage >= 2 else 0
            done = "t" if stage == 4 and got >= need else "f"
            dbuf.write(
                f"{delivery_id}\t{code}\t{item.pk}\t{need}\t{stage}\t{need}\t{got}\t0\t{done}\n"
            )
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY logistics_village (region_id, district_id, tps, dpt_governor, dpt_local,"
            " complete, updated_at) FROM STDIN"
        ) as copy:
            copy.write(vbuf.getvalue())
        with raw.cursor().copy(
            "COPY logistics_delivery (id, village_id, item_id, required, stage, sent,"
            " received, damaged, complete) FROM STDIN"
        ) as copy:
            copy.write(dbuf.getvalue())
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('logistics_delivery', 'id'), %s)",
            [delivery_id],
        )
        rollups.refresh_village_flags("1 = 1", [], deliveries=False)
        cursor.execute("ANALYZE logistics_village")
        cursor.execute("ANALYZE logistics_delivery")
    districts = sorted({d for _, d in villages})
    rollups.ensure_areas(districts)
    rollups.refresh(districts)
    return len(villages), delivery_id, len(items)


BASELINE_SQL = {
    # The same numbers as the dashboard, straight from the village rows.
    "national": [
        """SELECT substr(v.district_id, 1, 2), COUNT(*),
                  SUM(CASE WHEN v.complete THEN 1 ELSE 0 END), SUM(v.tps)
           FROM logistics_village v GROUP BY 1""",
        """SELECT d.item_id, SUM(d.required), SUM(d.sent), SUM(d.received), SUM(d.damaged)
           FROM logistics_delivery d GROUP BY d.item_id""",
    ],
    "province": [
        f"""SELECT substr(v.district_id, 1, 5), COUNT(*),
                   SUM(CASE WHEN v.complete THEN 1 ELSE 0 END), SUM(v.tps)
            FROM logistics_village v WHERE v.district_id LIKE '{PROVINCE}.%%' GROUP BY 1""",
        f"""SELECT d.item_id, SUM(d.required), SUM(d.sent), SUM(d.received), SUM(d.damaged)
            FROM logistics_delivery d WHERE d.village_id LIKE '{PROVINCE}.%%'
            GROUP BY d.item_id""",
    ],
}


FLOOR_SQL = """
WITH old AS (
    SELECT d.id, d.stage, d.sent, d.received, d.damaged,
           s.tahap::smallint AS stage_new, s.dikirim::integer AS sent_new,
           s.diterima::integer AS received_new, s.rusak::integer AS damaged_new
    FROM bench_floor s
    JOIN logistics_item i ON i.code = s.barang
    JOIN logistics_delivery d ON d.village_id = s.kode_desa AND d.item_id = i.id
    WHERE (d.stage, d.sent, d.received, d.damaged) IS DISTINCT FROM
          (s.tahap::smallint, s.dikirim::integer, s.diterima::integer, s.rusak::integer)
), moved AS (
    UPDATE logistics_delivery d
    SET stage = o.stage_new, sent = o.sent_new, received = o.received_new,
        damaged = o.damaged_new
    FROM old o WHERE d.id = o.id
)
INSERT INTO logistics_deliveryevent
    (delivery_id, at, user_id, source, job_id, stage_before, stage_after,
     sent_before, sent_after, received_before, received_after,
     damaged_before, damaged_after, reason)
SELECT id, now(), NULL, 'import', NULL, stage, stage_new, sent, sent_new,
       received, received_new, damaged, damaged_new, ''
FROM old
"""


class _RolledBack(Exception):
    pass


def _floor(connection, transaction, data: bytes, results) -> int:
    """Time COPY plus FLOOR_SQL in a transaction, then roll it back."""
    changed = 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with timed(results, "floor"):
                cursor.execute(
                    "CREATE TEMP TABLE bench_floor (kode_desa text, barang text, tahap text, "
                    "dikirim text, diterima text, rusak text, alasan text)"
                )
                sql = "COPY bench_floor FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
                with cursor.connection.cursor().copy(sql) as copy:
                    copy.write(data)
                cursor.execute("SET LOCAL work_mem = '128MB'")
                cursor.execute(FLOOR_SQL)
                changed = cursor.rowcount
            raise _RolledBack
    except _RolledBack:
        pass
    return changed


def main():
    setup_bench_db()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from desk.elections import load_spec, round_load
    from desk.models import Role, RoleAssignment
    from desk.regions import import_regions
    from desk.scope import Scope
    from logistics import services
    from logistics.management.commands.logistics_rollups import compute_drift
    from logistics.models import Delivery

    results: dict[str, float] = {}
    import_regions()
    round_load(spec=load_spec())
    with timed(results, "generate"), transaction.atomic():
        n_villages, n_deliveries, n_items = generate(connection)
    # A nationwide viewer (the Sekda's role at national level): a superuser
    # would first be asked for a second factor.
    user = get_user_model().objects.create_user("bench", "b@example.org", "x")
    RoleAssignment.objects.create(user=user, role=Role.VIEWER, region=None)
    client = Client()
    client.force_login(user)

    pages = {"national": "/logistics/nasional/", "province": f"/logistics/wilayah/{PROVINCE}/"}
    queries = {}
    for key, url in pages.items():
        assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries[key] = len(ctx)
        results[f"{key}_page"] = best_of(lambda url=url: client.get(url))

        def baseline(key=key):
            with connection.cursor() as cursor:
                for sql in BASELINE_SQL[key]:
                    cursor.execute(sql)
                    cursor.fetchall()

        results[f"{key}_sql"] = best_of(baseline)

    folder = Path(tempfile.mkdtemp())
    nation = Scope(True, ())

    def write_csv(name, line):
        """A full-country CSV, one line per (desa, item): line(desa, item, need)."""
        lines = ["kode_desa;barang;tahap;dikirim;diterima;rusak;alasan"]
        for village, item, need in Delivery.objects.values_list(
            "village_id", "item__code", "required"
        ).iterator(chunk_size=50_000):
            lines.append(line(village, item, need))
        path = folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def import_file(path, key):
        # End to end from the file's bytes: read, check, write, history, rollups.
        with timed(results, key):
            result = services.deliveries_import(
                path.read_bytes(), path.name, user=user, scope=nation
            )
        assert result.rows == n_deliveries, result
        return result.changed

    # The full-country CSV: every (desa, item) delivered in full to the TPS
    # (rows of desa generated complete at stage 4 do not change).
    path = write_csv("nasional.csv", lambda v, i, need: f"{v};{i};4;{need};{need};0;")
    size_mb = path.stat().st_size / 1e6
    changed = {"import": import_file(path, "import")}
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_logistics_copy (kode_desa text, barang text, "
            "tahap text, dikirim text, diterima text, rusak text, alasan text)"
        )
        sql = "COPY bench_logistics_copy FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)"
        with timed(results, "copy"), cursor.connection.cursor().copy(sql) as copy:
            copy.write(path.read_bytes())
        cursor.execute("DROP TABLE bench_logistics_copy")
    # A national correction: one item short everywhere, so every row changes
    # and every desa turns incomplete. Then the same file again: every row is
    # read and checked, nothing is written.
    path = write_csv("koreksi.csv", lambda v, i, need: f"{v};{i};4;{need};{need - 1};0;")
    changed["import_all"] = import_file(path, "import_all")
    changed["import_same"] = import_file(path, "import_same")
    # The floor of any import that writes a history row per change: the file
    # by COPY, then one statement that updates the changed rows and inserts
    # their history: no check, no flags, no rollups. Every row differs from
    # the state now (the correction), like the correction import; rolled back.
    floor_path = folder / "nasional.csv"
    floor_changed = _floor(connection, transaction, floor_path.read_bytes(), results)
    with timed(results, "drift"):
        drift = compute_drift()
    shutil.rmtree(folder)

    print(
        f"logistics: {n_villages:,} desa × {n_items} items = {n_deliveries:,} delivery rows "
        f"(generated in {results['generate']:.1f} s)"
    )
    print(
        row(
            "national dashboard (server time, median of 5)",
            results["national_page"],
            results["national_sql"],
        )
    )
    print(row("  baseline: SQL GROUP BY over the village rows", results["national_sql"]))
    print(
        row(
            f"province {PROVINCE} dashboard (server time, median of 5)",
            results["province_page"],
            results["province_sql"],
        )
    )
    print(row("  baseline: SQL GROUP BY over the village rows", results["province_sql"]))
    print(f"  SQL queries per page: national {queries['national']}, province {queries['province']}")
    print(
        row(
            f"full-country CSV import ({n_deliveries:,} rows, {size_mb:.0f} MB, "
            f"{changed['import']:,} changed)",
            results["import"],
            results["copy"],
        )
    )
    print(row("  baseline: PostgreSQL COPY of the same file, bare table", results["copy"]))
    print(
        row(
            f"  a correction of every row ({changed['import_all']:,} changed)",
            results["import_all"],
            results["copy"],
        )
    )
    print(
        row(
            f"  that file again ({changed['import_same']:,} changed)",
            results["import_same"],
            results["copy"],
        )
    )
    print(
        row(
            f"  floor: COPY + one bare UPDATE and history INSERT ({floor_changed:,} changed, "
            "no check, no rollups)",
            results["floor"],
            results["copy"],
        )
    )
    print(row(f"rollup recomputation from village rows ({len(drift)} drift)", results["drift"]))
    if drift:
        raise SystemExit("rollup drift after the import")


if __name__ == "__main__":
    main()
