"""Thurrock's annual soft-outcome check (issue 15, item 5: TH-S01 to TH-S09, TH-21): the rulebook's [soft_outcomes]
and its errors, the check's date, and the machine's (state, trigger, role) table and rating validation."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.errors import ValidationProblem
from workflows.machine import Context, TransitionNotAllowed
from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook
from workflows.soft_outcome import CheckState, SoftOutcomeWorkflow, check_clock

BOOKS = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")
TH = BOOKS["thurrock-supported-living"]
EW = WorkingCalendar()
ALL_EVIDENCED = {f"TH-S0{n}": "evidenced" for n in range(1, 10)}


def test_thurrock_lists_the_nine_soft_outcomes_annually_on_a_four_step_scale_and_nobody_else_has_any():
    spec = TH.soft_outcomes
    assert (spec.rule, spec.every_months) == ("TH-21", 12)
    assert [ident for ident, _name in spec.outcomes] == [f"TH-S0{n}" for n in range(1, 10)]
    assert spec.outcome_name("TH-S09") == "Service Quality"
    assert [value for value, _label in spec.scale] == ["not_evidenced", "partly_evidenced", "evidenced", "excellent"]
    assert all(book.soft_outcomes is None for name, book in BOOKS.items() if name != TH.id)


@pytest.mark.parametrize(("body", "line", "problem"), [
    ('rule = "TH21"\nevery_months = 12\noutcomes = [["TH-S01", "F"]]\nscale = [["a_b", "A"], ["c_d", "C"]]', 1,
     "'rule'"),
    ('rule = "TH-21"\nevery_months = 0\noutcomes = [["TH-S01", "F"]]\nscale = [["a_b", "A"], ["c_d", "C"]]', 2,
     "'every_months'"),
    ('rule = "TH-21"\nevery_months = 12\noutcomes = [["S01", "F"]]\nscale = [["a_b", "A"], ["c_d", "C"]]', 3,
     "'outcomes'"),
    ('rule = "TH-21"\nevery_months = 12\noutcomes = [["TH-S01", "F"]]\nscale = [["a_b", "A"]]', 4, "'scale'"),
])
def test_a_bad_soft_outcomes_table_is_reported_with_its_line(tmp_path, body, line, problem):
    path = tmp_path / "bad.toml"
    path.write_text('[rulebook]\nid = "bad"\ntitle = "t"\ncouncil = "c"\nseed = "s"\nservice = "v"\n'
                    'region = "england-and-wales"\n[soft_outcomes]\n' + body + "\n")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(path)
    assert problem in caught.value.problem and caught.value.line == 8 + line


def test_the_first_check_is_a_year_after_moving_in_and_the_next_a_year_after_the_last():
    first = check_clock(TH.soft_outcomes, date(2025, 12, 29), EW, first=True)
    assert first.due_on == date(2026, 12, 29) and "the day the resident moved in" in first.explanation[0]
    later = check_clock(TH.soft_outcomes, date(2024, 2, 29), EW, first=False)
    assert later.due_on == date(2025, 2, 28) and "the last check" in later.explanation[0]


def _workflow(state, role):
    viewer = Viewer(user_id=1, council_id=1, role=role, provider_id=7 if role.is_provider else None)
    return SoftOutcomeWorkflow(state, Context(actor=viewer, now=datetime(2026, 12, 30, 10, tzinfo=UTC),
                                              today=date(2026, 12, 30), calendar=EW, rulebook=TH,
                                              record_provider_id=7, facts={"counted_from": date(2025, 12, 29)}))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(CheckState))
def test_only_the_councils_managers_record_a_due_or_overdue_check(state, role):
    may = state is not CheckState.RECORDED and role in {Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER,
                                                         Role.ADMIN}
    assert _workflow(state, role).allowed_triggers() == (["record"] if may else [])
    with pytest.raises(TransitionNotAllowed):
        _workflow(state, role).fire("mark_overdue")


def test_a_check_needs_every_outcome_rated_on_the_scale_and_a_date_in_range():
    workflow = _workflow(CheckState.DUE, Role.CONTRACT_MANAGER)
    done = workflow.fire("record", checked_on="2026-12-30", ratings=ALL_EVIDENCED, notes="  ")
    assert (done.to_state, done.data["ratings"], done.data["notes"]) == (CheckState.RECORDED, ALL_EVIDENCED, None)
    missing = {k: v for k, v in ALL_EVIDENCED.items() if k != "TH-S03"}
    with pytest.raises(ValidationProblem, match="Select a rating for TH-S03 Managing Health"):
        _workflow(CheckState.DUE, Role.CONTRACT_MANAGER).fire("record", checked_on="2026-12-30", ratings=missing)
    with pytest.raises(ValidationProblem, match="TH-S10 is not one of"):
        _workflow(CheckState.DUE, Role.CONTRACT_MANAGER).fire("record", checked_on="2026-12-30",
                                                              ratings={**ALL_EVIDENCED, "TH-S10": "evidenced"})
    with pytest.raises(ValidationProblem, match="cannot be before 29 December 2025"):
        _workflow(CheckState.DUE, Role.CONTRACT_MANAGER).fire("record", checked_on="2025-01-01",
                                                              ratings=ALL_EVIDENCED)
