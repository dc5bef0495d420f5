"""The app's knobs. Each reads a Django setting of the same name, then the
environment, then a default that suits a desk (README's configuration table)."""

import datetime
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _raw(name: str, default: str) -> str:
    return str(getattr(settings, name, os.environ.get(name, default)))


def reminder_time() -> datetime.time:
    """Local time of day the reminder goes out, in the desk's own zone."""
    raw = _raw("MEETINGS_REMINDER_TIME", "07:00")
    try:
        return datetime.time.fromisoformat(raw)
    except ValueError:
        raise ImproperlyConfigured(f"MEETINGS_REMINDER_TIME={raw!r} is not HH:MM.") from None


def _int(name: str, default: int) -> int:
    raw = _raw(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def reminder_days_before() -> int:
    """0: on the meeting's own day (the Monday of a Monday meeting)."""
    return _int("MEETINGS_REMINDER_DAYS_BEFORE", 0)


def max_attempts() -> int:
    """SMTP attempts before a delivery is marked failed."""
    return _int("MEETINGS_REMINDER_MAX_ATTEMPTS", 5)


def retry_backoff() -> int:
    """Seconds before the first SMTP retry; doubles on each further failure."""
    return _int("MEETINGS_REMINDER_RETRY_BACKOFF", 60)


def digest_days_ahead() -> int:
    """The reminder lists open decisions due up to this many days after the meeting."""
    return _int("MEETINGS_DIGEST_DAYS_AHEAD", 7)


def batch_seconds() -> int:
    """A delivery task stops taking rows after this long and queues the rest
    as a new task: a worker told to stop (a deploy) finishes its current
    task well within the grace period (docker-compose's stop_grace_period)."""
    return _int("MEETINGS_REMINDER_BATCH_SECONDS", 20)
