"""An API step answers from the transaction that made it (web/api.py `answer`, issue 17): what it says is what the
commit stored, as a later read returns it, and nothing it changed is read back from the database to say so."""

import pytest
import time_machine

from tests.conftest import statements

NOW = "2026-12-18T14:00:00+00:00"


def _opened(api) -> dict:
    return api("contract_manager", "POST", "/api/v1/cases",
               {"contract": "LDDS-2023-07", "summary": "Attendance KPI S3 red for two quarters"}, 201)


@time_machine.travel(NOW, tick=False)
def test_a_new_case_and_its_withdrawal_answer_as_a_later_read_returns_them(api):
    case = _opened(api)
    assert case == api("contract_manager", "GET", f"/api/v1/cases/{case['id']}", status=200)
    withdrawn = api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/transitions",
                    {"trigger": "withdraw", "reason": "Raised in error"}, 200)
    assert withdrawn["state"] == "withdrawn" and withdrawn["version"] == case["version"] + 1
    assert withdrawn["events"][-1]["to"] == "withdrawn" and withdrawn["allowed_triggers"] == []
    assert withdrawn == api("contract_manager", "GET", f"/api/v1/cases/{case['id']}", status=200)


@time_machine.travel(NOW, tick=False)
def test_an_instant_given_at_another_offset_is_answered_in_utc_as_it_is_stored(api):
    """A complaint received at 10:30 in Paris (+01:00): the answer says 09:30 UTC, as every later read does, not
    the offset the client sent (models/__init__.py holds an instant in UTC from the moment it is set)."""
    provider_id = api("contract_manager", "GET", "/api/v1/providers", status=200)["items"][0]["id"]
    complaint = api("contract_manager", "POST", "/api/v1/complaints", {
        "provider": provider_id, "received_at": "2026-12-18T10:30:00+01:00", "channel": "email",
        "complainant_type": "service_user", "formal": True, "summary": "Carer late three times"}, 201)
    assert complaint["received_at"] == "2026-12-18T09:30:00+00:00"
    assert complaint == api("contract_manager", "GET", f"/api/v1/complaints/{complaint['id']}", status=200)


@time_machine.travel(NOW, tick=False)
def test_a_withdrawal_reads_the_case_once_and_nothing_after_its_writes(app, api):
    """The case is read once, to fire its step; the answer is drawn from what the session holds, so the statements
    after the last write are the two picture versions moved at the commit, and no SELECT reads the case again."""
    case = _opened(api)
    with statements(app) as seen:
        api("contract_manager", "POST", f"/api/v1/cases/{case['id']}/transitions",
            {"trigger": "withdraw", "reason": "Raised in error"}, 200)
    reads_of_case = [s for s in seen if s.lstrip().upper().startswith("SELECT") and "FROM case_file" in s
                     and "WHERE case_file.id" in s]
    assert len(reads_of_case) == 1, reads_of_case
    assert [s.split()[1] for s in seen[-2:]] == ["provider", "council"]  # UPDATE provider / council SET version
    assert len(seen) <= 11, seen


@pytest.mark.parametrize("first", [True, False])
def test_a_councils_references_are_numbered_by_one_statement_from_1(app, demo, first):
    """models/reference_store.next_reference: the council's first record of a kind makes its counter row at 1, every
    later one adds 1 in the same statement (an upsert), so two creators never read the same number."""
    from models import db
    from models.entities import Council
    from models.reference_store import next_reference

    with app.app_context():
        council = db.session.scalars(db.select(Council).order_by(Council.id)).first()
        prefix = "TST" if first else "CASE"
        with statements(app) as seen:
            one, two = next_reference(council.id, prefix), next_reference(council.id, prefix)
        assert len(seen) == 2
        number = int(one.split("-")[1])
        assert two == f"{prefix}-{number + 1:05d}"
        if first:
            assert one == "TST-00001"
        db.session.rollback()
