"""API: scoped reports and transitions, statistics, public intake and tracking."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from neutrality.models import AuditEntry, Report

from .conftest import GOOD_NIK, GOOD_NIP, jpeg_bytes

REPORTS = "/api/v1/neutrality/reports/"


@pytest.fixture
def api():
    return APIClient()


def intake_json(**overrides):
    today = datetime.date.today()
    data = {
        "reporter_kind": "voter",
        "reporter_name": "Nur Hasanah",
        "reporter_nik": GOOD_NIK,
        "reporter_address": "Desa Tlanakan",
        "reporter_phone": "081234567890",
        "asn_name": "Moh. Sahrul",
        "asn_nip": GOOD_NIP,
        "asn_agency": "SMPN 1 Tlanakan",
        "region": "35.28.01",
        "occurred_on": (today - datetime.timedelta(days=1)).isoformat(),
        "known_on": today.isoformat(),
        "category": "interaksi-medsos",
        "description": "Menyukai dan membagikan unggahan calon.",
        "links": ["https://facebook.com/x/1"],
    }
    data.update(overrides)
    return data


def test_public_intake_answers_only_the_tracking_code(api, db):
    response = api.post(
        "/api/v1/neutrality/public/reports/",
        {**intake_json(links=[]), "files": [SimpleUploadedFile("a.jpg", jpeg_bytes())]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert response.json() == {
        "tracking_code": report.tracking_code,
        "status": "received",
        "time_barred": False,
    }
    assert report.evidence.get().content_type == "image/jpeg"


def test_public_intake_bad_input_is_a_400_with_field_messages(api, db):
    response = api.post(
        "/api/v1/neutrality/public/reports/",
        intake_json(asn_nip="198502302010011002", known_on="2099-01-01"),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "asn_nip" in body and "known_on" in body
    assert "Traceback" not in response.content.decode()
    assert not Report.objects.exists()


def test_public_intake_spoofed_file_and_overlong_text(api, db):
    response = api.post(
        "/api/v1/neutrality/public/reports/",
        {**intake_json(links=[]), "files": [SimpleUploadedFile("a.png", b"not a png at all")]},
        format="multipart",
    )
    assert response.status_code == 400 and "files" in response.json()
    response = api.post(
        "/api/v1/neutrality/public/reports/", intake_json(description="x" * 6000), format="json"
    )
    assert response.status_code == 400 and "description" in response.json()
    assert not Report.objects.exists()


def test_public_intake_rate_limit_and_honeypot(api, db, settings):
    settings.NEUTRALITY_RATE_LIMITS = {"api": (1, 3600)}
    url = "/api/v1/neutrality/public/reports/"
    assert api.post(url, intake_json(website="x"), format="json").status_code == 400
    assert api.post(url, intake_json(), format="json").status_code == 429
    assert not Report.objects.exists()


def test_tracking_api(api, report_factory):
    report = report_factory()
    response = api.post("/api/v1/neutrality/public/track/", {"code": report.tracking_code})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received" and "id" not in body and "reporter_name" not in body
    assert api.post("/api/v1/neutrality/public/track/", {"code": "zzz"}).status_code == 404


def test_reports_are_scoped(api, report_factory, pamekasan_bawaslu, sumenep_bawaslu, outsider):
    report = report_factory()
    api.force_authenticate(sumenep_bawaslu)
    assert api.get(REPORTS).json()["count"] == 0
    assert api.get(f"{REPORTS}{report.pk}/").status_code == 404
    api.force_authenticate(outsider)
    assert api.get(REPORTS).json()["count"] == 0
    api.force_authenticate(None)
    assert api.get(REPORTS).status_code in (401, 403)


def test_identity_only_in_a_single_report_for_the_owning_office(
    api, report_factory, pamekasan_bawaslu, pamekasan_desk, pamekasan_office
):
    report = report_factory()
    api.force_authenticate(pamekasan_bawaslu)
    listing = api.get(REPORTS).json()["results"][0]
    assert "reporter" not in listing and "reporter_nik" not in listing
    assert "reporter" not in api.get(f"{REPORTS}{report.pk}/").json()  # unless asked
    assert not AuditEntry.objects.filter(action="view_identity").exists()
    single = api.get(f"{REPORTS}{report.pk}/", {"identitas": "1"}).json()
    assert single["reporter"]["reporter_nik"] == GOOD_NIK
    assert AuditEntry.objects.filter(action="view_identity", detail="api").count() == 1
    api.force_authenticate(pamekasan_desk)
    assert "reporter" not in api.get(f"{REPORTS}{report.pk}/", {"identitas": "1"}).json()


def test_transitions_through_the_api(api, report_factory, pamekasan_bawaslu, pamekasan_desk):
    report = report_factory()
    url = f"{REPORTS}{report.pk}/transitions/"
    api.force_authenticate(pamekasan_desk)
    assert api.post(url, {"action": "register"}, format="json").status_code == 404
    api.force_authenticate(pamekasan_bawaslu)
    response = api.post(url, {"action": "register", "expected_status": "received"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "registered"
    refused = api.post(url, {"action": "refer"}, format="json")
    assert refused.status_code == 400
    assert "tidak dapat dilakukan dari status" in refused.json()["action"][0]
    stale = api.post(url, {"action": "withdraw", "expected_status": "received"}, format="json")
    assert stale.status_code == 400 and "petugas lain" in stale.json()["action"][0]
    events = api.get(url).json()
    assert [e["to_status"] for e in events] == ["received", "registered"]


def test_staff_create_through_the_api(api, pamekasan_bawaslu, pamekasan_desk, db):
    api.force_authenticate(pamekasan_desk)
    assert api.post(REPORTS, intake_json(), format="json").status_code == 404
    api.force_authenticate(pamekasan_bawaslu)
    response = api.post(REPORTS, intake_json(), format="json")
    assert response.status_code == 201
    assert Report.objects.get().channel == "staff"


def test_statistics_api(api, report_factory, ri_bawaslu, sumenep_bawaslu):
    report_factory()
    api.force_authenticate(ri_bawaslu)
    body = api.get("/api/v1/neutrality/statistics/").json()
    assert body["status"]["total"] == 1
    assert body["region"]["rows"] == [{"label": "Kabupaten Pamekasan", "n": 1}]
    api.force_authenticate(sumenep_bawaslu)
    assert api.get("/api/v1/neutrality/statistics/").json()["status"]["total"] == 0


@pytest.mark.parametrize(
    ("code", "count"), [("35.28.01", 1), ("35.28", 1), ("35.28.", 1), ("35", 1), ("35.28.02", 0)]
)
def test_reports_filtered_by_region_subtree(api, report_factory, pamekasan_bawaslu, code, count):
    report_factory()  # Kecamatan Tlanakan, 35.28.01
    api.force_authenticate(pamekasan_bawaslu)
    response = api.get(REPORTS, {"region": code})
    assert response.status_code == 200 and response.json()["count"] == count


def test_a_malformed_region_filter_is_a_400_naming_it(api, report_factory, pamekasan_bawaslu):
    report_factory()
    api.force_authenticate(pamekasan_bawaslu)
    response = api.get(REPORTS, {"region": "35.2x"})
    assert response.status_code == 400
    assert "Kode wilayah tidak dikenali" in response.json()["region"][0]


def test_the_officer_filing_for_a_reporter_gets_the_code_to_hand_over(api, pamekasan_bawaslu, db):
    api.force_authenticate(pamekasan_bawaslu)
    # An incident in Sumenep: another office handles it.
    response = api.post(REPORTS, intake_json(region="35.29.01"), format="json")
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.office.region_id == "35.29"
    assert response.json()["tracking_code"] == report.tracking_code
    handed = AuditEntry.objects.get(action="hand_over_code")
    assert (handed.user, handed.report, handed.detail) == (pamekasan_bawaslu, report, "api")
    assert api.get(f"{REPORTS}{report.pk}/").status_code == 404  # not its office


@pytest.mark.parametrize("body", ["[1, 2]", '"x"', "3", "null"])
@pytest.mark.parametrize(
    "url", ["/api/v1/neutrality/public/reports/", "/api/v1/neutrality/public/track/"]
)
def test_public_endpoints_answer_a_body_that_is_not_an_object_with_a_400(api, db, url, body):
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "objek JSON" in response.json()["detail"]
    assert not Report.objects.exists()


def test_staff_endpoints_answer_a_body_that_is_not_an_object_with_a_400(
    api, report_factory, pamekasan_bawaslu
):
    report = report_factory()
    api.force_authenticate(pamekasan_bawaslu)
    for url in (REPORTS, f"{REPORTS}{report.pk}/transitions/"):
        assert api.post(url, "[1, 2]", content_type="application/json").status_code == 400
    report.refresh_from_db()
    assert report.status == Report.Status.RECEIVED and Report.objects.count() == 1


def test_public_intake_links_get_a_scheme_and_a_bad_one_is_named(api, db):
    url = "/api/v1/neutrality/public/reports/"
    bad = api.post(url, intake_json(links=["facebook.com/x/1", "bukan tautan"]), format="json")
    assert bad.status_code == 400
    assert bad.json()["links"] == ["Bukan tautan yang valid: bukan tautan"]
    assert not Report.objects.exists()
    assert api.post(url, intake_json(links=["facebook.com/x/1"]), format="json").status_code == 201
    assert Report.objects.get().evidence.get().url == "https://facebook.com/x/1"


def test_not_found_reads_the_same_for_a_missing_and_an_out_of_scope_report(
    api, report_factory, sumenep_bawaslu, pamekasan_desk
):
    report = report_factory()
    api.force_authenticate(sumenep_bawaslu)
    answers = [
        api.get(f"{REPORTS}{report.pk}/"),  # another office's
        api.get(f"{REPORTS}999999/"),  # none at all
        api.get(f"{REPORTS}{report.pk}/transitions/"),
    ]
    api.force_authenticate(pamekasan_desk)  # reads it, may not act on it
    answers.append(
        api.post(f"{REPORTS}{report.pk}/transitions/", {"action": "register"}, format="json")
    )
    assert {a.status_code for a in answers} == {404}
    assert {a.json()["detail"] for a in answers} == {"Data tidak ditemukan."}


def test_public_intake_refuses_an_asn_region_below_kabupaten_and_an_ancient_date(api, db):
    url = "/api/v1/neutrality/public/reports/"
    response = api.post(url, intake_json(asn_region="35.28.01.2001"), format="json")
    assert response.status_code == 400 and "asn_region" in response.json()
    response = api.post(
        url, intake_json(occurred_on="0001-01-01", known_on="0001-01-01"), format="json"
    )
    assert response.status_code == 400 and "2005" in response.json()["occurred_on"][0]
    assert not Report.objects.exists()
    assert api.post(url, intake_json(asn_region="35.28"), format="json").status_code == 201


@pytest.mark.parametrize("value", ["0", 0, False, "false", " ", [], {}])
def test_any_value_in_the_honeypot_stores_nothing(api, db, value):
    response = api.post(
        "/api/v1/neutrality/public/reports/", intake_json(website=value), format="json"
    )
    assert response.status_code == 400
    assert not Report.objects.exists()


@pytest.mark.parametrize("value", [None, ""])
def test_an_empty_honeypot_lets_the_report_through(api, db, value):
    response = api.post(
        "/api/v1/neutrality/public/reports/", intake_json(website=value), format="json"
    )
    assert response.status_code == 201
