"""Printable letters for notices, default notices, suspensions and terminations: HTML with print CSS, and PDF
through WeasyPrint. A served letter is stored unchanged, with its SHA-256 in the audit trail, in the same
transaction as the step that served it.

Each letter says who it is from and to, when and how it was served, the contract, what the contract calls the step,
what the provider must do, and each deadline with how it was counted (the explanation rows of its clocks).
"""

from __future__ import annotations

import mimetypes
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask import Blueprint, Response, abort, current_app, g, has_request_context, render_template

from models.audit_store import events_for
from models.case_queries import deadlines_for, get_record
from models.council_store import get_council
from models.document_store import store_document
from models.registry import KINDS, LETTER_EVENTS
from models.rulebook_store import rulebook_for
from models.user_store import get_user
from web.clock import LONDON
from web.permissions import requires
from workflows.access import Permission
from workflows.default_notice import AT_PROVIDERS_COST
from workflows.suspension import SCOPE_LABELS

bp = Blueprint("letters", __name__)

# The kinds that serve letters and the event of the serving step, as their machines mark them (models/registry.py).
SERVICE_EVENTS = LETTER_EVENTS
KIND_COLLECTIONS = {kind: KINDS[kind].collection for kind in LETTER_EVENTS}
COLLECTIONS = {collection: kind for kind, collection in KIND_COLLECTIONS.items()}
# A breached deadline stays on the letter: it is still the deadline the letter gave. Superseded and cancelled ones go.
SHOWN_DEADLINES = ("running", "met", "breached")
METHODS = {"hand": "By hand", "email": "By email", "post": "By post"}
UNITS = {"working_days": "working day", "calendar_days": "day", "months": "month", "hours": "hour"}


@dataclass(frozen=True)
class LetterDeadline:
    """One deadline as the letter states it."""

    label: str
    due: str  # "by the end of Wednesday 6 January 2027"
    rule: str
    explanation: list[str]


def letter_title(kind: str, record) -> str:
    """What the contract calls this step ("Formal warning", "Default Notice number 1", ...)."""
    if kind == "notice":
        return record.title
    name = rulebook_for(record.case.contract).rung_name(kind)
    if kind == "default_notice" and record.number:
        return f"{name} number {record.number}"
    return name


def _period(length: int | None, unit: str) -> str:
    word = UNITS.get(unit, unit.replace("_", " "))
    return f"{length} {word}{'' if length == 1 else 's'}" if length is not None else ""


def _served_on(kind: str, record, event) -> date | None:
    """The day the letter was served, or None while it is a draft (only the serving step sets these fields)."""
    if kind in ("notice", "default_notice"):
        return record.served_on
    if kind == "termination":
        return record.decided_on
    if record.starts_on is None:
        return None
    # A suspension records when it starts, not when the letter went: the letter goes when it is confirmed.
    return event.at.astimezone(LONDON).date() if event is not None else record.starts_on


def _phases(phases: list | None) -> list[dict]:
    """CE-40 phases as the letter states them (stored as JSON, dates as ISO text)."""
    out = []
    for number, phase in enumerate(phases or [], start=1):
        starts = date.fromisoformat(phase["starts_on"]) if phase.get("starts_on") else None
        ends = date.fromisoformat(phase["ends_on"]) if phase.get("ends_on") else None
        out.append({"number": number, "starts_on": starts, "ends_on": ends, "scope": phase.get("scope", ""),
                    "conditions": phase.get("conditions", "")})
    return out


def letter_context(kind: str, record) -> dict:
    """Everything the letter template shows, worked out here so the template holds no rules."""
    case = record.case
    contract = case.contract
    contacts = contract.escalation_contacts
    event = _service_event(kind, record)
    officer = get_user(event.actor_id) if event is not None and event.actor_id else None
    served_on = _served_on(kind, record, event)
    rows = deadlines_for(record.council_id, entity=(kind, record.id))
    deadlines = [
        LetterDeadline(label=d.label, due=f"by the end of {d.due_on:%A} {d.due_on.day} {d.due_on:%B %Y}",
                       rule=d.rule, explanation=list(d.explanation or []))
        for d in rows if d.status in SHOWN_DEADLINES]
    context = {
        "kind": kind, "collection": KIND_COLLECTIONS[kind], "record": record, "case": case, "contract": contract,
        "provider": case.provider, "council": get_council(record.council_id),
        "addressee": contacts[0] if contacts else None,  # the provider's 1st escalation contact (Kent 1.1)
        "title": letter_title(kind, record), "served": served_on is not None, "served_on": served_on,
        "method": METHODS.get(getattr(record, "method", None) or ""), "officer": officer,
        "deadlines": deadlines, "cost_statement": AT_PROVIDERS_COST,
        "filename": letter_filename(kind, record, served_on),
    }
    if kind == "default_notice":
        # Council-set remedy periods are on the record (CE-36); a fixed one is the length of its clock.
        if record.remedy_days:
            context["remedy_period"] = _period(record.remedy_days, "working_days")
        else:
            context["remedy_period"] = _period(rows[0].length, rows[0].unit) if rows else ""
    elif kind == "suspension":
        context["scope"] = SCOPE_LABELS.get(record.scope or "", "")
        # The reason given when the authorised officer confirmed it; the proposal's reason until then.
        context["reason"] = event.reason if event is not None and event.reason else record.proposed_reason
        context["phases"] = _phases(record.phases)
    elif kind == "termination":
        context["reason"] = record.considered_reason
    return context


