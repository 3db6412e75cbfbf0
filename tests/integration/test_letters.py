"""Letters: printable HTML and PDF stating who, when, how, what must be done and the deadline with how it was
counted; a served letter is stored unchanged with its SHA-256 in the audit trail, and only people who may see the
record may see its letter."""

from __future__ import annotations

import hashlib
import re
import subprocess
import zlib

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import Browser, assert_page

SERVED = "2026-12-18T14:00:00+00:00"
KENT_PROVIDER = "Brightwater Day Opportunities CIC"




def issued_kent_warning(api) -> dict:
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "S3"}, 201)
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "Attendance 71% against 95%", "required_action": "A section 11.3 plan"}, 201)
    return api("contract_manager", "POST", f"/api/v1/notices/{notice['id']}/transitions",
               {"trigger": "issue", "served_on": "2026-12-18", "method": "hand"}, 200)


def served_ce_default(api) -> dict:
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "ECH-2024-01", "summary": "s"}, 201)
    default = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}, 201)
    return api("commissioning_manager", "POST", f"/api/v1/default-notices/{default['id']}/transitions", {
        "trigger": "serve", "served_on": "2026-12-18", "method": "email",
        "default_description": "Missed visits (CE-C03)", "remedial_action": "Restore the rota", "remedy_days": 5}, 200)


def documents(app):
    from models import db
    from models.cases import Document

    with app.app_context():
        rows = db.session.scalars(select(Document).order_by(Document.id)).all()
        db.session.expunge_all()
        return rows


def letter_events(app) -> list:
    from models import db
    from models.entities import AuditEvent

    with app.app_context():
        return [(e.entity_type, e.entity_id, e.data) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "LETTER_STORED").order_by(AuditEvent.id))]


def pdf_objects(data: bytes) -> bytes:
    """The PDF's bytes with every compressed stream inflated, to look for catalogue entries."""
    out = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(out)


