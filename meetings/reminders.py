"""Reminder e-mails: the delivery rows of due meetings (dispatch), sending
them (deliver), and the admin's "retry now". Why each e-mail goes out at most
once and at least once: docs/meetings.md."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings import conf
from meetings.models import Invitation, Meeting, ReminderDelivery


def _recipients(invitations) -> list[tuple[str, str, str]]:
    """(email, name, language) per invitee with an address, one per address."""
    seen: dict[str, tuple[str, str, str]] = {}
    for inv in invitations:
        person = inv.person
        email = ((person.email if person else "") or inv.agency.email).strip().lower()
        if not email or email in seen:
            continue
        name = person.name if person else inv.agency.name
        seen[email] = (email, name, person.language if person else "id")
    return list(seen.values())


def reminders_dispatch(*, now: datetime.datetime | None = None) -> list[int]:
    """Run by every beat tick (and by the command). Creates the delivery rows
    of meetings whose reminder time has come, marks missed what can no longer
    go out before the meeting starts, and returns the meetings that have rows
    to send now. Safe to run twice at once: rows are unique, meetings locked."""
    now = now or timezone.now()
    State = ReminderDelivery.State
    with transaction.atomic():
        due = list(
            Meeting.objects.select_for_update(skip_locked=True)
            .filter(
                status=Meeting.Status.SCHEDULED,
                reminders_dispatched_at__isnull=True,
                remind_at__lte=now,
            )
            .only("id", "starts_at")
        )
        if due:
            invitations = Invitation.objects.filter(meeting__in=due).select_related(
                "agency", "person"
            )
            by_meeting: dict[int, list] = {m.pk: [] for m in due}
            for inv in invitations:
                by_meeting[inv.meeting_id].append(inv)
            rows = []
            for meeting in due:
                # Beat or the worker was down past the start: record the miss,
                # do not send late.
                state = State.PENDING if meeting.starts_at > now else State.MISSED
                rows += [
                    ReminderDelivery(
                        meeting_id=meeting.pk,
                        kind=ReminderDelivery.Kind.REMINDER,
                        email=email,
                        name=name[:150],
                        language=language,
                        state=state,
                    )
                    for email, name, language in _recipients(by_meeting[meeting.pk])
                ]
            ReminderDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
            Meeting.objects.filter(pk__in=[m.pk for m in due]).update(reminders_dispatched_at=now)
        ReminderDelivery.objects.filter(state=State.PENDING, meeting__starts_at__lte=now).update(
            state=State.MISSED
        )
    return sorted(
        set(
            ReminderDelivery.objects.filter(state=State.PENDING)
            .exclude(next_attempt_at__gt=now)
            .values_list("meeting_id", flat=True)
        )
    )


@dataclass
class DeliveryRun:
    sent: int = 0
    failed: int = 0
    missed: int = 0
    retry_at: datetime.datetime | None = None
    errors: list[str] = field(default_factory=list)


def reminders_deliver(*, meeting_id: int, connection=None) -> DeliveryRun:
    """Send this meeting's pending deliveries, one row at a time.

    Each row is locked (SKIP LOCKED: two workers on one meeting share the
    rows, never a row), sent, and marked in the same transaction. A worker
    killed before the commit leaves the row pending for the redelivered task;
    the only window for a duplicate is between the SMTP server's 250 and our
    COMMIT. An SMTP failure counts an attempt and schedules the row again
    with a doubling backoff; after the last attempt it is marked failed.
    """
    from django.core.mail import get_connection

    from meetings.mail import MessageBuilder

    State = ReminderDelivery.State
    run = DeliveryRun()
    meeting = (
        Meeting.objects.select_related("region", "chair__agency", "organiser")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        return run
    builder = MessageBuilder(meeting)
    connection = connection or get_connection()
    started = timezone.now()
    relaxed = _relax_commit_durability()
    try:
        while True:
            with transaction.atomic():
                delivery = (
                    ReminderDelivery.objects.select_for_update(skip_locked=True)
                    .filter(meeting_id=meeting_id, state=State.PENDING)
                    .exclude(next_attempt_at__gt=started)
                    .order_by("id")
                    .first()
                )
                if delivery is None:
                    break
                now = timezone.now()
                if now >= meeting.starts_at:
                    delivery.state = State.MISSED
                    run.missed += 1
                elif meeting.is_cancelled and delivery.kind == ReminderDelivery.Kind.REMINDER:
                    delivery.state = State.VOID
                else:
                    try:
                        builder.build(delivery, connection=connection).send()
                    except Exception as exc:  # SMTP, DNS, refused recipient…
                        connection.close()
                        _record_failure(delivery, exc, now, run)
                    else:
                        delivery.state = State.SENT
                        delivery.sent_at = now
                        delivery.attempts += 1
                        run.sent += 1
                delivery.save(
                    update_fields=["state", "sent_at", "attempts", "next_attempt_at", "last_error"]
                )
    finally:
        connection.close()
        if relaxed:
            _restore_commit_durability()
    return run


def _relax_commit_durability() -> bool:
    """One COMMIT per e-mail is the price of a small duplicate window; an
    fsync per COMMIT would double it again. With synchronous_commit off a
    committed row is visible at once and survives a worker crash; only a
    PostgreSQL crash in the next fraction of a second could lose a "sent"
    mark (and send that e-mail twice). Outside a transaction only: inside
    one (tests) a SET would leak into it."""
    if db_connection.vendor != "postgresql" or db_connection.in_atomic_block:
        return False
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    return True


def _restore_commit_durability() -> None:
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO DEFAULT")


def _record_failure(delivery: ReminderDelivery, exc: Exception, now, run: DeliveryRun) -> None:
    delivery.attempts += 1
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    run.errors.append(delivery.last_error)
    if delivery.attempts >= conf.max_attempts():
        delivery.state = ReminderDelivery.State.FAILED
        delivery.next_attempt_at = None
        run.failed += 1
        return
    delay = conf.retry_backoff() * 2 ** (delivery.attempts - 1)
    delivery.next_attempt_at = now + datetime.timedelta(seconds=delay)
    if run.retry_at is None or delivery.next_attempt_at < run.retry_at:
        run.retry_at = delivery.next_attempt_at


def delivery_retry_now(*, delivery: ReminderDelivery) -> None:
    """Admin action: a failed or waiting delivery goes out with the next run."""
    if delivery.state not in (ReminderDelivery.State.FAILED, ReminderDelivery.State.PENDING):
        raise ValidationError(_("Hanya pengiriman yang gagal atau menunggu dapat diulang."))
    ReminderDelivery.objects.filter(pk=delivery.pk).update(
        state=ReminderDelivery.State.PENDING, next_attempt_at=None
    )
    delivery_queue(meeting_id=delivery.meeting_id)


def delivery_queue(*, meeting_id: int) -> None:
    """Send the meeting's pending rows once the current transaction commits."""
    from meetings.tasks import deliver_reminders

    transaction.on_commit(lambda: deliver_reminders.delay(meeting_id))
