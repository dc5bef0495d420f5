"""This app's endpoints under /api/v1/: reports (scoped), their transitions,
statistics, and the public intake and tracking (no account needed)."""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import include, path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, Throttled
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from desk.api import scoped_choices
from desk.models import Region
from neutrality import access, selectors, services
from neutrality.models import AuditEntry, Category, Report, ReportEvent
from neutrality.ratelimit import client_ip, rate_limited
from neutrality.validators import validate_region_code

User = get_user_model()
STATUS_HELP = ", ".join(Report.Status.values)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    # Plain strings, not enums: one status enum per schema (ReportStatus) is
    # enough, and other apps' "status" fields must not collide with it.
    from_status = serializers.CharField(help_text=STATUS_HELP)
    to_status = serializers.CharField(help_text=STATUS_HELP)

    class Meta:
        model = ReportEvent
        fields = ["at", "actor", "from_status", "to_status", "note"]

    def get_actor(self, event) -> str | None:
        return event.actor.username if event.actor_id else None


class ReportSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text=STATUS_HELP)
    office = serializers.CharField(source="office.name")
    category = serializers.CharField(source="category.code")
    referral_target = serializers.CharField(
        source="referral_target.name", default=None, allow_null=True
    )
    reference = serializers.CharField(
        read_only=True, help_text="Register number, or #id before registration."
    )
    tracking_code = serializers.SerializerMethodField(
        help_text="Null unless an officer of the owning office asks for a single report "
        "with ?identitas=1 (audited, like the reporter's identity), or has just filed "
        "it for a reporter: whoever holds it may withdraw the report before registration."
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "reference",
            "tracking_code",
            "register_number",
            "channel",
            "status",
            "received_at",
            "received_on",
            "registered_on",
            "due_on",
            "time_barred",
            "office",
            "routing_reason",
            "assignee",
            "provincial_matter",
            "asn_name",
            "asn_nip",
            "asn_position",
            "asn_agency",
            "asn_region",
            "region",
            "place_detail",
            "occurred_on",
            "known_on",
            "category",
            "description",
            "outcome",
            "not_registered_reason",
            "referral_target",
            "referral_letter_number",
            "referral_letter_on",
            "sanction",
            "sanction_reference",
            "duplicate_of",
        ]

    def get_tracking_code(self, report) -> str | None:
        # Set by the view that audits the reveal; never in a list.
        return report.tracking_code if self.context.get("reveal_code") else None


class ReporterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = [
            "reporter_kind",
            "reporter_name",
            "reporter_nik",
            "reporter_address",
            "reporter_phone",
            "reporter_email",
        ]


class IntakeSerializer(serializers.Serializer):
    reporter_kind = serializers.ChoiceField(choices=Report.ReporterKind.choices)
    reporter_name = serializers.CharField(max_length=150)
    reporter_nik = serializers.CharField(max_length=20)
    reporter_address = serializers.CharField(max_length=300)
    reporter_phone = serializers.CharField(max_length=20)
    reporter_email = serializers.EmailField(required=False, allow_blank=True, default="")
    asn_name = serializers.CharField(max_length=150)
    asn_nip = serializers.CharField(max_length=21, required=False, allow_blank=True, default="")
    asn_position = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default=""
    )
    asn_agency = serializers.CharField(max_length=200)
    asn_region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    provincial_matter = serializers.BooleanField(required=False, default=False)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    place_detail = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    occurred_on = serializers.DateField()
    known_on = serializers.DateField()
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True)
    )
    description = serializers.CharField(max_length=5000)
    witnesses = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    # Checked (and given https:// when typed without a scheme) by the service,
    # like the form's: services.links_clean.
    links = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=10
    )

    def submit(self, *, channel, user=None, ip=None) -> Report:
        data = dict(self.validated_data)
        files, links = data.pop("files"), data.pop("links")
        return services.report_submit(
            intake=services.Intake(**data),
            channel=channel,
            files=files,
            links=links,
            user=user,
            ip=ip,
        )


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(services.TRANSITIONS))
    # Plain text, not a second enum of the statuses: an unknown value simply
    # never matches and the transition is refused as stale.
    expected_status = serializers.CharField(max_length=16, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    letter_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    letter_on = serializers.DateField(required=False, allow_null=True, default=None)
    sanction = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    sanction_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


def _assignees(user):
    assigned = selectors.queue(user).exclude(assignee=None).values("assignee")
    return User.objects.filter(Q(pk__in=assigned) | Q(pk=getattr(user, "pk", None)))


class ReportFilter(filters.FilterSet):
    region = filters.CharFilter(
        method="filter_region",
        label="Incident region code (subtree)",
        validators=[validate_region_code],
    )
    category = filters.CharFilter(field_name="category__code")
    # Only officers the user's own queue is assigned to (and the user): any
    # other user id reads like one that does not exist.
    assignee = filters.ModelChoiceFilter(queryset=scoped_choices(_assignees, User))

    class Meta:
        model = Report
        fields = ["status", "outcome", "assignee", "time_barred"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(selectors.in_region(validate_region_code(value)))


class ReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reports in the user's scope, by legal deadline. The reporter's identity
    appears only in a single report, for officers of its office (audited)."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.queue(self.request.user).select_related("referral_target")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "identitas",
                OpenApiTypes.STR,
                enum=["1"],
                description="1: add the reporter's identity and the tracking code "
                "(officers of the owning office only; an audit entry).",
            )
        ]
    )
    def retrieve(self, request, *args, **kwargs):
        report = self.get_object()
        reveal = request.query_params.get("identitas") == "1" and access.can_see_identity(
            request.user, report
        )
        if reveal:
            services.audit_log(
                user=request.user,
                action=AuditEntry.Action.VIEW_IDENTITY,
                report=report,
                detail="api",
                ip=client_ip(request),
            )
        context = {**self.get_serializer_context(), "reveal_code": reveal}
        data = self.get_serializer(report, context=context).data
        if reveal:
            data["reporter"] = ReporterSerializer(report).data
        return Response(data)

    @extend_schema(request=IntakeSerializer, responses={201: ReportSerializer})
    def create(self, request, *args, **kwargs):
        if not access.is_officer_anywhere(request.user):
            raise NotFound
        intake = IntakeSerializer(data=request.data)
        intake.is_valid(raise_exception=True)
        report = intake.submit(
            channel=Report.Channel.STAFF, user=request.user, ip=client_ip(request)
        )
        # The officer filing for a reporter hands the code over, even when
        # another office handles the report: in this answer only, audited.
        services.audit_log(
            user=request.user,
            action=AuditEntry.Action.HAND_OVER_CODE,
            report=report,
            detail="api",
            ip=client_ip(request),
        )
        context = {**self.get_serializer_context(), "reveal_code": True}
        data = self.get_serializer(report, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=EventSerializer(many=True))
    @extend_schema(methods=["POST"], request=TransitionSerializer, responses=ReportSerializer)
    # A bare list, not a page: a report has a handful of events.
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=TransitionSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def transitions(self, request, pk=None):
        report = self.get_object()
        if request.method == "GET":
            events = report.events.select_related("actor").order_by("at", "pk")
            data = EventSerializer(events, many=True).data
            if not access.can_act(request.user, report):
                for row in data:
                    row["note"] = ""
            return Response(data)
        if not access.can_act(request.user, report):
            raise NotFound
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.report_transition(
            report=report, user=request.user, ip=client_ip(request), **body.validated_data
        )
        return Response(ReportSerializer(report, context={"request": request}).data)


