"""Reading and writing return files: CSV and XLSX (openpyxl) in the template Remedy generates.

A return file is read within limits the return's own template sets, so no file can cost a worker more than a real
return does: at most 5 MB sent, its ZIP parts checked before anything unpacks them (workflows.evidence.zip_problem),
the workbook streamed row by row, ignoring the size the sheet declares, and stopped at the template's rows and
columns plus a margin. Every cell Remedy writes to a CSV or XLSX is neutralised so no spreadsheet runs it.
"""

from __future__ import annotations

import csv
import io

from models.return_store import provided_kpis
from workflows.evidence import neutralise, zip_problem
from workflows.returns import TEMPLATE_COLUMNS, template_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_RETURN_BYTES = 5 * 1024 * 1024
# One file may report several periods of a return (a late provider catching up): two years of monthly periods.
PERIODS_PER_FILE = 24
ROW_MARGIN = 50
COLUMN_MARGIN = 10


class FileProblem(ValueError):
    """A file that cannot be read at all (not the template's format, or larger than a return can be)."""


def upload_limits(row) -> tuple[int, int]:
    """The most rows and columns a file for this return may have: its template's, for every period, plus a margin."""
    return 1 + len(provided_kpis(row)) * PERIODS_PER_FILE + ROW_MARGIN, len(TEMPLATE_COLUMNS) + COLUMN_MARGIN


def read_upload(filename: str, stream, limits: tuple[int, int]) -> tuple[list[list], str]:
    """The rows of an uploaded CSV or XLSX file (read from a file-like stream), and which it was."""
    content = stream.read(MAX_RETURN_BYTES + 1)
    if len(content) > MAX_RETURN_BYTES:
        raise FileProblem("The file must be smaller than 5 MB: upload the template with only your figures in it")
    max_rows, max_cols = limits
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(content, max_rows, max_cols), "xlsx"
    if name.endswith(".csv"):
        return _read_csv(content, max_rows, max_cols), "csv"
    raise FileProblem("Upload the template as a .csv or .xlsx file")


def _too_big(max_rows: int, max_cols: int) -> FileProblem:
    return FileProblem(f"The file must have at most {max_rows} rows and {max_cols} columns, as the template does: "
                       "download the template and fill it in")


def _read_xlsx(content: bytes, max_rows: int, max_cols: int) -> list[list]:
    from openpyxl import load_workbook

    not_a_workbook = FileProblem("The file is not an Excel workbook: download the template and fill it in")
    if not content.startswith(b"PK\x03\x04"):
        raise not_a_workbook
    if problem := zip_problem(content):
        raise FileProblem(problem)
    try:
        # read_only streams rows; data_only gives cached values rather than formulas.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises several kinds for a file that is not a workbook
        raise not_a_workbook from None
    try:
        sheet = book.worksheets[0]
        # In read-only mode openpyxl pads every row, and every missing row, to the dimension the sheet *declares*
        # (A1:XFD1048576 is 17 billion cells): forget it, and ask for one row and column past the caps at most.
        sheet.reset_dimensions()
        rows = []
        for values in sheet.iter_rows(max_row=max_rows + 1, max_col=max_cols + 1, values_only=True):
            rows.append(list(values))
    except Exception:  # a damaged part shows only as rows are read
        raise not_a_workbook from None
    finally:
        book.close()
    return _within(rows, max_rows, max_cols)


def _read_csv(content: bytes, max_rows: int, max_cols: int) -> list[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem("The CSV file must be saved as UTF-8") from None
    rows = []
    try:
        for values in csv.reader(io.StringIO(text)):
            rows.append(values)
            if len(rows) > max_rows:
                break
    except csv.Error:  # a NUL, or a field longer than the csv module allows
        raise FileProblem("The CSV file could not be read: download the template and fill it in") from None
    return _within(rows, max_rows, max_cols)


def _within(rows: list[list], max_rows: int, max_cols: int) -> list[list]:
    """The rows, refusing any value past the caps; blank rows and columns beyond the template are simply dropped."""
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    if len(rows) > max_rows or any(v not in (None, "") for r in rows for v in r[max_cols:]):
        raise _too_big(max_rows, max_cols)
    trimmed = [r[:max_cols] for r in rows]
    width = max((i + 1 for r in trimmed for i, v in enumerate(r) if v not in (None, "")), default=0)
    return [r[:width] for r in trimmed]


def template_file(row, fmt: str) -> tuple[bytes, str]:
    """The upload template for one return period, as CSV or XLSX bytes and its media type."""
    rows = template_rows(provided_kpis(row), row.period_start)
    if fmt == "csv":
        return csv_bytes(rows), "text/csv"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = row.return_id[:31]
    for values in rows:
        sheet.append([neutralise(v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), XLSX


def csv_bytes(rows) -> bytes:
    """Rows as a UTF-8 CSV file, every cell neutralised so a spreadsheet shows it rather than runs it."""
    out = io.StringIO()
    csv.writer(out).writerows([neutralise(v) for v in values] for values in rows)
    return out.getvalue().encode("utf-8")
