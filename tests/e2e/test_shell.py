"""The shell in a real Chromium: log in, see the scope, switch language, log out."""

import pytest

from desk.models import Role

pytestmark = pytest.mark.e2e


def test_staffer_logs_in_sees_their_region_and_switches_to_english(page, make_user):
    make_user(Role.DESK_STAFF, "64", username="kaltim.desk", first_name="Yohanes")
    page.goto("/")
    assert "/login/" in page.url
    assert page.locator("h1").inner_text() == "Masuk ke Desk Pilkada"
    page.login("kaltim.desk")
    assert "Selamat datang, Yohanes" in page.locator("h1").inner_text()
    assert "Kalimantan Timur" in page.content()
    page.select_option("select[name=language]", "en")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert "Welcome, Yohanes" in page.locator("h1").inner_text()
    page.click("text=Sign out")
    page.wait_for_url("**/login/")


def test_wrong_password_shows_a_clear_message(page, make_user):
    make_user(Role.VIEWER, "76", username="sulbar.sekda")
    page.goto("/login/")
    page.fill("#id_username", "sulbar.sekda")
    page.fill("#id_password", "bukan-sandinya")
    page.click("main button[type=submit]")
    assert "dan sandi yang benar" in page.content().lower()
