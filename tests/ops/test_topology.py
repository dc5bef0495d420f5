"""The production topology, proven on this machine (there is no Docker engine
here): the migrate service's command, then gunicorn, one Celery worker and the
one beat, each started with the command and environment docker-compose.yml
gives it (read from the file, not copied), DEBUG=false, on the test
PostgreSQL and Redis. A meeting is created through the API with a token; its
reminder goes through beat and worker to a local SMTP server; /healthz and the
compose health-check commands are run as the containers would run them; a
killed worker and a killed beat are then reported by them.

Substituted, and only that: the service host names (``postgres``, ``redis``)
by this test's database and Redis index, the secrets, the SMTP URL, the web
port (other test runs share the machine), the beat's schedule file and the
private media root; plus short heartbeat and reminder intervals so the test
waits seconds, not minutes.
"""

import datetime
import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from desk.models import Agency, Person, Region, Role

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[2]
HOST = "desk.example.go.id"  # the compose file's ALLOWED_HOSTS default
SECRETS = {
    "SECRET_KEY": "t" * 30 + "-topology-test-secret-key-0123456789",
    "POSTGRES_PASSWORD": "-",
}
DJANGO_SERVICES = ("migrate", "web", "worker", "beat")


def interpolate(value: str, variables: dict) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}."""

    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if variables.get(name):
            return variables[name]
        if op == "?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return arg if op == "-" else ""

    return re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}", one, value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.recipients = []

    async def handle_DATA(self, server, session, envelope):
        self.recipients += envelope.rcpt_tos
        return "250 Message accepted"


def wait_for(predicate, timeout, what, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    tails = "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in logs)
    raise AssertionError(f"timed out waiting for {what}{tails}")


def request(port, method, path, body=None, headers=None):
    """Over plain HTTP, as the reverse proxy forwards it (X-Forwarded-Proto)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        all_headers = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""
    finally:
        conn.close()


@pytest.fixture
def compose_services(tmp_path, live_db):
    """Each Django service's argv, environment and health-check argv, from
    docker-compose.yml with the substitutions listed in the module docstring."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db = connection.settings_dict
    test_db = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    smtp_port, web_port = free_port(), free_port()
    (tmp_path / "private").mkdir()
    services = {}
    for name in DJANGO_SERVICES:
        service = compose["services"][name]
        env = {
            key: interpolate(str(value), SECRETS) for key, value in service["environment"].items()
        }
        assert urlsplit(env["DATABASE_URL"]).hostname == "postgres"
        assert urlsplit(env["REDIS_URL"]).hostname == "redis"
        assert env["DEBUG"] == "false"
        env.update(
            DATABASE_URL=test_db,
            REDIS_URL=settings.REDIS_URL,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
            HEALTH_HEARTBEAT_SECONDS="1",
            HEALTH_WORKER_MAX_AGE="4",
            HEALTH_BEAT_MAX_AGE="4",
            REMINDER_TICK_SECONDS="2",
            # The image's interpreter and tools are this checkout's .venv.
            PATH=f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin",
            HOME=str(tmp_path),
            LANG="C.UTF-8",
        )

        def local(text, web_port=web_port, tmp_path=tmp_path):
            text = text.replace(":8000", f":{web_port}")
            return text.replace("/tmp/celerybeat-schedule", str(tmp_path / "celerybeat-schedule"))

        check = service.get("healthcheck", {}).get("test", [])
        assert not check or check[0] == "CMD"
        services[name] = {
            "argv": shlex.split(local(service["command"])),
            "env": env,
            "check": [local(arg) for arg in check[1:]],
        }
    return services, smtp_port, web_port


def start(service, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        service["argv"],
        cwd=ROOT,
        env=service["env"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as a whole
    )
    proc.log = log
    return proc


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc.log.close()


def run_check(service):
    return subprocess.run(
        service["check"], cwd=ROOT, env=service["env"], capture_output=True, text=True, timeout=60
    )


def test_the_compose_topology_sends_a_reminder_and_reports_its_health(
    compose_services, tmp_path, make_user
):
    services, smtp_port, web_port = compose_services
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this run's own Redis index

    # The one-shot migrate service (the schema is already there: a no-op).
    migrate = subprocess.run(
        services["migrate"]["argv"],
        cwd=ROOT,
        env=services["migrate"]["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    user = make_user(Role.DESK_STAFF, "64", username="kaltim.desk")
    token = Token.objects.create(user=user).key
    kaltim = Region.objects.get(code="64")
    agency = Agency.objects.create(region=kaltim, kind=Agency.Kind.OPD, name="Diskominfo Kaltim")
    person = Person.objects.create(agency=agency, name="Peserta", email="peserta@kaltim.example.id")

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    logs = {name: tmp_path / f"{name}.log" for name in ("web", "worker", "beat")}
    procs = {}
    try:
        for name in ("web", "worker", "beat"):
            procs[name] = start(services[name], logs[name])
        wait_for(
            lambda: request(web_port, "GET", "/healthz?probe=web")[0] == 200,
            60,
            "gunicorn",
            logs.values(),
        )

        now = timezone.now()
        status, body = request(
            web_port,
            "POST",
            "/api/v1/meetings/",
            {
                "region": "64",
                "title": "Rakor kesiapan pemungutan suara",
                "kind": "rakor_mingguan",
                # Within the hour: its reminder is due at once.
                "starts_at": (now + datetime.timedelta(minutes=50)).isoformat(),
                "ends_at": (now + datetime.timedelta(hours=2)).isoformat(),
                "online_url": "https://zoom.us/j/1",
                "people": [person.pk],
            },
            {"Authorization": f"Token {token}", "Accept": "application/json"},
        )
        assert status == 201, body

        wait_for(lambda: inbox.recipients, 120, "the reminder e-mail", logs.values())
        assert inbox.recipients == ["peserta@kaltim.example.id"]

        status, body = request(web_port, "GET", "/healthz?detail=1")
        report = json.loads(body)
        assert status == 200, report
        assert report["database"] == report["broker"] == report["cache"] == "ok"
        assert report["beat"] == "ok" and report["beat_age"] <= 4
        assert report["workers"] == "ok"
        assert report["worker_ages"][f"celery@{socket.gethostname()}"] <= 4
        assert report["detail"]["reminders"]["failed"] == 0

        # The compose health checks, as the containers run them.
        for name in ("web", "worker", "beat"):
            result = run_check(services[name])
            assert result.returncode == 0, (name, result.stdout, result.stderr)

        # A dead worker and a dead beat are seen by their own checks and by
        # /healthz; the web replicas' probe stays green.
        for name in ("worker", "beat"):
            os.killpg(procs[name].pid, signal.SIGKILL)
            procs[name].wait(timeout=10)
        wait_for(
            lambda: (
                run_check(services["worker"]).returncode == 1
                and run_check(services["beat"]).returncode == 1
            ),
            30,
            "the worker and beat checks to fail",
        )
        status, body = request(web_port, "GET", "/healthz")
        report = json.loads(body)
        assert (status, report["beat"], report["workers"]) == (503, "stale", "stale")
        assert run_check(services["web"]).returncode == 0
    finally:
        for proc in procs.values():
            stop(proc)
        smtp.stop()
