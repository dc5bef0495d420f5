"""Import jobs: an uploaded file stored, read (logistics.importing), checked
and applied all or nothing, inline when small, else on a worker."""

from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.models import Role
from desk.queue import enqueue
from desk.scope import Scope, scope_for
from logistics.importing import files, pgcopy
from logistics.importing.files import FileRejected, check_size
from logistics.models import (
    DeliveryEvent,
    ImportJob,
    Reason,
)
from logistics.services.deliveries import (
    STAGING,
    RowsRejected,
    UpdateResult,
    _apply_staged,
    _with_state_errors,
    deliveries_update,
)

INLINE_IMPORT_BYTES = getattr(settings, "LOGISTICS_IMPORT_INLINE_BYTES", 256 * 1024)
MAX_LISTED_ERRORS = 5000  # a wholly wrong national file must not make a 50 MB page


def deliveries_import(
    data: bytes,
    filename: str,
    *,
    user,
    scope: Scope,
    job: ImportJob | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> UpdateResult:
    """Check and apply an uploaded file's rows, all or nothing (FileRejected,
    RowsRejected). On PostgreSQL a CSV file goes from its bytes into a
    temporary table by COPY and is checked there in SQL; XLSX, SQLite and CSV
    that COPY could read differently take the Python path (read_table,
    deliveries_update). Both give the same rows, messages and line numbers."""
    source = DeliveryEvent.Source.IMPORT
    staged = None
    if connection.vendor == "postgresql" and filename.lower().endswith((".csv", ".txt")):
        # Checked in a transaction of its own, before any lock is taken;
        # STAGING outlives it, in this session, until applied or dropped.
        with transaction.atomic():
            staged = pgcopy.csv_stage(data, scope=scope)
    if staged is None:
        total, rows = files.read_table(data, filename)
        if not total:
            raise FileRejected("file_no_rows")
        if on_total:
            on_total(total)
        return deliveries_update(
            rows, user=user, scope=scope, source=source, job=job, on_progress=on_progress
        )
    total, errors, districts = staged
    try:
        if not total:
            raise FileRejected("file_no_rows")
        if on_total:
            on_total(total)
        if errors:
            with connection.cursor() as cursor:
                raise RowsRejected(_with_state_errors(errors, cursor))
        if on_progress:
            on_progress(total)
        result = UpdateResult(rows=total, districts=districts)
        if total:
            with transaction.atomic(), connection.cursor() as cursor:
                result.changed = _apply_staged(cursor, districts, user=user, source=source, job=job)
        return result
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


def import_create(*, user, upload) -> ImportJob:
    """Store an uploaded file and queue or run its import."""
    check_size(upload.size)
    if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
        raise FileRejected("file_type")
    job = ImportJob(created_by=user, filename=upload.name[:200])
    job.file.save(upload.name, upload, save=False)
    job.save()
    from logistics import tasks

    # An XLSX is parsed as what it unpacks to: a small file of many rows
    # is no work for a web request either.
    work = upload.size
    if upload.name.lower().endswith(".xlsx"):
        with job.file.open("rb") as stored:
            work = max(work, files.unpacked_size(stored))
    if work > INLINE_IMPORT_BYTES:
        # No beat entry picks up a job never queued: it ends failed, and the
        # page asks for the upload again.
        enqueue(
            tasks.run_import,
            job.pk,
            notice=_("Layanan antrean sedang tidak tersedia; impor belum dapat dijalankan."),
            on_failure=lambda: tasks.import_mark_failed(job.pk),
        )
    else:
        import_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def import_run(*, job_id: int) -> ImportJob:
    """Read, check (progress saved as it goes), then apply all or nothing."""

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING):
        return job
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])

    def counted(total):
        job.total_rows = total
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total)

    def progress(n):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=n)

    try:
        with job.file.open("rb") as fh:
            data = fh.read()
        result = deliveries_import(
            data,
            job.filename,
            user=job.created_by,
            scope=scope_for(job.created_by, [Role.LOGISTICS_OFFICER]),
            job=job,
            on_total=counted,
            on_progress=progress,
        )
    # Codes and parameters, never text: put into words when the job is shown,
    # in the reader's language (ImportJob.error_rows).
    except RowsRejected as exc:
        job.status = ImportJob.Status.REJECTED
        job.errors = [e for row in exc.rows[:MAX_LISTED_ERRORS] for e in row.as_dicts()]
        if len(exc.rows) > MAX_LISTED_ERRORS:
            more = Reason("more_rows", {"n": len(exc.rows) - MAX_LISTED_ERRORS})
            job.errors.append({"line": 0, **more.as_dict()})
    except FileRejected as exc:
        job.status = ImportJob.Status.REJECTED
        job.errors = [{"line": 0, **exc.reason.as_dict()}]
    else:
        job.status = ImportJob.Status.DONE
        job.changed_rows = result.changed
        job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "changed_rows", "processed_rows", "finished_at"])
    return job
