"""Evidence a provider attaches to a milestone (KT-19: the council checks that key tasks were done): which files are
accepted, how their type is told from their content (never from the name), and how a name is made safe to keep.

Accepted: PDF, DOCX, XLSX, CSV, PNG and JPEG, up to 20 MB. Pure Python: the standard library only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from workflows.errors import ValidationProblem

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
ACCEPTED_TYPES = "PDF, DOCX, XLSX, CSV, PNG or JPEG"


@dataclass(frozen=True)
class FileType:
    """A type of evidence file Remedy accepts: its media type and the extension a stored name gets."""

    media_type: str
    extension: str
    label: str


PDF = FileType("application/pdf", "pdf", "PDF")
PNG = FileType("image/png", "png", "PNG image")
JPEG = FileType("image/jpeg", "jpg", "JPEG image")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word document")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel spreadsheet")
CSV = FileType("text/csv", "csv", "CSV file")
FILE_TYPES = (PDF, PNG, JPEG, DOCX, XLSX, CSV)


# Office files are ZIP packages: what one unpacks to is checked against the sizes its directory declares (zipfile
# never inflates a member past its declared size) before anything reads it, so a zip bomb costs nothing.
MAX_ZIP_MEMBERS = 1000
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
_RATIO_FLOOR = 1024 * 1024  # small parts compress absurdly well and harmlessly (a blank sheet, say)


def zip_problem(content: bytes) -> str | None:
    """Why a ZIP package (an XLSX or DOCX) is unsafe to unpack, or None: too many parts, too large unpacked, or a
    part compressed further than real documents are. A file that is no ZIP at all is left to the type check."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if len(members) > MAX_ZIP_MEMBERS:
        return f"The file must have fewer than {MAX_ZIP_MEMBERS} parts"
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        return "The file must be smaller than 100 MB when unpacked"
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            return "The file is compressed more than a real document is: save it again and upload the new copy"
    return None


def _office_type(content: bytes) -> FileType | None:
    """DOCX and XLSX are ZIP packages with [Content_Types].xml and a word/ or xl/ part."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    return None


# Markup that a browser or a mail client would act on: HTML, SVG, XML and script, anywhere in the text.
_MARKUP = re.compile(r"<\s*(?:!doctype|!--|\?xml|/?\s*(?:html|head|body|script|style|svg|iframe|object|embed|img|a|"
                     r"div|span|p|form|input|link|meta|table|math)\b)", re.IGNORECASE)
CSV_DELIMITERS = ",;\t|"


def _is_csv(content: bytes) -> bool:
    """CSV is UTF-8 text with no control characters other than tabs and line ends, no markup, and a delimiter that
    gives every line the same number of columns (two or more)."""
    if not content.strip():
        return False
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text) or _MARKUP.search(text):
        return False
    return consistent_delimiter(text) is not None


def consistent_delimiter(text: str) -> str | None:
    """The delimiter that splits every non-blank line of a CSV text into the same number (two or more) of columns."""
    for delimiter in CSV_DELIMITERS:
        try:
            widths = {len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(row)}
        except csv.Error:
            continue
        if len(widths) == 1 and widths.pop() >= 2:
            return delimiter
    return None


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula(value: str) -> bool:
    """Would a spreadsheet run this cell as a formula (OWASP's list: = + - @ tab and carriage return at the
    start)? A plain number such as -5 or +44 is data, not a formula."""
    if not value.startswith(_FORMULA_STARTS):
        return False
    try:
        float(value.replace(",", ""))
    except ValueError:
        return True
    return False


def _has_formula(text: str) -> bool:
    delimiter = consistent_delimiter(text) or ","
    return any(is_formula(cell) for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row)


def neutralise(value):
    """A cell value made safe to open in a spreadsheet: text a spreadsheet would run as a formula is kept as text
    by a leading apostrophe; numbers, dates and everything else pass through unchanged."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


def sniff(content: bytes) -> FileType | None:
    """The type of a file as its first bytes (and, for Office files, its ZIP parts) show it, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return None if zip_problem(content) else _office_type(content)
    if _is_csv(content):
        return CSV
    return None


def check_evidence(content: bytes) -> FileType:
    """The file's type if Remedy accepts it as evidence; otherwise a sentence saying why not."""
    if not content:
        raise ValidationProblem("The selected file is empty", "file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ValidationProblem("The selected file must be smaller than 20 MB", "file")
    if content.startswith(b"PK\x03\x04") and (problem := zip_problem(content)):
        raise ValidationProblem(problem, "file")
    found = sniff(content)
    if found is None:
        raise ValidationProblem(f"The selected file must be a {ACCEPTED_TYPES}", "file")
    if found is CSV and _has_formula(content.decode("utf-8-sig")):
        raise ValidationProblem("The CSV file must not contain formulas (cells starting with = + - or @): save the "
                                "values only and upload it again", "file")
    return found


def clean_filename(name: str, file_type: FileType) -> str:
    """A name safe to show and to offer for download: no folders, plain characters, at most 100 characters, and
    the extension of the type the content really is (a PNG called report.pdf is kept as report.png)."""
    # A NUL ends the name as C sees it ("evil.php\0.pdf"): keep only what comes before, then drop the folders.
    base = re.split(r"[\\/]", (name or "").split("\0", 1)[0])[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")
    stem = re.sub(r"_{2,}", "_", stem)[:90] or "evidence"
    return f"{stem}.{file_type.extension}"


def format_size(size: int) -> str:
    """A file size as people read it: 512 bytes, 14 KB, 3.2 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.1f} MB"
