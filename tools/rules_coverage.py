"""Write docs/rules-coverage.md: for every rule id in the catalogue (shared/domain/rules.md), is it implemented and is
it tested through the API?

    python tools/rules_coverage.py [RULES_MD] [--output docs/rules-coverage.md]

The catalogue is read from RULES_MD, else $REMEDY_RULES, else ../shared/domain/rules.md beside the checkout. Where it
is read, the committed id list tests/rule_ids.py is rewritten from it too; where it is absent (CI), that committed
list is used instead, so the document is the same either way.

Method (the same one the document states at its top):
* Rules: one per catalogue table row ("KT-I04 to I06" is one rule, as the catalogue writes it) plus the Thurrock soft
  outcomes TH-S01...S09 as one, as reviews/rules-coverage.md counts them.
* Manual by design / n/a: the rules reviews/rules-coverage.md section 3 marks so (a judgement a person records, or a
  delivery standard with no monitoring mechanism). They are counted apart and left out of the percentages.
* Implemented: the rule id is cited in the implementation: any text of workflows/, models/, scheduler/ (*.py), or a
  value (not a comment) in a rulebook (rulebooks/*.toml, not the template).
* Tested through the API: a test under tests/integration that takes the `api` fixture (every request it makes goes
  through /api/v1) or the `api_token` fixture (it calls /api/v1 with a bearer token, and may also look at the pages)
  and names the rule in a `@pytest.mark.rules("CE-46", ...)` marker, in its docstring, or in its name
  (`test_a_ce46_request...`, `test_kt_04_...`). A rules marker on a test without either fixture is an error.
The files are read, never imported or run: the document says which test claims a rule, not that the test passed.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "rules-coverage.md"
IDS_FILE = ROOT / "tests" / "rule_ids.py"
COMMAND = "python tools/rules_coverage.py"

SEEDS = {
    "CE": "Seed 000: Cheshire East, Extra Care Housing",
    "KT": "Seed 001: Kent, LD day services",
    "CW": "Seed 002: Cornwall, leaving care",
    "TH": "Seed 003: Thurrock, supported accommodation",
    "HF": "Seed 004: Hammersmith & Fulham, home care",
}
PREFIX = "|".join(SEEDS)

# reviews/rules-coverage.md section 3: a judgement a person records on a case; no rule can fire it.
MANUAL = frozenset({"CE-C05", "CE-C06", "CE-54", "HF-M07"})
# reviews/rules-coverage.md section 3: a service-delivery standard with no monitoring mechanism in the seed.
NOT_APPLICABLE = frozenset({
    "CE-08", "CE-09", "CE-62", "KT-02", "KT-09", "CW-01", "CW-03", "CW-06", "CW-12", "CW-18", "CW-20",
    "TH-01", "TH-02", "TH-03", "TH-05", "TH-08", "TH-23",
    "HF-07", "HF-10", "HF-12", "HF-33", "HF-44", "HF-49", "HF-55",
})
SOFT_OUTCOMES = ("TH-S01", "Soft outcomes TH-S01 to S09: checked annually by the Contract Compliance Team")
IMPLEMENTATION = ("workflows", "models", "scheduler")
SHOWN = 3  # tests named per rule in the table; the rest are counted


@dataclass(frozen=True)
class Rule:
    """One catalogue row: its id, a one-line title, and every id the row stands for."""

    id: str
    title: str

    @property
    def seed(self) -> str:
        return self.id[:2]

    @property
    def members(self) -> tuple[str, ...]:
        """'KT-I04 to I06' stands for KT-I04, KT-I05 and KT-I06; TH-S01 for the nine soft outcomes."""
        if self.id == SOFT_OUTCOMES[0]:
            return tuple(f"TH-S{n:02d}" for n in range(1, 10))
        return tuple(GROUPS.get(self.id, (self.id,)))


# Grouped catalogue rows (rules.md 1.2.2) and the ids they stand for.
GROUPS = {
    "KT-I04": ("KT-I04", "KT-I05", "KT-I06"),
    "KT-I07": ("KT-I07", "KT-I08"),
    "KT-I09": tuple(f"KT-I{n:02d}" for n in range(9, 15)),
    "KT-I15": ("KT-I15", "KT-I16"),
}


@dataclass
class Coverage:
    """What the code and the API tests say about one rule."""

    rule: Rule
    cited_in: list[str] = field(default_factory=list)
    api_tests: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.rule.id in MANUAL:
            return "manual"
        if self.rule.id in NOT_APPLICABLE:
            return "n/a"
        return "rule"


def _plain(text: str) -> str:
    text = re.sub(r"\*\*|`", "", text).strip()
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= 95 else text[:92].rstrip(" ,;:.") + "..."


def parse_catalogue(text: str) -> list[Rule]:
    """Every rule row of rules.md section 1, in catalogue order, with the soft outcomes after TH-K11."""
    rules: list[Rule] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        found = re.match(rf"^({PREFIX})-([A-Z]?\d+)\b", cells[0]) if len(cells) > 2 else None
        if not found:
            continue
        rest = cells[0][len(found.group(0)):].strip()  # 'to I06 (INFO I1 to I3)', or the seed's own code '(S1)'
        title = f"{rest} {cells[1]}" if rest else cells[1]
        rules.append(Rule(found.group(0), _plain(title)))
        if found.group(0) == "TH-K11":
            rules.append(Rule(*SOFT_OUTCOMES))
    if len({r.id for r in rules}) != len(rules):
        raise SystemExit("rules.md lists a rule id twice")
    return rules


def committed_rules() -> list[Rule]:
    """The id list committed beside the tests (tests/rule_ids.py), for when the catalogue is not beside the checkout."""
    tree = ast.parse(IDS_FILE.read_text(encoding="utf-8"), str(IDS_FILE))
    value = next(n.value for n in tree.body if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "RULES" for t in n.targets))
    return [Rule(i, t) for i, t in ast.literal_eval(value)]  # read as data, never run


def ids_module(rules: list[Rule]) -> str:
    lines = ['"""The rule ids of shared/domain/rules.md and a one-line title each, in catalogue order.',
             "",
             f"Generated by `{COMMAND}` from the catalogue when it is beside the checkout; do not edit by hand.",
             '"""', "", "RULES = ["]
    lines += [f"    ({r.id!r}, {r.title!r})," for r in rules]
    lines += ["]", ""]
    return "\n".join(lines)


