"""Reads that need more than one line: the triage queue, related reports,
statistics, the home panel."""

import datetime
import re
import zoneinfo
from collections import defaultdict

from django.db.models import Case, CharField, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncMonth, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import TIMEZONE_LABELS
from neutrality import access
from neutrality.models import Report

OPEN = Report.OPEN_STATUSES


def queue(user, *, filters: dict | None = None):
    """The reports a user may read, open ones first by legal deadline, then
    the rest newest first (the office's triage queue)."""
    filters = filters or {}
    qs = access.reports_for(
        user,
        Report.objects.select_related("office", "category", "region", "assignee"),
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("region"):
        qs = qs.filter(in_region(filters["region"]))
    if filters.get("assignee") == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.get("assignee"):
        qs = qs.filter(assignee_id=filters["assignee"])
    if filters.get("q"):
        term = filters["q"].strip()
        match = (
            Q(asn_name__icontains=term)
            | Q(asn_nip=term.replace(" ", ""))
            | Q(register_number__icontains=term)
            # The tracking code finds a report only for its own office: it
            # is secret to everyone else (models.Report.reference).
            | Q(tracking_code__iexact=term, office_id__in=access.officer_office_ids(user))
        )
        if (pk := reference_pk(term)) is not None:
            match |= Q(pk=pk)
        qs = qs.filter(match)
    return qs.annotate(
        open_first=Case(
            When(status__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
    ).order_by("open_first", "due_on", "received_at")


def reference_pk(term: str) -> int | None:
    """The id in a reference typed as ``#123`` (models.Report.reference)."""
    match = re.fullmatch(r"#\s*(\d{1,18})", term.strip())
    return int(match.group(1)) if match else None


def in_region(code: str) -> Q:
    """Reports whose incident lies in the region ``code`` or below it (the
    code must be valid: validators.validate_region_code). ``region__code`` is
    the FK column itself; ``region_id`` takes no ``startswith``."""
    return Q(region__code=code) | Q(region__code__startswith=code + ".")


def same_asn_q(report: Report) -> Q:
    """Reports about the same civil servant: the same NIP, or the same name
    and agency whatever the case. The queue's "+N" and the report page's
    list both count with it."""
    same = Q(asn_name__iexact=report.asn_name, asn_agency__iexact=report.asn_agency)
    if report.asn_nip:
        same |= Q(asn_nip=report.asn_nip)
    return same


def repeat_counts(user, reports) -> dict[int, int]:
    """For a page of reports: report id → how many other reports in scope
    concern the same ASN (``same_asn_q``). One query for the whole page (a
    correlated subquery per row cost 20×), matched here; names and agencies
    compared by the database's UPPER(), as ``iexact`` does."""
    reports = list(reports)
    if not reports:
        return {}
    nips = {r.asn_nip for r in reports if r.asn_nip}
    names = {r.asn_name.upper() for r in reports}
    rows = access.reports_for(
        user,
        Report.objects.annotate(name_key=Upper("asn_name"), agency_key=Upper("asn_agency")),
    ).filter(Q(asn_nip__in=nips) | Q(name_key__in=names))
    by_nip, by_name, key_of = defaultdict(set), defaultdict(set), {}
    for pk, nip, name, agency in rows.values_list("pk", "asn_nip", "name_key", "agency_key"):
        if nip:
            by_nip[nip].add(pk)
        by_name[(name, agency)].add(pk)
        key_of[pk] = (name, agency)
    counts = {}
    for report in reports:
        same = set(by_nip[report.asn_nip]) if report.asn_nip else set()
        if report.pk in key_of:
            same |= by_name[key_of[report.pk]]
        counts[report.pk] = len(same - {report.pk})
    return counts


def deadline_state(report: Report, today: datetime.date | None = None) -> str:
    """'overdue', 'due-today' or '' for the queue's highlighting, against the
    incident region's own date (a WIT office's day starts two hours before
    a WIB one's)."""
    if not report.is_open or report.due_on is None:
        return ""
    if today is None:
        today = timezone.localdate(timezone.now(), report.region.tzinfo)
    if report.due_on < today:
        return "overdue"
    if report.due_on == today:
        return "due-today"
    return ""


def related_reports(user, report: Report):
    """Other reports about the same ASN (same NIP, or same name and agency),
    within what the user may read: duplicates and repeat offenders."""
    return (
        access.reports_for(user, Report.objects.select_related("office", "category"))
        .filter(same_asn_q(report))
        .exclude(pk=report.pk)
        .order_by("-received_at")[:20]
    )


STAT_DIMENSIONS = {
    "region": ("office__region__name", _("Wilayah (kantor)")),
    "category": ("category__name", _("Kategori")),
    "status": ("status", _("Status")),
    "outcome": ("outcome_key", _("Hasil")),
    "month": ("month", _("Bulan")),
}


# A report without an outcome was either never examined (withdrawn, not
# registered: closed or not) or is still being handled.
OUTCOME_KEY = Case(
    When(~Q(outcome=""), then="outcome"),
    When(~Q(not_registered_reason=""), then=Value(Report.Status.NOT_REGISTERED)),
    When(status=Report.Status.WITHDRAWN, then=Value(Report.Status.WITHDRAWN)),
    default=Value(""),
    output_field=CharField(),
)


def statistics(user) -> dict:
    """Counts per region, category, status, outcome and month, in the user's
    scope: one grouped query per dimension."""
    base = access.reports_for(user)
    status_labels = dict(Report.Status.choices)
    outcome_labels = {
        **dict(Report.Outcome.choices),
        Report.Status.NOT_REGISTERED: Report.Status.NOT_REGISTERED.label,
        Report.Status.WITHDRAWN: Report.Status.WITHDRAWN.label,
    }
    tables = {}
    for key, (field, title) in STAT_DIMENSIONS.items():
        qs = base
        if key == "month":
            qs = qs.annotate(month=TruncMonth("received_on"))
        elif key == "outcome":
            qs = qs.annotate(outcome_key=OUTCOME_KEY)
        rows = list(qs.values(field).annotate(n=Count("pk")).order_by(field))
        if key == "status":
            rows = [{"label": status_labels.get(r[field], r[field]), "n": r["n"]} for r in rows]
        elif key == "outcome":
            rows = [
                {"label": outcome_labels.get(r[field]) or _("Belum diputus"), "n": r["n"]}
                for r in rows
            ]
        elif key == "month":
            rows = [
                {"label": r[field].strftime("%Y-%m") if r[field] else "", "n": r["n"]} for r in rows
            ]
        else:
            rows = [{"label": r[field], "n": r["n"]} for r in rows]
        tables[key] = {"title": title, "rows": rows, "total": sum(r["n"] for r in rows)}
    return tables


def home_panel(user) -> dict | None:
    """Open reports: of the user's offices for an officer, of the regions in
    scope for other readers (desk staff, viewers), who reach the app here."""
    offices = access.officer_office_ids(user)
    if offices:
        reports = Report.objects.filter(office_id__in=offices)
    elif not access.read_scope(user).is_empty:
        reports = access.reports_for(user)
    else:
        return None
    # Each report against its incident region's date, as the queue does: one
    # condition per zone (WIB, WITA, WIT), still one query.
    overdue, due_today = Q(pk__in=[]), Q(pk__in=[])
    for zone in TIMEZONE_LABELS:
        today = timezone.localdate(timezone.now(), zoneinfo.ZoneInfo(zone))
        overdue |= Q(region__timezone=zone, due_on__lt=today)
        due_today |= Q(region__timezone=zone, due_on=today)
    counts = reports.filter(status__in=OPEN).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=overdue),
        due_today=Count("pk", filter=due_today),
    )
    return {"title": _("Netralitas ASN"), "template": "neutrality/_home_panel.html", **counts}
