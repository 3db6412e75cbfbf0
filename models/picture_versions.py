"""Each provider's picture version: moved in the same transaction as any change to what the provider page's picture
is drawn from, so that a web worker can keep the picture it drew (models/picture_store.provider_picture) and draw it
again only after a change (issue 17: the timeline and the year of counts were half the provider page's work, drawn
again at every view).

The picture is drawn from the provider's cases, notices, default notices, suspensions, complaints, safeguarding
concerns (and the officers named on them, who may see their details), incidents, CQC ratings and contracts (an open
case's contract reference), from the provider's own row (its name), and from the audit events about the provider
itself. Every change to those rows that goes through the ORM (the engine's transitions, new records, every store's
edits) is noted when the session flushes; when the transaction commits, one UPDATE moves the version of each
provider noted, in the same transaction. So:

- no reader can keep a picture older than the data: a reader reads the version with the provider, then the picture
  (a later statement); a change that commits in between leaves the reader a newer picture under the older version,
  which the next reader, seeing the new version, draws again;
- the row lock the UPDATE takes is taken last, after every other statement of the transaction (providers in the
  order of their ids), and held only while it commits: writers of one provider's records wait for each other that
  long, and a writer holding it waits for nothing else;
- a rolled-back transaction moves nothing; a savepoint rolled back may move a version for nothing, which costs one
  picture drawn again; a savepoint released moves nothing yet: its changes are moved with the whole transaction's
  (the scheduler fires its batches in savepoints of one transaction).

Core statements that write those tables bypass the session's flush and must call `pictures_changed` themselves.
There is one, and it need not: the scheduler marks cases overdue (models/timer_store.py), which the picture does not
show. This module is imported by create_app, so every process that writes (web, scheduler, commands) moves them.

Each council's picture version works the same way for the council's lists (every list page, `/deadlines`, the API's
lists), the dashboard's counts, case pages and provider pages (models/council_store.kept_for_viewer): it moves with
a change to any row of the council except those no list or count is drawn from (NOT_LISTED: the audit trail,
messages, in-app notifications, reference counters; and a person's row only when their name, role or standing
changes, not at a sign-in), so a new kind of record moves it without being named here. Its Core writers note it
themselves (`council_pictures_changed`): the scheduler's fast path (deadlines breached, cases overdue) and the
monitoring sweep's breaches. The councils move after the providers, as the very last statement: every writer of a
council takes its row, and holds it only while it commits, waiting for nothing else meanwhile (so never in a
deadlock through it)."""

from __future__ import annotations

from itertools import chain

from flask import g, has_app_context
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from models.cases import Case, DefaultNotice, Notice, Suspension
from models.concerns import Complaint, ConcernOfficer, Incident, SafeguardingConcern
from models.council_store import PICTURES as COUNCIL_PICTURES
from models.entities import AuditEvent, Contract, Council, CqcRating, Provider, ReferenceCounter, User
from models.scheduling import CapturedMail, Notification, OutboxMessage
from workflows.access import Viewer

# Rows with a provider_id that the picture is drawn from (picture_store.SOURCES' models, and contracts).
DRAWN_FROM = (Case, Notice, DefaultNotice, Suspension, Complaint, SafeguardingConcern, Incident, CqcRating, Contract)
CHANGED = "remedy_pictures_changed"  # session.info: the providers whose picture this transaction changed
PROVIDER_PICTURES = "remedy_pictures"  # where on the app (each worker's) web/providers keeps the providers' pictures
# Rows with a council_id that no list or count is drawn from: their changes leave the council's version alone
# (every change writes the audit trail beside the rows it changes).
NOT_LISTED = (AuditEvent, CapturedMail, Notification, OutboxMessage, ReferenceCounter)
# A person's row moves it when what lists show of them changes (a contract's manager by name), not at a sign-in.
PERSON_SHOWN = ("name", "role", "active", "provider_id", "council_id")
COUNCILS_CHANGED = "remedy_council_pictures_changed"  # session.info: the councils whose lists this transaction changed


