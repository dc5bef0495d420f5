"""Admin: scoped like every page; delivery rows show SMTP failures and can
be sent again."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from desk.admin import ScopedAdmin
from logistics.models import Problem
from logistics.selectors import view_scope as logistics_scope
from meetings import reminders
from meetings.models import Decision, DecisionEvent, Invitation, Meeting, ReminderDelivery, Series
from neutrality.access import reports_for


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    raw_id_fields = ["agency", "person"]


@admin.register(Meeting)
class MeetingAdmin(ScopedAdmin):
    list_display = ["title", "region", "starts_at", "status", "series", "remind_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "region__name"]
    raw_id_fields = ["region", "series", "chair", "organiser", "created_by"]
    readonly_fields = ["remind_at", "reminders_dispatched_at"]
    inlines = [InvitationInline]
    date_hierarchy = "starts_at"


@admin.register(Series)
class SeriesAdmin(ScopedAdmin):
    list_display = ["title", "region", "weekday", "start_time", "starts_on", "until"]
    raw_id_fields = ["region", "chair", "organiser", "created_by"]


class DecisionEventInline(admin.TabularInline):
    model = DecisionEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "meeting", "from_status", "to_status", "note"]

    def has_add_permission(self, request, obj=None):
        return False  # history is written by the services only


@admin.register(Decision)
class DecisionAdmin(ScopedAdmin):
    list_display = ["__str__", "region", "responsible_agency", "due_on", "status"]
    list_filter = ["status"]
    search_fields = ["text"]
    raw_id_fields = ["meeting", "region", "responsible_agency", "responsible_person", "area"]
    inlines = [DecisionEventInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "report":
            # Only the reports this administrator may read, each named by
            # register number or #id (never the tracking code).
            kwargs["queryset"] = reports_for(request.user).order_by("-received_at")
        if db_field.name == "problem":
            kwargs["queryset"] = logistics_scope(request.user).filter(
                Problem.objects.select_related("region").order_by("-created_at")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(ScopedAdmin):
    scope_field = "meeting__region"
    list_display = [
        "email",
        "kind",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
        "meeting",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["email", "name", "meeting__title"]
    list_select_related = ["meeting__region"]
    readonly_fields = [f.name for f in ReminderDelivery._meta.fields]
    actions = ["retry_now"]

    @admin.display(description=_("galat terakhir"))
    def short_error(self, obj):
        return obj.last_error[:80]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Kirim ulang sekarang"))
    def retry_now(self, request, queryset):
        done = 0
        for delivery in queryset:
            try:
                reminders.delivery_retry_now(delivery=delivery)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{delivery}: {exc.messages[0]}", messages.WARNING)
        self.message_user(request, _("%(n)d pengiriman dijadwalkan ulang.") % {"n": done})
