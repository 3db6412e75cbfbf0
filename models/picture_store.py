"""What has happened to one provider, read for the provider picture: its happenings the viewer may know of, newest
first a page at a time, counts per quarter, and its open cases. Safeguarding concerns are read with
concern_store's visibility rules (listable_concerns in the statement, concern_views for what each person sees).

Every read is bounded (issue 17: a provider with 20,000 cases took a second to show when every happening was
loaded): a page of the timeline reads the next few of each kind, narrow, in one UNION along the (provider_id, date,
id) indexes, then whole rows only for the page; the quarter counts are counted by the database over the quarters
shown, every kind in one statement.

The provider page's picture (provider_picture: its first page of happenings, the year of counts, its open cases and
its own audit events) is drawn only from rows that move the provider's picture version (models/picture_versions.py),
so the page keeps what it drew from it until they change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Date, Integer, and_, case, cast, func, null, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from models import UTCDateTime, db, dialect_name, fixed
from models.audit_store import ShownEvent, events_for
from models.cases import Case, DefaultNotice, Notice, Suspension
from models.concern_store import complaint_figure_counts, complaint_figures, concern_views, listable_concerns
from models.concerns import Complaint, Incident, SafeguardingConcern
from models.count_store import Count, cached, cap, fresh
from models.entities import CqcRating
from models.registry import scoped
from models.statement_cache import built
from workflows.access import Viewer
from workflows.case import OPEN
from workflows.clock import LONDON
from workflows.errors import NotFound
from workflows.picture import KINDS, Happening, happening_order, quarter_bounds, timeline_key


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
    happening: Callable[[Viewer, object], Happening | None]  # None: not the viewer's to know of after all
    only: Callable[[type, Viewer], object] | None = None  # rows of the model that are happenings of this kind
    options: tuple = field(default=())  # loader options for the whole rows

    def query(self, viewer: Viewer, provider_id: int):
        query = _of(self.model, viewer, provider_id)
        return query.where(self.only(self.model, viewer)) if self.only is not None else query

    def bound(self, day: date):
        """The column's value at the start of a London day."""
        return datetime.combine(day, time(0), LONDON) if self.instant else day

    @property
    def column(self):
        return getattr(self.model, self.on)

    def after(self, key: _Key):
        """This kind's rows that come after the happening `key` on the timeline (newest day first, then the order of
        KINDS, then newest first within a kind)."""
        rank = happening_order(self.kind)
        if rank < key.rank:  # an earlier day
            return self.column < self.bound(key.day)
        if rank > key.rank:  # the same day or an earlier one
            return self.column < self.bound(date.fromordinal(key.day.toordinal() + 1))
        at = key.instant if self.instant else key.day
        return or_(self.column < at, and_(self.column == at, self.model.id < key.row_id))


@dataclass(frozen=True)
class _Key:
    """Where a happening stands on the timeline."""

    kind: str
    row_id: int
    day: date
    instant: datetime | None  # for kinds dated by an instant

    @property
    def rank(self) -> int:
        return happening_order(self.kind)


def _with_case(model) -> tuple:
    """A record's case reference, read with the record: the timeline names the case a notice was served on."""
    return (joinedload(model.case).load_only(Case.reference),)


def _served(model, _viewer):
    return model.served_on.is_not(None)


def _complaint(_viewer: Viewer, complaint: Complaint) -> Happening:
    kind = "Formal" if complaint.formal else "Informal"
    return Happening(_day(complaint.received_at), "complaint", f"Complaint {complaint.reference} received",
                     f"{kind}: {complaint.summary}", ("complaint", complaint.id))


def _concern(viewer: Viewer, concern: SafeguardingConcern) -> Happening | None:
    for view in concern_views(viewer, [concern]):
        detail = {"full": concern.details, "shared": "Shared with you by the council's safeguarding team",
                  "exists": "Details restricted to the safeguarding team"}[view.level]
        return Happening(concern.raised_on, "safeguarding_concern", f"Safeguarding concern {concern.reference} raised",
                         detail, ("safeguarding_concern", concern.id))
    return None


