"""Browser tests: Debian's Chromium driven by Playwright against a live Remedy on 127.0.0.1, with axe-core."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's Chromium (never `playwright install`, which cannot download here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run 'apt-get install -y chromium' (make test does this as root)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


def closing(app):
    """The app with each response read whole and closed before the server writes it. werkzeug's development server
    closes a response only after it has drained the socket, and that read raises when the browser has reset the
    connection (it navigated on while a static file was sent), so the file was left open: a ResourceWarning that
    failed whichever browser test was running when the collector found it."""
    def serve(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()
    return serve


@pytest.fixture
def live_server(app, demo):
    """Remedy served on a free port of 127.0.0.1 in a thread, with the demo data loaded."""
    server = make_server("127.0.0.1", 0, closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def axe_check():
    """axe_check(page) -> fails on any WCAG 2.2 A/AA violation on the page as it stands."""
    source = AXE.read_text()

    def run(page) -> None:
        # evaluate() runs outside the page's CSP, so the policy stays on while axe is injected.
        page.evaluate(source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
        problems = [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'])})"
                    for v in result["violations"]]
        assert not problems, f"axe found accessibility problems on {page.url}:\n" + "\n".join(problems)

    return run


@pytest.fixture
def screenshot():
    """screenshot(page, name) -> saves a full-page PNG under tests/browser/screenshots (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        # REMEDY_README_SCREENSHOTS=1 refreshes the README's pictures from a real run.
        if os.environ.get("REMEDY_README_SCREENSHOTS") == "1":
            target = ROOT / "docs" / "screenshots"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / path.name)
        return path

    return take


@pytest.fixture
def console_errors(page):
    """Console errors (a CSP violation shows up here) collected while the test runs."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
