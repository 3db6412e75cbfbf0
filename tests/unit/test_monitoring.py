"""Rulebook format 2: KPIs, returns and breach rules load from the five seeds and bad files name the line."""

import re
from pathlib import Path

import pytest

from workflows.rulebook import RulebookError, load_rulebooks, parse_rulebook

ROOT = Path(__file__).resolve().parents[2]
BOOKS = load_rulebooks(ROOT / "rulebooks")
PREFIX = {"cheshire-east-ech": "CE", "kent-ld-day-services": "KT", "cornwall-leaving-care": "CW",
          "thurrock-supported-living": "TH", "hammersmith-fulham-home-care": "HF"}


def test_every_seed_rulebook_lists_its_kpis_returns_and_rules():
    counts = {b.id: (len(b.monitoring.returns), len(b.monitoring.kpis), len(b.monitoring.breaches))
              for b in BOOKS.values()}
    assert counts["cheshire-east-ech"][1] == 16  # CE-K01 to K15 plus the CE-C03 non-delivery count
    assert counts["kent-ld-day-services"][1] == 21 + 16  # 21 KPIs and 16 INFO indicators
    assert counts["cornwall-leaving-care"][1] == 24
    assert counts["thurrock-supported-living"][1] == 11
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
