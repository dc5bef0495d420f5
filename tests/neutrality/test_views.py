"""Pages: the public form and tracking, the queue, a report's page per
persona, evidence downloads, exports, statistics."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from desk.models import Region
from neutrality.models import AuditEntry, Report
from neutrality.services import report_transition

from .conftest import GOOD_NIK, GOOD_NIP, jpeg_bytes

S = Report.Status


def public_data(**overrides):
    today = datetime.date.today()
    data = {
        "reporter_kind": "voter",
        "reporter_name": "Nur Hasanah",
        "reporter_nik": GOOD_NIK,
        "reporter_address": "Desa Tlanakan",
        "reporter_phone": "081234567890",
        "reporter_email": "",
        "asn_name": "Moh. Sahrul",
        "asn_nip": GOOD_NIP,
        "asn_position": "Guru",
        "asn_agency": "SMPN 1 Tlanakan",
        "asn_region": "35.28",
        "province": "35",
        "regency": "35.28",
        "district": "35.28.01",
        "village": "",
        "place_detail": "Instagram",
        "occurred_on": (today - datetime.timedelta(days=1)).isoformat(),
        "known_on": today.isoformat(),
        "category": "",
        "description": "Mengunggah foto dengan calon dan gestur dua jari.",
        "witnesses": "",
        "links": "https://instagram.com/p/abc",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def category(db):
    from neutrality.models import Category

    return Category.objects.get(code="foto-gestur")


def test_public_form_files_a_report_and_shows_only_the_tracking_code(client, category):
    url = reverse("neutrality:public_form")
    assert client.get(url).status_code == 200
    photo = SimpleUploadedFile("foto.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(url, {**public_data(category=category.pk), "files": [photo]})
    assert response.status_code == 302
    done = client.get(response["Location"])
    report = Report.objects.get()
    assert report.tracking_code in done.content.decode()
    assert f"/{report.pk}/" not in done.content.decode()
    assert report.evidence.get(kind="file").content_type == "image/jpeg"
    assert report.channel == "public" and report.office.region_id == "35.28"


def test_public_form_errors_are_shown_on_the_form_and_nothing_is_stored(client, category):
    spoof = SimpleUploadedFile("foto.jpg", b"GIF89a not allowed", content_type="image/jpeg")
    response = client.post(
        reverse("neutrality:public_form"),
        {**public_data(category=category.pk, asn_nip="199913312010011002"), "files": [spoof]},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "bukan tanggal yang ada" in body
    assert not Report.objects.exists()


def test_the_form_warns_about_a_late_report_before_submitting(client, category):
    late = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("neutrality:public_form"),
        {**public_data(known_on=late, occurred_on=late), "refresh": "1"},
    )
    body = response.content.decode()
    assert 'id="late-warning"' in body and "kedaluwarsa dan tidak dapat diregistrasi" in body
    assert 'id="late-warning" class="late-warning" role="status" hidden' not in body
    assert not Report.objects.exists()


def test_region_refresh_without_javascript_fills_the_next_list(client, db):
    response = client.post(
        reverse("neutrality:public_form"), {"province": "35", "regency": "35.28", "refresh": "1"}
    )
    body = response.content.decode()
    assert "Tlanakan" in body and "errorlist" not in body


def test_region_cascade_json_is_public(client, db):
    data = client.get(reverse("neutrality:regions"), {"induk": "35.28"}).json()
    assert {"code": "35.28.01", "name": "Tlanakan"} in data["results"]


def test_honeypot_stores_nothing(client, category):
    response = client.post(
        reverse("neutrality:public_form"),
        public_data(category=category.pk, website="http://spam.example"),
    )
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_public_form_is_rate_limited_per_ip(client, category, settings):
    settings.NEUTRALITY_RATE_LIMITS = {"report": (2, 3600)}
    url = reverse("neutrality:public_form")
    for _ in range(2):
        assert client.post(url, public_data(category=category.pk)).status_code == 302
    response = client.post(url, public_data(category=category.pk))
    assert response.status_code == 429
    assert Report.objects.count() == 2
    other = client.post(url, public_data(category=category.pk), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_tracking_shows_status_but_never_notes_or_identity(
    client, report_factory, pamekasan_bawaslu, pamekasan_office
):
    report = report_factory()
    report_transition(
        report=report, user=pamekasan_bawaslu, action="register", note="Catatan internal X"
    )
    response = client.post(reverse("neutrality:track"), {"code": report.tracking_code.lower()})
    body = response.content.decode()
    assert "Diregistrasi" in body
    assert "Catatan internal X" not in body
    assert report.reporter_name not in body and report.reporter_nik not in body
    missing = client.post(reverse("neutrality:track"), {"code": "AAAAA-AAAAA"})
    assert "tidak ditemukan" in missing.content.decode()


def test_owning_officer_sees_identity_only_on_request_and_it_is_audited(
    client, report_factory, pamekasan_bawaslu, pamekasan_office
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    page = client.get(report.get_absolute_url()).content.decode()
    assert report.reporter_nik not in page and "show-identity" in page
    assert not AuditEntry.objects.filter(action="view_identity").exists()
    page = client.get(report.get_absolute_url() + "?identitas=1").content.decode()
    assert report.reporter_nik in page and report.reporter_name in page
    entry = AuditEntry.objects.get(action="view_identity")
    assert entry.user == pamekasan_bawaslu and entry.report == report


@pytest.mark.parametrize("persona", ["sumenep_bawaslu", "outsider", "kaltim_desk"])
def test_a_report_of_another_office_is_not_found(client, report_factory, persona, request):
    report = report_factory()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(report.get_absolute_url()).status_code == 404
    assert client.get(report.get_absolute_url() + "?identitas=1").status_code == 404
    url = reverse("neutrality:transition", args=[report.pk])
    assert client.post(url, {"action": "register"}).status_code == 404
    report.refresh_from_db()
    assert report.status == S.RECEIVED


@pytest.mark.parametrize("persona", ["pamekasan_desk", "jatim_bawaslu", "ri_bawaslu"])
def test_readers_in_scope_see_the_case_but_never_the_reporter_or_evidence(
    client, report_factory, persona, request, photo
):
    report = report_factory(files=[photo])
    client.force_login(request.getfixturevalue(persona))
    body = client.get(report.get_absolute_url() + "?identitas=1").content.decode()
    assert report.asn_name in body
    assert report.reporter_name not in body and report.reporter_nik not in body
    assert "bukti/" not in body
    evidence = report.evidence.get()
    url = reverse("neutrality:evidence", args=[report.pk, evidence.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("neutrality:transition", args=[report.pk]), {"action": "register"}
        ).status_code
        == 404
    )
    assert not AuditEntry.objects.filter(action__in=["view_identity", "download"]).exists()


def test_evidence_downloads_as_an_attachment_for_the_owning_office(
    client, report_factory, pamekasan_bawaslu, pamekasan_office, photo
):
    report = report_factory(files=[photo])
    evidence = report.evidence.get()
    client.force_login(pamekasan_bawaslu)
    response = client.get(reverse("neutrality:evidence", args=[report.pk, evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    assert AuditEntry.objects.filter(action="download", report=report).exists()
    client.logout()
    assert (
        client.get(reverse("neutrality:evidence", args=[report.pk, evidence.pk])).status_code == 302
    )


def test_transition_through_the_page_and_a_stale_second_click(
    client, report_factory, pamekasan_bawaslu, pamekasan_office
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    url = reverse("neutrality:transition", args=[report.pk])
    client.post(url, {"action": "register", "expected_status": "received"})
    report.refresh_from_db()
    assert report.status == S.REGISTERED
    response = client.post(
        url,
        {"action": "not_register", "expected_status": "received", "reason": "formal"},
        follow=True,
    )
    assert "oleh petugas lain" in response.content.decode()
    report.refresh_from_db()
    assert report.status == S.REGISTERED


def test_queue_is_ordered_by_deadline_with_overdue_highlighted(
    client,
    report_factory,
    pamekasan_bawaslu,
    pamekasan_office,
    time_machine,
    django_assert_num_queries,
):
    time_machine.move_to(datetime.datetime(2024, 11, 1, 2, 0, tzinfo=datetime.UTC))
    old = report_factory(
        occurred_on=datetime.date(2024, 10, 27), known_on=datetime.date(2024, 10, 27)
    )
    time_machine.move_to(datetime.datetime(2024, 11, 3, 2, 0, tzinfo=datetime.UTC))
    new = report_factory(
        occurred_on=datetime.date(2024, 11, 2), known_on=datetime.date(2024, 11, 2)
    )
    done = report_factory(
        occurred_on=datetime.date(2024, 11, 2), known_on=datetime.date(2024, 11, 2)
    )
    report_transition(report=done, user=pamekasan_bawaslu, action="withdraw")
    client.force_login(pamekasan_bawaslu)
    # savepoint (ATOMIC_REQUESTS), user (the session is read from the Redis
    # cache), the second-factor device that verified the session (an officer
    # signs in with one), role assignments (scope),
    # Bawaslu assignments, their offices, the offices' regions, the officers
    # (assignee filter), the reports with office/category/region/assignee,
    # the reports per NIP (repeat offenders), the categories (filter),
    # release: the same whatever the number of reports.
    with django_assert_num_queries(12):
        response = client.get(reverse("neutrality:index"))
    body = response.content.decode()

    def row(report):
        return body.index(f'href="{report.get_absolute_url()}"')

    assert row(old) < row(new) < row(done)
    # old: received 1 Nov, initial study until 3 Nov (not registered yet).
    assert 'class="due-today"' in body
    time_machine.move_to(datetime.datetime(2024, 11, 4, 2, 0, tzinfo=datetime.UTC))
    client.force_login(pamekasan_bawaslu)  # the 12-hour session ended overnight
    assert 'class="overdue"' in client.get(reverse("neutrality:index")).content.decode()
    filtered = client.get(reverse("neutrality:index"), {"status": "withdrawn"}).content.decode()
    assert f'href="{done.get_absolute_url()}"' in filtered
    assert f'href="{old.get_absolute_url()}"' not in filtered


def test_queue_of_another_office_is_empty(client, report_factory, sumenep_bawaslu):
    report = report_factory()
    client.force_login(sumenep_bawaslu)
    assert report.tracking_code not in client.get(reverse("neutrality:index")).content.decode()


def test_outsider_has_no_queue(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("neutrality:index")).status_code == 404


def test_exports_carry_identity_only_for_the_owning_office(
    client, report_factory, pamekasan_bawaslu, pamekasan_desk, pamekasan_office
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    # Hidden by default, even from the owning office: nothing to audit.
    plain = _csv_rows(client.get(reverse("neutrality:export", args=["csv"])))
    assert plain[1][0] == f"#{report.pk}" and report.reporter_nik not in plain[1]
    assert "Nama pelapor" not in plain[0]
    assert not AuditEntry.objects.filter(action="export_identity").exists()
    url = reverse("neutrality:export", args=["csv"])
    rows = _csv_rows(client.get(url, {"identitas": "1"}))
    assert rows[1][0] == f"#{report.pk}" and report.reporter_nik in rows[1]
    assert AuditEntry.objects.filter(action="export_identity").count() == 1
    client.force_login(pamekasan_desk)
    response = client.get(reverse("neutrality:export", args=["xlsx"]), {"identitas": "1"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == f"#{report.pk}"
    assert report.reporter_nik not in [str(v) for v in values[1]]
    assert "Nama pelapor" not in values[0]
    assert client.get(reverse("neutrality:export", args=["pdf"])).status_code == 404


def test_statistics_are_scoped_and_nationwide_for_bawaslu_ri(
    client, report_factory, ri_bawaslu, sumenep_bawaslu
):
    report_factory()
    village = Region.objects.filter(code__startswith="64.", level="village").first()
    report_factory(region=village)
    client.force_login(ri_bawaslu)
    body = client.get(reverse("neutrality:stats")).content.decode()
    assert "Kabupaten Pamekasan" in body
    assert village.parent.parent.name in body
    from neutrality.selectors import statistics

    assert statistics(ri_bawaslu)["status"]["total"] == 2
    assert statistics(sumenep_bawaslu)["status"]["total"] == 0


def test_staff_form_files_for_the_officer(client, pamekasan_bawaslu, pamekasan_office, category):
    client.force_login(pamekasan_bawaslu)
    response = client.post(reverse("neutrality:create"), public_data(category=category.pk))
    report = Report.objects.get()
    assert response["Location"] == reverse("neutrality:create_done")
    assert report.channel == "staff"
    assert report.events.get().actor == pamekasan_bawaslu


def test_home_panel_counts_the_offices_open_reports(
    client, report_factory, pamekasan_bawaslu, pamekasan_office
):
    report_factory()
    client.force_login(pamekasan_bawaslu)
    body = client.get("/").content.decode()
    assert "1 laporan terbuka" in body


def test_public_form_in_english_when_chosen(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("neutrality:public_form")).content.decode()
    assert "Report an ASN neutrality violation" in body
    assert "within 7 days of the day the incident became known" in body


def test_the_incident_place_is_a_place_in_english(
    client, report_factory, pamekasan_bawaslu, settings
):
    """Not the "Venue" of a meeting: the same Indonesian word, another meaning."""
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    index = client.get(reverse("neutrality:index")).content.decode()
    detail = client.get(report.get_absolute_url()).content.decode()
    assert "<th>Place</th>" in index and "<dt>Place</dt>" in detail
    assert "Venue" not in index + detail


def test_reporter_withdraws_with_the_code_only_before_registration(
    client, report_factory, pamekasan_bawaslu
):
    report = report_factory()
    page = client.post(reverse("neutrality:track"), {"code": report.tracking_code}).content
    assert b"Cabut laporan" in page
    client.post(reverse("neutrality:track_withdraw"), {"code": report.tracking_code})
    report.refresh_from_db()
    assert report.status == S.WITHDRAWN
    assert report.events.last().actor is None
    registered = report_factory()
    report_transition(report=registered, user=pamekasan_bawaslu, action="register")
    response = client.post(reverse("neutrality:track_withdraw"), {"code": registered.tracking_code})
    assert "tidak dapat dicabut" in response.content.decode()
    registered.refresh_from_db()
    assert registered.status == S.REGISTERED


def test_officer_adds_evidence_after_asking_for_more_information(
    client, report_factory, pamekasan_bawaslu, pamekasan_desk, photo
):
    report = report_factory()
    url = reverse("neutrality:evidence_add", args=[report.pk])
    client.force_login(pamekasan_desk)
    assert client.post(url, {"links": "https://x.example/1"}).status_code == 404
    client.force_login(pamekasan_bawaslu)
    bad = SimpleUploadedFile("palsu.jpg", b"<?php evil ?>")
    response = client.post(url, {"files": [bad]}, follow=True)
    assert "palsu.jpg" in response.content.decode()
    assert not report.evidence.filter(kind="file").exists()
    client.post(url, {"files": [photo], "links": "https://x.example/2"})
    assert report.evidence.filter(kind="file").count() == 1
    assert AuditEntry.objects.filter(action="add_evidence", report=report).exists()
    assert "Bukti tambahan: 1 berkas, 1 tautan." in report.events.last().note


def test_repeat_offender_is_flagged_in_the_queue(client, report_factory, pamekasan_bawaslu):
    report_factory()
    report_factory()
    report_factory(asn_nip="", asn_name="Orang Lain")
    client.force_login(pamekasan_bawaslu)
    body = client.get(reverse("neutrality:index")).content.decode()
    assert body.count(">+1</span>") == 2


def test_desk_staff_reach_the_reports_from_the_home_page(client, report_factory, pamekasan_desk):
    report_factory()
    client.force_login(pamekasan_desk)
    body = client.get("/").content.decode()
    assert "1 laporan terbuka" in body and reverse("neutrality:index") in body


def test_exports_quote_text_a_spreadsheet_would_run(client, report_factory, pamekasan_bawaslu):
    report_factory(asn_name='=HYPERLINK("http://evil.example","klik")')
    client.force_login(pamekasan_bawaslu)
    # With the reporter's columns (asked for), which hold the phone number.
    url = reverse("neutrality:export", args=["csv"])
    content = client.get(url, {"identitas": "1"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[1][11].startswith("'=HYPERLINK")
    assert "+6281234567890" in rows[1]  # phone numbers stay as they are


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("35.28.01", True),  # the kecamatan itself
        ("35.28", True),  # its kabupaten
        ("35.28.", True),  # a trailing dot is dropped
        ("35", True),
        ("35.28.02", False),  # a sibling kecamatan
    ],
)
def test_region_filter_takes_the_region_and_its_subtree(
    client, report_factory, pamekasan_bawaslu, code, found
):
    report = report_factory()  # Kecamatan Tlanakan, 35.28.01
    client.force_login(pamekasan_bawaslu)
    page = client.get(reverse("neutrality:index"), {"region": code})
    assert page.status_code == 200
    assert (report.get_absolute_url() in page.content.decode()) is found
    export = client.get(reverse("neutrality:export", args=["csv"]), {"region": code})
    assert export.status_code == 200
    assert (len(_csv_rows(export)) == 2) is found


def test_a_malformed_filter_is_named_and_the_other_filters_still_apply(
    client, report_factory, pamekasan_bawaslu
):
    received = report_factory()
    withdrawn = report_factory(asn_name="Orang Lain", asn_nip="")
    report_transition(report=withdrawn, user=pamekasan_bawaslu, action="withdraw")
    client.force_login(pamekasan_bawaslu)
    for bad in ({"region": "35.2"}, {"region": "Pamekasan"}, {"category": "zzz"}):
        page = client.get(reverse("neutrality:index"), {**bad, "status": "withdrawn"})
        body = page.content.decode()
        assert page.status_code == 200 and 'id="filter-errors"' in body
        assert withdrawn.get_absolute_url() in body
        assert received.get_absolute_url() not in body
        export = client.get(
            reverse("neutrality:export", args=["csv"]), {**bad, "status": "withdrawn"}
        )
        rows = _csv_rows(export)
        assert len(rows) == 2 and "Orang Lain" in rows[1]
    body = client.get(reverse("neutrality:index"), {"region": "35.2"}).content.decode()
    assert "Kode wilayah tidak dikenali" in body


def test_an_unknown_status_is_named_and_does_not_unfilter_the_queue(
    client, report_factory, pamekasan_bawaslu
):
    tlanakan = report_factory()
    elsewhere = report_factory(region=Region.objects.get(code="35.28.02"), asn_nip="")
    client.force_login(pamekasan_bawaslu)
    query = {"status": "zzz", "region": "35.28.02"}
    body = client.get(reverse("neutrality:index"), query).content.decode()
    assert "Saringan «Status» diabaikan" in body
    assert elsewhere.get_absolute_url() in body and tlanakan.get_absolute_url() not in body
    rows = _csv_rows(client.get(reverse("neutrality:export", args=["csv"]), query))
    assert len(rows) == 2


def test_the_report_never_names_itself_by_its_tracking_code(report_factory, pamekasan_bawaslu):
    report = report_factory()
    assert str(report) == f"#{report.pk}"
    registered = report_transition(report=report, user=pamekasan_bawaslu, action="register")
    assert str(registered) == registered.register_number


def test_the_admin_never_shows_the_tracking_code(client, report_factory, django_user_model):
    report = report_factory()
    admin = django_user_model.objects.create_superuser("root", "root@example.id", "x" * 12)
    client.force_login(admin)
    for url in (
        "/admin/neutrality/report/",
        f"/admin/neutrality/report/{report.pk}/change/",
        "/admin/neutrality/reportevent/",
        "/admin/neutrality/auditentry/",
    ):
        body = client.get(url).content.decode()
        assert report.tracking_code not in body, url
    found = client.get("/admin/neutrality/report/", {"q": report.tracking_code}).content.decode()
    assert f"#{report.pk}" not in found


def test_a_duplicate_is_linked_by_reference_and_only_own_codes_are_taken(
    client, report_factory, pamekasan_bawaslu, agency_factory
):
    from desk.models import Agency
    from neutrality.services import report_reroute

    original = report_factory()
    duplicate = report_factory()
    url = reverse("neutrality:duplicate", args=[duplicate.pk])
    client.force_login(pamekasan_bawaslu)
    client.post(url, {"original": f"#{original.pk}"})
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of == original
    client.post(url, {"original": ""})
    # A report now handled by another office is not found by its code.
    sumenep = agency_factory("35.29", kind=Agency.Kind.BAWASLU, name="Bawaslu Sumenep")
    report_reroute(
        report=original, user=pamekasan_bawaslu, region=sumenep.region, reason="Salah kantor"
    )
    client.post(url, {"original": original.tracking_code})
    duplicate.refresh_from_db()
    assert duplicate.duplicate_of is None


def test_links_without_a_scheme_are_kept_as_https_links(client, category):
    response = client.post(
        reverse("neutrality:public_form"),
        public_data(category=category.pk, links="facebook.com/post/1\nhttp://x.example/a"),
    )
    assert response.status_code == 302
    urls = list(Report.objects.get().evidence.values_list("url", flat=True).order_by("pk"))
    assert urls == ["https://facebook.com/post/1", "http://x.example/a"]


def test_an_invalid_link_is_named_and_nothing_is_stored(client, category):
    response = client.post(
        reverse("neutrality:public_form"),
        public_data(category=category.pk, links="https://ok.example/1\nbukan tautan"),
    )
    assert response.status_code == 200
    assert "Bukan tautan yang valid: bukan tautan" in response.content.decode()
    assert not Report.objects.exists()


def test_evidence_added_later_takes_links_without_a_scheme(
    client, report_factory, pamekasan_bawaslu
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    url = reverse("neutrality:evidence_add", args=[report.pk])
    client.post(url, {"links": "instagram.com/p/xyz"})
    assert report.evidence.get().url == "https://instagram.com/p/xyz"
    response = client.post(url, {"links": "http://"}, follow=True)
    assert "Bukan tautan yang valid: http://" in response.content.decode()
    assert report.evidence.count() == 1


def test_the_original_lists_the_reports_marked_as_its_duplicates(
    client, report_factory, pamekasan_bawaslu, pamekasan_desk, agency_factory
):
    from desk.models import Agency
    from neutrality.services import report_mark_duplicate, report_reroute

    original = report_factory()
    first = report_factory(asn_nip="", asn_name="Nama Lain")  # not "related" by ASN
    elsewhere = report_factory(asn_nip="", asn_name="Nama Lain")
    for duplicate in (first, elsewhere):
        report_mark_duplicate(report=duplicate, user=pamekasan_bawaslu, original=original)
    # One duplicate now handled in Kalimantan Timur: out of Pamekasan's scope.
    kaltim = agency_factory("64.11", kind=Agency.Kind.BAWASLU, name="Bawaslu Mahakam Ulu")
    report_reroute(report=elsewhere, user=pamekasan_bawaslu, region=kaltim.region, reason="Salah")
    for persona in (pamekasan_bawaslu, pamekasan_desk):
        client.force_login(persona)
        body = client.get(original.get_absolute_url()).content.decode()
        section = body[body.index('id="duplicates"') : body.index('id="related"')]
        assert first.get_absolute_url() in section and f"#{first.pk}" in section
        assert elsewhere.get_absolute_url() not in section
    page = client.get(report_factory(asn_nip="").get_absolute_url()).content.decode()
    assert 'id="duplicates"' not in page


@pytest.mark.parametrize(
    ("province", "regency", "late"),
    [("35", "35.28", False), ("73", "73.71", True)],  # Pamekasan (WIB), Makassar (WITA)
)
def test_the_late_warning_and_the_time_barred_flag_agree_on_the_places_date(
    client, category, time_machine, province, regency, late
):
    # 1 Nov 2024 16:30 UTC: still 1 Nov (23:30) in Pamekasan, 2 Nov (00:30) in
    # Makassar. Known on 25 Oct: day 7 in Pamekasan, day 8 in Makassar.
    time_machine.move_to(datetime.datetime(2024, 11, 1, 16, 30, tzinfo=datetime.UTC), tick=False)
    district = Region.objects.filter(parent_id=regency).order_by("code").first().code
    data = public_data(
        category=category.pk,
        province=province,
        regency=regency,
        district=district,
        asn_region=regency,
        occurred_on="2024-10-25",
        known_on="2024-10-25",
    )
    url = reverse("neutrality:public_form")
    body = client.post(url, {**data, "refresh": "1"}).content.decode()
    hidden = 'id="late-warning" class="late-warning" role="status" hidden' in body
    assert hidden is not late
    # The page gives the script each province's date (the server's, per zone).
    assert '"35": "2024-11-01"' in body and '"73": "2024-11-02"' in body
    assert client.post(url, data).status_code == 302
    assert Report.objects.get().time_barred is late


def test_the_form_script_gets_the_province_government_label_in_the_users_language(
    client, db, settings
):
    body = client.get(reverse("neutrality:public_form")).content.decode()
    assert 'data-province-government="Pemerintah provinsi"' in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("neutrality:public_form")).content.decode()
    assert 'data-province-government="Provincial government"' in body


def test_the_reroute_form_offers_every_province_and_kabupaten_office(
    client, report_factory, pamekasan_bawaslu
):
    from desk.models import Agency

    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'value="64.11"' in page and "Bawaslu Kabupaten Mahakam Ulu (64.11)" in page
    assert 'value="64"' in page and "Bawaslu Provinsi Kalimantan Timur (64)" in page
    response = client.post(
        reverse("neutrality:reroute", args=[report.pk]),
        {"region": "64.11", "reason": "Terlapor bertugas di Mahakam Ulu"},
    )
    assert response["Location"] == reverse("neutrality:index")  # no longer this office's
    report.refresh_from_db()
    assert report.office == Agency.objects.get(region_id="64.11")
    assert "Terlapor bertugas di Mahakam Ulu" in report.routing_reason


def test_system_texts_are_stored_in_indonesian_whatever_the_writers_language(
    client, category, pamekasan_bawaslu, second_pamekasan_officer, settings, agency_factory
):
    """A citizen and an officer on the English UI: what is saved for every
    reader (routing reason, event notes, audit details) stays Indonesian."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    late = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("neutrality:public_form"),
        public_data(category=category.pk, occurred_on=late, known_on=late),
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.routing_reason.startswith("Kejadian di Tlanakan, Kabupaten Pamekasan")
    assert report.events.get().note == (
        "Laporan diterima melalui Formulir publik. Lewat 7 hari sejak diketahui: kedaluwarsa."
    )
    client.force_login(pamekasan_bawaslu)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    act = reverse("neutrality:transition", args=[report.pk])
    client.post(act, {"action": "not_register", "reason": "time_barred"})
    client.post(
        reverse("neutrality:assign", args=[report.pk]),
        {"assignee": str(second_pamekasan_officer.pk)},
    )
    client.get(reverse("neutrality:export", args=["csv"]), {"identitas": "1"})
    client.post(
        reverse("neutrality:reroute", args=[report.pk]),
        {"region": "35.29", "reason": "Salah kantor"},
    )
    notes = list(report.events.order_by("pk").values_list("note", flat=True))
    assert notes[1] == "Kedaluwarsa (lewat 7 hari)."
    assert "Ditugaskan kepada Siti." in notes
    assert notes[-1].startswith("Dipindahkan dari Bawaslu Kabupaten Pamekasan ke Bawaslu")
    report.refresh_from_db()
    assert report.routing_reason == "Dipindahkan dari Bawaslu Kabupaten Pamekasan: Salah kantor"
    export = AuditEntry.objects.get(action="export_identity")
    assert export.detail == "1 laporan dengan identitas pelapor (csv)"
    # The English reader still reads the page in English around them.
    body = client.get(reverse("neutrality:index")).content.decode()
    assert "<h1>ASN neutrality report" in body


