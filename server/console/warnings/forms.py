"""Forms of the warnings page (预警处置): the list's filters and the disposal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from server.console.forms import ConsoleForm
from server.console.labels import choices

# What the warning services say, in the reader's language (their messages are English).
MESSAGES = {
    "Choose one of the disposals that fit this warning.": _l(
        "Choose one of the disposals that fit this warning."
    ),
    "Say whom it was referred to.": _l("Say whom it was referred to."),
    "Give the reason nothing is done.": _l("Give the reason nothing is done."),
    "Too long.": _l("Too long."),
    "Unknown value.": _l("Unknown value."),
}


class WarningFilterForm(ConsoleForm):
    """The list's filters (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    level = SelectField(_l("Warning level"), coerce=str, validators=[Optional()])
    kind = SelectField(_l("Kind"), coerce=str, validators=[Optional()])
    status = SelectField(_l("Status"), coerce=str, validators=[Optional()])
    overdue = BooleanField(_l("Overdue for action only"))

    def fill(self) -> WarningFilterForm:
        """The options: every code of each enumeration, "any" first."""
        self.level.choices = choices("WarningLevel", _l("Any"))
        self.kind.choices = choices("WarningKind", _l("Any"))
        self.status.choices = choices("WarningStatus", _l("Any"))
        return self


class DisposeForm(ConsoleForm):
    """How a warning in verification was disposed of."""

    # The service decides which disposals fit the warning (a message beside this field).
    disposal = SelectField(
        _l("Disposal"), coerce=str, validators=[DataRequired()], validate_choice=False
    )
    referred_to = StringField(_l("Referred to"), validators=[Optional(), Length(max=200)])
    disposal_reason = TextAreaField(
        _l("Reason for the disposal"), validators=[Optional(), Length(max=500)]
    )


def say(message: str) -> str:
    """A service message in the page's language (an unknown one as it is)."""
    text = MESSAGES.get(message)
    return str(text) if text is not None else message


def show_errors(form: ConsoleForm, errors: dict, fallback: str) -> None:
    """Put a service's field errors beside the form's fields (``fallback`` takes the rest)."""
    for name, messages in errors.items():
        field = form._fields.get(name) or form._fields[fallback]
        field.errors = list(field.errors or []) + [say(str(m)) for m in messages]
