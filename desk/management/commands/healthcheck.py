"""The containers' health checks (docker-compose.yml): each tests *this*
container, not the service as a whole.

- ``web``: this gunicorn answers /healthz?probe=web with 200 (sent with an
  allowed Host header, over plain HTTP: /healthz is exempt from the https
  redirect);
- ``worker``: this host's Celery worker (``celery@<hostname>``) wrote its
  heartbeat within HEALTH_WORKER_MAX_AGE;
- ``beat``: this host's beat recorded a loop within HEALTH_BEAT_MAX_AGE.

Exit status 0 when healthy, 1 with the reason otherwise.
"""

import http.client
import socket
import urllib.parse

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk import health


def _host_header() -> str:
    """A name ALLOWED_HOSTS accepts: the first plain one (".example.go.id"
    allows its subdomains, "*" anything)."""
    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return "localhost"
        if host.startswith("."):
            return "www" + host
        return host
    return "localhost"


class Command(BaseCommand):
    help = "Exit 0 when this container's web, worker or beat process is healthy."

    def add_arguments(self, parser):
        parser.add_argument("process", choices=["web", "worker", "beat"])
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/healthz?probe=web", help="web: what to ask"
        )
        parser.add_argument(
            "--node", default=None, help="worker: its node name (default celery@<hostname>)"
        )

    def handle(self, *args, process, url, node, **options):
        if process == "web":
            message = self.check_web(url)
        elif process == "worker":
            message = self.check_trace(
                health.WORKERS_KEY,
                node or f"celery@{socket.gethostname()}",
                "worker",
                settings.HEALTH_WORKER_MAX_AGE,
            )
        else:
            message = self.check_trace(
                health.BEATS_KEY, socket.gethostname(), "beat", settings.HEALTH_BEAT_MAX_AGE
            )
        self.stdout.write(message)

    def check_web(self, url: str) -> str:
        # http.client, not urlopen: a redirect (to https, say) is a failure
        # to report, not something to follow.
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=5)
        try:
            conn.request("GET", f"{parts.path}?{parts.query}", headers={"Host": _host_header()})
            response = conn.getresponse()
            body = response.read(300)
        except OSError as exc:
            raise CommandError(f"web: {url} did not answer: {exc}") from None
        finally:
            conn.close()
        if response.status != 200:
            raise CommandError(f"web: {url} answered {response.status}: {body!r}")
        return f"web: {url} answered 200"

    def check_trace(self, key: str, member: str, what: str, max_age: int) -> str:
        if health.inline():
            return f"{what}: inline (embedded mode, no {what} process)"
        try:
            ages = health.heartbeat_ages(key)
        except redis.RedisError as exc:
            raise CommandError(f"{what}: Redis unreachable: {exc}") from None
        if member not in ages:
            raise CommandError(f"{what}: no heartbeat from {member}")
        if ages[member] > max_age:
            raise CommandError(f"{what}: {member} last seen {ages[member]} s ago (> {max_age} s)")
        return f"{what}: {member} seen {ages[member]} s ago"
