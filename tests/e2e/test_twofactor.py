"""Two-factor sign-in in a real Chromium: a Bawaslu officer enrols an
authenticator (the code computed from the key the page shows, as an app
would after scanning), keeps the recovery codes, signs out, and signs in
again with a code; on a 375 px phone nothing scrolls sideways."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from desk.models import Role
from tests.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.e2e

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def _code_from_secret(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_officer_enrols_keeps_recovery_codes_and_signs_in_with_a_code(page, make_user):
    officer = make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/neutrality/")
    page.fill("#id_username", "pamekasan.bawaslu")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/2fa/aktifkan/**")
    assert page.locator("figure.qr svg").count() == 1
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", _code_from_secret(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/2fa/kode-pemulihan/**")
    assert page.locator("#recovery-codes li").count() == 10
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.click("text=Saya sudah menyimpannya")
    page.wait_for_url("**/neutrality/")

    page.click("text=Keluar")
    page.wait_for_url("**/login/")
    page.fill("#id_username", "pamekasan.bawaslu")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/login/2fa/?**")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.fill("#id_code", "000000")
    page.click("main button[type=submit]")
    assert "Kode salah" in page.content()
    device = TOTPDevice.objects.get(user=officer, confirmed=True)
    time.sleep(1.1)  # django-otp makes a device wait 1 s after one wrong code
    page.fill("#id_code", totp_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("h1").count() == 1
    assert "/login/" not in page.url
