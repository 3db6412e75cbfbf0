"""Printable letters for notices, default notices, suspensions and terminations: HTML with print CSS, and PDF
through WeasyPrint. A served letter is stored unchanged, with its SHA-256 in the audit trail, in the same
transaction as the step that served it."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, g, render_template

from models.case_store import deadlines_for, get_record, rulebook_for, store_document
from models.council_store import get_council
from web.clock import now_utc, today_london
from web.permissions import requires
from workflows.access import Permission
from workflows.default_notice import AT_PROVIDERS_COST
from workflows.errors import NotFound
from workflows.suspension import SCOPE_LABELS

bp = Blueprint("letters", __name__)

# (kind, trigger) pairs whose transition serves a letter on the provider.
SERVICE_STEPS = {("notice", "issue"), ("default_notice", "serve"), ("suspension", "suspend"),
                 ("termination", "decide")}
COLLECTIONS = {"notices": "notice", "default-notices": "default_notice", "suspensions": "suspension",
               "terminations": "termination"}


def _title(kind: str, record) -> str:
    book = rulebook_for(record.case.contract)
    if kind == "notice":
        return record.title
    if kind == "default_notice":
        return f"{book.rung_name('default_notice')}{f' number {record.number}' if record.number else ''}"
    return book.rung_name(kind)


def render_letter_html(kind: str, record, for_pdf: bool = False) -> str:
    """The letter as a standalone HTML page."""
    case = record.case
    contract = case.contract
    contacts = contract.escalation_contacts
    deadlines = [d for d in deadlines_for(record.council_id, entity=(kind, record.id))
                 if d.status in ("running", "met", "breached")]
    served_on = getattr(record, "served_on", None) or getattr(record, "starts_on", None) or getattr(
        record, "decided_on", None)
    return render_template(
        "letters/letter.html", kind=kind, record=record, case=case, contract=contract,
        council=get_council(record.council_id), provider=case.provider, addressee=contacts[0] if contacts else None,
        title=_title(kind, record), deadlines=deadlines, served_on=served_on, served=served_on is not None,
        cost_statement=AT_PROVIDERS_COST, scope_labels=SCOPE_LABELS, for_pdf=for_pdf,
        stylesheet=(Path(current_app.config["STATIC_DIR"]) / "letter.css").read_text())


def _local_only(url: str):
    # WeasyPrint must never reach the network: refuse every URL (the stylesheet is inlined).
    raise ValueError(f"Letters load nothing from outside: {url}")


def render_letter_pdf(kind: str, record) -> bytes:
    """The letter as a PDF (A4)."""
    from weasyprint import HTML  # slow to import: only when a letter is made

    html = render_letter_html(kind, record, for_pdf=True)
    return HTML(string=html, base_url=current_app.config["STATIC_DIR"], url_fetcher=_local_only).write_pdf()


def letter_filename(kind: str, record) -> str:
    """A file name people recognise: case reference, letter and date."""
    name = _title(kind, record).lower().replace(" ", "-").replace("(", "").replace(")", "")
    return f"{record.case.reference}-{name}-{today_london():%Y-%m-%d}.pdf"


def after_transition(actor, kind: str, record, trigger: str) -> None:
    """When a step serves a letter, store its PDF unchanged (the caller commits, so it lands with the step)."""
    if (kind, trigger) not in SERVICE_STEPS:
        return
    pdf = render_letter_pdf(kind, record)
    store_document(actor, record.case, kind, record.id, letter_filename(kind, record), "application/pdf", pdf,
                   now_utc())


def _load(collection: str, record_id: int):
    kind = COLLECTIONS.get(collection)
    if kind is None:
        abort(404)
    try:
        return kind, get_record(g.viewer, kind, record_id)
    except NotFound:
        abort(404)


@bp.get('/letters/<any("notices", "default-notices", "suspensions", "terminations"):collection>/<int:record_id>')
@requires(Permission.VIEW_PROVIDERS)
def letter(collection: str, record_id: int):
    """The letter, to read or print."""
    kind, record = _load(collection, record_id)
    return render_letter_html(kind, record)


@bp.get('/letters/<any("notices", "default-notices", "suspensions", "terminations"):collection>/<int:record_id>.pdf')
@requires(Permission.VIEW_PROVIDERS)
def letter_pdf(collection: str, record_id: int):
    """The letter as a PDF to download."""
    kind, record = _load(collection, record_id)
    response = Response(render_letter_pdf(kind, record), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{letter_filename(kind, record)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
