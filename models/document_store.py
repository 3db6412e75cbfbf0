"""Served letters: kept unchanged with their SHA-256 in the audit trail, and read back only through their case."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer

from models import db
from models.case_queries import get_case
from models.cases import Case, Document
from models.engine import audit
from models.entities import User
from workflows.access import Viewer
from workflows.errors import NotFound


@cache
def _documents_statement():
    # Built once (see _by_case_statement). A list of letters never needs their PDFs: the bytes load only if read.
    return (select(Document).where(Document.council_id == bindparam("council_id"),
                                   Document.case_id == bindparam("case_id"))
            .options(defer(Document.content)).order_by(Document.id))


def documents_for(viewer: Viewer, case: Case) -> list[Document]:
    """Letters stored for a case."""
    return list(db.session.scalars(_documents_statement(), {"council_id": viewer.council_id, "case_id": case.id}))


def get_document(viewer: Viewer, document_id: int) -> Document:
    """One stored letter, if the viewer may see its case."""
    document = db.session.get(Document, document_id)
    if document is None or document.council_id != viewer.council_id:
        raise NotFound("There is no such document")
    get_case(viewer, document.case_id)  # raises NotFound for another provider's case
    return document


def store_document(actor: User, kind: str, record, filename: str, media_type: str, content: bytes,
                   now: datetime) -> Document:
    """Keep a served letter unchanged, with its SHA-256 in the audit trail (same transaction as the service)."""
    digest = hashlib.sha256(content).hexdigest()
    document = Document(council_id=record.council_id, case_id=record.case_id, entity_type=kind, entity_id=record.id,
                        filename=filename, media_type=media_type, sha256=digest, content=content, created_at=now)
    db.session.add(document)
    db.session.flush()
    audit(actor, kind, record, "LETTER_STORED", now,
          data={"document_id": document.id, "filename": filename, "sha256": digest, "bytes": len(content)})
    return document
