"""Distribution updates: the form, an import and the API share this one path.
Rows are validated, then staged in a temporary table and written all or
nothing, locking the areas they touch (logistics.rollups), recording history
and refreshing rollups in the caller's transaction."""

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from desk.scope import Scope
from logistics import rollups
from logistics.models import (
    ImportJob,
    Item,
    Reason,
    Stage,
)

# ASCII digits only: the SQL check of CSV imports reads codes the same way.
VILLAGE_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}")
# The word an export writes for each stage (one the import reads back).
STAGE_WORD = {
    Stage.NONE: "belum",
    Stage.WAREHOUSE: "gudang",
    Stage.PPK: "ppk",
    Stage.PPS: "pps",
    Stage.KPPS: "kpps",
}
STAGE_WORDS = {
    "0": Stage.NONE,
    "belum": Stage.NONE,
    "1": Stage.WAREHOUSE,
    "gudang": Stage.WAREHOUSE,
    "kpu": Stage.WAREHOUSE,
    "2": Stage.PPK,
    "ppk": Stage.PPK,
    "3": Stage.PPS,
    "pps": Stage.PPS,
    "4": Stage.KPPS,
    "kpps": Stage.KPPS,
    "tps": Stage.KPPS,
}
COLUMNS = ["kode_desa", "barang", "tahap", "dikirim", "diterima", "rusak"]
OPTIONAL_COLUMNS = ["alasan"]
MAX_QUANTITY = 10**8  # no desa needs a hundred million of anything
PROGRESS_EVERY = 20_000


@dataclass
class RowError:
    """A bad row: its line in the file (its index in an API list) and why."""

    line: int
    reasons: list[Reason]

    @property
    def message(self) -> str:
        """The reasons in words, in the active language."""
        return "; ".join(str(reason) for reason in self.reasons)

    def __str__(self):
        return self.message

    def as_dicts(self) -> list[dict]:
        """One {"line", "code", "params"} per reason, as import jobs store them."""
        return [{"line": self.line, **reason.as_dict()} for reason in self.reasons]


class RowsRejected(ValidationError):
    """Some rows are bad: nothing was written. ``rows`` lists every bad row."""

    def __init__(self, rows: list[RowError]):
        self.rows = rows
        # Lazy: in words in the language of whoever reads them.
        super().__init__(
            [format_lazy("{} {}: {}", gettext_lazy("Baris"), r.line, r) for r in rows[:200]]
        )


@dataclass
class UpdateResult:
    rows: int = 0
    changed: int = 0
    districts: set[str] = field(default_factory=set)


