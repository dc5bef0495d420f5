"""What /healthz and the containers' health checks report, and the heartbeats
behind them.

Every process that matters leaves a trace in Redis: each Celery worker writes
its node name and the time into one hash every ``HEALTH_HEARTBEAT_SECONDS``
(a worker bootstep on the worker's own timer, so a stalled event loop stops
it), and the one beat writes its host name and the time on every loop of its
scheduler. /healthz reads both hashes in one round trip each and says how old
the newest trace is; a container's health check reads its own entry
(``manage.py healthcheck worker|beat``), so one dead worker among several is
seen.

Apps add counts for a monitoring system with ``register_check(name, fn)`` in
their AppConfig.ready (``desk`` never imports an app); they are read only
under ``/healthz?detail=1``, so the load balancer's frequent call stays cheap.
"""

import contextlib
import logging
import socket
import time
from collections.abc import Callable

import redis
from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

WORKERS_KEY = "desk:health:workers"
BEATS_KEY = "desk:health:beats"
# A trace older than this is forgotten (a worker scaled away without a warm
# shutdown would otherwise be listed for ever).
FORGET_AFTER = 24 * 3600

OK_STATES = ("ok", "inline", "local")

_checks: dict[str, Callable[[], dict]] = {}


def register_check(name: str, fn: Callable[[], dict]) -> None:
    """An app's counts for ``/healthz?detail=1``: ``fn()`` returns a small
    JSON-serialisable dict and must be cheap (it runs on every such call)."""
    _checks[name] = fn


def registered_checks() -> dict[str, Callable[[], dict]]:
    return dict(_checks)


def inline() -> bool:
    """Embedded mode: no broker, tasks run in the caller, no worker or beat."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def store_url() -> str:
    """The Redis that holds the heartbeats: REDIS_URL, or the broker when only
    CELERY_BROKER_URL names a Redis."""
    broker = settings.CELERY_BROKER_URL
    return settings.REDIS_URL or (broker if broker.startswith(("redis://", "rediss://")) else "")


def _redis(url: str) -> redis.Redis:
    # Short timeouts: a health check that hangs is worse than one that fails.
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


# --- Writing the traces -----------------------------------------------------


def heartbeat_record(key: str, member: str, *, now: float | None = None) -> None:
    client = _redis(store_url())
    client.hset(key, member, f"{now or time.time():.3f}")


def heartbeat_forget(key: str, member: str) -> None:
    _redis(store_url()).hdel(key, member)


def heartbeat_ages(key: str, *, now: float | None = None) -> dict[str, int]:
    """Seconds since each member's last trace; forgets the very old ones."""
    now = now or time.time()
    client = _redis(store_url())
    ages = {}
    for member, at in client.hgetall(key).items():
        age = now - float(at)
        if age > FORGET_AFTER:
            client.hdel(key, member)
            continue
        ages[member.decode()] = max(0, round(age))
    return ages


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Added to every worker (desk/celery.py): writes ``celery@host`` into the
    workers hash at start, then every HEALTH_HEARTBEAT_SECONDS on the worker's
    timer; a warm shutdown removes the entry."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        self.beat(worker)
        self.tref = worker.timer.call_repeatedly(
            settings.HEALTH_HEARTBEAT_SECONDS, self.beat, (worker,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        with contextlib.suppress(redis.RedisError):
            heartbeat_forget(WORKERS_KEY, worker.hostname)

    def beat(self, worker):
        try:
            heartbeat_record(WORKERS_KEY, worker.hostname)
        except redis.RedisError as exc:
            # The worker goes on; /healthz will show the trace ageing.
            logger.warning("worker heartbeat not written: %s", exc)


class RecordingScheduler(PersistentScheduler):
    """Celery's default scheduler, which also writes this host and the time into
    the beats hash on every loop, and loops at least every
    HEALTH_HEARTBEAT_SECONDS so the trace stays fresh between schedules."""

    def tick(self, *args, **kwargs):
        try:
            heartbeat_record(BEATS_KEY, socket.gethostname())
        except redis.RedisError as exc:
            logger.warning("beat tick not recorded: %s", exc)
        return min(super().tick(*args, **kwargs), settings.HEALTH_HEARTBEAT_SECONDS)


# --- Reading them: the components of /healthz --------------------------------


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        # A broken connection is dropped, not reused by the next request.
        connection.close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


def broker_status() -> str:
    """The broker Celery itself uses (CELERY_BROKER_URL), not REDIS_URL."""
    if inline():
        return "inline"
    from desk.celery import app

    try:
        with app.connection_for_write(connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
    except Exception:  # kombu raises each transport's own errors
        return "unavailable"
    return "ok"


def cache_status() -> str:
    """The Redis cache when there is one (sessions of axes, rate data); a
    process-local cache has nothing to lose."""
    cache_settings = settings.CACHES["default"]
    if not cache_settings["BACKEND"].endswith("RedisCache"):
        return "local"
    try:
        _redis(cache_settings["LOCATION"]).ping()
    except redis.RedisError:
        return "unavailable"
    return "ok"


def _traces(key: str, max_age: int) -> tuple[str, dict[str, int]]:
    if inline():
        return "inline", {}
    if not store_url():
        return "unknown", {}
    try:
        ages = heartbeat_ages(key)
    except redis.RedisError:
        return "unknown", {}
    fresh = [age for age in ages.values() if age <= max_age]
    return ("ok" if fresh else "stale" if ages else "missing"), ages


def beat_status() -> tuple[str, dict[str, int]]:
    """Exactly one beat: none fresh is "stale", two fresh is "duplicate"
    (every schedule would fire twice)."""
    state, ages = _traces(BEATS_KEY, settings.HEALTH_BEAT_MAX_AGE)
    if state == "ok" and sum(age <= settings.HEALTH_BEAT_MAX_AGE for age in ages.values()) > 1:
        state = "duplicate"
    return state, ages


def worker_status() -> tuple[str, dict[str, int]]:
    """At least one worker with a fresh heartbeat; each one's age is listed."""
    return _traces(WORKERS_KEY, settings.HEALTH_WORKER_MAX_AGE)


def report(*, probe: str = "all", detail: bool = False) -> dict:
    """The body of /healthz. ``probe="web"`` checks only what a web replica
    needs to serve pages (database and cache): the load balancer must not take
    every web replica out because the beat died."""
    body = {"database": database_status(), "cache": cache_status()}
    if probe != "web":
        body["broker"] = broker_status()
        body["beat"], beat_ages = beat_status()
        body["beat_age"] = min(beat_ages.values(), default=None)
        body["workers"], body["worker_ages"] = worker_status()
    healthy = all(value in OK_STATES for key, value in body.items() if isinstance(value, str))
    body = {"status": "ok" if healthy else "unavailable", **body}
    if detail:
        body["detail"] = {}
        for name, fn in registered_checks().items():
            try:
                body["detail"][name] = fn()
            except Exception as exc:  # a broken count must not hide the rest
                logger.warning("health check %s failed: %s", name, exc)
                body["detail"][name] = "unavailable"
    return body
