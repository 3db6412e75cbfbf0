"""The command-line interface as ../shared/INTERFACES.md describes it."""

import pytest


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_workdays_add_prints_the_date_then_the_explanation(runner):
    result = runner.invoke(args=["workdays", "add", "2026-12-18", "10"])
    assert result.exit_code == 0 and result.output.splitlines() == ["2027-01-06"]
    lines = runner.invoke(args=["workdays", "add", "2026-12-18", "10", "--explain"]).output.splitlines()
    assert lines[0] == "2027-01-06"
    assert any(line.startswith("2026-12-25") and "Christmas Day" in line for line in lines)
    assert any(line.startswith("2026-12-19") and "Saturday" in line for line in lines)


def test_workdays_regions(runner):
    assert runner.invoke(args=["workdays", "add", "2026-12-18", "10", "--region", "scotland"]).output.strip() == (
        "2027-01-07")
    # Northern Ireland: 17 March 2027 is a Wednesday.
    assert runner.invoke(args=["workdays", "add", "2027-03-16", "1", "--region", "northern-ireland"]
                         ).output.strip() == "2027-03-18"


def test_workdays_between(runner):
    assert runner.invoke(args=["workdays", "between", "2026-12-18", "2027-01-06"]).output.strip() == "10"


def test_workdays_bad_date(runner):
    result = runner.invoke(args=["workdays", "add", "2026-13-01", "10"])
    assert result.exit_code != 0 and "is not a date written YYYY-MM-DD" in result.output


def test_demo_load_is_idempotent_and_prints_sign_ins(runner, app):
    app.config["BASE_URL"] = "http://127.0.0.1:5077/"  # as `make run PORT=5077` sets it (REMEDY_BASE_URL)
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "contract.manager@remedy.example" in first.output and "remedy-demo-password" in first.output
    assert "Seed 004" in first.output
    assert "Sign in at http://127.0.0.1:5077/sign-in as any of these" in first.output  # where messages link to
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    from models.provider_store import list_contracts, list_providers
    from models.user_store import find_user_by_email, list_users

    with app.app_context():
        admin = find_user_by_email("admin@remedy.example")
        assert len(list_providers(admin.viewer)) == 5 and len(list_contracts(admin.viewer)) == 5
        # One person per role, and Cornwall's personal adviser (issue 15: the demo's young people are allocated)
        assert len(list_users(admin.council_id)) == 8
        assert find_user_by_email("personal.adviser@harbour.example").provider.reference == "PRV-003"
        from datetime import UTC, datetime

        from models.case_queries import list_cases

        cases, total = list_cases(admin.viewer, datetime.now(UTC))
        assert total == 2 and {c.state.value for c in cases} == {"notice", "concern"}  # not doubled
        from models.document_store import documents_for

        served = next(c for c in cases if c.state.value == "notice")
        (letter,) = documents_for(admin.viewer, served)  # the served warning's letter, stored as the web stores it
        assert letter.media_type == "application/pdf" and letter.content.startswith(b"%PDF")
        assert {u.role.value for u in list_users(admin.council_id)} == {
            "admin", "commissioning_manager", "contract_manager", "council_viewer", "safeguarding_officer",
            "provider_manager", "provider_user"}


def test_users_create_and_token(runner, app, demo):
    result = runner.invoke(args=["users", "create", "new.person@remedy.example", "--role", "provider_manager",
                                 "--provider", "PRV-003", "--password", "long enough password"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["users", "create", "x@remedy.example", "--role", "provider_user",
                              "--password", "long enough password"])
    assert bad.exit_code != 0 and "must belong to a provider" in bad.output
    token = runner.invoke(args=["users", "token", "new.person@remedy.example"]).output.strip()
    body = app.test_client().get("/api/v1/providers", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [p["reference"] for p in body["items"]] == ["PRV-003"]


def test_rulebooks_list(runner):
    lines = runner.invoke(args=["rulebooks", "list"]).output.splitlines()
    ids = [line.split("\t")[0] for line in lines]
    assert sorted(ids) == ["cheshire-east-ech", "cornwall-leaving-care", "hammersmith-fulham-home-care",
                           "kent-ld-day-services", "thurrock-supported-living"]
    assert all("\t" in line for line in lines)


def test_scheduler_tick_prints_json_counts(runner):
    import json

    result = runner.invoke(args=["scheduler", "tick", "--now", "2027-01-07T09:00:00+00:00"])
    assert json.loads(result.output)["fired"] == 0
    again = runner.invoke(args=["scheduler", "tick", "--now", "2027-01-07T09:00:00+00:00"])
    assert json.loads(again.output)["fired"] == 0
    bad = runner.invoke(args=["scheduler", "tick", "--now", "2027-01-07T09:00:00"])
    assert bad.exit_code != 0 and "offset" in bad.output


def test_rulebooks_check_reports_ok_and_the_line_of_a_problem(runner, tmp_path):
    from pathlib import Path

    good = Path("rulebooks/thurrock-supported-living.toml")
    result = runner.invoke(args=["rulebooks", "check", str(good), "rulebooks/_template.toml"])
    assert result.exit_code == 0, result.output
    # The counts follow the rulebook (other entries are appended to it): read them from the parsed file.
    from workflows.rulebook import parse_rulebook

    book = parse_rulebook(good).monitoring
    assert book.returns and book.kpis and book.breaches
    assert f"{good}: ok ({len(book.returns)} returns, {len(book.kpis)} KPIs, {len(book.breaches)} breach rules)" \
        in result.output
    text = good.read_text().replace('cadence = "quarterly"', 'cadence = "weekly"', 1)
    bad = tmp_path / "thurrock-supported-living.toml"
    bad.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if 'cadence = "weekly"' in row)
    result = runner.invoke(args=["rulebooks", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}, line {line}: " in result.output and "cadence" in result.output
