"""Fault drills with a real Celery worker and a real SMTP server (aiosmtpd)
on loopback: SIGKILLs at random points of a fast batch, and a server that
stalls on QUIT past the task's soft time limit.

The design's residual window: a worker killed after the message's content
reached the SMTP server (which then accepts it with 250) and before our
COMMIT leaves that row pending, and it is sent again (same Message-ID). The
server's own time to accept a message (10 ms here) is inside that window:
no SMTP client can close it (RFC 1047). Nothing else may duplicate, and nothing may go missing. The
drill prints its measured figure (README, docs/meetings.md)."""

import asyncio
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from meetings.models import ReminderDelivery
from meetings.tasks import deliver_reminders, send_due_reminders
from tests.meetings.workers import free_port, invite, start_worker, stop, wait_for, worker_env

pytestmark = pytest.mark.worker

KILLS = 20
INVITEES = 600


class RecordingHandler:
    """Accepts every message after ``data_delay`` seconds; counts copies per
    recipient, SMTP sessions and QUITs; remembers the last accepted one."""

    def __init__(self, data_delay=0.01, quit_stall=0.0):
        self.data_delay = data_delay
        self.quit_stall = quit_stall
        self.received = Counter()
        self.sessions = 0
        self.quits = 0
        self.last = None
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.data_delay)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt] += 1
                self.last = rcpt
        return "250 Message accepted"

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        await asyncio.sleep(self.quit_stall)
        return "221 Bye"

    def total(self):
        with self.lock:
            return sum(self.received.values())


def pool_children(master_pid: int) -> list[int]:
    path = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def all_sent(meeting) -> bool:
    return not ReminderDelivery.objects.filter(meeting=meeting).exclude(state="sent").exists()


def test_random_kills_mid_batch_lose_nothing_and_duplicate_only_the_message_in_flight(
    live_db, tmp_path
):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    meeting, people = invite(INVITEES)
    send_due_reminders.apply()  # the beat tick's rows, created here; the worker sends
    assert ReminderDelivery.objects.filter(meeting=meeting, state="pending").count() == INVITEES

    handler = RecordingHandler(data_delay=0.01)
    port = free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    # One pool process: the message in flight at a kill is the last accepted.
    env = worker_env(port)
    log_path = tmp_path / "worker.log"
    rng = random.Random()
    worker = start_worker(env, log_path, concurrency=1)
    in_flight = set()  # the last message accepted before each kill
    kills = whole = 0
    restarts = []  # seconds from a (re)start to the first message of the batch
    started = time.monotonic()
    try:
        while kills < KILLS and not all_sent(meeting):
            before, asked = handler.total(), time.monotonic()
            deliver_reminders.delay(meeting.pk)  # as a beat tick would
            wait_for(lambda b=before: handler.total() > b, 30, "the batch to be under way")
            restarts.append(time.monotonic() - asked)
            time.sleep(rng.uniform(0, 0.3))
            if kills % 10 == 9:  # the whole worker, as a host crash or a hard stop
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
                worker.log.close()
                whole += 1
            else:  # its pool process, as the OOM killer would
                for pid in pool_children(worker.pid):
                    os.kill(pid, signal.SIGKILL)
            # The server may still be taking in the content the dead client
            # sent; once it is done, its last accepted message is the one
            # that was in flight (a kill stops every later one).
            time.sleep(0.2)
            with handler.lock:
                in_flight.add(handler.last)
            kills += 1
            if worker.poll() is not None:
                worker = start_worker(env, log_path, concurrency=1)
        assert kills == KILLS, "the batch ended before every kill: invite more"
        deliver_reminders.delay(meeting.pk)
        wait_for(lambda: all_sent(meeting), 90, "every row sent")
        time.sleep(2)  # a late duplicate would show up here
    finally:
        stop(worker, signal.SIGKILL)
        smtp.stop()

    emails = {p.email for p in people}
    missing = emails - set(handler.received)
    duplicated = {rcpt: n for rcpt, n in handler.received.items() if n > 1}
    duplicates = sum(n - 1 for n in duplicated.values())
    print(
        f"kills={kills} (whole worker {whole}) duplicates={duplicates} "
        f"({duplicates / kills:.2f} per kill) missing={len(missing)} "
        f"in {time.monotonic() - started:.0f} s "
        f"(a batch under way {sum(restarts) / len(restarts):.1f} s after each restart)"
    )
    assert not missing
    assert set(handler.received) == emails
    # At most one duplicate per kill, only of a message in flight at a kill.
    assert duplicates <= kills and max(handler.received.values()) <= 2
    assert set(duplicated) <= in_flight, (duplicated, in_flight)


def test_a_server_stalling_on_quit_past_the_soft_time_limit_sends_each_once(live_db, tmp_path):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    meeting, people = invite(5)
    handler = RecordingHandler(data_delay=0, quit_stall=6)
    port = free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    env = worker_env(port, CELERY_TASK_SOFT_TIME_LIMIT="2", EMAIL_TIMEOUT="20")
    log_path = tmp_path / "worker.log"
    worker = start_worker(env, log_path, concurrency=1)
    try:
        send_due_reminders.delay()
        wait_for(lambda: all_sent(meeting), 60, "every row sent")
        wait_for(lambda: "SoftTimeLimitExceeded" in log_path.read_text(), 30, "the soft limit")
        time.sleep(3)  # a resend would follow at once
    finally:
        stop(worker, signal.SIGKILL)
        smtp.stop()
    log = log_path.read_text()
    assert handler.received == Counter({p.email: 1 for p in people}), log[-3000:]
    assert handler.sessions == 1 and handler.quits == 1  # one connection for the run
    assert "closing the SMTP connection failed: SoftTimeLimitExceeded" in log


def test_a_worker_told_to_stop_finishes_its_batch_and_the_next_one_sends_the_rest(
    live_db, tmp_path
):
    """docker stop: SIGTERM is Celery's warm shutdown. The running batch stops
    taking rows after MEETINGS_REMINDER_BATCH_SECONDS and queues the rest; the
    worker exits on its own, nothing half-sent; a new worker sends the rest."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    meeting, people = invite(200)
    handler = RecordingHandler(data_delay=0.05)
    port = free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    env = worker_env(port, MEETINGS_REMINDER_BATCH_SECONDS="2")
    log_path = tmp_path / "worker.log"
    worker = start_worker(env, log_path, concurrency=1)
    second = None
    try:
        send_due_reminders.delay()
        wait_for(lambda: handler.total() > 0, 60, "the batch to be under way")
        # docker stop signals the container's main process (the worker runs
        # as PID 1 in compose), not its pool: the pool process finishes its
        # batch. (A SIGTERM to the whole group kills the pool process
        # mid-batch like a SIGKILL: that case is the kill drill's.)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0  # exited by itself, not killed
        worker.log.close()
        sent_by_first = handler.total()
        assert 0 < sent_by_first < len(people)
        assert ReminderDelivery.objects.filter(state="sent").count() == sent_by_first
        second = start_worker(env, log_path, concurrency=1)  # picks up the queued rest
        wait_for(lambda: all_sent(meeting), 90, "every row sent")
        time.sleep(1)
    finally:
        stop(worker, signal.SIGKILL)
        if second is not None:
            stop(second)
        smtp.stop()
    assert handler.received == Counter({p.email: 1 for p in people})
