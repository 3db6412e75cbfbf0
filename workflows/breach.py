"""The breach engine: every rule of a rulebook evaluated over closed periods, as a pure function of the figures.

`evaluate()` takes one provider's accepted KPI values, return submissions, recorded events and ratings, and returns
every breach those facts contain today. Each breach has a stable key (rule, subject and the period or date it starts
from), so evaluating again, or after a late or corrected return, finds the same keys; `reconcile()` compares them with
the breaches already recorded and says which are new and which a correction has cured (to withdraw, audited). Shapes
are rules.md section 2.3; the engine only *proposes*: a person confirms every action (A53).

Each period is judged against the target in force when it started (`kpi_in_force`, KT-04, CW-25, A62). A period
already judged (its figures accepted, the RAG and target recorded on its result) keeps that judgement: `judged`
hands it in, so a target changed later never re-judges it, and a breach recorded for it is neither withdrawn nor
rewritten. Only new figures (a correction) judge a period again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from workflows.monitoring import (
    ACTION_WORDS,
    ESCALATIONS,
    LADDER_CONDITIONS,
    BreachRule,
    KpiSpec,
    Monitoring,
    kpi_in_force,
)
from workflows.returns import Period, add_months

MET, MISSED, NO_DATA = "met", "missed", "no data"


@dataclass(frozen=True)
class Occurrence:
    """Something a person recorded that a rolling-window rule counts (a care-plan delay over 7 days, a default)."""

    kind: str
    on: date
    ref: str = ""


@dataclass(frozen=True)
class Rating:
    """A CQC or local quality rating published on a date."""

    scheme: str
    value: str
    on: date


@dataclass(frozen=True)
class Breach:
    """A rule found broken: which rule, about what, when, the figures, and what to propose."""

    key: str
    rule_id: str
    cites: str
    actions: tuple[str, ...]
    subject: str
    occurred_on: date
    summary: str
    figures: tuple[str, ...]
    period_start: date | None = None
    period_end: date | None = None
    immediate: bool = False
    advisory: bool = False

    def proposal_text(self) -> str:
        """What the proposal says to the person who confirms it."""
        actions = " and ".join(ACTION_WORDS[a] for a in self.actions)
        lead = "Advisory (contract year one, not escalated): " if self.advisory else ""
        return f"{lead}{self.summary} ({self.cites}). Proposed: {actions}. " + " ".join(self.figures)


def ladder_actions(rule: BreachRule | None, actions: Iterable[str], held: set[str] | frozenset[str]
                   ) -> tuple[tuple[str, ...], str | None]:
    """The actions a breach may propose now, and why the others wait (None: nothing waits).

    Kent's ladder (KT-17, then KT-19, then KT-14/KT-08): Red periods alone never propose suspension from the
    framework or termination; those wait until a formal warning was served and an agreed action plan has failed.
    Once a warning has been served, another is not proposed for the same failure."""
    actions = tuple(actions)
    if rule is None or not rule.escalate_after:
        return actions, None
    needed = tuple(rule.escalate_after)
    missing = [c for c in needed if c not in held]
    keep = tuple(a for a in actions if not (a in ESCALATIONS and missing)
                 and not (a == "notice" and "warning-served" in held))
    waiting = [a for a in actions if a in ESCALATIONS and missing]
    if not waiting:
        return keep, None
    words = " and ".join(ACTION_WORDS[a] for a in waiting)
    return keep, (f"Not yet: {words} ({rule.rule}) wait until "
                  + " and ".join(LADDER_CONDITIONS[c] for c in missing))


@dataclass(frozen=True)
class Reconciliation:
    """The difference between the breaches already recorded and those the figures show now."""

    new: tuple[Breach, ...]
    kept: tuple[Breach, ...]
    withdrawn: tuple[str, ...]


@dataclass(frozen=True)
class PeriodResult:
    """A KPI's result for one period: value, RAG and whether it counts as met."""

    kpi: KpiSpec
    period: Period
    value: float | None
    rag: str | None


def kpi_status(kpi: KpiSpec, value: float | None, when: str) -> str:
    """Met, missed or no data for one KPI value, reading 'missed' as Red only or as anything below Green."""
    return rag_status(kpi.rag(value), when)


