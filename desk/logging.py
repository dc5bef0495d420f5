"""Log records as one JSON object per line, each carrying the id of the
request (or of the request that queued the task) it was written for.

A formatter of our own rather than python-json-logger: what we need is
twenty lines of the standard library (``json.dumps`` of a few record
fields), and a dependency for it would be one more thing to pin and audit.
"""

import contextvars
import datetime
import json
import logging
import re
import uuid

# The id of the request (or of the request that queued the running task).
# A contextvar, not a thread-local: each request and each task sets and
# resets its own, whatever server or pool runs it.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# What we accept from a caller's X-Request-ID: a proxy's or client's id
# (UUID, hex, a load balancer's trace id), never something that could
# break a log line or a header.
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")

# The attributes every LogRecord has; anything else came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    """The caller's id if it is one we may log and send back, else None."""
    if value and _VALID.fullmatch(value):
        return value
    return None


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (handlers, not loggers,
    carry it, so third-party loggers get it too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger,
    message, request_id, the exception's traceback, and the plain `extra=`
    fields (Django's ``status_code``, the request as method and path)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id.get(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if hasattr(value, "method") and hasattr(value, "path"):
                # Django's request: method and path, never the query string
                # (a tracking code or a search term is no log material).
                entry[key] = f"{value.method} {value.path}"
            elif value is None or isinstance(value, str | int | float | bool):
                entry[key] = value
            # Anything else (Celery's `data` dict repeats the message with
            # the task's arguments) stays out.
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The human-readable line of embedded mode, with the request id."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get() or "-"
        return super().format(record)
