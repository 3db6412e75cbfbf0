"""People with as little personal data as the work needs (issue 15, item 3), through the API: a person is the
council's reference, never a name; another provider sees none of them; an administrator exports one person's records
across every person-linked kind (audited) and erases them on request, which blanks the free text, leaves a tombstone
and keeps every count; the contract's retention period erases the people whose service ended long enough ago."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import func, select

from tests.integration.test_financial_changes import check, contract_id

NOW = "2026-12-21T10:00:00+00:00"
SECRET = "met her at Nan's flat"  # free text someone typed against the "no names" hint


def provider_user(app, provider_reference: str, email: str, role: str = "provider_user") -> int:
    """A member of a provider's staff (a personal adviser), returning their id."""
    from models import db
    from models.entities import Council
    from models.user_store import create_user
    from workflows.access import Role

    with app.app_context():
        council = db.session.scalars(select(Council)).first()
        user = create_user(council_id=council.id, email=email, name=email.split("@")[0].replace(".", " ").title(),
                           role=Role(role), password="remedy-adviser-password", provider_reference=provider_reference)
        db.session.commit()
        return user.id


def token_for(app, user_id: int) -> str:
    from models import db
    from models.entities import User
    from models.user_store import issue_token

    with app.app_context():
        _row, plain = issue_token(db.session.get(User, user_id), "tests", datetime.now(UTC))
        db.session.commit()
        return plain


def young_person(api, cornwall: int, reference: str = "YP-0417", born_in: str = "2009-01", **extra) -> dict:
    return api("contract_manager", "POST", "/api/v1/people", {"contract_id": cornwall, "reference": reference,
                                                              "role": "young_person", "born_in": born_in, **extra},
               status=201)


def counts(app) -> dict:
    from models import db
    from models.audit_store import AuditEvent
    from models.cases import Deadline
    from models.people import LeavingCare, Person

    with app.app_context():
        return {"people": db.session.scalar(select(func.count()).select_from(Person)),
                "leaving_care": db.session.scalar(select(func.count()).select_from(LeavingCare)),
                "deadlines": db.session.scalar(select(func.count()).select_from(Deadline)),
                "allocated": db.session.scalar(select(func.count()).select_from(LeavingCare).where(
                    LeavingCare.adviser_id.is_not(None))),
                "events": db.session.scalar(select(func.count()).select_from(AuditEvent))}


def everything_stored(app) -> str:
    """Every row of the tables a person's data can reach, as text."""
    from models import db
    from models.audit_store import AuditEvent
    from models.people import LeavingCare, Person

    with app.app_context():
        rows = [*db.session.scalars(select(Person)), *db.session.scalars(select(LeavingCare))]
        text = json.dumps([{c.key: str(getattr(r, c.key)) for c in r.__table__.columns} for r in rows])
        events = db.session.scalars(select(AuditEvent)).all()
        return text + json.dumps([[e.reason, e.data] for e in events])


def test_a_person_is_a_reference_with_a_clear_error_for_anything_more(app, api):
    cornwall, kent = contract_id(app, "LC-2024-03"), contract_id(app, "LDDS-2023-07")
    with time_machine.travel(NOW, tick=False):
        made = young_person(api, cornwall)
        assert (made["reference"], made["role"], made["born_in"], made["erased"]) == (
            "YP-0417", "young_person", "2009-01", False)
        for body, field, words in (
                ({"reference": "Jane Smith", "role": "service_user"}, "reference", "not a name"),
                ({"reference": "YP-0417", "role": "young_person"}, "reference", "already used"),
                ({"reference": "ERASED-4", "role": "service_user"}, "reference", "not a name"),
                ({"reference": "SU-1", "role": "service_user", "born_in": "1950-02"}, "born_in", "only for a young"),
                ({"reference": "YP-2", "role": "young_person", "born_in": "2009-13"}, "born_in", "like 2010-03"),
                ({"reference": "YP-3", "role": "pensioner"}, "role", "Select the person's role")):
            refused = api("contract_manager", "POST", "/api/v1/people", {"contract_id": kent, **body}, status=422)
            assert refused["field"] == field and words in refused["error"], refused
        forbidden = api("provider_manager", "POST", "/api/v1/people", {"contract_id": kent, "reference": "SU-9",
                                                                       "role": "service_user"}, status=403)
        assert "contract managers" in forbidden["error"]
        listed = api("contract_manager", "GET", "/api/v1/people?role=young_person", status=200)
        assert [p["reference"] for p in listed["items"]] == ["YP-0417"]
        # Kent's provider staff see none of Cornwall's people: an empty list and a 404, never told apart.
        assert api("provider_user", "GET", "/api/v1/people", status=200)["items"] == []
        api("provider_user", "GET", f"/api/v1/people/{made['id']}", status=404)
        # Cornwall's own provider staff see their contract's people.
        harbour = token_for(app, provider_user(app, "PRV-003", "pa.one@harbour.example"))
        assert [p["reference"] for p in api(harbour, "GET", "/api/v1/people", status=200)["items"]] == ["YP-0417"]


