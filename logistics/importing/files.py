"""Uploaded CSV and XLSX files read into rows: size, type, encoding, the
header's columns. The distribution import and the TPS/DPT import read files
through here."""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy

from logistics.models import (
    Reason,
)
from logistics.services.deliveries import COLUMNS, OPTIONAL_COLUMNS

MAX_IMPORT_BYTES = getattr(settings, "LOGISTICS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
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


def open_table(data: bytes, filename: str) -> tuple[Sequence, Iterable[Sequence]]:
    """An uploaded CSV or XLSX as its header's cells and the rows after it;
    FileRejected for a file too large, of another type, or unreadable. The
    distribution import and the TPS/DPT import read files through here."""
    check_size(len(data))
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
    text, _codec = decode(data)
    _delimiter, header, reader = csv_open(text)
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
    rows = list(_rows_from(table, header_map(header)))
    return len(rows), rows