def rag_status(rag: str | None, when: str) -> str:
    """Met, missed or no data for a RAG (None: no data), reading 'missed' as `when` says."""
    if rag is None:
        return NO_DATA
    if when == "amber":
        return MISSED if rag == "amber" else MET
    if rag == "red" or (when == "not-green" and rag == "amber"):
        return MISSED
    return MET


def results(monitoring: Monitoring, schedules: Mapping[str, list[Period]],
            values: Mapping[tuple[str, date], float | None], lots: tuple[str, ...] | None = None) -> list[PeriodResult]:
    """Every KPI's result in every scheduled period (value, RAG), for scorecards and heatmaps."""
    out = []
    for kpi in monitoring.kpis:
        if kpi.lots and lots is not None and not set(kpi.lots) & set(lots):
            continue
        for period in schedules.get(kpi.return_id, []):
            value = values.get((kpi.id, period.start))
            judged = kpi_in_force(kpi, period.start)  # the target in force when the period started (KT-04, A62)
            out.append(PeriodResult(kpi=judged, period=period, value=value, rag=judged.rag(value)))
    return out


def evaluate(monitoring: Monitoring, schedules: Mapping[str, list[Period]],
             values: Mapping[tuple[str, date], float | None], today: date, contract_start: date,
             submissions: Mapping[tuple[str, date], date] | None = None,
             occurrences: Iterable[Occurrence] = (), ratings: Iterable[Rating] = (),
             lots: tuple[str, ...] | None = None,
             judged: Mapping[tuple[str, date], tuple[str | None, str]] | None = None) -> list[Breach]:
    """Every breach the facts show as of `today`, over closed periods only, in a stable order.

    judged: (KPI id, period start) -> (RAG, target text) recorded when the period's figures were accepted; such a
    period keeps that judgement. Any other period is judged by the target in force when it started (kpi_in_force).
    """
    context = _Context(monitoring, schedules, values, today, contract_start, submissions or {}, lots, judged or {})
    found: list[Breach] = []
    occurrences = sorted((o for o in occurrences if o.on <= today), key=lambda o: (o.on, o.ref))
    ratings = sorted((r for r in ratings if r.on <= today), key=lambda r: r.on)
    for rule in monitoring.breaches:
        if rule.shape in ("single", "critical"):
            found.extend(context.single(rule))
        elif rule.shape in ("consecutive", "next-period"):
            found.extend(context.consecutive(rule))
        elif rule.shape == "rolling":
            found.extend(context.rolling(rule, [o for o in occurrences if o.kind == rule.event]))
        elif rule.shape == "rating":
            found.extend(context.rating(rule, ratings))
        else:
            found.extend(context.late_returns(rule))
    return found


def reconcile(recorded_open_keys: Iterable[str], found: Iterable[Breach]) -> Reconciliation:
    """Which found breaches are new, which were already recorded, and which recorded ones no longer hold.

    A breach withdrawn earlier that the figures show again comes back as new: the store reopens it under its key.
    """
    recorded = set(recorded_open_keys)
    found = list(found)
    keys = {b.key for b in found}
    return Reconciliation(new=tuple(b for b in found if b.key not in recorded),
                          kept=tuple(b for b in found if b.key in recorded),
                          withdrawn=tuple(sorted(recorded - keys)))


