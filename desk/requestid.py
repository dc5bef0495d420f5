"""The request id: taken from the caller's X-Request-ID when it is a valid
one (a proxy or a KPU system tracing its own calls), otherwise generated;
set for every log line of the request and returned in the response."""

from django.core.signals import request_finished
from django.dispatch import receiver

from desk.logging import new_request_id, request_id, valid_request_id

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """First in the chain, so every later middleware's log lines carry it.

    The id stays set until the response is closed, not just until this
    middleware returns: Django logs a 4xx/5xx ("Not Found: …") after the
    whole middleware chain, and that line needs the id most."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = valid_request_id(request.headers.get(HEADER)) or new_request_id()
        request.request_id = rid
        request_id.set(rid)
        response = self.get_response(request)
        response.headers[HEADER] = rid
        return response


@receiver(request_finished, dispatch_uid="desk.requestid.clear")
def clear_request_id(**kwargs):
    # Sent when the server closes the response: nothing later in this
    # thread (or task) may log under the finished request's id.
    request_id.set("")
