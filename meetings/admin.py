"""Admin: scoped like every page; delivery rows show SMTP failures and can
be sent again. Every relation reaches what the services let a desk reach
(``meetings.selectors``, ``meetings.links``), and is refused by the services'
own checks (see desk/admin.py)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from desk.admin import TARGET_RULES, DeskInline, ScopedAdmin
from desk.models import Agency, Person
from desk.scope import scope_for
from meetings import links, reminders, services
from meetings.models import Decision, DecisionEvent, Invitation, Meeting, ReminderDelivery, Series
from meetings.selectors import WRITE_ROLES, desk_regions_for, in_reach, reach_q


def _write_scope(request):
    return scope_for(request.user, WRITE_ROLES)


TARGET_RULES[Meeting] = lambda request: _write_scope(request).filter(Meeting.objects.all())
TARGET_RULES[Series] = lambda request: _write_scope(request).filter(Series.objects.all())


def _within_reach(request, queryset, field: str):
    """What a meeting of any of the administrator's desks may invite, chair
    or charge: ``reach_q`` of each desk (above, below and national)."""
    scope = _write_scope(request)
    if scope.nationwide:
        return queryset
    q = Q(pk__in=[])
    for code in scope.codes:
        q |= reach_q(code, field)
    return queryset.filter(q)


def agencies_within_reach(request):
    return _within_reach(request, Agency.objects.all(), "region")


def people_within_reach(request):
    return _within_reach(request, Person.objects.all(), "agency__region")


MEETING_RULES = {
    "region": lambda request: desk_regions_for(request.user),
    "chair": people_within_reach,
    "organiser": agencies_within_reach,
}


def _check_meeting_fields(values: dict) -> dict:
    """The services' checks of a meeting's or series' chair and organiser."""
    errors: dict = {}
    region = values.get("region")
    if region is not None:
        services._check_people(region, values.get("chair"), values.get("organiser"), errors)
    return errors


class InvitationInline(DeskInline):
    model = Invitation
    extra = 0
    raw_id_fields = ["agency", "person"]
    relation_rules = {"agency": agencies_within_reach, "person": people_within_reach}

    def check_relations(self, request, values, parent=None):
        """``invitations_add``'s rule: within the meeting's reach, a person
        through their own agency."""
        errors = {}
        code = parent.region_id if parent is not None else None
        agency, person = values.get("agency"), values.get("person")
        if code and agency is not None and not in_reach(code, agency.region_id):
            errors["agency"] = _("Instansi ini berada di luar jangkauan desk.")
        if code and person is not None and not in_reach(code, person.agency.region_id):
            errors["person"] = _("Orang ini berada di luar jangkauan desk.")
        if person is not None and agency is not None and person.agency_id != agency.pk:
            errors["person"] = _("Orang yang diundang harus dari instansi yang dipilih.")
        return errors


@admin.register(Meeting)
class MeetingAdmin(ScopedAdmin):
    list_display = ["title", "region", "starts_at", "status", "series", "remind_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "region__name"]
    raw_id_fields = ["region", "series", "chair", "organiser", "created_by"]
    readonly_fields = ["remind_at", "reminders_dispatched_at"]
    inlines = [InvitationInline]
    date_hierarchy = "starts_at"
    relation_rules = MEETING_RULES

    def save_model(self, request, obj, form, change):
        # As meeting_update: the reminder follows the start time and is looked
        # at again (without it, adding a meeting here failed on remind_at).
        obj.remind_at = services.remind_at_for(obj.region, obj.starts_at)
        obj.reminders_dispatched_at = None
        super().save_model(request, obj, form, change)

    def check_relations(self, request, values, parent=None):
        errors = _check_meeting_fields(values)
        series, region = values.get("series"), values.get("region")
        # A series' occurrences are its desk's meetings (series_create).
        if series is not None and region is not None and series.region_id != region.code:
            errors["series"] = _("Seri rapat ini milik desk lain.")
        return errors


@admin.register(Series)
class SeriesAdmin(ScopedAdmin):
    list_display = ["title", "region", "weekday", "start_time", "starts_on", "until"]
    raw_id_fields = ["region", "chair", "organiser", "created_by"]
    relation_rules = MEETING_RULES

    def check_relations(self, request, values, parent=None):
        return _check_meeting_fields(values)


class DecisionEventInline(DeskInline):
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
    # Reports are offered by register number or #id (never the tracking
    # code), newest first: the reports this administrator may read.
    relation_rules = {
        "region": lambda request: desk_regions_for(request.user),
        "responsible_agency": agencies_within_reach,
        "responsible_person": people_within_reach,
    }

    def check_relations(self, request, values, parent=None):
        """``decision_record``'s checks: the links (``meetings.links``), the
        responsible agency and person, and the desk being the meeting's."""
        meeting = values.get("meeting")
        if meeting is None:
            return {}
        errors = links.check(
            request.user,
            meeting.region_id,
            report=values.get("report"),
            problem=values.get("problem"),
            area=values.get("area"),
        )
        services._check_responsible(
            meeting, values.get("responsible_agency"), values.get("responsible_person"), errors
        )
        region = values.get("region")
        if region is not None and region.code != meeting.region_id:
            errors["region"] = _("Desk keputusan harus desk rapatnya.")
        return errors


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
