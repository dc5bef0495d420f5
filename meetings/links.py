"""What a meeting decision may follow up, and who sees it.

A decision may point to a neutrality report ("Bawaslu to clarify case X by
Friday"), a logistics problem and/or an area ("KPU to resend ballots to
Kecamatan X by Thursday"). The rules:

- Setting a link: the target lies in the desk's own region or below it, and
  the user recording the decision may read it (the report through
  ``neutrality.access``, the problem through the logistics view scope).
- Seeing a link: only users who may read both the decision (the desk's
  meetings) and the target. Anyone else sees the decision without it. A
  report is named by its register number (or its date), category and status:
  never its tracking code or anything of the reporter.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from desk.models import Region
from desk.scope import Scope, scope_for
from logistics.models import Problem
from logistics.selectors import view_scope as logistics_scope
from meetings.models import Decision
from meetings.selectors import READ_ROLES
from neutrality.access import reports_for
from neutrality.models import Report

FIELDS = ("report", "problem", "area")
# Areas offered in the form (an API client may name a desa too).
FORM_AREA_LEVELS = (Region.Level.REGENCY, Region.Level.DISTRICT)


@dataclass(frozen=True)
class Link:
    kind: str  # report | problem | area
    label: str
    text: str
    url: str = ""

    def __str__(self):
        return f"{self.label}: {self.text}"


def _under(region_code: str) -> Scope:
    return Scope(nationwide=False, codes=(region_code,))


def linkable_reports(user, region_code: str) -> QuerySet:
    """Reports of the desk's region (where it happened or the office that
    handles it) that ``user`` may read."""
    under = _under(region_code)
    return (
        reports_for(user)
        .filter(under.q("region") | under.q("office__region"))
        .select_related("category")
        .order_by("-received_at")
    )


def linkable_problems(user, region_code: str, *, open_only: bool = False) -> QuerySet:
    problems = logistics_scope(user).filter(_under(region_code).filter(Problem.objects.all()))
    if open_only:
        problems = problems.exclude(status=Problem.Status.RESOLVED)
    return problems.select_related("region", "item").order_by("-created_at")


def linkable_areas(region_code: str, levels=None) -> QuerySet:
    areas = _under(region_code).filter(Region.objects.all(), "code")
    if levels:
        areas = areas.filter(level__in=levels)
    return areas.order_by("code")


def check(user, region_code: str, *, report=None, problem=None, area=None) -> dict:
    """Errors (field → message) for links this user may not set on a
    decision of the desk at ``region_code``. Out of reach reads as unknown."""
    errors = {}
    if report is not None and not linkable_reports(user, region_code).filter(pk=report.pk).exists():
        errors["report"] = _("Laporan tidak ditemukan di wilayah desk ini.")
    if (
        problem is not None
        and not linkable_problems(user, region_code).filter(pk=problem.pk).exists()
    ):
        errors["problem"] = _("Masalah logistik tidak ditemukan di wilayah desk ini.")
    if area is not None and not _under(region_code).contains(area.code):
        errors["area"] = _("Wilayah sasaran harus wilayah desk ini atau di bawahnya.")
    return errors


REPORT_LABEL = pgettext_lazy("tautan keputusan", "Laporan netralitas ASN")
PROBLEM_LABEL = pgettext_lazy("tautan keputusan", "Masalah logistik")
AREA_LABEL = pgettext_lazy("tautan keputusan", "Wilayah")


def report_text(report: Report) -> str:
    name = report.register_number or _("diterima %(date)s") % {
        "date": report.received_on.strftime("%d/%m/%Y")
    }
    return f"{name} · {report.category.name} · {report.get_status_display()}"


def problem_text(problem: Problem) -> str:
    parts = [str(problem)]
    if problem.item_id:
        quantity = f" ({problem.quantity})" if problem.quantity else ""
        parts.append(f"{problem.item.label}{quantity}")
    parts.append(problem.get_status_display())
    return " · ".join(parts)


def attach(user, decisions) -> list[Decision]:
    """The decisions as a list, each with ``links``: the report, problem and
    area it follows up that ``user`` may see. At most three queries,
    whatever the number of decisions."""
    decisions = list(decisions)
    ids = {name: {getattr(d, f"{name}_id") for d in decisions} - {None} for name in FIELDS}
    reports = problems = areas = {}
    if ids["report"]:
        visible = reports_for(user).filter(pk__in=ids["report"])
        reports = {r.pk: r for r in visible.select_related("category")}
    if ids["problem"]:
        problems = {
            p.pk: p
            for p in logistics_scope(user)
            .filter(Problem.objects.filter(pk__in=ids["problem"]))
            .select_related("region", "item")
        }
    if ids["area"]:
        areas = Region.objects.in_bulk(ids["area"])
    dashboard = logistics_scope(user)
    for decision in decisions:
        links = []
        if decision.report_id in reports:
            report = reports[decision.report_id]
            url = report.get_absolute_url()
            links.append(Link("report", REPORT_LABEL, report_text(report), url))
        if decision.problem_id in problems:
            problem = problems[decision.problem_id]
            links.append(
                Link("problem", PROBLEM_LABEL, problem_text(problem), problem.get_absolute_url())
            )
        if decision.area_id in areas:
            area = areas[decision.area_id]
            url = reverse("logistics:area", args=[area.code])
            if not dashboard.contains(area.code):
                url = ""
            links.append(Link("area", AREA_LABEL, str(area), url))
        decision.links = links
    return decisions


def decisions_about(user, *, report=None, problem=None, handler=False) -> list[Decision] | None:
    """The decisions following up this report or problem, for its page (the
    caller has checked the user may read it): those of desks whose meetings
    the user reads, and all of them for the ``handler`` (an officer of the
    owning Bawaslu office, a logistics officer of the problem's area: the
    one the decisions ask to act). Each has ``meeting_visible``. None for a
    user who is neither a meeting reader nor the handler."""
    scope = scope_for(user, READ_ROLES)
    if scope.is_empty and not handler:
        return None
    about = Q(report=report) if report is not None else Q(problem=problem)
    decisions = Decision.objects.filter(about)
    if not handler:
        decisions = scope.filter(decisions)
    decisions = list(
        decisions.select_related(
            "meeting__region", "responsible_agency", "responsible_person"
        ).order_by("due_on", "id")
    )
    for decision in decisions:
        decision.meeting_visible = scope.contains(decision.region_id)
    return decisions
