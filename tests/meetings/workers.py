"""Shared by the worker tests: a real Celery worker subprocess on the test
database and Redis, sending to a real SMTP server (aiosmtpd) on loopback."""

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from desk.models import Agency, Person, Region
from meetings import services

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:  # a free port (aiosmtpd checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_env(smtp_port: int, **extra) -> dict:
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://"), "set REDIS_URL to run the worker tests"
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"),
        "REDIS_URL": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEBUG": "true",
        # A killed worker's unacknowledged task comes back after this long.
        "CELERY_VISIBILITY_TIMEOUT": "5",
        **extra,
    }


def start_worker(env, log_path, concurrency=2):
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "desk",
            "worker",
            "-P",
            "prefork",
            "-c",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed as a whole
    )
    proc.log = log
    return proc


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc.log.close()


def invite(count: int):
    """A Kaltim meeting due for its reminder now, with ``count`` invitees."""
    kaltim = Region.objects.get(code="64")
    agency = Agency.objects.create(region=kaltim, kind=Agency.Kind.OPD, name="Diskominfo Kaltim")
    people = Person.objects.bulk_create(
        Person(agency=agency, name=f"Peserta {i}", email=f"p{i}@kaltim.example.id")
        for i in range(count)
    )
    now = timezone.now()
    meeting = services.meeting_schedule(
        user=None,
        region=kaltim,
        title="Rakor mingguan",
        kind="rakor_mingguan",
        starts_at=now + datetime.timedelta(minutes=50),
        ends_at=now + datetime.timedelta(hours=2),
        online_url="https://zoom.us/j/1",
        people=people,
    )
    return meeting, people
