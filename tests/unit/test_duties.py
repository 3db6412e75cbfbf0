"""Duties to notify and requests with a due date (issue 15, item 1): the rulebook tables and their line-numbered
errors, the clocks with explicit dates (a bank holiday, "immediately" per A52, a council-set date, real hours across
the clock change), and the two machines' (state, trigger, role) tables."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from models.registry import KINDS, WORKFLOWS
from workflows.access import Role, Viewer
from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON
from workflows.duties import DutySpec
from workflows.errors import ValidationProblem
from workflows.info_request import RequestState, RequestWorkflow, answer_deadline, validate_request
from workflows.machine import Context, TransitionNotAllowed
from workflows.notification import NotificationState, NotificationWorkflow, notify_deadline
from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook

FOLDER = Path(__file__).resolve().parents[2] / "rulebooks"
BOOKS = load_rulebooks(FOLDER)
EW = WorkingCalendar()
OWN = 7
ALL = [Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN, Role.COUNCIL_VIEWER,
       Role.SAFEGUARDING_OFFICER, Role.PROVIDER_MANAGER, Role.PROVIDER_USER]
MANAGERS = {Role.CONTRACT_MANAGER, Role.COMMISSIONING_MANAGER, Role.ADMIN}
PROVIDERS = {Role.PROVIDER_MANAGER, Role.PROVIDER_USER}


def test_each_rulebook_lists_its_duties_and_requests_with_rule_ids():
    ce, hf, th = BOOKS["cheshire-east-ech"], BOOKS["hammersmith-fulham-home-care"], BOOKS["thurrock-supported-living"]
    assert [d.rule for d in ce.duties] == ["CE-05", "CE-20", "CE-41"]
    assert [r.rule for r in ce.requests] == ["CE-46", "CE-03", "CE-07", "CE-15", "CE-19", "CE-50", "CE-01", "CE-14",
                                             "CE-17", "CE-31", "CE-49", "CE-55", "CE-56"]
    assert {r.within for r in ce.requests[1:]} == {"council-set"}  # the seed gives no working-day figure for these
    assert ce.request_type("inspection-reports").within == "working_days"
    assert ce.request_type("inspection-reports").length == 2
    assert [d.rule for d in hf.duties] == ["HF-14", "HF-57", "HF-84", "HF-86", "HF-67", "HF-73"]
    assert [r.rule for r in hf.requests] == ["HF-45", "HF-03", "HF-22", "HF-28", "HF-77", "HF-83", "HF-87"]
    assert [r.rule for r in BOOKS["kent-ld-day-services"].requests] == ["KT-12", "KT-21", "KT-20"]
    assert [d.rule for d in th.duties] == ["TH-17"] and th.duty("imminent-insolvency").within == "immediately"
    assert [r.rule for r in th.requests] == ["TH-13"]
    assert BOOKS["cornwall-leaving-care"].duties == ()
    assert [(r.rule, r.within) for r in BOOKS["cornwall-leaving-care"].requests] == [("CW-02", "immediately")]
    # The breach events are [monitoring] events, so rolling-window [[breaches]] rules can count them.
    for book in (ce, hf, th, BOOKS["kent-ld-day-services"]):
        events = {kind for kind, _ in book.monitoring.events}
        assert {d.event for d in (*book.duties, *book.requests)} <= events


@pytest.mark.parametrize(("entry", "line", "problem"), [
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"\nwithin = "soon"', 5, "'within' must be"),
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"\nwithin_hours = 4', 5, "not hours"),
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"', 1, "give exactly one of"),
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"\nwithin_working_days = 0', 5, "from 1 to 365"),
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"\nwithin_days = 400', 5, "from 1 to 365"),
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"\nwithin_days = 14\nwithin_working_days = 10', 5,
     "give exactly one of"),
    ('id = "x-ray"\nrule = "five"\nwhat = "Something"\nwithin = "immediately"', 3, "'rule' must be a rule id"),
    ('id = "x-ray"\nrule = "CE-05"\nwhat = "Something"\nwithin = "immediately"\nevent = "nope"', 6,
     "'event' must be one of"),
])
def test_a_bad_duty_is_reported_with_its_line(tmp_path, entry, line, problem):
    head = (FOLDER / "_template.toml").read_text().split("\n# --- Performance")[0].replace(
        'id = "template"', 'id = "xy"')
    path = tmp_path / "xy.toml"
    path.write_text(head + "\n[[duties]]\n" + entry + "\n")
    first = path.read_text().splitlines().index("[[duties]]") + 1  # the header's line
    with pytest.raises(RulebookError) as error:
        parse_rulebook(path)
    assert error.value.line == first + line - 1, error.value
    assert problem in error.value.problem


def test_an_immediate_duty_is_due_the_same_working_day_or_the_next_after_a_bank_holiday():
    duty = BOOKS["thurrock-supported-living"].duty("imminent-insolvency")
    weekday = notify_deadline(duty, date(2027, 1, 6), EW)  # a Wednesday
    assert (weekday.due_on, weekday.rule, weekday.kind) == (date(2027, 1, 6), "TH-17", "notification_due")
    christmas = notify_deadline(duty, date(2026, 12, 25), EW)  # Christmas Day, then the weekend and Boxing Day
    assert christmas.due_on == date(2026, 12, 29)
    assert christmas.due_at == datetime(2026, 12, 29, 23, 59, 59, tzinfo=LONDON)
    assert "rules.md A52" in christmas.explanation[1]
    assert "Mon 28 Dec 2026: Boxing Day (substitute day), not counted" in christmas.explanation


def test_a_duty_in_calendar_days_counts_every_day_and_does_not_move_off_a_weekend():
    duty = BOOKS["hammersmith-fulham-home-care"].duty("key-holding-procedure")  # HF-67: two weeks after the award
    assert (duty.within, duty.length, duty.period) == ("days", 14, "within 14 days")
    assert notify_deadline(duty, date(2026, 12, 21), EW).due_on == date(2027, 1, 4)  # over Christmas and New Year
    weekend = notify_deadline(duty, date(2026, 12, 12), EW)
    assert weekend.due_on == date(2026, 12, 26) and "a calendar-day deadline does not move" in weekend.explanation[0]


def test_a_request_counts_working_days_hours_or_the_council_date():
    ce46 = BOOKS["cheshire-east-ech"].request_type("inspection-reports")
    assert answer_deadline(ce46, date(2026, 12, 23), EW).due_on == date(2026, 12, 29)  # skips 25, 26-27 and 28
    set_by_council = BOOKS["kent-ld-day-services"].request_type("spot-check-information")
    clock = answer_deadline(set_by_council, date(2027, 1, 4), EW, due_on=date(2027, 1, 8))
    assert clock.due_on == date(2027, 1, 8) and "The council set the date" in clock.explanation[1]
    # Real hours across the clock change (28 March 2027, 01:00 GMT -> 02:00 BST): 24 hours after 10:00 GMT on
    # Saturday is 11:00 BST on Sunday.
    hours = DutySpec(table="requests", id="urgent", rule="HF-45", what="Urgent information", within="hours",
                     length=24)
    asked_at = datetime(2027, 3, 27, 10, 0, tzinfo=UTC)
    clock = answer_deadline(hours, date(2027, 3, 27), EW, asked_at=asked_at)
    assert clock.due_at.astimezone(LONDON) == datetime(2027, 3, 28, 11, 0, tzinfo=LONDON)
    assert clock.explanation[-1] == "Due by 11:00 on Sunday 28 March 2027"


def test_a_council_set_request_needs_a_date_after_it_was_asked():
    duty = BOOKS["kent-ld-day-services"].request_type("spot-check-information")
    with pytest.raises(ValidationProblem) as error:
        validate_request({"what_asked": "Registers", "asked_on": "2027-01-04"}, duty, date(2027, 1, 4))
    assert error.value.field == "due_on"
    with pytest.raises(ValidationProblem):
        validate_request({"what_asked": "Registers", "asked_on": "2027-01-04", "due_on": "2027-01-04"}, duty,
                         date(2027, 1, 4))
    ce46 = BOOKS["cheshire-east-ech"].request_type("inspection-reports")
    assert "due_on" not in validate_request({"what_asked": "Report", "asked_on": "2027-01-04"}, ce46,
                                            date(2027, 1, 4))


def _ctx(role, facts, provider_id=OWN):
    actor = None if role is None else Viewer(1, 1, role, OWN if role.is_provider else None)
    return Context(actor=actor, now=datetime(2027, 1, 6, 10, tzinfo=UTC), today=date(2027, 1, 6), calendar=EW,
                   rulebook=BOOKS["cheshire-east-ech"], record_provider_id=provider_id, facts=facts)


NOTICE_FACTS = {"occurred_on": date(2027, 1, 4), "due_on": date(2027, 1, 4)}


@pytest.mark.parametrize("role", ALL)
def test_who_may_record_the_notice_and_nobody_but_the_scheduler_marks_it_late(role):
    workflow = NotificationWorkflow(NotificationState.AWAITED, _ctx(role, NOTICE_FACTS))
    assert workflow.allowed_triggers() == (["notify"] if role in MANAGERS | PROVIDERS else [])
    with pytest.raises(TransitionNotAllowed):
        workflow.fire("mark_late")


def test_the_notice_machine():
    scheduler = NotificationWorkflow(NotificationState.AWAITED, _ctx(None, NOTICE_FACTS))
    assert scheduler.fire_system("mark_late").to_state == NotificationState.LATE
    on_time = NotificationWorkflow(NotificationState.AWAITED, _ctx(Role.PROVIDER_USER, NOTICE_FACTS))
    result = on_time.fire("notify", notified_on="2027-01-04")
    assert (result.to_state, result.event, result.data["late"]) == (
        NotificationState.NOTIFIED, "NOTIFICATION_GIVEN", False)
    late = NotificationWorkflow(NotificationState.AWAITED, _ctx(Role.CONTRACT_MANAGER, NOTICE_FACTS))
    assert late.fire("notify", notified_on="2027-01-05").data["late"] is True
    after = NotificationWorkflow(NotificationState.LATE, _ctx(Role.PROVIDER_MANAGER, NOTICE_FACTS))
    assert after.fire("notify", notified_on="2027-01-06").to_state == NotificationState.NOTIFIED_LATE
    with pytest.raises(ValidationProblem):  # before it happened
        NotificationWorkflow(NotificationState.AWAITED, _ctx(Role.CONTRACT_MANAGER, NOTICE_FACTS)).fire(
            "notify", notified_on="2027-01-03")
    other = NotificationWorkflow(NotificationState.AWAITED, _ctx(Role.PROVIDER_USER, NOTICE_FACTS, provider_id=8))
    assert other.allowed_triggers() == []


REQUEST_FACTS = {"asked_on": date(2027, 1, 4), "due_on": date(2027, 1, 5)}


@pytest.mark.parametrize("role", ALL)
def test_either_side_answers_a_request_and_only_the_council_withdraws_it(role):
    workflow = RequestWorkflow(RequestState.OPEN, _ctx(role, REQUEST_FACTS))
    expected = ["answer", "withdraw"] if role in MANAGERS else ["answer"] if role in PROVIDERS else []
    assert workflow.allowed_triggers() == expected


def test_the_request_machine():
    overdue = RequestWorkflow(RequestState.OPEN, _ctx(None, REQUEST_FACTS)).fire_system("mark_overdue")
    assert overdue.to_state == RequestState.OVERDUE
    late = RequestWorkflow(RequestState.OVERDUE, _ctx(Role.PROVIDER_USER, REQUEST_FACTS)).fire(
        "answer", answer="Sent", answered_on="2027-01-06")
    assert (late.to_state, late.data["late"]) == (RequestState.ANSWERED, True)
    withdrawn = RequestWorkflow(RequestState.OPEN, _ctx(Role.CONTRACT_MANAGER, REQUEST_FACTS)).fire(
        "withdraw", reason="No longer needed")
    assert withdrawn.clocks_cancelled == ("*",)
    with pytest.raises(ValidationProblem):
        RequestWorkflow(RequestState.OPEN, _ctx(Role.CONTRACT_MANAGER, REQUEST_FACTS)).fire(
            "answer", answer="", answered_on="2027-01-05")


def test_both_kinds_are_registered_with_their_references_and_system_steps():
    from models.timer_store import SYSTEM_STEPS

    assert (KINDS["notification"].reference_prefix, KINDS["request"].reference_prefix) == ("NTF", "REQ")
    assert WORKFLOWS["notification"] is NotificationWorkflow and WORKFLOWS["request"] is RequestWorkflow
    assert SYSTEM_STEPS["notification_late"][:2] == ("notification", "mark_late")
    assert SYSTEM_STEPS["request_overdue"][:2] == ("request", "mark_overdue")
