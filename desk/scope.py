"""The one answer to "which regions may this user see, or act on, in a role".

Every list, detail, export, API view and admin page filters through here. A
role assigned at a region covers that region and its whole subtree (a code
prefix); an assignment without a region covers the country. Objects outside
the scope are reported as *not found*, never *forbidden*, so that a 404 does
not confirm they exist.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from desk.models import Role, RoleAssignment

ALL_ROLES = frozenset(Role.values)


@dataclass(frozen=True)
class Scope:
    """The region codes a user holds for a set of roles.

    ``nationwide`` means every region; otherwise ``codes`` are the roots of the
    subtrees the user may reach (already reduced: no code under another).
    """

    nationwide: bool
    codes: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.nationwide and not self.codes

    def q(self, field: str = "region") -> Q:
        """A filter for a queryset whose ``field`` is a Region FK (or its code).

        ``field`` names the relation (``region``, ``meeting__region``), or is
        ``code`` for Region itself. ``<field>__code`` is the FK column itself
        (Django trims the join), so PostgreSQL can use a prefix index on it.
        """
        if self.nationwide:
            return Q()
        if not self.codes:
            return Q(pk__in=[])
        column = "code" if field == "code" else f"{field}__code"
        q = Q()
        for code in self.codes:
            q |= Q(**{column: code}) | Q(**{f"{column}__startswith": code + "."})
        return q

    def filter(self, queryset: QuerySet, field: str = "region") -> QuerySet:
        return queryset.filter(self.q(field))

    def contains(self, code: str | None) -> bool:
        """Whether a region code lies inside this scope."""
        if self.nationwide:
            return True
        if not code:
            return False
        return any(code == root or code.startswith(root + ".") for root in self.codes)

    def reaches(self, code: str) -> bool:
        """Whether the region is inside the scope or above it: a desk of a
        kabupaten may pick agencies of its province and of the nation."""
        if self.contains(code):
            return True
        return any(root.startswith(code + ".") for root in self.codes)


def _reduce(codes: Iterable[str]) -> tuple[str, ...]:
    """Drop codes that sit under another code of the set."""
    roots: list[str] = []
    for code in sorted(set(codes), key=lambda c: (len(c), c)):
        if not any(code == r or code.startswith(r + ".") for r in roots):
            roots.append(code)
    return tuple(sorted(roots))


def scope_for(user, roles: Iterable[str] | str | None = None) -> Scope:
    """The regions ``user`` holds in any of ``roles`` (all roles when None).

    Superusers and administrators are not special-cased by role: an
    administrator role at a province administers that province. Only Django
    superusers see the whole country regardless of assignments.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope(nationwide=False, codes=())
    if user.is_superuser:
        return Scope(nationwide=True, codes=())
    wanted = ALL_ROLES if roles is None else {roles} if isinstance(roles, str) else set(roles)
    # Administrators act on everything in their regions, whatever the role asked.
    wanted = set(wanted) | {Role.ADMINISTRATOR}
    cache = user.__dict__.setdefault("_desk_assignments", None)
    if cache is None:
        cache = list(RoleAssignment.objects.filter(user=user).values_list("role", "region_id"))
        user.__dict__["_desk_assignments"] = cache
    codes = [region for role, region in cache if role in wanted]
    if any(code is None for code in codes):
        return Scope(nationwide=True, codes=())
    return Scope(nationwide=False, codes=_reduce(codes))


def user_roles(user) -> set[str]:
    """The roles a user holds anywhere (for navigation)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(ALL_ROLES)
    scope_for(user)  # fills the per-request cache
    return {role for role, _region in user.__dict__["_desk_assignments"]}


def get_in_scope_or_404(queryset: QuerySet, user, *, roles=None, field: str = "region", **lookup):
    """Fetch one object only if it lies in the user's scope; 404 otherwise."""
    scoped = scope_for(user, roles).filter(queryset, field)
    try:
        return scoped.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def forget(user) -> None:
    """Drop the cached assignments (after they change within a request/test)."""
    user.__dict__.pop("_desk_assignments", None)