def _whole(value) -> int | None:
    """A whole number ≥ 0 from a CSV cell, an XLSX cell or JSON; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < MAX_QUANTITY else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 0 <= value < MAX_QUANTITY else None
    text = str(value).strip() if value is not None else ""
    if text.isascii() and text.isdigit() and len(text) <= 8:
        return int(text)
    return None


def deliveries_validate(
    rows: Iterable[Sequence],
    *,
    scope: Scope,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[list[tuple], list[RowError], set[str]]:
    """Check each row on its own: (line, kode_desa, barang, tahap, dikirim,
    diterima, rusak, alasan). Returns the clean rows, every error, and the
    kecamatan touched. What needs the database is checked in the apply step.
    CSV imports on PostgreSQL run the same checks in SQL (_csv_check)."""
    items = dict(Item.objects.filter(is_active=True).values_list("code", "id"))
    roots = None if scope.nationwide else tuple(c + "." for c in scope.codes)
    clean, errors, districts, seen = [], [], set(), set()
    count = 0
    for count, row in enumerate(rows, start=1):
        if on_progress and count % PROGRESS_EVERY == 0:
            on_progress(count)
        line, desa, item, stage, sent, received, damaged, reason = row
        desa = str(desa or "").strip()
        problems = []
        if not VILLAGE_CODE.fullmatch(desa) or (
            roots is not None and not desa.startswith(roots) and desa not in scope.codes
        ):
            problems.append(Reason("village_unknown", {"code": desa}))
        item_code = str(item or "").strip().lower()
        item_id = items.get(item_code)
        if item_id is None:
            problems.append(Reason("item_unknown", {"code": item_code}))
        stage_value = STAGE_WORDS.get(str(stage if stage is not None else "").strip().lower())
        if isinstance(stage, float) and stage.is_integer():
            stage_value = STAGE_WORDS.get(str(int(stage)))
        if stage_value is None:
            problems.append(Reason("stage_unknown", {"value": str(stage)}))
        numbers = {}
        for key, value in (("sent", sent), ("received", received), ("damaged", damaged)):
            number = _whole(value)
            if number is None:
                problems.append(Reason("not_whole", {"field": key, "value": str(value)}))
            numbers[key] = number
        if None not in numbers.values():
            if numbers["received"] > numbers["sent"]:
                problems.append(Reason("received_gt_sent"))
            if numbers["damaged"] > numbers["received"]:
                problems.append(Reason("damaged_gt_received"))
        if (desa, item_id) in seen:
            problems.append(Reason("repeated_item"))
        if problems:
            errors.append(RowError(line, problems))
            continue
        seen.add((desa, item_id))
        districts.add(desa[:8])
        clean.append(
            (
                line,
                desa,
                item_id,
                int(stage_value),
                numbers["sent"],
                numbers["received"],
                numbers["damaged"],
                str(reason or "").replace("\x00", "").strip()[:200],
            )
        )
    if on_progress:
        on_progress(count)
    return clean, errors, districts


# Temporary tables of one update, in the session of the writer: the checked
# rows; what the write leaves for the rollups (per kecamatan and item, the
# change of each sum; the desa whose completeness may have flipped).
STAGING = "lgx_stage"
ITEM_DELTAS = "lgx_item_delta"
FLIPPED = "lgx_flipped"
# A replay: a row for an earlier stage, without a reason, exactly as that
# stage was once recorded (a KPU system re-sending or sending out of order).
# It changes nothing and is no error: updates are idempotent per
# (desa, item, stage). Only rows moving back look at the history.
REPLAY = """(s.stage < d.stage AND s.reason = '' AND EXISTS (
    SELECT 1 FROM logistics_deliveryevent e WHERE e.delivery_id = d.id
       AND e.stage_after = s.stage AND e.sent_after = s.sent
       AND e.received_after = s.received AND e.damaged_after = s.damaged))"""
CHANGED = (
    "((d.stage <> s.stage OR d.sent <> s.sent OR d.received <> s.received"
    f" OR d.damaged <> s.damaged) AND NOT {REPLAY})"
)


def _bulk_settings(cursor) -> None:
    # A national file joins 837,620 rows with as many and keeps the changed
    # ones for the history and the rollups: with the default 4 MB that spills
    # to disk (the write took 40 % longer). Local to the transaction.
    cursor.execute("SET LOCAL work_mem = '128MB'")


def _stage_rows(cursor, clean: list[tuple]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGING} (line integer, village_id varchar(13), item_id bigint, "
        "stage smallint, sent integer, received integer, damaged integer, reason varchar(200))"
    )
    if connection.vendor == "postgresql":
        # COPY: the bulk path; codes and numbers are validated, so only the
        # free-text reason needs escaping.
        buffer = io.StringIO()
        for row in clean:
            reason = row[7]
            if reason:
                reason = (
                    reason.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
                ).replace("\r", " ")
            buffer.write(
                f"{row[0]}\t{row[1]}\t{row[2]}\t{row[3]}\t{row[4]}\t{row[5]}\t{row[6]}\t{reason}\n"
            )
        with cursor.connection.cursor().copy(f"COPY {STAGING} FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(f"ANALYZE {STAGING}")
    else:
        cursor.executemany(f"INSERT INTO {STAGING} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", clean)


# What can be wrong with a checked row given the current state (read under
# the area locks), a code of models.REASONS: no such (desa, item), the stage
# moving back without a reason, an implausible quantity sent. NULL when none.
STATE_PROBLEM = f"""CASE WHEN d.id IS NULL THEN 'village_not_ready'
                        WHEN s.stage < d.stage AND s.reason = '' AND NOT {REPLAY}
                        THEN 'stage_backward'
                        WHEN s.sent > 2 * d.required AND s.sent > d.required + 100
                        THEN 'sent_implausible' END"""


def _state_problems(bad: list[tuple[int, str]]) -> RowsRejected:
    return RowsRejected([RowError(line, [Reason(code)]) for line, code in bad])


def _state_errors(cursor) -> list[RowError]:
    """The state problems of the rows in STAGING, read without locks: listed
    beside the other rows' own errors, so that one pass names every bad row
    (the write step checks them again under the locks)."""
    cursor.execute(
        f"""
        SELECT s.line, {STATE_PROBLEM} AS bad
        FROM {STAGING} s
        LEFT JOIN logistics_delivery d
               ON d.village_id = s.village_id AND d.item_id = s.item_id
        WHERE {STATE_PROBLEM} IS NOT NULL
        ORDER BY s.line
        """
    )
    return _state_problems(cursor.fetchall()).rows


def _with_state_errors(errors: list[RowError], cursor) -> list[RowError]:
    """The rows' own errors plus the state problems of the other rows."""
    lines = {e.line for e in errors}
    more = [e for e in _state_errors(cursor) if e.line not in lines]
    return sorted(errors + more, key=lambda e: e.line)


