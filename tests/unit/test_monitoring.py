"""Rulebook format 2: KPIs, returns and breach rules load from the five seeds and bad files name the line."""

import re
from datetime import date
from pathlib import Path

import pytest

from workflows.monitoring import TargetVersion, kpi_in_force, merge_versions
from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook

ROOT = Path(__file__).resolve().parents[2]
BOOKS = load_rulebooks(ROOT / "rulebooks")
PREFIX = {"cheshire-east-ech": "CE", "kent-ld-day-services": "KT", "cornwall-leaving-care": "CW",
          "thurrock-supported-living": "TH", "hammersmith-fulham-home-care": "HF"}


def test_every_seed_rulebook_lists_its_kpis_returns_and_rules():
    counts = {b.id: (len(b.monitoring.returns), len(b.monitoring.kpis), len(b.monitoring.breaches))
              for b in BOOKS.values()}
    assert counts["cheshire-east-ech"][1] == 16 + 3  # CE-K01 to K15, the CE-C03 non-delivery count, 3 ECM counts
    assert counts["kent-ld-day-services"][1] == 21 + 16  # 21 KPIs and 16 INFO indicators
    assert counts["cornwall-leaving-care"][1] == 24 + 3  # plus CW-04, CW-19 and CW-17
    assert counts["thurrock-supported-living"][1] == 11 + 5  # plus TH-25, TH-04, TH-07, TH-10 and TH-06
    assert counts["hammersmith-fulham-home-care"][2] >= 10
    assert all(r and k and b for r, k, b in counts.values())


@pytest.mark.parametrize("book_id", sorted(PREFIX))
def test_every_entry_cites_a_rule_of_its_own_seed(book_id):
    book = BOOKS[book_id]
    entries = [*book.monitoring.returns, *book.monitoring.kpis, *book.monitoring.breaches]
    for entry in entries:
        assert re.match(rf"^{PREFIX[book_id]}-", entry.rule), entry


def test_a_copied_version_1_rulebook_still_loads(tmp_path):
    path = tmp_path / "old-contract.toml"
    path.write_text('[rulebook]\nformat = 1\nid = "old-contract"\ntitle = "T"\ncouncil = "C"\nseed = "000"\n'
                    'service = "S"\nregion = "england-and-wales"\n')
    assert parse_rulebook(path).monitoring.kpis == ()


HEAD = ('[rulebook]\nformat = 2\nid = "x-council"\ntitle = "T"\ncouncil = "C"\nseed = "000"\nservice = "S"\n'
        'region = "england-and-wales"\n[rungs]\naction_plan = "Plan"\n')
RETURN = '[[returns]]\nid = "q"\nname = "Quarterly"\nrule = "TH-21"\ncadence = "quarterly"\n'
KPI = ('[[kpis]]\nid = "KPI 1"\nrule = "TH-K03"\nname = "Goals"\nnumerator = "x"\ndenominator = "y"\n'
       'unit = "percent"\ntarget = 95\nfrequency = "quarterly"\nreturn = "q"\nconsequence = "c"\nsource = "s"\n')


def problem(tmp_path, text):
    path = tmp_path / "x-council.toml"
    path.write_text(text)
    with pytest.raises(RulebookError) as info:
        parse_rulebook(path)
    return str(info.value)


def line_of(text, needle):
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_kpis_need_format_2(tmp_path):
    text = HEAD.replace("format = 2", "format = 1") + RETURN
    assert problem(tmp_path, text) == f"x-council.toml, line {line_of(text, '[[returns]]')}: [returns] needs " \
                                      "format = 2 in [rulebook]"


