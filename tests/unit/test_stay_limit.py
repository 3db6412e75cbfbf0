"""Per-person stay limits (issue 15, item 5): Thurrock's [[stay_limits]] (TH-11 two years from moving in, agreeable;
TH-12 one year from the priority's award), the table's line-numbered errors, the limit's date with explicit dates
(a leap day, a bank holiday) and the machine's (state, trigger, role) table."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.errors import ValidationProblem
from workflows.machine import Context, TransitionNotAllowed
from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook
from workflows.stay_limit import StayState, StayWorkflow, stay_clock

BOOKS = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")
TH = BOOKS["thurrock-supported-living"]
EW = WorkingCalendar()


def test_thurrock_lists_both_limits_with_their_rules_and_no_other_rulebook_has_any():
    assert [(s.id, s.rule, s.months, s.starts, s.agreeable) for s in TH.stay_limits] == [
        ("length-of-stay", "TH-11", 24, "moved_in", True), ("move-on-priority", "TH-12", 12, "priority_awarded", False)]
    assert [s.period for s in TH.stay_limits] == ["2 years", "1 year"]
    assert all(not book.stay_limits for name, book in BOOKS.items() if name != TH.id)


@pytest.mark.parametrize(("entry", "line", "problem"), [
    ('id = "length"\nrule = "TH-11"\nwhat = "Stay"\nyears = 2', 0, "'starts' must be one of moved_in"),
    ('id = "length"\nrule = "TH-11"\nwhat = "Stay"\nyears = 2\nmonths = 3\nstarts = "moved_in"', 5,
     "exactly one of years"),
    ('id = "length"\nrule = "TH-11"\nwhat = "Stay"\nyears = 20\nstarts = "moved_in"', 4, "from 1 to 10"),
    ('id = "length"\nrule = "TH11"\nwhat = "Stay"\nyears = 2\nstarts = "moved_in"', 2, "rule id"),
])
def test_a_bad_stay_limit_is_reported_with_its_line(tmp_path, entry, line, problem):
    path = tmp_path / "bad.toml"
    path.write_text('[rulebook]\nid = "bad"\ntitle = "t"\ncouncil = "c"\nseed = "s"\nservice = "v"\n'
                    'region = "england-and-wales"\n[[stay_limits]]\n' + entry + "\n")
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(path)
    assert problem in caught.value.problem
    assert caught.value.line == 8 + line  # the [[stay_limits]] header is line 8


@pytest.mark.parametrize(("limit", "start", "due"), [
    ("length-of-stay", date(2024, 12, 29), date(2026, 12, 29)),
    ("length-of-stay", date(2024, 2, 29), date(2026, 2, 28)),  # a leap day: the last day of February
    ("move-on-priority", date(2026, 1, 1), date(2027, 1, 1)),  # a date, even New Year's Day
])
def test_the_limit_runs_out_its_years_after_it_started(limit, start, due):
    clock = stay_clock(TH.stay_limit(limit), start, EW)
    assert (clock.due_on, clock.acts, clock.on_breach) == (due, "both", "stay_overstayed")
    assert clock.rule == TH.stay_limit(limit).rule and f"Due by the end of {due:%A %-d %B %Y}" in clock.explanation


def _workflow(state, role, agreeable=True):
    viewer = Viewer(user_id=1, council_id=1, role=role, provider_id=7 if role.is_provider else None)
    return StayWorkflow(state, Context(actor=viewer, now=datetime(2026, 12, 30, 10, tzinfo=UTC),
                                       today=date(2026, 12, 30), calendar=EW, rulebook=TH, record_provider_id=7,
                                       facts={"started_on": date(2024, 12, 29), "agreeable": agreeable}))


MANAGERS = {Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN}
PROVIDERS = {Role.PROVIDER_MANAGER, Role.PROVIDER_USER}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", list(StayState))
def test_either_side_records_the_end_and_only_the_council_records_an_agreed_longer_stay(state, role):
    open_ = state in (StayState.RUNNING, StayState.OVERSTAYED)
    expected = ([t for t, who in (("end", MANAGERS | PROVIDERS), ("agree", MANAGERS)) if role in who]
                if open_ else [])
    assert _workflow(state, role).allowed_triggers() == expected
    with pytest.raises(TransitionNotAllowed):
        _workflow(state, role).fire("mark_overstayed")


def test_the_steps_check_their_dates_and_reasons():
    with pytest.raises(ValidationProblem, match="cannot be before it started"):
        _workflow(StayState.RUNNING, Role.CONTRACT_MANAGER).fire("end", ended_on="2024-01-01")
    with pytest.raises(ValidationProblem, match="cannot be in the future"):
        _workflow(StayState.RUNNING, Role.PROVIDER_MANAGER).fire("end", ended_on="2027-01-01")
    with pytest.raises(ValidationProblem, match="only the length of stay can"):
        _workflow(StayState.RUNNING, Role.CONTRACT_MANAGER, agreeable=False).fire("agree", reason="x")
    assert _workflow(StayState.RUNNING, Role.CONTRACT_MANAGER).fire_system("mark_overstayed").to_state is \
        StayState.OVERSTAYED
