"""TPS and DPT of many desa at once: a CSV/XLSX upload or the API, checked
row by row, all or nothing, through services.villages_set_counts (which
recomputes what each desa needs and writes the history)."""

import re
from collections.abc import Iterable, Sequence

from desk.models import Region
from desk.scope import Scope
from logistics import services
from logistics.importing import files
from logistics.models import Reason, contests_held, counts_problem
from logistics.services.deliveries import _whole

COLUMNS = ["kode_desa", "tps", "dpt_gubernur", "dpt_bupati"]
MAX_ROWS = 10_000  # the most desa of any province (Jawa Timur) is 8,494
VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def read(data: bytes, filename: str) -> list[tuple]:
    """(line, kode_desa, tps, dpt_gubernur, dpt_bupati) rows of a CSV or XLSX."""
    header, table = files.open_table(data, filename, max_rows=MAX_ROWS)
    where = files.header_map(header, COLUMNS, [])
    at = [where[c] for c in COLUMNS]
    rows = []
    for line, cells in enumerate(table, start=2):
        if not cells or all(c in (None, "") for c in cells):
            continue
        cells = list(cells) + [""] * (max(at) + 1 - len(cells))
        rows.append((line, *(cells[i] for i in at)))
    if not rows:
        raise files.FileRejected("file_no_rows")
    return rows


def update(rows: Iterable[Sequence], *, user, scope: Scope, source: str) -> int:
    """Check every row (code known and in scope, whole numbers, plausible
    counts, no desa twice), then write all of them or none: RowsRejected
    lists every bad row."""
    rows = list(rows)
    codes = {str(r[1] or "").strip() for r in rows}
    known = set(
        Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list(
            "code", flat=True
        )
    )
    held = contests_held(known)
    counts, errors = {}, []
    for line, code, *values in rows:
        code = str(code or "").strip()
        problems = []
        if not VILLAGE_CODE.fullmatch(code) or code not in known or not scope.contains(code):
            problems.append(Reason("village_unknown", {"code": code}))
        numbers = [_whole(v) for v in values]
        for column, value, number in zip(COLUMNS[1:], values, numbers, strict=True):
            if number is None:
                problems.append(Reason("not_whole", {"field": column, "value": str(value)}))
        if None not in numbers and (problem := counts_problem(*numbers, held.get(code))):
            problems.append(problem)
        if code in counts:
            problems.append(Reason("repeated_village"))
        if problems:
            errors.append(services.RowError(line, problems))
        else:
            counts[code] = tuple(numbers)
    if errors:
        raise services.RowsRejected(errors)
    return services.villages_set_counts(counts, user=user, source=source)