@pytest.mark.parametrize(("change", "needle", "message"), [
    (('cadence = "quarterly"\n', 'cadence = "weekly"\n'), 'cadence = "weekly"',
     "[[returns]] 'q': 'cadence' must be one of 4-weekly, monthly, quarterly, six-monthly, annual, not 'weekly'"),
    (('return = "q"', 'return = "monthly"'), 'return = "monthly"',
     "[[kpis]] 'KPI 1': 'return' 'monthly' is not one of the [[returns]] ids (q)"),
    (('frequency = "quarterly"\nreturn', 'frequency = "annual"\nreturn'), 'frequency = "annual"',
     "[[kpis]] 'KPI 1': 'frequency' 'annual' differs from the cadence of return 'q'"),
    (("target = 95\n", "target = 195\n"), "target = 195", "a percentage target must be from 0 to 100"),
    (('rule = "TH-K03"', 'rule = "KPI 3"'), 'rule = "KPI 3"', "'rule' must cite rules.md ids"),
    (("target = 95\n", 'target = 95\nformula = "import os"\n'), "formula", "is not valid arithmetic"),
    (("target = 95\n", 'target = 95\nformula = "x / z"\n'), "formula", "uses 'z'"),
    (("target = 95\n", 'target = 95\nlots = ["9"]\n'), "lots", "lot '9' is not one of the rulebook's lots"),
    (("target = 95\n", 'bands = { red = ">85%", amber = "85-95%", green = ">95%" }\n'), "bands",
     "'direction' is 'higher' but the red band '>85%' means lower is better"),
    (("target = 95\n", 'bands = { red = "<80%", amber = "85-95%", green = ">95%" }\n'), "bands",
     "the amber band '85-95%' does not start where red '<80%' ends"),
    (("target = 95\n", "colour = 95\n"), "colour", "unknown key 'colour'"),
])
def test_a_bad_entry_names_its_line(tmp_path, change, needle, message):
    text = (HEAD + RETURN + KPI).replace(*change)
    found = problem(tmp_path, text)
    assert found.startswith(f"x-council.toml, line {line_of(text, needle)}: "), found
    assert message in found


def rule(extra):
    return ('[[breaches]]\nid = "r"\nrule = "TH-20"\nshape = "consecutive"\nkpis = ["KPI 1"]\nperiods = 2\n'
            'says = "s"\n' + extra)


@pytest.mark.parametrize(("extra", "needle", "message"), [
    ('actions = ["default"]\n', "actions", "action 'default' needs the 'default_notice' rung"),
    ('actions = ["fine"]\n', "actions", "action 'fine' must be one of concern, case, notice"),
    ('actions = ["action-plan"]\nwindows = [{ at_least = 2, months = 3 }]\n', "windows",
     "only a 'rolling' rule has 'windows'"),
    ('actions = ["action-plan"]\nreturns = ["q"]\n', 'returns = ["q"]', "only a 'late-returns' rule has 'returns'"),
])
def test_a_bad_breach_rule_names_its_line(tmp_path, extra, needle, message):
    text = HEAD + RETURN + KPI + rule(extra)
    found = problem(tmp_path, text)
    assert found.startswith(f"x-council.toml, line {line_of(text, needle)}: [[breaches]] 'r': "), found
    assert message in found


def test_a_rolling_rule_counts_only_declared_events(tmp_path):
    text = HEAD + RETURN + KPI + ('[[breaches]]\nid = "r"\nrule = "CE-C04"\nshape = "rolling"\nevent = "delay"\n'
                                  'windows = [{ at_least = 2, months = 3 }]\nsays = "s"\nactions = ["case"]\n')
    assert "event 'delay' is not listed in [monitoring] events" in problem(tmp_path, text)


def test_a_duplicate_kpi_id_is_refused(tmp_path):
    text = HEAD + RETURN + KPI + KPI
    assert "[[kpis]] id 'KPI 1' is used twice" in problem(tmp_path, text)


# --- RAG and values ---------------------------------------------------------------------------------------------------

def kent(kpi_id):
    return BOOKS["kent-ld-day-services"].monitoring.kpi(kpi_id)


@pytest.mark.parametrize(("kpi_id", "value", "rag"), [
    ("S3", 84.9, "red"), ("S3", 85.0, "amber"), ("S3", 95.0, "amber"), ("S3", 95.04, "amber"), ("S3", 95.1, "green"),
    ("S4c", 99.5, "amber"), ("S4c", 99.96, "green"), ("S4c", 100.0, "green"),  # A19: one decimal place
    ("S1", 9.9, "green"), ("S1", 10.0, "amber"), ("S1", 25.0, "amber"), ("S1", 25.1, "red"),  # lower is better
    ("I4", 30.0, "red"),  # A18: configured lower is better
])
def test_kent_bands_follow_a19(kpi_id, value, rag):
    assert kent(kpi_id).rag(value) == rag


