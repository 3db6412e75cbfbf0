"""A young person's leaving-care record (Cornwall, seed 002; issue 15, item 4): referred to the provider, a personal
adviser (PA) allocated, then pathway plan reviews and PA contacts on their own recurring clocks, until closed.

Clocks, with the numbers from the contract's rulebook ([leaving_care], workflows/young_people.py):

* CW-14 `pa_allocation`: a PA by the time the young person reaches 15 years and 9 months (the month of birth is all
  Remedy keeps: counted from the 1st of that month), or, for a referral after that age, within 7 working days of the
  referral (the referral day never counts; England and Wales bank holidays are skipped). Met by `allocate`.
* CW-16 `pathway_review`: the pathway plan reviewed within 6 months of allocation (A30), then within 6 months of each
  review. Started by `allocate`, met and started again by `record_review`.
* CW-10 `pa_contact`: a PA meeting every two calendar months (A27). Started by `allocate`, met and started again by
  `record_contact`.

A missed clock is a breach the scheduler records (DEADLINE_BREACHED) with its reminders before it; Cornwall has no
sanction (A26), so nothing escalates.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date

from workflows.calendar import WorkingCalendar
from workflows.clock import ClockSpec, ClockStart, add_months, end_of_day, start_clock
from workflows.errors import ValidationProblem
from workflows.machine import MANAGERS, PROVIDERS, Workflow, need_date, need_int, table
from workflows.young_people import LeavingCareRules


class LeavingCareState(enum.Enum):
    """Where a young person's leaving-care record stands."""

    REFERRED = "referred"  # referred to the provider; a PA is awaited (CW-14)
    ALLOCATED = "allocated"  # a PA is allocated; reviews (CW-16) and contacts (CW-10) recur
    CLOSED = "closed"  # the service ended (CW-09: 21, or 25 in further education) or the referral was withdrawn


ALLOCATION_CLOCK = ClockSpec(kind="pa_allocation", label="Personal adviser allocated", rule="CW-14",
                             unit="working_days", length=None, starts="young_person_referred",
                             stops=("PA_ALLOCATED",), acts="provider")
REVIEW_CLOCK = ClockSpec(kind="pathway_review", label="Pathway plan reviewed", rule="CW-16", unit="months",
                         length=None, starts="PA_ALLOCATED", stops=(), acts="provider")
CONTACT_CLOCK = ClockSpec(kind="pa_contact", label="Personal adviser meets the young person", rule="CW-10",
                          unit="months", length=None, starts="PA_ALLOCATED", stops=(), acts="provider")
CLOCKS = (ALLOCATION_CLOCK, REVIEW_CLOCK, CONTACT_CLOCK)

# The clock each recurring step answers: the hook meets it before the step starts the next one.
STEP_MEETS = {"allocate": "pa_allocation", "record_review": "pathway_review", "record_contact": "pa_contact"}

_BOTH = PROVIDERS | MANAGERS
LEAVING_CARE_TRANSITIONS = table([
    {"trigger": "allocate", "source": LeavingCareState.REFERRED, "dest": LeavingCareState.ALLOCATED,
     "roles": _BOTH, "event": "PA_ALLOCATED", "label": "Allocate a personal adviser"},
    {"trigger": "record_review", "source": LeavingCareState.ALLOCATED, "dest": LeavingCareState.ALLOCATED,
     "roles": _BOTH, "event": "PATHWAY_PLAN_REVIEWED", "label": "Record a pathway plan review"},
    {"trigger": "record_contact", "source": LeavingCareState.ALLOCATED, "dest": LeavingCareState.ALLOCATED,
     "roles": _BOTH, "event": "PA_CONTACT_RECORDED", "label": "Record a meeting with the young person"},
    {"trigger": "close", "source": (LeavingCareState.REFERRED, LeavingCareState.ALLOCATED),
     "dest": LeavingCareState.CLOSED, "roles": MANAGERS, "event": "LEAVING_CARE_CLOSED",
     "label": "Close the record"},
])


def allocation_deadline(rules: LeavingCareRules, born_in: date, referred_on: date,
                        calendar: WorkingCalendar) -> ClockStart:
    """CW-14: by the age the contract sets (15 years 9 months), or N working days after a referral made after it."""
    born_in = born_in.replace(day=1)
    by_age = add_months(born_in, rules.allocate_by_age_months)
    if referred_on < by_age:
        lines = (f"{ALLOCATION_CLOCK.label} (CW-14): by the time the young person reaches "
                 f"{rules.allocation_age_text} (born in {born_in:%B %Y}, counted from the 1st of that month)",
                 f"Due by the end of {by_age:%A %-d %B %Y}")
        return ClockStart(kind=ALLOCATION_CLOCK.kind, label=ALLOCATION_CLOCK.label, rule="CW-14", unit="months",
                          length=rules.allocate_by_age_months, start_on=born_in, due_on=by_age,
                          due_at=end_of_day(by_age), acts="provider", pausable=False, on_breach=None,
                          explanation=lines)
    clock = start_clock(ALLOCATION_CLOCK, referred_on, calendar, length=rules.allocate_within_working_days)
    return _with_first_line(clock, f"Referred on {referred_on:%-d %B %Y}, after the young person reached "
                                   f"{rules.allocation_age_text} ({by_age:%-d %B %Y})")


