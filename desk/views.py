from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from desk import health, selectors
from desk.forms import MANAGER_ROLES, AgencyForm, PersonForm
from desk.models import Agency, Person
from desk.scope import get_in_scope_or_404, scope_for
from logistics.selectors import home_panel as logistics_panel
from meetings.selectors import home_panel as meetings_panel
from neutrality.selectors import home_panel as neutrality_panel


@login_required
def home(request):
    panels = [
        panel
        for panel in (
            meetings_panel(request.user),
            neutrality_panel(request.user),
            logistics_panel(request.user),
        )
        if panel
    ]
    return render(
        request,
        "desk/home.html",
        {
            "assignments": selectors.assignments_of(request.user),
            "countdown": selectors.next_voting_day(request.user),
            "panels": panels,
        },
    )


@require_GET
@never_cache
# No transaction around it (ATOMIC_REQUESTS would open one before the view and
# turn a database outage into an HTML 500): the checks handle their own errors.
@transaction.non_atomic_requests
def healthz(request):
    """200 when every part answers, 503 JSON naming the part that does not
    (desk/health.py). ``?probe=web`` checks only the database and the cache,
    for a load balancer; ``?detail=1`` adds the apps' counts for monitoring."""
    body = health.report(
        probe="web" if request.GET.get("probe") == "web" else "all",
        detail=request.GET.get("detail") == "1",
    )
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


@login_required
def agency_list(request):
    scope = scope_for(request.user)
    if scope.is_empty:
        raise Http404
    agencies = scope.filter(Agency.objects.select_related("region")).order_by(
        "region_id", "kind", "name"
    )
    query = request.GET.get("q", "").strip()
    if query:
        agencies = agencies.filter(Q(name__icontains=query) | Q(short_name__icontains=query))
    can_manage = not scope_for(request.user, MANAGER_ROLES).is_empty
    return render(
        request,
        "desk/agency_list.html",
        {"agencies": agencies[:500], "query": query, "can_manage": can_manage},
    )


@login_required
def agency_detail(request, pk):
    agency = get_in_scope_or_404(Agency.objects.select_related("region"), request.user, pk=pk)
    people = agency.people.order_by("name")
    can_manage = scope_for(request.user, MANAGER_ROLES).contains(agency.region_id)
    return render(
        request,
        "desk/agency_detail.html",
        {"agency": agency, "people": people, "can_manage": can_manage},
    )


@login_required
def agency_edit(request, pk=None):
    agency = None
    if pk is not None:
        agency = get_in_scope_or_404(Agency.objects, request.user, roles=MANAGER_ROLES, pk=pk)
    elif scope_for(request.user, MANAGER_ROLES).is_empty:
        raise Http404
    form = AgencyForm(request.POST or None, instance=agency, user=request.user)
    if request.method == "POST" and form.is_valid():
        agency = form.save()
        messages.success(request, _("Instansi %(name)s disimpan.") % {"name": agency.name})
        return redirect(agency)
    return render(
        request, "form.html", {"form": form, "title": _("Instansi"), "back": "agency_list"}
    )


@login_required
def person_edit(request, pk=None):
    person = None
    if pk is not None:
        person = get_in_scope_or_404(
            Person.objects, request.user, roles=MANAGER_ROLES, field="agency__region", pk=pk
        )
    elif scope_for(request.user, MANAGER_ROLES).is_empty:
        raise Http404
    initial = {"agency": request.GET.get("agency")} if person is None else None
    form = PersonForm(request.POST or None, instance=person, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        messages.success(request, _("Kontak %(name)s disimpan.") % {"name": person.name})
        return redirect(person.agency)
    return render(
        request,
        "form.html",
        {"form": form, "title": pgettext("formulir", "Kontak"), "back": "agency_list"},
    )
