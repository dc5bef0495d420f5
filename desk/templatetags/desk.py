"""Dates and times as users read them: "Selasa, 29 Oktober 2024, 09.00 WITA"."""

import datetime
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from desk.models import TIMEZONE_LABELS

register = template.Library()


def _zone(region_or_tz) -> str:
    if region_or_tz is None or region_or_tz == "":
        return timezone.get_current_timezone_name()
    return getattr(region_or_tz, "timezone", region_or_tz)


@register.filter
def longdate(value: datetime.date | None) -> str:
    """A date with its weekday in the active language: "Selasa, 29 Oktober 2024"."""
    if not value:
        return ""
    return date_format(value, "l, j F Y")


@register.filter
def localtime_in(value: datetime.datetime | None, region_or_tz=None) -> str:
    """An aware datetime in a region's zone (a Region or a zone name), labelled
    WIB/WITA/WIT: "Senin, 4 November 2024, 09.00 WITA"."""
    if not value:
        return ""
    zone = _zone(region_or_tz)
    local = timezone.localtime(value, zoneinfo.ZoneInfo(zone))
    return f"{date_format(local, 'l, j F Y')}, {local:%H.%M} {TIMEZONE_LABELS.get(zone, zone)}"


@register.filter
def tzlabel(region_or_tz) -> str:
    zone = _zone(region_or_tz)
    return TIMEZONE_LABELS.get(zone, zone)
