"""A real Celery worker (prefork, on the local Redis and the test database):
the request id of the request that queued a task is on the task's log
lines, and a task that fails for good leaves a FailedTask row with the id
of what queued it. A real worker rather than eager mode: eager tasks run
inside the caller and never cross the publish/prerun signals carrying it."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from desk.logging import request_id
from desk.models import Agency, FailedTask, Person, Region, Role, RoleAssignment
from meetings import services
from meetings.models import ReminderDelivery
from meetings.tasks import deliver_reminders

pytestmark = pytest.mark.worker
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout, what, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker died"
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def json_lines(path):
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # the worker's start-up banner is plain text
    return entries


def test_task_log_lines_carry_the_request_id_that_queued_them(live_db, client, tmp_path):
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://"), "set REDIS_URL to run the worker test"
    redis.Redis.from_url(broker).flushdb()  # this suite's own Redis db

    kaltim = Region.objects.get(code="64")
    agency = Agency.objects.create(region=kaltim, kind=Agency.Kind.OPD, name="Diskominfo Kaltim")
    person = Person.objects.create(agency=agency, name="Peserta", email="p@kaltim.example.id")
    now = timezone.now()
    meeting = services.meeting_schedule(
        user=None,
        region=kaltim,
        title="Rakor",
        kind="rakor_mingguan",
        starts_at=now + datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1, hours=2),
        venue="Kantor Gubernur",
        people=[person],
    )
    # Already reminded: cancelling queues a cancellation notice task.
    ReminderDelivery.objects.create(
        meeting=meeting, kind="reminder", email=person.email, name=person.name, state="sent"
    )
    staff = get_user_model().objects.create_user(username="kaltim.desk", password="-")
    RoleAssignment.objects.create(user=staff, role=Role.DESK_STAFF, region=kaltim)

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": broker,
        "EMAIL_URL": "memorymail://",
        "DEBUG": "true",
        "LOG_FORMAT": "json",
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "desk", "worker", "-P", "prefork", "-c", "1"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        client.force_login(staff)
        response = client.post(
            f"/api/v1/meetings/{meeting.pk}/cancel/", headers={"X-Request-ID": "rid-cancel-1"}
        )
        assert response.status_code == 200, response.content
        wait_for(
            lambda: ReminderDelivery.objects.filter(kind="cancellation", state="sent").exists(),
            60,
            "the cancellation notice",
            worker,
        )
        # A task queued under another id, failing for good (not an id).
        token = request_id.set("rid-broken-2")
        try:
            deliver_reminders.delay("not-a-meeting")
        finally:
            request_id.reset(token)
        wait_for(FailedTask.objects.exists, 60, "the failed task's row", worker)
        time.sleep(1)  # the log lines after the row
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)

    entries = json_lines(log_path)
    tail = log_path.read_text()[-3000:]
    cancel = [e for e in entries if e["request_id"] == "rid-cancel-1"]
    assert any(
        "meetings.tasks.deliver_reminders" in e["message"] and "succeeded" in e["message"]
        for e in cancel
    ), tail
    broken = [e for e in entries if e["request_id"] == "rid-broken-2"]
    assert any(e["level"] == "ERROR" and "not-a-meeting" in e["message"] for e in broken), tail
    # No line of one task carries the other's id, and the worker's own
    # lines outside any task carry none.
    assert not [e for e in cancel if "not-a-meeting" in e["message"]]
    assert any(e["request_id"] == "" for e in entries)

    failed = FailedTask.objects.get()
    assert failed.task_name == "meetings.tasks.deliver_reminders"
    assert failed.args == ["not-a-meeting"] and failed.request_id == "rid-broken-2"
    assert failed.error.startswith("ValueError") and "Traceback" in failed.traceback
