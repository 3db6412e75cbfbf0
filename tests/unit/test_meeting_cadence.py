"""Meeting cadences (issue 15, item 6): each rulebook's [[meetings]] with its rule id, the table's line-numbered
errors, the next meeting's date with explicit dates (quarterly, six-weekly, annual, end of month), and the planned
meeting's (state, trigger, role) table."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from models.registry import KINDS, WORKFLOWS
from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.machine import Context, TransitionNotAllowed
from workflows.meeting_cadence import MeetingCadence
from workflows.planned_meeting import PlannedMeetingState, PlannedMeetingWorkflow, next_meeting_clock
from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook

FOLDER = Path(__file__).resolve().parents[2] / "rulebooks"
BOOKS = load_rulebooks(FOLDER)
EW = WorkingCalendar()


def test_each_rulebook_names_its_cadence_with_the_rule_that_gives_it():
    def cadences(book: str):
        return [(m.id, m.rule, m.unit, m.every) for m in BOOKS[book].meetings]

    assert cadences("cheshire-east-ech") == [("contract-monitoring", "CE-10", "months", 3)]
    assert cadences("hammersmith-fulham-home-care") == [("contract-monitoring", "HF-38", "weeks", 6)]
    assert cadences("kent-ld-day-services") == [("county-contract-meeting", "KT-13", "months", 12),
                                               ("provider-forum", "KT-13", "months", 3)]
    assert cadences("cornwall-leaving-care") == [("contract-monitoring", "CW-13", "months", 3)]
    assert cadences("thurrock-supported-living") == []  # TH-13 names meetings but no frequency
    assert BOOKS["hammersmith-fulham-home-care"].meetings[0].period == "every 6 weeks"


@pytest.mark.parametrize(("entry", "line", "problem"), [  # line: of the entry's key, 0 for its header
    ('id = "x y"\nrule = "CE-10"\nwhat = "M"\nevery_months = 3', 1, "lower-case letters"),
    ('id = "mm"\nrule = "CE10"\nwhat = "M"\nevery_months = 3', 2, "rule id"),
    ('id = "mm"\nrule = "CE-10"\nwhat = "M"', 0, "exactly one of every_months"),
    ('id = "mm"\nrule = "CE-10"\nwhat = "M"\nevery_months = 3\nevery_weeks = 6', 5, "exactly one of every_months"),
    ('id = "mm"\nrule = "CE-10"\nwhat = "M"\nevery_weeks = 0', 4, "from 1 to 52"),
    ('id = "mm"\nrule = "CE-10"\nwhat = "M"\nevery_months = 3\nhow = 1', 5, "unknown key 'how'"),
])
def test_a_bad_meetings_entry_is_reported_with_its_line(tmp_path, entry, line, problem):
    path = tmp_path / "bad.toml"
    path.write_text('[rulebook]\nid = "bad"\ntitle = "t"\ncouncil = "c"\nseed = "s"\nservice = "v"\n'
                    'region = "england-and-wales"\n[[meetings]]\n' + entry + "\n")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(path)
    assert problem in caught.value.problem
    assert caught.value.line == 8 + line  # the [[meetings]] header is line 8


@pytest.mark.parametrize(("book", "index", "last", "due"), [
    ("cheshire-east-ech", 0, date(2026, 9, 29), date(2026, 12, 29)),  # quarterly: the Tuesday after Boxing Day
    ("cheshire-east-ech", 0, date(2026, 11, 30), date(2027, 2, 28)),  # 30 November + 3 months: end of February
    ("hammersmith-fulham-home-care", 0, date(2026, 11, 17), date(2026, 12, 29)),  # six weeks (HF-38)
    ("kent-ld-day-services", 0, date(2026, 1, 14), date(2027, 1, 14)),  # annual county-wide meeting (KT-13)
    ("kent-ld-day-services", 1, date(2026, 10, 5), date(2027, 1, 5)),  # quarterly provider forum (KT-13)
    ("cornwall-leaving-care", 0, date(2026, 10, 1), date(2027, 1, 1)),  # a date, even New Year's Day (CW-13)
])
def test_the_next_meeting_is_due_one_cadence_after_the_last_held(book, index, last, due):
    cadence = BOOKS[book].meetings[index]
    clock = next_meeting_clock(cadence, last, EW)
    assert (clock.due_on, clock.rule, clock.acts, clock.on_breach) == (due, cadence.rule, "both", "meeting_overdue")
    assert clock.due_at.date() == due and clock.due_at.hour == 23
    explained = " | ".join(clock.explanation)
    assert f"Counted from the last meeting held, on {last:%-d %B %Y}" in explained
    assert f"({cadence.rule})" in explained and f"Due by the end of {due:%A %-d %B %Y}" in explained


def test_with_no_meeting_held_the_count_starts_when_monitoring_began():
    cadence = MeetingCadence(id="contract-monitoring", rule="CE-10", what="Quarterly contract monitoring meeting",
                             unit="months", every=3)
    clock = next_meeting_clock(cadence, date(2026, 12, 1), EW, from_contract=True)
    assert clock.due_on == date(2027, 3, 1)
    assert "when Remedy began monitoring the contract (no meeting recorded yet)" in clock.explanation[0]


def _workflow(state, role):
    viewer = Viewer(user_id=1, council_id=1, role=role, provider_id=7 if role.is_provider else None)
    ctx = Context(actor=viewer, now=datetime(2026, 12, 1, 10, tzinfo=UTC), today=date(2026, 12, 1), calendar=EW,
                  rulebook=BOOKS["cheshire-east-ech"], record_provider_id=7)
    return PlannedMeetingWorkflow(state, ctx)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(PlannedMeetingState))
def test_only_council_managers_cancel_an_open_planned_meeting_and_nobody_holds_one_by_hand(state, role):
    workflow = _workflow(state, role)
    may_cancel = state in (PlannedMeetingState.PLANNED, PlannedMeetingState.OVERDUE) and role in {
        Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN}
    assert workflow.allowed_triggers() == (["cancel"] if may_cancel else [])
    with pytest.raises(TransitionNotAllowed):
        workflow.fire("hold")
    with pytest.raises(TransitionNotAllowed):
        workflow.fire("mark_overdue")


def test_recording_the_meeting_holds_it_and_the_scheduler_marks_it_overdue():
    planned = _workflow(PlannedMeetingState.PLANNED, Role.CONTRACT_MANAGER)
    assert planned.fire_system("mark_overdue").to_state is PlannedMeetingState.OVERDUE
    overdue = _workflow(PlannedMeetingState.OVERDUE, Role.CONTRACT_MANAGER)
    held = overdue.fire_system("hold", cause="MEETING_RECORDED", meeting_id=3, held_on=date(2026, 12, 1))
    assert (held.to_state, held.event, held.data["meeting_id"]) == (PlannedMeetingState.HELD, "PLANNED_MEETING_HELD",
                                                                    3)
    cancelled = _workflow(PlannedMeetingState.PLANNED, Role.CONTRACT_MANAGER).fire("cancel", reason="Contract ended")
    assert cancelled.to_state is PlannedMeetingState.CANCELLED and cancelled.clocks_cancelled == ("*",)


def test_the_kind_is_on_the_registry_with_its_clock():
    kind = KINDS["planned_meeting"]
    assert (kind.collection, kind.reference_prefix, kind.clocks[0].on_breach) == ("planned-meetings", "MTG",
                                                                                  "meeting_overdue")
    assert WORKFLOWS["planned_meeting"] is PlannedMeetingWorkflow
