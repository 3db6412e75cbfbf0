"""The breach engine, shape by shape (rules.md 2.3), with explicit period data and the seeds' tricky cases."""

import re
from datetime import date
from pathlib import Path

import pytest

from workflows.breach import Occurrence, Rating, evaluate, reconcile, results
from workflows.calendar import calendar_for
from workflows.errors import ValidationProblem
from workflows.returns import schedule
from workflows.rulebook import load_rulebooks
from workflows.settings import apply_settings, check_setting

# A4: the seeds give no due date for CE's 4-weekly and quarterly returns; these tests are of a council that set 10
# working days on the contract from its start.
CE_DUE = {"return_due": {"four-weekly": {"working_days": 10, "from": "2026-04-01"},
                         "quarterly": {"working_days": 10, "from": "2026-04-01"}}}
BOOKS = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")
EW = calendar_for("england-and-wales")
START = date(2026, 4, 1)  # a contract starting on the first day of a financial year


class Contract:
    """One provider on one seed contract: figures by KPI and period number, evaluated on a chosen day."""

    def __init__(self, book_id, start=START, lots=None, settings=None):
        self.book = apply_settings(BOOKS[book_id], settings)
        self.start, self.lots = start, lots
        self.values, self.submissions, self.events, self.ratings = {}, {}, [], []

    def periods(self, return_id, until=date(2031, 1, 1)):
        spec = self.book.monitoring.return_spec(return_id)
        return schedule(spec, self.start, until, EW)

    def set(self, kpi_id, *values):
        """Values for a KPI's periods 1, 2, 3... (None: no data for that period)."""
        kpi = self.book.monitoring.kpi(kpi_id)
        for period, value in zip(self.periods(kpi.return_id), values, strict=False):
            if value is None:
                self.values.pop((kpi_id, period.start), None)
            else:
                self.values[(kpi_id, period.start)] = value
        return self

    def submit(self, return_id, number, on):
        self.submissions[(return_id, self.periods(return_id)[number - 1].start)] = on
        return self

    def breaches(self, today, rule_id=None, judged=None):
        schedules = {r.id: self.periods(r.id, until=today) for r in self.book.monitoring.returns}
        found = evaluate(self.book.monitoring, schedules, self.values, today, self.start,
                         submissions=self.submissions, occurrences=self.events, ratings=self.ratings, lots=self.lots,
                         judged=judged)
        return [b for b in found if rule_id is None or b.rule_id == rule_id]


# --- S1 single miss, and closed periods only ---------------------------------------------------------------------

def test_thurrock_exactly_at_target_is_met():
    th = Contract("thurrock-supported-living").set("KPI 3", 95.0)
    assert th.breaches(date(2026, 7, 1)) == []
    th.set("KPI 3", 94.9)
    [breach] = th.breaches(date(2026, 7, 1))
    assert (breach.rule_id, breach.cites, breach.actions) == ("kpi-not-met", "TH-19", ("action-plan",))
    assert breach.key == "kpi-not-met|KPI 3|2026-04-01"
    assert "KPI 3 Q1 2026-27: 94.9% (Red) against at least 95%." in breach.figures


def test_an_open_period_is_never_evaluated():
    th = Contract("thurrock-supported-living").set("KPI 3", 50.0)
    assert th.breaches(date(2026, 6, 30)) == []  # Q1 ends on 30 June: not closed until 1 July
    assert len(th.breaches(date(2026, 7, 1))) == 1


# --- S5 still not met at the next period (TH-20) and S4 N consecutive (HF) ------------------------------------------

def test_thurrock_a_kpi_missed_in_q1_and_q2_proposes_termination():
    th = Contract("thurrock-supported-living").set("KPI 4", 80.0, 84.0)
    assert th.breaches(date(2026, 9, 30), "still-not-met") == []  # Q2 still open
    [breach] = th.breaches(date(2026, 10, 1), "still-not-met")
    assert breach.actions == ("termination",) and breach.cites == "TH-20, A32"
    assert breach.occurred_on == date(2026, 9, 30)
    assert "Q1 2026-27 to Q2 2026-27" in breach.summary