def test_export_then_erasure_keeps_every_count_and_no_personal_text(app, api):
    cornwall = contract_id(app, "LC-2024-03")
    adviser = provider_user(app, "PRV-003", "pa.two@harbour.example")
    with time_machine.travel(NOW, tick=False):
        person = young_person(api, cornwall, reference="YP-0999")
        other = young_person(api, cornwall, reference="YP-0100")
        referred = api("contract_manager", "POST", "/api/v1/leaving-care",
                       {"person_id": person["id"], "referred_on": "2026-12-21"}, status=201)
        api("contract_manager", "POST", "/api/v1/leaving-care", {"person_id": other["id"],
                                                                 "referred_on": "2026-12-21"}, status=201)
        api("contract_manager", "POST", f"/api/v1/leaving-care/{referred['id']}/transitions", {
            "trigger": "allocate", "adviser_id": adviser, "allocated_on": "2026-12-21",
            "note": f"YP-0999 {SECRET}"}, status=200)
        shown = check(app.test_client().get(f"/api/v1/people/{person['id']}", headers={
            "Authorization": "Bearer " + token_for(app, _user(app, "contract.manager@remedy.example"))}),
            "/people/{id}", "get", 200)
        assert [(r["kind"], r["reference"], r["state"]) for r in shown["records"]] == [
            ("leaving_care", referred["reference"], "allocated")]

        api("contract_manager", "GET", f"/api/v1/people/{person['id']}/export", status=403)
        exported = api("admin", "GET", f"/api/v1/people/{person['id']}/export", status=200)
        assert exported["person"]["reference"] == "YP-0999"
        (record,) = exported["records"]
        assert (record["kind"], record["note"]) == ("leaving_care", f"YP-0999 {SECRET}")
        assert {d["rule"] for d in record["deadlines"]} == {"CW-14", "CW-16", "CW-10"}
        assert [e["event"] for e in record["events"]] == ["YOUNG_PERSON_REFERRED", "PA_ALLOCATED"]
        assert exported["events"][-1]["event"] == "PERSON_EXPORTED"  # the export is on the trail

        before = counts(app)
        assert SECRET in everything_stored(app)
        refused = api("admin", "POST", f"/api/v1/people/{person['id']}/erasure", {"reason": ""}, status=422)
        assert refused["field"] == "reason"
        erased = api("admin", "POST", f"/api/v1/people/{person['id']}/erasure",
                     {"reason": "Erasure request ER-2026-31"}, status=200)
        again = api("admin", "POST", f"/api/v1/people/{person['id']}/erasure", {"reason": "twice"}, status=409)
        assert "already erased" in again["error"]

    tombstone = f"ERASED-{person['id']}"
    assert (erased["reference"], erased["born_in"], erased["erased"]) == (tombstone, None, True)
    assert erased["events"][-1]["event"] == "PERSON_ERASED"
    assert erased["events"][-1]["data"]["tombstone"] == tombstone
    assert erased["events"][-1]["data"]["records"] == {"leaving_care": 1}
    after = counts(app)
    assert after == {**before, "events": before["events"] + 1}  # every row kept; one event: the tombstone
    stored = everything_stored(app)
    assert SECRET not in stored and "YP-0999" not in stored
    assert "YP-0100" in stored  # the other young person is untouched
    kept = api("contract_manager", "GET", f"/api/v1/leaving-care/{referred['id']}", status=200)
    assert (kept["person"], kept["note"], kept["state"], kept["adviser_id"]) == (tombstone, None, "allocated",
                                                                                 adviser)
    assert [e["event"] for e in kept["events"]] == ["YOUNG_PERSON_REFERRED", "PA_ALLOCATED"]
    assert kept["events"][0]["data"]["person"] == tombstone and kept["events"][1]["data"]["note"] == "[erased]"
    caseload = api("contract_manager", "GET", "/api/v1/leaving-care/caseloads", status=200)["items"]
    assert [(c["adviser_id"], c["young_people"]) for c in caseload] == [(adviser, 1)]  # still counted


