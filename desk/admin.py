"""Admin pages, filtered through the same scope as every other view."""

from django.contrib import admin

from desk.models import (
    Agency,
    Election,
    ElectionRound,
    FailedTask,
    Person,
    Region,
    Role,
    RoleAssignment,
    Stage,
)
from desk.scope import scope_for


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose list, detail and choices stop at the user's regions.

    ``scope_field`` names the Region relation (``region``, ``agency__region``).
    Outside the scope, a change page answers "not found" like any other view.
    """

    scope_field = "region"

    def get_queryset(self, request):
        return scope_for(request.user).filter(super().get_queryset(request), self.scope_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices stop at the scope too, or a POST could attach an object to a
        # region (or an agency of a region) the user cannot see.
        scope = scope_for(request.user)
        if db_field.related_model is Region:
            kwargs["queryset"] = scope.filter(Region.objects.all(), "code")
        elif db_field.related_model is Agency:
            kwargs["queryset"] = scope.filter(Agency.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    scope_field = "code"
    list_display = ["code", "name", "level", "kind", "timezone"]
    list_filter = ["level", "kind", "timezone"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "level", "parent"]
    fields = ["code", "name", "level", "kind", "parent", "timezone"]
    show_full_result_count = False  # COUNT(*) over 91k rows on every page is wasted work

    def has_add_permission(self, request):
        return False  # regions come from the Kemendagri files (import_regions)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Agency)
class AgencyAdmin(ScopedAdmin):
    list_display = ["name", "short_name", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "region__name"]
    autocomplete_fields = ["region"]


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    scope_field = "agency__region"
    list_display = ["name", "position", "agency", "email", "phone"]
    search_fields = ["name", "position", "agency__name"]
    autocomplete_fields = ["agency", "user"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ["user", "role", "region", "agency"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__name"]
    autocomplete_fields = ["user", "region", "agency"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            # An empty region means the whole country: only superusers grant that.
            form.base_fields["region"].required = True
        return form


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(ElectionRound)
class ElectionRoundAdmin(admin.ModelAdmin):
    """National data: every user may read it, superusers edit it."""

    list_display = ["name", "voting_day", "is_simulation"]
    inlines = [StageInline]


@admin.register(Election)
class ElectionAdmin(ScopedAdmin):
    list_display = ["round", "region", "office"]
    list_filter = ["round", "office"]
    search_fields = ["region__name", "region__code"]
    autocomplete_fields = ["region"]


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Written by the worker (desk/tasksignals.py), read on the operations
    page; a task has no region, so only nationwide administrators see it."""

    list_display = ["failed_at", "task_name", "error", "request_id"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id", "request_id"]
    readonly_fields = [f.name for f in FailedTask._meta.fields]

    def has_view_permission(self, request, obj=None):
        # Granted by the role, like the audit trails: no model permission.
        return scope_for(request.user, Role.ADMINISTRATOR).nationwide

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
