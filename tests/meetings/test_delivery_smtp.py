"""reminders_deliver against a real SMTP server (aiosmtpd) on loopback, in
process: one connection per run, a refusal retried at the row's own time, a
reply lost after the content was sent never resent."""

import asyncio
import json
from collections import Counter

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

from meetings import reminders
from meetings.models import ReminderDelivery
from meetings.tasks import deliver_reminders
from tests.meetings.test_kill_drill import RecordingHandler
from tests.meetings.workers import free_port, invite


class PickyHandler(RecordingHandler):
    """Refuses ``refuse`` at RCPT TO; for ``slow`` it keeps the message, then
    answers DATA only after the client gave up."""

    def __init__(self, refuse=(), slow=()):
        super().__init__(data_delay=0)
        self.refuse, self.slow = set(refuse), set(slow)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.slow & set(envelope.rcpt_tos):
            await asyncio.sleep(2)
        return reply


@pytest.fixture
def smtp(settings):
    def start(handler):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 1
        started.append(controller)
        return handler

    started = []
    yield start
    for controller in started:
        controller.stop()


def test_one_connection_per_run_and_a_refusal_does_not_break_it(db, smtp):
    meeting, people = invite(6)
    handler = smtp(PickyHandler(refuse={people[2].email}))
    reminders.reminders_dispatch()
    run = reminders.reminders_deliver(meeting_id=meeting.pk)
    assert (run.sent, handler.sessions, handler.quits) == (5, 1, 1)
    assert handler.received == Counter({p.email: 1 for p in people if p != people[2]})
    refused = ReminderDelivery.objects.get(email=people[2].email)
    assert (refused.state, refused.attempts) == ("pending", 1)
    assert "450" in refused.last_error
    assert run.retry_times == {refused.next_attempt_at}


def test_a_reply_lost_after_the_content_was_sent_is_never_sent_again(db, smtp):
    meeting, people = invite(3)
    handler = smtp(PickyHandler(slow={people[1].email}))
    reminders.reminders_dispatch()
    run = reminders.reminders_deliver(meeting_id=meeting.pk)
    assert (run.sent, run.uncertain) == (3, 1)
    lost = ReminderDelivery.objects.get(email=people[1].email)
    assert lost.state == "sent" and lost.last_error.startswith("uncertain: ")
    reminders.reminders_deliver(meeting_id=meeting.pk)  # a retry, a second tick
    assert handler.received == Counter({p.email: 1 for p in people})
    assert handler.sessions == 2  # the broken connection was dropped, a new one opened


def test_each_refused_row_is_retried_at_its_own_time(db, smtp, django_capture_on_commit_callbacks):
    """The delivery task queues one retry per row's next attempt (ETA), not
    one for the earliest that leaves the others to the next beat tick."""
    broker = django_settings.CELERY_BROKER_URL
    assert broker.startswith("redis://"), "set REDIS_URL: this reads the real queue"
    queue = redis.Redis.from_url(broker)
    queue.flushdb()
    meeting, people = invite(4)
    smtp(PickyHandler(refuse={people[0].email, people[3].email}))
    reminders.reminders_dispatch()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_reminders.apply(args=[meeting.pk]).get()
    waiting = ReminderDelivery.objects.filter(state="pending").order_by("next_attempt_at")
    expected = [row.next_attempt_at.isoformat() for row in waiting]
    assert len(expected) == 2 and expected[0] != expected[1]
    queued = [json.loads(raw)["headers"] for raw in queue.lrange("celery", 0, -1)]
    etas = sorted(h["eta"] for h in queued if h["task"] == "meetings.tasks.deliver_reminders")
    assert etas == expected
    queue.flushdb()
