"""Admin: categories and referral targets are editable data; reports are
read-only here (without the reporter); events and the audit trail can be read
by administrators and changed by nobody."""

from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP

from desk.admin import TARGET_RULES, NationalDataAdmin, ReadOnlyAdmin, TrailAdmin, everything
from neutrality.access import reports_for
from neutrality.models import AuditEntry, Category, ReferralTarget, Report, ReportEvent

# Everything that identifies the reporter (who, how to reach them, their
# standing, the witnesses they named) and the tracking code, which withdraws
# the report: only the owning office's officers see them, on request and
# audited (neutrality.access), so the admin shows none of them, to anyone.
REPORTER_FIELDS = (
    "tracking_code",
    "reporter_kind",
    "reporter_name",
    "reporter_nik",
    "reporter_address",
    "reporter_phone",
    "reporter_email",
    "witnesses",
)

TARGET_RULES[Report] = lambda request: reports_for(request.user).order_by("-received_at")
TARGET_RULES[Category] = everything(Category)
TARGET_RULES[ReferralTarget] = everything(ReferralTarget)


@admin.register(Category)
class CategoryAdmin(NationalDataAdmin):
    list_display = ["order", "name", "code", "is_active"]
    list_display_links = ["name"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]


@admin.register(ReferralTarget)
class ReferralTargetAdmin(NationalDataAdmin):
    list_display = ["name", "agency", "valid_from", "valid_until"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    scope_field = "office__region"
    list_display = ["__str__", "status", "office", "received_at"]
    list_filter = ["status", "category"]
    search_fields = ["register_number", "asn_name"]
    exclude = REPORTER_FIELDS

    def lookup_allowed(self, lookup, value, request=None):
        # The changelist filters by any field named in the query string: a
        # count per ?reporter_nik= would confirm who reported.
        if lookup.split(LOOKUP_SEP)[0] in REPORTER_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)


class HistoryAdmin(TrailAdmin):
    """History that administrators read without being granted anything
    else: a superuser everywhere, a staff user holding the Administrator
    role in the regions administered (nationwide without a region)."""

    def get_queryset(self, request):
        return self.administered(request).filter(super().get_queryset(request), self.scope_field)


@admin.register(ReportEvent)
class ReportEventAdmin(HistoryAdmin):
    scope_field = "report__office__region"
    list_display = ["at", "report", "actor", "from_status", "to_status"]
    list_select_related = ["report", "actor"]


@admin.register(AuditEntry)
class AuditEntryAdmin(HistoryAdmin):
    # The region is written with the entry (models.AuditEntry.region), so an
    # export without a report is still some region's.
    scope_field = "region"
    list_display = ["at", "user", "action", "report", "region", "detail", "ip"]
    list_filter = ["action"]
    list_select_related = ["report", "user", "region"]
    search_fields = ["user__username", "report__register_number", "detail"]
