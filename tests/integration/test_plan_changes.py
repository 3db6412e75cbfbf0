"""Whose turn it is on a notice and its plan, and changing a draft or returned plan's rows and milestones (issue 16):
controls only for the side whose turn it is, the notice's manual plan step only for the council and only when no
plan is in Remedy, change and remove (confirmed first) with the audit trail keeping what changed, stale versions
refused (409), past dates refused, and the same through the API."""

from __future__ import annotations

import re
from datetime import date

import time_machine

from tests.conftest import assert_page
from tests.integration.portal_setup import SERVED_AT, TODAY, case_with_notice, row, user

DAY = "2026-12-21T10:00:00+00:00"  # the Monday after the notice was served
PROVIDER = "provider.manager@brightwater.example"
MANAGER = "contract.manager@remedy.example"


def draft_plan(app, *, returned: bool = False) -> tuple[int, int, int, list[int], int]:
    """A notice served and the provider's draft plan with two rows and a milestone (returned by the council if
    asked): (case id, notice id, plan id, row ids, milestone id)."""
    from models import db
    from models.case_store import add_milestone, add_plan_row, create_action_plan
    from models.engine import fire

    with app.app_context():
        case, notice = case_with_notice()
        provider = user(PROVIDER)
        plan = create_action_plan(provider.viewer, provider, case.id, SERVED_AT, TODAY, notice_id=notice.id)
        rows = [add_plan_row(provider.viewer, provider, plan.id, row(), SERVED_AT, TODAY).id,
                add_plan_row(provider.viewer, provider, plan.id, {**row(), "kpi": "S5 missed sessions"}, SERVED_AT,
                             TODAY).id]
        milestone = add_milestone(provider.viewer, provider, plan.id, "Minibus contract sigend", date(2027, 1, 29),
                                  SERVED_AT)
        if returned:
            db.session.expire(plan, ["rows", "milestones"])
            manager = user(MANAGER)
            fire(provider.viewer, provider, "action_plan", plan.id, "submit", {}, SERVED_AT, TODAY)
            fire(manager.viewer, manager, "action_plan", plan.id, "return_for_changes",
                 {"comment": "Fix the milestone's spelling and drop the S5 row"}, SERVED_AT, TODAY)
        db.session.commit()
        return case.id, notice.id, plan.id, rows, milestone.id


def events(app, entity_type: str, entity_id: int) -> list:
    from models.audit_store import events_for

    with app.app_context():
        return [(e.event, e.data) for e in events_for(user(MANAGER).council_id, entity_type, entity_id)]


def plan_section(html: str, plan_id: int) -> str:
    start = html.index(f'id="plan-{plan_id}"')
    return html[start:html.index('<div class="remedy-record"', start) if '<div class="remedy-record"' in
                html[start:] else len(html)]


# -- whose turn it is ----------------------------------------------------------------------------------------------


def test_a_returned_plan_offers_its_changes_to_the_provider_only_and_says_whose_turn_it_is(app, login_as):
    case_id, _notice_id, plan_id, rows, milestone_id = draft_plan(app, returned=True)
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        mine = plan_section(provider.get(f"/cases/{case_id}").get_data(as_text=True), plan_id)
        assert "With the provider" in mine
        for control in (f"/action-plan-rows/{rows[0]}/change", f"/action-plan-rows/{rows[0]}/remove",
                        f"/milestones/{milestone_id}/change", f"/milestones/{milestone_id}/remove",
                        f"/action-plans/{plan_id}/rows/new", f"/action-plans/{plan_id}/submit"):
            assert control in mine, control

        council = plan_section(login_as("contract_manager").get(f"/cases/{case_id}").get_data(as_text=True),
                               plan_id)
        assert "With the provider" in council
        for control in ("/change", "/remove", "/rows/new", "/milestones/new", f"/action-plans/{plan_id}/submit"):
            assert control not in council, control
        assert f"/action-plans/{plan_id}/fail" in council  # the council's own decisions stay on its page

        # Once submitted it is the council's turn: agree or return for the council, nothing for the provider.
        assert provider.post_form(f"/action-plans/{plan_id}/submit", {}).status_code == 303
        council = plan_section(login_as("contract_manager").get(f"/cases/{case_id}").get_data(as_text=True),
                               plan_id)
        assert "With the council" in council and f"/action-plans/{plan_id}/agree" in council
        mine = plan_section(provider.get(f"/cases/{case_id}").get_data(as_text=True), plan_id)
        assert "With the council" in mine and "/change" not in mine and "/submit" not in mine


