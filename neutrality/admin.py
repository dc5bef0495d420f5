"""Admin: categories and referral targets are editable data; reports are
read-only here (without the reporter); events and the audit trail can be read
by administrators and changed by nobody."""

from django.contrib import admin

from desk.admin import ScopedAdmin
from neutrality.models import AuditEntry, Category, ReferralTarget, Report, ReportEvent


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "code", "is_active"]
    list_display_links = ["name"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


@admin.register(ReferralTarget)
class ReferralTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "valid_from", "valid_until"]


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    scope_field = "office__region"
    list_display = ["__str__", "status", "office", "received_at"]
    list_filter = ["status", "category"]
    search_fields = ["register_number", "asn_name"]
    # The reporter's identity and the tracking code (it withdraws the report)
    # stay out of the admin: only the owning office's officers see them.
    exclude = [
        "tracking_code",
        "reporter_name",
        "reporter_nik",
        "reporter_address",
        "reporter_phone",
        "reporter_email",
    ]


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    scope_field = "report__office__region"
    list_display = ["at", "report", "actor", "from_status", "to_status"]
    list_select_related = ["report", "actor"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    scope_field = "report__office__region"
    list_display = ["at", "user", "action", "report", "detail", "ip"]
    list_filter = ["action"]
    list_select_related = ["report", "user"]
    search_fields = ["user__username", "report__register_number", "detail"]