def test_thurrock_different_kpis_in_consecutive_quarters_are_not_the_same_kpi():
    th = Contract("thurrock-supported-living").set("KPI 4", 80.0, 90.0).set("KPI 5", 85.0, 70.0)
    assert th.breaches(date(2026, 10, 1), "still-not-met") == []


def test_thurrock_a_missing_quarter_breaks_the_run():
    th = Contract("thurrock-supported-living").set("KPI 4", 80.0, None, 80.0)
    assert th.breaches(date(2027, 1, 1), "still-not-met") == []


def test_hf_two_consecutive_quarters_below_85_percent_proposes_a_default():
    hf = Contract("hammersmith-fulham-home-care").set("BCM 3", 84.9, 80.0)
    found = hf.breaches(date(2026, 10, 1))
    assert {"bcm-missed", "bcm-two-quarters"} <= {b.rule_id for b in found}
    [default] = [b for b in found if b.rule_id == "bcm-two-quarters"]
    assert default.actions == ("default",)


def test_hf_a_quarter_without_a_survey_does_not_break_the_chain():
    # A38: Q2 has no data; Q1 and Q3 missed are two consecutive quarters with data.
    hf = Contract("hammersmith-fulham-home-care").set("BCM 7", 80.0, None, 82.0)
    assert len(hf.breaches(date(2027, 1, 1), "bcm-two-quarters")) == 1
    hf.set("BCM 7", 80.0, 90.0, 82.0)  # but a met quarter does
    assert hf.breaches(date(2027, 1, 1), "bcm-two-quarters") == []


def test_a_run_that_goes_on_is_one_breach():
    hf = Contract("hammersmith-fulham-home-care").set("BCM 4", 80.0, 80.0)
    [after_two] = hf.breaches(date(2026, 10, 1), "bcm-two-quarters")
    hf.set("BCM 4", 80.0, 80.0, 80.0)
    [after_three] = hf.breaches(date(2027, 1, 1), "bcm-two-quarters")
    assert after_two.key == after_three.key
    assert "3 consecutive periods" in after_three.summary


# --- S3 two-tier measures (A44) ---------------------------------------------------------------------------------------

def test_hf_missing_either_review_tier_misses_the_measure():
    hf = Contract("hammersmith-fulham-home-care").set("BCM 5 (6 weeks)", 90.0).set("BCM 5 (8 weeks)", 94.0)
    [breach] = hf.breaches(date(2026, 7, 1), "new-resident-reviews-missed")
    assert breach.subject == "BCM 5 (6 weeks) + BCM 5 (8 weeks)"
    hf.set("BCM 5 (8 weeks)", 95.0)
    assert hf.breaches(date(2026, 7, 1), "new-resident-reviews-missed") == []


# --- S2 RAG bands, lots and year-one flexibility (Kent) ------------------------------------------------------------

def test_kent_amber_asks_for_reasons_and_red_for_an_action_plan():
    kt = Contract("kent-ld-day-services", lots=("3",)).set("S3", 95.0).set("E3", 80.0)
    # S3 is six-monthly (its first half closes on 1 October); E3 quarterly. 95.0% is Amber under ">95%" (A19).
    assert {(b.rule_id, b.subject) for b in kt.breaches(date(2026, 9, 30))} == {("red", "E3")}
    assert {(b.rule_id, b.subject) for b in kt.breaches(date(2026, 10, 1))} == {("red", "E3"), ("amber", "S3")}


def test_kent_lot_kpis_apply_only_to_providers_in_the_lot():
    kt = Contract("kent-ld-day-services", lots=("1a",)).set("E3", 10.0)
    assert kt.breaches(date(2026, 10, 1)) == []


