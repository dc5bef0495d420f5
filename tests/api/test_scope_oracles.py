"""Missing and out-of-scope ids read identically, over every relation the
API accepts and every filter it offers.

The cases are not listed by hand: every operation of the OpenAPI schema
(drf-spectacular's generator, in-process) is walked; each request-body
property backed by a writable relation, and each query parameter backed by a
relation filter, is tried as the Kalimantan Timur persona (every role at
province 64) with an id of an object outside Kaltim and with an id that does
not exist. Status and body must be the same (the id itself masked) and no
name of the outside object may appear. A new relation or filter is covered
as soon as it is in the schema; one to a model this file has no outside
example for fails until one is added here.
"""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from desk.models import Agency, Person, Region, Role, RoleAssignment
from logistics.models import Problem
from meetings import services as meeting_services
from meetings.models import Decision, Invitation, Kind, Meeting, Series
from neutrality.models import Report
from tests.api.conftest import token_client

User = get_user_model()
KALTIM = "64"

# Relations whose targets are public or national, with the reason: the
# public intake takes any region and category of the country (a reporter may
# report anywhere), and election rounds are the same for every desk.
PUBLIC = {
    ("post", "/api/v1/neutrality/reports/", "region"): "intake: any region of the country",
    ("post", "/api/v1/neutrality/reports/", "asn_region"): "intake: any region of the country",
    ("post", "/api/v1/neutrality/reports/", "category"): "intake: the national categories",
    ("post", "/api/v1/neutrality/public/reports/", "region"): "intake: any region",
    ("post", "/api/v1/neutrality/public/reports/", "asn_region"): "intake: any region",
    ("post", "/api/v1/neutrality/public/reports/", "category"): "intake: national categories",
    ("get", "/api/v1/elections/", "round"): "rounds are national",
}


def _outside_examples(world) -> dict:
    """model → (an object outside Kaltim, the value that names it, words that
    must not leak). Sulawesi Barat (76) and Jawa Timur (35) are elsewhere."""
    meeting = Meeting.objects.exclude(region__code__startswith=KALTIM).first()
    series = Series.objects.exclude(region__code__startswith=KALTIM).first()
    report = Report.objects.exclude(region__code__startswith=KALTIM).first()
    problem = Problem.objects.exclude(region__code__startswith=KALTIM).first()
    person = Person.objects.filter(agency__region__code="76").first()
    agency = person.agency
    region = Region.objects.get(code="76.01")
    assignee = report.assignee
    return {
        Meeting: (meeting, meeting.pk, [meeting.title]),
        Series: (series, series.pk, [series.title]),
        Report: (report, report.pk, [report.asn_name]),
        Problem: (problem, problem.pk, [problem.description]),
        Person: (person, person.pk, [person.name]),
        Agency: (agency, agency.pk, [agency.name]),
        Region: (region, region.code, [region.name]),
        User: (assignee, assignee.pk, [assignee.username]),
    }


MISSING = {Region: "99.99"}


def _world(demo_world):
    """Objects the seed lacks elsewhere: a Sulbar series, and an officer
    assigned to a report outside Kaltim."""
    sulbar = Region.objects.get(code="76")
    meeting_services.series_create(
        user=None,
        region=sulbar,
        title="Rakor mingguan Sulbar",
        kind=Kind.DESK,
        start_time=datetime.time(9),
        starts_on=datetime.date(2026, 1, 5),
        until=datetime.date(2026, 1, 19),
        venue="Mamuju",
    )
    officer = User.objects.create_user(username="sulbar.assignee")
    RoleAssignment.objects.create(user=officer, role=Role.BAWASLU_OFFICER, region=sulbar)
    Report.objects.filter(
        pk=Report.objects.exclude(region__code__startswith=KALTIM).first().pk
    ).update(assignee=officer)
    persona = User.objects.create_user(username="kaltim.every.role")
    region = Region.objects.get(code=KALTIM)
    for role in Role.values:
        if role != Role.ADMINISTRATOR:
            RoleAssignment.objects.create(user=persona, role=role, region=region)
    return persona


