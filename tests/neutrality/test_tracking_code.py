"""The tracking code is kept like the reporter's identity (issue 11, point 9).

Whoever holds the code may withdraw a report not yet registered. So no page,
API answer or export shows it by default, to anyone: not the queue, the
detail page, the API list or detail, the CSV/XLSX exports, the statistics.
An officer of the owning office reveals it on request (``?identitas=1`` on
the detail page, the API detail, the exports), and each reveal is an audit
entry. The officer who files for a citizen sees it once, to hand it over,
audited too. The walk covers every URL pattern outside the admin (the admin
test in test_views.py covers that), so a new page is checked by itself.
"""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from desk.models import Role
from neutrality.models import AuditEntry, Category, Report
from neutrality.services import report_transition
from tests.urlwalk import fill, plausible, routes

from .test_api import REPORTS, intake_json
from .test_views import public_data

OWNER = "pamekasan_bawaslu"
PERSONAS = [
    OWNER,  # an officer of the owning office
    "second_pamekasan_officer",  # another officer of it, through the agency
    "jatim_bawaslu",  # Bawaslu of the province: reads, another office
    "ri_bawaslu",  # Bawaslu RI: reads the nation, another office
    "pamekasan_desk",  # Kesbangpol desk staff
    "pamekasan_viewer",  # the Sekda
    "sumenep_bawaslu",  # the neighbouring office: reads nothing here
    "root",  # a nationwide superuser
]
OWNERS = {OWNER, "second_pamekasan_officer"}
REVEALS = ("view_identity", "export_identity", "hand_over_code")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def root(make_user):
    return make_user(Role.ADMINISTRATOR, username="nasional.root", is_staff=True, is_superuser=True)


@pytest.fixture
def category(db):
    return Category.objects.get(code="foto-gestur")


@pytest.fixture
def reports(report_factory, pamekasan_bawaslu, pamekasan_office):
    """One report just received, one registered (a register number), both
    of the Pamekasan office."""
    received = report_factory()
    registered = report_transition(
        report=report_factory(asn_nip="", asn_name="Orang Lain"),
        user=pamekasan_bawaslu,
        action="register",
    )
    return [received, registered]


def text_of(response) -> str:
    if response.get("Content-Type", "").startswith(XLSX):
        sheet = load_workbook(io.BytesIO(response.content)).active
        return " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    return response.content.decode("utf-8", "replace")


def reveals() -> int:
    return AuditEntry.objects.filter(action__in=REVEALS).count()


def every_page(report) -> list[str]:
    """Every URL pattern outside the admin, the report in its path, and
    both export formats."""
    urls = []
    for template, names, _view in routes():
        if template.startswith("/admin/"):
            continue
        values = {name: plausible(template, name) for name in names}
        if template.startswith(("/neutrality/", "/api/v1/neutrality/")) and "pk" in values:
            values["pk"] = str(report.pk)
        urls.append(fill(template, values))
    # (A search by the code echoes what the searcher typed: not walked.)
    return [*urls, reverse("neutrality:export", args=["xlsx"])]


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_api_answer_or_export_shows_the_code_unasked(client, reports, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    before = reveals()
    walked = 0
    for report in reports:
        for url in every_page(report):
            response = (api if url.startswith("/api/") else client).get(url)
            if response.status_code != 200:
                continue
            walked += 1
            body = text_of(response)
            for secret in reports:
                assert secret.tracking_code not in body, (persona, url)
    assert reveals() == before  # nothing was revealed, nothing to audit
    if persona != "sumenep_bawaslu":
        assert walked > 40


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_owning_office_reveals_the_code_on_request_and_each_reveal_is_audited(
    client, reports, persona, request
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    owner = persona in OWNERS
    report = reports[0]
    places = [
        (client, report.get_absolute_url()),
        (api, f"{REPORTS}{report.pk}/"),
        (client, reverse("neutrality:export", args=["csv"])),
        (client, reverse("neutrality:export", args=["xlsx"])),
    ]
    for agent, url in places:
        before = reveals()
        body = text_of(agent.get(url, {"identitas": "1"}))
        assert (report.tracking_code in body) is owner, (persona, url)
        assert reveals() == before + (1 if owner else 0), (persona, url)
        entry = AuditEntry.objects.filter(action__in=REVEALS).order_by("pk").last()
        if owner:
            assert entry.user == user


def test_the_officer_filing_for_a_citizen_sees_the_code_once_audited(
    client, pamekasan_bawaslu, pamekasan_office, category
):
    client.force_login(pamekasan_bawaslu)
    # The incident is in Sumenep: another office handles the report.
    response = client.post(
        reverse("neutrality:create"),
        public_data(category=category.pk, regency="35.29", district="35.29.01"),
    )
    report = Report.objects.get()
    assert report.office.region_id == "35.29"
    assert response["Location"] == reverse("neutrality:create_done")
    done = client.get(response["Location"]).content.decode()
    assert report.tracking_code in done and report.reference in done
    entry = AuditEntry.objects.get(action="hand_over_code")
    assert (entry.user, entry.report, entry.region_id) == (pamekasan_bawaslu, report, "35.29")
    # Once: a reload leads to the queue, without the code, without an entry.
    again = client.get(reverse("neutrality:create_done"))
    assert again.status_code == 302 and again["Location"] == reverse("neutrality:index")
    assert AuditEntry.objects.filter(action="hand_over_code").count() == 1
    # Nobody else reaches it through that page (the session holds the id).
    client.logout()
    assert client.get(reverse("neutrality:create_done")).status_code == 302


def test_the_api_filing_hands_the_code_over_in_its_answer_only(pamekasan_bawaslu, pamekasan_office):
    api = APIClient()
    api.force_authenticate(pamekasan_bawaslu)
    created = api.post(REPORTS, intake_json(), format="json").json()
    report = Report.objects.get()
    assert created["tracking_code"] == report.tracking_code
    assert AuditEntry.objects.filter(action="hand_over_code", report=report).count() == 1
    assert api.get(f"{REPORTS}{report.pk}/").json()["tracking_code"] is None
    assert api.get(REPORTS).json()["results"][0]["tracking_code"] is None
