"""The app's Jinja environment (web/templating.py): template globals keep chaining to the environment's, and a
macro import sees what it saw before, with the keys compared as a dict's."""

from __future__ import annotations

import jinja2
from flask import Flask

from web.templating import Environment


def _app() -> Flask:
    app = Flask(__name__)
    app.jinja_environment = Environment  # type: ignore[assignment]
    app.jinja_loader = jinja2.DictLoader({
        "macros.html": "{% macro hello(name) %}{{ greeting }}, {{ name }}{{ mark }}{% endmacro %}",
        "page.html": '{% from "macros.html" import hello with context %}{% from "macros.html" import hello as h %}'
                     "{{ hello(who) }} / {{ h(who) }}",
    })
    return app


def test_globals_chain_and_their_keys_are_every_maps():
    app = _app()
    app.jinja_env.globals["greeting"] = "Hello"
    template = app.jinja_env.get_template("page.html")
    app.jinja_env.globals["mark"] = "!"  # added after the template was loaded: still seen, as with a ChainMap
    assert {"greeting", "mark", "url_for"} <= set(template.globals.keys())
    assert template.globals["mark"] == "!" and "mark" in template.globals
    with app.test_request_context():
        assert template.render(who="Sam") == "Hello, Sam! / Hello, Sam!"


def test_a_templates_own_globals_stay_its_own():
    app = _app()
    own = app.jinja_env.get_template("page.html", globals={"greeting": "Hi"})
    assert own.globals["greeting"] == "Hi" and "greeting" not in app.jinja_env.globals
    assert list(own.globals.keys()).count("greeting") == 1


def test_select_options_marks_the_chosen_value_the_same_whether_drawn_afresh_or_from_the_drawn_copy():
    """web/filters.select_options: a tuple of choices (the lists' kept filter choices) is drawn once and the chosen
    option marked in a copy; a list is drawn each time. Both give the same HTML, escaped, with one option selected."""
    from web.filters import select_options

    pairs = ((1, "Brightwater <Care>"), (12, "Tamar & Co"), (2, "Riverside"))
    for chosen, selected in (("", '<option value="" selected>Any</option>'),
                             (12, '<option value="12" selected>Tamar &amp; Co</option>'),
                             ("1", '<option value="1" selected>Brightwater &lt;Care&gt;</option>'),
                             ("99", None)):
        drawn = str(select_options(pairs, chosen, ("", "Any")))
        assert drawn == str(select_options(list(pairs), chosen, ("", "Any")))
        assert drawn.count(" selected") == (1 if selected else 0)
        assert selected is None or selected in drawn
    assert str(select_options(pairs, "", ("", "Any"))) == str(select_options(pairs, "", ("", "Any")))  # again
    periods = ("2026-27 Q2", "2026-27 Q1")
    assert str(select_options(periods, "2026-27 Q1")) == (
        '<option value="2026-27 Q2">2026-27 Q2</option><option value="2026-27 Q1" selected>2026-27 Q1</option>')
    assert 'value="x" selected' in str(select_options((("x", ["a", "list"]),), "x"))  # unhashable: drawn afresh


def test_a_deadlines_status_and_days_left_in_words():
    """web/filters.deadline_status and days_left (functions, not macros: the deadlines page calls them once a row):
    words always beside the tag's colour, and working days left only while the clock counts."""
    from web.filters import days_left, deadline_status

    assert str(deadline_status("running")) == '<strong class="govuk-tag govuk-tag--blue">Clock running</strong>'
    assert str(deadline_status("breached")) == '<strong class="govuk-tag govuk-tag--red">Overdue</strong>'
    assert str(deadline_status("on_hold<")) == '<strong class="govuk-tag govuk-tag--grey">On hold&lt;</strong>'
    assert [days_left(n, status) for n, status in ((3, "met"), (0, "breached"), (-1, "running"), (-4, "breached"),
                                                   (0, "running"), (1, "paused"), (7, "running"))] == [
        "Not counting", "Overdue", "Overdue by 1 working day", "Overdue by 4 working days", "Due today",
        "1 working day left", "7 working days left"]


def test_the_deadlines_pages_rows_escape_what_people_typed_and_say_who_acts():
    """web/filters.deadline_table_rows: one table row a deadline, its words escaped (a label, a rule, a record's
    name and its link), its status a tag with words, and the working days left in words."""
    from datetime import date
    from types import SimpleNamespace

    from web.filters import deadline_table_rows

    deadline = SimpleNamespace(id=41, due_on=date(2026, 12, 24), label="Plan <due>", rule="CE-34 & KT-19",
                               acts="provider")
    row = SimpleNamespace(deadline=deadline, status="running", left=2, subject='Case "A" & B',
                          link="/cases/7?x=<1>")
    late = SimpleNamespace(deadline=SimpleNamespace(**{**vars(deadline), "acts": "council"}), status="breached",
                           left=-3, subject="Case B", link="/cases/8")
    drawn = str(deadline_table_rows([row, late], "/deadlines"))
    assert drawn.count('<tr class="govuk-table__row">') == 2 and drawn.count("</tr>") == 2
    assert ('<td class="govuk-table__cell">Thursday 24 December 2026<br>'
            '<span class="govuk-body-s">2 working days left</span></td>') in drawn
    assert '<a class="govuk-link" href="/deadlines/41">Plan &lt;due&gt;</a>' in drawn
    assert '<span class="govuk-body-s">CE-34 &amp; KT-19</span>' in drawn
    assert '<a class="govuk-link" href="/cases/7?x=&lt;1&gt;">Case &#34;A&#34; &amp; B</a>' in drawn
    assert drawn.index(">Provider<") < drawn.index(">Council<")
    assert "Overdue by 3 working days" in drawn and "govuk-tag--red" in drawn and "govuk-tag--blue" in drawn
    assert "<due>" not in drawn and str(deadline_table_rows([], "/deadlines")) == ""
