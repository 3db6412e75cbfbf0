"""The provider page's figures counted by the database (issue 17): complaints per quarter, received on the London day
of receipt, and resolved within 28 days of that day (CE-59, KT S3), on SQLite and PostgreSQL alike, across the
changes to and from British Summer Time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from tests.integration.test_work_queues import _people

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
# (received at, UTC; formal; resolved on): each one's London day of receipt in the comment.
COMPLAINTS = [
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), True, date(2026, 7, 29)),  # 1 July (BST): Q3; 28 days: within
    (datetime(2026, 7, 1, 22, 59, tzinfo=UTC), True, date(2026, 7, 30)),  # 1 July, 23:59: 29 days: not within
    (datetime(2026, 7, 1, 23, 0, tzinfo=UTC), False, date(2026, 7, 30)),  # 2 July, 00:00: 28 days: within
    (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), True, None),  # 30 June, 23:59: Q2, open
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), False, date(2026, 11, 22)),  # 25 Oct 01:30 BST: 28 days: within
    (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), True, date(2026, 11, 23)),  # 25 Oct (GMT again): 29 days: not
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), True, date(2027, 1, 5)),  # 31 December (GMT): Q4
    (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), True, date(2026, 4, 26)),  # 29 March 00:30 GMT: Q1; 28 days
    (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), True, date(2026, 4, 29)),  # 1 April 00:30 BST: Q2; 28 days
]
QUARTERS = [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 6, 30)),
            (date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 10, 1), date(2026, 12, 31))]


def test_complaint_figures_count_by_the_london_day_of_receipt(app, demo):
    from models import db
    from models.concern_store import complaint_figures, record_complaint
    from workflows.clock import LONDON
    from workflows.complaint import resolved_within_28_days

    with time_machine.travel(NOW, tick=False), app.app_context():
        manager = _people(demo)["contract_manager"]
        provider = _people(demo)["provider_manager"]
        for received_at, formal, resolved_on in COMPLAINTS:
            complaint = record_complaint(provider.viewer, provider, provider.provider_id, {
                "received_at": received_at, "channel": "phone", "complainant_type": "family_member",
                "formal": formal, "summary": "Carer did not arrive"}, NOW)
            complaint.resolved_on = resolved_on
        db.session.commit()
        figures = complaint_figures(manager.viewer, provider.provider_id, QUARTERS)
    # The same figures worked out one complaint at a time by the rule itself (workflows.complaint).
    expected = []
    for start, end in QUARTERS:
        rows = [(day, formal, resolved) for received, formal, resolved in COMPLAINTS
                if start <= (day := received.astimezone(LONDON).date()) <= end]
        closed = [resolved_within_28_days(day, resolved) for day, _formal, resolved in rows if resolved]
        expected.append({"received": len(rows), "formal": sum(formal for _day, formal, _r in rows),
                         "resolved": len(closed), "resolved_within_28_days": sum(closed),
                         "percent_resolved_within_28_days": round(100 * sum(closed) / len(closed), 1)
                         if closed else None})
    assert figures == expected
    assert [f["received"] for f in figures] == [1, 2, 3, 3]
    assert [f["resolved_within_28_days"] for f in figures] == [1, 1, 2, 2]
