"""When a notice (or minutes) sent one way counts as received: the deemed-receipt rule.

No seed gives one, so the default is the standard public-sector notices clause, kept as a council setting a
contract may replace (issue 14): an email sent during working hours (09:00 to 17:00 on a working day) is received that
day, one sent later at 09:00 on the next working day; delivery by hand the same; recorded delivery on the second
working day after posting. A council setting may instead give working days per method. Every answer carries the
sentence saying which rule it used, for the deadline's explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from workflows.calendar import WorkingCalendar
from workflows.clock import LONDON

OPENS, CLOSES = time(9, 0), time(17, 0)
STANDARD = "the standard public-sector notices clause (the contract is silent; a council setting)"
METHOD_WORDS = {"hand": "by hand", "email": "by email", "post": "by recorded delivery"}


@dataclass(frozen=True)
class Receipt:
    """When something sent counts as received, and why."""

    on: date
    explanation: str


def deemed_receipt(method: str, sent_on: date, calendar: WorkingCalendar, sent_at: datetime | None = None,
                   days: dict[str, int] | None = None, source: str = STANDARD) -> Receipt:
    """The deemed date of receipt. `days` (working days per method) replaces the standard clause when a council
    has set it; `sent_at` (an instant) decides in or out of working hours; with a date only, delivery by hand counts
    as in hours and an email as after 17:00 (the later, safer reading)."""
    how = METHOD_WORDS.get(method, method)
    if days is not None:
        n = days[method]
        on = calendar.add_working_days(sent_on, n) if n else sent_on
        return Receipt(on, f"Deemed received on {on:%A %-d %B %Y}: sent {how} on {sent_on:%-d %B %Y}, received "
                           f"{n} working day{'s' if n != 1 else ''} later ({source})")
    if method == "post":
        on = calendar.add_working_days(sent_on, 2)
        return Receipt(on, f"Deemed received on {on:%A %-d %B %Y}: posted by recorded delivery on "
                           f"{sent_on:%-d %B %Y}, received on the second working day after posting ({STANDARD})")
    if sent_at is not None:
        local = sent_at.astimezone(LONDON)
        sent_on = local.date()
        in_hours = calendar.is_working_day(sent_on) and OPENS <= local.time() < CLOSES
        when = f"at {local:%H:%M} on {sent_on:%A %-d %B %Y}"
    else:
        in_hours = method == "hand" and calendar.is_working_day(sent_on)
        when = f"on {sent_on:%A %-d %B %Y} (no time given: " + (
            "delivery by hand is taken as in working hours)" if method == "hand"
            else "taken as after 17:00, the later reading)")
    if in_hours:
        return Receipt(sent_on, f"Deemed received on {sent_on:%A %-d %B %Y}: sent {how} {when}, within working hours "
                                f"(09:00 to 17:00 on a working day), so received that day ({STANDARD})")
    on = calendar.add_working_days(sent_on, 1)
    return Receipt(on, f"Deemed received at 09:00 on {on:%A %-d %B %Y}: sent {how} {when}, outside working hours, "
                       f"so received at 09:00 on the next working day ({STANDARD})")
