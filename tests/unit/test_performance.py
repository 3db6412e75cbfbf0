"""The annual KPI assessment, the trend chart and the upload validation, as pure functions (issue 7)."""

from datetime import date
from pathlib import Path

import pytest

from workflows.performance import assess_year, trend_svg
from workflows.returns import ReturnState, ReturnWorkflow, template_rows, validate_rows
from workflows.rulebook import load_rulebooks

BOOKS = load_rulebooks(Path(__file__).resolve().parents[2] / "rulebooks")
TH = BOOKS["thurrock-supported-living"].monitoring


@pytest.mark.parametrize("rags, rating", [
    ([], "No data"),
    (["green"] * 4, "Good"),
    (["green", "amber", "green", "green"], "Approaching target"),
    (["red", "red", "green", "green"], "Requires improvement"),  # exactly half: not more than half
    (["red", "red", "red", "green"], "Inadequate"),
])
def test_annual_assessment_ratings(rags, rating):
    starts = [date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1), date(2027, 1, 1)]
    results = [("KPI 3", start, rag) for start, rag in zip(starts, rags, strict=False)]
    results.append(("KPI 3", date(2026, 1, 1), "red"))  # the year before: not counted
    (kpi3,) = [a for a in assess_year(TH, results, 2026) if a.kpi.id == "KPI 3"]
    assert kpi3.rating == rating and kpi3.periods == len(rags)


def test_the_trend_chart_gives_every_point_a_text_title_and_marks_red_by_shape():
    svg = trend_svg(TH.kpi("KPI 3"), [("Q1 2026-27", 96.0, "green"), ("Q2 2026-27", 80.0, "red"),
                                      ("Q3 2026-27", None, None)])
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title>Q2 2026-27: 80% (Red)</title></rect>" in svg
    assert "Target 95%" in svg and "<desc" in svg


def test_upload_validation_names_every_problem_by_row_and_column():
    kpis = {k.id: k for k in TH.kpis_in("hard-outcomes")}
    period = date(2026, 4, 1)
    rows = template_rows(kpis.values(), period)
    assert rows[0] == ["period_start", "kpi", "name", "numerator", "denominator"]
    rows = [rows[0],
            ["2026-04-01", "KPI 3", "", "9", "10"],
            ["2026-04-02", "KPI 4", "", "9", "10"],  # not a period start
            ["2026-04-01", "KPI 99", "", "1", "1"],  # not a KPI of this return
            ["2026-04-01", "KPI 5", "", "11", "10"],  # more than the denominator
            ["2026-04-01", "KPI 6", "", "x", "10"],  # not a number
            ["2026-04-01", "KPI 3", "", "8", "10"]]  # twice
    figures, errors = validate_rows(rows, kpis, {period})
    assert figures == {}
    assert [str(e) for e in errors] == [
        "Row 3, column period_start: 2026-04-02 is not the start of a period this return covers",
        "Row 4, column kpi: 'KPI 99' is not a KPI in this return",
        "Row 5, column numerator: cannot be more than the denominator",
        "Row 6, column numerator: enter a number, for example 42 or 97.5",
        "Row 7, column kpi: KPI 3 is given twice for this period",
    ]
    figures, errors = validate_rows(rows[:2], kpis, {period})
    assert errors == [] and figures == {(period, "KPI 3"): (9.0, 10.0)}
    _, errors = validate_rows([["kpi", "numerator"]], kpis, {period})
    assert {e.column for e in errors} == {"period_start", "name", "denominator"}


def test_kpi_11_counts_six_answers_per_person_so_its_numerator_may_be_up_to_six_times_the_denominator():
    """TH-K11 (A33): (a + ... + f) / (b x 6) x 100: 522 'yes' answers from 100 people is 87%, and only more than
    600 is impossible; a plain percentage still refuses a numerator above its denominator."""
    kpis = {k.id: k for k in TH.kpis_in("satisfaction")}
    period = date(2025, 4, 1)
    header = template_rows(kpis.values(), period)[0]
    figures, errors = validate_rows([header, ["2025-04-01", "KPI 11", "", "600", "100"]], kpis, {period})
    assert errors == [] and kpis["KPI 11"].value(*figures[(period, "KPI 11")]) == 100
    _, errors = validate_rows([header, ["2025-04-01", "KPI 11", "", "601", "100"]], kpis, {period})
    assert [str(e) for e in errors] == [
        "Row 2, column numerator: cannot be more than the denominator times 6 (x / (y * 6) * 100)"]
    assert TH.kpi("KPI 3").largest_numerator(10) == 10


def test_only_the_council_accepts_or_queries_a_return():
    from datetime import UTC, datetime

    from workflows.access import Role, Viewer
    from workflows.calendar import calendar_for
    from workflows.machine import Context

    def workflow(role, state, provider_id=None):
        ctx = Context(actor=Viewer(1, 1, role, provider_id), now=datetime(2026, 12, 18, tzinfo=UTC),
                      today=date(2026, 12, 18), calendar=calendar_for("england-and-wales", {}),
                      rulebook=BOOKS["thurrock-supported-living"], record_provider_id=4)
        return ReturnWorkflow(state, ctx)

    assert workflow(Role.PROVIDER_MANAGER, ReturnState.DUE, 4).allowed_triggers() == ["submit"]
    assert workflow(Role.PROVIDER_MANAGER, ReturnState.DUE, 5).allowed_triggers() == []
    assert workflow(Role.PROVIDER_USER, ReturnState.SUBMITTED, 4).allowed_triggers() == ["correct"]
    assert workflow(Role.CONTRACT_MANAGER, ReturnState.SUBMITTED).allowed_triggers() == ["correct", "accept",
                                                                                          "query"]
    assert workflow(Role.COUNCIL_VIEWER, ReturnState.SUBMITTED).allowed_triggers() == []
    assert workflow(Role.PROVIDER_MANAGER, ReturnState.ACCEPTED, 4).allowed_triggers() == ["correct"]
