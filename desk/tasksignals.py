"""Celery signal handlers: the request id travels from the request that
queued a task into the task's log lines, and a task that fails for good
leaves a row for the operations page.

Connected in desk/celery.py, so every process that loads the Celery app
(web, worker, beat, management commands) has them.
"""

import logging
import re
import traceback as tb

from celery import signals

from desk.logging import request_id, valid_request_id

log = logging.getLogger(__name__)

HEADER = "request_id"
# A recorded argument is kept when it is an id (a number, a region code,
# a UUID); anything else is replaced, since it might be personal data.
_ID_LIKE = re.compile(r"[\w.:-]{1,64}")
_HIDDEN = "…"


@signals.setup_logging.connect
def keep_django_logging(**kwargs):
    """Connected at all, this stops Celery from replacing the handlers of
    settings.LOGGING (JSON lines with the request id) with its own."""


@signals.before_task_publish.connect
def carry_request_id(headers=None, **kwargs):
    rid = request_id.get()
    if rid and headers is not None and HEADER not in headers:
        headers[HEADER] = rid


@signals.task_prerun.connect
def enter_request_id(task=None, **kwargs):
    # Custom message headers become attributes of the task's request.
    # An eager task runs inside its caller and keeps the caller's id.
    rid = valid_request_id(getattr(task.request, HEADER, None)) if task else None
    if rid:
        task.request._request_id_token = request_id.set(rid)


@signals.task_postrun.connect
def leave_request_id(task=None, **kwargs):
    token = getattr(task.request, "_request_id_token", None) if task else None
    if token is not None:
        request_id.reset(token)
        task.request._request_id_token = None


def ids_only(values) -> list:
    kept = []
    for value in values or ():
        is_id = value is None or isinstance(value, int)  # bool is an int too
        is_id = is_id or (isinstance(value, str) and _ID_LIKE.fullmatch(value))
        kept.append(value if is_id else _HIDDEN)
    return kept


@signals.task_failure.connect
def record_failure(sender=None, task_id=None, exception=None, args=None, kwargs=None, **rest):
    """One row per task that failed for good (a retry is not a failure).

    Never raises: a broken database must not turn into a second failure
    hiding the first, which is logged either way."""
    from django.db import transaction

    from desk.models import FailedTask

    name = getattr(sender, "name", None) or str(sender)
    trace = "".join(tb.format_exception(exception))[-8000:] if exception else ""
    arguments = ids_only(args) + [{k: ids_only([v])[0]} for k, v in sorted((kwargs or {}).items())]
    try:
        with transaction.atomic():
            FailedTask.objects.create(
                task_name=name[:200],
                task_id=(task_id or "")[:64],
                args=arguments,
                error=f"{type(exception).__name__}: {exception}"[:2000],
                traceback=trace,
                request_id=request_id.get(),
            )
    except Exception:
        log.exception("could not record the failure of task %s %s", name, task_id)
