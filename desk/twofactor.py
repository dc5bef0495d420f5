"""Two-factor sign-in: who must use it, and the gate that holds them to it.

Accounts that can read a reporter's identity (``desk.grants.IDENTITY_ROLES``)
and administrators (superusers, staff who enter the admin site, holders of
the Administrator role) sign in with a password *and* a TOTP code from an
authenticator app, or one of their single-use recovery codes (django-otp's
TOTP and static devices). After the password such a user is verified by
nothing yet: every page but the second step, logout and the language switch
sends them there (enrolment first if they have no device); the API answers
403. Everyone else signs in as before.
"""

import base64
from urllib.parse import quote

from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from desk import grants
from desk.models import Role
from desk.scope import user_roles

RECOVERY_CODES = 10

# Views a signed-in but not yet verified user may reach.
OPEN_VIEWS = frozenset({"twofactor_verify", "twofactor_enrol", "logout", "set_language", "healthz"})


def two_factor_roles() -> frozenset[str]:
    return frozenset(grants.IDENTITY_ROLES | {Role.ADMINISTRATOR})


def requires_two_factor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(user_roles(user) & two_factor_roles())


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware: holds an unverified user who must
    use a second factor at the second step."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        user = request.user
        if not requires_two_factor(user) or is_verified(user):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Selesaikan masuk dengan verifikasi dua langkah terlebih dahulu.")},
                status=403,
            )
        step = "twofactor_verify" if user_has_device(user) else "twofactor_enrol"
        return redirect(f"{reverse(step)}?next={quote(request.get_full_path())}")


# --- devices ---------------------------------------------------------------


def totp_device_pending(user) -> TOTPDevice:
    """The authenticator being enrolled: one unconfirmed device, kept until
    confirmed so that reloading the page does not change the QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key in base32, as authenticator apps take it typed in."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


@transaction.atomic
def totp_device_confirm(device: TOTPDevice) -> list[str]:
    """Confirm the enrolled authenticator; returns fresh recovery codes."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return recovery_codes_create(device.user)


@transaction.atomic
def recovery_codes_create(user, codes: list[str] | None = None) -> list[str]:
    """Replace the user's recovery codes (each works once); returns them,
    the only time they are readable."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = codes or [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
