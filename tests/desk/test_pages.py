"""The UI shell: login, throttling, language, home, the directory."""

import pytest
from django.urls import reverse

from desk.models import Agency, Person, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_speaks_indonesian_by_default(client):
    html = client.get(reverse("login")).content.decode()
    assert 'lang="id"' in html
    assert "Masuk ke Desk Pilkada" in html


def test_english_is_selectable(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    html = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in html
    assert "Sign in to Desk Pilkada" in html


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_repeated_failures_lock_the_account(client, kaltim_desk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "kaltim.desk", "password": "salah"})
    response = client.post(reverse("login"), {"username": "kaltim.desk", "password": PASSWORD})
    assert response.status_code == 429
    assert "dikunci sementara" in response.content.decode()


def test_home_shows_scope_and_countdown_in_the_regions_zone(client, kaltim_desk, time_machine):
    time_machine.move_to("2024-11-20 16:30:00+00:00")  # already 21 Nov 00:30 in WITA
    client.force_login(kaltim_desk)
    html = client.get(reverse("home")).content.decode()
    assert "Kalimantan Timur" in html and "WITA" in html
    assert "6 hari lagi" in html
    assert "Rabu, 27 November 2024" in html


def test_home_page_is_small(client, kaltim_desk):
    client.force_login(kaltim_desk)
    response = client.get(reverse("home"))
    css = (__import__("pathlib").Path("static/css/desk.css")).stat().st_size
    assert len(response.content) + css < 100 * 1024


def test_desk_staff_add_a_person_with_a_normalised_phone(client, kaltim_desk, agency_factory):
    agency = agency_factory("64", Agency.Kind.KPU, "KPU Provinsi Kalimantan Timur")
    client.force_login(kaltim_desk)
    response = client.post(
        reverse("person_create"),
        {
            "agency": agency.pk,
            "name": "Siti",
            "position": "Kasubbag",
            "phone": "0812-3456-7890",
            "language": "id",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Person.objects.get(name="Siti").phone == "+6281234567890"


def test_bad_phone_is_refused_with_a_message_and_nothing_saved(client, kaltim_desk, agency_factory):
    agency = agency_factory("64", Agency.Kind.KPU, "KPU Provinsi Kalimantan Timur")
    client.force_login(kaltim_desk)
    response = client.post(
        reverse("person_create"),
        {"agency": agency.pk, "name": "Siti", "phone": "12", "language": "id"},
    )
    assert response.status_code == 200
    assert "Nomor telepon" in response.content.decode()
    assert not Person.objects.exists()


def test_desk_staff_cannot_create_an_agency_outside_their_region(client, kaltim_desk):
    client.force_login(kaltim_desk)
    response = client.post(
        reverse("agency_create"), {"region": "35.28", "kind": "kpu", "name": "KPU Pamekasan"}
    )
    assert response.status_code == 200  # the form shows the refused choice
    assert not Agency.objects.filter(name="KPU Pamekasan").exists()


def test_viewers_read_the_directory_but_cannot_edit(client, sulbar_viewer, agency_factory):
    agency = agency_factory("76", Agency.Kind.KPU, "KPU Provinsi Sulawesi Barat")
    client.force_login(sulbar_viewer)
    assert client.get(reverse("agency_detail", args=[agency.pk])).status_code == 200
    assert client.get(reverse("agency_edit", args=[agency.pk])).status_code == 404
    assert client.get(reverse("agency_create")).status_code == 404


def test_outsider_sees_no_directory(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("agency_list")).status_code == 404


def test_api_requires_authentication_and_answers_json(client, make_user):
    response = client.get("/api/v1/regions/")
    assert response.status_code == 403
    assert "detail" in response.json()
    user = make_user(Role.VIEWER, "64.11")
    client.force_login(user)
    codes = [
        r["code"]
        for r in client.get("/api/v1/regions/?within=64.11&level=district").json()["results"]
    ]
    assert codes and all(c.startswith("64.11.") for c in codes)


def test_api_token_authentication(client, kaltim_desk):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=kaltim_desk)
    response = client.get(
        "/api/v1/elections/?office=governor", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200
    regions = {e["region"] for e in response.json()["results"]}
    assert regions == {"64"}


def test_an_english_browser_still_gets_indonesian_until_the_user_switches(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Masuk ke Desk Pilkada" in html
