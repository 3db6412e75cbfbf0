"""Evidence a provider attaches to a milestone (KT-19: the council checks that key tasks were done): which files are
accepted, how their type is told from their content (never from the name), and how a name is made safe to keep.

Accepted: PDF, DOCX, XLSX, CSV, PNG and JPEG, up to 20 MB. Pure Python: the standard library only.
"""

from __future__ import annotations

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


def _is_csv(content: bytes) -> bool:
    """CSV is UTF-8 text with no control characters other than tabs and line ends."""
    if not content.strip():
        return False
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\r\n" for c in text)


def sniff(content: bytes) -> FileType | None:
    """The type of a file as its first bytes (and, for Office files, its ZIP parts) show it, or None."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _office_type(content)
    if _is_csv(content):
        return CSV
    return None


def check_evidence(content: bytes) -> FileType:
    """The file's type if Remedy accepts it as evidence; otherwise a sentence saying why not."""
    if not content:
        raise ValidationProblem("The selected file is empty", "file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ValidationProblem("The selected file must be smaller than 20 MB", "file")
    found = sniff(content)
    if found is None:
        raise ValidationProblem(f"The selected file must be a {ACCEPTED_TYPES}", "file")
    return found


def clean_filename(name: str, file_type: FileType) -> str:
    """A name safe to show and to offer for download: no folders, plain characters, at most 100 characters, and
    the extension of the type the content really is (a PNG called report.pdf is kept as report.png)."""
    base = re.split(r"[\\/]", name or "")[-1]
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
