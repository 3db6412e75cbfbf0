"""Hostile input through every HTML form, as the roles that can see it: very long text, control characters,
impossible dates (30 February, year 99999, a day of eleven digits), huge and negative numbers, and markup.

The walk starts from every GET route in app.url_map (ids filled with the first records of a world with cases, a
signed plan, complaints, a concern, an incident, a meeting and a financial change) and follows the links each page
shows, a few pages per address pattern; every form that posts is then sent once per hostile value, with that value in
every field a person types into (and the form's own choices, CSRF token and version everywhere else).

Asserted for every submission: no 5xx (nor an exception, which TESTING would raise instead), the audit trail grows
only when the form answered 303 (a refusal writes nothing), and the marker `<script>alert(1)</script>` never comes
back unescaped, neither in the answer nor on any page walked again afterwards.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine

from tests.conftest import csrf_token
from tests.integration.portal_setup import signed_plan, user
from web.permissions import PUBLIC

NOW = "2027-01-11T10:00:00+00:00"
MARKER = "<script>alert(1)</script>"
HOSTILE = {
    "long": "Ω" + "x" * 20_000,
    "control": "a\x00b\x01c\x1b[31m\x7fd\u202e\ufeff",
    "markup": f'{MARKER}"><img src=x onerror=alert(1)>',
    "huge": "99999999999999999999999",
    "negative": "-1",
}
DATES = {"30 February": ("30", "2", "2027"), "year 99999": ("1", "1", "99999"),
         "eleven-digit day": ("99999999999", "1", "2027"), "zeros": ("0", "0", "0")}
SKIP_ACTIONS = re.compile(r"/sign-out|/sign-out-everywhere|/two-factor")  # would end or lock the walk's session
SKIP_PAGES = re.compile(r"\.(pdf|ics|csv|xlsx|json)$|/assets/|/static/|/evidence/|/documents/|/template\.|format=")
PER_PATTERN = 2
# A success answers 200 there: the new token is shown once, never stored plain; a person's records are downloaded
# (issue 15), and the export is audited.
SHOWN_ONCE = {"/account/api-tokens", "/people/N/export"}


class Forms(HTMLParser):
    """The POST forms on a page and the links it shows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "post": (a.get("method") or "get").lower() == "post",
                          "multipart": "multipart" in (a.get("enctype") or ""), "fields": []}
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            self._form["fields"].append({"name": a["name"], "type": (a.get("type") or "text").lower(),
                                         "value": a.get("value") or "", "checked": "checked" in a})
        elif tag == "textarea":
            self._textarea = {"name": a["name"], "type": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = {"name": a["name"], "type": "select", "value": None}
            self._form["fields"].append(self._select)
        if tag == "option" and self._select is not None and (self._select["value"] in (None, "") or "selected" in a):
            self._select["value"] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["post"]:
                self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


@pytest.fixture
def world(app, demo):
    """The demo with its cases, complaint and concern, plus a signed plan with milestones, an incident, a meeting and
    a financial change: so the record pages and their forms are there to walk."""
    from models import db
    from models.concern_store import record_incident
    from models.demo import load_demo
    from models.financial_change_store import record_change
    from models.meeting_store import record_meeting
    from tests.integration.portal_setup import SERVED_AT, TODAY

    with app.app_context():
        load_demo(with_cases=True, now=SERVED_AT)
        signed_plan()
        manager, provider = user("contract.manager@remedy.example"), user("provider.manager@brightwater.example")
        record_incident(provider.viewer, provider, provider.provider_id, {
            "kind": "key_holding", "occurred_at": SERVED_AT, "description": "Key safe left open",
            "action_taken": "Code changed"}, SERVED_AT)
        record_meeting(manager.viewer, manager, "HC-2024-05", TODAY, "Provider and council", "Minutes", TODAY,
                       SERVED_AT)
        record_change(manager.viewer, manager, {"contract_id": "HC-2024-05", "occurred_on": TODAY,
                                                "what_changed": "Overdraft withdrawn"}, SERVED_AT)
        db.session.commit()


def _audit_count(app) -> int:
    from sqlalchemy import func, select

    from models import db
    from models.entities import AuditEvent

    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)))


def _start_pages(app) -> list[str]:
    """Every GET page route, its ids set to 1 and a collection's first choice."""
    pages = []
    for rule in app.url_map.iter_rules():
        if (rule.rule.startswith("/api/") or "GET" not in rule.methods or SKIP_PAGES.search(rule.rule)
                or app.view_functions[rule.endpoint].remedy_permission == PUBLIC):
            continue
        if re.search(r"<(?!int:|any\()", rule.rule):  # a trigger, step or key: reached through the pages' links
            continue
        pages.append(re.sub(r"<any\(\"([^\"]+)\"[^>]*>|<int:[^>]+>", lambda m: m.group(1) or "1", rule.rule))
    return pages


