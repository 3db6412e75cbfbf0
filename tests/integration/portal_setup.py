"""Builders shared by the portal's tests: a case with a served notice, and a plan signed by both parties."""

from __future__ import annotations

from datetime import UTC, date, datetime

SERVED_AT = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
TODAY = date(2026, 12, 18)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def user(email: str):
    from models.user_store import find_user_by_email

    return find_user_by_email(email)


def add_provider_b_manager() -> str:
    """A provider manager of another provider (PRV-005, the Hammersmith & Fulham home care provider)."""
    from models import db
    from models.user_store import create_user
    from workflows.access import Role

    council_id = user("contract.manager@remedy.example").council_id
    create_user(council_id=council_id, email="manager@riverside.example", name="Other Provider",
                role=Role.PROVIDER_MANAGER, password="remedy-demo-password", provider_reference="PRV-005")
    db.session.flush()
    return "manager@riverside.example"


def case_with_notice(contract: str = "LDDS-2023-07", now: datetime = SERVED_AT, today: date = TODAY):
    """A case with its notice issued today by hand: (case, notice)."""
    from models.case_store import draft_notice, open_case
    from models.engine import fire

    manager = user("contract.manager@remedy.example")
    case = open_case(manager.viewer, manager, contract, "Attendance S3 red", now)
    notice = draft_notice(manager.viewer, manager, case.id, "Attendance 71% against 95%", "An action plan", now)
    fire(manager.viewer, manager, "notice", notice.id, "issue",
                     {"served_on": today, "method": "hand", "plan_due_days": 10}, now, today)
    return case, notice


def row(deadline: date = date(2027, 2, 26)) -> dict:
    return {"kpi": "S3 attendance", "current_performance": "71% (November 2026)", "rag": "red",
            "issue": "Rota gaps", "action": "Recruit two support workers", "owner": "Registered manager",
            "expected_outcome": "95% attendance by February 2027", "deadline": deadline}


def signed_plan(provider_email: str = "provider.manager@brightwater.example", contract: str = "LDDS-2023-07",
                now: datetime = SERVED_AT, today: date = TODAY):
    """A plan drafted by the provider with two milestones, submitted, agreed and signed: (case, plan)."""
    from models.case_store import add_milestone, add_plan_row, create_action_plan
    from models.engine import fire

    case, notice = case_with_notice(contract, now, today)
    manager = user("contract.manager@remedy.example")
    provider = user(provider_email)
    plan = create_action_plan(provider.viewer, provider, case.id, now, today, notice_id=notice.id)
    add_plan_row(provider.viewer, provider, plan.id, row(), now, today)
    add_milestone(provider.viewer, provider, plan.id, "Two support workers recruited", date(2027, 1, 15), now)
    add_milestone(provider.viewer, provider, plan.id, "Attendance back to 95%", date(2027, 2, 26), now)
    from models import db

    db.session.expire(plan, ["rows", "milestones"])  # rows and milestones were added beside the loaded lists
    fire(provider.viewer, provider, "action_plan", plan.id, "submit", {}, now, today)
    fire(manager.viewer, manager, "action_plan", plan.id, "agree", {"comment": "Agreed"}, now, today)
    fire(provider.viewer, provider, "action_plan", plan.id, "sign_off", {}, now, today)
    return case, plan
