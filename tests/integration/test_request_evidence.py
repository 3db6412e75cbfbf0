"""Evidence files with a request's answer (issue 15, item 1): either side sends them on the page or through the API,
through the portal's one evidence path (type sniffed from the content, 20 MB cap, kept outside static/ with its
SHA-256, audited on the request); a bad file is refused with a sentence, and another provider sees nothing."""

from __future__ import annotations

import hashlib
import io

import time_machine
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import assert_page, csrf_token
from tests.integration.test_financial_changes import check, contract_id

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOW = "2027-01-04T10:00:00+00:00"


def _post_files(app, token: str, url: str, files: list[tuple[bytes, str]]):
    # Built in memory: Werkzeug's test client spools a big body to a temporary file it never closes.
    boundary, body = encode_multipart(MultiDict(
        [("files", FileStorage(io.BytesIO(content), filename=name)) for content, name in files]))
    return app.test_client().post(f"/api/v1{url}", data=body, content_type=f"multipart/form-data; boundary={boundary}",
                                  headers={"Authorization": f"Bearer {token}"})


def test_the_provider_sends_evidence_with_its_answer_through_the_api_and_the_council_downloads_it(
        app, api_token, login_as):
    kent = contract_id(app, "LDDS-2023-07")
    manager_token, provider_token = api_token("contract_manager"), api_token("provider_manager")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {manager_token}"}
    with time_machine.travel(NOW, tick=False):
        asked = client.post("/api/v1/requests", headers=headers, json={
            "contract_id": kent, "request_type": "spot-check-information", "asked_on": "2027-01-04",
            "due_on": "2027-01-08", "what_asked": "Attendance registers for December"}).get_json()
        sent = check(_post_files(app, provider_token, f"/requests/{asked['id']}/evidence",
                                 [(PDF, "../registers december.pdf")]), "/requests/{id}/evidence", "post", 201)
        (kept,) = sent["evidence_files"]
        assert (kept["filename"], kept["media_type"], kept["bytes"], kept["sha256"]) == (
            "registers_december.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
        assert sent["state"] == "open"  # the files go with the answer; the answer is still a step of its own
        attached = [e for e in sent["events"] if e["event"] == "EVIDENCE_ATTACHED"]
        assert attached[0]["data"]["sha256"] == kept["sha256"]

        refused = _post_files(app, provider_token, f"/requests/{asked['id']}/evidence",
                              [(PDF, "ok.pdf"), (b"MZ\x90\x00 not a document", "setup.pdf")])
        assert refused.status_code == 422
        assert refused.get_json()["error"] == "The selected file must be a PDF, DOCX, XLSX, CSV, PNG or JPEG"
        too_big = _post_files(app, provider_token, f"/requests/{asked['id']}/evidence",
                              [(PDF + b"0" * (20 * 1024 * 1024), "big.pdf")])
        assert too_big.status_code in (413, 422)
        none = _post_files(app, provider_token, f"/requests/{asked['id']}/evidence", [])
        assert none.status_code == 422 and none.get_json()["field"] == "file"
        after = client.get(f"/api/v1/requests/{asked['id']}", headers=headers).get_json()
        assert len(after["evidence_files"]) == 1  # nothing of a refused batch is kept

        manager = login_as("contract_manager")
        page = assert_page(manager.get(f"/requests/{asked['id']}"), f"Request {asked['reference']}")
        assert "registers_december.pdf" in page and "Send the files" in page
        download = manager.get(f"/evidence/{kept['id']}")
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_council_sends_a_file_on_the_page_and_another_provider_sees_nothing(app, api_token, login_as):
    from models import db
    from models.entities import Contract
    from models.user_store import create_user, issue_token
    from workflows.access import Role

    cheshire = contract_id(app, "ECH-2024-01")
    with time_machine.travel(NOW, tick=False):
        manager = login_as("contract_manager")
        asked = app.test_client().post("/api/v1/requests", headers={
            "Authorization": f"Bearer {api_token('contract_manager')}"}, json={
            "contract_id": cheshire, "request_type": "inspection-reports", "asked_on": "2027-01-04",
            "what_asked": "The latest inspection report"}).get_json()
        url = f"/requests/{asked['id']}"
        page = manager.get(url).get_data(as_text=True)
        done = manager.client.post(f"{url}/evidence", data={
            "csrf_token": csrf_token(page), "files": [(io.BytesIO(b"%PDF-1.7\nreport\n%%EOF"), "report.pdf")]},
            content_type="multipart/form-data", follow_redirects=True)
        shown = assert_page(done, f"Request {asked['reference']}")
        assert "1 evidence file sent with the answer" in shown and "report.pdf" in shown
        bad = manager.client.post(f"{url}/evidence", data={
            "csrf_token": csrf_token(page), "files": [(io.BytesIO(b"=cmd|' /C calc'!A0\n"), "sheet.csv")]},
            content_type="multipart/form-data", follow_redirects=True)
        assert "must not contain formulas" in bad.get_data(as_text=True)

        with app.app_context():
            other = db.session.get(Contract, cheshire)
            brightwater = create_user(council_id=other.council_id, email="someone@elsewhere.example",
                                      name="Other Provider", role=Role.PROVIDER_MANAGER,
                                      password="a-long-enough-password-1", provider_reference="PRV-002")
            from datetime import UTC, datetime

            _row, token = issue_token(brightwater, "tests", datetime.now(UTC))
            db.session.commit()
        stranger = _post_files(app, token, f"/requests/{asked['id']}/evidence", [(PDF, "x.pdf")])
        assert stranger.status_code == 404
        evidence_id = app.test_client().get(f"/api/v1/requests/{asked['id']}", headers={
            "Authorization": f"Bearer {api_token('contract_manager')}"}).get_json()["evidence_files"][0]["id"]
        assert login_as("provider_manager").get(f"/evidence/{evidence_id}").status_code == 404
