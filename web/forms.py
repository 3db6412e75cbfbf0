"""WTForms forms for every page that takes input, rendered with govuk-frontend-wtf widgets."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from models.entities import ClosureKind, CqcRatingValue
from web.bounds import DATE_RANGE_TEXT, FIRST_DATE, LAST_DATE
from workflows.access import Role


class GovDateField(DateField):
    """A day, month and year entered in three boxes that share the field's name (govuk-frontend-wtf's date input)."""

    def process_formdata(self, valuelist):
        if len(valuelist) != 3 or not any(v.strip() for v in valuelist):
            # Missing or blank: leave it empty so InputRequired gives the field's own message.
            self.raw_data = None if not valuelist or len(valuelist) != 3 else valuelist
            self.data = None
            return
        try:
            super().process_formdata([" ".join(v.strip() for v in valuelist)])
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date, for example 18 12 2026") from None
        if not FIRST_DATE <= self.data <= LAST_DATE:
            self.data = None
            raise ValueError(f"{self.label.text} must be a date {DATE_RANGE_TEXT}")


def error_summary(form) -> dict:
    """The GOV.UK error summary of a form: every field's first error, in the form's order, each linking to its field;
    a date's link goes to its day box (`#<field>-day`), which GOV.UK Frontend's date input expects (ux #12)."""
    items = []
    for field in form:
        if field.errors:
            target = f"{field.id}-day" if isinstance(field, GovDateField) else field.id
            items.append({"text": field.errors[0], "href": f"#{target}"})
    items += [{"text": error} for error in getattr(form, "form_errors", [])]
    return {"titleText": "There is a problem", "errorList": items}


def options(pairs) -> list[SelectChoice]:
    """Choices for a select or radios (WTForms 3.3 deprecates plain tuples)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


REGION_CHOICES = options([("england-and-wales", "England and Wales"), ("scotland", "Scotland"),
                          ("northern-ireland", "Northern Ireland")])


class SignInForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[DataRequired("Enter your email address"),
                                   Email("Enter an email address in the correct format, like name@example.org")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SecurityCodeForm(FlaskForm):
    code = StringField("Security code", widget=GovTextInput(),
                       validators=[DataRequired("Enter the 6-digit code from your authenticator app"),
                                   Length(max=20, message="Enter the 6-digit code from your authenticator app")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


class CqcRatingForm(FlaskForm):
    rating = RadioField("Rating", widget=GovRadioInput(),
                        choices=options((r.value, r.label) for r in CqcRatingValue),
                        validators=[InputRequired("Select the rating")])
    rated_on = GovDateField("Date of the rating", widget=GovDateInput(), format="%d %m %Y",
                         validators=[InputRequired("Enter the date of the rating, for example 27 3 2026")])
    report_url = StringField("Link to the CQC report (optional)", widget=GovTextInput(),
                             validators=[Optional(), URL(message="Enter the link as a web address starting with https://")])
    submit = SubmitField("Record rating", widget=GovSubmitInput())


class WorkdaysForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only calculation submitted by GET

    start = GovDateField("Start date (the day of service or receipt)", widget=GovDateInput(), format="%d %m %Y",
                      validators=[InputRequired("Enter the start date, for example 18 12 2026")])
    days = IntegerField("Number of working days", widget=GovTextInput(),
                        validators=[InputRequired("Enter the number of working days, for example 10"),
                                    NumberRange(-400, 400, "Enter a number of working days between -400 and 400")])
    region = SelectField("Bank holidays of", widget=GovSelect(), choices=REGION_CHOICES, default="england-and-wales")
    submit = SubmitField("Count working days", widget=GovSubmitInput())


class ClosureForm(FlaskForm):
    on = GovDateField("Date", widget=GovDateInput(), format="%d %m %Y",
                   validators=[InputRequired("Enter the date, for example 24 12 2027")])
    region = SelectField("Region", widget=GovSelect(), choices=REGION_CHOICES, default="england-and-wales")
    kind = RadioField("Kind of day", widget=GovRadioInput(),
                      choices=options((k.value, k.label) for k in ClosureKind),
                      validators=[InputRequired("Select the kind of day")])
    reason = StringField("Reason", widget=GovTextInput(),
                         validators=[DataRequired("Enter the reason the day is not a working day"),
                                     Length(max=200, message="Reason must be 200 characters or fewer")])
    submit = SubmitField("Add non-working day", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    submit = SubmitField("Remove", widget=GovSubmitInput())


class UserForm(FlaskForm):
    name = StringField("Full name", widget=GovTextInput(), validators=[DataRequired("Enter the person's name")])
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[DataRequired("Enter the email address"),
                                   Email("Enter an email address in the correct format, like name@example.org")])
    role = SelectField("Role", widget=GovSelect(), choices=options((r.value, r.label) for r in Role))
    provider = SelectField("Provider (for provider roles only)", widget=GovSelect(), choices=[])
    password = PasswordField("Temporary password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter a temporary password"),
                                         Length(min=12, message="Password must be 12 characters or more")])
    submit = SubmitField("Create user", widget=GovSubmitInput())


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", widget=GovPasswordInput(),
                                     validators=[DataRequired("Enter your current password")])
    new_password = PasswordField("New password", widget=GovPasswordInput(),
                                 validators=[DataRequired("Enter a new password")])
    submit = SubmitField("Change password", widget=GovSubmitInput())


class SignOutEverywhereForm(FlaskForm):
    submit = SubmitField("Sign out everywhere", widget=GovSubmitInput())


class TokenForm(FlaskForm):
    name = StringField("What the token is for", widget=GovTextInput(),
                       validators=[DataRequired("Enter what the token is for, like 'Finance system'"),
                                   Length(max=100, message="Name must be 100 characters or fewer")])
    submit = SubmitField("Create token", widget=GovSubmitInput())


class PauseForm(FlaskForm):
    reason = StringField("Why is the clock paused?", widget=GovTextInput(),
                         validators=[DataRequired("Enter why the clock is paused, for example \"awaiting the "
                                                  "council's decision on the plan\""),
                                     Length(max=500, message="Reason must be 500 characters or fewer")])
    submit = SubmitField("Pause the clock", widget=GovSubmitInput())


class ExtendForm(FlaskForm):
    # Its own ids: the pause form on the same page has a "reason" too.
    days = IntegerField("Extra working days", widget=GovTextInput(), id="extend-days",
                        validators=[InputRequired("Enter the number of working days, for example 5"),
                                    NumberRange(1, 60, "Enter a number of working days from 1 to 60")])
    reason = StringField("Reason for the extension", widget=GovTextInput(), id="extend-reason",
                         validators=[DataRequired("Enter why the deadline is being extended"),
                                     Length(max=500, message="Reason must be 500 characters or fewer")])
    submit = SubmitField("Extend the deadline", widget=GovSubmitInput())


class MeetingForm(FlaskForm):
    contract = SelectField("Contract", widget=GovSelect(), choices=[])
    held_on = GovDateField("Date of the meeting", widget=GovDateInput(), format="%d %m %Y",
                           validators=[InputRequired("Enter the date of the meeting, for example 10 12 2026")])
    attendees = StringField("Who attended", widget=GovTextInput(),
                            validators=[DataRequired("Enter who attended (both contract managers at least, KT-15)")])
    minutes = TextAreaField("Minutes", widget=GovTextArea(), validators=[DataRequired("Enter the minutes")])
    # Which of the contract's [[meetings]] cadences it was (issue 15, item 6); the store checks it is the contract's.
    cadence = SelectField("Which meeting", widget=GovSelect(), choices=[], validate_choice=False)
    submit = SubmitField("Record the meeting", widget=GovSubmitInput())


class PlanMeetingsForm(FlaskForm):
    contract = SelectField("Contract", widget=GovSelect(), choices=[],
                           validators=[DataRequired("Select the contract")])
    submit = SubmitField("Plan the next meetings", widget=GovSubmitInput())


class SendMinutesForm(FlaskForm):
    sent_on = GovDateField("Date the minutes were sent", widget=GovDateInput(), format="%d %m %Y",
                           validators=[InputRequired("Enter the date the minutes were sent")])
    submit = SubmitField("Send the minutes", widget=GovSubmitInput())


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reasons", widget=GovTextArea(),
                           validators=[DataRequired("Enter your reasons")])
    submit = SubmitField("Withhold approval", widget=GovSubmitInput())


class ContractSettingForm(FlaskForm):
    """Set or clear one council setting on a contract (A4 due dates, deemed receipt, local complaint clocks); the
    view fills the setting's choices from the contract's rulebook and checks the fields the chosen setting needs."""

    setting = RadioField("Setting", widget=GovRadioInput(), validators=[InputRequired("Select the setting to change")])
    action = RadioField("Set or clear", widget=GovRadioInput(), default="set",
                        choices=options([("set", "Set it to the values below"),
                                         ("clear", "Clear it (back to not set, or the standard default)")]),
                        validators=[InputRequired("Select whether to set or clear the setting")])
    working_days = IntegerField("Due date: working days after the period ends", widget=GovTextInput(),
                                validators=[Optional(), NumberRange(0, 120, "Enter a number of working days from 0 "
                                                                              "to 120")])
    due_from = GovDateField("Due date applies to periods ending on or after", widget=GovDateInput(),
                            format="%d %m %Y", validators=[Optional()])
    receipt_hand = IntegerField("By hand: working days to deemed receipt", widget=GovTextInput(),
                                validators=[Optional(), NumberRange(0, 10, "Enter working days from 0 to 10")])
    receipt_email = IntegerField("By email: working days to deemed receipt", widget=GovTextInput(),
                                 validators=[Optional(), NumberRange(0, 10, "Enter working days from 0 to 10")])
    receipt_post = IntegerField("By post: working days to deemed receipt", widget=GovTextInput(),
                                validators=[Optional(), NumberRange(0, 10, "Enter working days from 0 to 10")])
    report_working_days = IntegerField("Complaint reported to the council within (working days)",
                                       widget=GovTextInput(),
                                       validators=[Optional(), NumberRange(1, 60, "Enter working days from 1 to 60")])
    draft_working_days = IntegerField("Draft response to the council within (working days)", widget=GovTextInput(),
                                      validators=[Optional(), NumberRange(1, 60, "Enter working days from 1 to 60")])
    retention_months = IntegerField("Keep people's records for (months after their service ends)",
                                    widget=GovTextInput(),
                                    validators=[Optional(), NumberRange(1, 1200, "Enter months from 1 to 1200")])
    reason = TextAreaField("Why the setting is changed", widget=GovTextArea(),
                           validators=[DataRequired("Enter why the setting is changed"),
                                       Length(max=500, message="Reason must be 500 characters or fewer")])
    submit = SubmitField("Save setting", widget=GovSubmitInput())
