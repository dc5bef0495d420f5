"""Meetings fixtures: the Kaltim desk's directory (WITA), a Jakarta (WIB)
and a Papua (WIT) desk, and a meeting factory that goes through the service."""

import datetime
import zoneinfo

import pytest

from desk.models import Agency, Person, Region
from meetings import services
from meetings.models import Kind

WITA = zoneinfo.ZoneInfo("Asia/Makassar")


@pytest.fixture
def kaltim(db):
    return Region.objects.get(code="64")


@pytest.fixture
def kaltim_directory(agency_factory):
    """KPU, Bawaslu, Polda, an OPD of the province, a kabupaten KPU below it."""
    kpu = agency_factory(
        "64", Agency.Kind.KPU, "KPU Provinsi Kalimantan Timur", email="kpu@kaltim.example.id"
    )
    bawaslu = agency_factory("64", Agency.Kind.BAWASLU, "Bawaslu Provinsi Kalimantan Timur")
    polda = agency_factory("64", Agency.Kind.POLRI, "Polda Kalimantan Timur")
    dishub = agency_factory("64", Agency.Kind.OPD, "Dinas Perhubungan Kaltim")
    kpu_mahulu = agency_factory("64.11", Agency.Kind.KPU, "KPU Kabupaten Mahakam Ulu")
    people = {
        "sekda": Person.objects.create(
            agency=dishub, name="Dewi Lestari", position="Sekda", email="dewi@kaltim.example.id"
        ),
        "kpu": Person.objects.create(
            agency=kpu, name="Andi Wijaya", email="andi@kaltim.example.id"
        ),
        "bawaslu": Person.objects.create(
            agency=bawaslu, name="Ratna Sari", email="ratna@kaltim.example.id", language="en"
        ),
        "polda": Person.objects.create(
            agency=polda, name="Hendro Susilo", email="hendro@kaltim.example.id"
        ),
        "mahulu": Person.objects.create(
            agency=kpu_mahulu, name="Paulus Ding", email="paulus@mahulu.example.id"
        ),
    }
    return {
        "kpu": kpu,
        "bawaslu": bawaslu,
        "polda": polda,
        "dishub": dishub,
        "kpu_mahulu": kpu_mahulu,
        "people": people,
    }


@pytest.fixture
def make_meeting(db):
    def make(region, starts_at, *, people=(), agencies=(), hours=2, user=None, **extra):
        fields = {"title": "Rakor desk", "kind": Kind.DESK, "venue": "Ruang rapat Kesbangpol"}
        fields.update(extra)
        return services.meeting_schedule(
            user=user,
            region=region,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=hours),
            people=people,
            agencies=agencies,
            **fields,
        )

    return make
