"""The provider picture: calendar quarters across year ends, counts per quarter, and the timeline's order."""

from __future__ import annotations

from datetime import date

from workflows.picture import (
    Happening,
    counts_by_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
    recent_quarters,
    timeline,
)


def test_quarters_are_calendar_quarters_and_cross_the_year_end():
    assert quarter_of(date(2026, 12, 31)) == (2026, 4)
    assert quarter_of(date(2027, 1, 1)) == (2027, 1)
    assert quarter_of(date(2027, 3, 31)) == (2027, 1) and quarter_of(date(2027, 4, 1)) == (2027, 2)
    assert recent_quarters(date(2027, 2, 10), 3) == [(2027, 1), (2026, 4), (2026, 3)]
    assert quarter_label((2026, 4)) == "Oct to Dec 2026" and quarter_label((2027, 1)) == "Jan to Mar 2027"
    assert quarter_bounds((2026, 4)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds((2028, 1)) == (date(2028, 1, 1), date(2028, 3, 31))


def test_counts_by_quarter_leave_out_what_is_older():
    happenings = [Happening(date(2026, 12, 31), "complaint", "a", ""),
                  Happening(date(2027, 1, 1), "complaint", "b", ""),
                  Happening(date(2027, 1, 5), "incident", "c", ""), Happening(date(2025, 6, 1), "complaint", "d", "")]
    counts = counts_by_quarter(happenings, recent_quarters(date(2027, 1, 10), 2))
    assert counts[(2027, 1)] == {"complaint": 1, "incident": 1}
    assert counts[(2026, 4)] == {"complaint": 1}
    assert (2025, 2) not in counts


def test_the_timeline_is_newest_first_and_a_case_comes_before_its_notice():
    day = date(2026, 12, 18)
    events = [Happening(day, "notice", "Notice served", ""), Happening(date(2026, 12, 1), "incident", "Old", ""),
              Happening(day, "case", "Case opened", "")]
    assert [h.title for h in timeline(events)] == ["Case opened", "Notice served", "Old"]
