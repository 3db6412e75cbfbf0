"""The provider picture: calendar quarters across year ends, and the order of kinds on one day of the timeline."""

from __future__ import annotations

from datetime import date

from workflows.picture import KINDS, happening_order, quarter_bounds, quarter_label, quarter_of, recent_quarters


def test_quarters_are_calendar_quarters_and_cross_the_year_end():
    assert quarter_of(date(2026, 12, 31)) == (2026, 4)
    assert quarter_of(date(2027, 1, 1)) == (2027, 1)
    assert quarter_of(date(2027, 3, 31)) == (2027, 1) and quarter_of(date(2027, 4, 1)) == (2027, 2)
    assert recent_quarters(date(2027, 2, 10), 3) == [(2027, 1), (2026, 4), (2026, 3)]
    assert quarter_label((2026, 4)) == "Oct to Dec 2026" and quarter_label((2027, 1)) == "Jan to Mar 2027"
    assert quarter_bounds((2026, 4)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds((2028, 1)) == (date(2028, 1, 1), date(2028, 3, 31))


def test_on_one_day_a_case_comes_before_the_notice_served_on_it_and_a_rating_comes_last():
    assert happening_order("case") < happening_order("notice") < happening_order("default_notice")
    assert happening_order("default_notice") < happening_order("suspension")
    assert [happening_order(kind) for kind in KINDS] == list(range(len(KINDS)))
    assert max(KINDS, key=happening_order) == "cqc_rating"
