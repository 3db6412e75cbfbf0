"""What a due timer means (workflows.deadline.decide_timer): one table, the same for the fast and full paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflows.deadline import SIMPLE_BREACHES, DueTimer, TimerDecision, decide_timer, record_name

NOW = datetime(2027, 1, 5, 8, 0, tzinfo=UTC)  # the tick's one instant
DUE = datetime(2027, 1, 6, 23, 59, 59, tzinfo=UTC)  # the deadline's due instant, after NOW
PAST = datetime(2027, 1, 4, 23, 59, 59, tzinfo=UTC)  # a due instant NOW has passed
EXACT = NOW  # due at the very instant of the tick


def reminder(threshold=1, status="running", paused=False, due_at=DUE, due=(1,), acts="provider", restricted=False):
    return DueTimer("reminder", threshold, status, paused, due_at, NOW, due, None, acts, restricted)


def breach(status="running", paused=False, due_at=PAST, on_breach=None, restricted=False):
    return DueTimer("breach", 0, status, paused, due_at, NOW, (), on_breach, "provider", restricted)


CASES = [
    # reminders
    ("reminder, running, nearest due", reminder(), TimerDecision("fired", None, "provider")),
    ("reminder for the council", reminder(acts="council"), TimerDecision("fired", None, "council")),
    ("reminder for both", reminder(acts="both"), TimerDecision("fired", None, "both")),
    ("reminder on a restricted record", reminder(restricted=True), TimerDecision("fired", None, "safeguarding")),
    ("reminder, deadline met", reminder(status="met"), TimerDecision("cancelled", "The deadline is met")),
    ("reminder, deadline cancelled", reminder(status="cancelled"),
     TimerDecision("cancelled", "The deadline is cancelled")),
    ("reminder, deadline superseded", reminder(status="superseded"),
     TimerDecision("cancelled", "The deadline is superseded")),
    ("reminder, deadline breached", reminder(status="breached"),
     TimerDecision("cancelled", "The deadline is breached")),
    ("reminder, settled and paused: settled wins", reminder(status="met", paused=True),
     TimerDecision("cancelled", "The deadline is met")),
    ("reminder, paused", reminder(paused=True), TimerDecision("cancelled", "The clock is paused")),
    ("reminder, paused and passed: paused wins", reminder(paused=True, due_at=PAST),
     TimerDecision("cancelled", "The clock is paused")),
    ("reminder, deadline passed", reminder(due_at=PAST),
     TimerDecision("skipped", "The deadline has passed: no 'due soon' after a breach")),
    ("reminder, due at the tick's instant", reminder(due_at=EXACT),
     TimerDecision("skipped", "The deadline has passed: no 'due soon' after a breach")),
    ("reminder, passed beats superseded", reminder(threshold=5, due_at=PAST, due=(5, 1)),
     TimerDecision("skipped", "The deadline has passed: no 'due soon' after a breach")),
    ("reminder, a nearer one due too", reminder(threshold=5, due=(5, 1, 0)),
     TimerDecision("superseded", "A nearer reminder was due at the same time")),
    ("reminder, the nearest of several", reminder(threshold=0, due=(5, 1, 0)),
     TimerDecision("fired", None, "provider")),
    ("reminder, none listed as due", reminder(threshold=5, due=()), TimerDecision("fired", None, "provider")),
    # breaches
    ("breach, running, passed", breach(), TimerDecision("fired", None, "both")),
    ("breach, due at the tick's instant", breach(due_at=EXACT), TimerDecision("fired", None, "both")),
    ("breach, marks overdue", breach(on_breach="mark_overdue"), TimerDecision("fired", None, "both")),
    ("breach on a restricted record", breach(on_breach="mark_overdue", restricted=True),
     TimerDecision("fired", None, "safeguarding")),
    ("breach proposing a suspension: full path", breach(on_breach="propose_suspension"),
     TimerDecision("fired", None, "both", full_path=True)),
    ("breach deeming minutes approved: full path", breach(on_breach="deem_minutes_approved"),
     TimerDecision("fired", None, "both", full_path=True)),
    ("breach, deadline met", breach(status="met"), TimerDecision("cancelled", "The deadline is met")),
    ("breach, deadline cancelled", breach(status="cancelled"), TimerDecision("cancelled", "The deadline is cancelled")),
    ("breach, deadline superseded", breach(status="superseded"),
     TimerDecision("cancelled", "The deadline is superseded")),
    ("breach, settled with an escalation: no full path", breach(status="met", on_breach="propose_termination"),
     TimerDecision("cancelled", "The deadline is met")),
    ("breach, already breached", breach(status="breached"), TimerDecision("skipped", "Already recorded as breached")),
    ("breach, already breached and paused: breach wins", breach(status="breached", paused=True),
     TimerDecision("skipped", "Already recorded as breached")),
    ("breach, paused", breach(paused=True), TimerDecision("cancelled", "The clock is paused")),
    ("breach, paused and moved: paused wins", breach(paused=True, due_at=DUE),
     TimerDecision("cancelled", "The clock is paused")),
    ("breach, due date moved", breach(due_at=DUE), TimerDecision("superseded", "The due date has moved")),
]


@pytest.mark.parametrize(("facts", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide_timer(facts, expected):
    assert decide_timer(facts) == expected


def test_only_fired_decisions_fire_and_name_an_audience():
    for _name, facts, _expected in CASES:
        decision = decide_timer(facts)
        assert decision.fired == (decision.outcome == "fired")
        assert (decision.audience is not None) == decision.fired
        assert (decision.note is None) == decision.fired
        assert not decision.full_path or (facts.kind == "breach" and facts.on_breach not in SIMPLE_BREACHES)


def test_facts_and_decisions_are_frozen():
    facts = reminder()
    with pytest.raises(AttributeError):
        facts.status = "met"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decide_timer(facts).outcome = "skipped"  # type: ignore[misc]


@pytest.mark.parametrize(("noun", "entity_id", "reference", "expected"), [
    ("complaint", 12, "CMP-00012", ("CMP-00012", "complaint")),
    ("safeguarding concern", 3, "SG-00003", ("SG-00003", "safeguarding concern")),
    ("meeting", 12, None, ("meeting 12", None)),
    ("monitoring return", 7, "", ("monitoring return 7", None)),
])
def test_record_name(noun, entity_id, reference, expected):
    assert record_name(noun, entity_id, reference) == expected
