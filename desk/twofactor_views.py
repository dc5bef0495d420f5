"""The second sign-in step: enrol an authenticator, enter a code, recovery codes.

A wrong code counts as a failed login for django-axes (the same lockout as a
wrong password, then the session is ended), on top of django-otp's own
per-device throttling, which a fresh password login does not reset.
"""

from urllib.parse import quote

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from desk import twofactor

RECOVERY_SESSION_KEY = "desk_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Kode"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=_("6 angka dari aplikasi autentikator, atau satu kode pemulihan."),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def _credentials(user) -> dict:
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def _locked_out(request, user):
    """The lockout answer (and the session ends) if axes holds this login."""
    credentials = _credentials(user)
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return get_lockout_response(request, None, credentials)
    return None


def _count_failure(request, user):
    """A wrong code is a failed login: axes counts it and may lock out."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    if getattr(request, "axes_locked_out", False):
        logout(request)  # AxesMiddleware answers with the lockout page


@sensitive_post_parameters("code")
def verify(request):
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if twofactor.is_verified(user) or not twofactor.requires_two_factor(user):
        return redirect(_next_url(request))
    if not user_has_device(user):
        return redirect("twofactor_enrol")
    if locked := _locked_out(request, user):
        return locked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        _count_failure(request, user)
        form.add_error("code", _("Kode salah, kedaluwarsa atau sudah dipakai."))
    return render(request, "desk/twofactor_verify.html", {"form": form, "next": _next_url(request)})


@sensitive_post_parameters("code")
def enrol(request):
    user = request.user
    if not user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if not twofactor.requires_two_factor(user):
        return redirect(_next_url(request))
    if user_has_device(user):
        return redirect("twofactor_verify")
    if locked := _locked_out(request, user):
        return locked
    device = twofactor.totp_device_pending(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = twofactor.totp_device_confirm(device)
            otp_login(request, device)
            request.session[RECOVERY_SESSION_KEY] = codes
            return redirect(f"{reverse('twofactor_recovery')}?next={quote(_next_url(request))}")
        _count_failure(request, user)
        form.add_error("code", _("Kode salah atau kedaluwarsa. Periksa jam ponsel Anda."))
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": twofactor.totp_qr_svg(device),
        "secret": twofactor.totp_secret(device),
    }
    return render(request, "desk/twofactor_enrol.html", context)


def recovery(request):
    """The recovery codes, once: right after enrolment, or new ones on request
    (which voids the old ones)."""
    user = request.user
    if not user.is_authenticated or not twofactor.is_verified(user):
        return redirect(settings.LOGIN_URL)
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    if request.method == "POST":
        codes = twofactor.recovery_codes_create(user)
    return render(
        request, "desk/twofactor_recovery.html", {"codes": codes, "next": _next_url(request)}
    )
