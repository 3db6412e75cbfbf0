"""What has happened to one provider, read for the provider picture: its newest happenings the viewer may know of,
counts per quarter, and its open cases. Safeguarding concerns come through concern_store, so the same visibility
rules apply here.

Every read is bounded (issue 17: a provider with 20,000 cases took a second to show when every happening was
loaded): the timeline reads the newest few of each kind, and the quarter counts are counted by the database over
the quarters shown, each kind in one statement, on indexes of (provider_id, date)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Date, and_, case, cast, func, literal, null, select, union_all

from models import UTCDateTime, db
from models.cases import Case, DefaultNotice, Notice, Suspension
from models.concern_store import list_concerns
from models.concerns import Complaint, Incident
from models.count_store import Count, cached, cap, fresh
from models.entities import CqcRating
from models.registry import scoped
from models.statement_cache import built
from workflows.access import Viewer
from workflows.case import OPEN
from workflows.clock import LONDON
from workflows.picture import KINDS, Happening, counts_by_quarter, quarter_bounds


def _of(model, viewer: Viewer, provider_id: int):
    return scoped(model, viewer).where(model.provider_id == provider_id)


def _day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


@dataclass(frozen=True)
class _Source:
    """One kind of happening: the rows it comes from, the column that dates it and how a row reads."""

    kind: str
    model: type
    on: str  # the dating column: a date, or an instant (then its London date is the day it happened)
    instant: bool
    happening: Callable[[object], Happening]
    only: Callable[[type], object] | None = None  # rows of the model that are happenings of this kind

    def query(self, viewer: Viewer, provider_id: int):
        query = _of(self.model, viewer, provider_id)
        return query.where(self.only(self.model)) if self.only is not None else query

    def bound(self, day: date):
        """The column's value at the start of a London day."""
        return datetime.combine(day, time(0), LONDON) if self.instant else day


def _complaint(complaint: Complaint) -> Happening:
    kind = "Formal" if complaint.formal else "Informal"
    return Happening(_day(complaint.received_at), "complaint", f"Complaint {complaint.reference} received",
                     f"{kind}: {complaint.summary}", ("complaint", complaint.id))


SOURCES = (
    _Source("case", Case, "created_at", True, lambda c: Happening(
        _day(c.created_at), "case", f"Case {c.reference} opened", c.summary, ("case", c.id))),
    _Source("notice", Notice, "served_on", False, lambda n: Happening(
        n.served_on, "notice", f"{n.title} served", n.findings, ("case", n.case_id)),
        only=lambda m: m.served_on.is_not(None)),
    _Source("default_notice", DefaultNotice, "served_on", False, lambda n: Happening(
        n.served_on, "default_notice", f"Default notice {n.number or ''} served".replace("  ", " "),
        n.default_description or "", ("case", n.case_id)), only=lambda m: m.served_on.is_not(None)),
    _Source("suspension", Suspension, "starts_on", False, lambda s: Happening(
        s.starts_on, "suspension", "Suspension started", s.scope_detail or s.scope or "", ("case", s.case_id)),
        only=lambda m: m.starts_on.is_not(None)),
    _Source("complaint", Complaint, "received_at", True, _complaint),
    _Source("incident", Incident, "occurred_at", True, lambda i: Happening(
        _day(i.occurred_at), "incident", f"Incident {i.reference}", i.description, ("incident", i.id))),
    _Source("cqc_rating", CqcRating, "rated_on", False, lambda r: Happening(
        r.rated_on, "cqc_rating", f"CQC rating: {r.rating.label}",
        "The report is linked in the rating history below" if r.report_url else "", None)),
)


def _concern(view) -> Happening:
    detail = {"full": view.concern.details, "shared": "Shared with you by the council's safeguarding team",
              "exists": "Details restricted to the safeguarding team"}[view.level]
    return Happening(view.concern.raised_on, "safeguarding_concern",
                     f"Safeguarding concern {view.concern.reference} raised", detail,
                     ("safeguarding_concern", view.concern.id))


