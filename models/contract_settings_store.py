"""Council settings on a contract (workflows/settings.py): reading them into the contract's rulebook, changing them
with a reason on the audit trail, and bringing the contract's open return periods up to date with a new due date.
Functions flush; callers commit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from models import db
from models.audit_store import events_for, record_event
from models.calendar_store import working_calendar
from models.entities import Contract, User
from models.monitoring import MonitoringReturn
from models.provider_store import get_contract
from models.rulebook_store import rulebook_for, rulebooks
from workflows.access import ROLE_PERMISSIONS, Permission, Viewer
from workflows.errors import ValidationProblem
from workflows.machine import TransitionNotAllowed
from workflows.returns import ReturnState, due_date
from workflows.rulebook import Rulebook
from workflows.settings import check_setting


def change_setting(viewer: Viewer, actor: User, contract_key: int | str, key: str, value, reason: str,
                   today: date, now: datetime) -> Contract:
    """Set (or clear, with value None) one council setting on a contract, with the reason on the audit trail; a new
    due date is applied at once to the contract's return periods ending on or after its start date."""
    contract = get_contract(viewer, contract_key)  # another provider's contract is not there at all (404)
    if Permission.MANAGE_CONTRACT_SETTINGS not in ROLE_PERMISSIONS[viewer.role]:
        raise TransitionNotAllowed("Only an administrator can change a contract's council settings", forbidden=True)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationProblem("Enter why the setting is changed", "reason")
    regime = rulebooks()[contract.rulebook_id]
    settings = dict(contract.settings or {})
    before = settings.get(key)
    checked = check_setting(regime, key, value, today, before)
    if checked is None:
        settings.pop(key, None)
    else:
        settings[key] = checked
    contract.settings = settings or None
    db.session.flush()
    record_event(council_id=contract.council_id, actor=actor, entity_type="contract", entity_id=contract.id,
                 event_name="CONTRACT_SETTING_CHANGED", at=now, reason=reason,
                 data={"key": key, "before": before, "after": checked})
    if key == "return_due":
        _refresh_due_dates(contract, rulebook_for(contract))
    return contract


def setting_changes(viewer: Viewer, contract: Contract) -> list:
    """The audit trail of the contract's council settings, oldest first: who changed what, when and why (council
    staff only; a provider sees the settings, not the council's reasons)."""
    if viewer.is_provider:
        return []
    return [e for e in events_for(contract.council_id, "contract", contract.id)
            if e.event == "CONTRACT_SETTING_CHANGED"]


def _refresh_due_dates(contract: Contract, book: Rulebook) -> None:
    """Return periods not yet submitted take the due date the settings now give (or lose it, when cleared)."""
    calendar = working_calendar(contract.council_id, book.region)
    specs = {s.id: s for s in book.monitoring.returns}
    for row in db.session.scalars(select(MonitoringReturn).where(MonitoringReturn.contract_id == contract.id,
                                                                 MonitoringReturn.state == ReturnState.DUE)):
        spec = specs.get(row.return_id)
        if spec is None:
            continue
        due, why = due_date(spec, row.period_end, calendar)
        row.due_on, row.due_explanation = due, list(why)


def contract_source(rule: str, seed: str, lines: list[int | None]) -> str:
    """Where a contract-given value comes from: "the contract, seed line N" when the rulebook cites the seed line (its
    `seed_line`), otherwise the rule and seed it was written from."""
    known = sorted({n for n in lines if n})
    if lines and all(lines):
        which = f"seed line {known[0]}" if len(known) == 1 else "seed lines " + ", ".join(str(n) for n in known)
        return f"the contract, {which} ({rule}, seed {seed})"
    return f"the contract ({rule}, seed {seed})"


def settings_rows(contract: Contract, book: Rulebook, regime: Rulebook) -> list[dict]:
    """Every setting a council may make on this contract, with its value and its source: "the contract, seed line N"
    (the rulebook gives it, citing the seed line), "council setting" or "not set" (A4, HF-74, HF-78)."""
    settings = contract.settings or {}
    rows = []
    for spec in regime.monitoring.returns:
        own = spec.has_deadline
        set_here = (settings.get("return_due") or {}).get(spec.id)
        rows.append({"key": "return_due", "item": spec.id, "name": f"{spec.name}: due date",
                     "value": spec.due_text() if own else (book.monitoring.return_spec(spec.id).due_text()
                                                            if set_here else "No due date set"),
                     "setting": set_here,
                     "source": (contract_source(spec.rule, regime.seed, [spec.seed_line]) if own
                                else "council setting" if set_here else "not set")})
    council_targets = settings.get("kpi_targets") or {}
    for kpi in book.monitoring.kpis:
        if kpi.versions:  # a target changed from a date (KT-04, CW-25, A62): the rulebook's or the council's
            rows.append({"key": "kpi_targets", "item": kpi.id, "name": f"{kpi.id}: target from a date",
                         "value": f"{kpi.target_text()}; {kpi.versions_text()}",
                         "source": ("council setting" if kpi.id in council_targets
                                    else f"the contract ({kpi.rule}, seed {regime.seed})")})
    receipt = settings.get("deemed_receipt")
    rows.append({"key": "deemed_receipt", "item": "", "name": "Deemed receipt of a notice", "setting": receipt,
                 "value": (", ".join(f"{m} {d} working day{'s' if d != 1 else ''}" for m, d in receipt.items())
                           if receipt else "Standard notices clause: email or hand in working hours (09:00-17:00) "
                                           "that day, otherwise 09:00 the next working day; recorded delivery the "
                                           "second working day after posting"),
                 "source": "council setting" if receipt else "council setting (the standard default; the contract "
                                                             "is silent)"})
    retention = (settings.get("retention") or {}).get("months")
    rows.append({"key": "retention", "item": "", "name": "Retention of people's records", "setting":
                 settings.get("retention"),
                 "value": (f"{retention} months after the person's service ends, then erased" if retention
                           else "Not set: nothing is erased by age"),
                 "source": "council setting" if retention else "not set"})
    own_complaints = [c for c in regime.clocks if c.starts in ("complaint_received", "complaint_passed_on")]
    local = settings.get("complaint_clocks")
    rows.append({"key": "complaint_clocks", "item": "", "name": "Complaint clocks", "setting": local,
                 "value": ("; ".join(f"{c.label}: {c.length} {c.unit.replace('_', ' ')}" for c in own_complaints)
                           if own_complaints else ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in local.items())
                           if local else "None"),
                 "source": (contract_source(", ".join(sorted({c.rule for c in own_complaints})), regime.seed,
                                            [c.seed_line for c in own_complaints]) if own_complaints
                            else "council setting" if local else "not set")})
    return rows