def test_only_the_council_records_a_plan_received_outside_remedy_and_only_when_none_is_in_remedy(app, login_as):
    from models import db
    from models.case_store import create_action_plan

    with app.app_context():
        case, notice = case_with_notice()
        db.session.commit()
        case_id, notice_id = case.id, notice.id
    label = "Record a plan received outside Remedy"
    step = f"/notices/{notice_id}/record_plan_submitted"
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        assert label not in provider.get(f"/cases/{case_id}").get_data(as_text=True)
        assert provider.get(step).status_code == 403
        manager = login_as("contract_manager")
        page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        assert label in page and "With the provider" in page

        with app.app_context():
            provider_user = user(PROVIDER)
            create_action_plan(provider_user.viewer, provider_user, case_id, SERVED_AT, TODAY, notice_id=notice_id)
            db.session.commit()
        assert label not in manager.get(f"/cases/{case_id}").get_data(as_text=True)
        refused = manager.post_form(step, {}, page=f"/cases/{case_id}")
        assert refused.status_code == 409
        assert "being written in Remedy" in refused.get_data(as_text=True)


# -- changing and removing rows and milestones on the pages ------------------------------------------------------


def test_the_provider_changes_a_row_and_a_milestone_and_removes_one_of_each_after_confirming(app, login_as):
    case_id, _notice_id, plan_id, rows, milestone_id = draft_plan(app, returned=True)
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        url = f"/action-plan-rows/{rows[0]}/change"
        form = assert_page(provider.get(url), "Change row 1 of the action plan")
        assert 'value="S3 attendance"' in form and 'value="red" checked' in form and "Do not include names" in form
        changed = {"kpi": "S3 attendance", "current_performance": "74% (December 2026)", "rag": "amber",
                   "issue": "Rota gaps", "action": "Recruit two support workers", "owner": "Registered manager",
                   "expected_outcome": "95% attendance by February 2027", "deadline": ["26", "2", "2027"]}
        past = provider.post_form(url, {**changed, "deadline": ["1", "12", "2026"]})
        assert past.status_code == 422 and "The deadline must be today (21 December 2026) or later" in \
            past.get_data(as_text=True)
        saved = provider.post_form(url, changed)
        assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#row-{rows[0]}")
        page = provider.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Row 1 (S3 attendance) of the plan saved" in page and "74% (December 2026)" in page

        url = f"/milestones/{milestone_id}/change"
        assert 'value="Minibus contract sigend"' in assert_page(provider.get(url), "Change a milestone")
        past = provider.post_form(url, {"title": "Minibus contract signed", "due_on": ["1", "1", "2020"]})
        assert past.status_code == 422
        assert "The milestone must be due on or after the date the notice was served (18 December 2026)" in \
            past.get_data(as_text=True)
        assert provider.post_form(url, {"title": "Minibus contract signed",
                                        "due_on": ["5", "2", "2027"]}).status_code == 303

        confirm = assert_page(provider.get(f"/action-plan-rows/{rows[1]}/remove"),
                              "Remove row 2 from the action plan?")
        assert "S5 missed sessions" in confirm and "No, keep it" in confirm
        assert provider.post_form(f"/action-plan-rows/{rows[1]}/remove", {}).status_code == 303
        confirm = assert_page(provider.get(f"/milestones/{milestone_id}/remove"),
                              "Remove this milestone from the action plan?")
        assert "Minibus contract signed" in confirm and "5 February 2027" in confirm
        assert provider.post_form(f"/milestones/{milestone_id}/remove", {}).status_code == 303
        page = provider.get(f"/cases/{case_id}").get_data(as_text=True)
        section = plan_section(page, plan_id)
        assert "S5 missed sessions" not in section and "Minibus contract signed" not in section
        assert "Milestone \u201cMinibus contract signed\u201d removed from the plan" in page

    plan_events = events(app, "action_plan", plan_id)
    [(_e, changed_row)] = [e for e in plan_events if e[0] == "PLAN_ROW_CHANGED"]
    assert changed_row["changed"]["rag"] == {"from": "red", "to": "amber"}
    assert set(changed_row["changed"]) == {"rag", "current_performance"}
    [(_e, removed_row)] = [e for e in plan_events if e[0] == "PLAN_ROW_REMOVED"]
    assert removed_row["row"]["kpi"] == "S5 missed sessions" and removed_row["row"]["deadline"] == "2027-02-26"
    [(_e, removed)] = [e for e in plan_events if e[0] == "PLAN_MILESTONE_REMOVED"]
    assert removed["milestone"] == {"title": "Minibus contract signed", "due_on": "2027-02-05"}
    milestone_events = [e for e, _d in events(app, "milestone", milestone_id)]
    assert milestone_events == ["MILESTONE_ADDED", "MILESTONE_CHANGED", "MILESTONE_REMOVED"]


