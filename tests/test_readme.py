"""The README stays true: it opens with the two commands, and the Makefile has them."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    head = readme[:1500]
    assert "make run" in head and "make test" in head
    assert "Running in production" in readme and "--no-control-socket" in readme


def test_makefile_has_the_commands():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run:", "test:", "assets:", "bench:"):
        assert f"\n{target}" in makefile


def test_ci_calls_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_screenshot_exists():
    readme = (ROOT / "README.md").read_text()
    assert "docs/screenshots/dashboard.png" in readme
    assert (ROOT / "docs" / "screenshots" / "dashboard.png").stat().st_size > 10_000
