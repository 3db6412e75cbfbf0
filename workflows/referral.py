"""A Hammersmith & Fulham referral: a package-of-care request from Brokerage to the provider (issue 15, item 2).

Received with its start time and implementation grade, it starts three real-hour clocks (workflows/home_care.py):
the acknowledgement (HF-R01, 2 hours), the accept-or-decline response by how soon the package starts (HF-R02 to
HF-R05, or the time Brokerage sets, HF-R09) and the implementation by grade (HF-R06 to HF-R08). The provider
acknowledges, accepts or declines (with the reason, and whether it was within the capacity it confirmed: "no unfair
refusals", HF-16, BCM 2.2), then starts the package. A clock that runs out makes the scheduler record the lateness
(`mark_late`, a system step that keeps the state) and the contract's breach event; a step taken late does the same.
"""

from __future__ import annotations

import enum
from datetime import datetime

from workflows.clock import ClockSpec
from workflows.errors import ValidationProblem
from workflows.home_care import need_instant
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_choice, need_text, table


class ReferralState(enum.Enum):
    """Where a referral stands."""

    RECEIVED = "received"  # sent by Brokerage; the provider has not yet answered
    ACKNOWLEDGED = "acknowledged"  # receipt acknowledged (HF-R01)
    ACCEPTED = "accepted"  # the provider will deliver it (HF-R02..R05)
    DECLINED = "declined"  # refused, with the reason (HF-16, BCM 2.2)
    STARTED = "started"  # the package began (HF-R06..R08): a package record follows
    WITHDRAWN = "withdrawn"  # Brokerage no longer needs it


LIVE = (ReferralState.RECEIVED, ReferralState.ACKNOWLEDGED, ReferralState.ACCEPTED)
REFUSAL_REASONS = {"no_capacity": "No available hours in the patch",
                   "no_skills": "No staff with the skills the package needs",
                   "outside_patch": "Outside the provider's patch",
                   "other": "Another reason (explained)"}

_LATE = "referral_late"
ACK_CLOCK = ClockSpec(kind="referral_acknowledged", label="Referral acknowledged", rule="HF-R01", unit="hours",
                      length=2, starts="referral", acts="provider", on_breach=_LATE,
                      stops=("REFERRAL_ACKNOWLEDGED", "REFERRAL_ACCEPTED", "REFERRAL_DECLINED"))
RESPONSE_CLOCK = ClockSpec(kind="referral_response", label="Referral accepted or declined", rule="HF-R02",
                           unit="hours", length=2, starts="referral", acts="provider", on_breach=_LATE,
                           stops=("REFERRAL_ACCEPTED", "REFERRAL_DECLINED"))
START_CLOCK = ClockSpec(kind="referral_started", label="Package implemented", rule="HF-R08", unit="hours",
                        length=48, starts="referral", acts="provider", on_breach=_LATE, stops=("REFERRAL_STARTED",))
CLOCKS = (ACK_CLOCK, RESPONSE_CLOCK, START_CLOCK)

_EITHER = PROVIDERS | MANAGERS  # the provider answers; Brokerage may record an answer it had by telephone
REFERRAL_TRANSITIONS = table([
    {"trigger": "acknowledge", "source": ReferralState.RECEIVED, "dest": ReferralState.ACKNOWLEDGED,
     "roles": _EITHER, "event": "REFERRAL_ACKNOWLEDGED", "label": "Acknowledge the referral"},
    {"trigger": "accept", "source": (ReferralState.RECEIVED, ReferralState.ACKNOWLEDGED),
     "dest": ReferralState.ACCEPTED, "roles": _EITHER, "event": "REFERRAL_ACCEPTED", "label": "Accept the referral"},
    {"trigger": "decline", "source": (ReferralState.RECEIVED, ReferralState.ACKNOWLEDGED),
     "dest": ReferralState.DECLINED, "roles": _EITHER, "event": "REFERRAL_DECLINED",
     "label": "Decline the referral"},
    {"trigger": "start", "source": ReferralState.ACCEPTED, "dest": ReferralState.STARTED, "roles": _EITHER,
     "event": "REFERRAL_STARTED", "label": "Record that the package started"},
    {"trigger": "withdraw", "source": LIVE, "dest": ReferralState.WITHDRAWN, "roles": MANAGERS,
     "event": "REFERRAL_WITHDRAWN", "label": "Withdraw the referral"},
    # The scheduler's step when a clock runs out: the lateness is recorded and the state stays as it was.
    *({"trigger": "mark_late", "source": state, "dest": state, "roles": frozenset(), "event": "REFERRAL_LATE",
       "label": "Record that a referral window was missed", "system": True} for state in LIVE),
])


class ReferralWorkflow(Workflow):
    """A referral from Brokerage's request to the package starting, or declined with its reason, or withdrawn; the
    scheduler records each window missed."""

    NAME = "referral"
    STATES = ReferralState
    TRANSITIONS = REFERRAL_TRANSITIONS
    FINAL = (ReferralState.DECLINED, ReferralState.STARTED, ReferralState.WITHDRAWN)

    def _at(self, data: dict, key: str) -> datetime:
        return need_instant(data, key, "Enter when it happened", self.ctx.now,
                            not_before=self.ctx.facts.get("received_at"))

    def validate_acknowledge(self, data: dict) -> dict:
        return {"acknowledged_at": self._at(data, "acknowledged_at")}

    def validate_accept(self, data: dict) -> dict:
        return {"decided_at": self._at(data, "decided_at")}

    def validate_decline(self, data: dict) -> dict:
        """HF-16 and HF-05: the provider accepts every package in its patch unless capacity would stop a safe service,
        so a refusal carries its reason and whether the provider had confirmed capacity for it (BCM 2.2 counts
        refusals within capacity; the council reviews each one case by case, HF-B03)."""
        reason = need_choice(data, "refusal_reason", REFUSAL_REASONS, "Select why the referral is declined")
        within = data.get("within_capacity")
        if isinstance(within, str):
            within = {"yes": True, "true": True, "no": False, "false": False}.get(within.strip().lower())
        if not isinstance(within, bool):
            raise ValidationProblem("Say whether the provider had confirmed capacity for this package (yes or no)",
                                    "within_capacity")
        detail = str(data.get("refusal_detail") or "").strip()[:2000]
        if reason == "other" and not detail:
            raise ValidationProblem("Explain the reason for declining (no names)", "refusal_detail")
        return {"decided_at": self._at(data, "decided_at"), "refusal_reason": reason, "within_capacity": within,
                "refusal_detail": detail or None}

    def validate_start(self, data: dict) -> dict:
        return {"started_at": self._at(data, "started_at")}

    def validate_withdraw(self, data: dict) -> dict:
        return {"reason": need_text(data, "reason", "Enter why the referral is withdrawn")}