def test_kent_s2_computes_the_undisputed_share():
    # A17: 10 disputed of 100 invoices is 90% on time and undisputed, Amber.
    assert kent("S2").value(10, 100) == 90.0
    assert kent("S2").rag(90.0) == "amber"


def test_a_disputed_target_shows_amber_between_the_two_figures():
    k03 = BOOKS["cheshire-east-ech"].monitoring.kpi("CE-K03")
    assert [k03.rag(v) for v in (84.9, 85.0, 89.9, 90.0)] == ["red", "amber", "amber", "green"]


def test_thurrock_length_of_stay_is_a_ceiling_in_years():
    kpi = BOOKS["thurrock-supported-living"].monitoring.kpi("KPI 2")
    assert kpi.value(832, 8) == 2.0  # 832 weeks over 8 people is 2 years: met, exactly at target
    assert kpi.rag(2.0) == "green" and kpi.rag(2.1) == "red"
    assert kpi.value(10, 0) is None  # nobody supported: no value, not a crash


def test_monitor_only_indicators_have_no_rag():
    assert kent("INFO W1").rag(12.0) is None
    assert kent("INFO W1").target_text() == "Monitor only"


def test_every_rule_reads_as_a_sentence():
    for book in BOOKS.values():
        names = {r.id: r.name for r in book.monitoring.returns}
        for rule_ in book.monitoring.breaches:
            text = rule_.describe(names)
            assert text.startswith("If ") and f"({rule_.rule})" in text


# --- targets that change over time (KT-04, CW-25, A62, TH-18) ---------------------------------------------------------

FROM = ('[[kpis.from]]\non = 2027-04-01\ntarget = 90\nrule = "TH-18"\n'
        '[[kpis.from]]\non = 2028-04-01\nbands = { red = "<80%", amber = "80-90%", green = ">90%" }\n')


def dated_kpi(tmp_path, versions=FROM):
    path = tmp_path / "x-council.toml"
    path.write_text(HEAD + RETURN + KPI + versions)
    return parse_rulebook(path).monitoring.kpi("KPI 1")


def test_a_kpi_loads_its_dated_targets_in_order(tmp_path):
    kpi = dated_kpi(tmp_path)
    assert [(v.on, v.target, v.rule) for v in kpi.versions] == [(date(2027, 4, 1), 90.0, "TH-18"),
                                                                 (date(2028, 4, 1), None, "")]
    assert kpi.versions[1].bands.red_limit == 80.0
    assert kpi.target == 95.0  # the KPI's own target applies before the first date
    assert kpi.versions_text() == ("from 1 April 2027: at least 90%; "
                                   "from 1 April 2028: Red <80%, Amber 80-90%, Green >90%")


@pytest.mark.parametrize(("start", "target", "at_85", "at_92"), [
    (date(2027, 1, 1), "at least 95%", "red", "red"),  # Q4 2026-27 starts before the change: the KPI's own target
    (date(2027, 3, 31), "at least 95%", "red", "red"),
    (date(2027, 4, 1), "at least 90% (from 1 April 2027)", "red", "green"),  # a period starting that day takes it
    (date(2027, 7, 1), "at least 90% (from 1 April 2027)", "red", "green"),
    (date(2028, 4, 1), "Red <80%, Amber 80-90%, Green >90% (from 1 April 2028)", "amber", "green"),
    (date(2031, 1, 1), "Red <80%, Amber 80-90%, Green >90% (from 1 April 2028)", "amber", "green"),
])
def test_the_target_in_force_is_the_one_on_the_day_the_period_starts(tmp_path, start, target, at_85, at_92):
    judged = kpi_in_force(dated_kpi(tmp_path), start)
    assert (judged.target_text(), judged.rag(85.0), judged.rag(92.0)) == (target, at_85, at_92)