def newest_happenings(viewer: Viewer, provider_id: int, limit: int) -> list[Happening]:
    """At least the newest `limit` happenings the viewer may know of, of every kind, unordered: workflows.picture's
    timeline orders them. The caller has checked the viewer may see the provider.

    Each kind's newest `limit` are read narrow first (id and date); only the rows that rank (by day, then kind) with
    or above the `limit`-th of them all are read whole (every row that can be in the first `limit`, ties included),
    not `limit` whole rows of every kind."""
    by_kind = {source.kind: source for source in SOURCES}
    newest = built(("picture newest", viewer, provider_id, limit), lambda: _newest(viewer, provider_id, limit))
    dated: list[tuple[date, _Source, int]] = [
        (_day(row.instant) if row.instant is not None else row.day, by_kind[row.kind], row.id)
        for row in db.session.execute(newest)]
    concerns = [_concern(view) for view in list_concerns(viewer, provider_id, limit=limit)]
    # The timeline's order is newest day first, then kind (workflows.picture.timeline): rank on both.
    order = {kind: n for n, kind in enumerate(KINDS)}

    def rank(on: date, kind: str) -> tuple[int, int]:
        return on.toordinal(), -order.get(kind, 99)

    ranks = sorted([rank(on, source.kind) for on, source, _id in dated] + [rank(h.on, h.kind) for h in concerns],
                   reverse=True)
    cutoff = ranks[limit - 1] if len(ranks) >= limit else (0, -99)
    wanted: dict[_Source, list[int]] = {}
    for on, source, row_id in dated:
        if rank(on, source.kind) >= cutoff:
            wanted.setdefault(source, []).append(row_id)
    out = [h for h in concerns if rank(h.on, h.kind) >= cutoff]
    for source, ids in wanted.items():
        # By primary key alone: the ids were read above through the viewer's scope, and a record never changes
        # council or provider. (With the scope again, SQLite read the provider's every notice along its
        # (provider_id, served_on) index to find 60 of them.)
        out.extend(source.happening(row) for row in db.session.scalars(
            select(source.model).where(source.model.id.in_(ids))))
    return out


def _newest(viewer: Viewer, provider_id: int, limit: int):
    """The newest `limit` of each kind, narrow (kind, id and date), in one UNION (built once: statement_cache)."""
    parts = []
    for source in SOURCES:
        column = getattr(source.model, source.on)
        parts.append(source.query(viewer, provider_id).with_only_columns(
            literal(source.kind).label("kind"), source.model.id.label("id"),
            # An instant (its London day worked out by the caller) or a date, each in its own column of the union.
            (column if source.instant else cast(null(), UTCDateTime)).label("instant"),
            (cast(null(), Date) if source.instant else column).label("day"),
        ).order_by(column.desc(), source.model.id.desc()).limit(limit).subquery())
    return union_all(*(select(*part.c) for part in parts))


def quarter_counts(viewer: Viewer, provider_id: int, quarters: list[tuple[int, int]]
                   ) -> dict[tuple[int, int], Counter[str]]:
    """How many of each kind the viewer may know of happened in each of these quarters, counted by the database."""
    counts: dict[tuple[int, int], Counter[str]] = {quarter: Counter() for quarter in quarters}
    bounds = [(quarter, *quarter_bounds(quarter)) for quarter in quarters]
    first, last = min(b[1] for b in bounds), max(b[2] for b in bounds)
    # A kind with more than the cap in the year is counted again at most every CACHE_SECONDS, and says "about".
    keys = {source.kind: ("picture", source.kind, viewer.council_id, viewer.provider_id, provider_id,
                          tuple(quarters)) for source in SOURCES}
    rows = {kind: row for kind, key in keys.items() if (row := fresh(key)) is not None}
    after = date.fromordinal(last.toordinal() + 1)

    def build(kinds: tuple[str, ...]):
        parts = []
        for source in SOURCES:
            if source.kind not in kinds:
                continue
            column = getattr(source.model, source.on)
            sums = [func.count(case((and_(column >= source.bound(start), column < source.bound(
                date.fromordinal(end.toordinal() + 1))), 1))).label(f"q{n}")
                for n, (_q, start, end) in enumerate(bounds)]
            parts.append(source.query(viewer, provider_id).with_only_columns(literal(source.kind).label("kind"), *sums)
                         .where(column >= source.bound(first), column < source.bound(after)))
        return union_all(*parts)

    counting = tuple(source.kind for source in SOURCES if source.kind not in rows)
    if counting:  # every kind not cached, in one statement
        statement = built(("picture quarters", viewer, provider_id, tuple(quarters), counting),
                          lambda: build(counting))
        for found in db.session.execute(statement):
            rows[found.kind] = row = tuple(found)[1:]
            if sum(row) > cap():
                cached(keys[found.kind], lambda row=row: row)
    for source in SOURCES:
        row = rows[source.kind]
        exact = sum(row) <= cap()
        for (quarter, _start, _end), n in zip(bounds, row, strict=True):
            if n:
                counts[quarter][source.kind] = Count(n, exact=exact)
    concerns = counts_by_quarter((_concern(view) for view in list_concerns(viewer, provider_id, since=first)),
                                 quarters)
    for quarter, counted in concerns.items():
        counts[quarter].update(counted)
    return counts


def open_cases(viewer: Viewer, provider_id: int, limit: int | None = None) -> list[Case]:
    """The provider's open cases, newest first (at most `limit`: the rest are on the case list)."""
    return list(db.session.scalars(_of(Case, viewer, provider_id).where(Case.state.in_(OPEN))
                                   .order_by(Case.id.desc()).limit(limit)))
