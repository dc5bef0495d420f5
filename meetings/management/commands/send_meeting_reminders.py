"""Send due meeting reminders now, without Celery (embedded mode, cron, or
by hand). The same services as the beat task."""

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from meetings import reminders
from meetings.models import Meeting


class Command(BaseCommand):
    help = "Send due meeting reminders (and cancellation notices) now, without Celery."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; write and send nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            due = (
                Meeting.objects.filter(
                    status=Meeting.Status.SCHEDULED,
                    reminders_dispatched_at__isnull=True,
                    remind_at__lte=timezone.now(),
                )
                .select_related("region")
                .annotate(invitees=Count("invitations"))
                .order_by("starts_at")
            )
            for meeting in due:
                late = " (missed: already started)" if meeting.starts_at <= timezone.now() else ""
                self.stdout.write(
                    f"{meeting.region.name}: {meeting.title}, {meeting.local_start:%Y-%m-%d %H:%M}"
                    f" {meeting.region.timezone_label}, {meeting.invitees} invitations{late}"
                )
            self.stdout.write(f"{len(due)} meeting(s) due; dry run, nothing sent.")
            return
        totals = {"sent": 0, "failed": 0, "missed": 0, "retry": 0}
        meeting_ids = reminders.reminders_dispatch()
        for meeting_id in meeting_ids:
            run = reminders.reminders_deliver(meeting_id=meeting_id)
            totals["sent"] += run.sent
            totals["failed"] += run.failed
            totals["missed"] += run.missed
            totals["retry"] += len(run.errors) - run.failed
        self.stdout.write(
            f"{len(meeting_ids)} meeting(s): {totals['sent']} sent, {totals['retry']} to retry, "
            f"{totals['failed']} failed, {totals['missed']} missed."
        )