def test_a_change_made_on_a_stale_page_is_refused_and_a_signed_plan_cannot_be_changed(app, login_as):
    case_id, _notice_id, plan_id, rows, milestone_id = draft_plan(app)
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        stale = provider.get(f"/milestones/{milestone_id}/change").get_data(as_text=True)
        version = re.search(r'name="version" type="hidden" value="(\d+)"|name="version" value="(\d+)"', stale)
        assert version is not None
        seen = next(v for v in version.groups() if v)
        assert provider.post_form(f"/milestones/{milestone_id}/change",
                                  {"title": "Minibus contract signed", "due_on": ["29", "1", "2027"],
                                   "version": seen}).status_code == 303
        again = provider.post_form(f"/milestones/{milestone_id}/change",
                                   {"title": "Minibus contract", "due_on": ["29", "1", "2027"], "version": seen})
        assert again.status_code == 409 and "Someone else changed this milestone" in again.get_data(as_text=True)
        # The council may not act on the provider's behalf from the page it cannot see controls on, but a council
        # viewer may never change a plan at all.
        assert login_as("council_viewer").get(f"/action-plan-rows/{rows[0]}/change").status_code == 403

    from models import db
    from models.engine import fire

    with app.app_context():
        provider_user, manager = user(PROVIDER), user(MANAGER)
        fire(provider_user.viewer, provider_user, "action_plan", plan_id, "submit", {}, SERVED_AT, TODAY)
        db.session.commit()
        fire(manager.viewer, manager, "action_plan", plan_id, "agree", {}, SERVED_AT, TODAY)
        db.session.commit()
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        refused = provider.get(f"/milestones/{milestone_id}/remove")
        assert refused.status_code == 303
        page = provider.get(refused.headers["Location"]).get_data(as_text=True)
        assert "Milestones can only be changed while the plan is a draft or returned for changes" in page
        assert provider.post_form(f"/action-plan-rows/{rows[0]}/remove", {},
                                  page=f"/cases/{case_id}").status_code == 303
        assert "S3 attendance" in plan_section(provider.get(f"/cases/{case_id}").get_data(as_text=True), plan_id)


def test_a_new_milestone_in_the_past_is_refused(app, login_as):
    case_id, _notice_id, plan_id, _rows, _milestone_id = draft_plan(app)
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        refused = provider.post_form(f"/action-plans/{plan_id}/milestones/new",
                                     {"title": "Rota review", "due_on": ["20", "12", "2026"]})
        assert refused.status_code == 422
        assert "The milestone must be due today (21 December 2026) or later" in refused.get_data(as_text=True)


# -- the API -------------------------------------------------------------------------------------------------------


