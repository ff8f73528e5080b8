"""Forms of the caseload, handover and lead pages (Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from server.console.admin import common
from server.console.forms import ConsoleForm
from server.services.households import identity


class MoveForm(ConsoleForm):
    """Which households to move and to whom (a GET form: the preview writes nothing)."""

    class Meta:
        csrf = False

    kind = HiddenField(validators=[DataRequired()])
    household = StringField(_l("Household number"), validators=[Optional(), Length(max=64)])
    # The service decides what is in scope (404 beyond it), not the options offered.
    community = SelectField(
        _l("Community"), coerce=str, validators=[Optional()], validate_choice=False
    )
    advisor = SelectField(
        _l("Advisor's whole caseload"), coerce=str, validators=[Optional()], validate_choice=False
    )
    unassigned = SelectField(
        _l("Households without an advisor"),
        coerce=str,
        validators=[Optional()],
        validate_choice=False,
    )
    to_advisor = SelectField(
        _l("New advisor"), coerce=str, validators=[DataRequired()], validate_choice=False
    )


class ConfirmMoveForm(ConsoleForm):
    """The preview's confirm button: the same selection, and the count it showed."""

    kind = HiddenField(validators=[DataRequired()])
    source = HiddenField(validators=[DataRequired()])
    to_advisor = HiddenField(validators=[DataRequired()])
    expected = HiddenField(validators=[DataRequired()])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmLeadForm(ConsoleForm):
    external_id = StringField(_l("Household number"), validators=[DataRequired(), Length(max=64)])
    categories = MultiCheckboxField(_l("Categories"), coerce=str, validators=[DataRequired()])
    hardship_level = SelectField(_l("Hardship level"), coerce=str, validators=[DataRequired()])
    registration_community_id = SelectField(
        _l("Community of registration"), coerce=str, validators=[DataRequired()]
    )
    residence_community_id = SelectField(
        _l("Community of residence"), coerce=str, validators=[Optional()]
    )
    advisor_id = SelectField(_l("Advisor"), coerce=str, validators=[DataRequired()])
    id_number = StringField(_l("Head's ID number"), validators=[DataRequired(), Length(max=18)])
    health = SelectField(_l("Health"), coerce=str, validators=[DataRequired()])
    labour_capacity = SelectField(_l("Labour capacity"), coerce=str, validators=[DataRequired()])
    employment = SelectField(_l("Employment"), coerce=str, validators=[DataRequired()])


class DeclineLeadForm(ConsoleForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(min=2, max=2000)])


# What the services say, in the reader's language (their messages are English msgids).
SERVICE_MESSAGES = {
    "No such advisor.": _l("No such advisor."),
    "Not an advisor of the registration or residence street.": _l(
        "Not an advisor of the registration or residence street."
    ),
    "No households to move.": _l("No households to move."),
    "The new advisor holds them all already.": _l("The new advisor holds them all already."),
    "The preview is out of date.": _l("The preview is out of date."),
    "A household with this number already exists.": _l(
        "A household with this number already exists."
    ),
    identity.ENROLLED_ELSEWHERE: _l("This person is already a member of an active household."),
    "Not a valid resident ID number (居民身份证号).": _l("Not a valid resident ID number."),
    "No such community in your area.": _l("No such community in your area."),
    "Neither street is in your area.": _l("Neither street is in your area."),
    "2 to 2,000 characters.": _l("2 to 2,000 characters."),
}


def say(message: str) -> str:
    """A service's message as the page's language has it (unknown ones as they are)."""
    text = SERVICE_MESSAGES.get(message)
    return str(text) if text is not None else common.message(message)


def show_errors(form: FlaskForm, errors: dict[str, list[str]], fallback: str) -> None:
    """Put a service's field errors beside the form's fields (``fallback`` takes the rest)."""
    for name, messages in errors.items():
        field = form._fields.get(name) or form._fields[fallback]
        field.errors = list(field.errors or []) + [say(str(m)) for m in messages]
