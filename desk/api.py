"""API base: shared exception handling, scoped read-only organisation endpoints."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django_filters import rest_framework as filters
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler as drf_exception_handler

from desk.models import Agency, Election, ElectionRound, Region, Stage
from desk.scope import scope_for


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors raised by services, which
    become a 400 with the same field → messages shape as serializer errors.
    A 404 from a scoped lookup gives DRF's own translated "not found", the
    same whether the object is missing or out of scope (Django's message
    would be English and name the model)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


# --- The schema: the error answers every operation can give -------------------

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# Field → messages (a list of strings), or ``rows`` → per-row errors for the
# bulk endpoints, or ``detail`` for a body that cannot be read at all.
_FIELD_ERRORS = {"type": "object", "additionalProperties": True}
_ERRORS = {
    "400": ("Invalid input: field → messages.", _FIELD_ERRORS),
    "401": ("Token missing or invalid.", _DETAIL),
    "403": ("Not signed in, or not allowed.", _DETAIL),
    "404": ("Not found, or outside the user's regions (the same answer).", _DETAIL),
    "429": ("Too many requests from this address; try again later.", _DETAIL),
}


class DeskAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error answers each operation can
    give, so that a client (and the schemathesis gate) knows every status:
    400 for every write and for reads with parameters, 401/403 where an account is needed,
    404 everywhere (missing and out of scope read alike), 429 for the public
    endpoints (rate-limited per address)."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        public = any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())
        # A write may be refused by the service's rules even without a body
        # (cancelling a cancelled meeting); a read only for bad parameters.
        refusable = self.method not in ("GET", "HEAD") or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )
        codes = {"404"}
        if refusable:
            codes.add("400")
        codes |= {"429"} if public else {"401", "403"}
        for code in sorted(codes):
            description, schema = _ERRORS[code]
            operation["responses"].setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": schema}}},
            )
        return operation


@csrf_exempt  # a 404 for every method, never the CSRF failure page
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/ (an id of the wrong shape, a typo):
    the API's own JSON 404, not the site's HTML page."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=404)


def reach_q(user, field: str = "region", roles=None) -> Q:
    """Regions inside the user's scope, and the ones above it: a Kaltim desk
    sees Kaltim's subtree and the national level's agencies and elections.
    Nobody without a role reaches anything."""
    scope = scope_for(user, roles)
    if scope.nationwide or scope.is_empty:
        return scope.q(field)
    split = [code.split(".") for code in scope.codes]
    ancestors = {".".join(parts[:i]) for parts in split for i in range(1, len(parts))}
    if field == "code":
        return scope.q(field) | Q(code__in=sorted(ancestors))
    # A region-less agency is national (BKN, Bawaslu RI): above every desk.
    return (
        scope.q(field)
        | Q(**{f"{field}__code__in": sorted(ancestors)})
        | Q(**{f"{field}__isnull": True})
    )


# --- Relations and filters that only reach what the user may reach ----------
#
# A writable relation or a filter whose queryset is the whole table answers
# "no such object" for a missing id and something else (a 404 later, a
# service message naming the object, an empty list) for one outside the
# user's scope: an oracle for what exists elsewhere. Each relation and filter
# therefore takes its choices from the user's reach, so DRF's and
# django-filter's own "invalid" answer covers both cases, word for word.


class ScopedRelatedField(PrimaryKeyRelatedField):
    """A primary-key relation whose choices are ``reach(user)``: an id
    outside them reads exactly like an id that does not exist."""

    def __init__(self, *, reach, model, **kwargs):
        self.reach = reach
        # The model, for the schema (and for the enumerating tests); the
        # choices themselves are computed per request.
        kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.reach(getattr(request, "user", None))


def scoped_choices(reach, model):
    """A queryset callable for django-filter's ModelChoiceFilter: the
    choices of the requesting user (none while the schema is generated)."""

    def choices(request):
        if request is None:
            return model._default_manager.none()
        return reach(request.user)

    return choices


def regions_reachable(user):
    """Regions the user may name in a filter: their subtree and above."""
    return Region.objects.filter(reach_q(user, "code"))


def agencies_reachable(user, roles=None):
    return Agency.objects.filter(reach_q(user, roles=roles))


class RegionSerializer(serializers.ModelSerializer):
    timezone_label = serializers.CharField(read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "kind", "parent", "timezone", "timezone_label"]


class RegionFilter(filters.FilterSet):
    within = filters.CharFilter(method="filter_within", label="Subtree of this region code")
    parent = filters.ModelChoiceFilter(queryset=scoped_choices(regions_reachable, Region))

    class Meta:
        model = Region
        fields = ["level", "kind", "parent"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(code__startswith=value.rstrip(".") + ".")


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions the user may reach (their subtree and the regions above it)."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_value_regex = r"[0-9.]+"

    def get_queryset(self):
        return Region.objects.filter(reach_q(self.request.user, "code")).order_by("code")


class AgencySerializer(serializers.ModelSerializer):
    group = serializers.CharField(read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "short_name", "kind", "group", "region", "email", "is_active"]


class AgencyFilter(filters.FilterSet):
    region = filters.ModelChoiceFilter(queryset=scoped_choices(regions_reachable, Region))

    class Meta:
        model = Agency
        fields = ["kind", "region", "is_active"]


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter

    def get_queryset(self):
        return Agency.objects.filter(reach_q(self.request.user)).order_by("region_id", "name")


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["name", "starts_on", "ends_on"]


class ElectionRoundSerializer(serializers.ModelSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = ElectionRound
        fields = ["id", "name", "voting_day", "is_simulation", "stages"]


class ElectionSerializer(serializers.ModelSerializer):
    round = ElectionRoundSerializer(read_only=True)

    class Meta:
        model = Election
        fields = ["id", "round", "region", "office"]


class ElectionFilter(filters.FilterSet):
    # Rounds are national (every desk takes part in the same round).
    region = filters.ModelChoiceFilter(queryset=scoped_choices(regions_reachable, Region))

    class Meta:
        model = Election
        fields = ["round", "office", "region"]


class ElectionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ElectionSerializer
    filterset_class = ElectionFilter

    def get_queryset(self):
        return (
            Election.objects.filter(reach_q(self.request.user))
            .select_related("round")
            .prefetch_related("round__stages")
            .order_by("round", "region_id", "office")
        )


router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("elections", ElectionViewSet, basename="election")

urlpatterns = [path("", include(router.urls))]
