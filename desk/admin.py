"""Admin pages, filtered through the same scope as every other view."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from desk import grants, twofactor
from desk.models import (
    AccessAudit,
    Agency,
    Election,
    ElectionRound,
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
    """Grants, by the rules of desk/grants.py: never one's own, identity
    roles by superusers only, otherwise inside the regions administered."""

    list_display = ["user", "role", "region", "agency"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__name"]
    autocomplete_fields = ["user", "region", "agency"]

    def _administered(self, request):
        return scope_for(request.user, Role.ADMINISTRATOR)

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return self._administered(request).filter(queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        administered = self._administered(request)
        if db_field.related_model is Region:
            kwargs["queryset"] = administered.filter(Region.objects.all(), "code")
        elif db_field.related_model is Agency:
            kwargs["queryset"] = administered.filter(Agency.objects.all())
        return admin.ModelAdmin.formfield_for_foreignkey(self, db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [
                (value, label)
                for value, label in Role.choices
                if value not in grants.IDENTITY_ROLES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            # An empty region means the whole country: only superusers grant that.
            form.base_fields["region"].required = True
        actor = request.user

        class GrantForm(form):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    reason = grants.assignment_refusal(actor, self.instance_preview())
                    if reason:
                        raise ValidationError(reason)
                return cleaned

            def instance_preview(self):
                row = RoleAssignment(pk=self.instance.pk)
                row.user_id = getattr(self.cleaned_data.get("user"), "pk", None)
                row.role = self.cleaned_data.get("role")
                row.region_id = getattr(self.cleaned_data.get("region"), "pk", None)
                row.agency_id = getattr(self.cleaned_data.get("agency"), "pk", None)
                return row

        return GrantForm

    def _refusal(self, request, obj):
        return grants.grant_refusal(
            request.user,
            user_id=obj.user_id,
            role=obj.role,
            region_id=obj.region_id,
            agency_id=obj.agency_id,
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._refusal(request, obj) is None)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._refusal(request, obj) is None)

    def get_deleted_objects(self, objs, request):
        # The bulk "delete selected" action asks here: a refused row makes
        # Django refuse the whole deletion with its permission message.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            if reason := self._refusal(request, obj):
                perms_needed.add(f"{obj}: {reason}")
        return deleted, counts, perms_needed, protected


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts. The flags that give power (staff, superuser, active, groups,
    permissions) are set only by superusers and never on one's own account;
    an account that signs in with a second factor (identity readers,
    administrators) is changed or deleted only by a superuser, so nobody
    resets its password or takes it over from below."""

    POWER_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += self.POWER_FIELDS
        elif obj is not None and obj.pk == request.user.pk:
            fields += grants.ACCOUNT_FLAGS
        return fields

    def _guarded(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return False
        return obj.pk == request.user.pk or twofactor.requires_two_factor(obj)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.pk != request.user.pk and self._guarded(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._guarded(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.update(str(obj) for obj in objs if self._guarded(request, obj))
        return deleted, counts, perms_needed, protected


class SuperuserOnly:
    """Second-factor devices: only a superuser removes one (a lost phone:
    the user enrols again at the next sign-in); nobody reads a key."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


for device_model, device_admin in (
    (TOTPDevice, TOTPDeviceAdmin),
    (StaticDevice, StaticDeviceAdmin),
):
    admin.site.unregister(device_model)
    admin.site.register(
        device_model, type(device_admin.__name__, (SuperuserOnly, device_admin), {})
    )


@admin.register(AccessAudit)
class AccessAuditAdmin(admin.ModelAdmin):
    """The grant trail, read-only: a superuser reads all of it, a staff user
    with the Administrator role the entries of the regions administered
    (before or after the change), nationwide administrators everything."""

    list_display = ["at", "actor", "action", "subject", "role", "before", "after", "ip"]
    list_filter = ["action", "role"]
    list_select_related = ["actor"]
    search_fields = ["subject", "actor__username", "before", "after"]

    def _scope(self, request):
        return scope_for(request.user, Role.ADMINISTRATOR)

    def has_view_permission(self, request, obj=None):
        return not self._scope(request).is_empty

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        scope = self._scope(request)
        queryset = super().get_queryset(request)
        if scope.nationwide:
            return queryset
        return queryset.filter(scope.q("region") | scope.q("previous_region"))


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
