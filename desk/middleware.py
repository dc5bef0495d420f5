import json
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings


class LanguageMiddleware:
    """Indonesian unless the user chose otherwise.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an
    officer on an English-language laptop would get English by surprise; here
    only the explicit choice (the language cookie set by the switcher) counts.
    The API (``/api/``) also honours Accept-Language when there is no cookie:
    a machine client sets it on purpose.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        api = request.path.startswith("/api/")
        if chosen in self.supported:
            language = chosen
        elif api:
            # A KPU system or script has no cookie; it asks by the header.
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie", "Accept-Language"] if api else ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


# --- Input no view should see ------------------------------------------------

NUL = "\x00"
# A JSON string holds NUL only as this escape (a raw NUL is invalid JSON, which
# the parser refuses): the body is parsed a second time only when it appears.
JSON_NUL = re.compile(rb"\\u0000")


def _bad_bytes(raw: bytes) -> bool:
    """NUL or bytes that are not UTF-8 once percent-decoded."""
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _bad_urlencoded(raw: bytes) -> bool:
    # Django splits on "&" only and decodes "+" as a space.
    return any(
        _bad_bytes(unquote_to_bytes(part.replace(b"+", b" "))) for part in raw.split(b"&") if part
    )


def _nul_errors(value):
    """Field errors shaped like DRF's (lists by index as in a ListField) for
    every string holding NUL, or None."""
    if isinstance(value, str):
        return [nul_message()] if NUL in value else None
    if isinstance(value, dict):
        errors = {}
        for key, item in value.items():
            if NUL in key:
                errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, [nul_message()])
            elif (error := _nul_errors(item)) is not None:
                errors[key] = error
        return errors or None
    if isinstance(value, list):
        errors = {str(i): e for i, item in enumerate(value) if (e := _nul_errors(item)) is not None}
        return errors or None
    return None


def nul_message() -> str:
    return _("Teks tidak boleh memuat karakter NUL (kode 0).")


class BadInputMiddleware:
    """A request whose path, query string or form fields hold NUL or invalid
    UTF-8 is answered 400 before any view runs, as is NUL anywhere in an API
    JSON body (with the field it sits in).

    PostgreSQL refuses NUL in text, so such a value reaching a query or a
    save was a 500 wherever a view passed it on (issue 11, point 6); no
    legitimate client sends it. One check here covers every view, present and
    future, instead of a validator per field. Placed after the session,
    authentication and message middleware so the page renders in the site's
    frame and language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.refusal(request)
        return response if response is not None else self.get_response(request)

    def refusal(self, request):
        api = request.path_info.startswith("/api/")
        # Django re-percent-encodes bytes of the path that are not UTF-8
        # ("%FF"); decoding once more finds them, and any NUL.
        path_bad = _bad_bytes(unquote_to_bytes(request.path_info))
        query = request.META.get("QUERY_STRING", "")
        if path_bad or _bad_urlencoded(query.encode("latin-1", "replace")):
            return self.answer(request, api)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            if _bad_urlencoded(request.body):
                return self.answer(request, api)
        elif content_type == "multipart/form-data":
            try:
                names = [f.name or "" for files in request.FILES.lists() for f in files[1]]
                values = [v for _k, vs in request.POST.lists() for v in [_k, *vs]]
            except MultiPartParserError:
                # Not the multipart body it claims to be: nothing can read
                # it, and the API must still answer in JSON.
                return self.answer(request, api, unreadable=True)
            if any(NUL in text for text in values + names):
                return self.answer(request, api)
        elif api and (content_type == "application/json" or content_type.endswith("+json")):
            body = request.body
            if JSON_NUL.search(body):
                try:
                    errors = _nul_errors(json.loads(body))
                except ValueError:
                    return None  # the view's parser answers malformed JSON
                if errors is not None:
                    if not isinstance(errors, dict):
                        errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
                    return JsonResponse(errors, status=400)
        return None

    def answer(self, request, api, *, unreadable=False):
        if unreadable:
            message = _("Isi permintaan ini tidak dapat dibaca. Periksa berkasnya, lalu coba lagi.")
        else:
            message = _(
                "Permintaan ini memuat karakter yang tidak sah (NUL atau bukan UTF-8). "
                "Periksa alamat dan isian, lalu coba lagi."
            )
        if api:
            return JsonResponse({"detail": message}, status=400)
        return render(request, "400.html", {"message": message}, status=400)


# --- Response headers ----------------------------------------------------------


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response
    (pages, API, downloads, static files: it sits first, before WhiteNoise).

    The pages load scripts and styles only from this origin, with no inline
    script, style attribute or event handler (a test reads every template);
    the admin and the Swagger UI hold the same policy. A view may set its own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.DESK_CSP)
        response.headers.setdefault("Permissions-Policy", settings.DESK_PERMISSIONS_POLICY)
        response.headers.setdefault(
            "Cross-Origin-Resource-Policy", settings.DESK_CROSS_ORIGIN_RESOURCE_POLICY
        )
        return response