SOURCES = (
    _Source("case", Case, "created_at", True, lambda _v, c: Happening(
        _day(c.created_at), "case", f"Case {c.reference} opened", c.summary, ("case", c.id))),
    _Source("notice", Notice, "served_on", False, lambda _v, n: Happening(
        n.served_on, "notice", f"{n.title} served on case {n.case.reference}", n.findings, ("case", n.case_id)),
        only=_served, options=_with_case(Notice)),
    _Source("default_notice", DefaultNotice, "served_on", False, lambda _v, n: Happening(
        n.served_on, "default_notice",
        f"Default notice {n.number or ''} served on case {n.case.reference}".replace("  ", " "),
        n.default_description or "", ("case", n.case_id)), only=_served, options=_with_case(DefaultNotice)),
    _Source("suspension", Suspension, "starts_on", False, lambda _v, s: Happening(
        s.starts_on, "suspension", f"Suspension started on case {s.case.reference}", s.scope_detail or s.scope or "",
        ("case", s.case_id)), only=lambda model, _viewer: model.starts_on.is_not(None),
        options=_with_case(Suspension)),
    _Source("complaint", Complaint, "received_at", True, _complaint),
    _Source("safeguarding_concern", SafeguardingConcern, "raised_on", False, _concern,
            only=lambda _model, viewer: listable_concerns(viewer),
            options=(selectinload(SafeguardingConcern.officers),)),
    _Source("incident", Incident, "occurred_at", True, lambda _v, i: Happening(
        _day(i.occurred_at), "incident", f"Incident {i.reference}", i.description, ("incident", i.id))),
    _Source("cqc_rating", CqcRating, "rated_on", False, lambda _v, r: Happening(
        r.rated_on, "cqc_rating", f"CQC rating: {r.rating.label}",
        "The report is linked in the rating history below" if r.report_url else "", None)),
)
BY_KIND = {source.kind: source for source in SOURCES}
assert set(BY_KIND) == set(KINDS), "every kind the picture counts has its rows here"


def happenings(viewer: Viewer, provider_id: int, limit: int, after: tuple[str, int] | None = None
               ) -> tuple[list[Happening], tuple[str, int] | None]:
    """A page of the provider's timeline: the `limit` newest happenings the viewer may know of (after the one named
    (kind, row id), for the pages after the first), newest first, and the (kind, row id) of the page's last
    happening when more follow (None on the last page). The caller has checked the viewer may see the provider; a
    happening to page after that is not the viewer's raises NotFound.

    Each kind's next `limit + 1` are read narrow (id and date) in one statement; only the page's rows are read
    whole, by primary key (a record never changes council or provider)."""
    start = _key_of(viewer, provider_id, *after) if after is not None else None
    if start is None:  # the provider page's: built once (statement_cache)
        statement = built(("picture newest", viewer, provider_id, limit),
                          lambda: _newest(viewer, provider_id, limit + 1, None))
    else:  # a page of the history further back: built for the place it starts
        statement = _newest(viewer, provider_id, limit + 1, start)
    # Up to limit + 1 of each kind come back: sorted by their timeline keys as plain tuples (kind and id after the
    # key), the page taken from the front.
    keys = sorted((timeline_key(_day(instant) if instant is not None else day, kind, instant, row_id), kind, row_id)
                  for kind, row_id, instant, day in db.session.execute(statement))
    page, more = [(kind, row_id) for _key, kind, row_id in keys[:limit]], len(keys) > limit
    wanted: dict[str, list[int]] = {}
    for kind, row_id in page:
        wanted.setdefault(kind, []).append(row_id)
    read: dict[tuple[str, int], Happening | None] = {}
    for kind, ids in wanted.items():
        source = BY_KIND[kind]
        for row in db.session.scalars(select(source.model).where(source.model.id.in_(ids)).options(*source.options)):
            read[(kind, row.id)] = source.happening(viewer, row)
    shown = [h for key in page if (h := read.get(key)) is not None]
    return shown, (page[-1] if more else None)


def _key_of(viewer: Viewer, provider_id: int, kind: str, row_id: int) -> _Key:
    """Where the happening (kind, row id) stands, if it is one of this provider's that the viewer may know of."""
    source = BY_KIND.get(kind)
    found = None
    if source is not None:
        found = db.session.execute(source.query(viewer, provider_id).where(source.model.id == row_id)
                                   .with_only_columns(source.column)).scalar_one_or_none()
    if found is None:
        raise NotFound("There is no such happening on this provider's timeline")
    return _Key(kind, row_id, _day(found) if source.instant else found, found if source.instant else None)


def _newest(viewer: Viewer, provider_id: int, limit: int, after: _Key | None):
    """The next `limit` of each kind, narrow (kind, id and date), newest first, in one UNION."""
    parts = []
    for source in SOURCES:
        column, query = source.column, source.query(viewer, provider_id)
        if after is not None:
            query = query.where(source.after(after))
        parts.append(query.with_only_columns(
            fixed(source.kind).label("kind"), source.model.id.label("id"),
            # An instant (its London day worked out by the caller) or a date, each in its own column of the union.
            (column if source.instant else cast(null(), UTCDateTime)).label("instant"),
            (cast(null(), Date) if source.instant else column).label("day"),
        ).order_by(column.desc(), source.model.id.desc()).limit(fixed(limit)).subquery())
    return union_all(*(select(*part.c) for part in parts))


@dataclass(frozen=True)
class QuarterPicture:
    """One quarter of the provider picture: how many of each kind happened, and the complaint figures (KT S3)."""

    quarter: tuple[int, int]
    counts: Counter[str]
    complaints: dict


