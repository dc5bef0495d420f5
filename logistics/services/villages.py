"""Desa counts (TPS, DPT) and the required quantities they give each item."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.models import Region
from logistics import rollups
from logistics.models import (
    Delivery,
    DeliveryEvent,
    Item,
    Village,
    VillageEvent,
    counts_problem,
)


def villages_set_counts(
    counts: dict[str, tuple[int, int, int]],
    *,
    user=None,
    source: str = DeliveryEvent.Source.FORM,
) -> int:
    """Set TPS, DPT governor, DPT bupati/wali kota for desa codes, creating
    their logistics rows and recomputing each item's required quantity; each
    desa whose counts change gets a history row. Returns the number of desa
    written."""
    if not counts:
        return 0
    # The contests a desa votes in are checked where counts are typed
    # (counts.update, CountsForm): here only what is impossible anywhere, so
    # counts stored before a round's contests were loaded still refresh.
    problems = [
        f"{code}: {problem}"
        for code, values in counts.items()
        if (problem := counts_problem(*values))
    ]
    if problems:
        raise ValidationError(problems[:20])
    regions = dict(
        Region.objects.filter(code__in=list(counts), level=Region.Level.VILLAGE).values_list(
            "code", "parent_id"
        )
    )
    unknown = sorted(set(counts) - set(regions))
    if unknown:
        raise ValidationError(
            _("Kode desa tidak dikenal: %(codes)s") % {"codes": ", ".join(unknown[:20])}
        )
    items = list(Item.objects.filter(is_active=True))
    districts = set(regions.values())
    with transaction.atomic():
        rollups.lock_areas(districts)
        existing = {v.pk: v for v in Village.objects.filter(pk__in=list(regions))}
        new, changed, events = [], [], []
        now = timezone.now()
        for code, (tps, dpt_g, dpt_l) in counts.items():
            village = existing.get(code)
            before = (village.tps, village.dpt_governor, village.dpt_local) if village else None
            if before != (tps, dpt_g, dpt_l):
                events.append(
                    VillageEvent(
                        village_id=code,
                        at=now,
                        user=user,
                        source=source,
                        tps_before=before[0] if before else None,
                        dpt_governor_before=before[1] if before else None,
                        dpt_local_before=before[2] if before else None,
                        tps_after=tps,
                        dpt_governor_after=dpt_g,
                        dpt_local_after=dpt_l,
                    )
                )
            if village is None:
                new.append(
                    Village(
                        region_id=code,
                        district_id=regions[code],
                        tps=tps,
                        dpt_governor=dpt_g,
                        dpt_local=dpt_l,
                    )
                )
            else:
                village.tps, village.dpt_governor, village.dpt_local = tps, dpt_g, dpt_l
                changed.append(village)
        Village.objects.bulk_create(new, batch_size=2000)
        Village.objects.bulk_update(changed, ["tps", "dpt_governor", "dpt_local"], batch_size=2000)
        VillageEvent.objects.bulk_create(events, batch_size=2000)
        deliveries = {
            (d.village_id, d.item_id): d
            for d in Delivery.objects.filter(village_id__in=list(regions))
        }
        create, update = [], []
        for code, (tps, dpt_g, dpt_l) in counts.items():
            for item in items:
                need = item.required_for(tps=tps, dpt_governor=dpt_g, dpt_local=dpt_l)
                delivery = deliveries.get((code, item.pk))
                if delivery is None:
                    create.append(Delivery(village_id=code, item=item, required=need))
                elif delivery.required != need:
                    delivery.required = need
                    update.append(delivery)
        Delivery.objects.bulk_create(create, batch_size=2000)
        Delivery.objects.bulk_update(update, ["required"], batch_size=2000)
        marks = ", ".join(["%s"] * len(regions))
        rollups.refresh_village_flags(f"village_id IN ({marks})", list(regions), deliveries=True)
        rollups.refresh(districts)
    return len(counts)


def item_refresh_required(item: Item) -> int:
    """After an item's rule changed (admin): recompute its required quantity
    for every desa that has logistics rows."""
    counts = {
        v.pk: (v.tps, v.dpt_governor, v.dpt_local)
        for v in Village.objects.only("tps", "dpt_governor", "dpt_local")
    }
    return villages_set_counts(counts)
