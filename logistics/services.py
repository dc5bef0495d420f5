"""Writes: distribution updates (form, import, API share one path), desa
counts, problems, imports. Every function validates, locks the areas it
touches (logistics.rollups), changes, records history and refreshes rollups in
the caller's transaction."""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from desk.models import Region, Role
from desk.scope import Scope, scope_for
from logistics import rollups
from logistics.models import (
    Delivery,
    DeliveryEvent,
    ImportJob,
    Item,
    Problem,
    ProblemEvent,
    Stage,
    Village,
)

VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")
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
    line: int
    message: str

    def as_dict(self):
        return {"line": self.line, "message": str(self.message)}


class RowsRejected(ValidationError):
    """Some rows are bad: nothing was written. ``rows`` lists every bad row."""

    def __init__(self, rows: list[RowError]):
        self.rows = rows
        super().__init__([f"{_('Baris')} {r.line}: {r.message}" for r in rows[:200]])


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
    kecamatan touched. What needs the database is checked in the apply step."""
    items = dict(Item.objects.filter(is_active=True).values_list("code", "id"))
    roots = None if scope.nationwide else tuple(c + "." for c in scope.codes)
    clean, errors, districts, seen = [], [], set(), set()
    labels = {
        "sent": _("dikirim"),
        "received": _("diterima"),
        "damaged": _("rusak"),
    }
    not_whole = _("%(field)s «%(value)s» harus bilangan bulat nol atau lebih")
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
            problems.append(
                _("kode desa «%(code)s» tidak dikenal atau di luar wilayah Anda") % {"code": desa}
            )
        item_code = str(item or "").strip().lower()
        item_id = items.get(item_code)
        if item_id is None:
            problems.append(_("barang «%(code)s» tidak dikenal") % {"code": item_code})
        stage_value = STAGE_WORDS.get(str(stage if stage is not None else "").strip().lower())
        if isinstance(stage, float) and stage.is_integer():
            stage_value = STAGE_WORDS.get(str(int(stage)))
        if stage_value is None:
            problems.append(
                _("tahap «%(value)s» tidak dikenal (0–4, gudang, ppk, pps, kpps)")
                % {"value": stage}
            )
        numbers = {}
        for key, value in (("sent", sent), ("received", received), ("damaged", damaged)):
            number = _whole(value)
            if number is None:
                problems.append(not_whole % {"field": labels[key], "value": value})
            numbers[key] = number
        if None not in numbers.values():
            if numbers["received"] > numbers["sent"]:
                problems.append(_("diterima melebihi dikirim"))
            if numbers["damaged"] > numbers["received"]:
                problems.append(_("rusak melebihi diterima"))
        if (desa, item_id) in seen:
            problems.append(_("desa dan barang ini sudah ada di baris lain berkas ini"))
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
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
                str(reason or "").strip()[:200],
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
CHANGED = (
    "(d.stage <> s.stage OR d.sent <> s.sent OR d.received <> s.received OR d.damaged <> s.damaged)"
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
# the area locks): no such (desa, item), the stage moving back without a
# reason, an implausible quantity sent. NULL when none.
STATE_PROBLEM = """CASE WHEN d.id IS NULL THEN 'unknown'
                        WHEN s.stage < d.stage AND s.reason = '' THEN 'backward'
                        WHEN s.sent > 2 * d.required AND s.sent > d.required + 100
                        THEN 'implausible' END"""


def _state_problems(bad: list[tuple[int, str]]) -> RowsRejected:
    messages = {
        "unknown": _("kode desa tidak dikenal, belum disiapkan, atau di luar wilayah Anda"),
        "backward": _("tahap mundur; isi kolom alasan untuk koreksi"),
        "implausible": _("jumlah dikirim tidak wajar (lebih dari dua kali kebutuhan)"),
    }
    return RowsRejected([RowError(line, messages[code]) for line, code in bad])


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
    bad = cursor.fetchall()
    if bad:
        raise _state_problems(bad)
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
        raise RowsRejected(errors)
    return deliveries_apply(clean, districts, user=user, source=source, job=job)


# --- Desa counts -----------------------------------------------------------


def villages_set_counts(counts: dict[str, tuple[int, int, int]]) -> int:
    """Set TPS, DPT governor, DPT bupati/wali kota for desa codes, creating
    their logistics rows and recomputing each item's required quantity.
    Returns the number of desa written."""
    if not counts:
        return 0
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
        new, changed = [], []
        for code, (tps, dpt_g, dpt_l) in counts.items():
            village = existing.get(code)
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


class FileRejected(ValidationError):
    pass


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in Windows-1252.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileRejected(
            _("Pengodean berkas tidak dikenali; simpan sebagai CSV UTF-8.")
        ) from None


def _header_map(header: Sequence) -> dict[str, int]:
    names = [
        HEADER_ALIASES.get(n, n)
        for n in (str(h or "").strip().lower().replace(" ", "_") for h in header)
    ]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise FileRejected(
            _("Kolom tidak sesuai: tidak ada %(missing)s. Baris pertama harus: %(expected)s.")
            % {"missing": ", ".join(missing), "expected": ";".join(COLUMNS + OPTIONAL_COLUMNS)}
        )
    return {name: names.index(name) for name in COLUMNS + OPTIONAL_COLUMNS if name in names}


def _rows_from(table: Iterable[Sequence], columns: dict[str, int], first_line: int = 2):
    idx = [columns[c] for c in COLUMNS]
    reason_at = columns.get("alasan")
    width = max(idx) + 1
    for line, cells in enumerate(table, start=first_line):
        if not cells or all(c in (None, "") for c in cells):
            continue
        if len(cells) < width:
            cells = list(cells) + [""] * (width - len(cells))
        reason = cells[reason_at] if reason_at is not None and reason_at < len(cells) else ""
        yield (line, *(cells[i] for i in idx), reason)


def read_table(data: bytes, filename: str) -> tuple[int, list[tuple]]:
    """The rows of an uploaded CSV or XLSX, as deliveries_validate expects."""
    if len(data) > MAX_IMPORT_BYTES:
        raise FileRejected(
            _("Berkas terlalu besar (%(size)d MB); batasnya %(max)d MB. Bagi per kabupaten.")
            % {"size": len(data) // (1024 * 1024), "max": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    name = filename.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            if not zipfile.is_zipfile(io.BytesIO(data)):
                raise ValueError
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            table = sheet.iter_rows(values_only=True)
            header = next(table, None) or []
            columns = _header_map(header)
            rows = list(_rows_from(table, columns))
            book.close()
        except FileRejected:
            raise
        except Exception:
            raise FileRejected(
                _("Berkas ini bukan XLSX yang sah. Simpan ulang dari Excel (.xlsx atau .csv).")
            ) from None
        return len(rows), rows
    if not name.endswith((".csv", ".txt")):
        raise FileRejected(_("Jenis berkas tidak didukung: unggah .csv atau .xlsx."))
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max([";", ",", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise FileRejected(_("Berkas kosong."))
    columns = _header_map(header)
    try:
        rows = list(_rows_from(reader, columns))
    except csv.Error as exc:
        raise FileRejected(_("CSV rusak: %(error)s") % {"error": exc}) from None
    return len(rows), rows


def import_create(*, user, upload) -> ImportJob:
    """Store an uploaded file and queue or run its import."""
    if upload.size > MAX_IMPORT_BYTES:
        raise FileRejected(
            _("Berkas terlalu besar (%(size)d MB); batasnya %(max)d MB. Bagi per kabupaten.")
            % {"size": upload.size // (1024 * 1024), "max": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
        raise FileRejected(_("Jenis berkas tidak didukung: unggah .csv atau .xlsx."))
    job = ImportJob(created_by=user, filename=upload.name[:200])
    job.file.save(upload.name, upload, save=False)
    job.save()
    from logistics import tasks

    if upload.size > INLINE_IMPORT_BYTES:
        transaction.on_commit(lambda: tasks.run_import.delay(job.pk))
    else:
        import_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def import_run(*, job_id: int) -> ImportJob:
    """Parse, validate (progress saved as it goes), then apply all or nothing."""

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING):
        return job
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    try:
        with job.file.open("rb") as fh:
            data = fh.read()
        total, rows = read_table(data, job.filename)
        job.total_rows = total
        job.save(update_fields=["total_rows"])

        def progress(n):
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=n)

        scope = scope_for(job.created_by, [Role.LOGISTICS_OFFICER])
        result = deliveries_update(
            rows,
            user=job.created_by,
            scope=scope,
            source=DeliveryEvent.Source.IMPORT,
            job=job,
            on_progress=progress,
        )
    except RowsRejected as exc:
        job.status = ImportJob.Status.REJECTED
        job.errors = [r.as_dict() for r in exc.rows[:MAX_LISTED_ERRORS]]
        if len(exc.rows) > MAX_LISTED_ERRORS:
            job.errors.append(
                {
                    "line": 0,
                    "message": _("… dan %(n)d baris salah lainnya.")
                    % {"n": len(exc.rows) - MAX_LISTED_ERRORS},
                }
            )
    except FileRejected as exc:
        job.status = ImportJob.Status.REJECTED
        job.errors = [{"line": 0, "message": m} for m in exc.messages]
    else:
        job.status = ImportJob.Status.DONE
        job.changed_rows = result.changed
        job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "changed_rows", "processed_rows", "finished_at"])
    return job
