"""Shared fixtures: regions, the 2024 round, personas, a real browser.

Personas follow STYLE.md: a Kesbangpol staffer of Kalimantan Timur, a Bawaslu
officer of Kabupaten Pamekasan, an outsider with no role, and so on. Each is a
real user with a RoleAssignment, so every test goes through desk.scope.
"""

import os

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from desk.elections import load_spec, round_load
from desk.models import Agency, Region, Role, RoleAssignment
from desk.regions import import_regions
from desk.twofactor import requires_two_factor

# Every province, kabupaten/kota and kecamatan, but only the villages of the
# demo desks: the personas' subtrees are complete, the load takes a second.
TEST_VILLAGES_UNDER = ("64", "76", "35.28", "72.07", "73.71")
PASSWORD = "uji-coba-desk-2024"


def load_test_regions():
    import_regions(villages_under=TEST_VILLAGES_UNDER)
    round_load(spec=load_spec())


@pytest.fixture(autouse=True)
def _language_restored():
    """A request with the English cookie leaves English active in this
    thread (the middleware activates it): every test starts and ends in
    Indonesian, whatever the one before asked for."""
    with translation.override("id"):
        yield


def totp_device(user) -> TOTPDevice:
    """The user's confirmed authenticator (created on first use)."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now. django-otp refuses a code of
    a time step already used (replay); then the next step's code, which its
    tolerance of one step accepts, is what a user waiting would type."""
    device.refresh_from_db()
    token = TOTP(device.bin_key, device.step, device.t0, device.digits)
    if device.last_t >= token.t():
        token.drift = device.last_t - token.t() + 1
    return f"{token.token():0{device.digits}d}"


@pytest.fixture(scope="session", autouse=True)
def _force_login_is_both_factors():
    """``client.force_login(user)`` stands for a finished sign-in, so for an
    account that needs a second factor it also marks the session verified
    by the user's authenticator, as django_otp.login does after a right
    code. Tests of the second step itself log in with ``client.post``."""
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if requires_two_factor(user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
            session.save()

    Client.force_login = force_login
    yield
    Client.force_login = original


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_test_regions()


@pytest.fixture
def live_db(transactional_db):
    """A transactional database with the test regions, for live-server and
    worker tests: each such test flushes every table when it ends."""
    if not Region.objects.filter(code="64.11").exists():
        load_test_regions()


@pytest.fixture
def make_user(db):
    """make_user(role, region_code, username=...) → a user holding that role."""
    User = get_user_model()
    counter = iter(range(1, 10_000))

    def make(role: str | None = None, region: str | None = None, *, username=None, **extra):
        user = User.objects.create_user(
            username=username or f"user{next(counter)}", password=PASSWORD, **extra
        )
        if role:
            RoleAssignment.objects.create(
                user=user, role=role, region=Region.objects.get(code=region) if region else None
            )
        return user

    return make


@pytest.fixture
def kaltim_desk(make_user):
    """Kesbangpol staff of Kalimantan Timur (province 64, WITA)."""
    return make_user(Role.DESK_STAFF, "64", username="kaltim.desk")


@pytest.fixture
def pamekasan_bawaslu(make_user):
    """Bawaslu officer of Kabupaten Pamekasan (35.28, Jawa Timur, WIB)."""
    return make_user(Role.BAWASLU_OFFICER, "35.28", username="pamekasan.bawaslu")


@pytest.fixture
def sulbar_viewer(make_user):
    """The Sekda of Sulawesi Barat (76): reads everything of the province."""
    return make_user(Role.VIEWER, "76", username="sulbar.sekda")


@pytest.fixture
def outsider(make_user):
    """A logged-in user with no role anywhere."""
    return make_user(username="outsider")


@pytest.fixture
def agency_factory(db):
    def make(region_code: str | None, kind=Agency.Kind.OPD, name=None, **extra):
        region = Region.objects.get(code=region_code) if region_code else None
        return Agency.objects.create(
            region=region, kind=kind, name=name or f"{kind} {region_code}", **extra
        )

    return make


# --- A real browser --------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def _browser():
    # Playwright's sync API runs an event loop in this thread; Django refuses
    # ORM calls from such a thread unless told the test is synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server, live_db):
    """A fresh browser context on the live server; ``page.login(user)``."""
    context = _browser.new_context(base_url=live_server.url, locale="id-ID")
    context.set_default_timeout(15_000)
    page = context.new_page()

    def login(username: str, password: str = PASSWORD):
        """Both steps for an account that needs a second factor: its
        authenticator is enrolled beforehand and its code typed in."""
        user = get_user_model().objects.get(username=username)
        device = totp_device(user) if requires_two_factor(user) else None
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        if device is not None:
            page.wait_for_url("**/login/2fa/**")
            page.fill("#id_code", totp_code(device))
            page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

    page.login = login
    yield page
    context.close()
