"""The one way the product queues background work after a commit.

A change the user saved stays saved when the broker (Redis) is down: the
error is logged, never raised into the page, and each caller names the
fallback that does the work later (for reminders: the next beat tick). The
page that saved the change says so: `QueueFallbackMiddleware` adds the
caller's notice to the messages shown on the next page."""

import contextvars
import logging

from django.contrib import messages
from django.db import transaction

log = logging.getLogger(__name__)

# Notices of enqueues that failed during the current request.
_failed: contextvars.ContextVar[list | None] = contextvars.ContextVar("queue_failed", default=None)


def enqueue(task, *args, notice=None, on_failure=None, eta=None, countdown=None) -> None:
    """Queue ``task(*args)`` once the current transaction commits (at once
    outside one). If the broker refuses it, ``notice`` is shown to the user
    and ``on_failure()`` runs (for work no beat entry picks up later)."""

    def send():
        try:
            task.apply_async(args=args, eta=eta, countdown=countdown)
        except Exception as exc:  # OperationalError, a refused connection, a timeout…
            log.warning("could not queue %s%r: %s: %s", task.name, args, type(exc).__name__, exc)
            failed = _failed.get()
            if failed is not None and notice is not None and notice not in failed:
                failed.append(notice)
            if on_failure is not None:
                on_failure()

    transaction.on_commit(send)


class QueueFallbackMiddleware:
    """Tells the user that what they saved is saved, and what waits for the
    mail or task service. Placed after MessageMiddleware: it runs after the
    view's transaction (ATOMIC_REQUESTS) has committed and its enqueues ran."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        failed: list = []
        token = _failed.set(failed)
        try:
            response = self.get_response(request)
        finally:
            _failed.reset(token)
        if hasattr(request, "_messages"):
            for notice in failed:
                messages.warning(request, notice)
        return response