def _pattern(ids: Iterable[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9-])(" + "|".join(re.escape(i) for i in ids) + r")(?![A-Za-z0-9])")


def citations(root: Path, rules: list[Rule]) -> dict[str, list[str]]:
    """Rule id -> the implementation files citing it (rulebook comments do not count: a value must name it)."""
    owner = {m: r.id for r in rules for m in r.members}
    pattern = _pattern(owner)
    cited: dict[str, set[str]] = {}
    files = [p for d in IMPLEMENTATION for p in sorted((root / d).rglob("*.py"))]
    files += [p for p in sorted((root / "rulebooks").glob("*.toml")) if not p.name.startswith("_")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            text = "\n".join(_toml_values(line) for line in text.splitlines())
        for found in pattern.findall(text):
            cited.setdefault(owner[found], set()).add(path.relative_to(root).as_posix())
    return {k: sorted(v) for k, v in cited.items()}


def _toml_values(line: str) -> str:
    """A TOML line without its comment (a '#' inside a quoted string is kept)."""
    quote = None
    for i, char in enumerate(line):
        if char in "\"'" and quote in (None, char):
            quote = None if quote else char
        elif char == "#" and quote is None:
            return line[:i]
    return line


def _name_ids(name: str) -> set[str]:
    """'test_a_ce46_request' and 'test_kt_04_an_admin' name CE-46 and KT-04 (the id between underscores)."""
    return {f"{m.group(1).upper()}-{m.group(2).upper()}"
            for m in re.finditer(rf"(?:^|_)({PREFIX.lower()})_?([a-z]?\d{{2}})(?=_|$)", name)}


def _marker_ids(decorators: list[ast.expr]) -> list[str] | None:
    ids: list[str] | None = None
    for node in decorators:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rules"
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "mark"):
            ids = (ids or []) + [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else ""
                                 for a in node.args]  # "" reports a computed argument: only literals are read
    return ids


