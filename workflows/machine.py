"""The engine every record's state machine runs on: `transitions` machines built from transition tables.

A workflow object is built per operation from plain values (state, actor, now, calendar, rulebook), answers
`allowed_triggers()`, and `fire(trigger, **data)` either returns a TransitionResult or raises TransitionNotAllowed
with a sentence a person can act on. Callbacks compute; they never do I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from transitions import Machine, MachineError

from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.clock import ClockStart
from workflows.errors import RemedyError, ValidationProblem
from workflows.rulebook import Rulebook

# Who acts for the council in the formal process.
COMMISSIONERS = frozenset({Role.COMMISSIONING_MANAGER, Role.ADMIN})
MANAGERS = frozenset({Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN})
PROVIDERS = frozenset({Role.PROVIDER_MANAGER, Role.PROVIDER_USER})
PROVIDER_MANAGERS = frozenset({Role.PROVIDER_MANAGER})
SYSTEM = "system"  # the scheduler, acting on a rule


class TransitionNotAllowed(RemedyError):
    """A trigger that cannot be fired now, by this person, on this record.

    `forbidden` is True when the person's role (or organisation) may never do it, False when it is the record's
    state or the contract that stands in the way.
    """

    def __init__(self, message: str, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


@dataclass(frozen=True)
class Transition:
    """One row of a transition table."""

    trigger: str
    source: tuple[enum.Enum, ...]
    dest: enum.Enum
    roles: frozenset
    event: str
    label: str
    rung: str | None = None  # the rulebook rung this step needs ("notice", "default_notice", ...)
    legally_significant: bool = False
    system: bool = False  # the scheduler may fire it (to propose, never to serve)
    via: str | None = None  # set when this step only happens as the consequence of another record's step
    letter: bool = False  # the step serves a letter: the engine stores it, unchanged, with the step


def table(rows: Iterable[dict]) -> tuple[Transition, ...]:
    """Build a transition table from plain dicts (sources may be one state or a tuple)."""
    built = []
    for row in rows:
        source = row["source"]
        built.append(Transition(
            trigger=row["trigger"], source=source if isinstance(source, tuple) else (source,), dest=row["dest"],
            roles=frozenset(row["roles"]), event=row["event"], label=row["label"], rung=row.get("rung"),
            legally_significant=row.get("legally_significant", False), system=row.get("system", False),
            via=row.get("via"), letter=row.get("letter", False)))
    return tuple(built)


@dataclass(frozen=True)
class TransitionResult:
    """What a transition did: the states, the event to record, cleaned data and the clocks it starts and stops."""

    trigger: str
    from_state: enum.Enum
    to_state: enum.Enum
    event: str
    data: dict
    clocks_started: tuple[ClockStart, ...] = ()
    clocks_met: tuple[str, ...] = ()
    clocks_cancelled: tuple[str, ...] = ()
    legally_significant: bool = False
    letter: bool = False
    system: bool = False  # fired by Remedy itself (a system step or a consequence), not by the person acting


@dataclass
class Context:
    """Plain values a workflow needs: who acts, when, on which calendar and rulebook, and facts about the record."""

    actor: Viewer | None  # None: the scheduler
    now: datetime
    today: date
    calendar: WorkingCalendar
    rulebook: Rulebook
    record_provider_id: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)


class _Model:
    """The object the `transitions` machine moves; it only carries the state."""

    def __init__(self, state):
        self.state = state


class Workflow:
    """Base class: subclasses set STATES and TRANSITIONS and may define validate_<trigger> and clocks_<trigger>."""

    NAME: ClassVar[str]
    STATES: ClassVar[type[enum.Enum]]
    TRANSITIONS: ClassVar[tuple[Transition, ...]]

    def __init__(self, state: enum.Enum, ctx: Context):
        self.state = state
        self.ctx = ctx
        self._by_trigger: dict[str, list[Transition]] = {}
        for row in self.TRANSITIONS:
            self._by_trigger.setdefault(row.trigger, []).append(row)

    # -- the rules of who may do what ---------------------------------------------------------------------

    def _row(self, trigger: str) -> Transition | None:
        return next((r for r in self._by_trigger.get(trigger, ()) if self.state in r.source), None)

    def refusal(self, trigger: str) -> str | None:
        """Why this trigger cannot be fired now by this actor, or None if it can."""
        problem = self.why_not(trigger)
        return problem[0] if problem else None

    def why_not(self, trigger: str) -> tuple[str, bool] | None:
        """Why this trigger cannot be fired now, and whether the actor may never do it (a 403, not a 409)."""
        rows = self._by_trigger.get(trigger)
        if not rows:
            return f"'{trigger}' is not something that can be done to a {self.NAME}", False
        row = self._row(trigger)
        if row is None:
            allowed_from = sorted({s.value.replace('_', ' ') for r in rows for s in r.source})
            return (f"You cannot {rows[0].label.lower()} while the {self.NAME} is "
                    f"{self.state.value.replace('_', ' ')} (only when {' or '.join(allowed_from)})"), False
        if row.rung and not self.ctx.rulebook.has_rung(row.rung):
            return f"The {self.ctx.rulebook.title} contract has no {row.rung.replace('_', ' ')} step", False
        if row.via:
            return f"This happens when {row.via}", False
        actor = self.ctx.actor
        if actor is None:
            if not row.system:
                return f"Only a person can {row.label.lower()}", True
            return None
        if actor.role not in row.roles:
            return (f"Only {_people(row.roles)} can {row.label.lower()}; you are signed in as "
                    f"{_article(actor.role.label.lower())}"), True
        if actor.is_provider and self.ctx.record_provider_id not in (None, actor.provider_id):
            return "You can only act on your own organisation's records", True
        extra = self.extra_refusal(row)
        return (extra, False) if extra else None

    def extra_refusal(self, row: Transition) -> str | None:
        """Subclasses add record-specific conditions here (a predicate: None means allowed)."""
        return None

    def allowed_triggers(self) -> list[str]:
        """The triggers this actor may fire now, in table order."""
        seen = []
        for row in self.TRANSITIONS:
            if row.trigger not in seen and self.state in row.source and self.refusal(row.trigger) is None:
                seen.append(row.trigger)
        return seen

    def label(self, trigger: str) -> str:
        """The words on the button for a trigger."""
        return self._by_trigger[trigger][0].label

    # -- firing -------------------------------------------------------------------------------------------

    def fire(self, trigger: str, **data) -> TransitionResult:
        """Validate, move the state through the `transitions` machine and report what happened."""
        problem = self.why_not(trigger)
        if problem:
            raise TransitionNotAllowed(*problem)
        row = self._row(trigger)
        assert row is not None  # why_not() refused a trigger with no row from this state
        validator: Callable[[dict], dict] | None = getattr(self, f"validate_{trigger}", None)
        cleaned = validator(dict(data)) if validator else {}
        if not cleaned.get("reason") and data.get("reason"):
            cleaned["reason"] = str(data["reason"]).strip()
        return self._move(row, cleaned)

    def fire_system(self, trigger: str, cause: str | None = None, **data) -> TransitionResult | None:
        """A step nobody asks for: the scheduler's (`system` rows: overdue, deemed approved, withdrawn) or the
        consequence of another record's step already authorised (`via` rows, or any row given its `cause`).
        Returns None when the record is already past it, or the contract has no such rung."""
        row = self._row(trigger)
        if row is None or (row.rung and not self.ctx.rulebook.has_rung(row.rung)):
            return None
        if not (row.system or row.via or cause):
            raise TransitionNotAllowed(f"Only a person can {row.label.lower()}", forbidden=True)
        return self._move(row, {k: v for k, v in data.items() if v is not None})

    def _move(self, row: Transition, cleaned: dict) -> TransitionResult:
        model = _Model(self.state)
        machine = Machine(model=model, states=list(self.STATES), initial=self.state, auto_transitions=False,
                          send_event=False)
        machine.add_transition(row.trigger, source=list(row.source), dest=row.dest)
        try:
            moved = getattr(model, row.trigger)()
        except MachineError as exc:  # unreachable after the source check, kept as a guard
            raise TransitionNotAllowed(str(exc)) from None
        if not moved:
            raise TransitionNotAllowed(f"Could not {row.label.lower()}")
        from_state, self.state = self.state, model.state
        clocks = getattr(self, f"clocks_{row.trigger}", None)
        started, met, cancelled = clocks(cleaned) if clocks else ((), (), ())
        return TransitionResult(trigger=row.trigger, from_state=from_state, to_state=self.state, event=row.event,
                                data=cleaned, clocks_started=tuple(started), clocks_met=tuple(met),
                                clocks_cancelled=tuple(cancelled), legally_significant=row.legally_significant,
                                letter=row.letter, system=self.ctx.actor is None)

    @classmethod
    def mermaid(cls) -> str:
        """The machine as a Mermaid state diagram (generated from the transition table)."""
        lines = ["stateDiagram-v2"]
        for initial in getattr(cls, "INITIAL", (list(cls.STATES)[0],)):
            lines.append(f"    [*] --> {initial.name}")
        for row in cls.TRANSITIONS:
            for source in row.source:
                lines.append(f"    {source.name} --> {row.dest.name}: {row.trigger}")
        for state in getattr(cls, "FINAL", ()):
            lines.append(f"    {state.name} --> [*]")
        return "\n".join(lines) + "\n"


def _article(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _people(roles) -> str:
    """'a contract manager, a commissioning manager or an administrator'."""
    order = [Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN, Role.PROVIDER_MANAGER,
             Role.PROVIDER_USER, Role.SAFEGUARDING_OFFICER, Role.COUNCIL_VIEWER]
    names = [_article(r.label.lower()) for r in order if r in roles]
    if not names:
        return "nobody"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


# -- validation helpers shared by the machines -------------------------------------------------------------


def need_text(data: dict, key: str, message: str, max_length: int = 5000) -> str:
    """A required piece of text, stripped."""
    value = str(data.get(key) or "").strip()
    if not value:
        raise ValidationProblem(message, key)
    if len(value) > max_length:
        raise ValidationProblem(f"{message.split(' ', 1)[0]} no more than {max_length} characters", key)
    return value


def need_date(data: dict, key: str, message: str, today: date, allow_future: bool = False) -> date:
    """A required date (a date or YYYY-MM-DD text); never in the future unless allowed."""
    raw = data.get(key)
    if raw in (None, ""):
        raise ValidationProblem(message, key)
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, str):
        try:
            raw = date.fromisoformat(raw)
        except ValueError:
            raise ValidationProblem(f"{message}, as a real date like 2026-12-18", key) from None
    if not isinstance(raw, date):
        raise ValidationProblem(message, key)
    if not allow_future and raw > today:
        raise ValidationProblem(f"The date cannot be in the future (today is {today:%-d %B %Y})", key)
    return raw


def need_choice(data: dict, key: str, choices: Iterable[str], message: str) -> str:
    """One of a fixed set of values."""
    value = str(data.get(key) or "").strip()
    choices = list(choices)
    if value not in choices:
        raise ValidationProblem(f"{message} ({', '.join(choices)})", key)
    return value


def need_int(data: dict, key: str, message: str, low: int, high: int) -> int:
    """A whole number in a range."""
    raw: Any = data.get(key)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationProblem(message, key) from None
    if not low <= value <= high:
        raise ValidationProblem(f"{message} between {low} and {high}", key)
    return value