def test_handling_notes_are_stored_in_indonesian_from_the_english_ui(
    client, report_factory, pamekasan_bawaslu, settings, photo
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    act = reverse("neutrality:transition", args=[report.pk])
    for action in ("register", "study", "request_info"):
        client.post(act, {"action": action})
    client.post(reverse("neutrality:evidence_add", args=[report.pk]), {"files": [photo]})
    client.post(act, {"action": "decide", "outcome": "not_violation"})
    notes = list(report.events.order_by("pk").values_list("note", flat=True))
    assert notes[1].startswith("Nomor registrasi ")
    assert "Batas tindak lanjut diperpanjang 2 hari." in notes
    assert "Bukan pelanggaran." in notes
    assert "Bukti tambahan: 1 berkas, 0 tautan." in notes


def test_the_handling_buttons_speak_the_officers_language(
    client, report_factory, pamekasan_bawaslu, settings
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(report.get_absolute_url()).content.decode()
    assert "<summary>Register</summary>" in body


@pytest.mark.parametrize("status", [S.WITHDRAWN, S.NOT_REGISTERED, S.DECIDED, S.CLOSED])
def test_evidence_cannot_be_added_to_a_report_no_longer_handled(
    client, report_factory, pamekasan_bawaslu, photo, status, tmp_path
):
    report = report_factory()
    Report.objects.filter(pk=report.pk).update(status=status)
    client.force_login(pamekasan_bawaslu)
    response = client.post(
        reverse("neutrality:evidence_add", args=[report.pk]),
        {"files": [photo], "links": "https://x.example/1"},
        follow=True,
    )
    assert "tidak menerima bukti tambahan" in response.content.decode()
    assert not report.evidence.exists()
    assert report.events.count() == 1
    assert not any(p.is_file() for p in (tmp_path / "private").rglob("*"))


def test_a_honeypot_holding_zero_stores_nothing(client, category):
    response = client.post(
        reverse("neutrality:public_form"), public_data(category=category.pk, website="0")
    )
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_the_home_panel_counts_deadlines_against_each_regions_own_date(
    client, report_factory, ri_bawaslu, time_machine
):
    from neutrality.selectors import home_panel

    pamekasan = report_factory()  # WIB
    village = Region.objects.filter(code__startswith="73.71.", level="village").first()
    makassar = report_factory(region=village)  # WITA
    Report.objects.filter(pk__in=[pamekasan.pk, makassar.pk]).update(
        due_on=datetime.date(2024, 11, 4)
    )
    # 4 Nov 2024 16:30 UTC: 23:30 on 4 Nov in Pamekasan, 00:30 on 5 Nov in Makassar.
    time_machine.move_to(datetime.datetime(2024, 11, 4, 16, 30, tzinfo=datetime.UTC), tick=False)
    panel = home_panel(ri_bawaslu)
    assert (panel["open"], panel["overdue"], panel["due_today"]) == (2, 1, 1)
    client.force_login(ri_bawaslu)
    body = client.get("/").content.decode()
    assert '<li class="bad">Lewat batas: 1</li>' in body and "Batas hari ini: 1" in body


def test_the_queue_badge_and_the_report_page_count_the_same_other_reports(
    client, report_factory, pamekasan_bawaslu
):
    first = report_factory()
    same_nip = report_factory(asn_name="Hasanuddin")  # the NIP only
    same_name = report_factory(  # the name and agency only, another case
        asn_nip="", asn_name="DRS. HASANUDDIN", asn_agency="dinas pendidikan kabupaten pamekasan"
    )
    unrelated = report_factory(asn_nip="", asn_name="Orang Lain")
    client.force_login(pamekasan_bawaslu)
    body = client.get(reverse("neutrality:index")).content.decode()
    rows = {
        r.pk: body[body.index(r.get_absolute_url()) :].split("</tr>")[0]
        for r in (first, same_nip, same_name, unrelated)
    }
    expected = {first.pk: 2, same_nip.pk: 1, same_name.pk: 1, unrelated.pk: 0}
    for report in (first, same_nip, same_name, unrelated):
        page = client.get(report.get_absolute_url()).content.decode()
        related = page[page.index('id="related"') :].split("</section>")[0]
        assert related.count("<li><a ") == expected[report.pk]
        badge = f">+{expected[report.pk]}</span>"
        assert (badge in rows[report.pk]) is bool(expected[report.pk])


def test_statistics_give_withdrawn_and_unregistered_reports_their_own_outcome(
    report_factory, pamekasan_bawaslu, ri_bawaslu
):
    from neutrality.selectors import statistics

    report_factory()  # still received
    report_transition(report=report_factory(), user=pamekasan_bawaslu, action="withdraw")
    not_registered = report_transition(
        report=report_factory(), user=pamekasan_bawaslu, action="not_register", reason="formal"
    )
    report_transition(report=not_registered, user=pamekasan_bawaslu, action="close")
    decided = report_factory()
    for action, extra in (
        ("register", {}),
        ("study", {}),
        ("decide", {"outcome": "not_violation"}),
    ):
        decided = report_transition(report=decided, user=pamekasan_bawaslu, action=action, **extra)
    rows = {str(r["label"]): r["n"] for r in statistics(ri_bawaslu)["outcome"]["rows"]}
    assert rows == {
        "Belum diputus": 1,
        "Dicabut pelapor": 1,
        "Tidak diregistrasi": 1,
        "Bukan pelanggaran": 1,
    }


@pytest.mark.parametrize("term", ["#99999999999999999999999", "#", "12#", "# 1e5"])
def test_an_odd_reference_in_the_search_finds_nothing_and_never_fails(
    client, report_factory, pamekasan_bawaslu, term
):
    report = report_factory()
    client.force_login(pamekasan_bawaslu)
    response = client.get(reverse("neutrality:index"), {"q": term})
    assert response.status_code == 200
    assert report.get_absolute_url() not in response.content.decode()
    duplicate = client.post(
        reverse("neutrality:duplicate", args=[report_factory().pk]), {"original": term}
    )
    assert duplicate.status_code == 302