def quarter_counts(viewer: Viewer, provider_id: int, quarters: list[tuple[int, int]]) -> list[QuarterPicture]:
    """How many of each kind the viewer may know of happened in each of these quarters, and the quarters' complaint
    figures (models/concern_store.complaint_figure_counts), counted by the database in one statement: a row for
    each kind and quarter that has any, (period, count, then the complaint figures, which other kinds leave empty).
    Each row's quarter is worked out once (a GROUP BY), not once for each column that counts it."""
    bounds = [(quarter, *quarter_bounds(quarter)) for quarter in quarters]
    first, last = min(b[1] for b in bounds), max(b[2] for b in bounds)
    # A kind with more than the cap in the year is counted again at most every CACHE_SECONDS, and says "about".
    keys = {source.kind: ("picture", source.kind, viewer.council_id, viewer.provider_id, provider_id,
                          tuple(quarters)) for source in SOURCES}
    rows: dict[str, dict[int, tuple]] = {kind: row for kind, key in keys.items() if (row := fresh(key)) is not None}
    after = date.fromordinal(last.toordinal() + 1)

    def build(kinds: tuple[str, ...]):
        parts = []
        for source in SOURCES:
            if source.kind not in kinds:
                continue
            kind = fixed(source.kind).label("kind")
            if source.kind == "complaint":  # its count is the first of its figures, "received"
                parts.append(complaint_figure_counts(viewer, provider_id, [b[1:] for b in bounds]).add_columns(kind))
                continue
            column = source.column
            period = case(*((and_(column >= source.bound(start), column < source.bound(
                date.fromordinal(end.toordinal() + 1))), n) for n, (_q, start, end) in enumerate(bounds)))
            empty = cast(null(), Integer)
            parts.append(source.query(viewer, provider_id).with_only_columns(
                period.label("period"), func.count().label("received"), empty, empty, empty, kind)
                .where(column >= source.bound(first), column < source.bound(after)).group_by(period))
        return union_all(*parts)

    counting = tuple(source.kind for source in SOURCES if source.kind not in rows)
    if counting:  # every kind not cached, in one statement
        statement = built(("picture quarters", viewer, provider_id, tuple(quarters), counting, dialect_name()),
                          lambda: build(counting))
        for kind in counting:
            rows[kind] = {}
        for found in db.session.execute(statement):
            rows[found.kind][found.period] = tuple(found)[1:5] if found.kind == "complaint" else (found[1],)
        for kind in counting:
            if sum(values[0] for values in rows[kind].values()) > cap():
                cached(keys[kind], lambda kind=kind: rows[kind])
    counts: dict[tuple[int, int], Counter[str]] = {quarter: Counter() for quarter in quarters}
    exact = {kind: sum(values[0] for values in by_period.values()) <= cap() for kind, by_period in rows.items()}
    for kind, by_period in rows.items():
        for n, values in by_period.items():
            if values[0]:
                counts[quarters[n]][kind] = Count(values[0], exact=exact[kind])
    figures = complaint_figures(rows["complaint"], len(quarters), exact["complaint"])
    return [QuarterPicture(quarter, counts[quarter], figures[n]) for n, quarter in enumerate(quarters)]


@dataclass(frozen=True)
class ProviderPicture:
    """What the provider page draws from the provider's records (templates/providers/_picture.html): the newest
    happenings (and where the history goes on, if it does), a year of counts by quarter, the newest open cases (one
    more than asked for, if there are more) and the audit events about the provider (None for its own staff)."""

    timeline: list[Happening]
    more: tuple[str, int] | None
    quarters: list[QuarterPicture]
    open_cases: list[Case]
    events: list[ShownEvent] | None


def provider_picture(viewer: Viewer, provider_id: int, quarters: list[tuple[int, int]], length: int, cases: int
                     ) -> ProviderPicture:
    """The provider's picture as the viewer may see it: `length` happenings, the counts of these quarters, up to
    `cases` open cases (and one more if there are more) and the provider's audit events. Read only from the rows
    that move the provider's picture version (models/picture_versions.DRAWN_FROM), so that what is drawn from it
    may be kept under that version."""
    timeline, more = happenings(viewer, provider_id, length)
    return ProviderPicture(
        timeline, more, quarter_counts(viewer, provider_id, quarters), open_cases(viewer, provider_id, cases + 1),
        None if viewer.is_provider else events_for(viewer.council_id, "provider", provider_id, shown=True))


def open_cases(viewer: Viewer, provider_id: int, limit: int | None = None) -> list[Case]:
    """The provider's open cases, newest first (at most `limit`: the rest are on the case list)."""
    return list(db.session.scalars(_of(Case, viewer, provider_id).where(Case.state.in_(fixed(OPEN)))
                                   .order_by(Case.id.desc()).limit(None if limit is None else fixed(limit))))
