"""Reading and writing return files: CSV and XLSX (openpyxl) in the template Remedy generates."""

from __future__ import annotations

import csv
import io

from models.return_store import provided_kpis
from workflows.returns import template_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileProblem(ValueError):
    """A file that cannot be read at all (not the template's format)."""


def read_upload(filename: str, content: bytes) -> tuple[list[list], str]:
    """The rows of an uploaded CSV or XLSX file, and which it was."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            # read_only mode streams rows; data_only gives cached values rather than formulas.
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises several kinds for a file that is not a workbook
            raise FileProblem("The file is not an Excel workbook: download the template and fill it in") from None
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
        return rows, "xlsx"
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileProblem("The CSV file must be saved as UTF-8") from None
        return list(csv.reader(io.StringIO(text))), "csv"
    raise FileProblem("Upload the template as a .csv or .xlsx file")


def template_file(row, fmt: str) -> tuple[bytes, str]:
    """The upload template for one return period, as CSV or XLSX bytes and its media type."""
    rows = template_rows(provided_kpis(row), row.period_start)
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8"), "text/csv"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = row.return_id[:31]
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX
