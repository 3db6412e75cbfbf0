"""GOV.UK components drawn once per distinct set of parameters (web/components.py)."""

from __future__ import annotations

import re

from markupsafe import Markup

from web.components import ComponentCache


def test_a_component_is_drawn_by_the_govuk_macro_and_kept(app):
    components = app.extensions["remedy_components"]
    with app.app_context():
        first = components("govukTag", {"text": "Overdue", "classes": "govuk-tag--red"})
        assert '<strong class="govuk-tag govuk-tag--red">' in first and "Overdue" in first
        assert components("govukTag", {"text": "Overdue", "classes": "govuk-tag--red"}) is first  # same parameters
        assert components("govukTag", {"text": "Met", "classes": "govuk-tag--green"}) is not first


def test_text_is_escaped_and_html_is_not_even_when_the_characters_match(app):
    components = app.extensions["remedy_components"]
    with app.app_context():
        as_text = components("govukInsetText", {"text": "<b>late</b>"})
        as_html = components("govukInsetText", {"text": Markup("<b>late</b>")})
    assert "&lt;b&gt;late&lt;/b&gt;" in as_text
    assert "<b>late</b>" in as_html


def test_the_store_is_bounded_and_drops_the_least_recently_used(app):
    components = ComponentCache(app, max_entries=2)
    with app.app_context():
        a = components("govukTag", {"text": "A"})
        components("govukTag", {"text": "B"})
        assert components("govukTag", {"text": "A"}) is a  # A is now the most recently used
        components("govukTag", {"text": "C"})  # drops B
        assert len(components.entries) == 2
        assert components("govukTag", {"text": "A"}) is a
        assert components("govukTag", {"text": "B"}) is not None and len(components.entries) == 2


def test_only_govuk_components_are_drawn(app):
    components = app.extensions["remedy_components"]
    with app.app_context():
        try:
            components("remedyThing", {})
        except ValueError as exc:
            assert "not a GOV.UK Frontend component" in str(exc)
        else:
            raise AssertionError("a name outside GOV.UK Frontend was drawn")


def test_the_sign_out_form_keeps_its_own_csrf_token_in_the_cached_navigation(login_as):
    browser = login_as("contract_manager")
    first = browser.get("/cases").get_data(as_text=True)
    assert "<!-- remedy:sign-out -->" not in first
    assert 'action="/sign-out"' in first and 'name="csrf_token"' in first
    assert 'aria-current="true"' in first  # the cached bar still marks the page you are on


def test_remembered_addresses_are_the_ones_url_for_builds(app):
    from flask import url_for

    from web.components import AddressCache

    addresses = AddressCache(max_entries=2)
    with app.test_request_context("/"):
        assert addresses("cases.show_case", case_id=7) == url_for("cases.show_case", case_id=7) == "/cases/7"
        assert addresses("cases.show_case", case_id=8) == "/cases/8"
        assert addresses("cases.list_cases_page", page=2, state="notice") == "/cases?page=2&state=notice"
        assert len(addresses.entries) <= 2  # bounded
        assert addresses("deadlines.show_deadline", deadline_id=3, _external=True).startswith("http://")
    with app.test_request_context("/", base_url="http://example.test/remedy"):
        assert addresses("cases.show_case", case_id=7) == "/remedy/cases/7"  # mounted elsewhere: its own address


def test_times_read_the_govuk_way():
    from datetime import UTC, datetime

    from web.filters import govuk_datetime

    assert govuk_datetime(datetime(2026, 12, 18, 14, 5, tzinfo=UTC)) == "18 December 2026 at 2:05pm"
    assert govuk_datetime(datetime(2026, 12, 18, 0, 0, tzinfo=UTC)) == "18 December 2026 at midnight"
    assert govuk_datetime(datetime(2026, 6, 18, 11, 0, tzinfo=UTC)) == "18 June 2026 at midday"  # BST


def test_the_menu_marks_the_item_that_gathers_the_page_you_are_on(login_as):
    """Concerns is the current item on the complaints list and on a safeguarding page (the pages it gathers);
    Cases on the case list; nothing is current on the notifications page, which is in the account bar."""
    browser = login_as("contract_manager")

    def current(path: str) -> list[str]:
        html = browser.get(path).get_data(as_text=True)
        return re.findall(r'<a class="govuk-service-navigation__link" href="([^"]+)" aria-current="true"', html)

    assert current("/complaints") == current("/safeguarding") == ["/concerns"]
    assert current("/cases") == ["/cases"]
    assert current("/notifications") == []