def _write_staged(cursor, params: dict) -> int:
    """PostgreSQL, one statement: join the staged rows to the delivery rows
    once; if any row is wrong for the current state, change nothing and
    report it (RowsRejected); else update every changed delivery, write its
    history row and leave the rollup changes in ITEM_DELTAS and FLIPPED.
    RETURNING gives the new values, so the old ones come from the join (read
    under the area locks: no other writer changes these rows)."""
    for table, columns in (
        (
            ITEM_DELTAS,
            "region_id varchar(13), item_id bigint, sent bigint, received bigint, "
            "damaged bigint, desa_complete integer",
        ),
        (FLIPPED, "village_id varchar(13)"),
    ):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMP TABLE {table} ({columns})")
    cursor.execute(
        f"""
        WITH x AS MATERIALIZED (
            SELECT s.line, d.id, d.village_id, d.item_id, d.required,
                   d.stage AS stage_before, d.sent AS sent_before,
                   d.received AS received_before, d.damaged AS damaged_before,
                   d.complete AS complete_before,
                   s.stage, s.sent, s.received, s.damaged, s.reason, {STATE_PROBLEM} AS bad
            FROM {STAGING} s LEFT JOIN logistics_delivery d
                 ON d.village_id = s.village_id AND d.item_id = s.item_id
            WHERE {CHANGED} OR {STATE_PROBLEM} IS NOT NULL
        ), changed AS (
            UPDATE logistics_delivery d SET stage = x.stage, sent = x.sent,
                received = x.received, damaged = x.damaged, updated_at = %(now)s,
                updated_by_id = %(user)s,
                complete = (x.required = 0 OR
                    (x.stage = 4 AND x.received - x.damaged >= x.required))
            FROM x
            WHERE d.id = x.id AND NOT EXISTS (SELECT FROM x WHERE bad IS NOT NULL)
            RETURNING x.*, d.complete AS complete_after
        ), history AS (
            INSERT INTO logistics_deliveryevent
                (delivery_id, at, user_id, source, job_id, stage_before, stage_after,
                 sent_before, sent_after, received_before, received_after,
                 damaged_before, damaged_after, reason)
            SELECT id, %(now)s, %(user)s, %(source)s, %(job)s, stage_before, stage,
                   sent_before, sent, received_before, received, damaged_before, damaged,
                   reason
            FROM changed
        ), item_deltas AS (
            INSERT INTO {ITEM_DELTAS}
            SELECT substr(village_id, 1, 8), item_id, SUM(sent - sent_before),
                   SUM(received - received_before), SUM(damaged - damaged_before),
                   SUM(complete_after::integer - complete_before::integer)
            FROM changed GROUP BY 1, 2
        ), flipped AS (
            INSERT INTO {FLIPPED}
            SELECT DISTINCT village_id FROM changed WHERE complete_after <> complete_before
        )
        SELECT (SELECT COUNT(*) FROM changed),
               (SELECT array_agg(ARRAY[line::text, bad] ORDER BY line)
                FROM x WHERE bad IS NOT NULL)
        """,
        params,
    )
    changed, bad = cursor.fetchone()
    if bad:
        raise _state_problems([(int(line), code) for line, code in bad])
    return changed


