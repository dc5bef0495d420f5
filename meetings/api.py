"""Meetings, occurrences, attendance and decisions under /api/v1/, scoped
like the pages: reads for desk staff, viewers and administrators of the
region; writes for desk staff and administrators; writes go through the
services, so the API refuses what the forms refuse, with the same messages."""

from django.db import transaction
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desk.api import ScopedRelatedField, agencies_reachable, reach_q, scoped_choices
from desk.models import Agency, Person, Region
from desk.scope import scope_for
from logistics.models import Problem
from logistics.selectors import view_scope as logistics_scope
from meetings import links, services
from meetings.models import Decision, Invitation, Kind, Meeting, Series
from meetings.selectors import READ_ROLES, WRITE_ROLES, desk_regions_for
from neutrality.access import reports_for
from neutrality.models import Report


@extend_schema_field({"type": "string", "description": "One of: " + ", ".join(Kind.values)})
class MeetingKindField(serializers.ChoiceField):
    """Meeting kinds, listed in the description: an enum component named
    "Kind" would collide with Region's and Agency's kinds."""

    def __init__(self, **kwargs):
        super().__init__(choices=Kind.choices, **kwargs)


def _writable(request, region_code: str) -> None:
    if not scope_for(request.user, WRITE_ROLES).contains(region_code):
        raise NotFound


# What each relation may name: only what the user may reach (desk.api). The
# services then apply the meeting's own reach rule (meetings.selectors.in_reach)
# to what is left, so their messages only ever name objects the user may see.


def _agencies(user):
    return agencies_reachable(user, WRITE_ROLES).select_related("region")


def _people(user):
    return Person.objects.filter(reach_q(user, "agency__region", WRITE_ROLES)).select_related(
        "agency"
    )


def _meetings_writable(user):
    return scope_for(user, WRITE_ROLES).filter(Meeting.objects.select_related("region"))


def _meetings_readable(user):
    return scope_for(user, READ_ROLES).filter(Meeting.objects.all())


def _series_readable(user):
    return scope_for(user, READ_ROLES).filter(Series.objects.all())


def _regions_readable(user):
    return scope_for(user, READ_ROLES).filter(Region.objects.all(), "code")


def _regions_writable(user):
    return scope_for(user, WRITE_ROLES).filter(Region.objects.all(), "code")


def _agencies_readable(user):
    return agencies_reachable(user, READ_ROLES)


def _problems(user):
    return logistics_scope(user).filter(Problem.objects.all())


def _agency_field(**kwargs):
    return ScopedRelatedField(reach=_agencies, model=Agency, **kwargs)


def _person_field(**kwargs):
    return ScopedRelatedField(reach=_people, model=Person, **kwargs)


def _choice(reach, model):
    return filters.ModelChoiceFilter(queryset=scoped_choices(reach, model))


class MeetingFilter(filters.FilterSet):
    region = _choice(_regions_readable, Region)
    series = _choice(_series_readable, Series)

    class Meta:
        model = Meeting
        fields = ["region", "series", "status"]


class InvitationFilter(filters.FilterSet):
    meeting = _choice(_meetings_readable, Meeting)

    class Meta:
        model = Invitation
        fields = ["meeting", "attendance"]


class DecisionFilter(filters.FilterSet):
    meeting = _choice(_meetings_readable, Meeting)
    region = _choice(_regions_readable, Region)
    responsible_agency = _choice(_agencies_readable, Agency)

    class Meta:
        model = Decision
        fields = ["meeting", "region", "status", "responsible_agency"]


class SeriesFilter(filters.FilterSet):
    region = _choice(_regions_readable, Region)

    class Meta:
        model = Series
        fields = ["region"]


class InvitationSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    agency_group = serializers.CharField(source="agency.group", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True, default="")

    class Meta:
        model = Invitation
        fields = [
            "id",
            "meeting",
            "agency",
            "agency_name",
            "agency_group",
            "person",
            "person_name",
            "attendance",
            "represented_by",
        ]
        read_only_fields = ["meeting", "agency", "person"]


