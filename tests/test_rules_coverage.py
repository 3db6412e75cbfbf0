"""docs/rules-coverage.md is what `python tools/rules_coverage.py` writes now, and the generator counts honestly: a
rules marker only on an API test, a rulebook comment is no implementation, grouped catalogue rows count once."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STALE = "docs/rules-coverage.md is stale: run 'python tools/rules_coverage.py' and commit it (and tests/rule_ids.py)"


def generator():
    if "rules_coverage" not in sys.modules:
        spec = importlib.util.spec_from_file_location("rules_coverage", ROOT / "tools" / "rules_coverage.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["rules_coverage"] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules["rules_coverage"]


CATALOGUE = """
| ID | KPI | Target |
|---|---|---|
| KT-K01 (**S1**) | % of **packages** refused | R>25 |
| KT-I04 to I06 (INFO I1 to I3) | Lot 2 mix | monitor |
| TH-K11 | Service User Satisfaction | 87% |
| CE-08 | Managers attend reviews | — |
| CE-46 | Inspection reports within **2 working days** of request | 2 WD |
"""


def test_the_committed_document_is_what_the_generator_writes_now(tmp_path):
    rc = generator()
    rules, _ = rc.load_rules(rc.catalogue_path(None))
    rows, problems = rc.coverage(ROOT, rules)

    assert problems == []
    assert (ROOT / "docs" / "rules-coverage.md").read_text(encoding="utf-8") == rc.document(rows), STALE


def test_the_committed_id_list_is_the_catalogues():
    rc = generator()
    committed = rc.committed_rules()
    path = rc.catalogue_path(None)
    if path.is_file():  # beside the checkout; on CI only the committed list is there
        assert rc.ids_module(rc.parse_catalogue(path.read_text(encoding="utf-8"))) == rc.IDS_FILE.read_text(
            encoding="utf-8"), STALE
    assert len(committed) == 334 and committed[0].id == "CE-K01" and committed[-1].id == "HF-87"
    assert [r.id for r in committed].count("TH-S01") == 1


def test_grouped_rows_count_once_and_the_soft_outcomes_follow_kpi_11():
    rc = generator()

    rules = rc.parse_catalogue(CATALOGUE)

    assert [r.id for r in rules] == ["KT-K01", "KT-I04", "TH-K11", "TH-S01", "CE-08", "CE-46"]
    assert rules[0].title == "(S1) % of packages refused"
    assert rules[1].members == ("KT-I04", "KT-I05", "KT-I06") and len(rules[3].members) == 9


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_only_api_tests_count_and_a_rulebook_comment_is_no_implementation(tmp_path):
    rc = generator()
    rules = rc.parse_catalogue(CATALOGUE)
    for folder in ("workflows", "models", "scheduler"):
        (tmp_path / folder).mkdir()
    write(tmp_path, "rulebooks/a.toml", '# CE-46 is not built yet\n[[requests]]\nrule = "KT-I05"  # KT-K01\n')
    write(tmp_path, "tests/integration/test_a.py", '''
import pytest

@pytest.mark.rules("CE-46")
def test_marked(api):
    pass

def test_a_kti05_by_name(api):
    pass

def test_kt_k01_by_name(api):
    pass

def test_by_docstring(api):
    """The provider refuses (KT-K01)."""

def test_a_ce46_page(client):
    """A page, not the API: CE-46 is not claimed."""
''')

    rows, problems = rc.coverage(tmp_path, rules)
    found = {r.rule.id: (r.cited_in, [t.split("::")[1] for t in r.api_tests]) for r in rows}

    assert problems == []
    assert found["CE-46"] == ([], ["test_marked"])  # the comment in the rulebook is not an implementation
    assert found["KT-I04"] == (["rulebooks/a.toml"], ["test_a_kti05_by_name"])  # KT-I05 belongs to the group
    assert found["KT-K01"] == ([], ["test_by_docstring", "test_kt_k01_by_name"])
    text = rc.document(rows)
    assert "| KT-I04 | to I06 (INFO I1 to I3) Lot 2 mix | **both** | rulebooks/a.toml |" in text
    assert "| CE-08 | Managers attend reviews | n/a |" in text


def test_a_rules_marker_off_the_api_and_an_unknown_id_are_refused(tmp_path):
    rc = generator()
    rules = rc.parse_catalogue(CATALOGUE)
    write(tmp_path, "tests/integration/test_b.py", '''
import pytest

@pytest.mark.rules("CE-46")
def test_a_page(client):
    pass

@pytest.mark.rules("CE-99")
def test_a_typo(api):
    pass

@pytest.mark.rules(*IDS)
def test_computed(api):
    pass
''')

    _, problems = rc.api_tests(tmp_path, rules)

    assert problems == [
        "tests/integration/test_b.py::test_a_page: a rules marker on a test that does not take the api or api_token "
        "fixture",
        "tests/integration/test_b.py::test_a_typo: CE-99 is not a rule id of the catalogue",
        "tests/integration/test_b.py::test_computed: write the rules marker's ids as strings, not computed"]


def test_the_command_writes_the_document_from_the_committed_ids_when_the_catalogue_is_absent(tmp_path, capsys):
    rc = generator()
    before = rc.IDS_FILE.read_text(encoding="utf-8")

    assert rc.main([str(tmp_path / "absent.md"), "--output", str(tmp_path / "out.md")]) == 0

    assert (tmp_path / "out.md").read_text(encoding="utf-8") == (ROOT / "docs" / "rules-coverage.md").read_text(
        encoding="utf-8")
    assert rc.IDS_FILE.read_text(encoding="utf-8") == before
    assert "implemented and tested through the API" in capsys.readouterr().out
