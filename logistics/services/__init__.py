"""Writes of the logistics app, one module per job: distribution updates
(deliveries), desa counts (villages), problems, import jobs (imports). The
functions are named here so callers import them from one place."""

from logistics.services.deliveries import (
    COLUMNS,
    MAX_QUANTITY,
    OPTIONAL_COLUMNS,
    STAGE_WORD,
    STAGE_WORDS,
    VILLAGE_CODE,
    RowError,
    RowsRejected,
    UpdateResult,
    deliveries_apply,
    deliveries_update,
    deliveries_validate,
)
from logistics.services.imports import (
    MAX_LISTED_ERRORS,
    deliveries_import,
    import_create,
    import_run,
)
from logistics.services.problems import PROBLEM_MOVES, problem_report, problem_set_status
from logistics.services.villages import item_refresh_required, villages_set_counts

__all__ = [
    "COLUMNS",
    "MAX_LISTED_ERRORS",
    "MAX_QUANTITY",
    "OPTIONAL_COLUMNS",
    "PROBLEM_MOVES",
    "STAGE_WORD",
    "STAGE_WORDS",
    "VILLAGE_CODE",
    "RowError",
    "RowsRejected",
    "UpdateResult",
    "deliveries_apply",
    "deliveries_import",
    "deliveries_update",
    "deliveries_validate",
    "import_create",
    "import_run",
    "item_refresh_required",
    "problem_report",
    "problem_set_status",
    "villages_set_counts",
]