def render_letter_html(kind: str, record, for_pdf: bool = False) -> str:
    """The letter as a standalone HTML page (for_pdf: links its stylesheet relative to the static folder)."""
    return render_template("letters/letter.html", for_pdf=for_pdf, **letter_context(kind, record))


@cache
def _static_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        """Serves files from the static folder and nothing else: a letter never reaches the network."""

        def __init__(self, root: str):
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.root = Path(root).resolve()

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"Letters load nothing from outside the static folder: {url}")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(self.root) or not path.is_file():
                raise ValueError(f"Letters load nothing from outside the static folder: {url}")
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": media_type})

    return StaticFilesOnly


def render_letter_pdf(kind: str, record) -> bytes:
    """The letter as an A4 PDF."""
    from weasyprint import HTML  # slow to import: only when a letter is made

    static = Path(current_app.config["STATIC_DIR"]).resolve()
    html = render_letter_html(kind, record, for_pdf=True)
    # WeasyPrint 70 wants a URLFetcher instance (a bare function breaks its error handling). The trailing slash
    # makes "letter.css" resolve inside the folder rather than beside it.
    fetcher = _static_fetcher_class()(str(static))
    # PDF/UA-1: tagged (headings, paragraphs, tables and lists a screen reader can follow), with the document's
    # language from <html lang="en-GB"> and its title from <title> (ux #12).
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")


def letter_filename(kind: str, record, served_on: date | None = None) -> str:
    """The letter's one name, on the stored copy and every download: case reference, what the contract calls it
    and the day it was served (CASE-00003-warning-notice-served-2026-11-27.pdf); a draft says it is a draft."""
    slug = re.sub(r"[^a-z0-9.]+", "-", letter_title(kind, record).lower()).strip("-.")
    if served_on is None:
        served_on = _served_on(kind, record, _service_event(kind, record))
    when = f"served-{served_on:%Y-%m-%d}" if served_on is not None else "draft"
    return f"{record.case.reference}-{slug}-{when}.pdf"


def _service_event(kind: str, record):
    """The step that served the letter, if it has been served."""
    events = [e for e in events_for(record.council_id, kind, record.id) if e.event == SERVICE_EVENTS[kind]]
    return events[-1] if events else None


def serve_letter(actor, kind: str, record, now) -> None:
    """Render a served letter and store its PDF unchanged; the engine calls it (installed at app creation) in the
    flush of every step the domain marks as serving a letter, so the letter lands with the step or not at all."""
    # Letter templates expect a request; a step from the CLI or the scheduler renders as an anonymous page would.
    with nullcontext() if has_request_context() else current_app.test_request_context():
        pdf = render_letter_pdf(kind, record)
        filename = letter_filename(kind, record)
    store_document(actor, kind, record, filename, "application/pdf", pdf, now)


def _load(collection: str, record_id: int):
    kind = COLLECTIONS.get(collection)
    if kind is None:
        abort(404)
    return kind, get_record(g.viewer, kind, record_id)


def _for_each_collection(suffix: str):
    """Route /notices/<id>/<suffix>, /default-notices/<id>/<suffix> and so on to one view.

    The first segment is static on purpose: with a converter there, cases.transition's
    /<collection>/<id>/<trigger> would take "letter" for a trigger.
    """

    def register(view):
        for collection in COLLECTIONS:
            bp.add_url_rule(f"/{collection}/<int:record_id>/{suffix}", view_func=view, methods=["GET"],
                            defaults={"collection": collection})
        return view

    return register


@_for_each_collection("letter")
@requires(Permission.VIEW_PROVIDERS)
def letter(collection: str, record_id: int):
    """The letter, to read or print."""
    kind, record = _load(collection, record_id)
    return render_letter_html(kind, record)


@_for_each_collection("letter.pdf")
@requires(Permission.VIEW_PROVIDERS)
def letter_pdf(collection: str, record_id: int):
    """The letter as a PDF to download."""
    kind, record = _load(collection, record_id)
    response = Response(render_letter_pdf(kind, record), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{letter_filename(kind, record)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
