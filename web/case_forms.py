"""Case forms: the forms that open a case and create records on it, and the fields each transition asks for, as a
table: one GOV.UK form per (record kind, trigger).

The forms only parse what people type (dates, whole numbers); the domain decides what is missing or wrong and says
so in a sentence, which the view puts on the named field.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from web.forms import GovDateField, options
from workflows.rulebook import Rulebook
from workflows.suspension import SCOPE_LABELS


@dataclass(frozen=True)
class Field:
    """A form field: its name (the domain's data key), kind, label and hint."""

    name: str
    kind: str  # text, textarea, date, time, radios, select, checkboxes, number
    label: str
    hint: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = False
    required: str | None = None  # the message when it is left empty; derived from the label when None

    @property
    def is_optional(self) -> bool:
        """Left empty without a problem: marked so, labelled "(optional ...)", or a set of tick boxes (whatever a
        box means, not ticking it is an answer; the domain checks a box that must be ticked)."""
        return self.optional or "(optional" in self.label or self.kind == "checkboxes"

    @property
    def missing(self) -> str:
        """The GOV.UK message for an empty answer: "Enter the date the notice was served", "Select the provider",
        "Select how it was served", "Enter why the case is being withdrawn"."""
        if self.required:
            return self.required
        verb = "Select" if self.kind in ("radios", "select") else "Enter"
        return f"{verb} {statement(self.label)}"


AUXILIARIES = ("is", "was", "are", "were", "has", "have")


def statement(label: str) -> str:
    """A label as the object of "Enter ..." or "Select ...": a question turned into a clause ("How was it served?"
    -> "how it was served"), a noun phrase given "the" ("Date it happened" -> "the date it happened")."""
    text = label.rstrip("?").strip()
    words = text.split()
    first = words[0].lower()
    if not label.endswith("?"):
        lowered = text[0].lower() + text[1:]
        return lowered if first in ("the", "what", "how", "who", "which", "why", "when", "a", "an") else \
            f"the {lowered}"
    if first in AUXILIARIES:  # "Is it a formal complaint?" -> "whether it is a formal complaint"
        return " ".join(["whether", words[1], first, *words[2:]])
    if len(words) > 2 and words[1].lower() in AUXILIARIES:  # "Why is the notice being escalated?"
        aux, rest = words[1], words[2:]
        if len(rest) == 1:  # "What is suspended?"
            return " ".join([first, aux, *rest])
        at = next((i for i, w in enumerate(rest) if w in ("being", "not")), None)
        if at is None:
            at = len(rest) if rest[0] in ("the", "a", "an") and len(rest) == 2 else len(rest) - 1
        return " ".join([first, *rest[:at], aux, *rest[at:]])
    if len(words) > 2 and words[-1] == "it" and words[-2] in AUXILIARIES:  # "What kind of concern is it?"
        return " ".join([first, *words[1:-2], "it", words[-2]])
    return " ".join([first, *words[1:]])


METHODS = (("hand", "By hand"), ("email", "By email"), ("post", "By post"))


def reason(question: str, hint: str | None = "It goes on the case's timeline") -> Field:
    """The reason a step asks for, as a question."""
    return Field("reason", "textarea", question, hint)


DATE_HINT = "For example, 18 12 2026"
SERVED_HOW = "Select how the notice was served"

FIELDS: dict[tuple[str, str], tuple[Field, ...]] = {
    ("notice", "issue"): (
        Field("served_on", "date", "Date the notice was served", DATE_HINT),
        Field("method", "radios", "How was it served?", choices=METHODS, required=SERVED_HOW),
    ),
    ("notice", "acknowledge"): (Field("received_on", "date", "Date the notice was received", DATE_HINT),),
    ("notice", "escalate"): (reason("Why is the notice being escalated?"),),
    ("notice", "withdraw"): (reason("Why is the notice being withdrawn?"),),
    ("action_plan", "return_for_changes"): (
        Field("comment", "textarea", "What needs to change", "The provider sees this comment",
              required="Enter what needs to change in the plan"),),
    ("action_plan", "agree"): (Field("comment", "textarea", "Comment (optional)", optional=True),),
    ("action_plan", "fail"): (reason("Why has the plan failed?"),),
    ("milestone", "mark_done"): (Field("evidence", "textarea", "Evidence that it is done"),),
    ("milestone", "reject_evidence"): (reason("Why is the evidence not accepted?", "The provider sees this"),),
    ("default_notice", "serve"): (
        Field("served_on", "date", "Date the default notice was served", DATE_HINT),
        Field("method", "radios", "How was it served?", choices=METHODS, required=SERVED_HOW),
        Field("default_description", "textarea", "The default"),
        Field("remedial_action", "textarea", "Remedial action the provider must take"),
    ),
    ("default_notice", "record_not_remedied"): (reason("What was not remedied?"),),
    ("default_notice", "withdraw"): (reason("Why is the default notice being withdrawn?"),),
    ("suspension", "suspend"): (
        Field("scope", "radios", "What is suspended?"),
        Field("scope_detail", "text", "Which lots, services or areas (for part of the service)", optional=True),
        Field("starts_on", "date", "Date the suspension starts", DATE_HINT),
        Field("reason", "textarea", "Why the service is being suspended"),
        Field("lift_conditions", "textarea", "What the provider must do for it to be lifted"),
    ),
    ("suspension", "begin_reinstatement"): (),  # up to PHASES phases, see phase_fields()
    ("suspension", "lift"): (reason("Why is the suspension being lifted?"),),
    ("suspension", "cancel"): (reason("Why is the suspension not going ahead?"),),
    ("termination", "decide"): (
        Field("decided_on", "date", "Date of the decision", DATE_HINT),
        Field("effective_on", "date", "Date the termination takes effect", DATE_HINT),
        Field("grounds", "textarea", "Contractual grounds"),
        Field("exit_plan", "textarea", "Exit plan", "Transfer of residents, records, keys"),
    ),
    ("termination", "not_pursue"): (reason("Why is termination not being pursued?"),),
    ("case", "resolve"): (reason("Why is the case resolved?"),),
    ("case", "withdraw"): (reason("Why is the case being withdrawn?"),),
}

PHASES = 3  # phased reinstatement (CE-40): up to three phases on the form


def fields_for(kind: str, trigger: str, rulebook: Rulebook, record=None) -> tuple[Field, ...]:
    """The fields of a transition's form for this contract and record (council-set periods and suspension scopes
    vary; a suspension's ground narrows its scopes: CE-53/CE-54 are embargoes on referrals only; a notice's receipt
    is asked against the day it is deemed received)."""
    fields = list(FIELDS.get((kind, trigger), ()))
    if (kind, trigger) == ("notice", "acknowledge") and getattr(record, "received_on", None):
        fields[0] = replace(fields[0], hint=(
            f"It is treated as received on {record.received_on:%-d %B %Y}, the day it is deemed received as it was "
            f"served {dict(METHODS).get(record.method, record.method or '').lower()}, unless it arrived earlier. "
            f"{DATE_HINT}"))
    if (kind, trigger) == ("notice", "issue"):
        spec = next(iter(rulebook.clocks_starting("notice_received")), None)
        if spec is not None and spec.length is None:
            fields.append(Field("plan_due_days", "number", "Working days the provider has for the plan",
                                f"The notice sets the period ({spec.rule}), for example 10"))
    if (kind, trigger) == ("default_notice", "serve"):
        spec = next(iter(rulebook.clocks_starting("default_served")), None)
        if spec is None or spec.length is None:
            hint = f"The notice sets the period ({spec.rule})" if spec is not None else None
            fields.append(Field("remedy_days", "number", "Working days allowed for the remedy", hint))
    if (kind, trigger) == ("suspension", "suspend"):
        route = rulebook.suspension_ground(getattr(record, "ground", None))
        allowed = route.scopes if route is not None and route.scopes else rulebook.suspension_scopes
        scopes = tuple((s, SCOPE_LABELS[s]) for s in allowed)
        fields[0] = Field("scope", "radios", "What is suspended?", choices=scopes)
    if (kind, trigger) == ("suspension", "begin_reinstatement"):
        fields = [field for n in range(1, PHASES + 1) for field in phase_fields(n)]
    return tuple(fields)


def phase_fields(n: int) -> tuple[Field, ...]:
    """The four fields of reinstatement phase n."""
    return (Field(f"phase{n}_starts_on", "date", f"Phase {n} starts", DATE_HINT, optional=True),
            Field(f"phase{n}_ends_on", "date", f"Phase {n} ends (optional)", DATE_HINT, optional=True),
            Field(f"phase{n}_scope", "text", f"Phase {n}: what is reinstated", optional=True),
            Field(f"phase{n}_conditions", "textarea", f"Phase {n}: conditions", optional=True))


def transition_data(form, fields: tuple[Field, ...], phased: bool) -> tuple[dict, list[int]]:
    """What the person entered, as the domain's data (empty fields left out; reinstatement phases as a list), and
    the form's numbers of the phases given (a blank phase is skipped, a half-filled one is not)."""
    values = {f.name: form[f.name].data for f in fields}
    if not phased:
        return {k: v for k, v in values.items() if v not in (None, "")}, []
    phases, numbers = [], []
    for n in range(1, PHASES + 1):
        phase = {key: values[f"phase{n}_{key}"] for key in ("starts_on", "ends_on", "scope", "conditions")}
        if any(v not in (None, "") for v in phase.values()):
            phases.append({k: v for k, v in phase.items() if v not in (None, "")})
            numbers.append(n)
    return {"phases": phases}, numbers


class WholeNumberField(IntegerField):
    """A whole number typed in a text box, with a GOV.UK message when it is not one."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            raise ValueError(f"{self.label.text} must be a whole number, like 10") from None


def transition_form(fields: tuple[Field, ...], version: int, defaults: dict | None = None) -> FlaskForm:
    """A form for one transition: its fields from the table and the record's version (optimistic locking).

    Every field not optional is InputRequired, so an empty form reports every missing answer at once (ux #2); the
    domain still checks what the answers mean together and names an unknown choice in its own words."""
    attrs = {"version": HiddenField(default=str(version))}
    for field in fields:
        presence = [Optional()] if field.is_optional else [InputRequired(field.missing)]
        if field.kind == "date":
            attrs[field.name] = GovDateField(field.label, widget=GovDateInput(), format="%d %m %Y",
                                             validators=presence)
        elif field.kind == "radios":
            attrs[field.name] = RadioField(field.label, widget=GovRadioInput(), choices=options(field.choices),
                                           validators=presence, validate_choice=False)
        elif field.kind == "select":
            attrs[field.name] = SelectField(field.label, widget=GovSelect(), choices=options(field.choices),
                                            validators=presence, validate_choice=False)
        elif field.kind == "checkboxes":
            attrs[field.name] = SelectMultipleField(field.label, widget=GovCheckboxesInput(),
                                                    choices=options(field.choices), validators=presence,
                                                    validate_choice=False)
        elif field.kind == "number":
            attrs[field.name] = WholeNumberField(field.label, widget=GovTextInput(), validators=presence)
        elif field.kind == "textarea":
            attrs[field.name] = TextAreaField(field.label, widget=GovTextArea(), validators=presence)
        else:
            attrs[field.name] = StringField(field.label, widget=GovTextInput(), validators=presence)
    attrs["submit"] = SubmitField("Continue", widget=GovSubmitInput())
    return type("TransitionForm", (FlaskForm,), attrs)(data=defaults or {})


# -- opening a case and creating records on it -------------------------------------------------------------------


class OpenCaseForm(FlaskForm):
    contract = SelectField("Contract", widget=GovSelect(), choices=[], validate_choice=False,
                           validators=[InputRequired("Select the contract")])
    summary = TextAreaField("Summary of the concern", widget=GovTextArea(),
                            validators=[InputRequired("Enter a summary of the concern")])
    second_reason = TextAreaField("Why does this contract need a second open case?", widget=GovTextArea(),
                                  validators=[Optional()])
    submit = SubmitField("Open the case", widget=GovSubmitInput())


class NoticeForm(FlaskForm):
    findings = TextAreaField("What is not adequate, and why", widget=GovTextArea(), validators=[InputRequired(
        "Enter what is not adequate about the provider's performance, and why")])
    required_action = TextAreaField("The action plan the provider must produce", widget=GovTextArea(),
                                    validators=[InputRequired("Enter the action plan the provider must produce")])
    submit = SubmitField("Save the draft", widget=GovSubmitInput())


class PlanForm(FlaskForm):
    notice = SelectField("Against which notice", widget=GovSelect(), choices=[], validators=[Optional()],
                         validate_choice=False)
    due_days = WholeNumberField("Working days the provider has for the plan", widget=GovTextInput(),
                                validators=[Optional(), NumberRange(1, 120, "Enter a number of working days from "
                                                                             "1 to 120")])
    submit = SubmitField("Start the action plan", widget=GovSubmitInput())


class ReasonOnlyForm(FlaskForm):
    reason = TextAreaField("Reason", widget=GovTextArea())
    submit = SubmitField("Continue", widget=GovSubmitInput())


def suspension_form(book) -> FlaskForm:
    """The reason, and the contract's ground for the suspension where it lists its routes (CE-33 to CE-54)."""
    if not book.suspension_grounds:
        return ReasonOnlyForm()

    class SuspensionProposalForm(FlaskForm):
        ground = RadioField("Ground for the suspension", widget=GovRadioInput(),
                            choices=options(tuple((g.id, f"{g.label} ({g.rule})") for g in book.suspension_grounds)),
                            validators=[InputRequired(message="Select the ground for the suspension")])
        reason = TextAreaField("Reason", widget=GovTextArea())
        submit = SubmitField("Continue", widget=GovSubmitInput())

    return SuspensionProposalForm()


class ConfirmForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())


RAG = (("red", "Red"), ("amber", "Amber"), ("green", "Green"))


class RowForm(FlaskForm):
    """One row in Kent's Appendix A columns."""

    # Every column is needed (workflows/action_plan.validate_row says so in the same words, one at a time): an empty
    # row reports them all at once.
    kpi = StringField("KPI", widget=GovTextInput(), validators=[InputRequired("Enter the reference of the KPI")])
    current_performance = StringField("Current performance level and date", widget=GovTextInput(),
                                      validators=[InputRequired("Enter the current performance level")])
    rag = RadioField("Current RAG status", widget=GovRadioInput(), validate_choice=False, choices=options(RAG),
                     validators=[InputRequired("Select the current RAG status (red, amber or green)")])
    issue = TextAreaField("Issue or reason identified", widget=GovTextArea(),
                          validators=[InputRequired("Enter the issue or reason identified")])
    action = TextAreaField("Action to be taken", widget=GovTextArea(),
                           validators=[InputRequired("Enter the action to be taken")])
    owner = StringField("Who will do it", widget=GovTextInput(), validators=[InputRequired("Enter who will do it")])
    expected_outcome = TextAreaField("Expected outcome (SMART)", widget=GovTextArea(),
                                     validators=[InputRequired("Enter the SMART expected outcome")])
    deadline = GovDateField("Deadline", widget=GovDateInput(), format="%d %m %Y",
                            validators=[InputRequired("Enter the deadline for the action")])
    submit = SubmitField("Add the row", widget=GovSubmitInput())

    def row(self) -> dict:
        """The row as the domain takes it."""
        return {name: getattr(self, name).data for name in ("kpi", "current_performance", "rag", "issue", "action",
                                                           "owner", "expected_outcome", "deadline")}


class MilestoneForm(FlaskForm):
    title = StringField("Milestone", widget=GovTextInput(), validators=[InputRequired("Enter what the milestone is")])
    due_on = GovDateField("Due date", widget=GovDateInput(), format="%d %m %Y",
                          validators=[InputRequired("Enter the date the milestone is due")])
    submit = SubmitField("Add the milestone", widget=GovSubmitInput())
