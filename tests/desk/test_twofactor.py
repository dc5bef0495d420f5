"""Two-factor sign-in (desk/twofactor.py): who must use it, enrolment,
codes accepted and refused, recovery codes, and django-axes counting
wrong codes. Sign-in goes through the real login form here (``client.post``),
not ``force_login``, which stands for a finished sign-in."""

import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from desk import grants, twofactor
from desk.demo import DEMO_TOTP_KEY, demo_totp_code, seed_organisation, seed_two_factor
from desk.models import Role
from tests.conftest import PASSWORD, totp_code, totp_device

VERIFY = "/login/2fa/"
ENROL = "/login/2fa/aktifkan/"
RECOVERY = "/login/2fa/kode-pemulihan/"

# Every kind of account, and whether it must use a second factor: every
# role (identity readers and administrators must), a superuser, a staff
# account without a role, an account without a role.
ACCOUNTS = [
    *[
        (f"role:{role}", {"role": role}, role in grants.IDENTITY_ROLES | {Role.ADMINISTRATOR})
        for role in Role.values
    ],
    ("superuser", {"is_superuser": True, "is_staff": True}, True),
    ("staff", {"is_staff": True}, True),
    ("no role", {}, False),
]


def _make(make_user, spec, username="someone"):
    spec = dict(spec)
    role = spec.pop("role", None)
    return make_user(role, "76" if role else None, username=username, **spec)


def _password_login(client, username, next_url="/"):
    response = client.post(f"/login/?next={next_url}", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def test_every_role_that_reads_identity_and_every_administrator_must_use_it():
    required = {name for name, _spec, must in ACCOUNTS if must}
    assert {f"role:{role}" for role in grants.IDENTITY_ROLES} <= required
    assert f"role:{Role.ADMINISTRATOR}" in required


@pytest.mark.parametrize(("name", "spec", "must"), ACCOUNTS, ids=[a[0] for a in ACCOUNTS])
def test_second_factor_is_enforced_for_exactly_these_accounts(client, make_user, name, spec, must):
    user = _make(make_user, spec)
    assert twofactor.requires_two_factor(user) is must
    _password_login(client, user.username, "/directory/")
    response = client.get("/directory/")
    if must:
        assert response.status_code == 302
        assert response["Location"] == f"{ENROL}?next=/directory/"
        # Nothing else either: not the admin, not the API, not another page.
        assert client.get("/admin/")["Location"].startswith(ENROL)
        assert client.get("/meetings/")["Location"].startswith(ENROL)
        api = client.get("/api/v1/regions/")
        assert api.status_code == 403
        assert "dua langkah" in api.json()["detail"]
    else:
        assert client.get("/").status_code == 200
        assert not TOTPDevice.objects.filter(user=user).exists()


def test_enrolment_shows_a_qr_code_and_the_key_then_recovery_codes_once(client, make_user):
    officer = make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu")
    _password_login(client, "pamekasan.bawaslu")
    page = client.get(ENROL).content.decode()
    assert "<svg" in page and "<path" in page
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert secret == twofactor.totp_secret(device)
    assert client.get(ENROL).content.decode().count(secret) == 1  # reload: same key
    wrong = client.post(ENROL, {"code": "000000", "next": "/neutrality/"})
    assert "Kode salah" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        code = totp_code(device)
        response = client.post(ENROL, {"code": code, "next": "/neutrality/"})
        assert response.status_code == 302
        assert response["Location"] == f"{RECOVERY}?next=/neutrality/"
        shown = client.get(response["Location"]).content.decode()
        codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", shown)
        assert len(codes) == twofactor.RECOVERY_CODES
        assert set(codes) == set(
            StaticToken.objects.filter(device__user=officer).values_list("token", flat=True)
        )
        again = client.get(RECOVERY).content.decode()
        assert not any(c in again for c in codes)  # shown once
        assert client.get("/neutrality/").status_code == 200


def test_a_user_with_a_device_is_asked_for_the_code_after_the_password(client, make_user):
    officer = make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu")
    device = totp_device(officer)
    _password_login(client, "pamekasan.bawaslu", "/neutrality/")
    assert client.get("/neutrality/")["Location"] == f"{VERIFY}?next=/neutrality/"
    refused = client.post(VERIFY, {"code": "123456", "next": "/neutrality/"})
    assert refused.status_code == 200
    assert "Kode salah" in refused.content.decode()
    assert client.get("/neutrality/").status_code == 302
    # A wrong code is a failed login for django-axes.
    attempt = AccessAttempt.objects.get(username="pamekasan.bawaslu")
    assert attempt.failures_since_start == 1
    # django-otp also slows the device down after a failure; a minute later:
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        response = client.post(VERIFY, {"code": totp_code(device), "next": "/neutrality/"})
        assert response["Location"] == "/neutrality/"
        assert client.get("/neutrality/").status_code == 200


def test_the_same_code_is_not_accepted_twice(client, make_user):
    admin = make_user(Role.ADMINISTRATOR, "76", username="sulbar.admin", is_staff=True)
    device = totp_device(admin)
    code = f"{TOTP(device.bin_key).token():06d}"
    _password_login(client, "sulbar.admin")
    assert client.post(VERIFY, {"code": code})["Location"] == "/"
    client.logout()
    _password_login(client, "sulbar.admin")
    assert client.post(VERIFY, {"code": code}).status_code == 200  # replay refused


def test_a_recovery_code_works_once(client, make_user):
    admin = make_user(username="root", is_superuser=True, is_staff=True)
    totp_device(admin)
    twofactor.recovery_codes_create(admin, ["abcd2345", "efgh6723"])
    _password_login(client, "root")
    assert client.post(VERIFY, {"code": "ABCD 2345"})["Location"] == "/"
    assert client.get("/admin/").status_code == 200
    client.logout()
    _password_login(client, "root")
    assert client.post(VERIFY, {"code": "abcd2345"}).status_code == 200
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["efgh6723"]


def test_new_recovery_codes_void_the_old_ones(client, make_user):
    admin = make_user(username="root", is_superuser=True, is_staff=True)
    twofactor.recovery_codes_create(admin, ["abcd2345"])
    client.force_login(admin)
    page = client.post(RECOVERY).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page)
    assert len(codes) == twofactor.RECOVERY_CODES and "abcd2345" not in codes
    assert not StaticToken.objects.filter(token="abcd2345").exists()


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(client, make_user):
    officer = make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu")
    device = totp_device(officer)
    _password_login(client, "pamekasan.bawaslu")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 429
    # The session is over, and the right code no longer helps.
    assert client.get("/")["Location"].startswith("/login/")
    response = client.post("/login/", {"username": "pamekasan.bawaslu", "password": PASSWORD})
    assert response.status_code == 429
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302
        assert client.get("/")["Location"].startswith("/login/")


