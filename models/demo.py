"""Demo data: one council, a fictional provider and contract per seed contract, and one person per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import db
from models.council_store import get_or_create_council
from models.entities import Contract, CqcRating, CqcRatingValue, EscalationContact, Provider
from models.user_store import create_user, find_user_by_email
from workflows.access import Role

DEMO_COUNCIL = "Demo Borough Council"
DEMO_PASSWORD = "remedy-demo-password"


@dataclass(frozen=True)
class DemoContract:
    seed: str
    provider_name: str
    provider_reference: str
    cqc_location_id: str
    rating: CqcRatingValue
    rated_on: date
    reference: str
    title: str
    service: str
    lots: tuple[str, ...]
    start_on: date
    end_on: date
    rulebook_id: str


DEMO_CONTRACTS = (
    DemoContract("Seed 000: Cheshire East extra care housing", "Meadowbank Extra Care Ltd", "PRV-001",
                 "1-100000001", CqcRatingValue.GOOD, date(2025, 3, 14), "ECH-2024-01",
                 "Extra care housing care and support", "Extra care housing", (), date(2024, 4, 1),
                 date(2029, 3, 31), "cheshire-east-ech"),
    DemoContract("Seed 001: Kent learning disability day services", "Brightwater Day Opportunities CIC",
                 "PRV-002", "1-100000002", CqcRatingValue.REQUIRES_IMPROVEMENT, date(2026, 6, 2),
                 "LDDS-2023-07", "Learning disability community day services", "Day services",
                 ("1a", "2a"), date(2023, 10, 1), date(2027, 9, 30), "kent-ld-day-services"),
    DemoContract("Seed 002: Cornwall 16+ leaving care", "Harbour Light Leaving Care Services", "PRV-003",
                 "1-100000003", CqcRatingValue.NOT_YET_RATED, date(2024, 9, 1), "LC-2024-03",
                 "16+ leaving care personal advisor service", "Leaving-care services", (),
                 date(2024, 7, 1), date(2027, 6, 30), "cornwall-leaving-care"),
    DemoContract("Seed 003: Thurrock supported accommodation", "Thameside Supported Living Ltd", "PRV-004",
                 "1-100000004", CqcRatingValue.GOOD, date(2025, 11, 20), "SL-2025-02",
                 "Life skills development and move on", "Supported living", (), date(2025, 4, 1),
                 date(2028, 3, 31), "thurrock-supported-living"),
    DemoContract("Seed 004: Hammersmith & Fulham home care", "Riverside Home Care Ltd", "PRV-005",
                 "1-100000005", CqcRatingValue.GOOD, date(2024, 1, 30), "HC-2024-05",
                 "Home care and independent living", "Home care", ("Patch 2", "Patch 5"), date(2024, 6, 1),
                 date(2029, 5, 31), "hammersmith-fulham-home-care"),
)

# One person per role; provider staff work for the Kent-seed provider.
DEMO_USERS = (
    ("admin@remedy.example", "Alex Admin", Role.ADMIN, None),
    ("commissioning.manager@remedy.example", "Chris Commissioner", Role.COMMISSIONING_MANAGER, None),
    ("contract.manager@remedy.example", "Sam Contracts", Role.CONTRACT_MANAGER, None),
    ("viewer@remedy.example", "Vic Viewer", Role.COUNCIL_VIEWER, None),
    ("safeguarding@remedy.example", "Jo Safeguarding", Role.SAFEGUARDING_OFFICER, None),
    ("provider.manager@brightwater.example", "Pat Provider", Role.PROVIDER_MANAGER, "PRV-002"),
    ("provider.user@brightwater.example", "Robin Rota", Role.PROVIDER_USER, "PRV-002"),
)


def load_demo(with_cases: bool = False, now: datetime | None = None) -> list[tuple[str, str, Role]]:
    """Create the demo records that are missing (safe to run again) and return the sign-ins.

    With `with_cases`, also open two example cases (once): a Kent formal warning served by email, and a Hammersmith
    & Fulham concern, so a newcomer sees the workflow at work (the served
    warning's letter is stored by the engine, as for any step that serves one).
    """
    council = get_or_create_council(DEMO_COUNCIL)
    for spec in DEMO_CONTRACTS:
        provider = db.session.scalar(select(Provider).where(
            Provider.council_id == council.id, Provider.reference == spec.provider_reference))
        if provider is None:
            provider = Provider(council_id=council.id, name=spec.provider_name, reference=spec.provider_reference,
                                cqc_location_id=spec.cqc_location_id)
            db.session.add(provider)
            db.session.flush()
            db.session.add(CqcRating(council_id=council.id, provider_id=provider.id, rating=spec.rating,
                                     rated_on=spec.rated_on,
                                     report_url=f"https://www.cqc.org.uk/location/{spec.cqc_location_id}"))
    db.session.flush()
    for email, name, role, provider_ref in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(council_id=council.id, email=email, name=name, role=role, password=DEMO_PASSWORD,
                        provider_reference=provider_ref)
    manager = find_user_by_email("contract.manager@remedy.example")
    for spec in DEMO_CONTRACTS:
        exists = db.session.scalar(select(Contract).where(
            Contract.council_id == council.id, Contract.reference == spec.reference))
        if exists:
            continue
        provider = db.session.scalar(select(Provider).where(
            Provider.council_id == council.id, Provider.reference == spec.provider_reference))
        contract = Contract(council_id=council.id, provider_id=provider.id, reference=spec.reference,
                            title=spec.title, service=spec.service, lots=list(spec.lots), start_on=spec.start_on,
                            end_on=spec.end_on, rulebook_id=spec.rulebook_id, contract_manager_id=manager.id,
                            seed_label=spec.seed)
        domain = spec.provider_name.split()[0].lower() + ".example"
        contract.escalation_contacts = [
            EscalationContact(council_id=council.id, level=1, name="Dana Manager", position="Registered manager",
                              email=f"registered.manager@{domain}", telephone="01632 960001"),
            EscalationContact(council_id=council.id, level=2, name="Lee Operations",
                              position="Operations director", email=f"operations@{domain}",
                              telephone="01632 960002"),
            EscalationContact(council_id=council.id, level=3, name="Morgan Chief", position="Chief executive",
                              email=f"chief.executive@{domain}", telephone="01632 960003"),
        ]
        db.session.add(contract)
    db.session.flush()
    if with_cases:
        _demo_cases(council, now or datetime.now(UTC))
        _demo_young_people(council, now or datetime.now(UTC))  # issue 15: Cornwall's per-young-person clocks
    return [(email, DEMO_PASSWORD, role) for email, _name, role, _ref in DEMO_USERS]


def _demo_cases(council, now: datetime) -> None:
    from models.case_store import draft_notice, open_case
    from models.cases import Case
    from models.engine import fire

    if db.session.scalar(select(Case.id).where(Case.council_id == council.id).limit(1)) is not None:
        return
    manager = find_user_by_email("contract.manager@remedy.example")
    today = now.astimezone(ZoneInfo("Europe/London")).date()
    # The demo's contracts began years ago but arrive in Remedy today: chase their returns from now on, not every
    # period since 2024 (which would greet a newcomer with a breach for each missed month).
    for contract in db.session.scalars(select(Contract).where(Contract.council_id == council.id)):
        contract.monitoring_from = contract.monitoring_from or today
    _demo_meetings(council, manager, now)
    _demo_thurrock(council, manager, now)
    served = today if today.weekday() < 5 else today - timedelta(days=today.weekday() - 4)
    kent = open_case(manager.viewer, manager, "LDDS-2023-07",
                     "Attendance (KPI S3) red for two quarters running; transport cancellations", now)
    warning = draft_notice(manager.viewer, manager, kent.id,
                           "Attendance at sessions is 71% against the 95% target, and has been below 85% since "
                           "Q2; the transport problems raised at the last two monitoring meetings remain.",
                           "An action plan under section 11.3: key tasks, milestones, timescales and resources.",
                           now)
    fire(manager.viewer, manager, "notice", warning.id, "issue", {"served_on": served, "method": "email"}, now, today)
    home_care = open_case(manager.viewer, manager, "HC-2024-05",
                          "Missed Tuesday capacity confirmations in October and November (BCM 2.1)", now)
    _demo_concerns(home_care.provider_id, now)
    _demo_home_care(now)


def _demo_meetings(council, manager, now: datetime) -> None:
    """The next meeting of every contract's cadence (issue 15, item 6), counted from the day the demo's contracts
    arrive in Remedy: Cheshire East, Cornwall and Kent's forum in three months, Hammersmith & Fulham in six weeks."""
    from models.planned_meeting_store import plan_contract_meetings

    db.session.flush()
    for contract in db.session.scalars(select(Contract).where(Contract.council_id == council.id)
                                       .order_by(Contract.id)):
        plan_contract_meetings(manager, contract, now)


def _demo_thurrock(council, manager, now: datetime) -> None:
    """A Thurrock resident who moved in 23 months ago (issue 15, item 5): the two-year length of stay (TH-11) runs
    out next month, and the first annual soft-outcome check (TH-21), due a year after moving in, is overdue once the
    scheduler has run."""
    from models.people import PersonRole
    from models.people_store import record_person
    from models.soft_outcome_store import plan_check
    from models.stay_limit_store import start_stay
    from workflows.clock import add_months

    contract = db.session.scalar(select(Contract).where(Contract.council_id == council.id,
                                                        Contract.reference == "SL-2025-02"))
    today = now.astimezone(ZoneInfo("Europe/London")).date()
    resident = record_person(manager.viewer, manager, {
        "contract_id": contract.id, "reference": "TH-R-0001", "role": PersonRole.RESIDENT.value,
        "started_on": add_months(today, -23)}, now)
    start_stay(manager.viewer, manager, {"person_id": resident.id, "limit": "length-of-stay"}, now)
    plan_check(manager.viewer, manager, {"person_id": resident.id}, now)


def _demo_concerns(provider_id: int, now: datetime) -> None:
    """A formal complaint the home care provider received this morning (HF-74's clocks running) and a
    safeguarding concern about it (restricted: only the safeguarding officer sees the details)."""
    from models.concern_store import raise_concern, record_complaint

    manager = find_user_by_email("contract.manager@remedy.example")
    officer = find_user_by_email("safeguarding@remedy.example")
    local = now.astimezone(ZoneInfo("Europe/London"))
    received = local.replace(hour=min(local.hour, 9), minute=0, second=0, microsecond=0)
    record_complaint(manager.viewer, manager, provider_id, {
        "received_at": received, "channel": "phone", "complainant_type": "family_member", "formal": True,
        "by_council": True, "summary": "My father's evening call was missed twice last week and nobody rang us."},
        now)
    raise_concern(officer.viewer, officer, provider_id, "care_concern",
                  "A district nurse reports unexplained bruising on a resident's forearm at Elm Road.",
                  local.date(), now)


def _demo_home_care(now: datetime) -> None:
    """H&F referrals and packages of care (issue 15, item 2): a referral Brokerage sent an hour ago (its 2-hour
    acknowledgement running), one accepted yesterday and started, a package five weeks in with its plan agreed (its
    6-week review due next week), and the weekly Tuesday capacity confirmation awaited."""
    from models.referral_store import (
        record_package,
        record_referral,
        start_confirmations,
        step_package,
        step_referral,
    )

    manager = find_user_by_email("contract.manager@remedy.example")
    viewer = manager.viewer
    local = now.astimezone(ZoneInfo("Europe/London"))
    record_referral(viewer, manager, {
        "contract_id": "HC-2024-05", "person": "SU-0412", "summary": "Morning and evening calls after a fall at home",
        "received_at": now - timedelta(hours=1), "starts_at": now + timedelta(days=2), "grade": "standard"}, now)
    accepted = record_referral(viewer, manager, {
        "contract_id": "HC-2024-05", "person": "SU-0413", "summary": "Hospital discharge: two carers, four calls a day",
        "received_at": now - timedelta(days=1), "starts_at": now - timedelta(hours=20), "hospital_discharge": True},
        now)
    step_referral(viewer, manager, accepted.id, "accept", {"decided_at": now - timedelta(hours=23)}, now)
    step_referral(viewer, manager, accepted.id, "start", {"started_at": now - timedelta(hours=20)}, now)
    started_on = local.date() - timedelta(weeks=5)
    package = record_package(viewer, manager, {
        "contract_id": "HC-2024-05", "person": "SU-0380", "summary": "Personal care, three calls a day",
        "referred_at": now - timedelta(weeks=5, days=3), "started_on": started_on}, now)
    step_package(viewer, manager, package.id, "agree_plan", {"agreed_on": started_on + timedelta(days=2)}, now)
    start_confirmations(viewer, manager, {"contract_id": "HC-2024-05"}, now)
def _demo_young_people(council, now: datetime) -> None:
    """Cornwall's young people (issue 15): a personal adviser at the provider, one young person allocated to them
    (review and meeting clocks running), one referred before 15 years 9 months and one referred after it (CW-14's
    7 working days running). References only: no names."""
    from models.people import Person
    from models.people_store import record_person, refer_young_person, step_leaving_care
    from models.provider_store import get_contract

    manager = find_user_by_email("contract.manager@remedy.example")
    contract = get_contract(manager.viewer, "LC-2024-03")
    if db.session.scalar(select(Person.id).where(Person.contract_id == contract.id).limit(1)) is not None:
        return
    adviser = find_user_by_email("personal.adviser@harbour.example") or create_user(
        council_id=council.id, email="personal.adviser@harbour.example", name="Kim Adviser",
        role=Role.PROVIDER_USER, password=DEMO_PASSWORD, provider_reference="PRV-003")
    today = now.astimezone(ZoneInfo("Europe/London")).date()
    people = {}
    for reference, born_in in (("YP-0101", f"{today.year - 17}-02"),
                               ("YP-0102", f"{today.year - 15}-{today.month:02d}"),  # 15y9m still ahead
                               ("YP-0103", f"{today.year - 16}-06")):
        people[reference] = record_person(manager.viewer, manager, {
            "contract_id": contract.id, "reference": reference, "role": "young_person", "born_in": born_in}, now)
    allocated = refer_young_person(manager.viewer, manager, {"person_id": people["YP-0101"].id,
                                                             "referred_on": today - timedelta(days=40)}, now)
    step_leaving_care(manager.viewer, manager, allocated.id, "allocate",
                      {"adviser_id": adviser.id, "allocated_on": today - timedelta(days=35)}, now)
    for reference in ("YP-0102", "YP-0103"):
        refer_young_person(manager.viewer, manager, {"person_id": people[reference].id,
                                                     "referred_on": today - timedelta(days=2)}, now)
