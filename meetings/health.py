"""The reminder counts a monitoring system reads in /healthz?detail=1
(registered in MeetingsConfig.ready)."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from meetings.models import ReminderDelivery

# A pending row goes out within one beat tick (5 minutes) plus its batch; one
# still waiting 15 minutes after it was due means the worker or beat is stuck.
OVERDUE_AFTER = datetime.timedelta(minutes=15)


def reminder_counts() -> dict:
    """One aggregate query: rows given up on (failed), rows waiting past
    their time (overdue), and reminders missed in the last day."""
    now = timezone.now()
    State = ReminderDelivery.State
    late = now - OVERDUE_AFTER
    return ReminderDelivery.objects.aggregate(
        failed=Count("pk", filter=Q(state=State.FAILED)),
        overdue=Count(
            "pk",
            filter=Q(state=State.PENDING)
            & (Q(next_attempt_at__lt=late) | Q(next_attempt_at__isnull=True, created_at__lt=late)),
        ),
        missed_last_day=Count(
            "pk",
            filter=Q(state=State.MISSED, created_at__gte=now - datetime.timedelta(days=1)),
        ),
    )
