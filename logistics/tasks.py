"""Background work: large imports (tasks take ids, reload, call a service)."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from logistics import services
from logistics.models import ImportJob, Reason

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    try:
        services.import_run(job_id=job_id)
    except Exception:
        # Nothing was applied (the apply step is one transaction); say so on the page.
        log.exception("logistics import %s failed", job_id)
        import_mark_failed(job_id)


def import_mark_failed(job_id: int) -> None:
    """A job that failed, or was never queued, ends failed: nothing applied."""
    with transaction.atomic():
        ImportJob.objects.filter(
            pk=job_id, status__in=[ImportJob.Status.PENDING, ImportJob.Status.RUNNING]
        ).update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            errors=[{"line": 0, **Reason("import_failed").as_dict()}],
        )
