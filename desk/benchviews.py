"""The load benchmark's floor: a Django view that does nothing, behind the
same middleware and server as every page, routed only when BENCH_VIEWS is
on (bench/load.py starts gunicorn with it)."""

from django.db import transaction
from django.http import HttpResponse


@transaction.non_atomic_requests  # ATOMIC_REQUESTS would BEGIN/COMMIT: no database here
def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


@transaction.non_atomic_requests
def session(request):
    """The bare view plus what every page pays before its own work: the
    session read and the user loaded (authenticated or not)."""
    return HttpResponse(b"ok" if request.user.is_authenticated else b"anonymous")
