"""A leaving-care contract's per-young-person numbers, as its rulebook's [leaving_care] table gives them (Cornwall,
seed 002 section 3 and 4; rules.md CW-08, CW-10, CW-14, CW-16, A27, A30).

```toml
[leaving_care]
allocate_by_age_months = 189      # CW-14: a personal adviser by 15 years 9 months
allocate_within_working_days = 7  # CW-14: or within 7 working days of a later referral
review_months = 6                 # CW-16: pathway plan reviewed within 6 months, then every 6 months (A30)
contact_months = 2                # CW-10: "bi monthly" read as every two calendar months (A27)
caseload_lower = 25               # CW-08: "a maximum of 25 - 30 per full time equivalent"
caseload_cap = 30
```

Only a contract whose rulebook has the table keeps leaving-care records. Standard library only: the rulebook parser
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

_KEYS = {"allocate_by_age_months": (120, 300), "allocate_within_working_days": (1, 60), "review_months": (1, 24),
         "contact_months": (1, 12), "caseload_lower": (1, 200), "caseload_cap": (1, 200)}


@dataclass(frozen=True)
class LeavingCareRules:
    """The numbers a leaving-care contract sets for each young person and each personal adviser."""

    allocate_by_age_months: int
    allocate_within_working_days: int
    review_months: int
    contact_months: int
    caseload_lower: int
    caseload_cap: int

    @property
    def allocation_age_text(self) -> str:
        """'15 years and 9 months'."""
        years, months = divmod(self.allocate_by_age_months, 12)
        return f"{years} years" + (f" and {months} months" if months else "")


class LeavingCareError(ValueError):
    """A [leaving_care] table that does not make sense, with the key at fault."""

    def __init__(self, key: str | None, problem: str):
        super().__init__(problem)
        self.key, self.problem = key, problem


def parse_leaving_care(raw) -> LeavingCareRules | None:
    """Read the [leaving_care] table (None when the rulebook has none); every key is required and a whole number."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise LeavingCareError(None, "'leaving_care' must be a table")
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise LeavingCareError(unknown[0], f"[leaving_care] has no key {unknown[0]!r} (it has {', '.join(_KEYS)})")
    values = {}
    for key, (low, high) in _KEYS.items():
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise LeavingCareError(key, f"[leaving_care] '{key}' must be a whole number from {low} to {high}")
        values[key] = value
    if values["caseload_lower"] > values["caseload_cap"]:
        raise LeavingCareError("caseload_lower", "[leaving_care] 'caseload_lower' cannot be above 'caseload_cap'")
    return LeavingCareRules(**values)
