"""Who may grant which role, and the trail every grant leaves (desk/grants.py).

Personas: a superuser, the Administrator of Sulawesi Barat (76) holding
every model permission on role assignments and accounts, and the people
they would grant roles to.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from desk import grants
from desk.models import AccessAudit, Agency, Role, RoleAssignment
from neutrality.access import officer_office_ids

User = get_user_model()
ADD = "/admin/desk/roleassignment/add/"


@pytest.fixture
def root(make_user):
    return make_user(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def sulbar_admin(make_user):
    """Administrator of Sulawesi Barat with every permission on grants and
    accounts: only the rules, not missing permissions, stop them."""
    user = make_user(Role.ADMINISTRATOR, "76", username="sulbar.admin", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["desk", "auth"],
            codename__regex=r"_(roleassignment|user|accessaudit)$",
        )
    )
    return user


@pytest.fixture
def clerk(make_user):
    return make_user(username="clerk")


def _grant_post(client, *, user, role, region="76", agency=""):
    return client.post(
        ADD, {"user": user.pk, "role": role, "region": region, "agency": agency}, follow=False
    )


def _acting_as(user):
    """The request context the ActorMiddleware sets: writes inside it have
    ``user`` as their actor (what any view, form or API call gets)."""
    request = RequestFactory().post("/")
    request.user = user
    return grants._request.set(request)


# --- nobody changes their own roles --------------------------------------


@pytest.mark.parametrize("who", ["root", "sulbar_admin"])
def test_nobody_grants_themselves_a_role_in_the_admin(db, client, request, who):
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    before = RoleAssignment.objects.count()
    response = _grant_post(client, user=actor, role=Role.DESK_STAFF)
    assert response.status_code == 200
    assert "peran akunnya sendiri" in response.content.decode()
    assert RoleAssignment.objects.count() == before


def test_administrator_cannot_change_or_delete_their_own_assignment(client, sulbar_admin):
    own = RoleAssignment.objects.get(user=sulbar_admin)
    client.force_login(sulbar_admin)
    change = f"/admin/desk/roleassignment/{own.pk}/change/"
    response = client.post(change, {"user": sulbar_admin.pk, "role": Role.VIEWER, "region": "76"})
    assert response.status_code == 403
    assert (
        client.post(f"/admin/desk/roleassignment/{own.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    bulk = client.post(
        "/admin/desk/roleassignment/",
        {"action": "delete_selected", "_selected_action": [own.pk], "post": "yes"},
    )
    assert bulk.status_code == 403
    own.refresh_from_db()
    assert own.role == Role.ADMINISTRATOR


def test_superuser_cannot_revoke_their_own_assignment(client, root):
    own = RoleAssignment.objects.create(user=root, role=Role.VIEWER, region_id="76")
    client.force_login(root)
    response = client.post(f"/admin/desk/roleassignment/{own.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def test_every_write_path_meets_the_rule_at_the_model(sulbar_admin, root, clerk):
    """The rule lives where the row is written, so a form, an API view or a
    service written tomorrow cannot skip it."""
    for actor in (sulbar_admin, root):
        token = _acting_as(actor)
        try:
            with pytest.raises(PermissionDenied), transaction.atomic():
                RoleAssignment.objects.create(user=actor, role=Role.VIEWER, region_id="76.01")
            row = RoleAssignment.objects.filter(user=actor).first()
            if row is not None:
                with pytest.raises(PermissionDenied), transaction.atomic():
                    row.delete()
        finally:
            grants._request.reset(token)
    token = _acting_as(sulbar_admin)
    try:
        with pytest.raises(PermissionDenied), transaction.atomic():
            RoleAssignment.objects.create(user=clerk, role=Role.BAWASLU_OFFICER, region_id="76")
    finally:
        grants._request.reset(token)
    assert not RoleAssignment.objects.filter(user=clerk).exists()


# --- identity roles: superusers only ---------------------------------------


def test_identity_roles_are_the_roles_that_read_the_reporter(make_user, agency_factory):
    """Enumerates every role: a holder at the office's region reads reporter
    identity exactly when the role is registered as an identity role."""
    office = agency_factory("35.28", kind=Agency.Kind.BAWASLU)
    for role in Role.values:
        user = make_user(role, "35.28")
        reads = office.pk in officer_office_ids(user)
        assert reads == (role in grants.IDENTITY_ROLES), role
    assert {Role.BAWASLU_OFFICER} == grants.IDENTITY_ROLES


@pytest.mark.parametrize("role", sorted(grants.IDENTITY_ROLES) or [Role.BAWASLU_OFFICER])
def test_administrator_cannot_grant_an_identity_role(client, sulbar_admin, clerk, role):
    client.force_login(sulbar_admin)
    response = _grant_post(client, user=clerk, role=role)
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=clerk).exists()
    # Nor by turning an existing grant into one.
    row = RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="76")
    change = f"/admin/desk/roleassignment/{row.pk}/change/"
    response = client.post(change, {"user": clerk.pk, "role": role, "region": "76"})
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.role == Role.VIEWER


def test_administrator_cannot_revoke_an_identity_role(client, sulbar_admin, clerk):
    row = RoleAssignment.objects.create(user=clerk, role=Role.BAWASLU_OFFICER, region_id="76")
    client.force_login(sulbar_admin)
    response = client.post(f"/admin/desk/roleassignment/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert RoleAssignment.objects.filter(pk=row.pk).exists()


def test_superuser_grants_an_identity_role_and_the_trail_names_them(client, root, clerk):
    client.force_login(root)
    response = _grant_post(client, user=clerk, role=Role.BAWASLU_OFFICER)
    assert response.status_code == 302
    entry = AccessAudit.objects.get(subject_id=clerk.pk)
    assert (entry.actor, entry.action, entry.role) == (root, "grant", Role.BAWASLU_OFFICER)
    assert (entry.before, entry.after, entry.region_id) == ("", "bawaslu_officer @ 76", "76")
    assert entry.ip == "127.0.0.1"


# --- scoped administrators: inside their regions ---------------------------


def test_administrator_grants_inside_their_region_only(client, sulbar_admin, clerk):
    client.force_login(sulbar_admin)
    assert _grant_post(client, user=clerk, role=Role.DESK_STAFF, region="64").status_code == 200
    assert _grant_post(client, user=clerk, role=Role.DESK_STAFF, region="").status_code == 200
    kaltim_agency = Agency.objects.create(region_id="64", kind=Agency.Kind.OPD, name="Dinas X")
    response = _grant_post(client, user=clerk, role=Role.DESK_STAFF, agency=kaltim_agency.pk)
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(user=clerk).exists()
    response = _grant_post(client, user=clerk, role=Role.DESK_STAFF, region="76.01")
    assert response.status_code == 302
    entry = AccessAudit.objects.get(subject_id=clerk.pk)
    assert (entry.actor, entry.after) == (sulbar_admin, "desk_staff @ 76.01")


def test_change_and_revoke_are_in_the_trail_with_before_and_after(client, sulbar_admin, clerk):
    row = RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="76")
    client.force_login(sulbar_admin)
    change = f"/admin/desk/roleassignment/{row.pk}/change/"
    assert (
        client.post(
            change, {"user": clerk.pk, "role": Role.DESK_STAFF, "region": "76.01"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/admin/desk/roleassignment/{row.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    changed, revoked = AccessAudit.objects.filter(subject_id=clerk.pk, actor=sulbar_admin).order_by(
        "pk"
    )
    assert (changed.action, changed.before, changed.after) == (
        "change",
        "viewer @ 76",
        "desk_staff @ 76.01",
    )
    assert (changed.previous_region_id, changed.region_id) == ("76", "76.01")
    assert (revoked.action, revoked.before, revoked.after) == ("revoke", "desk_staff @ 76.01", "")
    assert revoked.subject == "clerk"


def test_a_shell_grant_is_in_the_trail_without_an_actor(clerk):
    RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="64")
    entry = AccessAudit.objects.get(subject_id=clerk.pk)
    assert entry.actor is None and entry.action == "grant"


def test_deleting_an_account_keeps_its_trail(root, clerk):
    RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="64")
    token = _acting_as(root)
    try:
        clerk.delete()
    finally:
        grants._request.reset(token)
    revoke = AccessAudit.objects.get(action="revoke")
    assert (revoke.subject, revoke.actor, revoke.before) == ("clerk", root, "viewer @ 64")


# --- account flags ---------------------------------------------------------


def test_superuser_makes_an_account_staff_and_the_trail_records_it(client, root, clerk):
    client.force_login(root)
    response = client.get(f"/admin/auth/user/{clerk.pk}/change/")
    assert b'name="is_staff"' in response.content
    token = _acting_as(root)
    try:
        clerk.is_staff = True
        clerk.save()
    finally:
        grants._request.reset(token)
    entry = AccessAudit.objects.get(action="account", subject_id=clerk.pk)
    assert (entry.actor, entry.before, entry.after) == (root, "is_staff=False", "is_staff=True")


def test_only_superusers_change_power_flags_and_never_their_own(client, root, sulbar_admin, clerk):
    client.force_login(sulbar_admin)
    page = client.get(f"/admin/auth/user/{clerk.pk}/change/").content.decode()
    for field in ("is_staff", "is_superuser", "is_active", "user_permissions", "groups"):
        assert f'name="{field}"' not in page, field
    client.force_login(root)
    own = client.get(f"/admin/auth/user/{root.pk}/change/").content.decode()
    for field in grants.ACCOUNT_FLAGS:
        assert f'name="{field}"' not in own, field
    attempts = [
        (sulbar_admin, clerk, "is_superuser", True),
        (sulbar_admin, clerk, "is_staff", True),
        (sulbar_admin, sulbar_admin, "is_superuser", True),
        (root, root, "is_superuser", False),
        (root, root, "is_active", False),
    ]
    for actor, target, flag, value in attempts:
        token = _acting_as(actor)
        try:
            target.refresh_from_db()
            setattr(target, flag, value)
            with pytest.raises(PermissionDenied), transaction.atomic():
                target.save()
        finally:
            grants._request.reset(token)
            target.refresh_from_db()
    assert not User.objects.filter(pk__in=[clerk.pk, sulbar_admin.pk], is_superuser=True).exists()


def test_administrator_cannot_take_over_an_account_that_needs_a_second_factor(
    client, sulbar_admin, root, make_user
):
    officer = make_user(Role.BAWASLU_OFFICER, "76.01", username="officer")
    client.force_login(sulbar_admin)

    def attempt(pk):
        password = client.post(
            f"/admin/auth/user/{pk}/password/",
            {"password1": "x-new-pass-2024!", "password2": "x-new-pass-2024!"},
        )
        delete = client.post(f"/admin/auth/user/{pk}/delete/", {"post": "yes"})
        return password.status_code, delete.status_code

    # The officer is in the administrator's region: refused.
    assert attempt(officer.pk) == (403, 403)
    # A superuser belongs to no region: outside the administrator's accounts,
    # answered exactly as an account that does not exist.
    assert attempt(root.pk) == attempt(999_999)
    assert User.objects.filter(pk__in=[officer.pk, root.pk]).count() == 2
    for target in (officer, root):
        target.refresh_from_db()
        assert not target.check_password("x-new-pass-2024!")


def test_every_admin_writing_grants_or_accounts_is_guarded():
    """Enumerates the admin: every ModelAdmin or inline over role
    assignments or accounts is one of the guarded classes."""
    from desk.admin import AccountAdmin, RoleAssignmentAdmin

    guarded = {RoleAssignment: RoleAssignmentAdmin, User: AccountAdmin}
    for model, model_admin in admin.site._registry.items():
        if model in guarded:
            assert isinstance(model_admin, guarded[model]), model
        for inline in model_admin.inlines:
            assert inline.model not in guarded, (model, inline)


# --- the trail itself ------------------------------------------------------


def test_the_trail_is_append_only(clerk):
    RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="64")
    entry = AccessAudit.objects.get()
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        AccessAudit.objects.all().update(after="x")
    with pytest.raises(ValidationError):
        AccessAudit.objects.all().delete()
    for sql in ("UPDATE desk_accessaudit SET after = 'x'", "DELETE FROM desk_accessaudit"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_administrators_read_their_regions_trail_read_only(client, sulbar_admin, clerk):
    RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="76.01")
    RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region_id="64")
    RoleAssignment.objects.create(user=clerk, role=Role.VIEWER, region=None)
    client.force_login(sulbar_admin)
    page = client.get("/admin/desk/accessaudit/").content.decode()
    assert "viewer @ 76.01" in page
    assert "viewer @ 64" not in page and "viewer @ *" not in page
    entry = AccessAudit.objects.get(after="viewer @ 76.01")
    other = AccessAudit.objects.get(after="viewer @ 64")
    assert client.get(f"/admin/desk/accessaudit/{other.pk}/change/").status_code == 302
    assert client.post(f"/admin/desk/accessaudit/{entry.pk}/change/", {}).status_code == 403
    assert (
        client.post(f"/admin/desk/accessaudit/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/desk/accessaudit/add/").status_code == 403
