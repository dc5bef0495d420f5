from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


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
