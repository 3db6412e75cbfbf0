"""Thurrock's soft outcomes (issue 15, item 5; rules.md TH-S01 to TH-S09, TH-21) as a rulebook reads them.

Appendix 1 "vi" lists nine soft outcomes with no figures or targets; the Contract Compliance Team checks them
"Annually" from records, interviews and other evidence (seed 003 §8.6: "collected via services reviews on an annual
basis (minimum)"). The seed gives no rating scale: its indicators say what "an excellent service would" show and
what "a good provider could evidence", so the rulebook's `[soft_outcomes] scale` is an interpretation, in order:
not evidenced, partly evidenced, evidenced (good), excellent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RULE = re.compile(r"^[A-Z]{1,3}-[A-Z]?\d{2,3}$")
_SCALE_ID = re.compile(r"^[a-z][a-z_]{1,30}$")


class SoftOutcomeError(ValueError):
    """A [soft_outcomes] table that does not make sense, with its line."""

    def __init__(self, line: int | None, problem: str):
        super().__init__(problem)
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class SoftOutcomes:
    """The annual soft-outcome check a contract requires: its rule, how often, the outcomes and the rating scale."""

    rule: str
    every_months: int
    outcomes: tuple[tuple[str, str], ...]  # (rule id, name): ("TH-S01", "Financial Support")
    scale: tuple[tuple[str, str], ...]  # (value, label), lowest first

    def outcome_name(self, ident: str) -> str:
        """An outcome's name by its rule id."""
        return dict(self.outcomes).get(ident, ident)

    def scale_label(self, value: str | None) -> str:
        """A rating's words."""
        return dict(self.scale).get(value or "", "Not rated")


def parse_soft_outcomes(text: str, data: dict) -> SoftOutcomes | None:
    """Read a rulebook's [soft_outcomes] table (None when it has none), each problem reported with its line."""
    raw = data.get("soft_outcomes")
    if raw is None:
        return None
    lines = text.splitlines()
    top = next((n for n, line in enumerate(lines, start=1) if line.strip() == "[soft_outcomes]"), None)

    def line_of(key: str) -> int | None:
        for number in range((top or 0) + 1, len(lines) + 1):
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[number - 1]):
                return number
        return top

    def bad(problem: str, key: str | None = None) -> SoftOutcomeError:
        return SoftOutcomeError(line_of(key) if key else top, f"[soft_outcomes]: {problem}")

    if not isinstance(raw, dict):
        raise bad("must be a table")
    if not isinstance(raw.get("rule"), str) or not _RULE.match(raw["rule"]):
        raise bad("'rule' must be a rule id from shared/domain/rules.md, like TH-21", "rule")
    every = raw.get("every_months")
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= 24:
        raise bad("'every_months' must be a whole number from 1 to 24", "every_months")
    outcomes = raw.get("outcomes")
    if (not isinstance(outcomes, list) or not outcomes
            or not all(isinstance(o, list) and len(o) == 2 and all(isinstance(x, str) and x.strip() for x in o)
                       and _RULE.match(o[0]) for o in outcomes)):
        raise bad("'outcomes' must list [rule id, name] pairs, like [\"TH-S01\", \"Financial Support\"]", "outcomes")
    if len({o[0] for o in outcomes}) != len(outcomes):
        raise bad("each outcome's rule id must be listed once", "outcomes")
    scale = raw.get("scale")
    if (not isinstance(scale, list) or len(scale) < 2
            or not all(isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) and _SCALE_ID.match(s[0])
                       and isinstance(s[1], str) and s[1].strip() for s in scale)
            or len({s[0] for s in scale}) != len(scale)):
        raise bad("'scale' must list at least two [value, label] pairs, lowest first, like [\"evidenced\", "
                  "\"Evidenced\"]", "scale")
    unknown = sorted(set(raw) - {"rule", "every_months", "outcomes", "scale", "seed_line"})
    if unknown:
        raise bad(f"unknown key {unknown[0]!r}", unknown[0])
    return SoftOutcomes(rule=raw["rule"], every_months=every, outcomes=tuple((o[0], o[1].strip()) for o in outcomes),
                        scale=tuple((s[0], s[1].strip()) for s in scale))
