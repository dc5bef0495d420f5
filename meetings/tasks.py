"""Celery tasks: they take ids, reload, and call a service. The beat entry
for send_due_reminders sits in desk/celery.py with the rest of the schedule."""

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from meetings import reminders


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_due_reminders() -> list[int]:
    """Beat, every five minutes: create due delivery rows, then one delivery
    task per meeting with rows to send, queued once the rows are committed."""
    with transaction.atomic():
        meeting_ids = reminders.reminders_dispatch()
        for meeting_id in meeting_ids:
            transaction.on_commit(lambda m=meeting_id: deliver_reminders.delay(m))
    return meeting_ids


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=8
)
def deliver_reminders(self, meeting_id: int) -> dict:
    """Send one meeting's pending deliveries; when SMTP failed for some,
    come back after their backoff (the next beat tick would too)."""
    run = reminders.reminders_deliver(meeting_id=meeting_id)
    if run.retry_at is not None:
        wait = (run.retry_at - timezone.now()) / datetime.timedelta(seconds=1)
        raise self.retry(countdown=max(1, int(wait) + 1))
    return {"sent": run.sent, "failed": run.failed, "missed": run.missed}