def _write_staged_portable(cursor, params: dict) -> int:
    """SQLite (embedded mode): the same checks, then history INSERT … SELECT
    and UPDATE … FROM."""
    bad = _state_errors(cursor)
    if bad:
        raise RowsRejected(bad)
    cursor.execute(
        f"""
        INSERT INTO logistics_deliveryevent
            (delivery_id, at, user_id, source, job_id, stage_before, stage_after,
             sent_before, sent_after, received_before, received_after,
             damaged_before, damaged_after, reason)
        SELECT d.id, %(now)s, %(user)s, %(source)s, %(job)s, d.stage, s.stage, d.sent, s.sent,
               d.received, s.received, d.damaged, s.damaged, s.reason
        FROM {STAGING} s JOIN logistics_delivery d
             ON d.village_id = s.village_id AND d.item_id = s.item_id
        WHERE {CHANGED}
        """,
        params,
    )
    changed = cursor.rowcount
    cursor.execute(
        f"""
        UPDATE logistics_delivery SET stage = s.stage, sent = s.sent,
            received = s.received, damaged = s.damaged, updated_at = %(now)s,
            updated_by_id = %(user)s,
            complete = (logistics_delivery.required = 0 OR
                (s.stage = 4 AND s.received - s.damaged >= logistics_delivery.required))
        FROM {STAGING} s
        WHERE logistics_delivery.village_id = s.village_id
          AND logistics_delivery.item_id = s.item_id
          AND {CHANGED.replace("d.", "logistics_delivery.")}
        """,
        params,
    )
    return changed


def _apply_staged(cursor, districts: set[str], *, user, source: str, job) -> int:
    """Write the rows of STAGING, checked on their own: under the area locks,
    checks against the current state, then one history row and one update per
    changed (desa, item), then desa flags and rollups. Returns the number
    changed; raises RowsRejected. Call inside a transaction."""
    rollups.lock_areas(districts)
    params = {
        "now": timezone.now(),
        "user": getattr(user, "pk", None),
        "source": source,
        "job": job.pk if job else None,
    }
    if connection.vendor == "postgresql":
        _bulk_settings(cursor)
        changed = _write_staged(cursor, params)
        if changed:
            rollups.refresh_village_flags(
                f"village_id IN (SELECT village_id FROM {FLIPPED})", [], deliveries=False
            )
            rollups.refresh(districts, item_deltas=ITEM_DELTAS)
        cursor.execute(f"DROP TABLE {ITEM_DELTAS}, {FLIPPED}")
    else:
        changed = _write_staged_portable(cursor, params)
        if changed:
            rollups.refresh_village_flags(
                f"village_id IN (SELECT village_id FROM {STAGING})", [], deliveries=False
            )
            rollups.refresh(districts)
    cursor.execute(f"DROP TABLE {STAGING}")
    return changed


def deliveries_apply(
    clean: list[tuple],
    districts: set[str],
    *,
    user,
    source: str,
    job: ImportJob | None = None,
) -> UpdateResult:
    """Write validated rows (deliveries_validate), all or nothing: raises
    RowsRejected."""
    result = UpdateResult(rows=len(clean), districts=districts)
    if not clean:
        return result
    with transaction.atomic(), connection.cursor() as cursor:
        _stage_rows(cursor, clean)
        result.changed = _apply_staged(cursor, districts, user=user, source=source, job=job)
    return result


def deliveries_update(
    rows: Iterable[Sequence],
    *,
    user,
    scope: Scope,
    source: str,
    job: ImportJob | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> UpdateResult:
    """Validate every row, then apply all of them or none (RowsRejected)."""
    clean, errors, districts = deliveries_validate(rows, scope=scope, on_progress=on_progress)
    if errors:
        if clean:
            with connection.cursor() as cursor:
                _stage_rows(cursor, clean)
                errors = _with_state_errors(errors, cursor)
                cursor.execute(f"DROP TABLE {STAGING}")
        raise RowsRejected(errors)
    return deliveries_apply(clean, districts, user=user, source=source, job=job)
