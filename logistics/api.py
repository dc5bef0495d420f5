"""This app's endpoints under /api/v1/: the bulk update KPU systems push to,
the dashboards as JSON, and problems."""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from desk.models import Region
from logistics import counts, selectors, services
from logistics.models import DeliveryEvent, Problem


class UpdateRowSerializer(serializers.Serializer):
    desa = serializers.CharField(max_length=13)
    item = serializers.CharField(max_length=30)
    stage = serializers.CharField(max_length=10)
    sent = serializers.JSONField()
    received = serializers.JSONField()
    damaged = serializers.JSONField(required=False, default=0)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BulkResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    changed = serializers.IntegerField()


class AreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    desa_count = serializers.IntegerField()
    desa_complete = serializers.IntegerField()
    open_problems = serializers.IntegerField()


class DashboardSerializer(AreaSerializer):
    deadline = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    items = inline_serializer(
        "LogisticsItemProgress",
        {
            "item": serializers.CharField(),
            "required": serializers.IntegerField(),
            "sent": serializers.IntegerField(),
            "received": serializers.IntegerField(),
            "damaged": serializers.IntegerField(),
            "desa_complete": serializers.IntegerField(
                help_text="desa with the item in full, undamaged, at the TPS"
            ),
        },
        many=True,
    )
    children = AreaSerializer(many=True)


