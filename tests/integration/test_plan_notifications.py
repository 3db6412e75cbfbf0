"""A plan moving to the other side tells them by email and in the app: submitted to the contract manager, returned
(with the council's comments) and agreed to the provider's people; each step once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.integration.portal_setup import SERVED_AT, TODAY, case_with_notice, row, user


def test_plan_steps_are_sent_to_the_other_side(app, demo):
    from models import db
    from models.case_store import add_milestone, add_plan_row, create_action_plan
    from models.engine import fire
    from models.scheduling import OutboxMessage

    with app.app_context():
        case, notice = case_with_notice()
        manager = user("contract.manager@remedy.example")
        provider = user("provider.manager@brightwater.example")
        plan = create_action_plan(provider.viewer, provider, case.id, SERVED_AT, TODAY, notice_id=notice.id)
        add_plan_row(provider.viewer, provider, plan.id, row(), SERVED_AT, TODAY)
        add_milestone(provider.viewer, provider, plan.id, "Two support workers recruited", date(2027, 1, 15),
                      SERVED_AT)
        db.session.expire(plan, ["rows", "milestones"])

        def sent(to) -> list[OutboxMessage]:
            return list(db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.user_id == to.id, OutboxMessage.key.like(f"plan:{plan.id}:%"))
                .order_by(OutboxMessage.id)))

        fire(provider.viewer, provider, "action_plan", plan.id, "submit", {}, SERVED_AT, TODAY)
        to_council = sent(manager)
        assert {m.channel for m in to_council} == {"email", "in_app"}
        assert "submitted for agreement" in to_council[0].subject and "CASE-00001" in to_council[0].subject
        assert sent(provider) == []  # nobody is told of their own step
        fire(manager.viewer, manager, "action_plan", plan.id, "return_for_changes",
                         {"comment": "Add a date for the rota review"}, SERVED_AT, TODAY)
        returned = sent(provider)
        assert "returned for changes" in returned[0].subject
        assert "Add a date for the rota review" in returned[0].body_text
        assert {m.user_id for m in sent(user("provider.user@brightwater.example"))} == {
            user("provider.user@brightwater.example").id}  # all the provider's people
        fire(provider.viewer, provider, "action_plan", plan.id, "submit", {}, SERVED_AT, TODAY)
        assert len(sent(manager)) == 4  # submitted again: a new message, the first not repeated
        fire(manager.viewer, manager, "action_plan", plan.id, "agree", {}, SERVED_AT, TODAY)
        agreed = [m for m in sent(provider) if "agreed by the council" in m.subject]
        assert agreed and "Sign off the agreed plan" in agreed[0].body_text