def test_a_period_under_way_when_the_target_changes_keeps_the_old_one(tmp_path):
    # A 4-weekly period from 18 March to 14 April 2027 started before the 1 April change: judged at 95% (CW-25:
    # targets are set for the forthcoming year, never for a period already being worked).
    assert kpi_in_force(dated_kpi(tmp_path), date(2027, 3, 18)).target == 95.0
    assert kpi_in_force(dated_kpi(tmp_path), date(2027, 4, 15)).target == 90.0


def test_the_councils_dated_target_replaces_the_rulebooks_on_the_same_day(tmp_path):
    kpi = dated_kpi(tmp_path)
    council = (TargetVersion(on=date(2027, 4, 1), target=92.0, source="council setting"),
               TargetVersion(on=date(2027, 10, 1), target=93.0, source="council setting"))
    merged = merge_versions(kpi.versions, council)
    assert [(v.on, v.target, v.source) for v in merged] == [
        (date(2027, 4, 1), 92.0, "council setting"), (date(2027, 10, 1), 93.0, "council setting"),
        (date(2028, 4, 1), None, "")]


@pytest.mark.parametrize(("versions", "needle", "message"), [
    (FROM.replace("2028-04-01", "2027-04-01"), "on = 2027-04-01\nbands",
     "[[kpis.from]] entry 2: dates must be in order, each after the one before: 2027-04-01 does not come after "
     "2027-04-01"),
    (FROM.replace("2028-04-01", "2026-04-01"), "on = 2026-04-01", "2026-04-01 does not come after 2027-04-01"),
    (FROM.replace("on = 2027-04-01", 'on = "2027-04-01"'), 'on = "2027-04-01"',
     "[[kpis.from]] entry 1: 'on' must be a date written 2027-04-01 (no quotes)"),
    (FROM.replace("on = 2027-04-01", "on = 2027-04-01T09:00:00"), "on = 2027-04-01T09",
     "'on' must be a date written 2027-04-01"),
    (FROM.replace("target = 90", "target = 190"), "target = 190", "a percentage target must be from 0 to 100"),
    (FROM.replace("target = 90", "target = 90\nbands = { red = \"<80%\", amber = \"80-90%\", green = \">90%\" }"),
     "target = 90", "give either 'target' or 'bands', not both"),
    (FROM.replace('red = "<80%"', 'red = ">80%"'), 'red = ">80%"', "the red band '>80%' means lower is better"),
    (FROM.replace("target = 90\n", ""), "[[kpis.from]]", "a dated target needs a 'target' or 'bands'"),
    (FROM.replace('rule = "TH-18"', "colour = 1"), "colour = 1", "unknown key 'colour'"),
    (FROM.replace('rule = "TH-18"', 'rule = "review"'), 'rule = "review"', "'rule' must cite rules.md ids"),
    (FROM.replace("target = 90", "disputed_target = 92"), "disputed_target = 92",
     "'disputed_target' needs a 'target' (A2)"),
])
def test_a_bad_dated_target_names_its_line(tmp_path, versions, needle, message):
    text = HEAD + RETURN + KPI + versions
    found = problem(tmp_path, text)
    line = text[:text.index(needle)].count("\n") + 1  # the needle's first line
    assert found.startswith(f"x-council.toml, line {line}: [[kpis]] 'KPI 1' "), found
    assert message in found


def test_an_inline_dated_target_is_reported_on_its_line(tmp_path):
    text = HEAD + RETURN + KPI.replace("target = 95\n", "target = 95\nfrom = [{ on = 2027-04-01, target = 101 }]\n")
    assert problem(tmp_path, text) == (f"x-council.toml, line {line_of(text, 'from = [')}: [[kpis]] 'KPI 1' "
                                       "[[kpis.from]] entry 1: a percentage target must be from 0 to 100")


def test_a_monitor_only_kpi_has_no_target_to_change(tmp_path):
    text = HEAD + RETURN + KPI.replace("target = 95\n", "monitor_only = true\n") + FROM
    assert "a monitor-only KPI or a rating has no target to change" in problem(tmp_path, text)
