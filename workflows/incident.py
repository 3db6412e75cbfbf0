"""Incidents and accidents a provider records (HF section 13; rules.md 2.6): reported to the council, then written up.

Key-holding and lost-key incidents carry HF-69's clocks (reported within 24 hours, a written report within 3 days,
workflows/safeguarding.py); other incidents carry none (A42), but move through the same steps: an accident or injury
to a resident reported to Adult Social Care (HF-04, "timely", no figure) and a missed visit reported when it is
apparent (HF-11, no figure) are recorded, reported and written up the same way.
"""

from __future__ import annotations

import enum

from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_text, table


class IncidentState(enum.Enum):
    """Where an incident stands."""

    RECORDED = "recorded"
    REPORTED = "reported"  # the council has been told (HF-69's 24 hours)
    WRITTEN_UP = "written_up"  # the written report has come (HF-69's 3 days)


INCIDENT_TRANSITIONS = table([
    {"trigger": "report", "source": IncidentState.RECORDED, "dest": IncidentState.REPORTED,
     "roles": PROVIDERS | MANAGERS, "event": "INCIDENT_REPORTED", "label": "Record that it was reported"},
    {"trigger": "write_up", "source": (IncidentState.RECORDED, IncidentState.REPORTED),
     "dest": IncidentState.WRITTEN_UP, "roles": PROVIDERS | MANAGERS, "event": "INCIDENT_WRITTEN_REPORT",
     "label": "Add the written report"},
])


class IncidentWorkflow(Workflow):
    """An incident from being recorded to its written report; the provider or the council's managers record each."""

    NAME = "incident"
    STATES = IncidentState
    TRANSITIONS = INCIDENT_TRANSITIONS
    FINAL = (IncidentState.WRITTEN_UP,)

    def validate_write_up(self, data: dict) -> dict:
        return {"written_report": need_text(data, "written_report", "Enter the written report")}