def _endpoints():
    """(method, path, view, operation) for every operation in the schema."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    views = {}
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        views[(method.lower(), path)] = view
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method, path, views[(method, path)], operation


def _filter_relations(view, operation):
    """(parameter, model) for each query parameter backed by a relation."""
    backend = DjangoFilterBackend()
    if not hasattr(view, "get_queryset"):
        return
    filterset_class = backend.get_filterset_class(view, view.get_queryset())
    if filterset_class is None:
        return
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        f = filterset_class.base_filters.get(parameter["name"])
        if isinstance(f, ModelChoiceFilter | ModelMultipleChoiceFilter):
            model_field = filterset_class._meta.model._meta.get_field(f.field_name.split("__")[0])
            yield parameter["name"], model_field.related_model


def _body_relations(view, method, operation):
    """(property, model, many) for each writable relation of the request body."""
    if "requestBody" not in operation:
        return
    view.schema.method = method.upper()
    serializer = view.schema.get_request_serializer()
    if isinstance(serializer, type):
        serializer = serializer()
    if not isinstance(serializer, serializers.Serializer):
        return
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ManyRelatedField):
            yield name, field.child_relation.queryset.model, True
        elif isinstance(field, serializers.RelatedField):
            yield name, field.queryset.model, False


def _in_scope_ids(persona):
    """A Kaltim object for each detail path a write goes to."""
    meeting = Meeting.objects.filter(region__code__startswith=KALTIM).first()
    return {
        "meetings": meeting.pk,
        "meeting-decisions": Decision.objects.filter(region__code__startswith=KALTIM).first().pk,
        "meeting-invitations": Invitation.objects.filter(meeting=meeting).first().pk,
        "meeting-series": Series.objects.filter(region__code__startswith=KALTIM).first().pk,
        "reports": Report.objects.filter(region__code__startswith=KALTIM).first().pk,
    }


def _url(path, ids):
    if "{" not in path:
        return path
    collection = path.rstrip("/").split("/{")[0].rsplit("/", 1)[1]
    assert collection in ids, f"add an in-scope Kaltim object for {path}"
    return path.replace("{id}", str(ids[collection]))


def _masked(response, value) -> tuple[int, str]:
    body = response.content.decode()
    return response.status_code, body.replace(json.dumps(str(value))[1:-1], "<id>")


@pytest.mark.django_db
def test_missing_and_out_of_scope_ids_read_alike_everywhere(demo_world):
    persona = _world(demo_world)
    outside = _outside_examples(demo_world)
    ids = _in_scope_ids(persona)
    client = token_client(persona)
    cases, failures = 0, []
    for method, path, view, operation in _endpoints():
        relations = [(n, m, False, "query") for n, m in _filter_relations(view, operation)]
        relations += [
            (n, m, many, "body") for n, m, many in _body_relations(view, method, operation)
        ]
        for name, model, many, where in relations:
            if (method, path, name) in PUBLIC:
                continue
            assert model in outside, f"{method} {path} {name}: add an outside {model.__name__}"
            _obj, value, words = outside[model]
            missing = MISSING.get(model, 999_999_999)
            answers = []
            for candidate in (value, missing):
                url = _url(path, ids)
                sent = [candidate] if many else candidate
                if where == "query":
                    response = client.generic(
                        method.upper(), url, QUERY_STRING=f"{name}={candidate}"
                    )
                else:
                    response = getattr(client, method)(url, {name: sent}, format="json")
                answers.append(_masked(response, candidate))
            cases += 1
            label = f"{method.upper()} {path} {where} {name}"
            if answers[0] != answers[1]:
                failures.append(f"{label}: outside {answers[0]} ≠ missing {answers[1]}")
            leaked = [w for w in words if w and w in answers[0][1]]
            if leaked:
                failures.append(f"{label}: names {leaked}")
            if answers[0][0] >= 500:
                failures.append(f"{label}: {answers[0][0]}")
    assert not failures, "\n".join(failures)
    # Every relation filter and writable relation the API has today.
    assert cases >= 25, cases
