"""The case pages as people use them: the list, opening a case, the case page with its deadlines explained, the
creation forms and one GOV.UK form per transition, provider isolation, and what goes wrong (422, 403, 409, 404)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from tests.conftest import assert_page

SERVED = "2026-12-18T14:00:00+00:00"  # a Friday, a week before Christmas
NOW = datetime(2026, 12, 18, 14, 0, tzinfo=UTC)
FORBIDDEN = "You do not have permission to see this page"


# -- helpers -----------------------------------------------------------------------------------------------------


def contract_id(app, reference: str) -> int:
    from models import db
    from models.entities import Contract

    with app.app_context():
        return db.session.scalar(select(Contract.id).where(Contract.reference == reference))


def provider_id(app, name: str) -> int:
    from models import db
    from models.entities import Provider

    with app.app_context():
        return db.session.scalar(select(Provider.id).where(Provider.name == name))


def open_case(app, client, reference="LDDS-2023-07", summary="Attendance (KPI S3) red for two quarters") -> int:
    response = client.post_form("/cases/new", {"contract": str(contract_id(app, reference)), "summary": summary})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.fullmatch(r"/cases/(\d+)", response.headers["Location"]).group(1))


def open_cases_in_store(app, demo, reference: str, count: int) -> None:
    """Many cases at once, straight through the store (the list test needs more than a page)."""
    from models import db
    from models.case_store import open_case as store_open_case
    from models.user_store import find_user_by_email

    with app.app_context():
        manager = find_user_by_email(demo["contract_manager"])
        for n in range(count):
            store_open_case(manager.viewer, manager, reference, f"Bulk concern {n + 1}", NOW)
        db.session.commit()


def start_large_scale_enquiry_on(app, reference: str) -> None:
    """A safeguarding officer flags a Large Scale Enquiry on the contract's provider (CE-38's third ground)."""
    from models import db
    from models.concern_store import start_large_scale_enquiry
    from models.entities import Contract, User
    from workflows.access import Role

    with app.app_context():
        officer = db.session.scalar(select(User).where(User.role == Role.SAFEGUARDING_OFFICER))
        contract = db.session.scalar(select(Contract).where(Contract.reference == reference))
        start_large_scale_enquiry(officer.viewer, officer, contract.provider_id, NOW.date(), NOW)
        db.session.commit()


def link_id(html: str, collection: str, trigger: str) -> int:
    """The id of the record whose next step is this trigger, from the button's address on the case page."""
    match = re.search(rf'href="/{collection}/(\d+)/{trigger}"', html)
    assert match, f"no {collection} {trigger} button on the page"
    return int(match.group(1))


