"""NIP and NIK checks; evidence type by content, size cap, empty files."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from neutrality.validators import sniff_evidence, validate_nik, validate_nip

from .conftest import MP4, PDF, jpeg_bytes, png_bytes

TODAY = datetime.date(2024, 11, 1)


def test_a_real_nip_passes_and_loses_its_spaces():
    assert validate_nip("19850315 201001 1 002", today=TODAY) == "198503152010011002"


@pytest.mark.parametrize(
    ("nip", "why"),
    [
        ("19850315201001100", "18 angka"),  # 17 digits
        ("1985031520100110AB", "18 angka"),
        ("198502302010011002", "tanggal lahir"),  # 30 February
        ("198503152010131002", "bukan bulan"),  # appointment month 13
        ("198503152000011002", "18 tahun"),  # appointed at 14
        ("198503152025011002", "masa depan"),  # appointed after today
        ("193003152010011002", "tidak masuk akal"),  # born 1930
        ("198503152010013002", "jenis kelamin"),  # sex digit 3
    ],
)
def test_an_impossible_nip_is_refused_with_the_reason(nip, why):
    with pytest.raises(ValidationError) as exc:
        validate_nip(nip, today=TODAY)
    assert why in exc.value.messages[0]


def test_nik_is_sixteen_digits():
    assert validate_nik("3528 0115 0385 0001") == "3528011503850001"
    with pytest.raises(ValidationError):
        validate_nik("35280115038500")


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.jpg", jpeg_bytes(), "image/jpeg"),
        ("b.png", png_bytes(), "image/png"),
        ("c.pdf", PDF, "application/pdf"),
        ("d.mp4", MP4, "video/mp4"),
        ("named-wrong.txt", jpeg_bytes(), "image/jpeg"),  # the name does not matter
    ],
)
def test_type_is_read_from_the_content(name, data, kind):
    sniffed = sniff_evidence(SimpleUploadedFile(name, data, content_type="text/plain"))
    assert sniffed.content_type == kind
    assert len(sniffed.sha256) == 64 and sniffed.size == len(data)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"\xff\xd8\xff\xe0 not really a jpeg body",  # JPEG magic, broken image
        b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",  # QuickTime, not MP4
    ],
)
def test_a_spoofed_type_is_refused(data):
    with pytest.raises(ValidationError) as exc:
        sniff_evidence(SimpleUploadedFile("bukti.jpg", data, content_type="image/jpeg"))
    assert "bukti.jpg" in exc.value.messages[0]


def test_empty_and_oversized_files_are_refused(settings):
    with pytest.raises(ValidationError, match="kosong"):
        sniff_evidence(SimpleUploadedFile("kosong.pdf", b""))
    settings.NEUTRALITY_EVIDENCE_MAX_BYTES = 1024 * 1024
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationError, match="terlalu besar"):
        sniff_evidence(SimpleUploadedFile("besar.pdf", big))