def _user(app, email: str) -> int:
    from models.user_store import find_user_by_email

    with app.app_context():
        return find_user_by_email(email).id


def test_the_retention_period_erases_people_whose_service_ended_long_enough_ago(app, api):
    from models import db
    from models.people import Person
    from models.people_store import apply_retention

    cornwall = contract_id(app, "LC-2024-03")
    with time_machine.travel(NOW, tick=False):
        old = young_person(api, cornwall, reference="YP-OLD")
        recent = young_person(api, cornwall, reference="YP-RECENT")
        young_person(api, cornwall, reference="YP-OPEN")
        refused = api("contract_manager", "POST", f"/api/v1/contracts/{cornwall}/settings",
                      {"key": "retention", "value": {"months": 72}, "reason": "Records policy"}, status=403)
        assert "administrator" in refused["error"]
        bad = api("admin", "POST", f"/api/v1/contracts/{cornwall}/settings",
                  {"key": "retention", "value": {"months": 0}, "reason": "Records policy"}, status=422)
        assert "months" in bad["error"]
        set_it = api("admin", "POST", f"/api/v1/contracts/{cornwall}/settings",
                     {"key": "retention", "value": {"months": 72},
                      "reason": "Council records policy: 6 years after the service ends"}, status=200)
        (row,) = [r for r in set_it["items"] if r["key"] == "retention"]
        assert (row["value"], row["source"]) == ("72 months after the person's service ends, then erased",
                                                 "council setting")
        early = api("contract_manager", "POST", f"/api/v1/people/{old['id']}/ending", {"ended_on": "2027-01-01"},
                    status=422)
        assert early["field"] == "ended_on" and "future" in early["error"]
        api("provider_manager", "POST", f"/api/v1/people/{old['id']}/ending", {"ended_on": "2020-06-30"},
            status=404)  # Kent's provider: not theirs
        ended = api("contract_manager", "POST", f"/api/v1/people/{old['id']}/ending", {"ended_on": "2020-06-30"},
                    status=200)  # 6 years ran out on 30 June 2026
        assert ended["ended_on"] == "2020-06-30" and ended["events"][-1]["event"] == "PERSON_SERVICE_ENDED"
        api("contract_manager", "POST", f"/api/v1/people/{recent['id']}/ending", {"ended_on": "2021-01-31"},
            status=200)
    with app.app_context():
        dry = apply_retention(datetime(2026, 12, 21, 10, tzinfo=UTC), dry_run=True)
        assert [(p.reference, until) for p, until in dry] == [("YP-OLD", date(2026, 6, 30))]
        db.session.commit()
        assert db.session.get(Person, old["id"]).erased_at is None  # a dry run changes nothing
        done = apply_retention(datetime(2026, 12, 21, 10, tzinfo=UTC), dry_run=False)
        db.session.commit()
        assert len(done) == 1
        assert db.session.get(Person, old["id"]).reference == f"ERASED-{old['id']}"
        assert db.session.get(Person, recent["id"]).erased_at is None
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["people", "retention", "--dry-run"])
    assert printed.exit_code == 0 and "No one is past" in printed.output, printed.output


