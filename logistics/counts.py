"""TPS and DPT of many desa at once: a CSV/XLSX upload or the API, checked
row by row, all or nothing, through services.villages_set_counts (which
recomputes what each desa needs and writes the history)."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from desk.models import Region
from desk.scope import Scope
from logistics import services
from logistics.models import counts_problem

COLUMNS = ["kode_desa", "tps", "dpt_gubernur", "dpt_bupati"]
MAX_ROWS = 10_000  # the most desa of any province (Jawa Timur) is 8,494
VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")


def read(data: bytes, filename: str) -> list[tuple]:
    """(line, kode_desa, tps, dpt_gubernur, dpt_bupati) rows of a CSV or XLSX."""
    if filename.lower().endswith(".xlsx"):
        import openpyxl

        try:
            if not zipfile.is_zipfile(io.BytesIO(data)):
                raise ValueError
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            table = list(book.worksheets[0].iter_rows(values_only=True))
            book.close()
        except Exception:
            raise services.FileRejected(
                _("Berkas ini bukan XLSX yang sah. Simpan ulang dari Excel (.xlsx atau .csv).")
            ) from None
    elif filename.lower().endswith((".csv", ".txt")):
        text, _codec = services._decode(data)
        first = text.split("\n", 1)[0]
        delimiter = max([";", ",", "\t"], key=first.count)
        try:
            table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise services.FileRejected(_("CSV rusak: %(error)s") % {"error": exc}) from None
    else:
        raise services.FileRejected(_("Jenis berkas tidak didukung: unggah .csv atau .xlsx."))
    if not table:
        raise services.FileRejected(_("Berkas kosong."))
    names = [str(h or "").strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise services.FileRejected(
            _("Kolom tidak sesuai: tidak ada %(missing)s. Baris pertama harus: %(expected)s.")
            % {"missing": ", ".join(missing), "expected": ";".join(COLUMNS)}
        )
    at = [names.index(c) for c in COLUMNS]
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not cells or all(c in (None, "") for c in cells):
            continue
        cells = list(cells) + [""] * (max(at) + 1 - len(cells))
        rows.append((line, *(cells[i] for i in at)))
    if not rows:
        raise services.FileRejected(_("Berkas tidak berisi baris data."))
    if len(rows) > MAX_ROWS:
        raise services.FileRejected(
            _("Paling banyak %(max)s desa per berkas; bagi per provinsi.") % {"max": MAX_ROWS}
        )
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
    counts, errors = {}, []
    for line, code, *values in rows:
        code = str(code or "").strip()
        problems = []
        if not VILLAGE_CODE.fullmatch(code) or code not in known or not scope.contains(code):
            problems.append(
                _("kode desa «%(code)s» tidak dikenal atau di luar wilayah Anda") % {"code": code}
            )
        numbers = [services._whole(v) for v in values]
        for label, value, number in zip(COLUMNS[1:], values, numbers, strict=True):
            if number is None:
                problems.append(
                    _("%(field)s «%(value)s» harus bilangan bulat nol atau lebih")
                    % {"field": label, "value": value}
                )
        if None not in numbers and (problem := counts_problem(*numbers)):
            problems.append(str(problem))
        if code in counts:
            problems.append(_("desa ini sudah ada di baris lain"))
        if problems:
            errors.append(services.RowError(line, "; ".join(problems)))
        else:
            counts[code] = tuple(numbers)
    if errors:
        raise services.RowsRejected(errors)
    return services.villages_set_counts(counts, user=user, source=source)
