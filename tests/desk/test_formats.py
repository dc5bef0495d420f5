"""Dates and times as desk users read them, in each zone."""

import datetime

import pytest
from django.utils import translation

from desk.phone import normalise_phone
from desk.templatetags.desk import localtime_in, longdate, tzlabel

UTC = datetime.UTC


def test_long_date_in_indonesian_and_english():
    with translation.override("id"):
        assert longdate(datetime.date(2024, 10, 29)) == "Selasa, 29 Oktober 2024"
    with translation.override("en"):
        assert longdate(datetime.date(2024, 10, 29)) == "Tuesday, 29 October 2024"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Jakarta", "Senin, 4 November 2024, 07.30 WIB"),
        ("Asia/Makassar", "Senin, 4 November 2024, 08.30 WITA"),
        ("Asia/Jayapura", "Senin, 4 November 2024, 09.30 WIT"),
    ],
)
def test_a_moment_is_shown_in_the_regions_zone(zone, expected):
    moment = datetime.datetime(2024, 11, 4, 0, 30, tzinfo=UTC)
    with translation.override("id"):
        assert localtime_in(moment, zone) == expected
    assert tzlabel(zone) == expected.rsplit(" ", 1)[1]


def test_just_before_midnight_utc_is_already_tomorrow_in_papua():
    moment = datetime.datetime(2024, 11, 26, 23, 0, tzinfo=UTC)
    with translation.override("id"):
        assert localtime_in(moment, "Asia/Jayapura").startswith("Rabu, 27 November 2024, 08.00")


@pytest.mark.parametrize(
    "raw", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 34567890"]
)
def test_indonesian_phone_numbers_are_normalised(raw):
    assert normalise_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["12", "abc", "0812"])
def test_impossible_phone_numbers_are_refused(raw):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        normalise_phone(raw)
