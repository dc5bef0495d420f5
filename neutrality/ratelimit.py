"""A per-IP fixed-window counter in the cache (Redis in full mode), for the
public form and the tracking lookup."""

from django.conf import settings
from django.core.cache import cache

# (requests, seconds) per bucket; override with NEUTRALITY_RATE_LIMITS.
DEFAULT_LIMITS = {"report": (10, 3600), "track": (30, 600), "api": (10, 3600)}


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-supplied unless a trusted
    # proxy rewrites REMOTE_ADDR (gunicorn behind nginx with the real-ip module).
    return request.META.get("REMOTE_ADDR") or None


def rate_limited(request, bucket: str) -> bool:
    """Count this request; True once the IP went over its bucket's limit."""
    limits = {**DEFAULT_LIMITS, **getattr(settings, "NEUTRALITY_RATE_LIMITS", {})}
    limit, window = limits[bucket]
    key = f"neutrality:rl:{bucket}:{client_ip(request)}"
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return False
    return count > limit