def test_the_pages_add_a_person_run_their_clocks_export_and_erase_them(app, login_as):
    from tests.conftest import assert_page
    from tests.integration.test_duties import page_text

    cornwall = contract_id(app, "LC-2024-03")
    adviser = provider_user(app, "PRV-003", "pa.page@harbour.example")
    with time_machine.travel("2026-12-23T10:00:00+00:00", tick=False):
        manager = login_as("contract_manager")
        form = assert_page(manager.get(f"/people/new?contract={cornwall}"), "Add a person")
        assert "Not a name" in form and "Never the full date" in form
        empty = page_text(manager.post_form("/people/new", {}))
        assert "Select the contract" in empty and "Select who the person is to the contract" in empty
        named = manager.post_form("/people/new", {"contract_id": str(cornwall), "reference": "Jane Smith",
                                                  "role": "young_person"})
        assert named.status_code == 422 and "not a name" in page_text(named)
        added = manager.post_form("/people/new", {"contract_id": str(cornwall), "reference": "YP-PAGE",
                                                  "role": "young_person", "born_in": "2009-01"})
        assert added.status_code == 303, page_text(added)[:1500]
        person_url = added.headers["Location"]
        text = page_text(manager.get(person_url))
        assert "January 2009" in text and "No records point at this person yet" in text
        assert "Download this person's records" not in text  # an administrator's
        referred = manager.post_form(f"{person_url}/refer", {"referred_on": ["23", "12", "2026"]})
        assert referred.status_code == 303, page_text(referred)[:1500]
        record_url = referred.headers["Location"]
        shown = page_text(manager.get(record_url))
        for expected in ("Leaving-care record LC-00001", "CW-14", "Wednesday 6 January 2027",
                         "Fri 25 Dec 2026: Christmas Day, not counted", "Allocate a personal adviser"):
            assert expected in shown, expected
        allocated = manager.post_form(f"{record_url}/allocate", {
            "adviser_id": str(adviser), "allocated_on": ["23", "12", "2026"],
            "note": f"YP-PAGE {SECRET}"})
        assert allocated.status_code == 303, page_text(allocated)[:1500]
        assert "CW-16" in page_text(manager.get(record_url)) and "CW-10" in page_text(manager.get(record_url))
        too_early = manager.post_form(f"{record_url}/record_contact", {"contacted_on": ["22", "12", "2026"]})
        assert too_early.status_code == 422 and "before the allocation" in page_text(too_early)
        assert manager.post_form(f"{record_url}/record_contact",
                                 {"contacted_on": ["23", "12", "2026"]}).status_code == 303
        assert "Tuesday 23 February 2027" in page_text(manager.get(record_url))  # the next meeting (CW-10)
        listed = assert_page(manager.get("/leaving-care"), "Leaving-care records")
        assert "LC-00001" in listed
        loads = page_text(manager.get("/leaving-care/caseloads"))
        assert "Pa Page" in loads and "Under 25" in loads
        assert "LC-00001" in page_text(manager.get(person_url))  # the person's page lists the record

        ending = manager.post_form(f"{person_url}/ending", {"ended_on": ["22", "12", "2026"]})
        assert ending.status_code == 303 and "Tuesday 22 December 2026" in page_text(manager.get(person_url))
        admin = login_as("admin")
        exported = admin.post_form(f"{person_url}/export", {}, page=person_url)
        assert exported.status_code == 200 and exported.mimetype == "application/json"
        assert json.loads(exported.get_data())["records"][0]["note"] == f"YP-PAGE {SECRET}"
        assert manager.post_form(f"{person_url}/export", {}, page=person_url).status_code == 403
        assert manager.get(f"{person_url}/erase").status_code == 403
        assert_page(admin.get(f"{person_url}/erase"), "Erase this person&#39;s records")
        blank = admin.post_form(f"{person_url}/erase", {"reason": ""})
        assert blank.status_code == 422
        erased = admin.post_form(f"{person_url}/erase", {"reason": "Erasure request ER-7"})
        assert erased.status_code == 303
        after = page_text(admin.get(person_url))
        assert "ERASED-" in after and "YP-PAGE" not in after and SECRET not in page_text(admin.get(record_url))
        provider = login_as("provider_manager")  # Kent's provider
        assert provider.get(person_url).status_code == 404 and provider.get(record_url).status_code == 404
        assert "ERASED-" not in page_text(provider.get("/people"))


def test_an_administrator_sets_the_retention_period_on_the_settings_page(app, login_as):
    from tests.conftest import assert_page
    from tests.integration.test_duties import page_text

    cornwall = contract_id(app, "LC-2024-03")
    url = f"/contracts/{cornwall}/settings"
    admin = login_as("admin")
    page = page_text(admin.get(url))
    assert "Retention of people's records" in page and "Not set: nothing is erased by age" in page
    no_months = admin.post_form(url, {"setting": "retention", "action": "set", "reason": "Records policy"})
    assert_page(no_months, "Council settings on contract LC-2024-03", 422)
    assert "Enter how many months to keep people's records" in page_text(no_months)
    saved = admin.post_form(url, {"setting": "retention", "action": "set", "retention_months": "72",
                                  "reason": "Council records policy"})
    assert saved.status_code == 303
    assert "72 months after the person's service ends, then erased" in page_text(admin.get(url))
