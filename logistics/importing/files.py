"""Uploaded CSV and XLSX files read into rows: size, type, encoding, the
header's columns. The distribution import and the TPS/DPT import read files
through here.

The work a file may cause is capped before and while it is read, not only its
size on disk: a 144 KB XLSX can unpack to a sheet of a million rows. An XLSX
is refused before parsing when its members unpack to too much (or compress
too well to be a spreadsheet: a zip bomb) or when a sheet declares more rows
than the import takes; and reading any file stops at the first row past the
limit."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy

from logistics.models import (
    Reason,
)
from logistics.services.deliveries import COLUMNS, OPTIONAL_COLUMNS

MAX_IMPORT_BYTES = getattr(settings, "LOGISTICS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# The whole country is 837,620 delivery rows (docs/logistics.md).
MAX_ROWS = getattr(settings, "LOGISTICS_IMPORT_MAX_ROWS", 1_000_000)
# What an XLSX may unpack to: a full-country workbook is about 150 MB of XML.
MAX_UNPACKED_BYTES = 4 * MAX_IMPORT_BYTES
# A spreadsheet's XML compresses 5 to 20 times; a member above 1 MB that
# compresses more than this is no spreadsheet.
MAX_PACKING_RATIO = 100
# <dimension ref="A1:F1000000"/>: the last row a sheet says it has.
DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="\$?[A-Z]{1,3}\$?([0-9]+)(?::\$?[A-Z]{1,3}\$?([0-9]+))?"'
)
HEADER_ALIASES = {"kode": "kode_desa", "desa": "kode_desa", "item": "barang", "stage": "tahap"}
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRejected(ValidationError):
    """The file as a whole cannot be taken: nothing was written. ``reason``
    says why (a code of models.REASONS), in words when read."""

    def __init__(self, code: str, **params):
        self.reason = Reason(code, params)
        super().__init__(format_lazy("{}", self.reason), code=code)


def check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise FileRejected(
            "file_too_large",
            size=size // (1024 * 1024),
            max=MAX_IMPORT_BYTES // (1024 * 1024),
        )


def decode(data: bytes) -> tuple[str, str]:
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


def header_map(
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


def csv_open(text: str):
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


def open_table(
    data: bytes, filename: str, *, max_rows: int | None = None
) -> tuple[Sequence, Iterable[Sequence]]:
    """An uploaded CSV or XLSX as its header's cells and the rows after it
    (at most ``max_rows``, else FileRejected when the next is read);
    FileRejected for a file too large, of another type, or unreadable. The
    distribution import and the TPS/DPT import read files through here."""
    check_size(len(data))
    max_rows = MAX_ROWS if max_rows is None else max_rows
    name = filename.lower()
    if name.endswith(".xlsx"):
        check_xlsx(data, max_rows=max_rows)
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            table = _sheet_with_codes(book, max_rows)
            book.close()
        except FileRejected:
            raise
        except Exception:
            raise FileRejected("file_not_xlsx") from None
        return (table[0] if table else []), table[1:]
    if not name.endswith((".csv", ".txt")):
        raise FileRejected("file_type")
    text, _codec = decode(data)
    _delimiter, header, reader = csv_open(text)
    return header, capped(_csv_rows(reader), max_rows)


def unpacked_size(handle: IO[bytes]) -> int:
    """The bytes an XLSX (an open binary file) unpacks to, as its zip
    directory declares them (zipfile reads no more than that of a member);
    0 when it is no zip. Only the directory at the end is read."""
    try:
        with zipfile.ZipFile(handle) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return 0


def check_xlsx(data: bytes, *, max_rows: int) -> None:
    """Refuse, before anything is parsed, an XLSX that is no zip, unpacks to
    too much or compresses like a zip bomb, or whose sheets declare more
    rows than ``max_rows`` (the header aside)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise FileRejected("file_not_xlsx") from None
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        bomb = any(
            member.file_size > 1024 * 1024
            and member.file_size > MAX_PACKING_RATIO * max(member.compress_size, 1)
            for member in members
        )
        if unpacked > MAX_UNPACKED_BYTES or bomb:
            raise FileRejected(
                "file_unpacked_too_large",
                size=unpacked // (1024 * 1024),
                max=MAX_UNPACKED_BYTES // (1024 * 1024),
            )
        for member in members:
            if not member.filename.startswith("xl/worksheets/") or member.is_dir():
                continue
            try:
                # The dimension comes before the rows: the start of the sheet.
                with archive.open(member) as sheet:
                    head = sheet.read(64 * 1024)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError):
                raise FileRejected("file_not_xlsx") from None
            declared = DIMENSION.search(head)
            if declared and int(declared.group(2) or declared.group(1)) - 1 > max_rows:
                raise FileRejected("file_too_many_rows", max=max_rows)


def capped(rows: Iterable[Sequence], max_rows: int):
    """The rows, refusing the file when one more than ``max_rows`` comes:
    reading stops there."""
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise FileRejected("file_too_many_rows", max=max_rows)
        yield row


def _sheet_with_codes(book, max_rows: int) -> list[tuple]:
    """The rows of the first sheet whose header has a desa code column (both
    imports have one), else of the first sheet: data on a second sheet, after
    a cover or notes sheet, is found. Only headers are read to choose."""
    chosen = book.worksheets[0] if book.worksheets else None
    for sheet in book.worksheets:
        header = next(sheet.iter_rows(max_row=1, values_only=True), None)
        if header and "kode_desa" in _column_names(header):
            chosen = sheet
            break
    if chosen is None:
        return []
    # Every row, not only those within the declared dimension (openpyxl
    # stops there: a sheet declaring too few rows lost the rest silently);
    # the header and at most max_rows rows after it.
    chosen.reset_dimensions()
    rows = chosen.iter_rows(values_only=True)
    header = next(rows, None)
    return [] if header is None else [header, *capped(rows, max_rows)]


def _csv_rows(reader):
    try:
        yield from reader
    except csv.Error as exc:
        raise FileRejected("file_broken_csv", error=str(exc)) from None


def read_table(data: bytes, filename: str) -> tuple[int, list[tuple]]:
    """The rows of an uploaded CSV or XLSX, as deliveries_validate expects."""
    header, table = open_table(data, filename)
    rows = list(_rows_from(table, header_map(header)))
    return len(rows), rows
