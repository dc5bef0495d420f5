"""A distribution CSV on PostgreSQL: read by COPY into a temporary table and
checked there in SQL by the rules of services.deliveries_validate."""

import json
import re

from django.db import connection, transaction

from desk.scope import Scope
from logistics.importing import files
from logistics.importing.files import BOM, check_size, csv_open, decode, header_map
from logistics.models import (
    Item,
    Reason,
)
from logistics.services.deliveries import (
    COLUMNS,
    MAX_QUANTITY,
    STAGE_WORDS,
    STAGING,
    VILLAGE_CODE,
    RowError,
    _bulk_settings,
)

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


def csv_stage(data: bytes, *, scope: Scope) -> tuple[int, list[RowError], set[str]] | None:
    """PostgreSQL: read a CSV file with COPY and check every row in SQL into
    STAGING. Returns the number of rows, every bad row and the kecamatan
    touched; None when COPY may read the file differently from Python's csv
    module. Call inside a transaction."""
    import psycopg

    check_size(len(data))
    text, codec = decode(data)
    delimiter, header, _reader = csv_open(text)
    columns = header_map(header)
    body = data[len(BOM) :] if data.startswith(BOM) else data
    if (
        codec not in COPY_ENCODINGS  # UTF-16: COPY does not read it
        # More lines than rows allowed: Python's reader counts them exactly
        # (a quoted cell may hold a line break) and stops past the limit.
        or data.count(b"\n") > files.MAX_ROWS + 1
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
