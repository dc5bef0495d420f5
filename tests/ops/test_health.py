"""/healthz and the containers' health checks tell the truth: the broker
Celery uses, the cache, a database outage (503 JSON, not an HTML 500), the
age of the one beat's and each worker's heartbeat, and the apps' counts."""

import datetime
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from desk import health
from meetings.models import ReminderDelivery

ROOT = Path(__file__).resolve().parents[2]
NOBODY = "redis://127.0.0.1:1/0"  # nothing listens there


def healthz_in(env: dict, path: str = "/healthz") -> tuple[int, str, dict | str]:
    """/healthz answered by a fresh Django process with this environment
    (settings are read once at start-up, as in production)."""
    code = (
        "import json; from django.test import Client; "
        f"r = Client(raise_request_exception=False).get({path!r}); "
        "print(json.dumps([r.status_code, r['Content-Type'], r.content.decode()]))"
    )
    full_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, content_type, content = json.loads(result.stdout.strip().splitlines()[-1])
    body = json.loads(content) if content_type == "application/json" else content
    return status, content_type, body


@pytest.fixture
def traces():
    """The heartbeat hashes of this run's Redis, empty before and after."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(health.WORKERS_KEY, health.BEATS_KEY)
    yield client
    client.delete(health.WORKERS_KEY, health.BEATS_KEY)


def test_a_wrong_broker_url_is_unavailable_even_when_redis_url_answers(db):
    status, _type, body = healthz_in({"CELERY_BROKER_URL": NOBODY})
    assert status == 503
    assert body["broker"] == "unavailable"
    assert body["cache"] == "ok"  # REDIS_URL itself answers


def test_a_database_outage_answers_503_json_not_an_html_500():
    down = "postgres://postgres@127.0.0.1:1/desk"
    for path in ("/healthz", "/healthz?probe=web", "/healthz?detail=1"):
        status, content_type, body = healthz_in({"DATABASE_URL": down}, path)
        assert (status, content_type) == (503, "application/json"), (path, body)
        assert body["status"] == "unavailable" and body["database"] == "unavailable"


def test_embedded_mode_reports_inline_and_stays_healthy():
    env = {"REDIS_URL": "", "CELERY_BROKER_URL": "", "DATABASE_URL": "sqlite:///:memory:"}
    status, _type, body = healthz_in(env)
    assert status == 200, body
    assert body["broker"] == body["beat"] == body["workers"] == "inline"
    assert body["cache"] == "local"


@pytest.mark.django_db
def test_fresh_beat_and_worker_are_healthy_with_their_ages(client, traces):
    now = time.time()
    health.heartbeat_record(health.BEATS_KEY, "beat-host", now=now - 30)
    health.heartbeat_record(health.WORKERS_KEY, "celery@w1", now=now - 5)
    health.heartbeat_record(health.WORKERS_KEY, "celery@w2", now=now - 900)  # died
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["beat"] == "ok" and 29 <= body["beat_age"] <= 40
    assert body["workers"] == "ok"
    assert set(body["worker_ages"]) == {"celery@w1", "celery@w2"}
    assert body["worker_ages"]["celery@w2"] >= 900  # listed, for the operator


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("beats", "workers", "beat_state", "worker_state"),
    [
        ({}, {"celery@w1": 5}, "missing", "ok"),  # beat never started
        ({"b": 700}, {"celery@w1": 5}, "stale", "ok"),  # the one beat died
        ({"b": 5, "c": 20}, {"celery@w1": 5}, "duplicate", "ok"),  # a second beat
        ({"b": 5}, {}, "ok", "missing"),  # no worker ever
        ({"b": 5}, {"celery@w1": 700, "celery@w2": 650}, "ok", "stale"),  # all dead
    ],
)
def test_a_dead_missing_or_second_beat_or_no_live_worker_answers_503(
    client, traces, beats, workers, beat_state, worker_state
):
    now = time.time()
    for host, age in beats.items():
        health.heartbeat_record(health.BEATS_KEY, host, now=now - age)
    for node, age in workers.items():
        health.heartbeat_record(health.WORKERS_KEY, node, now=now - age)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["beat"], body["workers"]) == (
        "unavailable",
        beat_state,
        worker_state,
    )
    # The load balancer's probe does not take the web replicas out for it.
    assert client.get("/healthz?probe=web").status_code == 200


@pytest.mark.django_db
def test_heartbeats_in_an_unreachable_redis_are_unknown_not_ok(client, settings, traces):
    settings.REDIS_URL = NOBODY
    body = client.get("/healthz").json()
    assert (body["status"], body["beat"], body["workers"]) == ("unavailable", "unknown", "unknown")


@pytest.mark.django_db
def test_the_thresholds_are_settings(client, settings, traces):
    health.heartbeat_record(health.BEATS_KEY, "b", now=time.time() - 120)
    health.heartbeat_record(health.WORKERS_KEY, "celery@w1", now=time.time() - 120)
    assert client.get("/healthz").status_code == 200
    settings.HEALTH_BEAT_MAX_AGE = 60
    assert client.get("/healthz").json()["beat"] == "stale"


def test_heartbeat_settings_are_checked_at_start_up():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(HEALTH_HEARTBEAT_SECONDS="900", HEALTH_WORKER_MAX_AGE="600")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "HEALTH_HEARTBEAT_SECONDS" in result.stderr


@pytest.mark.django_db
def test_detail_carries_every_registered_apps_counts(client, traces, make_user):
    from meetings import services

    health.heartbeat_record(health.BEATS_KEY, "b")
    health.heartbeat_record(health.WORKERS_KEY, "celery@w1")
    assert "detail" not in client.get("/healthz").json()  # the cheap default
    body = client.get("/healthz?detail=1").json()
    # Every app that registered a check is in the detail, each as a dict.
    assert set(body["detail"]) == set(health.registered_checks()) >= {"reminders"}
    assert all(isinstance(counts, dict) for counts in body["detail"].values())
    assert body["detail"]["reminders"] == {"failed": 0, "overdue": 0, "missed_last_day": 0}

    from desk.models import Region

    now = timezone.now()
    meeting = services.meeting_schedule(
        user=None,
        region=Region.objects.get(code="64"),
        title="Rakor",
        kind="rakor_mingguan",
        starts_at=now + datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1, hours=1),
        online_url="https://zoom.us/j/1",
    )
    State = ReminderDelivery.State
    for email, state, attempt_at in [
        ("gagal@x.id", State.FAILED, None),
        ("macet@x.id", State.PENDING, now - datetime.timedelta(minutes=30)),  # overdue
        ("baru@x.id", State.PENDING, now - datetime.timedelta(minutes=2)),  # on time
        ("terkirim@x.id", State.SENT, None),
    ]:
        ReminderDelivery.objects.create(
            meeting=meeting,
            kind=ReminderDelivery.Kind.REMINDER,
            email=email,
            name=email,
            state=state,
            next_attempt_at=attempt_at,
        )
    body = client.get("/healthz?detail=1").json()
    assert body["detail"]["reminders"] == {"failed": 1, "overdue": 1, "missed_last_day": 0}
    assert body["status"] == "ok"  # counts inform monitoring; they are not an outage


@pytest.mark.django_db
def test_healthz_answers_production_checks_over_plain_http(client, settings):
    """DEBUG=false: https redirect on, one allowed host. The health check's
    plain-HTTP request with that Host is answered, not redirected."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["desk.example.go.id"]
    response = client.get("/healthz?probe=web", HTTP_HOST="desk.example.go.id")
    assert response.status_code == 200, response
    # Every other page still goes to https.
    assert client.get("/login/", HTTP_HOST="desk.example.go.id").status_code == 301


