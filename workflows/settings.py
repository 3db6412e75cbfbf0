"""What a council sets on a contract where the contract itself is silent (A4 and issue 14), applied to its rulebook.

A setting is plain JSON on the contract (models/contract_settings_store.py writes it, on the audit trail):

- ``return_due``: {return id: {"working_days": N, "from": "YYYY-MM-DD"}}: when a return is due (A4). The seeds give
  no date for Cheshire East's 4-weekly and quarterly returns or Hammersmith & Fulham's monthly template and BCM
  return; until a council sets one, the return is "no due date set" and no lateness is counted. A setting applies to
  periods ending on or after its "from" date, so it never makes an earlier return late.
- ``deemed_receipt``: {"hand": N, "email": N, "post": N} working days; without it, the standard notices clause.
- ``complaint_clocks``: {"report_working_days": N, "draft_working_days": N}: the council's local complaint clocks
  for a contract whose rulebook has none (HF-74 and HF-78 are Hammersmith & Fulham's alone).

`apply_settings()` returns the rulebook the contract runs under; every value it adds says it is a council setting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from workflows.clock import ClockSpec
from workflows.errors import ValidationProblem
from workflows.rulebook import SERVICE_METHODS, Rulebook

COUNCIL = "council setting"
LOCAL_RULE = "Local setting"
SETTING_KEYS = ("return_due", "deemed_receipt", "complaint_clocks")


def apply_settings(book: Rulebook, settings: dict | None) -> Rulebook:
    """The rulebook with the contract's council settings applied (unchanged when there are none)."""
    if not settings:
        return book
    changes: dict = {}
    due = settings.get("return_due") or {}
    if due:
        returns = tuple(
            replace(spec, due_after_working_days=int(due[spec.id]["working_days"]), due_after_days=None,
                    due_on=None, due_from=date.fromisoformat(due[spec.id]["from"]), due_source=COUNCIL)
            if spec.id in due else spec for spec in book.monitoring.returns)
        changes["monitoring"] = replace(book.monitoring, returns=returns)
    receipt = settings.get("deemed_receipt")
    if receipt:
        changes["deemed_receipt"] = tuple(sorted((m, int(receipt[m])) for m in SERVICE_METHODS))
        changes["deemed_receipt_source"] = "the council's setting on the contract"
    clocks = settings.get("complaint_clocks")
    if clocks and not any(c.starts == "complaint_received" for c in book.clocks):
        changes["clocks"] = book.clocks + local_complaint_clocks(clocks)
    return replace(book, **changes) if changes else book


def local_complaint_clocks(values: dict) -> tuple[ClockSpec, ...]:
    """The council's own complaint clocks, labelled as local practice (not a contract's rule)."""
    out = []
    if values.get("report_working_days"):
        out.append(ClockSpec(kind="complaint_reported", label="Complaint reported to the council (council's local "
                             "setting)", rule=LOCAL_RULE, unit="working_days",
                             length=int(values["report_working_days"]), starts="complaint_received",
                             stops=("COMPLAINT_REPORTED",), acts="provider", on_breach="mark_overdue"))
    if values.get("draft_working_days"):
        for kind, starts in (("complaint_draft", "complaint_received"), ("complaint_passed_draft",
                                                                          "complaint_passed_on")):
            out.append(ClockSpec(kind=kind, label="Draft response to the council (council's local setting)",
                                 rule=LOCAL_RULE, unit="working_days", length=int(values["draft_working_days"]),
                                 starts=starts, stops=("COMPLAINT_DRAFT_SUBMITTED",), acts="provider",
                                 on_breach="mark_overdue"))
    return tuple(out)


def _whole(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationProblem(f"Enter {field} as a whole number from {low} to {high}", field)
    return value


def check_setting(book: Rulebook, key: str, value, today: date) -> dict | None:
    """A setting's value, checked (ValidationProblem naming the field), or None to clear it."""
    if key not in SETTING_KEYS:
        raise ValidationProblem(f"key must be one of {', '.join(SETTING_KEYS)}", "key")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationProblem("Give the setting's value as an object", "value")
    if key == "return_due":
        out = {}
        for return_id, due in value.items():
            spec = book.monitoring.return_spec(return_id)
            if spec is None:
                raise ValidationProblem(f"{return_id!r} is not one of this contract's returns", "value")
            if spec.has_deadline and spec.due_source != COUNCIL:
                raise ValidationProblem(f"The contract already gives the due date for {spec.name} "
                                        f"({spec.due_text()}): it cannot be set", "value")
            if not isinstance(due, dict):
                raise ValidationProblem("Give each return's due date as {\"working_days\": N}", "value")
            raw_from = due.get("from") or today.isoformat()
            try:
                start = date.fromisoformat(str(raw_from))
            except ValueError:
                raise ValidationProblem("Give 'from' as a date written YYYY-MM-DD", "from") from None
            out[return_id] = {"working_days": _whole(due.get("working_days"), "working_days", 0, 120),
                              "from": start.isoformat()}
        return out
    if key == "deemed_receipt":
        if set(value) != set(SERVICE_METHODS):
            raise ValidationProblem(f"Give working days for each of {', '.join(SERVICE_METHODS)}", "value")
        return {m: _whole(value[m], m, 0, 10) for m in SERVICE_METHODS}
    if any(c.starts == "complaint_received" for c in book.clocks):
        raise ValidationProblem("The contract gives its own complaint clocks: they cannot be replaced", "value")
    clocks: dict[str, int] = {}
    for field in ("report_working_days", "draft_working_days"):
        if value.get(field) is not None:
            clocks[field] = _whole(value[field], field, 1, 60)
    if not clocks:
        raise ValidationProblem("Give report_working_days, draft_working_days or both", "value")
    return clocks
