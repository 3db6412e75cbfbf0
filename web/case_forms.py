"""The fields each transition asks for, as a table: one GOV.UK form per (record kind, trigger)."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.rulebook import Rulebook
from workflows.suspension import SCOPE_LABELS


@dataclass(frozen=True)
class Field:
    """A form field: its name (the domain's data key), kind, label and hint."""

    name: str
    kind: str  # text, textarea, date, radios, number, checkboxes
    label: str
    hint: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = False


METHODS = (("hand", "By hand"), ("email", "By email"), ("post", "By post"))
REASON = Field("reason", "textarea", "Reason")

FIELDS: dict[tuple[str, str], tuple[Field, ...]] = {
    ("notice", "issue"): (
        Field("served_on", "date", "Date the notice was served", "For example 18 12 2026"),
        Field("method", "radios", "How was it served?", choices=METHODS),
    ),
    ("notice", "acknowledge"): (Field("received_on", "date", "Date the notice was received"),),
    ("notice", "escalate"): (REASON,),
    ("notice", "withdraw"): (REASON,),
    ("action_plan", "return_for_changes"): (
        Field("comment", "textarea", "What needs to change", "The provider sees this comment"),),
    ("action_plan", "agree"): (Field("comment", "textarea", "Comment (optional)", optional=True),),
    ("action_plan", "fail"): (REASON,),
    ("milestone", "mark_done"): (Field("evidence", "textarea", "Evidence that it is done"),),
    ("milestone", "reject_evidence"): (REASON,),
    ("default_notice", "serve"): (
        Field("served_on", "date", "Date the default notice was served"),
        Field("method", "radios", "How was it served?", choices=METHODS),
        Field("default_description", "textarea", "The default"),
        Field("remedial_action", "textarea", "Remedial action the provider must take"),
    ),
    ("default_notice", "record_not_remedied"): (REASON,),
    ("default_notice", "withdraw"): (REASON,),
    ("suspension", "suspend"): (
        Field("scope", "radios", "What is suspended?"),
        Field("scope_detail", "text", "Which lots, services or areas (for part of the service)", optional=True),
        Field("starts_on", "date", "Date the suspension starts"),
        Field("reason", "textarea", "Why the service is being suspended"),
        Field("lift_conditions", "textarea", "What the provider must do for it to be lifted"),
    ),
    ("suspension", "begin_reinstatement"): (),  # phases: built by the view
    ("suspension", "lift"): (REASON,),
    ("suspension", "cancel"): (REASON,),
    ("termination", "decide"): (
        Field("decided_on", "date", "Date of the decision"),
        Field("effective_on", "date", "Date the termination takes effect"),
        Field("grounds", "textarea", "Contractual grounds"),
        Field("exit_plan", "textarea", "Exit plan", "Transfer of residents, records, keys"),
    ),
    ("termination", "not_pursue"): (REASON,),
    ("case", "resolve"): (REASON,),
    ("case", "withdraw"): (REASON,),
}


def fields_for(kind: str, trigger: str, rulebook: Rulebook) -> tuple[Field, ...]:
    """The fields of a transition's form for this contract (council-set periods and suspension scopes vary)."""
    fields = list(FIELDS.get((kind, trigger), ()))
    if (kind, trigger) == ("notice", "issue"):
        spec = next(iter(rulebook.clocks_starting("notice_received")), None)
        if spec is not None and spec.length is None:
            fields.append(Field("plan_due_days", "number", "Working days the provider has for the plan",
                                f"{spec.rule}: the notice sets the period"))
    if (kind, trigger) == ("default_notice", "serve"):
        spec = next(iter(rulebook.clocks_starting("default_served")), None)
        if spec is None or spec.length is None:
            fields.append(Field("remedy_days", "number", "Working days allowed for the remedy"))
    if (kind, trigger) == ("suspension", "suspend"):
        scopes = tuple((s, SCOPE_LABELS[s]) for s in rulebook.suspension_scopes)
        fields[0] = Field("scope", "radios", "What is suspended?", choices=scopes)
    return tuple(fields)


PHASES = 3  # phased reinstatement: up to three phases on the form
