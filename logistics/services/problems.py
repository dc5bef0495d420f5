"""Logistics problems: reported, handled, resolved (or reopened), each move
an event, the open count kept in the rollups."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.models import Region
from logistics import rollups
from logistics.models import (
    Item,
    Problem,
    ProblemEvent,
)

PROBLEM_MOVES = {
    Problem.Status.OPEN: {Problem.Status.HANDLED, Problem.Status.RESOLVED},
    Problem.Status.HANDLED: {Problem.Status.RESOLVED, Problem.Status.OPEN},
    Problem.Status.RESOLVED: {Problem.Status.OPEN},
}


def problem_report(
    *,
    user,
    region: Region,
    kind: str,
    description: str,
    item: Item | None = None,
    quantity: int | None = None,
) -> Problem:
    with transaction.atomic():
        # A desa's problem locks its kecamatan and above; a kabupaten's, itself and above.
        rollups.lock_areas([rollups.district_of(region.code)])
        problem = Problem(
            region=region,
            item=item,
            kind=kind,
            quantity=quantity,
            description=description,
            reported_by=user,
        )
        problem.full_clean()
        problem.save()
        ProblemEvent.objects.create(problem=problem, user=user, status_after=problem.status)
        rollups.bump_open_problems(region, +1)
    return problem


def problem_set_status(*, problem: Problem, user, status: str, note: str = "") -> Problem:
    """open → handled → resolved (or back to open); resolving needs the
    resolution text."""
    with transaction.atomic():
        rollups.lock_areas([rollups.district_of(problem.region.code)])
        problem = Problem.objects.select_for_update().select_related("region").get(pk=problem.pk)
        if status not in PROBLEM_MOVES.get(problem.status, set()):
            raise ValidationError(
                {
                    "status": _("Status tidak dapat diubah dari %(from)s ke %(to)s.")
                    % {
                        "from": problem.get_status_display(),
                        "to": Problem.Status(status).label if status in Problem.Status else status,
                    }
                }
            )
        if status == Problem.Status.RESOLVED:
            if not note.strip():
                raise ValidationError({"note": _("Tuliskan penyelesaiannya.")})
            problem.resolution = note.strip()
            problem.resolved_at = timezone.now()
        elif problem.status == Problem.Status.RESOLVED:
            problem.resolved_at = None
        before = problem.status
        problem.status = status
        problem.save()
        ProblemEvent.objects.create(
            problem=problem, user=user, status_before=before, status_after=status, note=note
        )
        was_open = before != Problem.Status.RESOLVED
        is_open = status != Problem.Status.RESOLVED
        if was_open != is_open:
            rollups.bump_open_problems(problem.region, +1 if is_open else -1)
    return problem
