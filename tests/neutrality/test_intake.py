"""Intake: validation, the 7-day window, routing, evidence stored privately."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from desk.models import Agency, Region
from neutrality.models import AuditEntry, Evidence, Report, ReportEvent
from neutrality.services import office_for, report_submit

from .conftest import PDF, jpeg_bytes


def test_report_is_received_with_tracking_code_deadline_and_event(report_factory, time_machine):
    time_machine.move_to(datetime.datetime(2024, 11, 1, 9, 0, tzinfo=datetime.UTC))
    report = report_factory(
        occurred_on=datetime.date(2024, 10, 29), known_on=datetime.date(2024, 10, 30)
    )
    assert report.status == Report.Status.RECEIVED
    assert len(report.tracking_code) == 11 and report.tracking_code[5] == "-"
    assert report.received_on == datetime.date(2024, 11, 1)
    # Until registration, the initial study's 2 calendar days (a setting); the
    # 3-day follow-up (UU Pilkada 134(5)) starts at registration.
    assert report.due_on == datetime.date(2024, 11, 3)
    assert report.registered_on is None
    assert not report.time_barred
    event = report.events.get()
    assert (event.from_status, event.to_status) == ("", Report.Status.RECEIVED)
    assert AuditEntry.objects.filter(report=report, action="create").count() == 1


@pytest.mark.parametrize(
    ("known", "barred"),
    [
        (datetime.date(2024, 10, 25), False),  # filed on day 7 after it became known
        (datetime.date(2024, 10, 24), True),  # day 8: time-barred
    ],
)
def test_seven_day_window_counts_calendar_days(report_factory, time_machine, known, barred):
    # 1 Nov 2024, 23:30 WIB: still 1 Nov in Pamekasan.
    time_machine.move_to(datetime.datetime(2024, 11, 1, 16, 30, tzinfo=datetime.UTC))
    report = report_factory(occurred_on=known, known_on=known)
    assert report.time_barred is barred
    assert report.status == Report.Status.RECEIVED  # accepted either way


def test_window_uses_the_incident_regions_local_date(report_factory, time_machine):
    # 1 Nov 2024 17:30 UTC is already 2 Nov 00:30 WIB: day 8 for a 25 Oct report.
    time_machine.move_to(datetime.datetime(2024, 11, 1, 17, 30, tzinfo=datetime.UTC))
    report = report_factory(
        occurred_on=datetime.date(2024, 10, 25), known_on=datetime.date(2024, 10, 25)
    )
    assert report.received_on == datetime.date(2024, 11, 2)
    assert report.time_barred


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"asn_nip": "198513452010011002"}, "asn_nip", "tanggal lahir"),
        ({"asn_nip": "12345"}, "asn_nip", "18 angka"),
        ({"reporter_nik": "12ab"}, "reporter_nik", "16 angka"),
        (
            {"known_on": datetime.date(2024, 10, 1), "occurred_on": datetime.date(2024, 10, 5)},
            "known_on",
            "sebelum tanggal kejadian",
        ),
        ({"known_on": datetime.date(2099, 1, 1)}, "known_on", "masa depan"),
        (
            {"occurred_on": datetime.date(1, 1, 1), "known_on": datetime.date(1, 1, 2)},
            "occurred_on",
            "paling awal 01/01/2005",
        ),
        ({"asn_region_code": "35.28.01"}, "asn_region", "provinsi atau kabupaten/kota"),
        ({"description": "x" * 5001}, "description", "5000"),
        ({"region_code": "35.28"}, "region", "kecamatan"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(
    intake, overrides, field, message
):
    if "region_code" in overrides:
        overrides = {"region": Region.objects.get(code=overrides.pop("region_code"))}
    if "asn_region_code" in overrides:
        overrides = {"asn_region": Region.objects.get(code=overrides.pop("asn_region_code"))}
    with pytest.raises(ValidationError) as exc:
        report_submit(intake=intake(**overrides), channel="public")
    assert message in " ".join(exc.value.message_dict[field])
    assert not Report.objects.exists()


def test_a_spoofed_file_among_good_ones_stores_nothing(intake, tmp_path):
    good = SimpleUploadedFile("foto.jpg", jpeg_bytes())
    spoof = SimpleUploadedFile("foto2.jpg", b"MZ\x90\x00 this is an exe", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        report_submit(intake=intake(), channel="public", files=[good, spoof])
    assert "foto2.jpg" in exc.value.message_dict["files"][0]
    assert not Report.objects.exists() and not Evidence.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "private").rglob("*"))


def test_evidence_is_stored_privately_with_a_random_name_and_its_sha256(report_factory, tmp_path):
    data = jpeg_bytes()
    report = report_factory(
        files=[SimpleUploadedFile("IMG_2024.jpg", data), SimpleUploadedFile("surat.pdf", PDF)],
        links=["https://www.facebook.com/some.post/123"],
    )
    photo, pdf, link = report.evidence.order_by("pk")
    assert photo.content_type == "image/jpeg" and pdf.content_type == "application/pdf"
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert "IMG_2024" not in photo.file.name and photo.file.name.endswith(".jpg")
    assert (tmp_path / "private" / photo.file.name).read_bytes() == data
    assert photo.original_name == "IMG_2024.jpg"
    assert link.kind == "link" and link.url.startswith("https://www.facebook.com/")


def test_routing_to_the_kabupaten_office_reuses_an_existing_agency(pamekasan_office):
    office, reason = office_for(Region.objects.get(code="35.28.01"), provincial_matter=False)
    assert office == pamekasan_office
    assert "Kabupaten Pamekasan" in reason


def test_routing_creates_the_office_when_missing_and_goes_to_the_province_for_governor_matters(
    db,
):
    office, reason = office_for(Region.objects.get(code="35.28.01"), provincial_matter=True)
    assert office.kind == Agency.Kind.BAWASLU
    assert office.region_id == "35"
    assert office.name == "Bawaslu Provinsi Jawa Timur"
    assert "provinsi" in reason
    again, _ = office_for(Region.objects.get(code="35.28.02"), provincial_matter=True)
    assert again == office


def test_report_is_routed_and_the_reason_kept(report_factory, pamekasan_office):
    report = report_factory()
    assert report.office == pamekasan_office
    assert "Tlanakan" in report.routing_reason
    village = Region.objects.filter(code__startswith="73.71.", level="village").first()
    makassar = report_factory(region=village)
    assert makassar.office.region_id == "73.71"
    assert ReportEvent.objects.count() == 2


def test_links_must_be_links(intake):
    with pytest.raises(ValidationError) as exc:
        report_submit(intake=intake(), channel="public", links=["bukan tautan"])
    assert "links" in exc.value.message_dict
    assert not Report.objects.exists()


def test_too_many_files_are_refused(intake):
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF) for i in range(6)]
    with pytest.raises(ValidationError):
        report_submit(intake=intake(), channel="public", files=files)


def test_an_asn_of_the_provincial_government_goes_to_the_provincial_office(report_factory):
    report = report_factory(asn_region=Region.objects.get(code="35"))
    assert report.provincial_matter
    assert report.office.region_id == "35"
