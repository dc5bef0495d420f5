"""Every URL pattern of the project, with its path arguments filled by real
(demo) objects: the walk the security tests share (tests/desk/test_bad_input.py,
tests/desk/test_headers.py), so a new view is covered without anyone
listing it."""

import re

from django.apps import apps
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.urls import get_resolver

from desk.models import Agency, Person, Region
from logistics.models import ImportJob, Problem
from meetings.models import Decision, Invitation, Meeting, Series
from neutrality.models import Evidence, Report


def _first(model, field="pk"):
    rows = model._default_manager.all() if isinstance(model, type) else model
    value = rows.order_by(field).values_list(field, flat=True).first()
    return "1" if value is None else str(value)


def plausible(template: str, name: str) -> str:
    """A value for the path argument ``name`` of ``template`` naming a real
    object, so the request reaches the view, not a resolver 404."""
    if m := re.match(r"/admin/(\w+)/(\w+)/", template):
        try:
            model = apps.get_model(m.group(1), m.group(2))
        except LookupError:
            model = None
        if name == "object_id" and model is not None:
            return _first(model)
    if name in ("app_label",):
        return "neutrality"
    if name in ("fmt", "format"):
        return "csv" if not template.startswith("/api/") else "json"
    if name == "token":
        return "x" * 20
    if name == "code" or template.startswith("/api/v1/regions/"):
        return "64" if "desa" not in template else _first(Region.objects.filter(level="village"))
    if name == "evidence_pk":
        return _first(Evidence)
    by_prefix = [
        ("/directory/agencies/", Agency),
        ("/directory/people/", Person),
        ("/meetings/series/", Series),
        ("/meetings/decisions/", Decision),
        ("/meetings/", Meeting),
        ("/neutrality/", Report),
        ("/logistics/impor/", ImportJob),
        ("/logistics/masalah/", Problem),
        ("/api/v1/agencies/", Agency),
        ("/api/v1/meetings/", Meeting),
        ("/api/v1/meeting-decisions/", Decision),
        ("/api/v1/meeting-invitations/", Invitation),
        ("/api/v1/meeting-series/", Series),
        ("/api/v1/neutrality/reports/", Report),
    ]
    for prefix, model in by_prefix:
        if template.startswith(prefix):
            return _first(model)
    return "1"


def routes() -> list[tuple[str, list[str], object]]:
    """(template, argument names, view) of every URL pattern."""
    found = []
    for view, regex, _ns, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        template = simplify_regex(regex).replace("\\.", ".")
        names = re.findall(r"<(?:\w+:)?(\w+)>", template)
        found.append((template, names, view))
    return found


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], template)
