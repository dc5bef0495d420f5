"""The administrators' operations page ("Operasi"): everything that failed
and waits for a person, in one place.

desk/ does not know the apps: each app registers its failure sources here
from its AppConfig.ready() (meetings registers its failed reminder
deliveries), and desk adds the Celery tasks that failed for good.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk.models import FailedTask, Role
from desk.scope import Scope, scope_for
from desk.templatetags.desk import localtime_in

# Rows shown per section: the page is for reading, the admin lists for paging.
LIMIT = 200


@dataclass(frozen=True)
class FailureRow:
    cells: tuple
    url: str | None = None


@dataclass(frozen=True)
class FailureSection:
    title: str
    columns: tuple
    rows: list[FailureRow]
    total: int
    more_url: str | None = None


@dataclass(frozen=True)
class FailureSource:
    """``section(scope)`` answers the failures inside ``scope`` (the
    administrator's regions), newest first, at most LIMIT rows."""

    key: str
    section: Callable[[Scope], FailureSection]


_sources: dict[str, FailureSource] = {}


def register_failure_source(source: FailureSource) -> None:
    _sources[source.key] = source


def failure_sources() -> list[FailureSource]:
    return list(_sources.values())


def failed_task_counts() -> dict:
    """For /healthz?detail=1: tasks that failed for good, in all and in the
    last day (one query)."""
    day_ago = timezone.now() - datetime.timedelta(days=1)
    return FailedTask.objects.aggregate(
        failed=Count("pk"), failed_last_day=Count("pk", filter=Q(failed_at__gte=day_ago))
    )


def failed_tasks_section(scope: Scope) -> FailureSection | None:
    """Tasks belong to no region, and their errors may name anything: only
    nationwide administrators read them."""
    if not scope.nationwide:
        return None
    tasks = FailedTask.objects.all()
    return FailureSection(
        title=_("Tugas latar yang gagal"),
        columns=(_("Gagal pada"), _("Tugas"), _("Argumen"), _("Galat"), _("ID permintaan")),
        rows=[
            FailureRow(
                # No region: shown in the server's zone (WIB), labelled.
                cells=(localtime_in(t.failed_at), t.task_name, t.args, t.error, t.request_id),
                url=reverse("admin:desk_failedtask_change", args=[t.pk]),
            )
            for t in tasks[:LIMIT]
        ],
        total=tasks.count(),
        more_url=reverse("admin:desk_failedtask_changelist"),
    )


def operations_view(request):
    """Wrapped by admin.site.admin_view in desk/urls.py (staff only); each
    section is scoped to the regions the user administers."""
    scope = scope_for(request.user, Role.ADMINISTRATOR)
    sections = [source.section(scope) for source in failure_sources()]
    sections.append(failed_tasks_section(scope))
    return render(
        request,
        "desk/operations.html",
        {
            "title": _("Operasi"),
            "sections": [s for s in sections if s is not None],
            "nationwide": scope.nationwide,
            "empty_scope": scope.is_empty,
        },
    )
