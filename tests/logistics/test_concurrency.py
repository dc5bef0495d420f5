"""Many writers at once, each on its own PostgreSQL connection, through the
API path and the CSV path: afterwards the rollups equal a full recomputation
from the village rows."""

import random
import threading

from django.db import connection, connections

from desk.models import Region, Role
from desk.scope import Scope
from logistics import services
from logistics.management.commands.logistics_rollups import compute_drift
from logistics.models import Delivery, DeliveryEvent, Problem

THREADS = 6
ROUNDS = 8


def test_concurrent_updates_leave_zero_drift(live_db, make_user):
    officer = make_user(Role.LOGISTICS_OFFICER, "64.11")
    codes = list(
        Region.objects.filter(code__startswith="64.11.", level="village").values_list(
            "code", flat=True
        )
    )
    services.villages_set_counts(dict.fromkeys(codes, (2, 400, 400)))
    same_district = [c for c in codes if c.startswith("64.11.01.")]
    required = {
        (d.village_id, d.item.code): d.required
        for d in Delivery.objects.filter(village_id__in=codes).select_related("item")
    }
    items = sorted({item for _, item in required})
    errors = []
    barrier = threading.Barrier(THREADS)

    def worker(seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(ROUNDS):
                # Mostly the same kecamatan, sometimes its neighbours.
                pool = same_district if rng.random() < 0.7 else codes
                rows = []
                for line, desa in enumerate(rng.sample(pool, 3), start=1):
                    item = rng.choice(items)
                    need = required[(desa, item)]
                    received = rng.randint(0, need)
                    rows.append(
                        (line, desa, item, 4, need, received, rng.randint(0, received), "uji")
                    )
                if rng.random() < 0.5:
                    services.deliveries_update(
                        rows, user=officer, scope=Scope(True, ()), source="api"
                    )
                else:  # the CSV path: COPY, the SQL check, the same locks
                    data = "kode_desa;barang;tahap;dikirim;diterima;rusak;alasan\n" + "".join(
                        ";".join(map(str, row[1:])) + "\n" for row in rows
                    )
                    services.deliveries_import(
                        data.encode(), "serentak.csv", user=officer, scope=Scope(True, ())
                    )
                if rng.random() < 0.3:
                    services.problem_report(
                        user=officer,
                        region=Region.objects.get(code=rng.choice(same_district)),
                        kind=Problem.Kind.LATE,
                        description="uji serentak",
                    )
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert connection.vendor == "postgresql"
    assert DeliveryEvent.objects.count() > 0
    assert compute_drift() == []