class MeetingSerializer(serializers.ModelSerializer):
    region = ScopedRelatedField(reach=desk_regions_for, model=Region)
    kind = MeetingKindField()
    timezone = serializers.CharField(source="region.timezone", read_only=True)
    timezone_label = serializers.CharField(source="region.timezone_label", read_only=True)
    # In the desk's own zone (DRF would render the server's zone).
    local_start = serializers.SerializerMethodField()
    local_end = serializers.SerializerMethodField()
    online_url = serializers.CharField(required=False, allow_blank=True, max_length=200)
    chair = _person_field(required=False, allow_null=True)
    organiser = _agency_field(required=False, allow_null=True)
    agencies = _agency_field(many=True, write_only=True, required=False)
    people = _person_field(many=True, write_only=True, required=False)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "region",
            "series",
            "detached",
            "title",
            "kind",
            "status",
            "starts_at",
            "ends_at",
            "local_start",
            "local_end",
            "timezone",
            "timezone_label",
            "venue",
            "online_url",
            "chair",
            "organiser",
            "agenda",
            "minutes",
            "agencies",
            "people",
        ]
        read_only_fields = ["series", "detached", "status"]

    def get_local_start(self, meeting) -> str:
        return meeting.local_start.isoformat()

    def get_local_end(self, meeting) -> str:
        return meeting.local_end.isoformat()


class MeetingViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Meetings and series occurrences (``?series=<id>``). ``starts_at`` and
    ``ends_at`` are ISO 8601 with an offset; ``local_start`` is in the desk's
    zone. POST ``/meetings/<id>/cancel/`` cancels one meeting."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self):
        return (
            scope_for(self.request.user, READ_ROLES)
            .filter(Meeting.objects.select_related("region"))
            .order_by("starts_at", "id")
        )

    @transaction.atomic
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        _writable(self.request, data["region"].code)
        minutes = data.pop("minutes", "")
        meeting = services.meeting_schedule(user=self.request.user, **data)
        if minutes:
            meeting = services.minutes_save(
                meeting=meeting, user=self.request.user, minutes=minutes
            )
        serializer.instance = meeting

    @transaction.atomic
    def perform_update(self, serializer):
        _writable(self.request, serializer.instance.region_id)
        data = dict(serializer.validated_data)
        for name in ("region", "agencies", "people"):
            data.pop(name, None)
        serializer.instance = services.meeting_update(
            meeting=serializer.instance, user=self.request.user, **data
        )

    @extend_schema(request=None, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        meeting = self.get_object()
        _writable(request, meeting.region_id)
        meeting = services.meeting_cancel(meeting=meeting, user=request.user)
        return Response(self.get_serializer(meeting).data)


class InvitationViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Invitations and attendance: PATCH ``attendance`` (present, absent,
    represented with ``represented_by``, unknown)."""

    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter

    def get_queryset(self):
        return (
            scope_for(self.request.user, READ_ROLES)
            .filter(
                Invitation.objects.select_related("agency", "person", "meeting"), "meeting__region"
            )
            .order_by("meeting_id", "id")
        )

    @transaction.atomic
    def perform_update(self, serializer):
        invitation = serializer.instance
        _writable(self.request, invitation.meeting.region_id)
        data = serializer.validated_data
        serializer.instance = services.attendance_record(
            invitation=invitation,
            attendance=data.get("attendance", invitation.attendance),
            represented_by=data.get("represented_by", invitation.represented_by),
        )


class DecisionSerializer(serializers.ModelSerializer):
    """``report``, ``problem`` and ``area`` are what the decision follows up;
    each reads as null for a user who may not see it (meetings.links). An id
    outside the desk's region gets the same answer as an unknown one."""

    overdue = serializers.SerializerMethodField()
    note = serializers.CharField(write_only=True, required=False, allow_blank=True)
    meeting = ScopedRelatedField(reach=_meetings_writable, model=Meeting)
    responsible_agency = _agency_field()
    responsible_person = _person_field(required=False, allow_null=True)
    report = ScopedRelatedField(
        reach=reports_for,
        model=Report,
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("Laporan tidak ditemukan di wilayah desk ini.")},
    )
    problem = ScopedRelatedField(
        reach=_problems,
        model=Problem,
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": _("Masalah logistik tidak ditemukan di wilayah desk ini.")
        },
    )
    area = ScopedRelatedField(
        reach=_regions_writable,
        model=Region,
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": _("Wilayah «{pk_value}» tidak ditemukan di wilayah desk ini.")
        },
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "meeting",
            "region",
            "text",
            "responsible_agency",
            "responsible_person",
            "due_on",
            "status",
            "overdue",
            "note",
            "report",
            "problem",
            "area",
        ]
        read_only_fields = ["region"]

    def get_overdue(self, decision) -> bool:
        return decision.is_overdue(decision.region.local_now().date())

    def to_representation(self, decision):
        data = super().to_representation(decision)
        if not hasattr(decision, "links"):
            links.attach(self.context["request"].user, [decision])
        shown = {link.kind for link in decision.links}
        for name in links.FIELDS:
            if name not in shown:
                data[name] = None
        return data


class DecisionViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Decisions: POST to record one at a meeting; PATCH ``status``,
    ``due_on`` and an optional ``note`` to follow it up."""

    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter

    def get_queryset(self):
        return (
            scope_for(self.request.user, READ_ROLES)
            .filter(Decision.objects.select_related("region", "meeting__region"))
            .order_by("due_on", "id")
        )

    def paginate_queryset(self, queryset):
        # The links each user may see, for the whole page in three queries.
        page = super().paginate_queryset(queryset)
        return None if page is None else links.attach(self.request.user, page)

    @transaction.atomic
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        meeting = data.pop("meeting")
        data.pop("status", None)
        data.pop("note", None)
        _writable(self.request, meeting.region_id)
        serializer.instance = services.decision_record(
            meeting=meeting, user=self.request.user, **data
        )

    @transaction.atomic
    def perform_update(self, serializer):
        decision = serializer.instance
        _writable(self.request, decision.region_id)
        data = serializer.validated_data
        unknown = set(data) - {"status", "due_on", "note"}
        if unknown:
            raise serializers.ValidationError(
                {name: [_("Tidak dapat diubah; catat keputusan baru.")] for name in unknown}
            )
        serializer.instance = services.decision_update(
            decision=decision,
            user=self.request.user,
            status=data.get("status"),
            due_on=data.get("due_on"),
            note=data.get("note", ""),
        )


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$", "example": "09:00:00"}
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the desk's zone ("09:00:00"): no offset, so not
    the schema's ``format: time``, which requires one."""


class SeriesSerializer(serializers.ModelSerializer):
    kind = MeetingKindField()
    start_time = LocalTimeField()
    region = ScopedRelatedField(reach=desk_regions_for, model=Region)
    until = serializers.DateField(required=False, allow_null=True)
    online_url = serializers.CharField(required=False, allow_blank=True, max_length=200)
    chair = _person_field(required=False, allow_null=True)
    organiser = _agency_field(required=False, allow_null=True)
    agencies = _agency_field(many=True, write_only=True, required=False)
    people = _person_field(many=True, write_only=True, required=False)

    class Meta:
        model = Series
        fields = [
            "id",
            "region",
            "title",
            "kind",
            "weekday",
            "start_time",
            "duration",
            "starts_on",
            "until",
            "venue",
            "online_url",
            "chair",
            "organiser",
            "agenda",
            "agencies",
            "people",
        ]
        extra_kwargs = {
            "weekday": {"help_text": "0 = Monday … 6 = Sunday; default: the weekday of starts_on."},
            "duration": {"help_text": "HH:MM:SS; default 02:00:00."},
        }


class SeriesViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Weekly series: POST creates the rule and its occurrences ahead (see
    ``/meetings/?series=<id>``); ``until`` is required, at most a year on."""

    serializer_class = SeriesSerializer
    filterset_class = SeriesFilter

    def get_queryset(self):
        return scope_for(self.request.user, READ_ROLES).filter(Series.objects.all()).order_by("id")

    @transaction.atomic
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        _writable(self.request, data["region"].code)
        data.setdefault("until", None)
        serializer.instance = services.series_create(user=self.request.user, **data)


# A plain router: desk.api's DefaultRouter already serves the API root.
router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("meeting-invitations", InvitationViewSet, basename="meeting-invitation")
router.register("meeting-decisions", DecisionViewSet, basename="meeting-decision")
router.register("meeting-series", SeriesViewSet, basename="meeting-series")

urlpatterns = [path("", include(router.urls))]
