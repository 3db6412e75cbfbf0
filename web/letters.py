"""Printable letters for notices: HTML with print CSS, and PDF through WeasyPrint; a served letter is stored
unchanged with its SHA-256 in the audit trail. (Being filled in: see after_transition.)"""

from __future__ import annotations

# (kind, trigger) pairs whose transition serves a letter on the provider.
SERVICE_STEPS = {("notice", "issue"), ("default_notice", "serve"), ("suspension", "suspend"),
                 ("termination", "decide")}


def after_transition(actor, kind: str, record, trigger: str) -> None:
    """Store the served letter's PDF in the same transaction as the service step (no-op until letters exist)."""
    return None
