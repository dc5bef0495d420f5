"""Celery tasks: they take ids, reload, and call a service. The beat entry
for send_due_reminders sits in desk/celery.py with the rest of the schedule."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from desk.queue import enqueue
from meetings import reminders


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_due_reminders() -> list[int]:
    """Beat, every five minutes: create due delivery rows, then one delivery
    task per meeting with rows to send, queued once the rows are committed
    (a broker that refuses them: the next tick finds the same rows)."""
    with transaction.atomic():
        meeting_ids = reminders.reminders_dispatch()
        for meeting_id in meeting_ids:
            enqueue(deliver_reminders, meeting_id)
    return meeting_ids


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_reminders(meeting_id: int) -> dict:
    """Send one meeting's pending deliveries. Each row an SMTP server refused
    comes back at its own next attempt (one task per distinct time); a batch
    that ran out of time, or hit the soft time limit, continues in a new
    task at once. Beat finds whatever a lost task leaves behind."""
    try:
        run = reminders.reminders_deliver(meeting_id=meeting_id)
    except SoftTimeLimitExceeded:
        # Not an SMTP failure: every row not yet committed is still pending.
        enqueue(deliver_reminders, meeting_id)
        return {"interrupted": True}
    for at in sorted(run.retry_times):
        enqueue(deliver_reminders, meeting_id, eta=at)
    if run.more:
        enqueue(deliver_reminders, meeting_id)
    return {"sent": run.sent, "failed": run.failed, "missed": run.missed}