def test_kent_year_one_breaches_are_advisory():
    kt = Contract("kent-ld-day-services", lots=("3",)).set("E3", 10.0, 10.0, 10.0, 10.0, 10.0)
    found = kt.breaches(date(2027, 7, 1), "continued-red")
    assert len(found) == 1 and found[0].advisory  # reached in Q2 of year one
    by_period = {b.period_start: b.advisory for b in kt.breaches(date(2027, 7, 1), "red")}
    assert by_period[date(2026, 4, 1)] is True and by_period[date(2027, 4, 1)] is False
    assert found[0].proposal_text().startswith("Advisory (contract year one, not escalated)")


def test_kent_i4_is_never_escalated():
    kt = Contract("kent-ld-day-services", lots=("2a",)).set("I4", 90.0)
    assert kt.breaches(date(2027, 4, 1)) == []


# --- S9 critical and immediate (CE) -----------------------------------------------------------------------------------

def test_ce_a_missed_domain_kpi_is_a_critical_failure_at_once():
    ce = Contract("cheshire-east-ech").set("CE-K02", 84.9)
    [breach] = ce.breaches(date(2026, 4, 29))
    assert breach.rule_id == "critical-kpi-missed" and breach.immediate
    assert breach.actions == ("case", "action-plan")


def test_ce_continuity_between_the_two_targets_is_amber_but_no_breach():
    ce = Contract("cheshire-east-ech").set("CE-K03", 87.0)
    assert ce.breaches(date(2026, 4, 29)) == []
    [result] = [r for r in results(ce.book.monitoring, {"four-weekly": ce.periods("four-weekly", date(2026, 4, 1))},
                                   ce.values) if r.kpi.id == "CE-K03"]
    assert (result.value, result.rag) == (87.0, "amber")


def test_ce_any_missed_visit_is_a_critical_failure():
    ce = Contract("cheshire-east-ech").set("CE-C03", 0)
    assert ce.breaches(date(2026, 4, 29)) == []
    ce.set("CE-C03", 1)
    assert [b.rule_id for b in ce.breaches(date(2026, 4, 29))] == ["non-delivery"]


# --- S6 K occurrences in a rolling window (CE-C04, CE-38) -------------------------------------------------------------

@pytest.mark.parametrize(("second", "breached"), [(date(2026, 4, 4), True), (date(2026, 4, 5), False)])
def test_ce_care_plan_delays_window_edge(second, breached):
    ce = Contract("cheshire-east-ech")
    ce.events = [Occurrence("care-plan-delay", date(2026, 1, 5), "SU-1"), Occurrence("care-plan-delay", second, "SU-2")]
    found = ce.breaches(date(2026, 6, 1), "care-plan-delays")
    assert bool(found) is breached
    if breached:
        assert found[0].immediate and found[0].key == "care-plan-delays|care-plan-delay|2026-04-04|SU-2"


def test_ce_four_care_plan_delays_in_twelve_months():
    ce = Contract("cheshire-east-ech")
    ce.events = [Occurrence("care-plan-delay", d) for d in
                 (date(2026, 1, 5), date(2026, 5, 1), date(2026, 9, 1), date(2026, 12, 20))]
    [breach] = ce.breaches(date(2027, 1, 1), "care-plan-delays")
    assert breach.occurred_on == date(2026, 12, 20)
    assert "4 times within 12 months" in breach.summary


def test_ce_two_defaults_in_six_months_is_a_serious_default():
    ce = Contract("cheshire-east-ech")
    # 1 February to 31 July is a period of 6 months; 1 August is outside it.
    ce.events = [Occurrence("default", date(2026, 2, 1)), Occurrence("default", date(2026, 7, 31))]
    assert [b.actions for b in ce.breaches(date(2026, 9, 1), "serious-default")] == [("suspension",)]
    ce.events = [Occurrence("default", date(2026, 2, 1)), Occurrence("default", date(2026, 8, 1))]
    assert ce.breaches(date(2026, 9, 1), "serious-default") == []


