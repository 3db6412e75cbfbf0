"""ux #11: plain words first. A hint never starts with a rule id (the rule follows the sentence, "due in 10 working
days (KT-19)"); the deadlines list names a monitoring return by its period; success banners state what happened."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from tests.integration.test_form_errors import FORMS, NOW, records  # noqa: F401 (a fixture)

# A rule id: KT-19, HF-14, CE-K14, TH-16, A54 (optionally in brackets or followed by a colon).
LEADING_RULE = re.compile(r"^\(?(?:[A-Z]{1,3}-[A-Z]?\d+|A\d+)\b")
HINT = re.compile(r'<div[^>]*class="govuk-hint"[^>]*>(.*?)</div>', re.S)


def _hints(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip() for h in HINT.findall(html)]


EXTRA = [("contract_manager", "/notices/{notice}/issue"), ("contract_manager", "/cases/{case}/default-notices/new"),
         ("safeguarding_officer", "/safeguarding/new"), ("provider_manager", "/financial-changes/new")]


@pytest.mark.parametrize(("role", "address"), [(r, a) for r, a, _ in FORMS] + EXTRA)
def test_no_hint_starts_with_a_rule_id(login_as, records, role, address):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        response = login_as(role).get(address.format(**records))
    assert response.status_code == 200
    hints = _hints(response.get_data(as_text=True))
    assert not [h for h in hints if LEADING_RULE.match(h)], hints


def test_every_step_field_hint_puts_words_first():
    """Every hint of every step form the code declares, including those on pages not walked above."""
    import web.complaints
    import web.incidents
    import web.safeguarding
    from web.case_forms import FIELDS

    declared = [f for fields in FIELDS.values() for f in fields]
    declared += [f for fields in web.complaints.STEP_FIELDS.values() for f in fields]
    declared += list(web.incidents.REPORT_FIELDS)
    declared += [f for fields in web.safeguarding.TRANSITION_FIELDS.values() for f in fields]
    declared += [f for _h, _b, fields in web.safeguarding.ACTIONS.values() for f in fields]
    assert not [f.hint for f in declared if f.hint and LEADING_RULE.match(f.hint)]


def test_a_return_deadline_is_named_by_its_period(app, demo, login_as):
    from models import db
    from models.contract_settings_store import change_setting
    from models.user_store import find_user_by_email

    with app.app_context():
        admin = find_user_by_email("admin@remedy.example")
        change_setting(admin.viewer, admin, "ECH-2024-01", "return_due",
                       {"four-weekly": {"working_days": 10, "from": "2024-04-01"}}, "Council timetable",
                       datetime(2026, 12, 18).date(), datetime(2026, 12, 18, 14, tzinfo=UTC))
        db.session.commit()
    with time_machine.travel("2026-12-18T14:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        manager.get("/returns")  # the periods that have started are created, with their clocks
        html = manager.get("/deadlines?kind=return").get_data(as_text=True)
    assert "Monitoring return Period" in html, re.findall(r"Monitoring return[^<]*", html)
    assert not re.search(r"Monitoring return \d+<", html)
