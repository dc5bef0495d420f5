"""Reminder deliveries that failed, for the administrators' operations
page (registered in MeetingsConfig.ready)."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from desk.operations import LIMIT, FailureRow, FailureSection, FailureSource
from desk.scope import Scope
from desk.templatetags.desk import localtime_in
from meetings.models import ReminderDelivery


def failing_deliveries():
    """Failed for good, or failing and waiting for their next attempt."""
    State = ReminderDelivery.State
    return ReminderDelivery.objects.filter(
        Q(state=State.FAILED) | Q(state=State.PENDING, attempts__gt=0, last_error__gt="")
    )


def deliveries_section(scope: Scope) -> FailureSection:
    rows = scope.filter(failing_deliveries(), "meeting__region")
    shown = rows.select_related("meeting__region").order_by("-next_attempt_at", "-pk")[:LIMIT]
    return FailureSection(
        title=_("Pengiriman pengingat yang gagal"),
        columns=(
            _("Rapat dan desk"),
            _("Penerima"),
            _("Status"),
            _("Percobaan"),
            _("Percobaan berikutnya"),
            _("Galat terakhir"),
        ),
        rows=[
            FailureRow(
                cells=(
                    f"{d.meeting.title} — {d.meeting.region.name}",
                    d.email,
                    d.get_state_display(),
                    d.attempts,
                    # Each in the zone of the meeting's desk.
                    localtime_in(d.next_attempt_at, d.meeting.region)
                    if d.state == ReminderDelivery.State.PENDING
                    else None,
                    d.last_error,
                ),
                url=reverse("admin:meetings_reminderdelivery_change", args=[d.pk]),
            )
            for d in shown
        ],
        total=rows.count(),
        more_url=reverse("admin:meetings_reminderdelivery_changelist") + "?state__exact=failed",
    )


SOURCE = FailureSource(key="meetings.deliveries", section=deliveries_section)