def test_an_event_in_the_future_is_not_counted():
    ce = Contract("cheshire-east-ech")
    ce.events = [Occurrence("default", date(2026, 2, 1)), Occurrence("default", date(2026, 3, 1))]
    assert ce.breaches(date(2026, 2, 15), "serious-default") == []


# --- S15 ratings ------------------------------------------------------------------------------------------------------

def test_ce_cqc_inadequate_is_default_and_suspension_with_immediate_effect():
    ce = Contract("cheshire-east-ech")
    ce.ratings = [Rating("cqc", "Requires improvement", date(2026, 5, 1))]
    assert ce.breaches(date(2026, 6, 1)) == []
    ce.ratings.append(Rating("cqc", "Inadequate", date(2026, 5, 20)))
    [breach] = ce.breaches(date(2026, 6, 1))
    assert breach.actions == ("default", "suspension") and breach.immediate


def test_ce_local_inadequate_is_default_and_embargo():
    ce = Contract("cheshire-east-ech")
    ce.ratings = [Rating("local", "inadequate", date(2026, 5, 1))]
    assert [b.actions for b in ce.breaches(date(2026, 6, 1))] == [("default", "embargo")]


def test_hf_below_good_is_an_improvement_plan_and_no_new_referrals():
    hf = Contract("hammersmith-fulham-home-care")
    hf.ratings = [Rating("cqc", "Not yet rated", date(2026, 4, 1)), Rating("cqc", "Requires improvement",
                                                                         date(2026, 5, 1))]
    [breach] = hf.breaches(date(2026, 5, 2))
    assert breach.actions == ("action-plan", "embargo")


# --- late or missing returns (CE-47, HF-47) ---

def test_a4_no_due_date_set_no_return_is_ever_late():
    """A4: until the council sets a due date on the contract, no lateness is counted (CE-47, CE-K14)."""
    ce = Contract("cheshire-east-ech")
    assert all(p.due_on is None for p in ce.periods("four-weekly"))
    assert ce.breaches(date(2027, 6, 1), "returns-three-periods") == []


def test_ce_three_consecutive_missed_returns_is_a_service_failure():
    ce = Contract("cheshire-east-ech", settings=CE_DUE)
    periods = ce.periods("four-weekly")
    third_due = periods[2].due_on
    assert ce.breaches(third_due, "returns-three-periods") == []  # the third is not overdue until the day after
    [breach] = ce.breaches(third_due.replace(day=third_due.day + 1), "returns-three-periods")
    assert breach.subject == "four-weekly" and breach.occurred_on == third_due
    assert breach.actions == ("case", "action-plan")
    assert len(breach.figures) == 3 and "not submitted" in breach.figures[0]


def test_ce_an_on_time_return_resets_the_count_and_a_late_one_does_not():
    ce = Contract("cheshire-east-ech", settings=CE_DUE)
    periods = ce.periods("four-weekly")
    today = periods[3].due_on.replace(day=periods[3].due_on.day + 1)
    ce.submit("four-weekly", 2, periods[1].due_on)  # on time, on the due date itself
    assert ce.breaches(today, "returns-three-periods") == []
    ce.submit("four-weekly", 2, periods[1].due_on.replace(day=periods[1].due_on.day + 1))  # a day late
    [breach] = ce.breaches(today, "returns-three-periods")
    assert "submitted late" in breach.figures[1]


def test_a_late_return_arriving_keeps_the_same_breach():
    ce = Contract("cheshire-east-ech", settings=CE_DUE)
    periods = ce.periods("four-weekly")
    today = periods[2].due_on.replace(day=periods[2].due_on.day + 1)
    before = ce.breaches(today, "returns-three-periods")
    ce.submit("four-weekly", 3, today)
    after = ce.breaches(today, "returns-three-periods")
    assert [b.key for b in before] == [b.key for b in after] and len(after) == 1