def api_tests(root: Path, rules: list[Rule]) -> tuple[dict[str, list[str]], list[str]]:
    """Rule id -> the API tests claiming it, and the problems found (a rules marker off an API test, an unknown id)."""
    owner = {m: r.id for r in rules for m in r.members}
    pattern = _pattern(owner)
    claimed: dict[str, set[str]] = {}
    problems: list[str] = []
    for path in sorted((root / "tests" / "integration").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(root).as_posix()
        module_marks = [n.value for n in tree.body if isinstance(n, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)]
        module_ids = _marker_ids([m for v in module_marks for m in (v.elts if isinstance(v, ast.List) else [v])])
        for node in ast.walk(tree):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            marked = _marker_ids(node.decorator_list)
            uses_api = bool({"api", "api_token"} & {a.arg for a in node.args.args})
            test = f"{where}::{node.name}"
            if (marked is not None or module_ids is not None) and not uses_api:
                problems.append(f"{test}: a rules marker on a test that does not take the api or api_token fixture")
                continue
            if not uses_api:
                continue
            ids = set(marked or []) | set(module_ids or [])
            unknown = sorted(i for i in ids if i not in owner)
            problems += [f"{test}: {i} is not a rule id of the catalogue" if i else
                         f"{test}: write the rules marker's ids as strings, not computed" for i in unknown]
            ids = {owner[i] for i in ids if i in owner}
            ids |= {owner[i] for i in pattern.findall(ast.get_docstring(node) or "")}
            ids |= {owner[i] for i in _name_ids(node.name) if i in owner}
            for rule_id in ids:
                claimed.setdefault(rule_id, set()).add(test)
    return {k: sorted(v) for k, v in claimed.items()}, problems


def coverage(root: Path, rules: list[Rule]) -> tuple[list[Coverage], list[str]]:
    cited = citations(root, rules)
    tested, problems = api_tests(root, rules)
    return [Coverage(r, cited.get(r.id, []), tested.get(r.id, [])) for r in rules], problems


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def document(rows: list[Coverage]) -> str:
    """The markdown of docs/rules-coverage.md."""
    out = ["# Rules coverage: the catalogue against the code and the API tests", "",
           f"Generated by `{COMMAND}`; do not edit by hand (the lead regenerates it after merging branches; "
           "tests/test_rules_coverage.py fails when it is stale).", "",
           "How each column is decided (read from the files; nothing is run):", "",
           "* **Rules**: one per row of shared/domain/rules.md section 1 (a grouped row such as 'KT-I04 to I06' is "
           "one), plus Thurrock's soft outcomes TH-S01 to S09 as one, as reviews/rules-coverage.md counts them.",
           "* **Manual by design** and **n/a** (a delivery standard with no monitoring mechanism): as "
           "reviews/rules-coverage.md section 3 marks them. They are counted apart and left out of the percentages.",
           "* **Implemented**: the rule id is cited in workflows/, models/ or scheduler/, or in a rulebook value "
           "(rulebooks/*.toml; a comment does not count).",
           "* **Tested through the API**: a test in tests/integration that takes the `api` (or `api_token`) fixture "
           "names the rule in "
           "a `@pytest.mark.rules(...)` marker, its docstring or its name (`test_a_ce46_...`, `test_kt_04_...`).",
           "* **Both**: implemented and tested through the API; **%** is of the rules left after manual and n/a.",
           "* A citation and a test say that the rule is carried and exercised, not that every part of it is: "
           "reviews/rules-coverage.md gives the verdicts (ok, partial, wrong).",
           "", "| Seed | Rules | Manual by design | n/a | Counted | Implemented | Tested through the API | Both | % |",
           "|---|---|---|---|---|---|---|---|---|"]
    totals = [0] * 7
    for seed, name in SEEDS.items():
        mine = [r for r in rows if r.rule.seed == seed]
        counted = [r for r in mine if r.kind == "rule"]
        figures = [len(mine), sum(r.kind == "manual" for r in mine), sum(r.kind == "n/a" for r in mine),
                   len(counted), sum(bool(r.cited_in) for r in counted), sum(bool(r.api_tests) for r in counted),
                   sum(bool(r.cited_in and r.api_tests) for r in counted)]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        out.append(f"| {name} | " + " | ".join(map(str, figures)) + f" | {_percent(figures[6], figures[3])} |")
    out.append("| **All five** | " + " | ".join(f"**{n}**" for n in totals)
               + f" | **{_percent(totals[6], totals[3])}** |")
    for seed, name in SEEDS.items():
        out += ["", f"## {name}", "", "| Rule | Title | Status | Implemented in | Tested through the API |",
                "|---|---|---|---|---|"]
        for row in (r for r in rows if r.rule.seed == seed):
            if row.kind != "rule":
                status = "manual by design" if row.kind == "manual" else "n/a"
            else:
                status = {(True, True): "**both**", (True, False): "implemented, no API test",
                          (False, True): "API test, not cited in code", (False, False): "missing"}[
                    (bool(row.cited_in), bool(row.api_tests))]
            tests = [t.removeprefix("tests/integration/") for t in row.api_tests[:SHOWN]]
            if len(row.api_tests) > SHOWN:
                tests.append(f"and {len(row.api_tests) - SHOWN} more")
            cells = [row.rule.id, row.rule.title.replace("|", "/"), status,
                     ", ".join(row.cited_in) or "-", "<br>".join(tests) or "-"]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def catalogue_path(argument: str | None) -> Path:
    return Path(argument or os.environ.get("REMEDY_RULES") or ROOT.parent / "shared" / "domain" / "rules.md")


def load_rules(path: Path) -> tuple[list[Rule], bool]:
    """The catalogue's rules when it is there (and True), else the committed list (and False)."""
    if path.is_file():
        return parse_catalogue(path.read_text(encoding="utf-8")), True
    return committed_rules(), False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rules_md", nargs="?",
                        help="the catalogue (default: $REMEDY_RULES, else ../shared/domain/rules.md)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    path = catalogue_path(args.rules_md)
    rules, from_catalogue = load_rules(path)
    if from_catalogue:
        IDS_FILE.write_text(ids_module(rules), encoding="utf-8")
    rows, problems = coverage(ROOT, rules)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(document(rows), encoding="utf-8")
    source = path if from_catalogue else IDS_FILE.relative_to(ROOT)
    print(f"{args.output} written from {source}")
    for seed, name in SEEDS.items():
        counted = [r for r in rows if r.rule.seed == seed and r.kind == "rule"]
        both = sum(bool(r.cited_in and r.api_tests) for r in counted)
        share = _percent(both, len(counted))
        print(f"{name}: {both} of {len(counted)} implemented and tested through the API ({share})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