def test_the_api_changes_and_removes_rows_and_milestones_with_version_checks(app, api):
    _case_id, _notice_id, plan_id, rows, milestone_id = draft_plan(app)
    with time_machine.travel(DAY, tick=False):
        plan = api("provider_manager", "GET", f"/api/v1/action-plans/{plan_id}", status=200)
        assert [r["id"] for r in plan["rows"]] == rows and plan["rows"][1]["position"] == 2
        base = f"/api/v1/action-plans/{plan_id}/rows"
        changed = api("provider_manager", "PATCH", f"{base}/{rows[0]}",
                      {"version": plan["version"], "rag": "green"}, status=200)
        assert changed["rows"][0]["rag"] == "green" and changed["version"] > plan["version"]
        stale = api("provider_manager", "PATCH", f"{base}/{rows[0]}", {"version": plan["version"], "rag": "red"},
                    status=409)
        assert "Someone else changed this action plan" in stale["error"]
        bad = api("provider_manager", "PATCH", f"{base}/{rows[0]}", {"deadline": "2026-12-01"}, status=422)
        assert bad["field"] == "deadline"
        api("provider_manager", "PATCH", f"/api/v1/action-plans/{plan_id + 1000}/rows/{rows[0]}", {"rag": "red"},
            status=404)
        api("council_viewer", "DELETE", f"{base}/{rows[1]}", status=403)
        api("provider_manager", "DELETE", f"{base}/{rows[1]}?version={plan['version']}", status=409)
        left = api("provider_manager", "DELETE", f"{base}/{rows[1]}", status=200)
        assert [r["id"] for r in left["rows"]] == [rows[0]]

        milestone = api("provider_manager", "GET", f"/api/v1/milestones/{milestone_id}", status=200)
        past = api("provider_manager", "PATCH", f"/api/v1/milestones/{milestone_id}", {"due_on": "2026-12-20"},
                   status=422)
        assert past["field"] == "due_on" and "today (21 December 2026) or later" in past["error"]
        moved = api("provider_manager", "PATCH", f"/api/v1/milestones/{milestone_id}",
                    {"version": milestone["version"], "title": "Minibus contract signed", "due_on": "2027-02-05"},
                    status=200)
        assert (moved["title"], moved["due_on"]) == ("Minibus contract signed", "2027-02-05")
        api("provider_manager", "DELETE", f"/api/v1/milestones/{milestone_id}",
            {"version": milestone["version"]}, status=409)
        plan = api("provider_manager", "DELETE", f"/api/v1/milestones/{milestone_id}", status=200)
        assert plan["kind"] == "action_plan" and plan["milestones"] == []
        api("provider_manager", "GET", f"/api/v1/milestones/{milestone_id}", status=404)


# -- the plan on the pages that act on it, comments on rows and milestones, and what happens next ------------------