def _rows(payload, serializer_class, fields, *, key: str, limit: int):
    """(rows, None) from a JSON list of objects, each row (index, *fields);
    or (None, a 400 response) naming every bad object."""
    if not isinstance(payload, list) or not payload:
        return None, Response(
            {key: [_("Kirim daftar yang tidak kosong.")]}, status=status.HTTP_400_BAD_REQUEST
        )
    if len(payload) > limit:
        return None, Response(
            {key: [_("Paling banyak %(max)s baris per permintaan.") % {"max": f"{limit:,}"}]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    rows, errors = [], []
    for index, raw in enumerate(payload, start=1):
        serializer = serializer_class(data=raw if isinstance(raw, dict) else {})
        if serializer.is_valid():
            rows.append((index, *(serializer.validated_data[f] for f in fields)))
        else:
            errors.append({"index": index, "errors": serializer.errors})
    if errors:
        return None, Response({"rows": errors}, status=status.HTTP_400_BAD_REQUEST)
    return rows, None


def _rejected(exc: services.RowsRejected) -> Response:
    rows = [{"index": r.line, "errors": [str(r.message)]} for r in exc.rows]
    return Response({"rows": rows}, status=status.HTTP_400_BAD_REQUEST)


class BulkUpdateView(APIView):
    """POST a list of {desa, item, stage, sent, received, damaged, reason}.

    Idempotent per (desa, item, stage): posting the same list again changes
    nothing and writes no history. All or nothing: any bad row → 400 with
    every bad row (``index`` is 1-based in the list), nothing written."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=UpdateRowSerializer(many=True),
        responses={200: BulkResultSerializer},
        operation_id="logistics_updates",
    )
    def post(self, request):
        scope = selectors.edit_scope(request.user)
        if scope.is_empty:
            raise Http404
        payload = request.data.get("updates") if isinstance(request.data, dict) else request.data
        rows, refused = _rows(
            payload,
            UpdateRowSerializer,
            ("desa", "item", "stage", "sent", "received", "damaged", "reason"),
            key="updates",
            limit=100_000,
        )
        if refused:
            return refused
        try:
            result = services.deliveries_update(
                rows, user=request.user, scope=scope, source=DeliveryEvent.Source.API
            )
        except services.RowsRejected as exc:
            return _rejected(exc)
        return Response({"rows": result.rows, "changed": result.changed})


class CountsRowSerializer(serializers.Serializer):
    desa = serializers.CharField(max_length=13)
    tps = serializers.JSONField()
    dpt_governor = serializers.JSONField()
    dpt_local = serializers.JSONField()


class CountsView(APIView):
    """POST a list of {desa, tps, dpt_governor, dpt_local}: each desa's TPS
    and voters, which set what it needs of every item. All or nothing, at
    most 10,000 desa; setting the same numbers again changes nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CountsRowSerializer(many=True),
        responses={
            200: inline_serializer("LogisticsCountsResult", {"desa": serializers.IntegerField()})
        },
        operation_id="logistics_villages",
    )
    def post(self, request):
        scope = selectors.edit_scope(request.user)
        if scope.is_empty:
            raise Http404
        rows, refused = _rows(
            request.data,
            CountsRowSerializer,
            ("desa", "tps", "dpt_governor", "dpt_local"),
            key="villages",
            limit=counts.MAX_ROWS,
        )
        if refused:
            return refused
        try:
            written = counts.update(
                rows, user=request.user, scope=scope, source=DeliveryEvent.Source.API
            )
        except services.RowsRejected as exc:
            return _rejected(exc)
        return Response({"desa": written})


class DashboardView(APIView):
    """The dashboard numbers of an area (no code: the user's whole scope)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: DashboardSerializer}, operation_id="logistics_dashboard")
    def get(self, request, code=None):
        scope = selectors.view_scope(request.user)
        if scope.is_empty or (code and not scope.contains(code)):
            raise Http404
        region = None
        if code:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise Http404
            if region.level == Region.Level.VILLAGE:
                return Response(self._village(region))
        data = selectors.dashboard(scope=scope, region=region)
        total = data["total"]
        return Response(
            {
                "code": total.code,
                "name": total.name,
                "desa_count": total.desa_count,
                "desa_complete": total.desa_complete,
                "open_problems": total.open_problems,
                "deadline": data["deadline"],
                "days_left": data["days_left"],
                "items": [
                    {
                        "item": i["item"].code,
                        "required": i["required"],
                        "sent": i["sent"],
                        "received": i["received"],
                        "damaged": i["damaged"],
                        "desa_complete": i["desa_complete"],
                    }
                    for i in data["items"]
                ],
                "children": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "desa_count": c.desa_count,
                        "desa_complete": c.desa_complete,
                        "open_problems": c.open_problems,
                    }
                    for c in data["children"]
                ],
            }
        )

    @staticmethod
    def _village(region: Region) -> dict:
        """One desa in the same shape: its own items, no children."""
        data = selectors.village_page(region=region)
        village = data["village"]
        return {
            "code": region.code,
            "name": region.name,
            "desa_count": 1,
            "desa_complete": int(bool(village and village.complete)),
            "open_problems": sum(p.status != Problem.Status.RESOLVED for p in data["problems"]),
            "deadline": data["deadline"],
            "days_left": data["days_left"],
            "items": [
                {
                    "item": d.item.code,
                    "required": d.required,
                    "sent": d.sent,
                    "received": d.received,
                    "damaged": d.damaged,
                    "desa_complete": int(d.complete),
                }
                for d in data["deliveries"]
            ],
            "children": [],
        }


class ProblemSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "region",
            "item",
            "kind",
            "quantity",
            "description",
            "status",
            "resolution",
            "created_at",
            "resolved_at",
        ]


class AreaDashboardView(DashboardView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "code",
                location=OpenApiParameter.PATH,
                pattern=r"^\d{2}(\.\d{2}){0,2}(\.\d{4})?$",
                description="A region code in the user's scope: 64, 64.11, 64.11.01, 64.11.01.2001",
            )
        ],
        responses={200: DashboardSerializer},
        operation_id="logistics_dashboard_area",
    )
    def get(self, request, code=None):
        return super().get(request, code)


class ProblemListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=Problem.Status.values, required=False)],
        responses={200: ProblemSerializer(many=True)},
        operation_id="logistics_problems",
    )
    def get(self, request):
        scope = selectors.view_scope(request.user)
        if scope.is_empty:
            raise Http404
        qs = scope.filter(Problem.objects.select_related("item"))
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Problem.Status.values:
                raise ValidationError({"status": [_("Status masalah tidak dikenal.")]})
            qs = qs.filter(status=wanted)
        return Response(ProblemSerializer(qs[:500], many=True).data)


urlpatterns = [
    path("logistics/updates/", BulkUpdateView.as_view(), name="logistics-updates"),
    path("logistics/villages/", CountsView.as_view(), name="logistics-villages"),
    path("logistics/dashboard/", DashboardView.as_view(), name="logistics-dashboard"),
    path(
        "logistics/dashboard/<str:code>/",
        AreaDashboardView.as_view(),
        name="logistics-dashboard-area",
    ),
    path("logistics/problems/", ProblemListView.as_view(), name="logistics-problems"),
]
