"""This app's part of `manage.py seed_demo`: TPS/DPT for the demo desks'
desa, distribution at different stages (Mahakam Ulu complete, as in the
Kalimantan Timur seed), and a few problems. Idempotent."""

import random

from django.db.models import Q

from desk.models import Region, Role
from desk.scope import Scope
from logistics import services
from logistics.models import DeliveryEvent, Problem, Stage, Village

DEMO_PROVINCES = ("64", "76")
COMPLETE_REGENCY = "64.11"  # Mahakam Ulu: "sudah lengkap" in the seed


def seed(*, desks: dict, election_round) -> str:
    villages = list(
        Region.objects.filter(
            Q(code__startswith="64.") | Q(code__startswith="76."), level=Region.Level.VILLAGE
        ).values_list("code", flat=True)
    )
    if not villages or Village.objects.filter(pk__in=villages[:1]).exists():
        return "logistics: nothing to do"
    rng = random.Random(2024)
    counts = {}
    for code in villages:
        tps = rng.randint(2, 12)
        dpt = tps * rng.randint(180, 560)
        counts[code] = (tps, dpt, dpt)
    services.villages_set_counts(counts, source=DeliveryEvent.Source.IMPORT)
    # Each province's data is entered by its own KPU logistics officer.
    officers = {}
    for desk in desks.values():
        officer = desk.users.get(Role.LOGISTICS_OFFICER)
        if officer is not None and desk.region.code in DEMO_PROVINCES:
            officers[desk.region.code] = officer

    rows, line = [], 0
    for village in Village.objects.filter(pk__in=villages).prefetch_related("deliveries__item"):
        if village.pk.startswith(COMPLETE_REGENCY + "."):
            stage = Stage.KPPS
        else:
            stage = rng.choice([Stage.WAREHOUSE, Stage.PPK, Stage.PPK, Stage.PPS, Stage.KPPS])
        for d in village.deliveries.all():
            line += 1
            received = d.required if stage >= Stage.PPK else 0
            rows.append((line, village.pk, d.item.code, stage, d.required, received, 0, ""))
    for province in DEMO_PROVINCES:
        mine = [r for r in rows if r[1].startswith(province + ".")]
        services.deliveries_update(
            mine,
            user=officers.get(province),
            scope=Scope(False, (province,)),
            source=DeliveryEvent.Source.IMPORT,
        )
    samples = [
        (
            "64.02",
            Problem.Kind.ACCESS,
            "Longboat ke hulu tertahan air surut; kotak suara tertunda.",
        ),
        ("76.01", Problem.Kind.WRONG_AREA, "Surat suara tertukar dengan kabupaten tetangga."),
        ("64.72", Problem.Kind.DAMAGE, "Surat suara rusak ditemukan saat sortir-lipat."),
    ]
    for prefix, kind, text in samples:
        region = Region.objects.filter(code__startswith=prefix + ".", level="village").first()
        if region:
            officer = officers.get(prefix[:2])
            services.problem_report(user=officer, region=region, kind=kind, description=text)
    return f"logistics: {len(counts)} desa, {len(rows)} distribusi, {len(samples)} masalah"