def test_submit_and_return_pages_show_the_plan_with_comments_on_its_rows_and_say_what_happens_next(app, login_as):
    case_id, _notice_id, plan_id, rows, milestone_id = draft_plan(app)
    with time_machine.travel(DAY, tick=False):
        provider = login_as("provider_manager")
        submit = assert_page(provider.get(f"/action-plans/{plan_id}/submit"), "Submit the plan for agreement")
        assert "The plan you are submitting" in submit and "S5 missed sessions" in submit
        assert "Minibus contract sigend" in submit and "29 January 2027" in submit
        assert "will agree the plan or return it with comments" in submit
        done = provider.post_form(f"/action-plans/{plan_id}/submit", {})
        assert done.status_code == 303
        page = provider.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "submitted to the council. What happens next" in page  # the banner
        assert "What happens next: the council&#39;s contract manager has been told" in plan_section(page, plan_id)

        manager = login_as("contract_manager")
        council = plan_section(manager.get(f"/cases/{case_id}").get_data(as_text=True), plan_id)
        assert f"/action-plan-rows/{rows[1]}/comment" in council
        form = assert_page(manager.get(f"/action-plan-rows/{rows[1]}/comment"), "Comment on row 2 (S5 missed sessions)")
        assert "Do not include names" in form
        empty = manager.post_form(f"/action-plan-rows/{rows[1]}/comment", {"text": " "})
        assert empty.status_code == 422 and "Enter your comment" in empty.get_data(as_text=True)
        assert manager.post_form(f"/action-plan-rows/{rows[1]}/comment",
                                 {"text": "S5 is not in this notice: drop the row"}).status_code == 303
        assert manager.post_form(f"/milestones/{milestone_id}/comment",
                                 {"text": "Check the spelling"}).status_code == 303

        back = assert_page(manager.get(f"/action-plans/{plan_id}/return_for_changes"),
                           "Return the plan for changes")
        assert "The plan as it stands" in back and "S5 is not in this notice: drop the row" in back
        assert "Check the spelling" in back and f"/milestones/{milestone_id}/comment" in back
        assert manager.post_form(f"/action-plans/{plan_id}/return_for_changes",
                                 {"comment": "See the comments on the rows"}).status_code == 303
        page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "returned to Brightwater" in page and "They have been told, with your comments." in page

        # The provider sees the comments beside the row and milestone, removes the row, and the comment stays.
        mine = plan_section(provider.get(f"/cases/{case_id}").get_data(as_text=True), plan_id)
        assert "Comments on row 2 (S5 missed sessions):" in mine and "Check the spelling" in mine
        assert provider.post_form(f"/action-plan-rows/{rows[1]}/remove", {}).status_code == 303
        mine = plan_section(provider.get(f"/cases/{case_id}").get_data(as_text=True), plan_id)
        assert "Comments on rows or milestones since removed" in mine
        assert "Row 2 (S5 missed sessions): " in mine and "S5 is not in this notice: drop the row" in mine

        # A council viewer may read but not comment; a signed plan takes no more comments.
        assert login_as("council_viewer").post_form(f"/milestones/{milestone_id}/comment", {"text": "x"},
                                                   page=f"/cases/{case_id}").status_code == 403
    assert [e for e, _d in events(app, "action_plan", plan_id)].count("PLAN_COMMENTED") == 2


# -- check answers before a notice is issued -------------------------------------------------------------------------


def drafted_notice(app, manager) -> tuple[int, int]:
    """A Kent case with a formal warning drafted and not yet issued: (case id, notice id)."""
    from tests.integration.test_case_pages import link_id, open_case

    case_id = open_case(app, manager)
    assert manager.post_form(f"/cases/{case_id}/notices/new", {
        "findings": "Attendance 71% against the 95% target",
        "required_action": "A section 11.3 action plan"}).status_code == 303
    return case_id, link_id(manager.get(f"/cases/{case_id}").get_data(as_text=True), "notices", "issue")


def test_issuing_a_notice_shows_the_due_date_how_it_was_counted_and_the_letter_before_it_goes(app, login_as):
    from html import unescape

    from tests.integration.test_case_pages import SERVED

    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id, notice_id = drafted_notice(app, manager)
        url = f"/notices/{notice_id}/issue"
        form = assert_page(manager.get(url), "Issue the notice")
        assert 'name="check" value="1"' in form and "Continue" in form
        answers = {"served_on": ["18", "12", "2026"], "method": "hand", "check": "1"}

        # A past-the-future date is still refused on the form, before any check page.
        future = manager.post_form(url, {**answers, "served_on": ["19", "12", "2026"]})
        assert future.status_code == 422 and "The date cannot be in the future" in future.get_data(as_text=True)

        check = assert_page(manager.post_form(url, answers), "Check before you issue the notice")
        text = unescape(check)
        assert "Friday 18 December 2026" in text and "By hand" in text
        assert "by the end of <strong>Wednesday 6 January 2027</strong> (KT-19)" in text
        assert "Christmas Day" in text and "New Year" in text  # how it was counted, every skipped day
        assert '<iframe class="remedy-letter-preview" title="The letter as it will be served"' in check
        assert "Formal warning" in text and "Attendance 71% against the 95% target" in text  # the letter itself
        # Nothing was issued by looking.
        assert "NOTICE_ISSUED" not in [e for e, _d in events(app, "notice", notice_id)]
        assert "Issue the notice" in manager.get(f"/cases/{case_id}").get_data(as_text=True)

        changed = manager.post_form(url, {"served_on": ["18", "12", "2026"], "method": "hand", "change": "1"})
        assert changed.status_code == 200 and 'value="18"' in changed.get_data(as_text=True)

        done = manager.post_form(url, {"served_on": ["18", "12", "2026"], "method": "hand"})
        assert done.status_code == 303
        page = manager.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Formal warning issued to Brightwater" in page
        assert "The action plan is due by Wednesday 6 January 2027." in page
    assert [e for e, _d in events(app, "notice", notice_id)].count("NOTICE_ISSUED") == 1


