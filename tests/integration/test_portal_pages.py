"""Provider portal pages: the provider's home (what is due first), progress with evidence files, downloads with the
right headers, the council's review queue and review, representations and a new version of an agreed plan."""

from __future__ import annotations

import io
import re

import time_machine

from tests.conftest import assert_page
from tests.integration.portal_setup import PDF, add_provider_b_manager, case_with_notice, signed_plan

LATER = "2027-01-11T10:00:00+00:00"  # a Monday: the first milestone (15 January) is at risk


def post_in_memory(user, url, fields: dict, file: tuple[bytes, str]):
    """Post a large multipart form built in memory (Werkzeug's test client spools big bodies to a temporary file
    that it never closes, which warnings-as-errors turns into a failure)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    from tests.conftest import csrf_token

    values = MultiDict({**fields, "csrf_token": csrf_token(user.get(url).get_data(as_text=True))})
    values.add("files", FileStorage(io.BytesIO(file[0]), filename=file[1], content_type="application/octet-stream"))
    boundary, body = encode_multipart(values)
    return user.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def build(app, **kwargs):
    from models import db

    with app.app_context():
        case, plan = signed_plan(**kwargs)
        db.session.commit()
        return case.id, plan.id, [m.id for m in plan.milestones]


def test_the_provider_home_puts_what_is_due_first(app, login_as):
    case_id, plan_id, (first, second) = build(app)
    with time_machine.travel(LATER, tick=False):
        from sqlalchemy import select

        from models import db
        from models.entities import Contract
        from models.return_store import ensure_schedule
        from web.clock import now_utc, today_london

        with app.app_context():
            contract = db.session.scalar(select(Contract).where(Contract.reference == "LDDS-2023-07"))
            ensure_schedule(contract, today_london(), now_utc())
            db.session.commit()
        html = assert_page(login_as("provider_manager").get("/"), "Dashboard")
    sections = [m for m in re.findall(r'<h2 class="govuk-heading-m" id="([a-z-]+)"', html)]
    assert sections[:9] == ["tasks", "due", "waiting", "open-cases", "notices", "plans", "milestones", "complaints",
                            "monitoring-returns"]
    assert f'href="/cases/{case_id}">CASE-00001</a>' in html
    due = html[html.index('id="due"'):html.index('id="waiting"')]
    assert due.index("Two support workers recruited") < due.index("Attendance back to 95%")
    assert "Friday 15 January 2027" in due and "How this was counted" in due and "4 working days left" in due
    plans = html[html.index('id="plans"'):html.index('id="milestones"')]
    assert "In progress" in plans and "At risk" in plans  # words beside the colour
    assert f"/milestones/{first}/progress" in html
    returns = html[html.index('id="monitoring-returns"'):]
    assert 'href="/returns/' in returns and "Provider Return" in returns  # the returns still to send
    assert "Your organisation" in html  # the existing dashboard sections stay below
    # The task list first (issue 16): each milestone to report on, with its due date and a status, soonest first.
    tasks = html[html.index('id="tasks"'):html.index('id="due"')]
    assert "govuk-task-list" in tasks and f"#milestone-{first}" in tasks
    assert tasks.index("Two support workers recruited") < tasks.index("Attendance back to 95%")
    assert "Due Friday 15 January 2027" in tasks


def test_progress_with_a_pdf_then_download_with_safe_headers(app, login_as, tmp_path):
    case_id, plan_id, (first, _second) = build(app)
    with time_machine.travel(LATER, tick=False):
        user = login_as("provider_user")
        url = f"/milestones/{first}/progress"
        assert_page(user.get(url), "Report progress on a milestone")
        refused = user.post_form(url, {"status": "done", "commentary": "Both started",
                                       "files": (io.BytesIO(b"MZ\x90\x00program"), "evidence.pdf")})
        html = assert_page(refused, "Report progress on a milestone", status=422)
        assert "The selected file must be a PDF, DOCX, XLSX, CSV, PNG or JPEG" in html
        assert not (tmp_path / "evidence").exists() or list((tmp_path / "evidence").iterdir()) == []
        big = b"%PDF-" + b"\x00" * (20 * 1024 * 1024)
        html = assert_page(post_in_memory(user, url, {"status": "done", "commentary": "x"}, (big, "big.pdf")),
                           "Report progress on a milestone", status=422)
        assert "The selected file must be smaller than 20 MB" in html
        huge = post_in_memory(user, url, {"status": "done", "commentary": "x"},
                              (b"%PDF-" + b"\x00" * (26 * 1024 * 1024), "huge.pdf"))
        assert huge.status_code == 413 and "smaller than 20 MB" in huge.get_data(as_text=True)
        assert not (tmp_path / "evidence").exists() or list((tmp_path / "evidence").iterdir()) == []
        done = user.post_form(url, {"status": "done", "commentary": "Both started on 4 January",
                                    "files": (io.BytesIO(PDF), "Offer letters (signed).pdf")})
        assert done.status_code == 303
        html = user.get(f"/cases/{case_id}").get_data(as_text=True)
        evidence_id = int(re.search(r'href="/evidence/(\d+)"', html).group(1))
        assert "Offer_letters_signed.pdf" in html and "Not yet checked" in html
        download = user.get(f"/evidence/{evidence_id}")
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"] == 'attachment; filename="Offer_letters_signed.pdf"'
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Type"] == "application/pdf"
        stored = list((tmp_path / "evidence").iterdir())
        assert len(stored) == 1 and "Offer" not in stored[0].name


def test_the_council_reviews_evidence_from_its_queue(app, login_as):
    case_id, plan_id, (first, _second) = build(app)
    with time_machine.travel(LATER, tick=False):
        login_as("provider_user").post_form(f"/milestones/{first}/progress", {
            "status": "done", "commentary": "Done", "files": (io.BytesIO(PDF), "letters.pdf")})
        manager = login_as("contract_manager")
        html = assert_page(manager.get("/review"), "Review queue")
        assert f"/milestones/{first}/review" in html and "1 file" in html and "On track" in html
        url = f"/milestones/{first}/review"
        html = assert_page(manager.post_form(url, {"decision": "reject", "reason": ""}),
                           "Review the evidence for a milestone", status=422)
        assert "Enter why the evidence is not accepted" in html
        assert manager.post_form(url, {"decision": "reject", "reason": "Unsigned letters"}).status_code == 303
        provider = login_as("provider_manager")
        html = provider.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Rejected" in html and "Reason: Unsigned letters" in html
        # Provider staff never reach the council's queue or its review.
        assert provider.get("/review").status_code == 403
        assert provider.get(url).status_code == 403
        assert login_as("council_viewer").get(url).status_code == 403
        assert_page(login_as("council_viewer").get("/review"), "Review queue")


def test_representations_on_a_notice(app, login_as):
    from models import db

    with app.app_context():
        case, notice = case_with_notice()
        db.session.commit()
        case_id, notice_id = case.id, notice.id
    with time_machine.travel("2026-12-21T10:00:00+00:00", tick=False):
        provider = login_as("provider_user")
        url = f"/notices/{notice_id}/representations"
        assert url in provider.get(f"/cases/{case_id}").get_data(as_text=True)
        html = assert_page(provider.get(url), "Make representations on the formal warning")
        assert "Window closes" in html
        assert provider.post_form(url, {"text": ""}).status_code == 422
        assert provider.post_form(url, {"text": "Closed days were counted"}).status_code == 303
        html = login_as("contract_manager").get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Closed days were counted" in html and "Notice representations made" in html
        queue = assert_page(login_as("contract_manager").get("/review"), "Review queue")
        assert "Closed days were counted" in queue[queue.index('id="representations"'):]
        assert login_as("contract_manager").get(url).status_code == 403
    with time_machine.travel("2027-02-01T10:00:00+00:00", tick=False):
        html = assert_page(login_as("provider_user").get(url), "Make representations on the formal warning")
        assert "The window for representations closed on" in html and "<textarea" not in html


def test_a_new_version_of_an_agreed_plan_from_the_case_page(app, login_as):
    case_id, plan_id, _milestones = build(app)
    with time_machine.travel(LATER, tick=False):
        provider = login_as("provider_manager")
        html = provider.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Change the agreed plan (start version 2)" in html
        url = f"/action-plans/{plan_id}/new-version"
        assert_page(provider.get(url), "Start a new version of the plan")
        assert provider.post_form(url, {}).status_code == 303
        html = provider.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "(version 2)" in html and "Change the agreed plan" not in html
        assert "Plan version started" in html
        assert login_as("council_viewer").get(url).status_code == 403


def test_another_providers_portal_records_are_not_found(app, login_as):
    from models import db

    with app.app_context():
        other = add_provider_b_manager()
        db.session.commit()
    case_id, plan_id, (first, _second) = build(app, provider_email=other, contract="HC-2024-05")
    with time_machine.travel(LATER, tick=False):
        provider = login_as("provider_manager")
        for url in (f"/milestones/{first}/progress", f"/action-plans/{plan_id}/new-version"):
            assert provider.get(url).status_code == 404


def test_a_row_of_a_draft_plan_can_be_removed_but_not_of_an_agreed_one(app, login_as):
    from models import db
    from models.case_store import add_plan_row, create_action_plan
    from tests.integration.portal_setup import SERVED_AT, TODAY, row, user

    with app.app_context():
        case, notice = case_with_notice()
        provider = user("provider.manager@brightwater.example")
        plan = create_action_plan(provider.viewer, provider, case.id, SERVED_AT, TODAY, notice_id=notice.id)
        first = add_plan_row(provider.viewer, provider, plan.id, row(), SERVED_AT, TODAY)
        add_plan_row(provider.viewer, provider, plan.id, {**row(), "kpi": "S5 missed sessions"}, SERVED_AT, TODAY)
        db.session.commit()
        case_id, row_id = case.id, first.id
    _case, _plan, _ms = build(app)
    with time_machine.travel("2026-12-21T10:00:00+00:00", tick=False):
        user_client = login_as("provider_user")
        html = user_client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert f"/action-plan-rows/{row_id}/remove" in html
        confirm = assert_page(user_client.get(f"/action-plan-rows/{row_id}/remove"),
                              "Remove row 1 from the action plan?")
        assert "S3 attendance" in confirm and "Yes, remove it" in confirm  # the row is shown before it goes
        assert login_as("council_viewer").post_form(f"/action-plan-rows/{row_id}/remove", {},
                                                   page=f"/cases/{case_id}").status_code == 403
        response = user_client.post_form(f"/action-plan-rows/{row_id}/remove", {}, page=f"/cases/{case_id}")
        assert response.status_code == 303
        html = user_client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Row 1 (S3 attendance) removed from the plan" in html and "Plan row removed" in html
        table = html[html.index("<table class=\"govuk-table remedy-plan\""):]
        assert "S3 attendance" not in table[:table.index("</table>")] and "S5 missed sessions" in table
        with app.app_context():
            from models.cases import ActionPlanRow

            agreed_row = db.session.query(ActionPlanRow).filter(ActionPlanRow.plan_id == _plan).first().id
        assert user_client.post_form(f"/action-plan-rows/{agreed_row}/remove", {},
                                     page=f"/cases/{case_id}").status_code == 303
        html = user_client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "Rows can only be changed while the plan is a draft or returned" in html


def test_the_api_shows_a_milestones_progress_and_evidence_files(app, login_as, api_token):
    from models import db
    from models.portal_store import Upload, record_progress
    from tests.integration.portal_setup import SERVED_AT, TODAY, user

    case_id, plan_id, (first, _second) = build(app)
    with app.app_context():
        staff = user("provider.user@brightwater.example")
        record_progress(staff.viewer, staff, first, "done", "Both recruited", [Upload("letters.pdf", PDF)],
                        SERVED_AT, TODAY)
        db.session.commit()
    headers = {"Authorization": f"Bearer {api_token('provider_user')}"}
    client = app.test_client()
    milestone = client.get(f"/api/v1/milestones/{first}", headers=headers).get_json()
    assert milestone["evidence"] == "Both recruited"
    assert [p["commentary"] for p in milestone["progress"]] == ["Both recruited"]
    [file] = milestone["evidence_files"]
    assert (file["filename"], file["media_type"], file["review"]) == ("letters.pdf", "application/pdf", "submitted")
    plan = client.get(f"/api/v1/action-plans/{plan_id}", headers=headers).get_json()
    assert plan["previous_id"] is None and plan["health"] in ("on track", "at risk", "overdue")


def test_the_case_page_reads_each_kind_once_and_only_what_the_case_has(app, login_as):
    """Issue 17: one statement counts the case's records and what hangs off them (letters, progress reports,
    evidence, representations, comments); only those present are read, and a plan's milestones are the case's
    milestones, read once. The page still shows each of them in its place."""
    from tests.conftest import statements_afresh

    case_id, _plan_id, (first, _second) = build(app)
    with time_machine.travel(LATER, tick=False):
        login_as("provider_user").post_form(f"/milestones/{first}/progress", {
            "status": "done", "commentary": "Both started on 4 January", "files": (io.BytesIO(PDF), "letters.pdf")})
        manager = login_as("contract_manager")
        manager.get(f"/cases/{case_id}")
        with statements_afresh(app) as seen:
            html = assert_page(manager.get(f"/cases/{case_id}"), "Case CASE-")
        tables = [found.group(1) for s in seen if (found := re.search(r'\bFROM "?(\w+)', " ".join(s.split())))]
        assert tables.count("milestone") == 1 and "milestone_update" in tables and "evidence_file" in tables
        assert "plan_comment" not in tables and "notice_representation" not in tables
        assert html.index("Two support workers recruited") < html.index("Attendance back to 95%")
        assert "Both started on 4 January" in html and "letters.pdf" in html
        # The case's own name on its deadlines is the loaded case's: no statement looks it up again.
        assert not any("case_file.id IN" in " ".join(s.split()) for s in seen)
