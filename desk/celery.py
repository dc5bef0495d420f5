"""The Celery app and the whole beat schedule, in one place."""

import os

from celery import Celery

from desk.health import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")

app = Celery("desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The request id into queued tasks, failed tasks recorded, Django's logging kept.
import desk.tasksignals  # noqa: E402, F401

# Health: every worker writes a heartbeat, and the beat records each loop of
# its scheduler (desk/health.py); /healthz and the containers' checks read them.
app.steps["worker"].add(WorkerHeartbeat)
app.conf.beat_scheduler = "desk.health:RecordingScheduler"


# Exactly one beat process runs this (docker-compose's `beat` service). Every
# periodic job of the product is listed here and nowhere else. Set once the
# Django settings are read (the tick is a setting).
@app.on_after_configure.connect
def _beat_schedule(sender, source, **kwargs):
    from django.conf import settings

    source.beat_schedule = {
        "meetings-send-due-reminders": {
            "task": "meetings.tasks.send_due_reminders",
            # Every REMINDER_TICK_SECONDS (5 minutes): a reminder's local time
            # in WIB, WITA or WIT is found within one tick, and a missed tick
            # is caught by the next.
            "schedule": float(settings.REMINDER_TICK_SECONDS),
        },
    }