class StatisticsView(APIView):
    """Counts per region, category, status, outcome and month, in scope."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        tables = selectors.statistics(request.user)
        return Response(
            {
                key: {"rows": [{"label": str(r["label"] or ""), "n": r["n"]} for r in t["rows"]]}
                | {"total": t["total"]}
                for key, t in tables.items()
            }
        )


class ReceiptSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    time_barred = serializers.BooleanField()


class TrackRequestSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)


class TrackSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    register_number = serializers.CharField()
    office = serializers.CharField()
    received_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    time_barred = serializers.BooleanField()
    outcome = serializers.CharField()
    referral_target = serializers.CharField(allow_null=True)


def _object_body(request) -> Mapping:
    """The request body as field → value; valid JSON that is not an object
    (``[1, 2]``, ``"x"``) is a 400, not a crash on ``.get``."""
    if not isinstance(request.data, Mapping):
        raise ParseError(_("Isi permintaan harus berupa objek JSON: pasangan nama dan nilai."))
    return request.data


class PublicReportView(APIView):
    """The public intake: no account, rate-limited per IP, a honeypot field
    (``website``); answers only the tracking code, never an internal id."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=IntakeSerializer, responses={201: ReceiptSerializer})
    def post(self, request):
        if rate_limited(request, "api"):
            raise Throttled
        data = _object_body(request)
        if services.honeypot_filled(data.get("website")):
            return Response({"detail": "Laporan tidak dapat diproses."}, status=400)
        intake = IntakeSerializer(data=data)
        intake.is_valid(raise_exception=True)
        report = intake.submit(channel=Report.Channel.PUBLIC, ip=client_ip(request))
        return Response(
            {
                "tracking_code": report.tracking_code,
                "status": report.status,
                "time_barred": report.time_barred,
            },
            status=status.HTTP_201_CREATED,
        )


class TrackView(APIView):
    """Status by tracking code: no notes, no identities, no internal ids."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=TrackRequestSerializer, responses=TrackSerializer)
    def post(self, request):
        if rate_limited(request, "track"):
            raise Throttled
        code = services.tracking_code_normalise(str(_object_body(request).get("code", "")))
        report = Report.objects.filter(tracking_code=code).select_related("office").first()
        if not code or report is None:
            raise NotFound("Kode lacak tidak ditemukan.")
        return Response(
            {
                "tracking_code": report.tracking_code,
                "status": report.status,
                "status_label": report.get_status_display(),
                "register_number": report.register_number,
                "office": report.office.name,
                "received_on": report.received_on,
                "due_on": report.due_on if report.is_open else None,
                "time_barred": report.time_barred,
                "outcome": report.outcome,
                "referral_target": str(report.referral_target or "") or None,
            }
        )


router = SimpleRouter()
router.register("neutrality/reports", ReportViewSet, basename="neutrality-report")

urlpatterns = [
    path("neutrality/statistics/", StatisticsView.as_view(), name="neutrality-statistics"),
    path("neutrality/public/reports/", PublicReportView.as_view(), name="neutrality-public-report"),
    path("neutrality/public/track/", TrackView.as_view(), name="neutrality-public-track"),
    path("", include(router.urls)),
]