def test_ce_annual_return_due_30_april():
    ce = Contract("cheshire-east-ech")
    assert ce.breaches(date(2027, 4, 30), "annual-return-late") == []
    # Both the 2026-27 annual return and the 2026 survey results were due on 30 April 2027.
    assert {b.subject for b in ce.breaches(date(2027, 5, 1), "annual-return-late")} == {"annual", "survey"}
    ce.submit("annual", 1, date(2027, 4, 30)).submit("survey", 1, date(2027, 4, 1))
    assert ce.breaches(date(2027, 5, 1), "annual-return-late") == []


def test_a_return_with_no_due_date_is_never_late():
    # A4: Thurrock states no due dates; even a rule watching its return would count nothing.
    th = Contract("thurrock-supported-living")
    assert all(p.due_on is None for p in th.periods("hard-outcomes"))
    assert th.breaches(date(2030, 1, 1)) == []


# --- idempotence and corrections -------------------------------------------------------------------------------------

def test_evaluating_again_finds_nothing_new():
    hf = Contract("hammersmith-fulham-home-care").set("BCM 3", 80.0, 80.0)
    first = hf.breaches(date(2026, 10, 1))
    again = reconcile([b.key for b in first], hf.breaches(date(2026, 10, 1)))
    assert again.new == () and again.withdrawn == () and len(again.kept) == len(first)


def test_a_corrected_return_that_cures_a_breach_withdraws_it():
    hf = Contract("hammersmith-fulham-home-care").set("BCM 3", 80.0, 80.0)
    recorded = [b.key for b in hf.breaches(date(2026, 10, 1))]
    hf.set("BCM 3", 80.0, 86.0)  # Q2 corrected: 86% meets the target
    change = reconcile(recorded, hf.breaches(date(2026, 10, 1)))
    assert change.new == ()
    assert change.withdrawn == ("bcm-missed|BCM 3|2026-07-01", "bcm-two-quarters|BCM 3|2026-04-01")


def test_cornwall_only_flags_a_miss_for_the_quarterly_meeting():
    cw = Contract("cornwall-leaving-care").set("KPI 1.9", 89.0).set("KPI 1.2", 160)
    assert [(b.subject, b.actions) for b in cw.breaches(date(2026, 7, 1))] == [("KPI 1.9", ("concern",))]


# --- targets that change over time (KT-04, CW-25, A62, TH-18) -----------------------------------------------------

HF_80 = {"kpi_targets": {"BCM 3": [{"from": "2027-01-01", "target": 80}]}}  # agreed at a review: 80% from January


def test_kt_04_a_target_changed_from_a_date_judges_the_periods_starting_from_it():
    hf = Contract("hammersmith-fulham-home-care", settings=HF_80).set("BCM 3", 84.0, 100.0, 82.0, 82.0)
    found = hf.breaches(date(2027, 4, 1), "bcm-missed")
    # Q1 and Q3 started before 1 January 2027: judged at 85%. Q4 (from 1 January) meets the new 80%.
    assert [b.key for b in found] == ["bcm-missed|BCM 3|2026-04-01", "bcm-missed|BCM 3|2026-10-01"]
    assert found[1].figures == ("BCM 3 Q3 2026-27: 82% (Red) against at least 85%.",)
    assert hf.breaches(date(2027, 4, 1), "bcm-two-quarters") == []  # Q3 missed, Q4 met: no run of two
    schedules = {"bcm-quarterly": hf.periods("bcm-quarterly", until=date(2027, 4, 1))}
    q3, q4 = [r for r in results(hf.book.monitoring, schedules, hf.values) if r.kpi.id == "BCM 3"][2:4]
    assert (q3.rag, q3.kpi.target_text()) == ("red", "at least 85%")
    assert (q4.rag, q4.kpi.target_text()) == ("green", "at least 80% (from 1 January 2027, council setting)")


