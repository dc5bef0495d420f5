"""Reads of the shared organisation that need more than one line."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from desk.api import reach_q
from desk.models import Election, Region, RoleAssignment
from desk.scope import scope_for


def assignments_of(user):
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("region", "agency")
        .order_by("region_id", "role")
    )


@dataclass(frozen=True)
class Countdown:
    round_name: str
    voting_day: datetime.date
    days: int
    region: Region | None


def next_voting_day(user) -> Countdown | None:
    """The nearest voting day still ahead for a contest the user can reach,
    counted in the local date of the user's first region."""
    election = (
        Election.objects.filter(reach_q(user))
        .filter(round__voting_day__gte=timezone.now().date() - datetime.timedelta(days=1))
        .select_related("round", "region")
        .order_by("round__voting_day", "region_id")
        .first()
    )
    if election is None:
        return None
    scope = scope_for(user)
    home = Region.objects.filter(code__in=scope.codes[:1]).first()
    zone = (home or election.region).tzinfo
    today = timezone.localtime(timezone.now(), zone).date()
    days = (election.round.voting_day - today).days
    if days < 0:
        return None
    return Countdown(election.round.name, election.round.voting_day, days, home)


def broker_status() -> str:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return "unavailable"
    return "ok"