def recurring_deadline(spec: ClockSpec, months: int, start: date, why: str, calendar: WorkingCalendar) -> ClockStart:
    """CW-16 and CW-10: the next review or meeting, N calendar months after the last one (or the allocation)."""
    return _with_first_line(start_clock(spec, start, calendar, length=months), why)


def _with_first_line(clock: ClockStart, line: str) -> ClockStart:
    return replace(clock, explanation=(line, *clock.explanation))


class LeavingCareWorkflow(Workflow):
    """A young person from referral, through PA allocation, to recurring pathway plan reviews and PA meetings, until
    the record is closed; every step is recorded by the provider's staff or the council's contract managers."""

    NAME = "leaving-care record"
    STATES = LeavingCareState
    TRANSITIONS = LEAVING_CARE_TRANSITIONS
    FINAL = (LeavingCareState.CLOSED,)

    @property
    def rules(self) -> LeavingCareRules:
        rules = self.ctx.rulebook.leaving_care
        if rules is None:
            raise ValidationProblem(f"The {self.ctx.rulebook.title} contract keeps no leaving-care records")
        return rules

    def _on_or_after(self, data: dict, key: str, message: str, after_key: str, after_text: str) -> date:
        day = need_date(data, key, message, self.ctx.today)
        earlier = self.ctx.facts.get(after_key)
        if earlier is not None and day < earlier:
            raise ValidationProblem(f"The date cannot be before {after_text} ({earlier:%-d %B %Y})", key)
        return day

    def _note(self, data: dict) -> dict:
        """The step's note ("no names"), only when one is given: the record keeps the last note written."""
        note = str(data.get("note") or "").strip()
        if len(note) > 2000:
            raise ValidationProblem("Note must be 2000 characters or fewer", "note")
        return {"note": note} if note else {}

    def validate_allocate(self, data: dict) -> dict:
        adviser = need_int(data, "adviser_id", "Select the personal adviser", 1, 2_147_483_647)
        allocated_on = self._on_or_after(data, "allocated_on", "Enter the date the personal adviser was allocated",
                                         "referred_on", "the referral")
        return {"adviser_id": adviser, "allocated_on": allocated_on, **self._note(data)}

    def clocks_allocate(self, cleaned: dict):
        day, rules = cleaned["allocated_on"], self.rules
        return ((recurring_deadline(REVIEW_CLOCK, rules.review_months, day,
                                    f"Allocated on {day:%-d %B %Y}: the first review is due within "
                                    f"{rules.review_months} months (A30)", self.ctx.calendar),
                 recurring_deadline(CONTACT_CLOCK, rules.contact_months, day,
                                    f"Allocated on {day:%-d %B %Y}: a meeting every {rules.contact_months} "
                                    "months (A27)", self.ctx.calendar)), (), ())

    def validate_record_review(self, data: dict) -> dict:
        reviewed_on = self._on_or_after(data, "reviewed_on", "Enter the date the pathway plan was reviewed",
                                        "allocated_on", "the allocation")
        return {"reviewed_on": reviewed_on, **self._note(data)}

    def clocks_record_review(self, cleaned: dict):
        day, months = cleaned["reviewed_on"], self.rules.review_months
        return ((recurring_deadline(REVIEW_CLOCK, months, day,
                                    f"Reviewed on {day:%-d %B %Y}: the next review within {months} months",
                                    self.ctx.calendar),), (), ())

    def validate_record_contact(self, data: dict) -> dict:
        contacted_on = self._on_or_after(data, "contacted_on", "Enter the date the adviser met the young person",
                                         "allocated_on", "the allocation")
        return {"contacted_on": contacted_on, **self._note(data)}

    def clocks_record_contact(self, cleaned: dict):
        day, months = cleaned["contacted_on"], self.rules.contact_months
        return ((recurring_deadline(CONTACT_CLOCK, months, day,
                                    f"Met on {day:%-d %B %Y}: the next meeting within {months} months",
                                    self.ctx.calendar),), (), ())

    def validate_close(self, data: dict) -> dict:
        reason = str(data.get("reason") or "").strip()
        if not reason:
            raise ValidationProblem("Enter why the record is closed (no names)", "reason")
        return {"reason": reason}

    def clocks_close(self, cleaned: dict):
        return (), (), ("*",)
