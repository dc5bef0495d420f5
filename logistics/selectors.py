"""Reads that need more than one line. Dashboards read rollups only: a page
above the kecamatan never touches Village or Delivery rows."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import ElectionRound, Region, Role
from desk.scope import Scope, scope_for
from logistics.models import (
    AreaRollup,
    Delivery,
    DeliveryEvent,
    Item,
    ItemRollup,
    Problem,
    ProgressPoint,
    Village,
    VillageEvent,
)

VIEW_ROLES = [Role.LOGISTICS_OFFICER, Role.VIEWER, Role.DESK_STAFF, Role.ADMINISTRATOR]
EDIT_ROLES = [Role.LOGISTICS_OFFICER]
BEHIND_DAYS = 7  # incomplete areas are flagged from a week before H-1


def view_scope(user) -> Scope:
    return scope_for(user, VIEW_ROLES)


def edit_scope(user) -> Scope:
    return scope_for(user, EDIT_ROLES)


def current_round() -> ElectionRound | None:
    """The round whose H-1 is the deadline."""
    return ElectionRound.current()


@dataclass
class Row:
    code: str
    name: str
    desa_count: int
    desa_complete: int
    open_problems: int = 0
    tps: int = 0
    level: str = ""
    with_data: int = 0  # desa whose TPS/DPT are entered

    @property
    def share(self) -> float:
        return self.desa_complete / self.desa_count if self.desa_count else 0.0

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    @property
    def complete(self) -> bool:
        return self.desa_count > 0 and self.desa_complete == self.desa_count


def _deadline(round_):
    if round_ is None:
        return None, None
    deadline = round_.logistics_deadline
    return deadline, (deadline - timezone.localdate()).days


def _chart(points: list[tuple[datetime.date, int, int]]) -> dict | None:
    """A server-rendered SVG polyline of the share complete per day."""
    if not points:
        return None
    points = points[-60:]
    # A 400-unit-wide drawing: on a 375 px phone its 12-unit labels stay readable.
    width, height, pad = 400, 150, 40
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    coords, dots = [], []
    for day, count, complete in points:
        x = pad + (width - 2 * pad) * (day - first).days / span
        y = height - pad - (height - 2 * pad) * (complete / count if count else 0)
        coords.append(f"{x:.1f},{y:.1f}")
        dots.append((f"{x:.1f}", f"{y:.1f}"))
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "polyline": " ".join(coords),
        "dots": dots,
        "first": first,
        "last": last,
        "last_percent": int(100 * points[-1][2] / points[-1][1]) if points[-1][1] else 0,
        "label_y": height - 6,
        "top": pad,
        "bottom": height - pad,
        "right": width - pad,
    }


def _national_points(province_codes: list[str]) -> list[tuple]:
    """Sum the provinces' daily points, carrying each province's last value."""
    by_day: dict[datetime.date, dict[str, tuple[int, int]]] = {}
    for code, day, count, complete in ProgressPoint.objects.filter(
        region_id__in=province_codes
    ).values_list("region_id", "day", "desa_count", "desa_complete"):
        by_day.setdefault(day, {})[code] = (count, complete)
    latest: dict[str, tuple[int, int]] = {}
    out = []
    for day in sorted(by_day):
        latest.update(by_day[day])
        out.append((day, sum(v[0] for v in latest.values()), sum(v[1] for v in latest.values())))
    return out


def _area_row(area: Region) -> Row:
    """An area (with ``arearollup`` selected) over all its desa, with data or not."""
    rollup = getattr(area, "arearollup", None)
    if rollup is None:
        return Row(area.code, area.name, area.villages, 0)
    return Row(
        area.code,
        area.name,
        area.villages,
        rollup.desa_complete,
        rollup.open_problems,
        rollup.tps,
        with_data=rollup.desa_count,
    )


def dashboard(*, scope: Scope, region: Region | None) -> dict:
    """National (region None), province, kabupaten/kota or kecamatan.

    Queries: children rollups (1), item totals (1), items (1), open problems
    (1), progress points (1), the round (1); plus the area's own rollup (1)
    below national. Constant whatever the size of the area.
    """
    round_ = current_round()
    deadline, days_left = _deadline(round_)
    # Every child area, with or without data: one with none counts as 0 of
    # its desa complete (Region.villages is the denominator, not the desa
    # that happen to have rows), so an area nobody reported on is most behind.
    if region is None and scope.nationwide:
        child_areas = Region.objects.filter(level=Region.Level.PROVINCE)
    elif region is None:
        # The user's own areas (a kota, two kabupaten…), whatever their level.
        child_areas = Region.objects.filter(code__in=scope.codes).exclude(
            level=Region.Level.VILLAGE
        )
    else:
        child_areas = Region.objects.filter(parent_id=region.code)
    if region is None or region.level != Region.Level.DISTRICT:
        children = [_area_row(area) for area in child_areas.select_related("arearollup")]
    else:
        open_here = dict(
            Problem.objects.exclude(status=Problem.Status.RESOLVED)
            .filter(region__parent_id=region.code)
            .values_list("region_id")
            .annotate(n=Count("id"))
        )
        children = []
        for desa in child_areas.select_related("logistics"):
            village = getattr(desa, "logistics", None)
            children.append(
                Row(
                    desa.code,
                    desa.name,
                    1,
                    int(village.complete) if village else 0,
                    open_here.get(desa.code, 0),
                    village.tps if village else 0,
                    with_data=1 if village else 0,
                )
            )
    child_codes = [c.code for c in children]
    if region is None:
        name = _("Indonesia") if scope.nationwide else _("Wilayah Anda")
        total = Row("", str(name), 0, 0)
        for c in children:
            total.desa_count += c.desa_count
            total.desa_complete += c.desa_complete
            total.open_problems += c.open_problems
            total.tps += c.tps
            total.with_data += c.with_data
        item_filter = {"region_id__in": child_codes}
    else:
        own = AreaRollup.objects.filter(region_id=region.code).first()
        total = Row(
            region.code,
            region.name,
            region.villages,
            own.desa_complete if own else 0,
            own.open_problems if own else 0,
            own.tps if own else 0,
            with_data=own.desa_count if own else 0,
        )
        item_filter = {"region_id": region.code}
    sums = {
        r["item_id"]: r
        for r in ItemRollup.objects.filter(**item_filter)
        .values("item_id")
        .annotate(
            required=Sum("required"),
            sent=Sum("sent"),
            received=Sum("received"),
            damaged=Sum("damaged"),
            desa_complete=Sum("desa_complete"),
        )
    }
    items = []
    desa_total = total.desa_count
    for item in Item.objects.filter(is_active=True):
        s = sums.get(item.pk, {})
        required = s.get("required") or 0
        desa_complete = s.get("desa_complete") or 0
        items.append(
            {
                "item": item,
                "required": required,
                "sent": s.get("sent") or 0,
                "received": s.get("received") or 0,
                "damaged": s.get("damaged") or 0,
                "desa_complete": desa_complete,
                # Quantities received count at any stage (a box at the PPK
                # counts); the share is of desa that have the item in full,
                # undamaged, at the TPS, so it agrees with "complete".
                "percent": int(100 * desa_complete / desa_total) if required else None,
            }
        )
    behind = days_left is not None and days_left <= BEHIND_DAYS
    children.sort(key=lambda r: (r.share, r.code))  # most behind first
    problems = Problem.objects.exclude(status=Problem.Status.RESOLVED).select_related(
        "region", "item"
    )
    if region is None:
        if not scope.nationwide:
            problems = scope.filter(problems)
    else:
        problems = problems.filter(region__code__startswith=region.code)
    if region is None:
        points = _national_points(child_codes)
    else:
        points = list(
            ProgressPoint.objects.filter(region_id=region.code)
            .order_by("day")
            .values_list("day", "desa_count", "desa_complete")
        )
    return {
        "region": region,
        "total": total,
        "children": children,
        "items": items,
        "problems": list(problems[:20]),
        "round": round_,
        "deadline": deadline,
        "days_left": days_left,
        "behind": behind,
        "chart": _chart(points),
    }


def village_page(*, region: Region) -> dict:
    village = Village.objects.filter(pk=region.code).first()
    deliveries = list(
        Delivery.objects.filter(village_id=region.code)
        .select_related("item")
        .order_by("item__order")
    )
    events = DeliveryEvent.objects.filter(delivery__village_id=region.code).select_related(
        "delivery__item", "user"
    )[:50]
    problems = Problem.objects.filter(region=region).select_related("item")
    count_events = VillageEvent.objects.filter(village_id=region.code).select_related("user")[:20]
    round_ = current_round()
    deadline, days_left = _deadline(round_)
    return {
        "region": region,
        "village": village,
        "deliveries": deliveries,
        "events": list(events),
        "count_events": list(count_events),
        "problems": list(problems),
        "round": round_,
        "deadline": deadline,
        "days_left": days_left,
    }


def home_panel(user) -> dict | None:
    """What the home page shows of this app for ``user``."""
    scope = view_scope(user)
    if scope.is_empty:
        return None
    if scope.nationwide:
        roots = Region.objects.filter(level=Region.Level.PROVINCE)
    else:
        roots = Region.objects.filter(code__in=scope.codes)
    areas = [_area_row(area) for area in roots.select_related("arearollup")[:10]]
    round_ = current_round()
    deadline, days_left = _deadline(round_)
    return {
        "title": _("Logistik"),
        "template": "logistics/home_panel.html",
        "areas": areas,
        "deadline": deadline,
        "days_left": days_left,
    }
