"""The invite form reads the same for someone outside the meeting's reach
and for an id that does not exist, and names nobody."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from desk.models import Agency, Person
from meetings.models import Invitation
from tests.meetings.conftest import WITA


@pytest.mark.parametrize("field", ["agencies", "people"])
def test_invite_outside_reach_reads_like_missing(
    kaltim_desk, kaltim, kaltim_directory, make_meeting, field
):
    meeting = make_meeting(kaltim, datetime.datetime(2024, 11, 4, 9, tzinfo=WITA))
    elsewhere = Agency.objects.create(region_id="76", kind="kpu", name="KPU Provinsi Sulbar")
    person = Person.objects.create(agency=elsewhere, name="Moh. Hasan Basri")
    outside = elsewhere.pk if field == "agencies" else person.pk
    answers = []
    for value in (outside, 999_999):
        client = Client()
        client.force_login(kaltim_desk)
        response = client.post(f"/meetings/{meeting.pk}/invite/", {field: [value]})
        shown = [str(m) for m in get_messages(response.wsgi_request)]
        answers.append((response.status_code, response.url, shown))
    assert answers[0] == answers[1]
    assert answers[0][2] == ["Pilihan undangan tidak sah."]
    assert not Invitation.objects.filter(meeting=meeting).exists()


def test_invite_within_reach_still_works(
    client, kaltim_desk, kaltim, kaltim_directory, make_meeting
):
    meeting = make_meeting(kaltim, datetime.datetime(2024, 11, 4, 9, tzinfo=WITA))
    client.force_login(kaltim_desk)
    person = kaltim_directory["people"]["mahulu"]
    client.post(f"/meetings/{meeting.pk}/invite/", {"people": [person.pk]})
    assert meeting.invitations.get().person == person