def test_a_period_already_judged_keeps_its_judgement_when_the_target_changes_later():
    hf = Contract("hammersmith-fulham-home-care").set("BCM 3", 84.0)
    (recorded,) = hf.breaches(date(2026, 7, 1), "bcm-missed")
    # Suppose a change reaches back over Q1 (a rulebook edit dated 1 April 2026, 80%): judged afresh, Q1 would meet it.
    back = Contract("hammersmith-fulham-home-care", settings={"kpi_targets": {"BCM 3": [
        {"from": "2026-04-01", "target": 80}]}}).set("BCM 3", 84.0)
    assert back.breaches(date(2026, 7, 1), "bcm-missed") == []
    # But Q1 was judged when its figures were accepted: that judgement stands, so the breach is found unchanged.
    judged = {("BCM 3", date(2026, 4, 1)): ("red", "at least 85%")}
    (kept,) = back.breaches(date(2026, 7, 1), "bcm-missed", judged=judged)
    assert (kept.key, kept.figures) == (recorded.key, recorded.figures)
    assert reconcile([recorded.key], [kept]).withdrawn == ()


def test_the_councils_kpi_targets_setting_is_checked_like_the_rulebook():
    book = BOOKS["hammersmith-fulham-home-care"]
    today = date(2026, 12, 18)
    value = {"BCM 3": [{"from": "2027-01-01", "target": 80},
                       {"from": "2027-04-01", "target": 82, "disputed_target": 90}]}
    assert check_setting(book, "kpi_targets", value, today) == value
    for bad, message in [
        ({"BCM 99": [{"from": "2027-01-01", "target": 80}]}, "'BCM 99' is not one of this contract's KPIs"),
        ({"BCM 3": [{"from": "1 January", "target": 80}]}, "give 'from' as a date written YYYY-MM-DD"),
        ({"BCM 3": [{"from": "2027-01-01", "target": 180}]}, "a percentage target must be from 0 to 100"),
        ({"BCM 3": [{"from": "2027-01-01"}]}, "a dated target needs a 'target' or 'bands'"),
        ({"BCM 3": [{"from": "2027-01-01", "target": 80, "colour": 1}]}, "unknown key 'colour'"),
        ({"BCM 3": [{"from": "2027-01-01", "bands": {"red": ">80%", "amber": "70-80%", "green": "<70%"}}]},
         "the red band '>80%' means lower is better"),
        ({"BCM 3": [{"from": "2027-04-01", "target": 80}, {"from": "2027-01-01", "target": 82}]},
         "give the targets in date order"),
        # A change reaching back over periods already started would re-judge them: from today or later only.
        ({"BCM 3": [{"from": "2026-12-17", "target": 80}]}, "the target from 2026-12-17 has already applied"),
    ]:
        with pytest.raises(ValidationProblem, match=re.escape(message)):
            check_setting(book, "kpi_targets", bad, today)
    # From today is allowed: it judges the periods that start today or later.
    assert check_setting(book, "kpi_targets", {"BCM 3": [{"from": "2026-12-18", "target": 80}]}, today)


def test_a_dated_target_that_has_applied_stays_as_it_was():
    book = BOOKS["hammersmith-fulham-home-care"]
    before = {"BCM 3": [{"from": "2027-01-01", "target": 80}]}
    later = date(2027, 2, 1)
    # A new change from April keeps January's; changing or dropping January's, or clearing the setting, is refused.
    after = {"BCM 3": [*before["BCM 3"], {"from": "2027-04-01", "target": 82}]}
    assert check_setting(book, "kpi_targets", after, later, before) == after
    for value in ({"BCM 3": [{"from": "2027-01-01", "target": 75}]}, {"BCM 3": [{"from": "2027-04-01", "target": 82}]},
                  None):
        with pytest.raises(ValidationProblem, match="the target from 2027-01-01 has already applied"):
            check_setting(book, "kpi_targets", value, later, before)
    # Before 1 January it had not applied yet: it could still be withdrawn.
    assert check_setting(book, "kpi_targets", None, date(2026, 12, 31), before) is None
