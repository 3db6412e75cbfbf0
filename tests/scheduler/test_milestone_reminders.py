"""Providers are reminded (by email and in the app) before their milestones fall due, milestone by milestone."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import db
from models.scheduling import OutboxMessage
from scheduler.tick import tick
from tests.integration.portal_setup import PDF, SERVED_AT, TODAY, signed_plan, user
from tests.scheduler.test_tick import at


def reminders() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Reminder"))
                                   .order_by(OutboxMessage.id)))


def test_each_milestone_reminds_the_provider_even_after_another_is_done(app, demo):
    from models.portal_store import Upload, record_progress

    with app.app_context():
        _case, plan = signed_plan()
        db.session.commit()
        first, second = plan.milestones
        assert (first.due_on, second.due_on) == (date(2027, 1, 15), date(2027, 2, 26))
        tick(at("2027-01-08 09:00"))  # 5 working days before Friday 15 January
        sent = reminders()
        assert {(m.channel, m.user.email) for m in sent} == {
            (channel, email) for channel in ("email", "in_app")
            for email in ("provider.manager@brightwater.example", "provider.user@brightwater.example")}
        assert all("Two support workers recruited" in m.subject and "KT-19" in m.body_text for m in sent)
        staff = user("provider.user@brightwater.example")
        record_progress(staff.viewer, staff, first.id, "done", "Recruited", [Upload("a.pdf", PDF)], SERVED_AT,
                        TODAY)
        db.session.commit()
        before = len(reminders())
        tick(at("2027-01-15 09:00"))  # the first one's due day: it is done, so nothing about it
        assert len(reminders()) == before
        tick(at("2027-02-19 09:00"))  # 5 working days before Friday 26 February
        later = reminders()[before:]
        assert len(later) == 4 and all("Attendance back to 95%" in m.subject for m in later)