def pdf_text(content: bytes, tmp_path) -> str:
    """The words of a PDF, whitespace collapsed (poppler's pdftotext, as a person copying from the PDF sees them)."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def test_issuing_a_kent_formal_warning_stores_one_pdf_with_its_sha256_in_the_audit_trail(app, api, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)

    (document,) = documents(app)
    assert document.content[:5] == b"%PDF-" and document.media_type == "application/pdf"
    assert (document.entity_type, document.entity_id) == ("notice", notice["id"])
    assert document.filename == "CASE-00001-formal-warning-served-2026-12-18.pdf"
    digest = hashlib.sha256(document.content).hexdigest()
    assert document.sha256 == digest
    assert letter_events(app) == [("notice", notice["id"], {
        "document_id": document.id, "filename": document.filename, "sha256": digest,
        "bytes": len(document.content)})]
    # Written with the step that served it: the API's answer already shows it, right after the issue.
    names = [e["event"] for e in notice["events"]]
    assert names[-2:] == ["NOTICE_ISSUED", "LETTER_STORED"]

    text = pdf_text(document.content, tmp_path)
    for expected in (KENT_PROVIDER, "Formal warning", "6 January 2027", "KT-19",
                     "Demo Borough Council", "Dana Manager", "Date served 18 December 2026", "How served By hand",
                     "LDDS-2023-07: Learning disability community day services", "CASE-00001",
                     "The current level of performance under the contract is not adequate",
                     "Attendance 71% against 95%", "A section 11.3 plan",
                     "by the end of Wednesday 6 January 2027 (KT-19)", "How this deadline was counted",
                     "Fri 25 Dec 2026: Christmas Day, not counted", "Mon 28 Dec 2026: Boxing Day (substitute day)",
                     "Fri 1 Jan 2027: New Year's Day, not counted", "Page 1 of 1"):
        assert expected in text, expected
    assert "DRAFT" not in text


def test_the_pdf_uses_the_letter_stylesheet_and_its_fonts(app, api, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        issued_kent_warning(api)
    path = tmp_path / "letter.pdf"
    path.write_bytes(documents(app)[0].content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    # letter.css asks for DejaVu Sans in print: if the stylesheet were not loaded the serif default would show.
    assert "DejaVu-Sans" in fonts and "Serif" not in fonts


def test_the_letter_page_shows_the_deadline_and_how_it_was_counted(app, api, login_as, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)
        manager = login_as("contract_manager")
        html = assert_page(manager.get(f"/notices/{notice['id']}/letter"), "Formal warning – CASE-00001")
        for expected in ("<h1>Formal warning</h1>", KENT_PROVIDER, "Dana Manager", "Demo Borough Council",
                         "by the end of Wednesday 6 January 2027", "(KT-19)", "How this deadline was counted",
                         "Fri 25 Dec 2026: Christmas Day, not counted", "Attendance 71% against 95%",
                         f'href="/notices/{notice["id"]}/letter.pdf"', f'href="/cases/{notice["case_id"]}"',
                         "/static/letter.css"):
            assert expected in html, expected
        assert "DRAFT" not in html

        pdf = manager.get(f"/notices/{notice['id']}/letter.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        # One name everywhere: the stored copy, this download and the letter page's link (ux #6).
        name = "CASE-00001-formal-warning-served-2026-12-18.pdf"
        assert pdf.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert f'download="{name}"' in html and documents(app)[0].filename == name
        assert "KT-19" in pdf_text(pdf.data, tmp_path)
        # An accessible PDF (PDF/UA-1): tagged, in British English, titled.
        info = subprocess.run(["pdfinfo", "-", ], input=pdf.data, capture_output=True, check=True).stdout.decode()
        assert re.search(r"^Tagged:\s+yes", info, re.M) and re.search(r"^Title:\s+Formal warning", info, re.M)
        objects = pdf_objects(pdf.data)  # the catalogue sits in a compressed object stream
        assert re.search(rb"/Lang ?\(en-GB\)", objects) and re.search(rb"/MarkInfo ?<< ?/Marked true", objects)
        assert b'pdfuaid:part="1"' in objects and b"/StructTreeRoot" in objects

        assert login_as("provider_user").get(f"/notices/{notice['id']}/letter").status_code == 200
        assert login_as("council_viewer").get(f"/notices/{notice['id']}/letter.pdf").status_code == 200


def test_a_provider_user_of_another_provider_gets_404_on_the_letter_and_the_pdf(app, api, demo, login_as):
    from models import db
    from models.council_store import first_council
    from models.user_store import create_user
    from tests.conftest import DEMO_PASSWORD
    from workflows.access import Role

    with app.app_context():
        create_user(council_id=first_council().id, email="carer@riverside.example", name="Riverside User",
                    role=Role.PROVIDER_USER, password=DEMO_PASSWORD, provider_reference="PRV-005")
        db.session.commit()
    with time_machine.travel(SERVED, tick=False):
        kent = issued_kent_warning(api)
        case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "x"}, 201)
        riverside = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                        {"findings": "f", "required_action": "a"}, 201)

        other = Browser(app.test_client())
        assert other.sign_in("carer@riverside.example").status_code == 303
        for url in (f"/notices/{kent['id']}/letter", f"/notices/{kent['id']}/letter.pdf"):
            assert other.get(url).status_code == 404, url
        assert other.get(f"/notices/{riverside['id']}/letter").status_code == 200  # its own is fine

        brightwater = login_as("provider_user")
        for url in (f"/notices/{riverside['id']}/letter", f"/notices/{riverside['id']}/letter.pdf"):
            assert brightwater.get(url).status_code == 404, url
        # Another kind's letter at a notice's id is not a way round it either.
        assert brightwater.get(f"/default-notices/{kent['id']}/letter").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(app, api, demo):
    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)
    for url in (f"/notices/{notice['id']}/letter", f"/notices/{notice['id']}/letter.pdf"):
        response = app.test_client().get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in"), url


def test_a_draft_says_it_is_not_served_and_viewing_it_stores_nothing(app, api, login_as, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "S3"}, 201)
        draft = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                    {"findings": "Attendance 71%", "required_action": "A plan"}, 201)
        manager = login_as("contract_manager")
        html = manager.get(f"/notices/{draft['id']}/letter").get_data(as_text=True)
        assert "DRAFT – not served" in html and "No deadline runs until this letter is served" in html
        text = pdf_text(manager.get(f"/notices/{draft['id']}/letter.pdf").data, tmp_path)
        assert "DRAFT – not served" in text and "Date served Not served" in text
    assert documents(app) == [] and letter_events(app) == []


def test_viewing_a_served_letter_never_stores_another_copy(app, api, login_as):
    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)
        (stored,) = documents(app)
        for role in ("contract_manager", "provider_manager"):
            client = login_as(role)
            assert client.get(f"/notices/{notice['id']}/letter").status_code == 200
            assert client.get(f"/notices/{notice['id']}/letter.pdf").status_code == 200
        # A later step on the same notice that serves nothing stores nothing either.
        api("provider_manager", "POST", f"/api/v1/notices/{notice['id']}/transitions",
            {"trigger": "acknowledge", "received_on": "2026-12-18"}, 200)
    (after,) = documents(app)
    assert (after.id, after.sha256) == (stored.id, stored.sha256)
    assert len(letter_events(app)) == 1


def test_a_default_notice_letter_states_its_number_the_remedy_period_and_the_cost(app, api, login_as, tmp_path):
    from workflows.default_notice import AT_PROVIDERS_COST

    with time_machine.travel(SERVED, tick=False):
        default = served_ce_default(api)
        html = login_as("contract_manager").get(f"/default-notices/{default['id']}/letter").get_data(as_text=True)
    (document,) = documents(app)
    assert document.filename == "CASE-00001-default-notice-number-1-served-2026-12-18.pdf"
    text = pdf_text(document.content, tmp_path)
    for expected in ("Default Notice number 1", AT_PROVIDERS_COST, "Missed visits (CE-C03)", "Restore the rota",
                     "within 5 working days of the date this notice was served", "How served By email",
                     "by the end of Tuesday 29 December 2026 (CE-36)", "Meadowbank Extra Care Ltd",
                     "Chris Commissioner"):
        assert expected in text, expected
    assert AT_PROVIDERS_COST.replace("'", "&#39;") in html and "Default Notice number 1" in html


def test_suspension_and_termination_letters(app, api, login_as, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        case = served_ce_default(api)["case_id"]
        suspension = api("contract_manager", "POST", f"/api/v1/cases/{case}/suspensions",
                         {"reason": "SIAP not implemented", "ground": "siap-failed"}, 201)
        api("commissioning_manager", "POST", f"/api/v1/suspensions/{suspension['id']}/transitions", {
            "trigger": "suspend", "scope": "partial", "scope_detail": "Lot 2 (Crewe)", "starts_on": "2026-12-18",
            "reason": "Missed visits continue (CE-33)", "lift_conditions": "A full rota for four weeks"}, 200)
        termination = api("contract_manager", "POST", f"/api/v1/cases/{case}/terminations", {"reason": "r"}, 201)
        api("commissioning_manager", "POST", f"/api/v1/terminations/{termination['id']}/transitions", {
            "trigger": "decide", "decided_on": "2026-12-18", "effective_on": "2027-03-31",
            "grounds": "Clause 26.1(b)", "exit_plan": "Residents move to lot 1 providers"}, 200)
        manager = login_as("contract_manager")
        pdf = manager.get(f"/terminations/{termination['id']}/letter.pdf")
        assert pdf.headers["Content-Disposition"] == \
            'attachment; filename="CASE-00001-clause-26.1-b-remedy-termination-served-2026-12-18.pdf"'
        assert "Clause 26.1(b) remedy (termination)" in manager.get(
            f"/terminations/{termination['id']}/letter").get_data(as_text=True)

    by_kind = {d.entity_type: d for d in documents(app)}
    assert sorted(by_kind) == ["default_notice", "suspension", "termination"]
    text = pdf_text(by_kind["suspension"].content, tmp_path)
    for expected in ("Suspension of the Service", "Part of the service: Lot 2 (Crewe)", "Friday 18 December 2026",
                     "Missed visits continue (CE-33)", "A full rota for four weeks",
                     "by the end of Wednesday 6 January 2027 (CE-34)", "How this deadline was counted"):
        assert expected in text, expected
    text = pdf_text(by_kind["termination"].content, tmp_path)
    for expected in ("Clause 26.1(b) remedy (termination)", "Grounds Clause 26.1(b)",
                     "Decided on Friday 18 December 2026", "takes effect on Wednesday 31 March 2027",
                     "Residents move to lot 1 providers"):
        assert expected in text, expected


def test_letters_fetch_nothing_from_outside_the_static_folder(app):
    from web.letters import _static_fetcher_class

    static = app.config["STATIC_DIR"]
    fetcher = _static_fetcher_class()(static)
    response = fetcher.fetch(f"file://{static}/letter.css")
    assert b"@page" in response.read() and response.content_type == "text/css"
    for url in ("https://example.com/letter.css", "http://127.0.0.1/x.css", "file:///etc/passwd",
                f"file://{static}/../app.py", "data:text/css,body{}"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