def test_a_change_saved_while_the_check_page_previews_a_notice_fails_neither(app, login_as, saved_meanwhile):
    """The check page runs the step in a savepoint and rolls it back. On SQLite that savepoint began a transaction
    that a change saved meanwhile made stale, and the preview's first write was refused ("database is locked"):
    the check page failed. The preview now holds the write lock first; the change waits for it."""
    from tests.integration.test_case_pages import SERVED

    with time_machine.travel(SERVED, tick=False):
        manager = login_as("contract_manager")
        case_id, notice_id = drafted_notice(app, manager)
        url = f"/notices/{notice_id}/issue"
        answers = {"served_on": ["18", "12", "2026"], "method": "hand", "check": "1"}
        check = saved_meanwhile(lambda: manager.post_form(url, answers, page=url), when="INSERT INTO audit_event")
        assert "Wednesday 6 January 2027" in assert_page(check, "Check before you issue the notice")
    assert "NOTICE_ISSUED" not in [e for e, _d in events(app, "notice", notice_id)]


def test_comments_and_changes_through_the_api_match_the_openapi_document(app, api_token):
    from tests.integration.test_openapi import Checked
    from web.openapi import openapi_document

    _case_id, _notice_id, plan_id, rows, milestone_id = draft_plan(app)
    checked = Checked(app, openapi_document(), api_token)
    base = f"/api/v1/action-plans/{plan_id}"
    with time_machine.travel(DAY, tick=False):
        checked("contract_manager", "POST", f"{base}/comments", "/action-plans/{id}/comments", 422,
                {"text": "Both?", "row_id": rows[0], "milestone_id": milestone_id})
        checked("council_viewer", "POST", f"{base}/comments", "/action-plans/{id}/comments", 403,
                {"text": "No", "row_id": rows[0]})
        plan = checked("contract_manager", "POST", f"{base}/comments", "/action-plans/{id}/comments", 201,
                       {"text": "Drop S5", "row_id": rows[1]})
        plan = checked("provider_manager", "POST", f"{base}/comments", "/action-plans/{id}/comments", 201,
                       {"text": "Will do", "milestone_id": milestone_id})
        assert [(c["about"], c["row_id"], c["text"]) for c in plan["comments"]] == [
            ("Row 2 (S5 missed sessions)", rows[1], "Drop S5"),
            ("Milestone \u201cMinibus contract sigend\u201d", None, "Will do")]
        plan = checked("provider_manager", "PATCH", f"{base}/rows/{rows[0]}", "/action-plans/{id}/rows/{row_id}",
                       200, {"version": plan["version"], "owner": "Deputy manager"})
        plan = checked("provider_manager", "DELETE", f"{base}/rows/{rows[1]}", "/action-plans/{id}/rows/{row_id}",
                       200)
        assert plan["comments"][0]["row_id"] is None and plan["comments"][0]["about"] == "Row 2 (S5 missed sessions)"
        checked("provider_manager", "PATCH", f"/api/v1/milestones/{milestone_id}", "/milestones/{id}", 422,
                {"due_on": "2020-01-01"})
        checked("provider_manager", "PATCH", f"/api/v1/milestones/{milestone_id}", "/milestones/{id}", 200,
                {"title": "Minibus contract signed"})
        checked("provider_manager", "DELETE", f"/api/v1/milestones/{milestone_id}", "/milestones/{id}", 200)
