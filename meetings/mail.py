"""Reminder and cancellation e-mails, rendered in the recipient's language."""

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from meetings import conf
from meetings.ical import meeting_ics
from meetings.models import Meeting, ReminderDelivery
from meetings.selectors import digest_for


class MessageBuilder:
    """Everything a meeting's e-mails share is read once (the meeting, the
    desk's open decisions, the .ics); each recipient then costs no query."""

    def __init__(self, meeting: Meeting):
        self.meeting = meeting
        until = meeting.local_start.date() + datetime.timedelta(days=conf.digest_days_ahead())
        self.digest = digest_for([meeting.region_id], until=until)[meeting.region_id]
        self.ics = meeting_ics(meeting)
        self.today = meeting.local_start.date()

    def build(self, delivery: ReminderDelivery, *, connection=None) -> EmailMultiAlternatives:
        prefix = (
            "cancellation" if delivery.kind == ReminderDelivery.Kind.CANCELLATION else "reminder"
        )
        context = {
            "meeting": self.meeting,
            "region": self.meeting.region,
            "name": delivery.name,
            "decisions": self.digest.decisions,
            "problems": self.digest.problems,
            "today": self.today,
        }
        with translation.override(delivery.language or settings.LANGUAGE_CODE):
            subject = render_to_string(f"meetings/email/{prefix}_subject.txt", context)
            text = render_to_string(f"meetings/email/{prefix}.txt", context)
            html = render_to_string(f"meetings/email/{prefix}.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            to=[delivery.email],
            connection=connection,
            # The same id on a resend lets mail servers and clients fold a
            # duplicate into one message.
            headers={"Message-ID": f"<{prefix}-{delivery.pk}@desk-pilkada>"},
        )
        message.attach_alternative(html, "text/html")
        message.attach("rapat.ics", self.ics, "text/calendar")
        return message