def picture_key(viewer: Viewer, provider: Provider, *shown) -> tuple:
    """What a picture of `provider` drawn for this person is kept under: the provider's picture version as read
    with `provider` (which the caller read before drawing anything of the picture), who is looking (their council,
    themselves and their role: what each person may know of a safeguarding concern is their own; a provider's staff
    their provider), and whatever else decides what is shown (`shown`: the quarters counted)."""
    return (viewer.council_id, viewer.user_id, viewer.role, viewer.provider_id, provider.id,
            provider.picture_version, *shown)


def forget_pictures(app) -> None:
    """Forget every picture this app (a worker) keeps: the providers' pages, and the councils' lists, counts and
    case pages. The next view of each draws it afresh, as the first view after a change does (bench/pages.py
    measures both; tests count a first view's statements)."""
    for store in (PROVIDER_PICTURES, COUNCIL_PICTURES):
        app.extensions.pop(store, None)


def pictures_changed(session: Session, provider_ids) -> None:
    """Note that these providers' pictures change in the session's transaction (moved when it commits)."""
    session.info.setdefault(CHANGED, set()).update(provider_ids)


def council_pictures_changed(session: Session, council_ids) -> None:
    """Note that these councils' lists and counts change in the session's transaction (moved when it commits); from
    now on this request draws them afresh (models/council_store.kept_for_viewer)."""
    session.info.setdefault(COUNCILS_CHANGED, set()).update(council_ids)
    if has_app_context():
        g.pop("council_picture", None)


def _concern_of(session: Session, officer: ConcernOfficer) -> tuple[int, int]:
    """(council, provider) of the concern an officer is named on."""
    concern = session.identity_map.get(session.identity_key(SafeguardingConcern, officer.concern_id))
    if concern is not None:
        return concern.council_id, concern.provider_id
    found = session.connection().execute(select(SafeguardingConcern.council_id, SafeguardingConcern.provider_id)
                                         .where(SafeguardingConcern.id == officer.concern_id)).one()
    return found[0], found[1]


def _changed_by(session: Session, row) -> tuple[int | None, int | None]:
    """(council whose lists, provider whose picture) a change to this row changes; None for neither."""
    if isinstance(row, ConcernOfficer):  # who may see a concern's details, on its lists and its provider's page
        return _concern_of(session, row)
    if isinstance(row, User) and row not in session.new and row not in session.deleted:
        state = inspect(row)
        return (row.council_id if any(state.attrs[name].history.has_changes() for name in PERSON_SHOWN)
                else None), None
    council_id = None if isinstance(row, NOT_LISTED) else getattr(row, "council_id", None)
    if isinstance(row, DRAWN_FROM):
        return council_id, row.provider_id
    if isinstance(row, Provider):
        return council_id, row.id
    if isinstance(row, AuditEvent):
        return None, row.entity_id if row.entity_type == "provider" else None
    return council_id, None


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    # After the flush the session still holds what it flushed, and each row's history (SQLAlchemy's after_flush).
    councils, providers = set(), set()
    for row in chain(session.new, session.deleted, (row for row in session.dirty if session.is_modified(row))):
        council_id, provider_id = _changed_by(session, row)
        if council_id is not None:
            councils.add(council_id)
        if provider_id is not None:
            providers.add(provider_id)
    if councils:
        council_pictures_changed(session, councils)
    if providers:
        pictures_changed(session, providers)


@event.listens_for(Session, "before_commit")
def _move_versions(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (the scheduler's batches): its changes are moved with the whole transaction
    # before_commit runs before the commit's own flush: flush here, so what it would write is noted too.
    session.flush()
    changed = session.info.pop(CHANGED, None)
    if changed:
        table = Provider.__table__
        session.execute(update(table).where(table.c.id.in_(sorted(changed)))
                        .values(picture_version=table.c.picture_version + 1))
    councils = session.info.pop(COUNCILS_CHANGED, None)
    if councils:  # last: a writer holding its council's row waits for nothing more, so it is held only to commit
        table = Council.__table__
        session.execute(update(table).where(table.c.id.in_(sorted(councils)))
                        .values(picture_version=table.c.picture_version + 1))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # Only the whole transaction's end forgets (a commit has moved them already): a savepoint rolled back leaves
    # what it noted, and what the savepoints released before it noted (moving a version for nothing is harmless).
    if transaction.parent is None:
        session.info.pop(CHANGED, None)
        session.info.pop(COUNCILS_CHANGED, None)
