"""Who may grant or revoke which role, and the trail of every grant.

The rules (README "Security"):

- nobody changes their own role assignments, nor their own staff,
  superuser or active flag;
- a role that reads a reporter's identity (registered by the app that holds
  the identity: neutrality registers the Bawaslu officer) is granted, changed
  or revoked only by a superuser;
- anyone else granting a role is a staff user holding the Administrator role,
  and grants, changes and revokes only inside the regions they administer
  (never nationwide); only superusers change staff, superuser or active flags
  of other accounts.

They are enforced where the row is written (``pre_save``/``pre_delete`` of
``RoleAssignment`` and the user model), so the admin, any form, the API and a
view all meet them; the admin asks the same function first to show the reason
as a form error. Outside a request (the shell, ``seed_demo``, a migration)
there is no actor: whoever holds the server holds the database anyway, and
the trail records the change with an empty actor.
"""

import contextvars
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils.translation import gettext as _

from desk.models import AccessAudit, Agency, Role, RoleAssignment
from desk.scope import scope_for

# Roles that read a reporter's identity. desk does not know the apps: the app
# that decides who reads the identity registers its roles in its AppConfig.
IDENTITY_ROLES: set[str] = set()

ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")

_request: contextvars.ContextVar = contextvars.ContextVar("desk_grants_request", default=None)


def register_identity_roles(roles: Iterable[str]) -> None:
    IDENTITY_ROLES.update(roles)