@pytest.mark.django_db
def test_worker_check_tests_this_container_not_any_worker(traces):
    me = f"celery@{socket.gethostname()}"
    now = time.time()
    health.heartbeat_record(health.WORKERS_KEY, "celery@another-container", now=now)
    with pytest.raises(CommandError, match="no heartbeat from"):
        call_command("healthcheck", "worker")
    health.heartbeat_record(health.WORKERS_KEY, me, now=now - 700)
    with pytest.raises(CommandError, match="last seen"):
        call_command("healthcheck", "worker")
    health.heartbeat_record(health.WORKERS_KEY, me, now=now - 3)
    call_command("healthcheck", "worker")


@pytest.mark.django_db
def test_beat_check_tests_this_containers_beat(traces):
    with pytest.raises(CommandError, match="no heartbeat from"):
        call_command("healthcheck", "beat")
    health.heartbeat_record(health.BEATS_KEY, socket.gethostname())
    call_command("healthcheck", "beat")


def test_web_check_fails_when_nothing_answers():
    with pytest.raises(CommandError, match="did not answer"):
        call_command("healthcheck", "web", "--url", "http://127.0.0.1:1/healthz?probe=web")


@pytest.mark.django_db
def test_detail_counts_tasks_that_failed_for_good(client, traces):
    from desk.models import FailedTask

    health.heartbeat_record(health.BEATS_KEY, "b")
    health.heartbeat_record(health.WORKERS_KEY, "celery@w1")
    assert client.get("/healthz?detail=1").json()["detail"]["tasks"] == {
        "failed": 0,
        "failed_last_day": 0,
    }
    FailedTask.objects.create(task_name="x", task_id="1", error="boom")
    FailedTask.objects.create(
        task_name="y",
        task_id="2",
        error="old",
        failed_at=timezone.now() - datetime.timedelta(days=2),
    )
    body = client.get("/healthz?detail=1").json()
    assert body["detail"]["tasks"] == {"failed": 2, "failed_last_day": 1}
    assert body["status"] == "ok"
