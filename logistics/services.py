"""Writes: distribution updates (form, import, API share one path), desa
counts, problems, imports. Every function validates, locks the areas it
touches (logistics.rollups), changes, records history and refreshes rollups in
the caller's transaction."""

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from desk.models import Region, Role
from desk.queue import enqueue
from desk.scope import Scope, scope_for
from logistics import rollups
from logistics.models import (
    Delivery,
    DeliveryEvent,
    ImportJob,
    Item,
    Problem,
    ProblemEvent,
    Reason,
    Stage,
    Village,
    VillageEvent,
    counts_problem,
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


# --- Desa counts -----------------------------------------------------------


def villages_set_counts(
    counts: dict[str, tuple[int, int, int]],
    *,
    user=None,
    source: str = DeliveryEvent.Source.FORM,
) -> int:
    """Set TPS, DPT governor, DPT bupati/wali kota for desa codes, creating
    their logistics rows and recomputing each item's required quantity; each
    desa whose counts change gets a history row. Returns the number of desa
    written."""
    if not counts:
        return 0
    # The contests a desa votes in are checked where counts are typed
    # (counts.update, CountsForm): here only what is impossible anywhere, so
    # counts stored before a round's contests were loaded still refresh.
    problems = [
        f"{code}: {problem}"
        for code, values in counts.items()
        if (problem := counts_problem(*values))
    ]
    if problems:
        raise ValidationError(problems[:20])
    regions = dict(
        Region.objects.filter(code__in=list(counts), level=Region.Level.VILLAGE).values_list(
            "code", "parent_id"
        )
    )
    unknown = sorted(set(counts) - set(regions))
    if unknown:
        raise ValidationError(
            _("Kode desa tidak dikenal: %(codes)s") % {"codes": ", ".join(unknown[:20])}
        )
    items = list(Item.objects.filter(is_active=True))
    districts = set(regions.values())
    with transaction.atomic():
        rollups.lock_areas(districts)
        existing = {v.pk: v for v in Village.objects.filter(pk__in=list(regions))}
        new, changed, events = [], [], []
        now = timezone.now()
        for code, (tps, dpt_g, dpt_l) in counts.items():
            village = existing.get(code)
            before = (village.tps, village.dpt_governor, village.dpt_local) if village else None
            if before != (tps, dpt_g, dpt_l):
                events.append(
                    VillageEvent(
                        village_id=code,
                        at=now,
                        user=user,
                        source=source,
                        tps_before=before[0] if before else None,
                        dpt_governor_before=before[1] if before else None,
                        dpt_local_before=before[2] if before else None,
                        tps_after=tps,
                        dpt_governor_after=dpt_g,
                        dpt_local_after=dpt_l,
                    )
                )
            if village is None:
                new.append(
                    Village(
                        region_id=code,
                        district_id=regions[code],
                        tps=tps,
                        dpt_governor=dpt_g,
                        dpt_local=dpt_l,
                    )
                )
            else:
                village.tps, village.dpt_governor, village.dpt_local = tps, dpt_g, dpt_l
                changed.append(village)
        Village.objects.bulk_create(new, batch_size=2000)
        Village.objects.bulk_update(changed, ["tps", "dpt_governor", "dpt_local"], batch_size=2000)
        VillageEvent.objects.bulk_create(events, batch_size=2000)
        deliveries = {
            (d.village_id, d.item_id): d
            for d in Delivery.objects.filter(village_id__in=list(regions))
        }
        create, update = [], []
        for code, (tps, dpt_g, dpt_l) in counts.items():
            for item in items:
                need = item.required_for(tps=tps, dpt_governor=dpt_g, dpt_local=dpt_l)
                delivery = deliveries.get((code, item.pk))
                if delivery is None:
                    create.append(Delivery(village_id=code, item=item, required=need))
                elif delivery.required != need:
                    delivery.required = need
                    update.append(delivery)
        Delivery.objects.bulk_create(create, batch_size=2000)
        Delivery.objects.bulk_update(update, ["required"], batch_size=2000)
        marks = ", ".join(["%s"] * len(regions))
        rollups.refresh_village_flags(f"village_id IN ({marks})", list(regions), deliveries=True)
        rollups.refresh(districts)
    return len(counts)


def item_refresh_required(item: Item) -> int:
    """After an item's rule changed (admin): recompute its required quantity
    for every desa that has logistics rows."""
    counts = {
        v.pk: (v.tps, v.dpt_governor, v.dpt_local)
        for v in Village.objects.only("tps", "dpt_governor", "dpt_local")
    }
    return villages_set_counts(counts)


# --- Problems --------------------------------------------------------------

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


# --- Imports ---------------------------------------------------------------

MAX_IMPORT_BYTES = getattr(settings, "LOGISTICS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
INLINE_IMPORT_BYTES = getattr(settings, "LOGISTICS_IMPORT_INLINE_BYTES", 256 * 1024)
MAX_LISTED_ERRORS = 5000  # a wholly wrong national file must not make a 50 MB page
HEADER_ALIASES = {"kode": "kode_desa", "desa": "kode_desa", "item": "barang", "stage": "tahap"}
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRejected(ValidationError):
    """The file as a whole cannot be taken: nothing was written. ``reason``
    says why (a code of models.REASONS), in words when read."""

    def __init__(self, code: str, **params):
        self.reason = Reason(code, params)
        super().__init__(format_lazy("{}", self.reason), code=code)


def _check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise FileRejected(
            "file_too_large",
            size=size // (1024 * 1024),
            max=MAX_IMPORT_BYTES // (1024 * 1024),
        )


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the codec it was read with."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    elif data.startswith(UTF16_BOMS):
        # Excel's "Unicode Text": UTF-16 with its byte-order mark.
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise FileRejected("file_encoding") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in Windows-1252.
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise FileRejected("file_encoding") from None


def _column_names(header: Sequence) -> list[str]:
    """A header's cells as column names: trimmed, lower case, aliases resolved."""
    return [
        HEADER_ALIASES.get(n, n)
        for n in (str(h or "").strip().lower().replace(" ", "_") for h in header)
    ]


def _header_map(
    header: Sequence, columns: list[str] = COLUMNS, optional: list[str] = OPTIONAL_COLUMNS
) -> dict[str, int]:
    """Where each expected column is (FileRejected naming those missing)."""
    names = _column_names(header)
    missing = [c for c in columns if c not in names]
    if missing:
        raise FileRejected(
            "file_columns", missing=", ".join(missing), expected=";".join(columns + optional)
        )
    return {name: names.index(name) for name in columns + optional if name in names}


def _rows_from(table: Iterable[Sequence], columns: dict[str, int], first_line: int = 2):
    idx = [columns[c] for c in COLUMNS]
    reason_at = columns.get("alasan")
    width = max(idx) + 1
    for line, cells in enumerate(table, start=first_line):
        if not cells or all(c in (None, "") for c in cells):
            continue
        # An empty XLSX cell (or a formula without a value) reads as None.
        cells = ["" if c is None else c for c in cells]
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        reason = cells[reason_at] if reason_at is not None and reason_at < len(cells) else ""
        yield (line, *(cells[i] for i in idx), reason)


def _csv_open(text: str):
    """The delimiter (the most frequent of ; , tab on the first line), the
    header's cells and a reader of the rows after it."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    delimiter = max([";", ",", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise FileRejected("file_empty")
    return delimiter, header, reader


def open_table(data: bytes, filename: str) -> tuple[Sequence, Iterable[Sequence]]:
    """An uploaded CSV or XLSX as its header's cells and the rows after it;
    FileRejected for a file too large, of another type, or unreadable. The
    distribution import and the TPS/DPT import read files through here."""
    _check_size(len(data))
    name = filename.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            if not zipfile.is_zipfile(io.BytesIO(data)):
                raise ValueError
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            table = _sheet_with_codes(book)
            book.close()
        except Exception:
            raise FileRejected("file_not_xlsx") from None
        return (table[0] if table else []), table[1:]
    if not name.endswith((".csv", ".txt")):
        raise FileRejected("file_type")
    text, _codec = _decode(data)
    _delimiter, header, reader = _csv_open(text)
    return header, _csv_rows(reader)


def _sheet_with_codes(book) -> list[tuple]:
    """The rows of the first sheet whose header has a desa code column (both
    imports have one), else of the first sheet: data on a second sheet, after
    a cover or notes sheet, is found."""
    sheets = [list(ws.iter_rows(values_only=True)) for ws in book.worksheets]
    for table in sheets:
        if table and "kode_desa" in _column_names(table[0]):
            return table
    return sheets[0] if sheets else []


def _csv_rows(reader):
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRejected("file_broken_csv", error=str(exc)) from None


def read_table(data: bytes, filename: str) -> tuple[int, list[tuple]]:
    """The rows of an uploaded CSV or XLSX, as deliveries_validate expects."""
    header, table = open_table(data, filename)
    rows = list(_rows_from(table, _header_map(header)))
    return len(rows), rows


# CSV on PostgreSQL: the file's bytes go into RAW with COPY (FORMAT csv), one
# text column per header cell, and are checked there in SQL by the rules of
# deliveries_validate, into STAGING.
RAW = "lgx_raw"
COPY_DELIMITERS = {";": "';'", ",": "','", "\t": "E'\\t'"}
COPY_ENCODINGS = {"utf-8": "UTF8", "cp1252": "WIN1252"}
# One text column per header cell, and a table has at most 1,600: a sheet
# exported with a long run of empty trailing columns takes the Python path.
MAX_COPY_COLUMNS = 1000
# What str.strip() strips, for btrim(): a code typed with a no-break space
# reads the same in both checks (a test compares this with Python).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
QUOTED_FIELD = re.compile(rb'"(?:[^"]|"")*"')


def _copy_reads_as_python(data: bytes, delimiter: str) -> bool:
    """Whether COPY reads these bytes into the same cells as Python's csv
    module. Where the two disagree COPY mostly fails (a row with more or fewer
    cells than the header, a blank line, a NUL byte, mixed line ends) and the
    caller takes the Python path; two cases it would read silently otherwise
    are caught here: a line ``\\.`` ends COPY's data, and a quote inside an
    unquoted field (``4"2"``) opens a quoted section for COPY but is a plain
    character for Python."""
    if b"\\." in data:
        return False
    total = data.count(b'"')
    if not total:
        return True
    edges = {ord(delimiter), ord("\r"), ord("\n")}
    seen = 0
    # Left to right, each quote opens a quoted field that must start and end
    # at a cell boundary; then both readers agree on every cell.
    for match in QUOTED_FIELD.finditer(data):
        start, end = match.span()
        if (start and data[start - 1] not in edges) or (end < len(data) and data[end] not in edges):
            return False
        seen += data.count(b'"', start, end)
    return seen == total


def _csv_check(cursor, columns: dict[str, int], width: int, scope: Scope) -> tuple[int, set[str]]:
    """Type and check the rows of RAW into STAGING, each with its problems
    (empty when clean): deliveries_validate's rules, reasons and their order,
    the line numbers of read_table. A row's problems are its reasons as JSON
    objects separated by commas (_staged_errors reads them). Returns the
    number of rows and the kecamatan they touch."""
    items = Item.objects.filter(is_active=True).values_list("code", "id")
    params = {
        "ws": WHITESPACE,
        "code_re": f"^{VILLAGE_CODE.pattern}$",
        "number_re": f"^[0-9]{{1,{len(str(MAX_QUANTITY - 1))}}}$",
        # Python looks up the lowercased cell: a code that is not lowercase
        # never matches there, so not here either.
        "items": json.dumps({code: pk for code, pk in items if code == code.strip().lower()}),
        "stages": json.dumps({word: int(stage) for word, stage in STAGE_WORDS.items()}),
    }
    desa, item, stage, sent, received, damaged = (f"c{columns[name]}" for name in COLUMNS)

    def trimmed(raw):
        return f"btrim(coalesce({raw}, ''), %(ws)s)"

    def whole(raw):
        return f"CASE WHEN {trimmed(raw)} ~ %(number_re)s THEN {trimmed(raw)}::integer END"

    def reason_json(name, **values):
        # A Reason as JSON, built only for a bad row (inside its CASE); the
        # values are SQL expressions.
        pairs = ", ".join(f"'{key}', {value}" for key, value in values.items())
        return f"json_build_object('code', '{name}', 'params', json_build_object({pairs}))::text"

    def not_whole(field):
        return reason_json("not_whole", field=f"'{field}'", value=f"coalesce({field}_cell, '')")

    def lookup(words, raw):
        # The cell as it is, else trimmed and lowercased (only rows that need it).
        return f"coalesce({words}::jsonb ->> {raw}, {words}::jsonb ->> lower({trimmed(raw)}))"

    if scope.nationwide:
        in_scope = "TRUE"
    elif scope.codes:
        in_scope = "(village_id LIKE ANY (%(roots)s) OR village_id = ANY (%(codes)s))"
        params["roots"] = [re.sub(r"([\\%_])", r"\\\1", c) + ".%" for c in scope.codes]
        params["codes"] = list(scope.codes)
    else:
        in_scope = "FALSE"
    digits = len(str(MAX_QUANTITY - 1))
    # Nearly every row is clean: one cheap test that the desa code has the
    # shape of VILLAGE_CODE and the three quantities are plain digits; only a
    # row failing it is trimmed and matched with the regular expressions.
    fast = (
        f"{desa} LIKE '__.__.__.____' AND "
        + " AND ".join(
            f"octet_length({c}) BETWEEN 1 AND {digits}" for c in (sent, received, damaged)
        )
        + f" AND translate({desa} || {sent} || {received} || {damaged}, '0123456789', '') = '...'"
    )
    reason = f"c{columns['alasan']}" if "alasan" in columns else "NULL::text"
    item_typed = f"lower({trimmed('item_cell')})"
    not_blank = " OR ".join(f"coalesce(c{i}, '') <> ''" for i in range(width))
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    # OFFSET 0 keeps each level's values computed once per row: without it
    # PostgreSQL would inline them into every expression that uses them.
    cursor.execute(
        f"""
        CREATE TEMP TABLE {STAGING} AS
        SELECT line, village_id, item_id, stage, sent, received, damaged, reason,
               concat_ws(',',
                   CASE WHEN NOT ((fast OR village_id ~ %(code_re)s) AND {in_scope})
                        THEN {reason_json("village_unknown", code="village_id")} END,
                   CASE WHEN item_id IS NULL
                        THEN {reason_json("item_unknown", code=item_typed)} END,
                   CASE WHEN stage IS NULL
                        THEN {reason_json("stage_unknown", value="coalesce(stage_cell, '')")} END,
                   CASE WHEN sent IS NULL THEN {not_whole("sent")} END,
                   CASE WHEN received IS NULL THEN {not_whole("received")} END,
                   CASE WHEN damaged IS NULL THEN {not_whole("damaged")} END,
                   CASE WHEN received > sent AND damaged IS NOT NULL
                        THEN {reason_json("received_gt_sent")} END,
                   CASE WHEN damaged > received AND sent IS NOT NULL
                        THEN {reason_json("damaged_gt_received")} END
               ) AS problems
        FROM (
            SELECT line, fast, item_cell, stage_cell, sent_cell, received_cell, damaged_cell,
                   CASE WHEN fast THEN desa_cell ELSE {trimmed("desa_cell")} END AS village_id,
                   {lookup("%(items)s", "item_cell")}::bigint AS item_id,
                   {lookup("%(stages)s", "stage_cell")}::smallint AS stage,
                   CASE WHEN fast THEN sent_cell::integer ELSE {whole("sent_cell")} END AS sent,
                   CASE WHEN fast THEN received_cell::integer ELSE {whole("received_cell")} END
                       AS received,
                   CASE WHEN fast THEN damaged_cell::integer ELSE {whole("damaged_cell")} END
                       AS damaged,
                   CASE WHEN reason_cell IS NULL THEN ''
                        ELSE left(btrim(reason_cell, %(ws)s), 200) END AS reason
            FROM (
                SELECT line, {desa} AS desa_cell, {item} AS item_cell, {stage} AS stage_cell,
                       {sent} AS sent_cell, {received} AS received_cell,
                       {damaged} AS damaged_cell, {reason} AS reason_cell,
                       coalesce({fast}, FALSE) AS fast
                FROM {RAW} WHERE {not_blank} OFFSET 0
            ) r OFFSET 0
        ) t
        """,
        params,
    )
    total = cursor.rowcount
    cursor.execute(f"ANALYZE {STAGING}")
    # The kecamatan touched, and whether a (desa, item) comes twice: rare,
    # so only then the exact rule (a repeat of an earlier clean row).
    cursor.execute(
        f"""
        SELECT substr(village_id, 1, 8), COUNT(*) > COUNT(DISTINCT (village_id, item_id))
        FROM {STAGING} WHERE item_id IS NOT NULL GROUP BY 1
        """
    )
    touched = cursor.fetchall()
    if any(repeated for _district, repeated in touched):
        cursor.execute(
            f"""
            UPDATE {STAGING} s SET problems = concat_ws(',', NULLIF(s.problems, ''), %s)
            FROM (SELECT line, MIN(line) FILTER (WHERE problems = '')
                                  OVER (PARTITION BY village_id, item_id) AS first_clean
                  FROM {STAGING}) f
            WHERE f.line = s.line AND s.line > f.first_clean
            """,
            [json.dumps(Reason("repeated_item").as_dict())],
        )
    return total, {district for district, _repeated in touched}


def _csv_stage(data: bytes, *, scope: Scope) -> tuple[int, list[RowError], set[str]] | None:
    """PostgreSQL: read a CSV file with COPY and check every row in SQL into
    STAGING. Returns the number of rows, every bad row and the kecamatan
    touched; None when COPY may read the file differently from Python's csv
    module. Call inside a transaction."""
    import psycopg

    _check_size(len(data))
    text, codec = _decode(data)
    delimiter, header, _reader = _csv_open(text)
    columns = _header_map(header)
    body = data[len(BOM) :] if data.startswith(BOM) else data
    if (
        codec not in COPY_ENCODINGS  # UTF-16: COPY does not read it
        or len(header) > MAX_COPY_COLUMNS
        or not _copy_reads_as_python(body, delimiter)
    ):
        return None
    cells = [f"c{i}" for i in range(len(header))]
    with connection.cursor() as cursor:
        _bulk_settings(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {RAW}")
        cursor.execute(
            f"CREATE TEMP TABLE {RAW} (line integer GENERATED ALWAYS AS IDENTITY (START 2), "
            + ", ".join(f"{c} text" for c in cells)
            + ")"
        )
        copy_sql = (
            f"COPY {RAW} ({', '.join(cells)}) FROM STDIN (FORMAT csv, HEADER true, "
            f"DELIMITER {COPY_DELIMITERS[delimiter]}, ENCODING '{COPY_ENCODINGS[codec]}')"
        )
        try:
            with transaction.atomic(), cursor.connection.cursor().copy(copy_sql) as copy:
                copy.write(body)
        except psycopg.errors.DataError:
            # Rows of another width than the header, a blank line, a NUL…:
            # Python's reader says what is wrong, as it always did.
            cursor.execute(f"DROP TABLE {RAW}")
            return None
        total, districts = _csv_check(cursor, columns, len(cells), scope)
        cursor.execute(f"DROP TABLE {RAW}")
        cursor.execute(f"SELECT line, problems FROM {STAGING} WHERE problems <> '' ORDER BY line")
        errors = [
            RowError(line, [Reason(r["code"], r["params"]) for r in json.loads(f"[{problems}]")])
            for line, problems in cursor.fetchall()
        ]
    return total, errors, districts


def deliveries_import(
    data: bytes,
    filename: str,
    *,
    user,
    scope: Scope,
    job: ImportJob | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> UpdateResult:
    """Check and apply an uploaded file's rows, all or nothing (FileRejected,
    RowsRejected). On PostgreSQL a CSV file goes from its bytes into a
    temporary table by COPY and is checked there in SQL; XLSX, SQLite and CSV
    that COPY could read differently take the Python path (read_table,
    deliveries_update). Both give the same rows, messages and line numbers."""
    source = DeliveryEvent.Source.IMPORT
    staged = None
    if connection.vendor == "postgresql" and filename.lower().endswith((".csv", ".txt")):
        # Checked in a transaction of its own, before any lock is taken;
        # STAGING outlives it, in this session, until applied or dropped.
        with transaction.atomic():
            staged = _csv_stage(data, scope=scope)
    if staged is None:
        total, rows = read_table(data, filename)
        if not total:
            raise FileRejected("file_no_rows")
        if on_total:
            on_total(total)
        return deliveries_update(
            rows, user=user, scope=scope, source=source, job=job, on_progress=on_progress
        )
    total, errors, districts = staged
    try:
        if not total:
            raise FileRejected("file_no_rows")
        if on_total:
            on_total(total)
        if errors:
            with connection.cursor() as cursor:
                raise RowsRejected(_with_state_errors(errors, cursor))
        if on_progress:
            on_progress(total)
        result = UpdateResult(rows=total, districts=districts)
        if total:
            with transaction.atomic(), connection.cursor() as cursor:
                result.changed = _apply_staged(cursor, districts, user=user, source=source, job=job)
        return result
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


def import_create(*, user, upload) -> ImportJob:
    """Store an uploaded file and queue or run its import."""
    _check_size(upload.size)
    if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
        raise FileRejected("file_type")
    job = ImportJob(created_by=user, filename=upload.name[:200])
    job.file.save(upload.name, upload, save=False)
    job.save()
    from logistics import tasks

    if upload.size > INLINE_IMPORT_BYTES:
        # No beat entry picks up a job never queued: it ends failed, and the
        # page asks for the upload again.
        enqueue(
            tasks.run_import,
            job.pk,
            notice=_("Layanan antrean sedang tidak tersedia; impor belum dapat dijalankan."),
            on_failure=lambda: tasks.import_mark_failed(job.pk),
        )
    else:
        import_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def import_run(*, job_id: int) -> ImportJob:
    """Read, check (progress saved as it goes), then apply all or nothing."""

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING):
        return job
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])

    def counted(total):
        job.total_rows = total
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total)

    def progress(n):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=n)

    try:
        with job.file.open("rb") as fh:
            data = fh.read()
        result = deliveries_import(
            data,
            job.filename,
            user=job.created_by,
            scope=scope_for(job.created_by, [Role.LOGISTICS_OFFICER]),
            job=job,
            on_total=counted,
            on_progress=progress,
        )
    # Codes and parameters, never text: put into words when the job is shown,
    # in the reader's language (ImportJob.error_rows).
    except RowsRejected as exc:
        job.status = ImportJob.Status.REJECTED
        job.errors = [e for row in exc.rows[:MAX_LISTED_ERRORS] for e in row.as_dicts()]
        if len(exc.rows) > MAX_LISTED_ERRORS:
            more = Reason("more_rows", {"n": len(exc.rows) - MAX_LISTED_ERRORS})
            job.errors.append({"line": 0, **more.as_dict()})
    except FileRejected as exc:
        job.status = ImportJob.Status.REJECTED
        job.errors = [{"line": 0, **exc.reason.as_dict()}]
    else:
        job.status = ImportJob.Status.DONE
        job.changed_rows = result.changed
        job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "changed_rows", "processed_rows", "finished_at"])
    return job
