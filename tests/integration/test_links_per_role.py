"""ux #12: a link is drawn only when the person may follow it. Read-only and safeguarding roles walk the site from
their home page, following every link on every page they reach, and none answers 403 (or fails)."""

from __future__ import annotations

import re
from collections import deque

import pytest
import time_machine

from tests.integration.test_work_queues import NOW, seed

SKIP = re.compile(r"^/(static|assets|sign-out|sign-in)|format=csv|\.(pdf|csv|xlsx|ics)$|/calendar/feed/")


def walk(browser, start: str = "/", limit: int = 250) -> dict[str, int]:
    """Breadth-first over the site's own links: {path: status} for every page reached (up to `limit`)."""
    seen: dict[str, int] = {}
    queue = deque([start])
    templates: dict[str, int] = {}
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = browser.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for href in re.findall(r'<a [^>]*href="([^"#]+)', response.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            if not href.startswith("/") or SKIP.search(href) or href in seen:
                continue
            # Pages of one shape (every case, every page of a list) are sampled, not all walked.
            shape = re.sub(r"\d+", "N", href.split("?")[0]) + ("?" if "?" in href else "")
            if templates.get(shape, 0) >= 3:
                continue
            templates[shape] = templates.get(shape, 0) + 1
            queue.append(href)
    return seen


@pytest.mark.parametrize("role", ["council_viewer", "safeguarding_officer", "provider_user"])
def test_every_link_a_role_is_shown_opens_for_it(app, demo, login_as, role):
    with time_machine.travel(NOW, tick=False):
        seed(app, demo, 2)
        statuses = walk(login_as(role))
    refused = {url: status for url, status in statuses.items() if status in (403, 500)}
    assert not refused, refused
    assert len(statuses) > 20  # the walk reached the site, not just the home page
