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
    from models.concern_store import record_complaint
    from models.picture_store import quarter_counts
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
        figures = [q.complaints for q in quarter_counts(manager.viewer, provider.provider_id,
                                                        [(2026, n) for n in (1, 2, 3, 4)])]
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


def _timeline_rows(provider_id: int, viewer) -> list[tuple]:
    """Every happening of the provider the viewer may know of, read plainly (a statement per kind, every row) and put
    in the timeline's order as the rule says it: newest London day first, then the order of KINDS, then newest first
    within a kind (by its instant, then by id)."""
    from sqlalchemy import select

    from models import db
    from models.concern_store import list_concerns
    from models.picture_store import SOURCES
    from workflows.clock import LONDON
    from workflows.picture import happening_order

    rows = []
    for source in SOURCES:
        if source.kind == "safeguarding_concern":
            found = [view.concern for view in list_concerns(viewer, provider_id)]
        else:
            found = db.session.scalars(select(source.model).where(source.model.provider_id == provider_id)).all()
        for row in found:
            on = getattr(row, source.on)
            if on is None:
                continue
            day = on.astimezone(LONDON).date() if source.instant else on
            rows.append(((-day.toordinal(), happening_order(source.kind),
                          -(on.timestamp() if source.instant else 0), -row.id), source.kind, row.id))
    return [(kind, row_id) for _key, kind, row_id in sorted(rows)]


def test_the_provider_timeline_pages_through_every_happening_once_in_order(app, demo, login_as):
    """Issue 17: the provider page shows the newest 10 happenings; its history pages back through the rest. Paging by
    the last happening of each page visits every one the viewer may know of once, in the timeline's order, across
    summer time, same-day ties between kinds and within a kind, on SQLite and PostgreSQL."""
    from sqlalchemy import select

    from models import db
    from models.case_store import open_case
    from models.concern_store import raise_concern, record_complaint, record_incident, share_with_provider
    from models.entities import Contract, CqcRatingValue
    from models.picture_store import happenings
    from models.provider_store import record_cqc_rating
    from workflows.picture import happening_order

    with time_machine.travel(NOW, tick=False), app.app_context():
        people = _people(demo)
        manager, provider, officer = (people[r] for r in ("contract_manager", "provider_manager",
                                                           "safeguarding_officer"))
        pid = provider.provider_id
        contract = db.session.scalar(select(Contract.id).where(Contract.provider_id == pid).limit(1))
        for n, (received_at, formal, _resolved) in enumerate(COMPLAINTS):
            record_complaint(provider.viewer, provider, pid, {
                "received_at": received_at, "channel": "phone", "complainant_type": "family_member",
                "formal": formal, "summary": f"Complaint {n}"}, NOW)
            # An incident on the same London day, on the hour before the complaint: still after it on the timeline.
            record_incident(provider.viewer, provider, pid, {
                "kind": "accident", "occurred_at": received_at.replace(minute=0),
                "description": f"Incident {n}", "action_taken": "GP called"}, NOW)
        for n in range(3):  # three cases opened at the same instant: newest (highest id) first
            open_case(manager.viewer, manager, contract, f"Case {n}", NOW)
        for n, day in enumerate((date(2026, 7, 1), date(2026, 7, 1), date(2026, 10, 25))):
            concern = raise_concern(officer.viewer, officer, pid, "care_concern", f"Concern {n}", day, NOW)
            if n == 1:
                db.session.flush()
                share_with_provider(officer.viewer, officer, concern.id, "Shared summary", NOW)
        record_cqc_rating(manager.viewer, manager, pid, CqcRatingValue.GOOD, date(2026, 7, 1), None,
                          NOW.date(), NOW)
        db.session.commit()

        for person in (manager, provider, officer):
            expected = _timeline_rows(pid, person.viewer)
            assert len(expected) > 20
            for size in (1, 4, 7, 20):
                seen, after = [], None
                while True:
                    page, after = happenings(person.viewer, pid, size, after)
                    assert len(page) == size or after is None
                    seen.extend(page)
                    if after is None:
                        break
                assert [(h.kind, h.title) for h in seen] == [
                    (h.kind, h.title) for h in happenings(person.viewer, pid, 1000)[0]]
                assert len(seen) == len(expected)
                assert [h.kind for h in seen] == [kind for kind, _id in expected]
            days = [(h.on, happening_order(h.kind)) for h in seen]
            assert days == sorted(days, key=lambda d: (-d[0].toordinal(), d[1]))

        # The provider knows only of the concern shared with it; the council's staff know all three exist.
        assert sum(h.kind == "safeguarding_concern" for h in happenings(provider.viewer, pid, 1000)[0]) == 1
        assert sum(h.kind == "safeguarding_concern" for h in happenings(manager.viewer, pid, 1000)[0]) == 3
        # 1 July 2026: the complaint received at 00:30 BST, the two concerns, the incident, the rating, in that order.
        july = [h.kind for h in happenings(manager.viewer, pid, 1000)[0] if h.on == date(2026, 7, 1)]
        assert july == ["complaint", "complaint", "safeguarding_concern", "safeguarding_concern", "incident",
                        "incident", "cqc_rating"]

    manager_client = login_as("contract_manager")
    page = manager_client.get(f"/providers/{pid}").get_data(as_text=True)
    picture = page.split('id="picture"')[1].split("</ol>")[0]
    from web.providers import TIMELINE_LENGTH

    assert picture.count("<li") == TIMELINE_LENGTH == 10 and f"/providers/{pid}/history" in page
    history = manager_client.get(f"/providers/{pid}/history").get_data(as_text=True)
    assert history.split("remedy-timeline")[1].split("</ol>")[0].count("<li") == len(expected)
    assert "Older" not in history and "Back to the newest" not in history
    # A place to page from that is not one of this provider's happenings the viewer may know of is not found.
    # The answer says so, and shows the newest page to page back from (a mistyped or stale link).
    for after in ("nonsense", "complaint:x", "complaint:99999999999", "parcel:1", "complaint:999999"):
        lost = manager_client.get(f"/providers/{pid}/history?after={after}")
        assert lost.status_code == 404
        html = lost.get_data(as_text=True)
        assert "That place in the provider's history was not found" in html
        assert html.split("remedy-timeline")[1].split("</ol>")[0].count("<li") == len(expected)
    provider_client = login_as("provider_manager")
    hidden = [kind_id for kind_id in _concerns_of(app, pid) if kind_id not in _shared(app, pid)]
    assert provider_client.get(f"/providers/{pid}/history?after=safeguarding_concern:{hidden[0]}").status_code == 404
    # Another provider's history is not found at all for a provider's staff.
    assert provider_client.get(f"/providers/{pid}/history").status_code == 200
    assert provider_client.get(f"/providers/{_another_provider(app, pid)}/history").status_code == 404


def _another_provider(app, pid: int) -> int:
    from sqlalchemy import select

    from models import db
    from models.entities import Provider

    with app.app_context():
        return db.session.scalar(select(Provider.id).where(Provider.id != pid).limit(1))


def _concerns_of(app, pid: int) -> list[int]:
    from sqlalchemy import select

    from models import db
    from models.concerns import SafeguardingConcern

    with app.app_context():
        return list(db.session.scalars(select(SafeguardingConcern.id).where(SafeguardingConcern.provider_id == pid)))


def _shared(app, pid: int) -> list[int]:
    from sqlalchemy import select

    from models import db
    from models.concerns import SafeguardingConcern

    with app.app_context():
        return list(db.session.scalars(select(SafeguardingConcern.id).where(
            SafeguardingConcern.provider_id == pid, SafeguardingConcern.shared_with_provider.is_not(None))))
