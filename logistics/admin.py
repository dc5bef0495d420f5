from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from desk.admin import (
    TARGET_RULES,
    DeskAdmin,
    NationalDataAdmin,
    ReadOnlyAdmin,
    ScopedAdmin,
    everything,
)
from logistics import services
from logistics.models import (
    Delivery,
    DeliveryEvent,
    ImportJob,
    Item,
    Problem,
    Village,
    VillageEvent,
)
from logistics.selectors import view_scope

TARGET_RULES[Item] = everything(Item)
# The history admins are read-only, but Django still builds their forms.
TARGET_RULES[Delivery] = lambda request: view_scope(request.user).filter(
    Delivery.objects.all(), "village__region"
)
# A job has no region: its own author's (every job for a superuser).
TARGET_RULES[ImportJob] = lambda request: (
    ImportJob.objects.all()
    if request.user.is_superuser
    else ImportJob.objects.filter(created_by=request.user)
)
TARGET_RULES[Village] = lambda request: view_scope(request.user).filter(Village.objects.all())
TARGET_RULES[Problem] = lambda request: view_scope(request.user).filter(
    Problem.objects.select_related("region").order_by("-created_at")
)


@admin.register(Item)
class ItemAdmin(NationalDataAdmin):
    """National data: the rule of each item. Saving recomputes every desa's
    required quantity (rollups included)."""

    list_display = [
        "name",
        "name_en",
        "code",
        "unit",
        "basis",
        "factor",
        "reserve_percent",
        "is_active",
    ]
    list_filter = ["is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.item_refresh_required(obj)


@admin.register(Problem)
class ProblemAdmin(ScopedAdmin):
    """Read only: problems are reported and moved through the app, which
    keeps the open-problem rollups and the problem's history in step (a
    delete here would leave both wrong)."""

    list_display = ["kind", "region", "item", "status", "created_at"]
    list_filter = ["status", "kind"]
    fields = ["region", "item", "kind", "quantity", "description", "status", "resolution"]

    def has_change_permission(self, request, obj=None):
        return False

    has_add_permission = has_delete_permission = has_change_permission


class HistoryAdmin(ReadOnlyAdmin):
    """Append-only history: read, never added, changed or deleted here."""

    list_filter = ["source"]


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(HistoryAdmin):
    scope_field = "delivery__village__region"
    list_display = ["at", "delivery", "source", "stage_before", "stage_after", "user"]


@admin.register(VillageEvent)
class VillageEventAdmin(HistoryAdmin):
    scope_field = "village__region"
    list_display = ["at", "village", "source", "tps_before", "tps_after", "user"]


@admin.register(ImportJob)
class ImportJobAdmin(DeskAdmin):
    list_display = ["filename", "created_by", "status", "total_rows", "changed_rows"]
    # The stored errors are codes: shown in words, in the reader's language.
    exclude = ["errors"]
    readonly_fields = ["bad_rows"]

    @admin.display(description=_("kesalahan"))
    def bad_rows(self, obj):
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            ((line or "—", text) for line, text in obj.error_rows()),
        )

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False