class _Context:
    def __init__(self, monitoring: Monitoring, schedules: Mapping[str, list[Period]],
                 values: Mapping[tuple[str, date], float | None], today: date, contract_start: date,
                 submissions: Mapping[tuple[str, date], date], lots: tuple[str, ...] | None,
                 judged: Mapping[tuple[str, date], tuple[str | None, str]]):
        self.monitoring, self.schedules, self.values, self.judged = monitoring, schedules, values, judged
        self.today, self.contract_start, self.submissions, self.lots = today, contract_start, submissions, lots
        self.first_year_ends = add_months(contract_start, 12)
        self._closed_cache: dict[str, list[Period]] = {}
        self._status_cache: dict[tuple, str] = {}
        self._figure_cache: dict[tuple, str] = {}
        self._kpis = {k.id: k for k in monitoring.kpis}

    def _advisory(self, on: date) -> bool:
        # KT-10, A23: year-one targets are indicative; breaches are shown as advisory and never escalated.
        return self.monitoring.first_year_advisory and on < self.first_year_ends

    def _applies(self, kpi: KpiSpec) -> bool:
        return not kpi.lots or self.lots is None or bool(set(kpi.lots) & set(self.lots))

    def _subjects(self, rule: BreachRule) -> list[tuple[KpiSpec, ...]]:
        kpis = [k for k in (self._kpis.get(name) for name in rule.kpis) if k is not None and self._applies(k)]
        if rule.together:
            return [tuple(kpis)] if kpis else []
        return [(k,) for k in kpis]

    def _closed(self, group: tuple[KpiSpec, ...]) -> list[Period]:
        key = group[0].return_id
        if key not in self._closed_cache:
            self._closed_cache[key] = [p for p in self.schedules.get(key, []) if p.is_closed(self.today)]
        return self._closed_cache[key]

    def _status(self, rule: BreachRule, group: tuple[KpiSpec, ...], period: Period) -> str:
        # Several rules read the same KPI in the same period (a single miss, a run, still not met): work each
        # status out once per evaluation.
        statuses = []
        for kpi in group:
            key = (kpi.id, period.start, rule.when)
            status = self._status_cache.get(key)
            if status is None:
                status = self._status_cache[key] = rag_status(self._judge(kpi, period, words=False)[0], rule.when)
            statuses.append(status)
        if MISSED in statuses:
            return MISSED
        if NO_DATA in statuses:
            return NO_DATA
        return MET

    def _judge(self, kpi: KpiSpec, period: Period, words: bool = True) -> tuple[str | None, str]:
        """The period's RAG and the target it was judged against: as recorded when its figures were accepted, else
        by the target in force when the period started (KT-04, CW-25, A62). Without `words` the target's text is
        left empty: a status needs only the RAG, and the sweep asks for tens of thousands of them."""
        key = (kpi.id, period.start)
        if key in self.judged:
            return self.judged[key]
        in_force = kpi_in_force(kpi, period.start)
        return in_force.rag(self.values.get(key)), in_force.target_text() if words else ""

    def _figures(self, group: tuple[KpiSpec, ...], period: Period) -> list[str]:
        """The figures a proposal quotes, only for the periods a breach cites."""
        figures = []
        for kpi in group:
            key = (kpi.id, period.start)
            text = self._figure_cache.get(key)
            if text is None:
                value = self.values.get(key)
                rag, target = self._judge(kpi, period)
                text = self._figure_cache[key] = (f"{kpi.id} {period.label}: {kpi.format_value(value)}"
                                                  + (f" ({rag.capitalize()})" if rag else "")
                                                  + f" against {target}.")
            figures.append(text)
        return figures

    def single(self, rule: BreachRule) -> list[Breach]:
        out = []
        for group in self._subjects(rule):
            subject = " + ".join(k.id for k in group)
            for period in self._closed(group):
                if self._status(rule, group, period) != MISSED:
                    continue
                out.append(Breach(
                    key=f"{rule.id}|{subject}|{period.start.isoformat()}", rule_id=rule.id, cites=rule.rule,
                    actions=rule.actions, subject=subject, occurred_on=period.end, period_start=period.start,
                    period_end=period.end, immediate=rule.immediate, advisory=self._advisory(period.end),
                    summary=f"{subject} missed in {period.label}: {rule.says}",
                    figures=tuple(self._figures(group, period))))
        return out

    def consecutive(self, rule: BreachRule) -> list[Breach]:
        out = []
        for group in self._subjects(rule):
            subject = " + ".join(k.id for k in group)
            run: list[Period] = []
            for period in self._closed(group):
                status = self._status(rule, group, period)
                if status == NO_DATA and rule.gaps == "skip":
                    continue  # A38: a period with no data neither breaks nor extends the run
                if status == MISSED:
                    run.append(period)
                    continue
                if len(run) >= rule.periods:
                    out.append(self._run_breach(rule, group, subject, run))
                run = []
            if len(run) >= rule.periods:
                # One breach per run, however long it goes on, with its figures up to date.
                out.append(self._run_breach(rule, group, subject, run))
        return out

    def _run_breach(self, rule: BreachRule, group: tuple[KpiSpec, ...], subject: str, run: list[Period]) -> Breach:
        first, last, reached = run[0], run[-1], run[rule.periods - 1]
        return Breach(
            key=f"{rule.id}|{subject}|{first.start.isoformat()}", rule_id=rule.id, cites=rule.rule,
            actions=rule.actions, subject=subject, occurred_on=reached.end, period_start=first.start,
            period_end=last.end, immediate=rule.immediate, advisory=self._advisory(reached.end),
            summary=f"{subject} missed in {len(run)} consecutive periods ({first.label} to {last.label}): {rule.says}",
            figures=tuple(f for period in run for f in self._figures(group, period)))

    def rolling(self, rule: BreachRule, events: list[Occurrence]) -> list[Breach]:
        out = []
        for index, event in enumerate(events):
            hits = []
            for at_least, months in rule.windows:
                # "any 3-month period": the window ends on this event and starts the day after 3 months before it
                window_start = add_months(event.on, -months) + timedelta(days=1)
                inside = [e for e in events[: index + 1] if e.on >= window_start]
                if len(inside) >= at_least:
                    hits.append((at_least, months, inside))
            if not hits:
                continue
            at_least, months, inside = hits[0]
            figures = tuple(f"{rule.event.replace('-', ' ').capitalize()} on {e.on:%-d %B %Y}"
                            + (f" ({e.ref})." if e.ref else ".") for e in inside)
            out.append(Breach(
                key=f"{rule.id}|{rule.event}|{event.on.isoformat()}|{event.ref}", rule_id=rule.id, cites=rule.rule,
                actions=rule.actions, subject=rule.event, occurred_on=event.on, immediate=rule.immediate,
                advisory=self._advisory(event.on),
                summary=f"{len(inside)} times within {months} months (limit: fewer than {at_least}): {rule.says}",
                figures=figures))
        return out

    def rating(self, rule: BreachRule, ratings: list[Rating]) -> list[Breach]:
        out = []
        for rating in ratings:
            if rating.scheme != rule.scheme or rating.value.lower() not in rule.values:
                continue
            label = "CQC" if rule.scheme == "cqc" else "Local quality"
            out.append(Breach(
                key=f"{rule.id}|{rule.scheme}|{rating.on.isoformat()}", rule_id=rule.id, cites=rule.rule,
                actions=rule.actions, subject=f"{label} rating", occurred_on=rating.on, immediate=rule.immediate,
                advisory=False, summary=f"{label} rating '{rating.value}' on {rating.on:%-d %B %Y}: {rule.says}",
                figures=(f"{label} rating published {rating.on:%-d %B %Y}: {rating.value}.",)))
        return out

    def late_returns(self, rule: BreachRule) -> list[Breach]:
        out: list[Breach] = []
        for stream in rule.returns:
            spec = self.monitoring.return_spec(stream)
            run: list[tuple[Period, str]] = []
            current: Breach | None = None
            for period in self.schedules.get(stream, []):
                submitted = self.submissions.get((stream, period.start))
                if period.due_on is None:
                    run, current = [], None  # A4: no due date, so timeliness is not counted
                    continue
                if submitted is not None and submitted <= period.due_on:
                    run, current = [], None  # A15: an on-time return resets the count
                    continue
                if submitted is None and not period.is_overdue(self.today):
                    break  # not yet due: the later periods cannot be late either
                what = (f"submitted late on {submitted:%-d %B %Y}" if submitted is not None else "not submitted")
                run.append((period, f"{spec.name if spec else stream} for {period.label}, due "
                                    f"{period.due_on:%-d %B %Y}: {what}."))
                if len(run) < rule.periods:
                    continue
                first, last = run[0][0], run[-1][0]
                reached = run[rule.periods - 1][0]
                count = f"{len(run)} consecutive periods" if len(run) > 1 else period.label
                breach = Breach(
                    key=f"{rule.id}|{stream}|{first.start.isoformat()}", rule_id=rule.id, cites=rule.rule,
                    actions=rule.actions, subject=stream, occurred_on=reached.due_on or reached.end,
                    period_start=first.start, period_end=last.end, immediate=rule.immediate,
                    advisory=self._advisory(reached.end),
                    summary=f"{spec.name if spec else stream} late or missing for {count}: {rule.says}",
                    figures=tuple(text for _p, text in run))
                if current is not None:
                    out[-1] = breach  # the run goes on: one breach per run, its figures brought up to date
                else:
                    out.append(breach)
                current = breach
        return out
