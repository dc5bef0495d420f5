"""Admin pages, filtered through the same scope as every other view.

Every relation an admin form can set (select, raw id, autocomplete, inline)
offers and accepts only what the administrator may reach: its queryset is a
*reach rule*, a function of the request. Each admin may name a rule per field
(``relation_rules``); otherwise the rule of the target model applies
(``TARGET_RULES``: desk's models here, each app adds its own in its admin
module, since desk never imports an app). A relation with neither refuses to
build its form. Rules that depend on the object being edited (a chair within
the meeting's reach) are the services' own checks, run by ``check_relations``.
"""

from collections.abc import Callable

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from desk import grants, twofactor
from desk.models import (
    AccessAudit,
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

User = get_user_model()

Rule = Callable[[HttpRequest], QuerySet]

# The objects of each model a relation may point to, when the admin names no
# rule for that field.
TARGET_RULES: dict[type[Model], Rule] = {}


def target_rule(model: type[Model]):
    """Declare the reach rule of a target model (a decorator)."""

    def register(rule: Rule) -> Rule:
        TARGET_RULES[model] = rule
        return rule

    return register


def everything(model: type[Model]) -> Rule:
    """National reference data: the same for everyone, so nothing is out of reach."""

    def rule(request):
        return model._default_manager.all()

    rule.national = True
    return rule


def superusers_only(model: type[Model]) -> Rule:
    """What only a superuser hands out (Django permissions and groups apply nationwide)."""

    def rule(request):
        manager = model._default_manager
        return manager.all() if request.user.is_superuser else manager.none()

    return rule


@target_rule(Region)
def regions_in_scope(request) -> QuerySet:
    return scope_for(request.user).filter(Region.objects.all(), "code")


@target_rule(Agency)
def agencies_in_scope(request) -> QuerySet:
    return scope_for(request.user).filter(Agency.objects.all())


@target_rule(Person)
def people_in_scope(request) -> QuerySet:
    return scope_for(request.user).filter(Person.objects.all(), "agency__region")


@target_rule(User)
def users_in_scope(request) -> QuerySet:
    """Accounts whose every role lies in the administrator's scope (a new
    account, without any role yet, included): changing one acts on no other
    region. Superusers belong to no region."""
    scope = scope_for(request.user)
    if request.user.is_superuser:
        return User.objects.all()
    users = User.objects.filter(is_superuser=False)
    if scope.nationwide:
        return users
    elsewhere = RoleAssignment.objects.exclude(scope.q("region")).values("user_id")
    return users.exclude(pk__in=elsewhere)


TARGET_RULES[ElectionRound] = everything(ElectionRound)
TARGET_RULES[Group] = superusers_only(Group)
TARGET_RULES[Permission] = superusers_only(Permission)


def relation_queryset(request, db_field, rules: dict[str, Rule], *, owner: str) -> QuerySet:
    """The objects ``db_field`` may point to for this request (a superuser's
    scope is the country)."""
    rule = rules.get(db_field.name) or TARGET_RULES.get(db_field.related_model)
    if rule is None:
        raise ImproperlyConfigured(
            f"{owner}.{db_field.name}: no reach rule for {db_field.related_model._meta.label}"
            " (declare it in relation_rules or TARGET_RULES)"
        )
    return rule(request)


class ScopedRawIdWidget(widgets.ForeignKeyRawIdWidget):
    """A raw-id input whose label names only an object of the field's
    choices: Django's looks any id up, which named people and meetings of
    every province."""

    def __init__(self, rel, admin_site, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            if not self.queryset.filter(**{key: value}).exists():
                return "", ""
        except (ValueError, TypeError, ValidationError):
            return "", ""
        return super().label_and_url_for_value(value)


class RelationScopeMixin:
    """Reach rules on every relation of a ModelAdmin's or an inline's form."""

    # field name → rule, for a field whose reach is not its model's.
    relation_rules: dict[str, Rule] = {}

    def relation_queryset(self, request, db_field) -> QuerySet:
        owner = type(self).__name__
        return relation_queryset(request, db_field, self.relation_rules, owner=owner)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if self._is_parent_link(db_field):
            # An inline's link to its parent is set from the parent, never posted.
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        queryset = self.relation_queryset(request, db_field)
        kwargs["queryset"] = queryset
        if db_field.name in self.raw_id_fields and "widget" not in kwargs:
            kwargs["widget"] = ScopedRawIdWidget(
                db_field.remote_field, self.admin_site, queryset, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _is_parent_link(self, db_field) -> bool:
        parent = getattr(self, "parent_model", None)
        return db_field.related_model is parent and getattr(self, "fk_name", None) in (
            None,
            db_field.name,
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = self.relation_queryset(request, db_field)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def check_relations(self, request, values: dict, parent=None) -> dict:
        """Errors (field → message) for relations the services' rules refuse
        together (a chair outside the meeting's reach): ``values`` holds the
        form's cleaned data over the instance's current values; ``parent``
        is an inline's parent object. None by default."""
        return {}

    def get_search_results(self, request, queryset, search_term):
        # An autocomplete asks this admin for its own objects on behalf of
        # another admin's field: the answer stops at that field's rule.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            reach = _autocomplete_reach(request, self.admin_site)
            queryset = queryset.none() if reach is None else queryset.filter(pk__in=reach)
        return queryset, may_have_duplicates

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return _checked_form(form, self, request)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return _checked_formset(formset, self, request)


def _current(form) -> dict:
    """The form's cleaned values over the instance's own (for the fields it
    does not show)."""
    values = {
        f.name: getattr(form.instance, f.name, None)
        for f in form.instance._meta.concrete_fields
        if f.is_relation and getattr(form.instance, f.attname) is not None
    }
    values.update(form.cleaned_data)
    return values


def _add_errors(form, errors: dict) -> None:
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)


def _checked_form(form_class, model_admin, request):
    class Checked(form_class):
        def clean(self):
            cleaned = super().clean()
            if not self.errors:
                _add_errors(self, model_admin.check_relations(request, _current(self)))
            return cleaned

    Checked.__name__ = form_class.__name__
    return Checked


def _checked_formset(formset_class, inline, request):
    """An inline's rows checked against their parent as the parent form
    left it (its posted region, on the add page too)."""

    class Checked(formset_class):
        def clean(self):
            super().clean()
            for form in self.forms:
                if not form.has_changed() or self._should_delete_form(form) or form.errors:
                    continue
                errors = inline.check_relations(request, _current(form), self.instance)
                _add_errors(form, errors)

    Checked.__name__ = formset_class.__name__
    return Checked


def _autocomplete_reach(request, site) -> QuerySet | None:
    """The rule of the field an autocomplete request serves (its admin's or
    inline's rules, else its target model's)."""
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        db_field = model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist):
        return None
    rules = {}
    for registered in site._registry.values():
        candidates = [registered, *getattr(registered, "inlines", ())]
        for candidate in candidates:
            if getattr(candidate, "model", None) is model:
                rules = getattr(candidate, "relation_rules", {})
    return relation_queryset(request, db_field, rules, owner=model._meta.label)


class DeskAdmin(RelationScopeMixin, admin.ModelAdmin):
    """The base of every admin of the project: reach rules on its relations."""


class DeskInline(RelationScopeMixin, admin.TabularInline):
    """The base of every inline of the project."""


class ScopedAdmin(DeskAdmin):
    """A ModelAdmin whose list and detail stop at the user's regions.

    ``scope_field`` names the Region relation (``region``, ``agency__region``).
    Outside the scope, a change page answers "not found" like any other view.
    """

    scope_field = "region"

    def get_queryset(self, request):
        return scope_for(request.user).filter(super().get_queryset(request), self.scope_field)


class ReadOnly:
    """For rows the product writes (history, trails): read here, never
    added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, ScopedAdmin):
    """Read-only, scoped by ``scope_field`` like every admin page."""


class TrailAdmin(ReadOnly, DeskAdmin):
    """A trail administrators read by their role, with no model permission:
    staff holding the Administrator role (``nationwide_only``: at national
    level). Each trail filters its rows by the administered regions."""

    nationwide_only = False

    def administered(self, request):
        return scope_for(request.user, Role.ADMINISTRATOR)

    def has_view_permission(self, request, obj=None):
        # The admin site itself lets only active staff in.
        scope = self.administered(request)
        return scope.nationwide if self.nationwide_only else not scope.is_empty

    def has_module_permission(self, request):
        return self.has_view_permission(request)


class NationalDataAdmin(DeskAdmin):
    """Data that holds for the whole country: read by whoever holds the
    permission, written by superusers only (a provincial administrator would
    change every province's)."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


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
    # A grant lies inside the regions the granter administers (not merely
    # those they may read).
    relation_rules = {
        "region": lambda request: scope_for(request.user, Role.ADMINISTRATOR).filter(
            Region.objects.all(), "code"
        ),
        "agency": lambda request: scope_for(request.user, Role.ADMINISTRATOR).filter(
            Agency.objects.all()
        ),
    }

    def _administered(self, request):
        return scope_for(request.user, Role.ADMINISTRATOR)

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return self._administered(request).filter(queryset)

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
        if not request.user.is_superuser and "region" in form.base_fields:
            # An empty region means the whole country: only superusers grant
            # that. (A row the user may only read has no fields to set.)
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


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(RelationScopeMixin, UserAdmin):
    """Accounts an administrator may reach (``users_in_scope``): changing
    the password of another province's officer would be acting as them. The
    flags that give power (staff, superuser, active, groups, permissions) are
    set only by superusers and never on one's own account;
    an account that signs in with a second factor (identity readers,
    administrators) is changed or deleted only by a superuser, so nobody
    resets its password or takes it over from below."""

    POWER_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=users_in_scope(request))

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
    # The recovery codes' inline too: every relation under the reach rules.
    inlines = [type(i.__name__, (RelationScopeMixin, i), {}) for i in device_admin.inlines]
    admin.site.register(
        device_model,
        type(
            device_admin.__name__,
            (SuperuserOnly, RelationScopeMixin, device_admin),
            {"inlines": inlines},
        ),
    )


@admin.register(AccessAudit)
class AccessAuditAdmin(TrailAdmin):
    """The grant trail, read-only: a superuser reads all of it, a staff user
    with the Administrator role the entries of the regions administered
    (before or after the change), nationwide administrators everything."""

    list_display = ["at", "actor", "action", "subject", "role", "before", "after", "ip"]
    list_filter = ["action", "role"]
    list_select_related = ["actor"]
    search_fields = ["subject", "actor__username", "before", "after"]

    def get_queryset(self, request):
        scope = self.administered(request)
        queryset = super().get_queryset(request)
        if scope.nationwide:
            return queryset
        return queryset.filter(scope.q("region") | scope.q("previous_region"))


class StageInline(DeskInline):
    model = Stage
    extra = 0


@admin.register(ElectionRound)
class ElectionRoundAdmin(NationalDataAdmin):
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
class FailedTaskAdmin(TrailAdmin):
    """Written by the worker (desk/tasksignals.py), read on the operations
    page; a task has no region, so only nationwide administrators see it."""

    nationwide_only = True
    list_display = ["failed_at", "task_name", "error", "request_id"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id", "request_id"]
    readonly_fields = [f.name for f in FailedTask._meta.fields]


# --- Accounts, groups and API tokens ------------------------------------------
# Django's and DRF's own admins, under the same rules.

admin.site.unregister(Group)
admin.site.unregister(TokenProxy)


@admin.register(Group)
class DeskGroupAdmin(RelationScopeMixin, GroupAdmin):
    """A group's permissions hold nationwide: superusers only."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(TokenProxy)
class DeskTokenAdmin(RelationScopeMixin, TokenAdmin):
    """An API token is its user's password: only superusers see or issue one."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
