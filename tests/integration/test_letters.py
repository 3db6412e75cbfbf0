"""Letters: printable HTML and PDF stating the deadline and how it was counted; served letters stored unchanged
with their SHA-256 in the audit trail."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import assert_page

SERVED = "2026-12-18T14:00:00+00:00"


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    tokens = {}

    def call(role, method, url, json=None):
        if role not in tokens:
            tokens[role] = api_token(role)
        return client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {tokens[role]}"})

    return call


def issued_kent_warning(api) -> dict:
    case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "LDDS-2023-07", "summary": "S3"}).get_json()
    notice = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/notices",
                 {"findings": "Attendance 71% against 95%", "required_action": "A section 11.3 plan"}).get_json()
    return api("contract_manager", "POST", f"/api/v1/notices/{notice['id']}/transitions",
               {"trigger": "issue", "served_on": "2026-12-18", "method": "hand"}).get_json()


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_issuing_stores_exactly_one_pdf_with_its_sha256_in_the_audit_trail(app, api, tmp_path):
    from models import db
    from models.cases import Document

    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)
    stored = next(e for e in notice["events"] if e["event"] == "LETTER_STORED")
    with app.app_context():
        (document,) = db.session.scalars(select(Document)).all()
        assert hashlib.sha256(document.content).hexdigest() == document.sha256 == stored["data"]["sha256"]
        content = document.content
    text = " ".join(pdf_text(content, tmp_path).split())
    for expected in ("Brightwater Day Opportunities CIC", "Formal warning", "6 January 2027", "KT-19",
                     "Christmas Day", "Attendance 71% against 95%"):
        assert expected in text, expected


def test_the_letter_page_and_pdf_are_only_for_people_who_may_see_them(app, api, login_as, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)
        manager = login_as("contract_manager")
        html = manager.get(f"/letters/notices/{notice['id']}").get_data(as_text=True)
        assert "Formal warning" in html and "Wednesday 6 January 2027" in html and "How this deadline was counted" in html
        pdf = manager.get(f"/letters/notices/{notice['id']}.pdf")
        assert pdf.mimetype == "application/pdf" and "attachment" in pdf.headers["Content-Disposition"]
        assert login_as("provider_user").get(f"/letters/notices/{notice['id']}").status_code == 200
        other = api("contract_manager", "POST", "/api/v1/cases", {"contract": "HC-2024-05", "summary": "x"}).get_json()
        other_notice = api("contract_manager", "POST", f"/api/v1/cases/{other['id']}/notices",
                           {"findings": "f", "required_action": "a"}).get_json()
        provider = login_as("provider_manager")
        assert provider.get(f"/letters/notices/{other_notice['id']}").status_code == 404
        assert provider.get(f"/letters/notices/{other_notice['id']}.pdf").status_code == 404
        assert "DRAFT – not served" in manager.get(f"/letters/notices/{other_notice['id']}").get_data(as_text=True)

    from models import db
    from models.cases import Document

    with app.app_context():
        assert len(db.session.scalars(select(Document)).all()) == 1  # viewing never stores another copy


def test_a_default_notice_letter_states_the_cost_and_its_number(app, api, tmp_path):
    with time_machine.travel(SERVED, tick=False):
        case = api("contract_manager", "POST", "/api/v1/cases", {"contract": "ECH-2024-01", "summary": "s"}).get_json()
        default = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/default-notices", {}).get_json()
        api("commissioning_manager", "POST", f"/api/v1/default-notices/{default['id']}/transitions", {
            "trigger": "serve", "served_on": "2026-12-18", "method": "email",
            "default_description": "Missed visits (CE-C03)", "remedial_action": "Restore the rota",
            "remedy_days": 5})
    from models import db
    from models.cases import Document

    with app.app_context():
        (document,) = db.session.scalars(select(Document)).all()
        text = " ".join(pdf_text(document.content, tmp_path).split())
    assert "Default Notice number 1" in text and "Provider's sole cost" in text and "CE-36" in text


def test_case_page_lists_the_stored_letter_for_download(app, api, login_as):
    with time_machine.travel(SERVED, tick=False):
        notice = issued_kent_warning(api)
        html = assert_page(login_as("provider_manager").get(f"/cases/{notice['case_id']}"), "Case CASE-00001")
        import re

        href = re.search(r'href="(/documents/\d+)"', html).group(1)
        response = login_as("provider_manager").get(href)
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response.headers["Content-Disposition"]