def version_on(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def count(app, model, **where) -> int:
    from models import db

    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def events(app, name: str) -> int:
    from models.entities import AuditEvent

    return count(app, AuditEvent, event=name)


def page_text(response) -> str:
    """The page as words, tags stripped, for assertions on what a person reads."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def draft_and_issue_kent_warning(app, manager, case_id: int) -> int:
    response = manager.post_form(f"/cases/{case_id}/notices/new", {
        "findings": "Attendance 71% against the 95% target", "required_action": "A section 11.3 action plan"})
    assert response.status_code == 303
    notice_id = link_id(manager.get(f"/cases/{case_id}").get_data(as_text=True), "notices", "issue")
    issued = manager.post_form(f"/notices/{notice_id}/issue", {"served_on": ["18", "12", "2026"], "method": "hand"})
    assert issued.status_code == 303, issued.get_data(as_text=True)
    return notice_id


# -- the list ----------------------------------------------------------------------------------------------------


def test_the_case_list_filters_by_provider_contract_stage_and_overdue(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        kent = open_case(app, manager, "LDDS-2023-07", "Kent attendance")
        open_case(app, manager, "HC-2024-05", "Riverside missed visits")
        open_case(app, manager, "ECH-2024-01", "Meadowbank punctuality")
        draft_and_issue_kent_warning(app, manager, kent)
        html = assert_page(manager.get("/cases"), "Cases")
        assert "3 cases" in html and 'href="/cases/new"' in html
        # Each row: the reference linked, provider, contract, stage with the contract's name for it, the next
        # deadline and who it waits on (the Overdue tag only when it is).
        row = re.search(rf'<tr class="govuk-table__row">\s*<td[^>]*><a[^>]*href="/cases/{kent}">(.*?)</tr>', html,
                        re.S).group(0)
        for expected in ("CASE-00001", "Brightwater Day Opportunities CIC", "LDDS-2023-07", "Notice",
                         "Formal warning", "Provider", "18 December 2026"):
            assert expected in row, expected

        assert "1 case" in page_text(manager.get("/cases?state=notice"))
        assert "2 cases" in page_text(manager.get("/cases?state=concern"))
        riverside = provider_id(app, "Riverside Home Care Ltd")
        listing = page_text(manager.get(f"/cases?provider={riverside}"))
        assert "1 case" in listing and "Riverside missed visits" in listing and "Kent attendance" not in listing
        listing = page_text(manager.get(f"/cases?contract={contract_id(app, 'ECH-2024-01')}"))
        assert "1 case" in listing and "Meadowbank punctuality" in listing
        filtered = manager.get(f"/cases?provider={riverside}&state=notice").get_data(as_text=True)
        assert "0 cases" in filtered and "No cases match" in filtered and "Clear search and filters" in filtered
        assert f'<option value="{riverside}" selected>' in filtered  # the filters keep what was chosen
        # A made-up stage is ignored, not a server error.
        assert "3 cases" in assert_page(manager.get("/cases?state=nonsense&page=abc"), "Cases")
        assert "0 cases" in page_text(manager.get("/cases?overdue=yes"))

    # After Wednesday 6 January 2027 the Kent plan deadline (KT-19) has passed: the row says so at once, and the
    # filter finds the case once the scheduler has recorded the breach.
    with time_machine.travel("2027-01-07T09:00:00+00:00", tick=False):
        manager = login_as("contract_manager")  # signed in again: sessions do not last three weeks
        assert 'govuk-tag--red">Overdue' in manager.get("/cases?state=notice").get_data(as_text=True)
        from scheduler.tick import tick

        with app.app_context():
            tick(datetime.now(UTC))
        overdue = manager.get("/cases?overdue=yes").get_data(as_text=True)
        assert "1 case" in page_text(manager.get("/cases?overdue=yes")) and "Kent attendance" in overdue
        assert 'govuk-tag--red">Overdue' in overdue
        on_time = page_text(manager.get("/cases?overdue=no"))
        assert "2 cases" in on_time and "Kent attendance" not in on_time


def test_the_case_list_pages_25_at_a_time(app, demo, login_as):
    open_cases_in_store(app, demo, "HC-2024-05", 27)
    manager = login_as("council_viewer")
    first = assert_page(manager.get("/cases"), "Cases")
    assert "27 cases, page 1 of 2" in first
    assert first.count('class="govuk-table__row"') == 26  # the header row and 25 cases
    assert "Bulk concern 27" in first and "Bulk concern 2<" not in first  # newest first
    assert 'class="govuk-pagination"' in first and 'href="/cases?page=2"' in first and 'rel="next"' in first
    assert "Open a case" not in first  # a council viewer cannot open one
    second = assert_page(manager.get("/cases?page=2"), "Cases")
    assert second.count('class="govuk-table__row"') == 3 and "Bulk concern 1<" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # Filters are kept from page to page ("state" is read as the stage); a page past the end shows the last one.
    filtered = manager.get(f"/cases?state=concern&provider={provider_id(app, 'Riverside Home Care Ltd')}")
    assert "page=2" in filtered.get_data(as_text=True) and "stage=concern" in filtered.get_data(as_text=True)
    assert "Bulk concern 1<" in manager.get("/cases?page=9").get_data(as_text=True)


# -- provider isolation ------------------------------------------------------------------------------------------


def test_a_provider_sees_only_its_own_cases_records_and_letters(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        own = open_case(app, manager, "LDDS-2023-07", "Brightwater attendance")
        other = open_case(app, manager, "HC-2024-05", "Riverside missed visits")
        manager.post_form(f"/cases/{other}/notices/new", {"findings": "Missed visits", "required_action": "A plan"})
        other_notice = link_id(manager.get(f"/cases/{other}").get_data(as_text=True), "notices", "issue")
        manager.post_form(f"/notices/{other_notice}/issue", {"served_on": ["18", "12", "2026"], "method": "hand",
                                                             "plan_due_days": "10"})
        other_page = manager.get(f"/cases/{other}").get_data(as_text=True)
        other_document = int(re.search(r'href="/documents/(\d+)"', other_page).group(1))
        own_notice = draft_and_issue_kent_warning(app, manager, own)
        own_document = int(re.search(r'href="/documents/(\d+)"',
                                     manager.get(f"/cases/{own}").get_data(as_text=True)).group(1))

        provider = login_as("provider_user")
        listing = assert_page(provider.get("/cases"), "Cases")
        assert "1 case" in listing and "Brightwater attendance" in listing and "Riverside" not in listing
        assert "Open a case" not in listing
        assert_page(provider.get(f"/cases/{own}"), "Case CASE-00001")
        for url in (f"/cases/{other}", f"/cases/{other}/resolve", f"/notices/{other_notice}/acknowledge",
                    f"/notices/{other_notice}/withdraw", f"/cases/{other}/action-plans/new",
                    f"/documents/{other_document}", "/cases/99999", "/notices/99999/issue"):
            assert provider.get(url).status_code == 404, url
        refused = provider.post_form(f"/notices/{other_notice}/acknowledge", {"received_on": ["18", "12", "2026"]},
                                     page=f"/notices/{own_notice}/acknowledge")
        assert refused.status_code == 404
        assert events(app, "NOTICE_RECEIVED") == 0
        assert provider.get("/cases/new").status_code == 403

        letter = provider.get(f"/documents/{own_document}")
        assert letter.status_code == 200 and letter.mimetype == "application/pdf"
        assert letter.headers["X-Content-Type-Options"] == "nosniff"
        assert letter.headers["Content-Disposition"].startswith("attachment; filename=")


# -- opening a case and the Kent formal warning --------------------------------------------------------------------


def test_opening_a_case_needs_a_council_manager_and_a_summary(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        kent = contract_id(app, "LDDS-2023-07")
        for role in ("council_viewer", "safeguarding_officer", "provider_manager"):
            assert login_as(role).get("/cases/new").status_code == 403, role
        manager = login_as("contract_manager")
        form = assert_page(manager.get(f"/cases/new?contract={kent}"), "Open a case")
        assert f'<option value="{kent}" selected>' in form  # opened from the contract page
        empty = assert_page(manager.post_form("/cases/new", {"contract": str(kent), "summary": "  "}),
                            "Open a case", status=422)
        assert "govuk-error-summary" in empty and "Enter a summary of the concern" in empty
        assert 'href="#summary"' in empty
        no_contract = assert_page(manager.post_form("/cases/new", {"contract": "", "summary": "x"}), "Open a case",
                                  status=422)
        assert "Select the contract" in no_contract
        assert "Select a contract from the list" in manager.post_form(
            "/cases/new", {"contract": "99999", "summary": "x"}).get_data(as_text=True)
        from models.cases import Case

        assert count(app, Case) == 0


def test_a_kent_formal_warning_served_on_18_december_is_due_on_6_january(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager)
        case_url = f"/cases/{case_id}"
        html = assert_page(manager.get(case_url), "Case CASE-00001")
        assert "Brightwater Day Opportunities CIC: contract LDDS-2023-07" in html  # the caption
        assert "Attendance (KPI S3) red for two quarters" in html and "Concern (enhanced monitoring)" in html
        assert "Draft a formal warning" in html and "Default Notice" not in html  # Kent has no default notice
        assert "Close the case as resolved" in html and "Withdraw the case" in html

        form = assert_page(manager.get(f"{case_url}/notices/new"), "Draft a formal warning")
        assert "What is not adequate, and why" in form
        missing = assert_page(manager.post_form(f"{case_url}/notices/new", {"findings": "", "required_action": ""}),
                              "Draft a formal warning", status=422)
        assert "Enter what is not adequate about the provider" in missing
        drafted = manager.post_form(f"{case_url}/notices/new", {"findings": "Attendance 71% against 95%",
                                                               "required_action": "A section 11.3 plan"})
        assert drafted.status_code == 303
        notice_id = link_id(manager.get(case_url).get_data(as_text=True), "notices", "issue")
        url = f"/notices/{notice_id}/issue"
        form = assert_page(manager.get(url), "Issue the notice")
        for label in ("Date the notice was served", "By hand", "By email", "By post"):
            assert label in form
        assert "plan_due_days" not in form  # Kent's KT-19 sets 10 working days itself

        # A served date in the future: the GOV.UK error summary, the message on the field, and nothing changes.
        bad = manager.post_form(url, {"served_on": ["19", "12", "2026"], "method": "hand"})
        html = assert_page(bad, "Issue the notice", status=422)
        assert "<title>Error: Issue the notice" in html and "govuk-error-summary" in html
        assert 'href="#served_on-day"' in html and 'id="served_on-error"' in html
        assert "The date cannot be in the future (today is 18 December 2026)" in html
        assert 'value="19"' in html  # what was typed is kept
        from models.cases import Deadline, Notice
        from workflows.notice import NoticeState

        assert count(app, Deadline) == 0 and events(app, "NOTICE_ISSUED") == 0
        assert count(app, Notice, state=NoticeState.DRAFT) == 1
        unreal = assert_page(manager.post_form(url, {"served_on": ["31", "2", "2026"], "method": "hand"}),
                             "Issue the notice", status=422)
        assert "Date the notice was served must be a real date" in unreal
        no_method = assert_page(manager.post_form(url, {"served_on": ["18", "12", "2026"]}), "Issue the notice",
                                status=422)
        assert "Select how the notice was served" in no_method and 'href="#method"' in no_method

        done = manager.post_form(url, {"served_on": ["18", "12", "2026"], "method": "hand"})
        assert done.status_code == 303 and done.headers["Location"] == case_url
        page = manager.get(case_url)
        html = assert_page(page, "Case CASE-00001")
        text = page_text(page)
        # The banner says what happened and to whom, and when the plan is due (issue 16).
        assert "Formal warning issued to Brightwater" in text
        assert "The action plan is due by Wednesday 6 January 2027." in text
        assert "Wednesday 6 January 2027" in text and "KT-19" in text and "10 working days left" in text
        assert "Action plan agreed by both parties" in text and "Clock running" in text
        assert "How this was counted" in html and "Christmas Day" in html and "New Year" in html
        assert "18 December 2026, by hand" in text
        assert "Name in the contract Formal warning" in text  # the rung, as Kent names it
        assert re.search(r'href="/documents/\d+"[^>]*>CASE-00001-formal-warning-', html)
        assert "Notice issued" in text and "(Formal warning: draft to issued)" in text  # the timeline
        assert "18 December 2026 at 2:00pm by" in text  # London time (GMT in December)

    # Working days left count down on the same calendar; past the due instant it is overdue.
    with time_machine.travel("2027-01-05T10:00:00+00:00", tick=False):
        assert "1 working day left" in page_text(login_as("contract_manager").get(case_url))
    with time_machine.travel("2027-01-07T10:00:00+00:00", tick=False):
        text = page_text(login_as("provider_user").get(case_url))
        assert "Overdue by 1 working day" in text and "Overdue" in text


# -- refusals: the wrong role (403), a stale page (409), the wrong record (404) ------------------------------------


def test_a_contract_manager_cannot_serve_a_default_notice(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager, "ECH-2024-01", "Missed visits (CE-C03)")
        html = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Draft a Default Notice" in html
        assert_page(manager.get(f"/cases/{case_id}/default-notices/new"), "Draft a Default Notice")
        assert manager.post_form(f"/cases/{case_id}/default-notices/new", {}).status_code == 303
        html = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        default_id = int(re.search(r'id="default-(\d+)"', html).group(1))
        # Only the authorised officer may serve or withdraw it.
        assert f"/default-notices/{default_id}/serve" not in html
        assert f"/default-notices/{default_id}/withdraw" not in html
        refused = manager.get(f"/default-notices/{default_id}/serve")
        assert refused.status_code == 403 and FORBIDDEN in refused.get_data(as_text=True)
        serve = {"served_on": ["18", "12", "2026"], "method": "hand", "default_description": "Missed visits",
                 "remedial_action": "Restore the rota", "remedy_days": "5"}
        assert manager.post_form(f"/default-notices/{default_id}/serve", serve,
                                 page=f"/cases/{case_id}").status_code == 403
        assert events(app, "DEFAULT_SERVED") == 0

        commissioner = login_as("commissioning_manager")
        form = assert_page(commissioner.get(f"/default-notices/{default_id}/serve"), "Serve the default notice")
        assert "Working days allowed for the remedy" in form and "CE-36" in form
        assert commissioner.post_form(f"/default-notices/{default_id}/serve", serve).status_code == 303
        text = page_text(commissioner.get(f"/cases/{case_id}"))
        assert "Default Notice number 1" in text and "Tuesday 29 December 2026" in text and "CE-36" in text


def test_a_stale_page_is_told_what_changed(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        commissioner = login_as("commissioning_manager")
        case_id = open_case(app, manager, "HC-2024-05", "Missed visits")
        page = f"/cases/{case_id}/withdraw"
        version = version_on(manager.get(page).get_data(as_text=True))
        assert commissioner.post_form(f"/cases/{case_id}/resolve", {"reason": "Visits back on time"}).status_code == 303
        stale = manager.post_form(page, {"reason": "Raised in error", "version": version}, page=page)
        html = assert_page(stale, "Withdraw the case", status=409)
        assert "govuk-error-summary" in html
        assert "Someone else changed this case while you were working on it: it is now resolved" in html
        assert "You cannot withdraw the case while the case is resolved" in html
        assert '<form method="post" novalidate>' not in html
        assert events(app, "CASE_WITHDRAWN") == 0 and events(app, "CASE_RESOLVED") == 1

        # When the step is still possible, the form comes back with the fresh version and the second try works.
        kent = open_case(app, manager, "LDDS-2023-07", "Attendance")
        notice_id = draft_and_issue_kent_warning(app, manager, kent)
        withdraw = f"/notices/{notice_id}/withdraw"
        old = version_on(manager.get(withdraw).get_data(as_text=True))
        provider = login_as("provider_manager")
        assert provider.post_form(f"/notices/{notice_id}/acknowledge",
                                  {"received_on": ["18", "12", "2026"]}).status_code == 303
        stale = manager.post_form(withdraw, {"reason": "Issued to the wrong provider", "version": old}, page=withdraw)
        html = assert_page(stale, "Withdraw the notice", status=409)
        assert "Someone else changed this notice while you were working on it: it is now plan due" in html
        assert "Issued to the wrong provider" in html  # what they typed is kept
        fresh = version_on(html)
        assert fresh != old
        again = manager.post_form(withdraw, {"reason": "Issued to the wrong provider", "version": fresh}, page=withdraw)
        assert again.status_code == 303 and events(app, "NOTICE_WITHDRAWN") == 1


def test_unknown_steps_and_wrong_states(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager)
        assert manager.get(f"/cases/{case_id}/frobnicate").status_code == 404
        assert manager.get(f"/cases/{case_id}/issue").status_code == 404  # a notice's step, not a case's
        assert manager.get(f"/suspensions/{case_id}/suspend").status_code == 404
        # A step the record is not ready for explains itself and shows no form.
        manager.post_form(f"/cases/{case_id}/notices/new", {"findings": "f", "required_action": "a"})
        notice_id = link_id(manager.get(f"/cases/{case_id}").get_data(as_text=True), "notices", "issue")
        html = assert_page(manager.get(f"/notices/{notice_id}/escalate"), "Escalate")
        assert "while the notice is draft" in html and '<form method="post" novalidate>' not in html
        late = manager.post_form(f"/notices/{notice_id}/escalate", {"reason": "r"}, page=f"/notices/{notice_id}/issue")
        assert late.status_code == 409 and "while the notice is draft" in late.get_data(as_text=True)


# -- contracts that set their own periods --------------------------------------------------------------------------


def test_the_cheshire_east_notice_asks_for_the_plan_period(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager, "ECH-2024-01", "Punctuality below 95% (CE-K02)")
        html = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Draft an Improvement Notice" in html
        assert_page(manager.get(f"/cases/{case_id}/notices/new"), "Draft an Improvement Notice")
        manager.post_form(f"/cases/{case_id}/notices/new", {"findings": "Punctuality 81%", "required_action": "A SIAP"})
        notice_id = link_id(manager.get(f"/cases/{case_id}").get_data(as_text=True), "notices", "issue")
        url = f"/notices/{notice_id}/issue"
        form = assert_page(manager.get(url), "Issue the notice")
        assert "Working days the provider has for the plan" in form and 'name="plan_due_days"' in form
        assert "CE-45" in form
        served = {"served_on": ["17", "12", "2026"], "method": "email"}
        missing = assert_page(manager.post_form(url, served), "Issue the notice", status=422)
        assert 'href="#plan_due_days"' in missing
        words = assert_page(manager.post_form(url, {**served, "plan_due_days": "ten"}), "Issue the notice",
                            status=422)
        assert "Working days the provider has for the plan must be a whole number, like 10" in words
        assert manager.post_form(url, {**served, "plan_due_days": "10"}).status_code == 303
        text = page_text(manager.get(f"/cases/{case_id}"))
        assert "CE-45" in text and "Wednesday 6 January 2027" in text  # received the next working day by email
        assert "17 December 2026, by email" in text
        assert ("Treated as received 18 December 2026: deemed, as it was served by email; its receipt is not "
                "recorded yet") in text


def test_cornwall_cases_can_only_be_monitored_and_thurrock_asks_for_the_plan_period(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        cornwall = open_case(app, manager, "LC-2024-03", "Late pathway plans")
        html = manager.get(f"/cases/{cornwall}").get_data(as_text=True)
        # A26: no warning, default or suspension to draft; an agreed improvement plan is the one step offered.
        assert "Draft a" not in html and "Close the case as resolved" in html
        assert "Start an agreed improvement plan (A26)" in html
        assert manager.get(f"/cases/{cornwall}/notices/new").status_code == 200
        refused = manager.post_form(f"/cases/{cornwall}/notices/new", {"findings": "f", "required_action": "a"})
        assert refused.status_code == 409 and "has no" in refused.get_data(as_text=True)

        thurrock = open_case(app, manager, "SL-2025-02", "Move-on targets missed")
        form = assert_page(manager.get(f"/cases/{thurrock}/action-plans/new"), "Start an action plan (section 8.3)")
        assert "Working days the provider has for the plan" in form
        missing = manager.post_form(f"/cases/{thurrock}/action-plans/new", {"notice": ""})
        assert missing.status_code == 422 and "Enter the number of working days" in missing.get_data(as_text=True)
        assert manager.post_form(f"/cases/{thurrock}/action-plans/new",
                                 {"notice": "", "due_days": "10"}).status_code == 303
        text = page_text(manager.get(f"/cases/{thurrock}"))
        assert "Wednesday 6 January 2027" in text and "Action plan (section 8.3) (version 1)" in text


# -- the action plan journey ---------------------------------------------------------------------------------------


def test_the_plan_journey_through_the_pages(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id = open_case(app, manager)
        case_url = f"/cases/{case_id}"
        notice_id = draft_and_issue_kent_warning(app, manager, case_id)
        provider = login_as("provider_manager")
        notices = page_text(provider.get("/")).split("Notices served on you")[1].split("Action plans")[0]
        assert "(deemed from how it was served: record when it reached you if earlier)" in notices
        form = page_text(provider.get(f"/notices/{notice_id}/acknowledge"))
        assert ("It is treated as received on 18 December 2026, the day it is deemed received as it was served by "
                "hand, unless it arrived earlier. For example, 18 12 2026") in form
        acknowledged = provider.post_form(f"/notices/{notice_id}/acknowledge", {"received_on": ["18", "12", "2026"]})
        assert acknowledged.status_code == 303
        notices = page_text(provider.get("/")).split("Notices served on you")[1].split("Action plans")[0]
        assert "treated as received 18 December 2026" in notices and "deemed" not in notices
        timeline = page_text(provider.get(case_url)).split("Timeline")[-1]
        assert "Received on 18 December 2026" in timeline  # the day recorded, on the case's audit trail

        html = provider.get(case_url).get_data(as_text=True)
        assert "Start an action plan (Appendix A)" in html
        form = assert_page(provider.get(f"{case_url}/action-plans/new"), "Start an action plan (Appendix A)")
        assert f'<option value="{notice_id}" selected>' in form  # against the notice by default
        assert "Working days the provider has" not in form
        assert provider.post_form(f"{case_url}/action-plans/new", {"notice": str(notice_id)}).status_code == 303
        html = provider.get(case_url).get_data(as_text=True)
        plan_id = int(re.search(r"/action-plans/(\d+)/rows/new", html).group(1))
        assert "Start an action plan" not in html  # one plan at a time

        # A row in the Appendix A columns: a missing RAG status is named on its field.
        row = {"kpi": "S3", "current_performance": "71% at Q3", "issue": "Transport cancellations",
               "action": "Second minibus contract", "owner": "Operations director",
               "expected_outcome": "Attendance at 90% by end of Q1 2027", "deadline": ["31", "3", "2027"]}
        form = assert_page(provider.get(f"/action-plans/{plan_id}/rows/new"), "Add a row to the action plan")
        for label in ("KPI", "Current RAG status", "Red", "Amber", "Green", "Expected outcome (SMART)", "Deadline"):
            assert label in form
        no_rag = assert_page(provider.post_form(f"/action-plans/{plan_id}/rows/new", row),
                             "Add a row to the action plan", status=422)
        assert "Select the current RAG status" in no_rag and 'href="#rag"' in no_rag
        assert provider.post_form(f"/action-plans/{plan_id}/rows/new", {**row, "rag": "red"}).status_code == 303
        no_date = provider.post_form(f"/action-plans/{plan_id}/milestones/new", {"title": "Minibus contract signed"})
        assert no_date.status_code == 422 and "Enter the date the milestone is due" in no_date.get_data(as_text=True)
        assert provider.post_form(f"/action-plans/{plan_id}/milestones/new", {
            "title": "Minibus contract signed", "due_on": ["29", "1", "2027"]}).status_code == 303

        # People who only watch cannot change the plan or start records.
        viewer = login_as("council_viewer")
        assert "Add a row" not in viewer.get(case_url).get_data(as_text=True)
        for url in (f"/action-plans/{plan_id}/rows/new", f"/action-plans/{plan_id}/milestones/new",
                    f"{case_url}/notices/new", f"{case_url}/suspensions/new", f"{case_url}/terminations/new"):
            assert viewer.get(url).status_code == 403, url
        assert viewer.post_form(f"/action-plans/{plan_id}/milestones/new", {"title": "x", "due_on": ["1", "2", "2027"]},
                                page=case_url).status_code == 403
        assert provider.get(f"{case_url}/notices/new").status_code == 403

        # A provider user may not submit; the provider manager does.
        user = login_as("provider_user")
        assert user.get(f"/action-plans/{plan_id}/submit").status_code == 403
        confirm = assert_page(provider.get(f"/action-plans/{plan_id}/submit"), "Submit the plan for agreement")
        assert "Check this is what you want to do" in confirm
        assert provider.post_form(f"/action-plans/{plan_id}/submit", {}).status_code == 303
        empty = manager.post_form(f"/action-plans/{plan_id}/return_for_changes", {"comment": ""})
        assert empty.status_code == 422 and "Enter what needs to change in the plan" in empty.get_data(as_text=True)
        assert manager.post_form(f"/action-plans/{plan_id}/return_for_changes",
                                 {"comment": "Add a review date"}).status_code == 303
        text = page_text(provider.get(case_url))
        assert "Council's comment: Add a review date" in text and "Returned" in text
        assert provider.post_form(f"/action-plans/{plan_id}/submit", {}).status_code == 303
        assert manager.post_form(f"/action-plans/{plan_id}/agree", {}).status_code == 303
        assert provider.post_form(f"/action-plans/{plan_id}/sign_off", {}).status_code == 303
        html = provider.get(case_url).get_data(as_text=True)
        assert "Add a row" not in html  # the signed plan is frozen
        milestone_id = link_id(html, "milestones", "mark_done")
        no_evidence = user.post_form(f"/milestones/{milestone_id}/mark_done", {"evidence": ""})
        assert no_evidence.status_code == 422
        assert user.post_form(f"/milestones/{milestone_id}/mark_done",
                              {"evidence": "Contract signed 20 January"}).status_code == 303
        assert manager.post_form(f"/milestones/{milestone_id}/verify", {}).status_code == 303

        page = manager.get(case_url)
        text = page_text(page)
        assert "Action plan (Appendix A) (version 1) In progress" in text
        assert "Verified Minibus contract signed" in text and "Evidence: Contract signed 20 January" in text
        assert "Name in the contract Action plan (Appendix A)" in text
        assert text.count("Met") >= 2  # KT-19 met by both signing; the milestone met when done
        # The timeline has every step, newest first.
        steps = ["Milestone verified", "Milestone done", "Plan signed off", "Plan agreed", "Plan submitted",
                 "Plan returned", "Plan submitted", "Plan started", "Notice received", "Notice issued", "Case opened"]
        timeline = text[text.index("Timeline"):]
        positions = [timeline.index(step) for step in steps[:5]] + [timeline.rindex("Plan submitted")]
        assert positions[:5] == sorted(positions[:5])
        for step in steps:
            assert step in timeline, step
        assert timeline.index("Notice issued") < timeline.index("Case opened")
        assert "Add a review date" in timeline and "Pat Provider" in timeline


# -- suspension and phased reinstatement (Cheshire East, CE-40) ------------------------------------------------------


def test_suspension_scopes_and_phased_reinstatement(app, login_as):
    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        commissioner = login_as("commissioning_manager")
        case_id = open_case(app, manager, "ECH-2024-01", "Safeguarding concerns at two schemes")
        # CE-38: no live notice, no default and no Large Scale Enquiry: Cheshire East may not suspend yet.
        # The proposal names its ground, one of the contract's routes (CE-33 to CE-54).
        form = assert_page(manager.get(f"/cases/{case_id}/suspensions/new"), "Propose a suspension")
        assert "A serious Provider Default (suspension of the contract) (CE-38)" in form
        unnamed = manager.post_form(f"/cases/{case_id}/suspensions/new", {"reason": "Safeguarding concerns"})
        assert unnamed.status_code == 422 and "Select the ground for the suspension" in unnamed.get_data(as_text=True)
        # CE-38: no live notice, no default and no Large Scale Enquiry: Cheshire East may not suspend for it yet.
        early = manager.post_form(f"/cases/{case_id}/suspensions/new",
                                  {"ground": "serious-default", "reason": "Safeguarding concerns"})
        assert early.status_code == 409
        assert "only while an improvement notice is live" in early.get_data(as_text=True)
        start_large_scale_enquiry_on(app, "ECH-2024-01")
        missing = manager.post_form(f"/cases/{case_id}/suspensions/new", {"ground": "serious-default", "reason": ""})
        assert missing.status_code == 422 and "Enter why a suspension is proposed" in missing.get_data(as_text=True)
        assert manager.post_form(f"/cases/{case_id}/suspensions/new",
                                 {"ground": "serious-default", "reason": "Serious default (CE-38)"}
                                 ).status_code == 303
        suspension_id = link_id(commissioner.get(f"/cases/{case_id}").get_data(as_text=True), "suspensions",
                                "suspend")
        form = assert_page(commissioner.get(f"/suspensions/{suspension_id}/suspend"), "Confirm the suspension")
        for label in ("The whole service", "Part of the service"):
            assert label in form
        assert 'value="framework"' not in form  # Kent's scope, not Cheshire East's
        assert 'value="referrals"' not in form  # an embargo is CE-53/CE-54's route, not a serious default's
        suspend = {"scope": "full", "starts_on": ["18", "12", "2026"], "reason": "CE-38",
                   "lift_conditions": "A full rota for four weeks"}
        assert commissioner.post_form(f"/suspensions/{suspension_id}/suspend", suspend).status_code == 303
        text = page_text(commissioner.get(f"/cases/{case_id}"))
        assert "The whole service" in text and "Suspension of the Service" in text

        url = f"/suspensions/{suspension_id}/begin_reinstatement"
        form = assert_page(commissioner.get(url), "Begin phased reinstatement")
        assert "Phase 3" in form
        nothing = assert_page(commissioner.post_form(url, {}), "Begin phased reinstatement", status=422)
        assert "Add at least one phase" in nothing
        # Phase 1 left blank and phase 2 half filled: the problem is named on phase 2's field.
        half = {"phase2_starts_on": ["4", "1", "2027"], "phase2_conditions": "Two weeks without missed visits"}
        html = assert_page(commissioner.post_form(url, half), "Begin phased reinstatement", status=422)
        assert "Enter what phase 1 reinstates" in html and 'href="#phase2_scope"' in html
        phases = {**half, "phase2_scope": "Referrals for scheme A",
                  "phase3_starts_on": ["18", "1", "2027"], "phase3_scope": "All referrals",
                  "phase3_conditions": "Monthly review"}
        assert commissioner.post_form(url, phases).status_code == 303
        text = page_text(commissioner.get(f"/cases/{case_id}"))
        assert "From 4 January 2027: Referrals for scheme A" in text and "From 18 January 2027: All referrals" in text
        assert "Reinstating" in text


def test_the_case_page_asks_each_table_by_its_case(app):
    """The case page's first statement reads the case with which kinds of record it has (models/case_queries.py),
    and reads each table along an index that starts with the case: a table read along its council's index instead
    read every letter of the council to answer for one case (0.7 ms with 1,000 letters; migration 0028). Checked
    for the statement alone and for it with the case (the page's). SQLite's plan, which has no statistics to go on;
    PostgreSQL chooses by its own."""
    from models import db
    from models.case_queries import _kinds_present_columns, _kinds_present_query
    from models.cases import Case
    from models.engine import _by_id

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        for statement in (_kinds_present_query(False), _by_id(Case, False, _kinds_present_columns(False))):
            compiled = statement.compile(db.engine)
            params = {**compiled.params, "case_id": 1, "council_id": 1, "record_id": 1}
            plan = [row[3] for row in db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + str(compiled), tuple(params[name] for name in compiled.positiontup))]
            searches = [line for line in plan if line.startswith("SEARCH") and "PRIMARY KEY" not in line]
            assert len(searches) == 11 and all("(case_id=?" in line for line in searches), plan
