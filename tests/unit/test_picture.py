"""The provider picture: calendar quarters across year ends, and the order of kinds on one day of the timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflows.picture import (
    KINDS,
    happening_order,
    quarter_bounds,
    quarter_label,
    quarter_of,
    recent_quarters,
    timeline_key,
)


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


def test_the_timeline_is_newest_day_first_then_kind_then_newest_first_within_a_kind():
    """1 July 2026 (British Summer Time): a complaint received at 00:30 BST (23:30 UTC on 30 June) is on 1 July, after
    the case opened that day; two incidents that day, the later first; a rating (dated by the day) last; 30 June's
    complaint received at 23:59 BST after all of them."""
    happenings = {
        "late complaint 30 June": (date(2026, 6, 30), "complaint", datetime(2026, 6, 30, 22, 59, tzinfo=UTC), 1),
        "complaint 1 July": (date(2026, 7, 1), "complaint", datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 2),
        "rating": (date(2026, 7, 1), "cqc_rating", None, 3),
        "incident 09:00": (date(2026, 7, 1), "incident", datetime(2026, 7, 1, 8, 0, tzinfo=UTC), 9),
        "incident 17:00": (date(2026, 7, 1), "incident", datetime(2026, 7, 1, 16, 0, tzinfo=UTC), 4),
        "case": (date(2026, 7, 1), "case", datetime(2026, 7, 1, 10, 0, tzinfo=UTC), 5),
        "notice A": (date(2026, 7, 1), "notice", None, 6),
        "notice B": (date(2026, 7, 1), "notice", None, 7),
    }
    order = sorted(happenings, key=lambda name: timeline_key(*happenings[name]))
    assert order == ["case", "notice B", "notice A", "complaint 1 July", "incident 17:00", "incident 09:00", "rating",
                     "late complaint 30 June"]
