"""Who may read reports, who may act on them, who may see the reporter.

- Reading (without the reporter's identity): Bawaslu officers, desk staff
  and viewers whose scope covers the owning office's region (a Bawaslu RI
  officer without region reads the nation). Outside the scope: not found.
- Acting and the reporter's identity: only officers *of the owning office*.
  An officer belongs to an office through a Bawaslu RoleAssignment naming the
  office as agency, or, without an agency, held at exactly the office's region.
"""

from django.db.models import Q

from desk.models import Agency, Role, RoleAssignment
from desk.scope import get_in_scope_or_404, scope_for
from neutrality.models import Report

READ_ROLES = (Role.BAWASLU_OFFICER, Role.DESK_STAFF, Role.VIEWER)
# The roles whose holders read the reporter's identity (_officer_rows).
IDENTITY_ROLES = (Role.BAWASLU_OFFICER,)
SCOPE_FIELD = "office__region"

# Every action on a report, and the roles that may take it (on top of being
# an officer of the owning office).
ACTION_ROLES = {
    "register": {Role.BAWASLU_OFFICER},
    "not_register": {Role.BAWASLU_OFFICER},
    "withdraw": {Role.BAWASLU_OFFICER},
    "study": {Role.BAWASLU_OFFICER},
    "request_info": {Role.BAWASLU_OFFICER},
    "decide": {Role.BAWASLU_OFFICER},
    "refer": {Role.BAWASLU_OFFICER},
    "record_sanction": {Role.BAWASLU_OFFICER},
    "close": {Role.BAWASLU_OFFICER},
    "assign": {Role.BAWASLU_OFFICER},
    "reroute": {Role.BAWASLU_OFFICER},
    "duplicate": {Role.BAWASLU_OFFICER},
    "add_evidence": {Role.BAWASLU_OFFICER},
}


def read_scope(user):
    return scope_for(user, READ_ROLES)


def reports_for(user, queryset=None):
    """Reports the user may read (never more)."""
    queryset = Report.objects.all() if queryset is None else queryset
    return read_scope(user).filter(queryset, SCOPE_FIELD)


def get_report_or_404(user, queryset=None, **lookup) -> Report:
    queryset = Report.objects.all() if queryset is None else queryset
    return get_in_scope_or_404(queryset, user, roles=READ_ROLES, field=SCOPE_FIELD, **lookup)


def _officer_rows(user) -> list[tuple[int | None, str | None]]:
    """(agency, region) of the user's Bawaslu officer assignments, cached."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    rows = user.__dict__.get("_neutrality_rows")
    if rows is None:
        rows = list(
            RoleAssignment.objects.filter(user=user, role__in=IDENTITY_ROLES).values_list(
                "agency_id", "region_id"
            )
        )
        user.__dict__["_neutrality_rows"] = rows
    return rows


def officer_office_ids(user) -> frozenset[int]:
    """The Bawaslu offices the user is an officer of (cached per request)."""
    cached = user.__dict__.get("_neutrality_offices")
    if cached is not None:
        return cached
    rows = _officer_rows(user)
    agency_ids = [agency for agency, _region in rows if agency]
    region_ids = [region for agency, region in rows if not agency and region]
    ids = frozenset()
    if agency_ids or region_ids:
        ids = frozenset(
            Agency.objects.filter(kind=Agency.Kind.BAWASLU)
            .filter(Q(pk__in=agency_ids) | Q(region_id__in=region_ids))
            .values_list("pk", flat=True)
        )
    user.__dict__["_neutrality_offices"] = ids
    return ids


def is_officer_anywhere(user) -> bool:
    """Holds a Bawaslu officer role (may file on someone's behalf), even
    before the office's first report created its agency row."""
    return bool(_officer_rows(user))


def can_act(user, report: Report, action: str | None = None) -> bool:
    if report.office_id not in officer_office_ids(user):
        return False
    if action is None:
        return True
    return bool(ACTION_ROLES.get(action, set()) & {Role.BAWASLU_OFFICER})


def can_see_identity(user, report: Report) -> bool:
    return report.office_id in officer_office_ids(user)


def forget(user) -> None:
    user.__dict__.pop("_neutrality_offices", None)
    user.__dict__.pop("_neutrality_rows", None)
