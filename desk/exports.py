"""CSV, XLSX and PDF downloads: every spreadsheet the product writes, and
every PDF paragraph, goes through here, so text is made safe in one place.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and
after a tab or carriage return) as a formula: a name typed by a reporter or a
meeting title could fetch a URL with the neighbouring cells or start a program
(OWASP "CSV injection"). Such text is written with a leading ``'``, which
spreadsheets read as "this is text". XLSX cells holding text are written as
strings, never as formulas, whatever they begin with. Numbers stay numbers
(a negative number is a number, not text) and dates stay dates.

ReportLab reads a paragraph's text as markup: ``<img src="/etc/passwd">`` in a
meeting title embedded a server file into the minutes, and a tag it does not
know failed the whole PDF. Text for a PDF is therefore escaped
(pdf_paragraph), so whatever anybody typed is printed as typed.
"""

import csv
import datetime
import io
import re
from collections.abc import Callable
from decimal import Decimal
from xml.sax.saxutils import escape

from django.http import HttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A sign and digits only (a phone number in +62… form, a number written as
# text): no formula can be spelled with them, and a quote would spoil them.
SIGNED_DIGITS = re.compile(r"[+-][0-9]+(\.[0-9]+)?")
# Views that answer with a spreadsheet: tests/desk/test_exports.py downloads
# each of them with hostile text in every field and checks every cell.
VIEWS: list[Callable] = []


def spreadsheet_view(view: Callable) -> Callable:
    """Mark a view that returns CSV or XLSX made by this module."""
    VIEWS.append(view)
    view.writes_spreadsheet = True
    return view


def cell(value):
    """The value as a spreadsheet must receive it: text that would run as a
    formula is quoted; numbers, dates and everything else pass unchanged."""
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS) and not SIGNED_DIGITS.fullmatch(value):
            return "'" + value
        return value
    if value is None or isinstance(value, int | float | Decimal | datetime.date | datetime.time):
        return value
    # Lazy translations, model instances, decimals: written as their text.
    return cell(str(value))


def attachment(content, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(filename: str, *tables, delimiter: str = ",") -> HttpResponse:
    """``tables`` are (header, rows) pairs, written one after another with a
    blank line between. The BOM makes Excel read UTF-8 (Indonesian names)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for index, (header, rows) in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([cell(value) for value in header])
        writer.writerows([cell(value) for value in row] for row in rows)
    return attachment(
        "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8", filename=filename
    )


def xlsx_response(filename: str, *sheets, widths=None) -> HttpResponse:
    """``sheets`` are (title, header, rows) triples, one worksheet each; the
    header is bold and stays in view. ``widths``: column widths in
    characters, the same for every sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def written(sheet, value, font=None):
        value = cell(value)
        data = WriteOnlyCell(sheet, value)
        if isinstance(value, str):
            # openpyxl makes a formula of any text beginning with "=".
            data.data_type = "s"
        if font:
            data.font = font
        return data

    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        for index, width in enumerate(widths or (), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([written(sheet, value, bold) for value in header])
        for row in rows:
            sheet.append([written(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return attachment(buffer.getvalue(), content_type=XLSX_TYPE, filename=filename)


def pdf_paragraph(text, style):
    """A ReportLab paragraph showing ``text`` exactly as typed (never read as
    markup). Every paragraph of every PDF is built here."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)
