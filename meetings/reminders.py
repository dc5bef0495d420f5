"""Reminder e-mails: the delivery rows of due meetings (dispatch), sending
them (deliver), and the admin's "retry now". Why each e-mail goes out at most
once and at least once: docs/meetings.md."""

import contextlib
import datetime
import logging
import signal
import smtplib
import threading
import time
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.queue import enqueue
from meetings import conf
from meetings.models import Invitation, Meeting, ReminderDelivery

log = logging.getLogger(__name__)

MAIL_LATER = _(
    "Perubahan tersimpan. Layanan pengiriman surel sedang tidak tersedia; pemberitahuan "
    "akan dikirim otomatis begitu layanan itu kembali."
)


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
    uncertain: int = 0
    # The time of each row's next attempt: one retry is scheduled per time.
    retry_times: set[datetime.datetime] = field(default_factory=set)
    # Rows are left for another run (the batch's time was up).
    more: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def retry_at(self) -> datetime.datetime | None:
        return min(self.retry_times, default=None)


def reminders_deliver(*, meeting_id: int, connection=None) -> DeliveryRun:
    """Send this meeting's pending deliveries, one row at a time, over one
    SMTP connection.

    Each row is locked (SKIP LOCKED: two workers on one meeting share the
    rows, never a row), sent, marked and committed before the next one, with
    Celery's soft time limit held back until that COMMIT. The connection's
    QUIT comes after the last COMMIT, so a stall or an error there touches no
    row. The one window left for a duplicate is a worker killed once the
    message's content has reached the server (which then accepts it: 250)
    and before our COMMIT: the row is still pending and is sent again (same
    Message-ID). The server's own time to accept is inside the window; no
    SMTP client can close it (RFC 1047). A send whose outcome is unknown (the connection
    broke or timed out once the message was handed over) is marked sent,
    never retried, with the error kept. A refusal counts an attempt and
    schedules the row again with a doubling backoff; after the last attempt
    it is marked failed. The batch stops taking rows after
    MEETINGS_REMINDER_BATCH_SECONDS (run.more), so a worker's warm shutdown
    finishes it within the deploy's grace period.
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
    mailer = Mailer(connection or get_connection())
    started = timezone.now()
    stop_at = time.monotonic() + conf.batch_seconds()
    relaxed = _relax_commit_durability()
    try:
        while True:
            if time.monotonic() >= stop_at:
                run.more = True
                break
            with soft_time_limit_deferred(), transaction.atomic():
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
                        mailer.send(builder.build(delivery))
                    except SoftTimeLimitExceeded:
                        raise  # not an SMTP failure: the row stays pending for the next run
                    except MaybeHandedOver as exc:  # the server may hold it: never send it again
                        cause = exc.__cause__
                        delivery.state = State.SENT
                        delivery.sent_at = now
                        delivery.attempts += 1
                        delivery.last_error = f"uncertain: {type(cause).__name__}: {cause}"[:2000]
                        run.uncertain += 1
                        run.sent += 1
                    except Exception as exc:  # refused, or failed before the content was sent
                        _record_failure(delivery, exc.__cause__ or exc, now, run)
                    else:
                        delivery.state = State.SENT
                        delivery.sent_at = now
                        delivery.attempts += 1
                        run.sent += 1
                delivery.save(
                    update_fields=["state", "sent_at", "attempts", "next_attempt_at", "last_error"]
                )
    finally:
        # After the last COMMIT: a QUIT that stalls or fails changes no row.
        mailer.close()
        if relaxed:
            _restore_commit_durability()
    return run


class NotHandedOver(Exception):
    """The server refused the message, or the connection failed before the
    message's content was sent: it may be retried."""


class MaybeHandedOver(Exception):
    """The connection failed or timed out after the message's content was
    sent: the server may have accepted it."""


class Mailer:
    """One SMTP connection for a delivery run: opened at the first message,
    reused for every other one, closed (QUIT) once at the end.

    Over SMTP each message is sent step by step (MAIL, RCPT, DATA) so that a
    failure is known to have happened before the content was handed over
    (NotHandedOver: safe to retry) or after (MaybeHandedOver: the server may
    have accepted it). Other backends (console, locmem, a test's) cannot
    half-send: any error they raise is NotHandedOver.
    """

    def __init__(self, backend):
        self.backend = backend

    def send(self, message) -> None:
        if not isinstance(self.backend, SMTPBackend):
            try:
                self.backend.send_messages([message])
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                raise NotHandedOver(str(exc)) from exc
            return
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
        content = message.message().as_bytes(linesep="\r\n")
        try:
            if self.backend.connection is None:
                self.backend.open()
            smtp = self.backend.connection
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        except SoftTimeLimitExceeded:
            self._drop()
            raise
        except Exception as exc:
            self._reset()
            raise NotHandedOver(str(exc)) from exc
        try:
            code, reply = smtp.data(content)
        except smtplib.SMTPDataError as exc:  # DATA itself refused: nothing sent
            self._reset()
            raise NotHandedOver(str(exc)) from exc
        except Exception as exc:
            self._drop()  # its state is unknown; the next message opens a new one
            raise MaybeHandedOver(str(exc)) from exc
        if code != 250:  # the server answered, and said no
            self._reset()
            raise NotHandedOver(str(smtplib.SMTPDataError(code, reply)))

    def _reset(self) -> None:
        """Ready the connection for the next message, or drop it (the next
        message opens a new one)."""
        smtp = self.backend.connection if isinstance(self.backend, SMTPBackend) else None
        if smtp is None:
            return
        try:
            smtp.rset()
        except Exception:
            self._drop()

    def _drop(self) -> None:
        """Close the socket without a QUIT (a broken connection may not answer)."""
        smtp, self.backend.connection = self.backend.connection, None
        with contextlib.suppress(Exception):
            smtp.close()

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception as exc:  # a QUIT that failed or timed out: every row is committed
            log.warning("closing the SMTP connection failed: %s: %s", type(exc).__name__, exc)
            if isinstance(self.backend, SMTPBackend):
                self.backend.connection = None


@contextlib.contextmanager
def soft_time_limit_deferred():
    """Hold back Celery's soft time limit (a signal in the pool process) for
    one row: it fires right after the row's COMMIT, never between the
    server's 250 and the COMMIT. The SMTP socket timeout (EMAIL_TIMEOUT) and
    the hard time limit still bound a stalled server."""
    signum = getattr(signal, "SIGUSR1", None)
    if signum is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signum})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})


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
    run.retry_times.add(delivery.next_attempt_at)


def delivery_retry_now(*, delivery: ReminderDelivery) -> None:
    """Admin action: a failed or waiting delivery goes out with the next run."""
    if delivery.state not in (ReminderDelivery.State.FAILED, ReminderDelivery.State.PENDING):
        raise ValidationError(_("Hanya pengiriman yang gagal atau menunggu dapat diulang."))
    ReminderDelivery.objects.filter(pk=delivery.pk).update(
        state=ReminderDelivery.State.PENDING, next_attempt_at=None
    )
    delivery_queue(meeting_id=delivery.meeting_id)


def delivery_queue(*, meeting_id: int) -> None:
    """Send the meeting's pending rows once the current transaction commits;
    with the broker down, the next beat tick sends them (the page says so)."""
    from meetings.tasks import deliver_reminders

    enqueue(deliver_reminders, meeting_id, notice=MAIL_LATER)
