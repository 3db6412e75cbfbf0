"""What a council sets on a contract where the contract itself is silent (A4 and issue 14), applied to its rulebook.

A setting is plain JSON on the contract (models/contract_settings_store.py writes it, on the audit trail):

- ``return_due``: {return id: {"working_days": N, "from": "YYYY-MM-DD"}}: when a return is due (A4). The seeds give
  no date for Cheshire East's 4-weekly and quarterly returns or Hammersmith & Fulham's monthly template and BCM
  return; until a council sets one, the return is "no due date set" and no lateness is counted. A setting applies to
  periods ending on or after its "from" date, so it never makes an earlier return late.
- ``deemed_receipt``: {"hand": N, "email": N, "post": N} working days; without it, the standard notices clause.
- ``complaint_clocks``: {"report_working_days": N, "draft_working_days": N}: the council's local complaint clocks
  for a contract whose rulebook has none (HF-74 and HF-78 are Hammersmith & Fulham's alone).
- ``kpi_targets``: {KPI id: [{"from": "YYYY-MM-DD", "target": N} or {"from": ..., "bands": {"red": "<85%", "amber":
  "85-95%", "green": ">95%"}}, ...]}: a target or bands changed from a date forward, as agreed at a performance
  review (KT-04, CW-25, A62, TH-18). Checked like a rulebook's [[kpis.from]] (workflows/monitoring.py read_version)
  and merged with them; `kpi_in_force()` judges each period by the version in force on the day it starts. A change
  takes effect from today or a later date: an entry that has already applied cannot be added, changed or removed,
  so past periods keep the target that applied then.

`apply_settings()` returns the rulebook the contract runs under; every value it adds says it is a council setting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from workflows.clock import ClockSpec
from workflows.errors import ValidationProblem
from workflows.monitoring import TargetProblem, merge_versions, out_of_order, read_version
from workflows.rulebook import SERVICE_METHODS, Rulebook

COUNCIL = "council setting"
LOCAL_RULE = "Local setting"
SETTING_KEYS = ("return_due", "deemed_receipt", "complaint_clocks", "kpi_targets", "retention")
_TARGET_KEYS = {"from", "target", "disputed_target", "bands"}


def apply_settings(book: Rulebook, settings: dict | None) -> Rulebook:
    """The rulebook with the contract's council settings applied (unchanged when there are none)."""
    if not settings:
        return book
    changes: dict = {}
    monitoring = book.monitoring
    due = settings.get("return_due") or {}
    if due:
        returns = tuple(
            replace(spec, due_after_working_days=int(due[spec.id]["working_days"]), due_after_days=None,
                    due_on=None, due_from=date.fromisoformat(due[spec.id]["from"]), due_source=COUNCIL)
            if spec.id in due else spec for spec in monitoring.returns)
        monitoring = replace(monitoring, returns=returns)
    targets = settings.get("kpi_targets") or {}
    if targets:
        monitoring = replace(monitoring, kpis=tuple(
            replace(kpi, versions=merge_versions(kpi.versions, council_versions(kpi, targets[kpi.id])))
            if kpi.id in targets else kpi for kpi in monitoring.kpis))
    if monitoring is not book.monitoring:
        changes["monitoring"] = monitoring
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


def council_versions(kpi, entries: list[dict]) -> tuple:
    """The council's dated targets for a KPI (KT-04, A62), as TargetVersions labelled "council setting"."""
    return tuple(read_version(entry, date.fromisoformat(entry["from"]), kpi, source=COUNCIL) for entry in entries)


def _check_targets(book: Rulebook, value, before: dict | None, today: date) -> dict | None:
    """kpi_targets, checked: each KPI's dated targets in date order, and nothing that has already applied changed."""
    out: dict[str, list[dict]] = {}
    for kpi_id, entries in (value or {}).items():
        kpi = book.monitoring.kpi(kpi_id)
        if kpi is None:
            raise ValidationProblem(f"{kpi_id!r} is not one of this contract's KPIs", "value")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValidationProblem(f"Give {kpi_id}'s targets as a list of {{\"from\": \"YYYY-MM-DD\", \"target\": N}}",
                                    "value")
        checked = []
        for entry in entries:
            unknown = sorted(set(entry) - _TARGET_KEYS)
            if unknown:
                raise ValidationProblem(f"{kpi_id}: unknown key {unknown[0]!r} (allowed: "
                                        f"{', '.join(sorted(_TARGET_KEYS))})", "value")
            try:
                start = date.fromisoformat(str(entry.get("from") or ""))
            except ValueError:
                raise ValidationProblem(f"{kpi_id}: give 'from' as a date written YYYY-MM-DD", "from") from None
            try:
                read_version(entry, start, kpi)
            except TargetProblem as problem:
                raise ValidationProblem(f"{kpi_id}, from {start.isoformat()}: {problem.problem}", "value") from None
            checked.append({"from": start.isoformat(), **{k: entry[k] for k in ("target", "disputed_target", "bands")
                                                          if entry.get(k) is not None}})
        wrong = out_of_order([date.fromisoformat(e["from"]) for e in checked])
        if wrong is not None:
            raise ValidationProblem(f"{kpi_id}: give the targets in date order, each after the one before "
                                    f"({checked[wrong]['from']} does not come after {checked[wrong - 1]['from']})",
                                    "value")
        if checked:
            out[kpi_id] = checked
    # Past periods keep the target that applied then: what has already applied (from before today) stays as it was.
    for kpi_id in sorted(set(out) | set(before or {})):
        now_past = [e for e in out.get(kpi_id, []) if e["from"] < today.isoformat()]
        was_past = [e for e in (before or {}).get(kpi_id, []) if e["from"] < today.isoformat()]
        if now_past != was_past:
            changed = next((e for e in now_past if e not in was_past), None) or next(
                e for e in was_past if e not in now_past)
            raise ValidationProblem(f"{kpi_id}: the target from {changed['from']} has already applied, so it cannot be "
                                    "added, changed or removed: a target changes from today or a later date, and "
                                    "past periods keep the target that applied then", "from")
    return out or None


def _whole(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationProblem(f"Enter {field} as a whole number from {low} to {high}", field)
    return value


def check_setting(book: Rulebook, key: str, value, today: date, before: dict | None = None) -> dict | None:
    """A setting's value, checked (ValidationProblem naming the field), or None to clear it (`before`: the value it
    replaces, so kpi_targets can keep what has already applied)."""
    if key not in SETTING_KEYS:
        raise ValidationProblem(f"key must be one of {', '.join(SETTING_KEYS)}", "key")
    if key == "kpi_targets":
        if value is not None and not isinstance(value, dict):
            raise ValidationProblem("Give the setting's value as an object", "value")
        return _check_targets(book, value, before, today)
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
    if key == "retention":
        # Issue 15: how long people's records are kept after their service ends (UK GDPR storage limitation);
        # `flask people retention` erases them after it (models/people_store.apply_retention).
        return {"months": _whole(value.get("months"), "months", 1, 1200)}
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
