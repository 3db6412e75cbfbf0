"""Evidence files: the type comes from the content, names are cleaned, the size is limited; plan health labels."""

import io
import zipfile
from datetime import date

import pytest

from workflows.action_plan import Health, PlanState, plan_health
from workflows.calendar import WorkingCalendar
from workflows.errors import ValidationProblem
from workflows.evidence import CSV, DOCX, JPEG, MAX_EVIDENCE_BYTES, PDF, PNG, XLSX, check_evidence, clean_filename
from workflows.notice import NoticeState, representation_refusal


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("content, expected", [
    (b"%PDF-1.7\n...", PDF),
    (b"\x89PNG\r\n\x1a\n....", PNG),
    (b"\xff\xd8\xff\xe0JFIF", JPEG),
    (office("word/document.xml"), DOCX),
    (office("xl/workbook.xml"), XLSX),
    ("kpi,value\nS3,71%\nNotes,café\n".encode(), CSV),
])
def test_accepted_types_are_told_by_their_content(content, expected):
    assert check_evidence(content) is expected


@pytest.mark.parametrize("content, message", [
    (b"", "The selected file is empty"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "must be a PDF, DOCX, XLSX, CSV, PNG or JPEG"),  # a Windows program
    (b"GIF89a\x01\x00", "must be a PDF"),
    (b"PK\x03\x04" + b"\x00" * 40, "must be a PDF"),  # a broken ZIP
    (office("content.xml"), "must be a PDF"),  # an OpenDocument-like package, not Word or Excel
    (b"\xff\xfe\x00\x00binary", "must be a PDF"),
    (b"%PDF-" + b"\x00" * MAX_EVIDENCE_BYTES, "smaller than 20 MB"),
])
def test_refused_files_say_why(content, message):
    with pytest.raises(ValidationProblem, match=message) as problem:
        check_evidence(content)
    assert problem.value.field == "file"


def test_a_file_of_exactly_20_mb_is_accepted():
    assert check_evidence(b"%PDF-" + b"\x00" * (MAX_EVIDENCE_BYTES - 5)) is PDF


@pytest.mark.parametrize("name, file_type, cleaned", [
    ("report.pdf", PDF, "report.pdf"),
    ("../../etc/passwd", PDF, "passwd.pdf"),
    ("C:\\Users\\pat\\Rota – Déc 2026.xlsx", XLSX, "Rota_Dec_2026.xlsx"),
    ("photo.pdf", PNG, "photo.png"),  # the content decides the extension
    ("<b>alert(1)<b>.csv", CSV, "b_alert_1_b.csv"),
    ("", JPEG, "evidence.jpg"),
    ("...", PDF, "evidence.pdf"),
    ("a" * 300 + ".pdf", PDF, "a" * 90 + ".pdf"),
])
def test_file_names_are_cleaned(name, file_type, cleaned):
    assert clean_filename(name, file_type) == cleaned


CALENDAR = WorkingCalendar(region="england-and-wales")
TODAY = date(2027, 1, 11)  # a Monday


@pytest.mark.parametrize("state, due_on, milestones, expected", [
    (PlanState.DRAFT, date(2027, 1, 25), [], Health.ON_TRACK),
    (PlanState.DRAFT, date(2027, 1, 13), [], Health.AT_RISK),
    (PlanState.RETURNED, date(2027, 1, 8), [], Health.OVERDUE),
    (PlanState.SUBMITTED, date(2027, 1, 8), [], Health.ON_TRACK),  # the council has it
    (PlanState.IN_PROGRESS, None, [(date(2027, 2, 1), "planned")], Health.ON_TRACK),
    (PlanState.IN_PROGRESS, None, [(date(2027, 1, 15), "in_progress")], Health.AT_RISK),
    (PlanState.IN_PROGRESS, None, [(date(2027, 1, 8), "done"), (date(2027, 2, 1), "planned")], Health.ON_TRACK),
    (PlanState.IN_PROGRESS, None, [(date(2027, 1, 8), "planned")], Health.OVERDUE),
    (PlanState.IN_PROGRESS, None, [(date(2027, 3, 8), "overdue")], Health.OVERDUE),
    (PlanState.SUPERSEDED, None, [(date(2027, 1, 8), "planned")], None),
])
def test_plan_health(state, due_on, milestones, expected):
    assert plan_health(state, due_on, milestones, TODAY, CALENDAR) is expected


def test_representations_window():
    assert representation_refusal(NoticeState.PLAN_DUE, TODAY, date(2027, 1, 11)) is None
    assert "closed on 8 January 2027" in representation_refusal(NoticeState.ISSUED, TODAY, date(2027, 1, 8))
    assert "only while the notice is open" in representation_refusal(NoticeState.CLOSED, TODAY, None)
