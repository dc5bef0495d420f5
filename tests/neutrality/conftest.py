"""Neutrality fixtures: reference data, private storage in a temporary
directory, a clean rate-limit cache, offices, personas, reports, evidence."""

import datetime
import io

import pytest
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from desk.models import Agency, Region, Role, RoleAssignment
from neutrality.models import Category, Evidence, ReferralTarget, Report
from neutrality.reference import ensure_reference_data
from neutrality.services import Intake, report_submit

GOOD_NIP = "198503152010011002"  # born 15 Mar 1985, CPNS Jan 2010, male, serial 002
GOOD_NIK = "3528011503850001"


@pytest.fixture(autouse=True)
def _neutrality_env(tmp_path):
    """Evidence in a throw-away directory, an empty rate-limit counter, and
    Indonesian active (a request with the English cookie leaves it switched
    in this thread; the override restores the previous language)."""
    field = Evidence._meta.get_field("file")
    saved = field.storage
    field.storage = FileSystemStorage(location=tmp_path / "private")
    cache.clear()
    with translation.override("id"):
        yield
    field.storage = saved


@pytest.fixture
def db(db):
    """The reference data, which a transactional test elsewhere may have flushed."""
    ensure_reference_data(Category, ReferralTarget)
    return db


@pytest.fixture
def pamekasan_office(db):
    return Agency.objects.create(
        region=Region.objects.get(code="35.28"),
        kind=Agency.Kind.BAWASLU,
        name="Bawaslu Kabupaten Pamekasan",
        short_name="Bawaslu Pamekasan",
    )


@pytest.fixture
def sumenep_bawaslu(make_user):
    """An officer of another office (Kabupaten Sumenep, 35.29)."""
    return make_user(Role.BAWASLU_OFFICER, "35.29", username="sumenep.bawaslu")


@pytest.fixture
def jatim_bawaslu(make_user):
    """An officer of Bawaslu Provinsi Jawa Timur: reads Pamekasan, does not act on it."""
    return make_user(Role.BAWASLU_OFFICER, "35", username="jatim.bawaslu")


@pytest.fixture
def pamekasan_desk(make_user):
    """Kesbangpol staff of Pamekasan: reads reports of the region, never the reporter."""
    return make_user(Role.DESK_STAFF, "35.28", username="pamekasan.desk")


@pytest.fixture
def pamekasan_viewer(make_user):
    """The Sekda of Pamekasan: reads the region's reports, never the reporter."""
    return make_user(Role.VIEWER, "35.28", username="pamekasan.sekda")


@pytest.fixture
def ri_bawaslu(make_user):
    """A Bawaslu RI officer without region: the nation, for statistics."""
    return make_user(Role.BAWASLU_OFFICER, None, username="ri.bawaslu")


@pytest.fixture
def second_pamekasan_officer(make_user, pamekasan_office):
    user = make_user(username="pamekasan.bawaslu2", first_name="Siti")
    RoleAssignment.objects.create(
        user=user,
        role=Role.BAWASLU_OFFICER,
        region=Region.objects.get(code="35.28"),
        agency=pamekasan_office,
    )
    return user


def make_intake(**overrides) -> Intake:
    today = datetime.date.today()
    values = {
        "reporter_kind": Report.ReporterKind.VOTER,
        "reporter_name": "Ahmad Rofiqi",
        "reporter_nik": GOOD_NIK,
        "reporter_address": "Jl. Jokotole 12, Pamekasan",
        "reporter_phone": "+6281234567890",
        "reporter_email": "rofiqi@example.id",
        "asn_name": "Drs. Hasanuddin",
        "asn_nip": GOOD_NIP,
        "asn_position": "Kepala Bidang",
        "asn_agency": "Dinas Pendidikan Kabupaten Pamekasan",
        "region": Region.objects.get(code="35.28.01"),
        "occurred_on": today - datetime.timedelta(days=2),
        "known_on": today - datetime.timedelta(days=1),
        "category": Category.objects.get(code="foto-gestur"),
        "description": "Mengunggah foto bersama calon bupati dengan gestur dua jari.",
    }
    values.update(overrides)
    return Intake(**values)


@pytest.fixture
def intake(db):
    return make_intake


@pytest.fixture
def report_factory(db):
    def make(*, channel=Report.Channel.PUBLIC, files=(), links=(), user=None, **overrides):
        return report_submit(
            intake=make_intake(**overrides), channel=channel, files=files, links=links, user=user
        )

    return make


def jpeg_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture
def photo():
    return SimpleUploadedFile("foto-gestur.jpg", jpeg_bytes(), content_type="image/jpeg")