def _walk(client, app) -> dict[str, str]:
    """The pages a person with this session reaches: {address: html}."""
    seen, pages, per_pattern = set(), {}, Counter()
    queue = deque(_start_pages(app))
    while queue:
        url = queue.popleft()
        if url in seen or SKIP_PAGES.search(url) or "sign-out" in url:
            continue
        seen.add(url)
        pattern = re.sub(r"\d+", "N", urlsplit(url).path)
        if per_pattern[pattern] >= PER_PATTERN:
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        per_pattern[pattern] += 1
        html = response.get_data(as_text=True)
        pages[url] = html
        parser = Forms()
        parser.feed(html)
        for href in parser.links:
            parts = urlsplit(urljoin(url, href))
            if not parts.netloc or parts.netloc == "localhost":
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def _date_names(form: dict) -> set[str]:
    """The form's dates: three boxes of one name (day, month, year)."""
    names = Counter(f["name"] for f in form["fields"] if f["type"] in ("text", "number", "tel"))
    return {name for name, count in names.items() if count == 3}


def _fill(form: dict, value: str | None, date_parts: tuple[str, str, str] | None,
          choices_too: bool = False) -> list[tuple[str, str]]:
    """The form's fields: hidden ones, radios and selects as the page set them (or their first choice), or `value`
    too when `choices_too`; a typed field gets `value` (a sensible text when None); the three boxes of a date get
    `date_parts` (a real date when None)."""
    dates = _date_names(form)
    data, radios, date_seen = [], set(), Counter()
    for f in form["fields"]:
        name, kind = f["name"], f["type"]
        if kind in ("submit", "button", "file", "image", "reset") or name == "csrf_token":
            continue
        if kind in ("radio", "checkbox", "hidden", "select") and choices_too and value is not None:
            if name not in radios:
                radios.add(name)
                data.append((name, value))
        elif kind == "radio":
            if name not in radios:
                radios.add(name)
                data.append((name, f["value"]))
        elif kind == "checkbox":
            if f["checked"] or value is not None:
                data.append((name, f["value"]))
        elif kind == "hidden" or kind == "select":
            data.append((name, f["value"] or ""))
        elif name in dates:  # a GOV.UK date: day, month, year
            part = date_seen[name]
            date_seen[name] += 1
            data.append((name, (date_parts or ("11", "1", "2027"))[part % 3]))
        elif kind == "email":
            data.append((name, value if value is not None else "someone@example.org"))
        elif kind == "password":
            data.append((name, value if value is not None else "correct-horse-battery-42"))
        else:
            data.append((name, value if value is not None else (f["value"] or "Sensible text")))
    return data


def _submit(client, action: str, data: list[tuple[str, str]], multipart: bool, token: str):
    body: dict = {}
    for name, value in [*data, ("csrf_token", token)]:
        body.setdefault(name, []).append(value)
    if multipart:  # a file with a hostile name too
        body["file"] = (BytesIO(b"kpi,numerator,denominator\nS3,1,2\n"), f"{MARKER}.csv")
    return client.post(action, data=body)


@pytest.mark.parametrize("role", ["contract_manager", "provider_manager", "safeguarding_officer", "admin"])
def test_hostile_values_in_every_form_give_no_server_error_and_come_back_escaped(app, world, login_as, role):
    problems, submitted, forms_seen = [], 0, set()
    with time_machine.travel(NOW, tick=False):  # (signed in inside: a session lasts 8 hours)
        client = login_as(role)
        pages = _walk(client, app)
        token = csrf_token(next(html for html in pages.values() if 'name="csrf_token"' in html))
        for url, html in pages.items():
            parser = Forms()
            parser.feed(html)
            for form in parser.forms:
                action = urlsplit(urljoin(url, form["action"] or url)).path
                pattern = re.sub(r"\d+", "N", action)
                if SKIP_ACTIONS.search(action) or pattern in forms_seen:
                    continue
                forms_seen.add(pattern)
                trials = [(label, _fill(form, value, None)) for label, value in HOSTILE.items()]
                trials += [(f"{label} in its choices too", _fill(form, value, None, choices_too=True))
                           for label, value in HOSTILE.items()]
                if _date_names(form):
                    trials += [(label, _fill(form, None, parts)) for label, parts in DATES.items()]
                for label, data in trials:
                    before = _audit_count(app)
                    submitted += 1
                    try:
                        response = _submit(client.client, action, data, form["multipart"], token)
                    except Exception as exc:  # TESTING raises what would have been a 500
                        problems.append(f"{action} ({label}): {type(exc).__name__}: {exc}"[:300])
                        continue
                    body = response.get_data(as_text=True)
                    if response.status_code >= 500:
                        problems.append(f"{action} ({label}): {response.status_code}")
                    if response.status_code != 303 and pattern not in SHOWN_ONCE and _audit_count(app) != before:
                        problems.append(f"{action} ({label}): {response.status_code}, yet the audit trail grew")
                    if MARKER in body:
                        problems.append(f"{action} ({label}): the marker came back unescaped")
        escaped = 0
        for url, html in _walk(client, app).items():  # everything that was stored, shown again
            if MARKER in html:
                problems.append(f"{url} shows the marker unescaped")
            escaped += html.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert submitted > 100 and len(forms_seen) > 10, (submitted, sorted(forms_seen))
    assert escaped, "no marker was stored and shown (escaped): the walk proves nothing about escaping"
    assert not problems, "\n".join(problems)
