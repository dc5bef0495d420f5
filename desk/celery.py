"""The Celery app and the whole beat schedule, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")

app = Celery("desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id into queued tasks, failed tasks recorded, Django's logging kept.
import desk.tasksignals  # noqa: E402, F401

# Exactly one beat process runs this (docker-compose's `beat` service). Every
# periodic job of the product is listed here and nowhere else.
app.conf.beat_schedule = {
    "meetings-send-due-reminders": {
        "task": "meetings.tasks.send_due_reminders",
        # Every five minutes: a reminder's local time in WIB, WITA or WIT is
        # found within five minutes, and a missed tick is caught by the next.
        "schedule": crontab(minute="*/5"),
    },
}
