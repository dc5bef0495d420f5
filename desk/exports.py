"""CSV and XLSX downloads, the same way for every app."""

import csv
import io

from django.http import HttpResponse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
        writer.writerow(header)
        writer.writerows(rows)
    return attachment(
        "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8", filename=filename
    )


def xlsx_response(filename: str, *sheets) -> HttpResponse:
    """``sheets`` are (title, header, rows) triples, one worksheet each."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return attachment(buffer.getvalue(), content_type=XLSX_TYPE, filename=filename)
