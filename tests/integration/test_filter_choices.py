"""The lists' provider and contract filters are read at most once a minute by each worker (models/kept.py, issue 17):
a provider loaded by an administrator's command is in the filters within a minute, and a provider's own staff only
ever see their own organisation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import time_machine
from sqlalchemy import select


def _add_provider(app, name: str) -> None:
    from models import db
    from models.entities import Council, Provider

    with app.app_context():
        council_id = db.session.scalar(select(Council.id).order_by(Council.id))
        db.session.add(Provider(council_id=council_id, name=name, reference="PRV-NEW"))
        db.session.commit()


def test_a_new_provider_is_in_the_list_filters_within_a_minute(app, demo, login_as, monkeypatch):
    from models import kept

    clock = [1_000.0]
    monkeypatch.setattr(kept, "time", SimpleNamespace(time=lambda: clock[0]))
    manager = login_as("contract_manager")
    assert "Newbridge Care" not in manager.get("/cases").get_data(as_text=True)

    _add_provider(app, "Newbridge Care")
    clock[0] += kept.KEPT_SECONDS - 1
    assert "Newbridge Care" not in manager.get("/complaints").get_data(as_text=True)  # the choices read a moment ago
    clock[0] += 2
    page = manager.get("/cases").get_data(as_text=True)
    assert "Newbridge Care</option>" in page
    assert "Newbridge Care</option>" in manager.get("/deadlines").get_data(as_text=True)

    # A provider's staff are given their own organisation only, from choices kept apart from the council's.
    provider_page = login_as("provider_manager").get("/cases").get_data(as_text=True)
    provider_filter = provider_page.split('id="provider"')[1].split("</select>")[0]
    assert "Newbridge Care" not in provider_filter and provider_filter.count("<option") == 2  # "Any" and their own


def _period_options(page: str) -> list[str]:
    return re.findall(r"<option value=\"([^\"]+)\"", page.split('id="period"')[1].split("</select>")[0])


def test_a_return_period_that_opens_is_in_the_period_filter_within_a_minute(app, demo, login_as, monkeypatch):
    from models import kept

    clock = [1_000.0]
    monkeypatch.setattr(kept, "time", SimpleNamespace(time=lambda: clock[0]))
    with time_machine.travel(datetime(2026, 12, 30, 12, 0, tzinfo=UTC), tick=False):
        before = _period_options(login_as("contract_manager").get("/returns").get_data(as_text=True))
    with time_machine.travel(datetime(2027, 1, 4, 12, 0, tzinfo=UTC), tick=False):  # January's periods have opened
        manager = login_as("contract_manager")
        assert _period_options(manager.get("/returns").get_data(as_text=True)) == before  # read a moment ago
        clock[0] += kept.KEPT_SECONDS + 1
        after = _period_options(manager.get("/returns").get_data(as_text=True))
    assert before and set(before) < set(after), (before, after)


def _selected(page: str, name: str) -> list[tuple[str, str]]:
    select_html = page.split(f'id="{name}"')[1].split("</select>")[0]
    return re.findall(r'<option value="([^"]*)" selected>([^<]*)</option>', select_html)


def test_a_filter_not_among_the_choices_stays_selected_rather_than_reading_any(app, demo, login_as):
    """A link to a period that has no rows yet, or to a provider or contract the viewer cannot see, filters the list
    to nothing: the form says what it is filtered by, never "Any" over a filtered list."""
    manager = login_as("contract_manager")
    page = manager.get("/returns?period=2031-13").get_data(as_text=True)
    assert _selected(page, "period") == [("2031-13", "2031-13")]
    assert "0 returns" in page
    page = manager.get("/cases?provider=987654&contract=987655").get_data(as_text=True)
    assert _selected(page, "provider") == [("987654", "Not available to you")]
    assert _selected(page, "contract") == [("987655", "Not available to you")]
    assert "Clear search and filters" in page
    # A value among the choices is selected as itself, and nothing is added.
    page = manager.get("/cases").get_data(as_text=True)
    provider_id, name = re.findall(r'<option value="(\d+)">([^<]+)</option>',
                                   page.split('id="provider"')[1].split("</select>")[0])[0]
    page = manager.get(f"/cases?provider={provider_id}").get_data(as_text=True)
    assert _selected(page, "provider") == [(provider_id, name)]
    assert "Not available to you" not in page
