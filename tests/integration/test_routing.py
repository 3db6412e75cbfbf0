"""Address builders compiled once a process (web/routing.py): every rule of the app builds the same address as a
plain Werkzeug rule would, with and without values it does not name, and apps made in turn share the builders."""

from __future__ import annotations

from werkzeug.routing import Map
from werkzeug.routing import Rule as WerkzeugRule

from web.routing import Rule

# A value of each converter's kind: a text one with a space and a slash, so quoting is compared too.
SAMPLE = {"IntegerConverter": 7, "RecordIdConverter": 7, "UnicodeConverter": "a b/c", "PathConverter": "x/y z",
          "AnyConverter": None}


def _values(rule) -> dict:
    values = {}
    for name, converter in rule._converters.items():
        sample = SAMPLE[type(converter).__name__]
        values[name] = sorted(converter.items)[0] if sample is None else sample  # an `any` takes one of its own words
    return values


def test_every_rule_builds_the_address_werkzeug_builds(app):
    rules = list(app.url_map.iter_rules())
    plain = [WerkzeugRule(rule.rule, endpoint=rule.endpoint, defaults=rule.defaults, methods=rule.methods)
             for rule in rules]
    Map(plain, converters=dict(app.url_map.converters))  # binds and compiles each the way Werkzeug does
    assert len(rules) > 200 and all(isinstance(rule, Rule) for rule in rules)
    assert any(rule.defaults for rule in rules)  # the letters' and the API's collections: compiled for themselves
    for ours, theirs in zip(rules, plain, strict=True):
        values = _values(ours)
        for extra in ({}, {"page": 2, "q": "care & support"}):
            built = ours.build({**values, **extra})
            assert built == theirs.build({**values, **extra}), ours
            assert ("?" in built[1]) == bool(extra), ours
            assert ours.build({**values, **extra}, append_unknown=False) == theirs.build(
                {**values, **extra}, append_unknown=False), ours


def test_apps_made_in_turn_share_the_compiled_builders(app, second_worker):
    first = {rule.rule: rule for rule in app.url_map.iter_rules()}
    second = {rule.rule: rule for rule in second_worker.url_map.iter_rules()}
    shared = [path for path in first if not first[path].defaults]
    assert shared and shared == [path for path in second if not second[path].defaults]
    for path in shared:
        assert first[path]._build.__func__ is second[path]._build.__func__
        assert first[path]._build_unknown.__func__ is second[path]._build_unknown.__func__
        assert first[path]._build.__self__ is first[path]  # each bound to its own rule and its converters
    with second_worker.test_request_context("/"):
        from flask import url_for

        assert url_for("cases.show_case", case_id=41) == "/cases/41"
        assert url_for("cases.show_case", case_id=41, view="all") == "/cases/41?view=all"


def test_a_rule_with_defaults_is_compiled_for_itself():
    first = Rule("/letters/", endpoint="letters", defaults={"number": 1})
    urls = Map([first, Rule("/letters/<int:number>", endpoint="letters")]).bind("remedy.test")
    assert first._build.__func__ not in Rule._builders.values()
    assert urls.build("letters", {"number": 1}) == "/letters/"
    assert urls.build("letters", {"number": 3}) == "/letters/3"
    assert urls.build("letters", {"number": 3, "page": 2}) == "/letters/3?page=2"
