"""Settings for Desk Pilkada.

Every value comes from one django-environ ``env`` object. With no environment
set, the project runs in *embedded* mode (SQLite file, tasks inline, e-mail to
the console) so a laptop needs nothing else. Production sets the variables in
the README's configuration table; a malformed value stops start-up with a
message naming the variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: django-environ reads any unknown word as False, which
    would turn a typo such as DEBUG=Flase into a silent production switch."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default))
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_url(name: str, parser, default: str) -> dict:
    try:
        return parser(name, default=default)
    except (ImproperlyConfigured, ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {exc}") from None


DEBUG = env_bool("DEBUG", True)
# The embedded key exists so `make run` works on a laptop; production must set
# its own, and a DEBUG=false start without one fails here, naming the variable.
SECRET_KEY = env.str("SECRET_KEY", default="embedded-insecure-key" if DEBUG else environ.Env.NOTSET)
if not DEBUG and (SECRET_KEY.startswith("embedded-") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of 50 characters or more.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "desk",
    "meetings",
    "neutrality",
    "logistics",
]

MIDDLEWARE = [
    # First: every later middleware's log lines carry the request id.
    "desk.requestid.RequestIdMiddleware",
    # First, so that static files and every error page carry the policy too.
    "desk.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "desk.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor for identity readers and administrators (desk/twofactor.py);
    # every grant knows its actor (desk/grants.py).
    "django_otp.middleware.OTPMiddleware",
    "desk.twofactor.TwoFactorMiddleware",
    "desk.grants.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: says on the page when saved work waits for the broker.
    "desk.queue.QueueFallbackMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before any view: NUL / invalid UTF-8 in path, query or form is a 400
    # (after the others, so the refusal carries their headers).
    "desk.middleware.BadInputMiddleware",
    # Last, as django-axes asks: it turns a lockout into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "desk.urls"
WSGI_APPLICATION = "desk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "desk.context_processors.desk",
            ],
        },
    },
]

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {
    "default": env_url("DATABASE_URL", env.db_url, f"sqlite:///{BASE_DIR / 'var' / 'desk.sqlite3'}")
}
if DATABASES["default"].get("ENGINE") not in (
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
):
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:/// URL.")
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that does not answer fails a request (and /healthz) in
    # seconds instead of hanging a gunicorn worker on the OS's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
OTP_TOTP_ISSUER = "Desk Pilkada"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # no TOTP key, QR code or recovery code in the admin

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Evidence and other confidential uploads: never under MEDIA_URL, served only
# through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A request body (the logistics bulk API takes up to 100,000 rows, ~15 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_BYTES", 32 * 1024 * 1024)

# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
vars().update(env_url("EMAIL_URL", env.email_url, "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Desk Pilkada <desk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP connection waits for the server; unset, Python waits for
# ever and a stalled server holds a reminder batch until Celery's time limit.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# With Redis, a session is read from the cache (one query less on every
# page, bench/load.py) and still written through to the database, so a
# Redis restart logs nobody out.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Celery: https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without a broker (embedded mode) tasks run inline in the caller.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL) or "memory://"
CELERY_TASK_ALWAYS_EAGER = not (REDIS_URL or env.str("CELERY_BROKER_URL", default=""))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged after it ran, and given back if its worker dies, so a
# killed worker's batch is redelivered; the delivery rows make that safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
# Redis redelivers an unacknowledged task after the visibility timeout; it must
# exceed the longest countdown/ETA and task runtime or tasks run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often beat looks for due reminders (a reminder's local time is found
# within one tick; a missed tick is caught by the next).
REMINDER_TICK_SECONDS = env_int("REMINDER_TICK_SECONDS", 300)

# Health (/healthz, `manage.py healthcheck`): each worker and the beat leave a
# heartbeat in Redis this often; older than the maximum age (seconds) reads as
# dead and /healthz answers 503.
HEALTH_HEARTBEAT_SECONDS = env_int("HEALTH_HEARTBEAT_SECONDS", 60)
HEALTH_WORKER_MAX_AGE = env_int("HEALTH_WORKER_MAX_AGE", 600)
HEALTH_BEAT_MAX_AGE = env_int("HEALTH_BEAT_MAX_AGE", 600)
if not 0 < HEALTH_HEARTBEAT_SECONDS < min(HEALTH_WORKER_MAX_AGE, HEALTH_BEAT_MAX_AGE):
    raise ImproperlyConfigured(
        "HEALTH_HEARTBEAT_SECONDS must be above 0 and below HEALTH_WORKER_MAX_AGE "
        "and HEALTH_BEAT_MAX_AGE."
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "desk.api.DeskAutoSchema",
    "EXCEPTION_HANDLER": "desk.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Desk Pilkada API",
    "DESCRIPTION": "Meetings, ASN neutrality reports and logistics of the Desk Pilkada.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Self-hosted Swagger UI: pages must work without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Security. Production (DEBUG=false) gets the strict values by default so that
# `manage.py check --deploy` is clean; each can still be set from the env.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Health checks come over plain HTTP from inside the network (the container's
# own check, the load balancer): answered, not redirected to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# https://developer.mozilla.org/docs/Web/HTTP/CSP: every script and style from
# this origin only, no inline code, no plugin, no framing, forms post here only.
# The admin and the Swagger UI (its page: templates/api_docs.html) hold it too;
# tests/e2e/test_content_security_policy.py checks in Chromium. (data: images:
# the Swagger UI's icons.)
DESK_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# https://developer.mozilla.org/docs/Web/HTTP/Headers/Permissions-Policy:
# the desk uses no device feature.
DESK_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)
DESK_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
# SQLite (embedded mode only) cannot enforce NULLS NOT DISTINCT; PostgreSQL,
# where the data lives in production, does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# One JSON object per line with the request id (desk/logging.py) for a log
# collector; embedded mode keeps readable text lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "desk.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "desk.logging.JsonFormatter"},
        "text": {"()": "desk.logging.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Desk Pilkada's own knobs.
# Routes /bench/bare/ (a view without database) for the load benchmark only.
BENCH_VIEWS = env_bool("BENCH_VIEWS", False)
DESK_DEMO_PASSWORD = env.str("DESK_DEMO_PASSWORD", default="pilkada-demo-2024")
# Calendar days Bawaslu has for the initial study (kajian awal) of a neutrality
# report, i.e. its deadline until it is registered or not. 2 under the
# general-election rule (Perbawaslu 7/2022 Art. 15(1)); the Pilkada figure is
# unconfirmed (docs/domain.md B), hence a setting. The 3(+2)-day follow-up runs
# from registration.
NEUTRALITY_INITIAL_STUDY_DAYS = env_int("NEUTRALITY_INITIAL_STUDY_DAYS", 2)
if not 0 <= NEUTRALITY_INITIAL_STUDY_DAYS <= 30:
    raise ImproperlyConfigured("NEUTRALITY_INITIAL_STUDY_DAYS must be a number of days, 0 to 30.")
