"""Reads that need more than one line."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import Agency, Person, Region, Role
from desk.scope import scope_for
from meetings.models import Decision, Invitation, Meeting

READ_ROLES = (Role.DESK_STAFF, Role.VIEWER, Role.ADMINISTRATOR)
WRITE_ROLES = (Role.DESK_STAFF, Role.ADMINISTRATOR)


def meetings_for(user) -> QuerySet:
    """Meetings the user may read."""
    return scope_for(user, READ_ROLES).filter(
        Meeting.objects.select_related("region", "chair", "organiser", "series")
    )


def decisions_for(user) -> QuerySet:
    return scope_for(user, READ_ROLES).filter(
        Decision.objects.select_related(
            "meeting", "region", "responsible_agency", "responsible_person"
        )
    )


def desk_regions_for(user) -> QuerySet:
    """Regions a user may hold meetings for: provinces and kabupaten/kota of
    their write scope."""
    return scope_for(user, WRITE_ROLES).filter(
        Region.objects.filter(level__in=[Region.Level.PROVINCE, Region.Level.REGENCY]), "code"
    )


def reach_q(region_code: str, field: str = "region") -> Q:
    """Regions a meeting of ``region_code`` may invite from: its own, the ones
    above it, the national level (no region) and every region below it (a
    province meeting invites the kabupaten offices)."""
    parts = region_code.split(".")
    above = [".".join(parts[:i]) for i in range(1, len(parts))]
    return (
        Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__code__in": [*above, region_code]})
        | Q(**{f"{field}__code__startswith": region_code + "."})
    )


def in_reach(region_code: str, other_code: str | None) -> bool:
    if other_code is None:
        return True
    return (
        other_code == region_code
        or region_code.startswith(other_code + ".")
        or other_code.startswith(region_code + ".")
    )


def agencies_in_reach(region: Region) -> QuerySet:
    return Agency.objects.filter(reach_q(region.code), is_active=True).select_related("region")


def people_in_reach(region: Region) -> QuerySet:
    return Person.objects.filter(reach_q(region.code, "agency__region"), is_active=True)


def open_decisions(region: Region, *, before: datetime.datetime | None = None) -> QuerySet:
    """The desk's open decisions, overdue first, then by due date. With
    ``before``, only those of meetings that started earlier (carried over)."""
    today = timezone.localtime(timezone.now(), region.tzinfo).date()
    qs = Decision.objects.filter(region=region, status__in=Decision.OPEN_STATUSES)
    if before is not None:
        qs = qs.filter(meeting__starts_at__lt=before)
    return (
        qs.select_related("meeting__region", "responsible_agency", "responsible_person")
        .annotate(
            overdue=Case(
                When(due_on__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("overdue", "due_on", "id")
    )


@dataclass
class Digest:
    """The reminder's digest for one desk: its open decisions due or overdue,
    and the open logistics problems its open decisions follow up (each with
    ``tracked_by``, those decisions)."""

    decisions: list[Decision] = field(default_factory=list)
    problems: list = field(default_factory=list)


def digest_for(region_ids, *, until: datetime.date) -> dict[str, Digest]:
    """Every desk's digest, in one query: open decisions due on or before
    ``until`` or following up a problem not yet resolved. Neutrality reports
    stay out: a reminder goes to invitees who may not read them."""
    digests = {code: Digest() for code in region_ids}
    rows = (
        Decision.objects.filter(region_id__in=list(region_ids), status__in=Decision.OPEN_STATUSES)
        .filter(Q(due_on__lte=until) | (Q(problem__isnull=False) & ~Q(problem__status="resolved")))
        .select_related(
            "responsible_agency", "responsible_person", "area", "problem__region", "problem__item"
        )
        .order_by("region_id", "due_on", "id")
    )
    problems: dict[tuple[str, int], object] = {}
    for decision in rows:
        digest = digests[decision.region_id]
        if decision.due_on <= until:
            digest.decisions.append(decision)
        problem = decision.problem
        if problem is not None and problem.status != "resolved":
            key = (decision.region_id, problem.pk)
            if key not in problems:
                problems[key] = problem
                problem.tracked_by = []
                digest.problems.append(problem)
            problems[key].tracked_by.append(decision)
    return digests


def attendance_counts(meeting: Meeting) -> list[dict]:
    """Invited / came / absent per agency group (KPU-Bawaslu, Forkopimda, OPD…)."""
    counts: dict[str, dict] = {}
    for group, label in Agency.Group.choices:
        counts[group] = {"group": group, "label": label, "invited": 0, "came": 0, "absent": 0}
    rows = (
        Invitation.objects.filter(meeting=meeting)
        .values("agency__kind", "attendance")
        .annotate(n=Count("id"))
    )
    for row in rows:
        group = Agency.GROUP_OF_KIND.get(row["agency__kind"], Agency.Group.OTHER)
        counts[group]["invited"] += row["n"]
        if row["attendance"] in (Invitation.Attendance.PRESENT, Invitation.Attendance.REPRESENTED):
            counts[group]["came"] += row["n"]
        elif row["attendance"] == Invitation.Attendance.ABSENT:
            counts[group]["absent"] += row["n"]
    return [c for c in counts.values() if c["invited"]]


def home_panel(user) -> dict | None:
    """What the home page shows of this app for ``user``: the next meetings
    in their scope and how many decisions are overdue."""
    scope = scope_for(user, READ_ROLES)
    if scope.is_empty:
        return None
    upcoming = list(
        meetings_for(user)
        .filter(starts_at__gte=timezone.now(), status=Meeting.Status.SCHEDULED)
        .order_by("starts_at")[:5]
    )
    overdue = (
        scope.filter(Decision.objects.all())
        .filter(status__in=Decision.OPEN_STATUSES, due_on__lt=timezone.localdate())
        .count()
    )
    return {
        "title": _("Rapat berikutnya"),
        "template": "meetings/_home_panel.html",
        "upcoming": upcoming,
        "overdue": overdue,
    }
