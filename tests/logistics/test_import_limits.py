"""The work an upload may cause is capped by what it holds, not its size on
disk (issue 11, point 8: a 144 KB XLSX declaring a million rows held each
import 18 to 25 s before it was refused).

Every upload that parses a spreadsheet (the distribution import and the
TPS/DPT import) is tried with a sheet that declares too many rows, a zip bomb,
and CSV and XLSX files of real rows past the limit. The tests count the rows
the parsers yield (openpyxl's row reader and csv.reader, wrapped), not time.
"""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from logistics import counts
from logistics.importing import files
from logistics.models import ImportJob
from logistics.services import imports

DISTRIBUTION = (
    "/logistics/impor/",
    ["kode_desa", "barang", "tahap", "dikirim", "diterima", "rusak"],
)
COUNTS = ("/logistics/impor/tps-dpt/", ["kode_desa", "tps", "dpt_gubernur", "dpt_bupati"])
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture
def rows_parsed(monkeypatch):
    """How many rows openpyxl and csv.reader have yielded."""
    count = {"xlsx": 0, "csv": 0}
    cells_by_row = ReadOnlyWorksheet._cells_by_row
    reader = csv.reader

    def counted_cells(self, *args, **kwargs):
        for row in cells_by_row(self, *args, **kwargs):
            count["xlsx"] += 1
            yield row

    def counted_reader(*args, **kwargs):
        for row in reader(*args, **kwargs):
            count["csv"] += 1
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counted_cells)
    monkeypatch.setattr(files.csv, "reader", counted_reader)
    return count


def cells(number: int, values) -> str:
    return "".join(
        f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        for column, value in zip("ABCDEFG", values, strict=False)
    )


def workbook(header, rows: int = 0, *, dimension: str = "", empty_rows: int = 0) -> bytes:
    """An XLSX whose one sheet is the header, ``rows`` data rows, then
    ``empty_rows`` bare ``<row/>`` elements, declaring ``dimension``."""
    book = openpyxl.Workbook()
    plain = io.BytesIO()
    book.save(plain)
    body = [f'<row r="1">{cells(1, header)}</row>']
    body += [
        f'<row r="{n}">{cells(n, ["64.11.01.2001", *["1"] * (len(header) - 1)])}</row>'
        for n in range(2, rows + 2)
    ]
    sheet = (
        f'<worksheet xmlns="{NS}">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + "<sheetData>"
        + "".join(body)
        + "<row/>" * empty_rows
        + "</sheetData></worksheet>"
    ).encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            target.writestr(member, sheet if member.filename.endswith("sheet1.xml") else data)
    return out.getvalue()


def post(client, url, name, data):
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, follow=True)


def refusal(url, response) -> str:
    """The words the page gives for a refused file."""
    if url == DISTRIBUTION[0]:
        job = ImportJob.objects.get()
        assert job.status == ImportJob.Status.REJECTED, job.status
        return " ".join(str(message) for _line, message in job.error_rows())
    assert response.status_code == 400
    return response.content.decode()


@pytest.mark.parametrize(("url", "header"), [DISTRIBUTION, COUNTS])
def test_a_sheet_declaring_too_many_rows_is_refused_unread(
    client, mahulu, kaltim_logistik, rows_parsed, url, header
):
    limit = counts.MAX_ROWS if url == COUNTS[0] else files.MAX_ROWS
    data = workbook(header, 3, dimension=f"A1:G{limit + 2}")
    assert len(data) < 10_000
    client.force_login(kaltim_logistik)
    words = refusal(url, post(client, url, "besar.xlsx", data))
    assert f"lebih dari {limit} baris data" in words
    assert rows_parsed["xlsx"] == 0


@pytest.mark.parametrize(("url", "header"), [DISTRIBUTION, COUNTS])
def test_a_zip_bomb_of_a_million_rows_is_refused_unread(
    client, mahulu, kaltim_logistik, rows_parsed, url, header
):
    data = workbook(header, 3, empty_rows=1_000_000)
    assert len(data) < 150 * 1024
    client.force_login(kaltim_logistik)
    if url == DISTRIBUTION[0]:
        # What it unpacks to is no work for a web request: the worker has it.
        with transaction.atomic():
            job = imports.import_create(
                user=kaltim_logistik, upload=SimpleUploadedFile("bom.xlsx", data)
            )
        assert job.status == ImportJob.Status.PENDING
        assert rows_parsed["xlsx"] == 0
        job = imports.import_run(job_id=job.pk)
        assert job.errors[0]["code"] == "file_unpacked_too_large"
        words = " ".join(str(message) for _line, message in job.error_rows())
    else:
        words = refusal(url, post(client, url, "bom.xlsx", data))
    assert "terurai menjadi" in words and "tidak wajar" in words
    assert rows_parsed["xlsx"] == 0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(("url", "header"), [DISTRIBUTION, COUNTS])
def test_reading_stops_at_the_first_row_past_the_limit(
    client, mahulu, kaltim_logistik, rows_parsed, monkeypatch, url, header, kind
):
    """No dimension to go by (or a false one): the rows are counted as they
    are read, and reading stops at the one past the limit."""
    if url == COUNTS[0]:
        monkeypatch.setattr(counts, "MAX_ROWS", 40)
    else:
        monkeypatch.setattr(files, "MAX_ROWS", 40)
    if kind == "csv":
        line = ";".join(["64.11.01.2001", *["1"] * (len(header) - 1)])
        data = (";".join(header) + "\n" + (line + "\n") * 500).encode()
    else:
        data = workbook(header, 500, dimension="A1:G3")
    client.force_login(kaltim_logistik)
    words = refusal(url, post(client, url, f"banyak.{kind}", data))
    assert "lebih dari 40 baris data" in words
    if kind == "csv":
        # The header and 41 rows (the distribution import reads the header
        # once more first, deciding whether COPY may read the file).
        assert rows_parsed["csv"] == 42 + (url == DISTRIBUTION[0])
    else:
        # The header read to choose the sheet, then the header and 41 rows.
        assert rows_parsed["xlsx"] == 1 + 42


def test_the_limits_leave_a_whole_country_file_room():
    # 83,762 desa × 10 items = 837,620 rows (docs/logistics.md); the most
    # desa of a province is 8,494 (Jawa Timur).
    assert files.MAX_ROWS >= 837_620
    assert counts.MAX_ROWS >= 8_494


def test_a_sheet_declaring_too_few_rows_is_read_whole(client, mahulu, kaltim_logistik):
    """openpyxl stops at the declared dimension: rows past it were dropped
    silently. Every row is read (up to the limit)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(DISTRIBUTION[1])
    for code in mahulu[:3]:
        sheet.append([code, "kotak-suara", "kpps", 4, 4, 0])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename.endswith("sheet1.xml"):
                assert b'<dimension ref="A1:F4"' in data
                data = data.replace(b'<dimension ref="A1:F4"', b'<dimension ref="A1:F2"')
            target.writestr(member, data)
    client.force_login(kaltim_logistik)
    post(client, DISTRIBUTION[0], "kecil.xlsx", out.getvalue())
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.changed_rows == 3
