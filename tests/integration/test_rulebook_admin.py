"""Rulebooks for administrators: the plain-English pages and `flask rulebooks check`."""

from pathlib import Path

from tests.conftest import assert_page

ROOT = Path(__file__).resolve().parents[2]


def test_admin_sees_every_rulebook(login_as):
    html = assert_page(login_as("admin").get("/admin/rulebooks"), "Contract rulebooks")
    for title in ("Cheshire East", "Kent", "Cornwall", "Thurrock", "Hammersmith"):
        assert title in html
    assert "/admin/rulebooks/kent-ld-day-services" in html


def test_a_rulebook_in_plain_english(login_as):
    html = assert_page(login_as("admin").get("/admin/rulebooks/hammersmith-fulham-home-care"),
                       "Hammersmith &amp; Fulham: Home Care and Independent Living")
    assert "Contract monitoring template return (monthly)" in html
    assert "no due date set: set it on the contract (the contract states none, A4)" in html  # A4
    assert "at least 85%" in html
    assert "If any of BCM 3, BCM 4, BCM 7 or BCM 8 misses its target (Red) in 2 consecutive periods" in html
    assert "propose a Default Notice" in html and "(HF-B04, HF-B05, HF-B08, HF-B09, HF-43, A38)" in html


def test_kent_bands_and_ce_fixed_dates_are_shown(login_as):
    admin = login_as("admin")
    kent = admin.get("/admin/rulebooks/kent-ld-day-services").get_data(as_text=True)
    assert "Red &lt;85%, Amber 85-95%, Green &gt;95%" in kent
    assert "breaches in the first contract year are advisory" in kent
    ce = admin.get("/admin/rulebooks/cheshire-east-ech").get_data(as_text=True)
    assert "by 30 April after the period ends" in ce


def test_rulebook_pages_are_for_administrators(login_as):
    assert login_as("contract_manager").get("/admin/rulebooks").status_code == 403
    assert login_as("admin").get("/admin/rulebooks/no-such-contract").status_code == 404


def test_rulebooks_check(app, tmp_path):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["rulebooks", "check", str(ROOT / "rulebooks" / "thurrock-supported-living.toml")])
    assert good.exit_code == 0
    from workflows.rulebook import parse_rulebook

    book = parse_rulebook(ROOT / "rulebooks" / "thurrock-supported-living.toml").monitoring  # entries get appended
    assert good.output.endswith(f"thurrock-supported-living.toml: ok ({len(book.returns)} returns, {len(book.kpis)} "
                                f"KPIs, {len(book.breaches)} breach rules)\n")
    bad = tmp_path / "thurrock-supported-living.toml"
    bad.write_text((ROOT / "rulebooks" / "thurrock-supported-living.toml").read_text().replace(
        'shape = "next-period"', 'shape = "twice"'))
    result = runner.invoke(args=["rulebooks", "check", str(bad)])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), start=1) if 'shape = "twice"' in text)
    assert f"thurrock-supported-living.toml, line {line}: [[breaches]] 'still-not-met': 'shape' must be one of" in (
        result.output)
