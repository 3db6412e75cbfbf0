"""Hostile files cost a 4xx, nothing on disk and no worker: a 4.8 KB XLSX declaring A1:XFD1048576, a zip bomb named
.xlsx, HTML renamed .pdf, names with folders and NUL, and formulas (review section 2b)."""

from __future__ import annotations

import csv
import io
import re
import time
import tracemalloc
import zipfile

import pytest
import time_machine
from openpyxl import Workbook, load_workbook
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import assert_page
from tests.integration.portal_setup import PDF
from tests.integration.test_portal_pages import LATER, build
from tests.integration.test_returns_api import NOW


def xlsx_declaring(ref: str, last_row: int) -> bytes:
    """A tiny workbook whose sheet declares a vast dimension and has one cell in its last row (the review's file)."""
    book = Workbook()
    book.active["A1"] = "kpi"
    buf = io.BytesIO()
    book.save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', data.decode())
                data = text.replace("</sheetData>", f'<row r="{last_row}"><c r="A{last_row}" t="inlineStr"><is>'
                                                    f'<t>x</t></is></c></row></sheetData>').encode()
            target.writestr(item, data)
    return out.getvalue()


def zip_bomb(unpacked_mb: int) -> bytes:
    """A ZIP shaped like an XLSX whose sheet part is megabytes of zeros (they compress about a thousandfold)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types '
                         'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for _ in range(unpacked_mb):
                part.write(b"\0" * (1 << 20))
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script><h1>Evidence</h1></body></html>\n"


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    tokens = {}

    def call(role, method, url, **kwargs):
        if role not in tokens:
            tokens[role] = api_token(role)
        return client.open(url, method=method, headers={"Authorization": f"Bearer {tokens[role]}"}, **kwargs)

    return call


@pytest.fixture
def return_row(app, api):
    with time_machine.travel(NOW, tick=False):
        contracts = api("contract_manager", "GET", "/api/v1/contracts").get_json()["items"]
        contract = next(c["id"] for c in contracts if c["reference"] == "LDDS-2023-07")
        rows = api("contract_manager", "GET", f"/api/v1/returns?contract={contract}").get_json()["items"]
        return rows[0]["id"]


def submissions(app) -> int:
    from sqlalchemy import func, select

    from models import db
    from models.monitoring import ReturnSubmission

    with app.app_context():
        return db.session.scalar(select(func.count(ReturnSubmission.id)))


def upload(api, row_id, name, content):
    # Built in memory: Werkzeug's test client spools a big body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(content), filename=name)}))
    return api("provider_manager", "POST", f"/api/v1/returns/{row_id}/upload", data=body,
               content_type=f"multipart/form-data; boundary={boundary}")


def limits(app, row_id) -> tuple[int, int]:
    from models import db
    from models.monitoring import MonitoringReturn
    from web.return_files import upload_limits

    with app.app_context():
        return upload_limits(db.session.get(MonitoringReturn, row_id))


@pytest.mark.parametrize("ref", ["A1:Z1048576", "A1:XFD1048576"])
def test_a_tiny_workbook_declaring_a_vast_sheet_is_refused_at_once_in_little_memory(app, api, return_row, ref):
    content = xlsx_declaring(ref, 1_048_576)
    assert len(content) < 6000
    with time_machine.travel(NOW, tick=False):
        tracemalloc.start()
        started = time.perf_counter()
        response = upload(api, return_row, "figures.xlsx", content)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # Reading stops at the template's rows plus a margin: the far cell is never reached, so what is left is a sheet
    # without the template's columns.
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error"] == "The file has errors: nothing was imported"
    assert seconds < 5 and peak < 50 * 1024 * 1024, (seconds, peak)
    assert submissions(app) == 0
    with time_machine.travel(NOW, tick=False):
        assert api("provider_manager", "GET", "/api/v1/health").status_code == 200  # the worker is still here


@pytest.mark.parametrize(("mb", "message"), [
    (20, "compressed more than a real document is"),
    (120, "smaller than 100 MB when unpacked"),
])
def test_a_zip_bomb_named_xlsx_is_refused_before_anything_unpacks_it(app, api, return_row, mb, message):
    bomb = zip_bomb(mb)
    assert len(bomb) < 1024 * 1024
    with time_machine.travel(NOW, tick=False):
        tracemalloc.start()
        response = upload(api, return_row, "figures.xlsx", bomb)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert response.status_code == 422 and message in response.get_json()["error"]
    assert peak < 20 * 1024 * 1024
    assert submissions(app) == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("page.xlsx", HTML, "not an Excel workbook"),
    ("big.csv", b"a,b\n" + b"1,2\n" * (6 * 1024 * 1024 // 4), "smaller than 5 MB"),
    ("nul.csv", b"period_start,kpi\x00,name\n", "nothing was imported"),
    ("wide.csv", b"a," * 200_000 + b"\n", "at most"),
    ("field.csv", b'"' + b"a" * 200_000 + b'"\n', "could not be read"),
    ("long.csv", b"period_start,kpi,name,numerator,denominator\n" + b"2026-10-01,X,x,1,2\n" * 5000, "at most"),
    ("wide.xlsx", None, "at most"),
    ("tall.xlsx", None, "at most"),
])
def test_other_hostile_return_files_are_refused_with_a_sentence(app, api, return_row, name, content, message):
    if content is None:
        max_rows, max_cols = limits(app, return_row)
        book = Workbook()
        book.active.append(["period_start", "kpi", "name", "numerator", "denominator"])
        if name == "wide.xlsx":
            book.active.cell(row=1, column=max_cols + 1, value="extra")
        else:
            book.active.cell(row=max_rows + 1, column=1, value="2026-10-01")
        buf = io.BytesIO()
        book.save(buf)
        content = buf.getvalue()
    with time_machine.travel(NOW, tick=False):
        response = upload(api, return_row, name, content)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert message in response.get_json()["error"]
    assert submissions(app) == 0


def test_the_return_page_refuses_the_vast_workbook_with_a_message(app, login_as, return_row):
    with time_machine.travel(NOW, tick=False):
        provider = login_as("provider_manager")
        page = provider.get(f"/returns/{return_row}").get_data(as_text=True)
        from tests.conftest import csrf_token

        response = provider.client.post(f"/returns/{return_row}/upload", data={
            "csrf_token": csrf_token(page), "file": (io.BytesIO(xlsx_declaring("A1:XFD1048576", 1_048_576)),
                                                     "figures.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The file has errors" in response.get_data(as_text=True) or "row" in response.get_data(as_text=True)


def test_templates_and_exports_neutralise_formulas(app, api, return_row):
    from models import db
    from models.monitoring import MonitoringReturn
    from web.return_files import csv_bytes, template_file

    rows = list(csv.reader(io.StringIO(csv_bytes([["=HYPERLINK(\"http://example.org\",\"click\")", "-5", "@SUM(A1)",
                                                   "+44 20 7946 0000", "\tx", 3, "-x"]]).decode())))
    assert rows == [["'=HYPERLINK(\"http://example.org\",\"click\")", "-5", "'@SUM(A1)", "'+44 20 7946 0000",
                     "'\tx", "3", "'-x"]]
    with app.app_context():
        row = db.session.get(MonitoringReturn, return_row)
        row.return_id = "=cmd"  # any text Remedy writes into a cell, whatever its source
        content, _media = template_file(row, "xlsx")
        db.session.rollback()
    sheet = load_workbook(io.BytesIO(content)).active
    assert all(not str(c.value).startswith("=") for r in sheet.iter_rows() for c in r if c.value is not None)
    assert sheet.title == "=cmd"  # a sheet's title is never run


# -- evidence files ---------------------------------------------------------------------------------------------


def evidence_upload(app, login_as, tmp_path, name: str, content: bytes):
    case_id, _plan_id, (first, _second) = build(app)
    with time_machine.travel(LATER, tick=False):
        user = login_as("provider_user")
        url = f"/milestones/{first}/progress"
        response = user.post_form(url, {"status": "in_progress", "commentary": "Progress",
                                        "files": (io.BytesIO(content), name)})
        html = user.get(f"/cases/{case_id}").get_data(as_text=True)
    files = list((tmp_path / "evidence").iterdir()) if (tmp_path / "evidence").exists() else []
    return response, html, files


@pytest.mark.parametrize(("name", "content", "message"), [
    ("page.html.pdf", HTML, "The selected file must be a PDF, DOCX, XLSX, CSV, PNG or JPEG"),
    ("drawing.csv", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n', "must be a PDF"),
    ("notes.csv", b"Just a sentence of prose, with a comma.\nAnd another line without one\n", "must be a PDF"),
    ("figures.csv", b'name,value\n"=HYPERLINK(""http://example.org/x"",""click"")",1\n', "must not contain formulas"),
    ("bomb.xlsx", zip_bomb(20), "compressed more than a real document is"),
])
def test_evidence_is_told_apart_by_content_and_refused_with_nothing_kept(app, login_as, tmp_path, name, content,
                                                                         message):
    response, _html, files = evidence_upload(app, login_as, tmp_path, name, content)
    html = assert_page(response, "Report progress on a milestone", status=422)
    assert message in html
    assert files == []


def test_a_real_csv_is_evidence(app, login_as, tmp_path):
    response, html, files = evidence_upload(app, login_as, tmp_path, "figures.csv",
                                            b"week;attendance\n1;-3\n2;95\n")
    assert response.status_code == 303 and len(files) == 1 and "figures.csv" in html


@pytest.mark.parametrize(("name", "kept"), [
    ("../../../etc/passwd\x00.pdf", "passwd.pdf"),
    ("..\\..\\<script>alert(1)</script>.pdf", "script.pdf"),
    ("report\x07\x1b[31m.pdf", "report_31m.pdf"),
])
def test_evidence_names_lose_folders_nul_and_control_characters(app, login_as, tmp_path, name, kept):
    response, html, files = evidence_upload(app, login_as, tmp_path, name, PDF)
    assert response.status_code == 303
    assert kept in html and "<script>alert" not in html
    assert len(files) == 1 and ".." not in files[0].name