class ActorMiddleware:
    """Remembers the request, so a grant written anywhere knows who wrote it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_actor():
    """The signed-in user of the current request; None outside one."""
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


def _current_ip() -> str | None:
    request = _request.get()
    return request.META.get("REMOTE_ADDR") if request is not None else None


def grant_refusal(actor, *, user_id, role, region_id, agency_id=None) -> str | None:
    """Why ``actor`` may not hold a grant of ``role`` at ``region_id`` to
    ``user_id`` (granted, or taken away); None when allowed."""
    if actor is None:
        return None
    if user_id is not None and user_id == actor.pk:
        return _("Tidak seorang pun dapat mengubah peran akunnya sendiri.")
    if actor.is_superuser:
        return None
    if role in IDENTITY_ROLES:
        return _(
            "Peran yang dapat membaca identitas pelapor hanya dapat diberikan "
            "atau dicabut oleh superuser."
        )
    administered = scope_for(actor, Role.ADMINISTRATOR)
    if not actor.is_staff or administered.is_empty:
        return _("Hanya administrator yang dapat memberi atau mencabut peran.")
    if region_id is None:
        return _("Hanya superuser yang dapat memberi peran untuk seluruh Indonesia.")
    if not administered.contains(region_id):
        return _("Wilayah ini di luar wilayah yang Anda kelola.")
    if agency_id is not None:
        agency_region = Agency.objects.filter(pk=agency_id).values_list("region_id", flat=True)
        if not administered.contains(next(iter(agency_region), None)):
            return _("Instansi ini di luar wilayah yang Anda kelola.")
    return None


def assignment_refusal(actor, assignment: RoleAssignment) -> str | None:
    """Why ``actor`` may not save ``assignment`` as it stands (the row before
    the change is checked too: moving a grant needs both ends)."""
    previous = _previous_assignment(assignment)
    for row in filter(None, [previous, assignment]):
        reason = grant_refusal(
            actor,
            user_id=row.user_id,
            role=row.role,
            region_id=row.region_id,
            agency_id=row.agency_id,
        )
        if reason:
            return reason
    return None


def account_refusal(actor, user, changed: Iterable[str]) -> str | None:
    """Why ``actor`` may not change these flags of ``user``; None if allowed."""
    if actor is None or not changed:
        return None
    if user.pk == actor.pk:
        return _("Tidak seorang pun dapat mengubah status akunnya sendiri.")
    if not actor.is_superuser:
        return _("Hanya superuser yang dapat mengubah status staf, superuser atau aktif.")
    return None


def _previous_assignment(assignment: RoleAssignment) -> RoleAssignment | None:
    if assignment.pk is None:
        return None
    return RoleAssignment.objects.filter(pk=assignment.pk).select_related("region").first()


def _describe(assignment: RoleAssignment | None) -> str:
    """Codes, not names: the trail reads the same in every language and
    after a region or agency is renamed."""
    if assignment is None:
        return ""
    text = f"{assignment.role} @ {assignment.region_id or '*'}"
    return f"{text} / agency #{assignment.agency_id}" if assignment.agency_id else text


def _refuse(reason: str):
    raise PermissionDenied(reason)


def _assignment_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    instance._grant_previous = _previous_assignment(instance)
    reason = assignment_refusal(current_actor(), instance)
    if reason:
        _refuse(reason)


def _assignment_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    previous = getattr(instance, "_grant_previous", None)
    before, after = _describe(previous), _describe(instance)
    if not created and before == after:
        return
    _audit(
        action=AccessAudit.Action.GRANT if created else AccessAudit.Action.CHANGE,
        subject=instance.user,
        role=instance.role,
        region_id=instance.region_id,
        previous_region_id=previous.region_id if previous else None,
        before=before,
        after=after,
    )


def _assignment_pre_delete(sender, instance, origin=None, **kwargs):
    # A user deleted with their grants: the user's deletion is the act, and
    # the trail still records each grant it took away (post_delete).
    if isinstance(origin, get_user_model()):
        return
    reason = grant_refusal(
        current_actor(),
        user_id=instance.user_id,
        role=instance.role,
        region_id=instance.region_id,
        agency_id=instance.agency_id,
    )
    if reason:
        _refuse(reason)


def _assignment_post_delete(sender, instance, **kwargs):
    user = get_user_model()
    subject = user(pk=instance.user_id, username=_username(instance.user_id))
    _audit(
        action=AccessAudit.Action.REVOKE,
        subject=subject,
        role=instance.role,
        region_id=None,
        previous_region_id=instance.region_id,
        before=_describe(instance),
        after="",
    )


def _username(user_id) -> str:
    # In a cascade the user row may be gone from the session's view already.
    names = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True)
    return next(iter(names), f"#{user_id}")


def _user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        instance._grant_flags = None
        return
    if update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS):
        instance._grant_flags = None  # last_login and the like: nothing to check
        return
    stored = sender.objects.filter(pk=instance.pk).values(*ACCOUNT_FLAGS).first()
    if stored is None:
        instance._grant_flags = None
        return
    changed = [flag for flag in ACCOUNT_FLAGS if stored[flag] != getattr(instance, flag)]
    reason = account_refusal(current_actor(), instance, changed)
    if reason:
        _refuse(reason)
    instance._grant_flags = (stored, changed)


def _user_post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        flags = [flag for flag in ("is_staff", "is_superuser") if getattr(instance, flag)]
        stored = dict.fromkeys(ACCOUNT_FLAGS, False)
    else:
        stored, flags = getattr(instance, "_grant_flags", None) or ({}, [])
    if not flags:
        return
    _audit(
        action=AccessAudit.Action.ACCOUNT,
        subject=instance,
        role="",
        region_id=None,
        previous_region_id=None,
        before=", ".join(f"{flag}={stored[flag]}" for flag in flags),
        after=", ".join(f"{flag}={getattr(instance, flag)}" for flag in flags),
    )


def _audit(*, action, subject, role, region_id, previous_region_id, before, after) -> None:
    AccessAudit.objects.create(
        actor=current_actor(),
        action=action,
        subject_id=subject.pk,
        subject=subject.get_username(),
        role=role,
        region_id=region_id,
        previous_region_id=previous_region_id,
        before=before[:300],
        after=after[:300],
        ip=_current_ip(),
    )


def connect() -> None:
    """Called once by desk's AppConfig."""
    user = get_user_model()
    pre_save.connect(_assignment_pre_save, sender=RoleAssignment, dispatch_uid="grant_pre")
    post_save.connect(_assignment_post_save, sender=RoleAssignment, dispatch_uid="grant_post")
    pre_delete.connect(_assignment_pre_delete, sender=RoleAssignment, dispatch_uid="grant_pre_d")
    post_delete.connect(_assignment_post_delete, sender=RoleAssignment, dispatch_uid="grant_post_d")
    pre_save.connect(_user_pre_save, sender=user, dispatch_uid="grant_user_pre")
    post_save.connect(_user_post_save, sender=user, dispatch_uid="grant_user_post")