def test_next_never_leaves_the_site(client, make_user):
    officer = make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu")
    device = totp_device(officer)
    _password_login(client, "pamekasan.bawaslu")
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_demo_accounts_that_need_it_share_the_documented_key(db, client):
    seed_organisation()
    enrolled = seed_two_factor()
    assert {"admin", "kaltim.admin", "ri.bawaslu", "pamekasan.bawaslu"} <= set(enrolled)
    assert "kaltim.desk" not in enrolled
    assert seed_two_factor() == enrolled  # idempotent
    device = TOTPDevice.objects.get(user__username="pamekasan.bawaslu")
    assert device.key == DEMO_TOTP_KEY
    login = {"username": "pamekasan.bawaslu", "password": settings.DESK_DEMO_PASSWORD}
    assert client.post("/login/", login).status_code == 302
    assert client.post(VERIFY, {"code": demo_totp_code()})["Location"] == "/"


def test_only_superusers_see_devices_and_nobody_reads_a_key_in_the_admin(client, make_user):
    root = make_user(username="root", is_superuser=True, is_staff=True)
    admin = make_user(Role.ADMINISTRATOR, "76", username="sulbar.admin", is_staff=True)
    admin.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["otp_totp", "otp_static"])
    )
    device = totp_device(root)
    client.force_login(admin)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert client.get("/admin/otp_static/staticdevice/").status_code == 403
    client.force_login(root)
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403


def test_the_admin_login_form_leads_to_the_second_step_too(client, make_user):
    make_user(Role.ADMINISTRATOR, "76", username="sulbar.admin", is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "sulbar.admin", "password": PASSWORD}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == f"{ENROL}?next=/admin/"


def test_accounts_without_the_requirement_are_not_offered_the_second_step(client, kaltim_desk):
    client.force_login(kaltim_desk)
    assert client.get(ENROL)["Location"] == "/"
    assert client.get(VERIFY)["Location"] == "/"
    assert not TOTPDevice.objects.filter(user=kaltim_desk).exists()
