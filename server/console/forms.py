"""The console's forms (Flask-WTF: each carries the session's CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from server.services.auth.console_auth import MIN_PASSWORD
from sync.fields import storable_text


def _leaves(fields: Iterable[Field]) -> Iterator[Field]:
    """Every field holding values, inside sub-forms and lists of them too."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field.entries)
        else:
            yield field


def _refusal(value: object) -> str | None:
    """Why ``value`` cannot be stored (the API's own check), or None."""
    try:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                storable_text(text)
    except ValidationError as error:
        return _(error.messages[0])
    return None


class ConsoleForm(FlaskForm):
    """Every console form: text no database stores (a NUL, which PostgreSQL refuses and
    SQLite keeps) is refused beside its field on both alike, before any service sees it."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.storable() and valid

    def storable(self) -> bool:
        """Whether every field's text can be stored; else a message beside each that cannot."""
        ok = True
        for field in _leaves(self):
            if (message := _refusal(field.data)) is not None:
                field.errors = [*field.errors, message]
                ok = False
        return ok


NEXT_MAX = 2000


class SignInForm(ConsoleForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    # Where to go after; console_path puts nothing longer in the field.
    next = HiddenField(validators=[Optional(), Length(max=NEXT_MAX)])


class PasswordForm(ConsoleForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=256)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Does not match."))],
    )


class ActionForm(ConsoleForm):
    """A button that only needs the CSRF token (sign-out, approve, language)."""


class ReturnForm(ConsoleForm):
    comment = StringField(_l("Comment"), validators=[DataRequired(), Length(max=2000)])


class ReviewFilterForm(ConsoleForm):
    """The review queue's filters (a GET form: no CSRF token needed to read)."""

    class Meta:
        csrf = False

    community = SelectField(_l("Community"), coerce=str, validators=[Optional()])
    advisor = SelectField(_l("Advisor"), coerce=str, validators=[Optional()])
    finding = SelectField(_l("Finding"), coerce=str, validators=[Optional()])
    situation = SelectField(_l("Situation"), coerce=str, validators=[Optional()])
    urgent = BooleanField(_l("Urgent only"))


class DueFilterForm(ConsoleForm):
    class Meta:
        csrf = False

    community = SelectField(_l("Community"), coerce=str, validators=[Optional()])
    advisor = SelectField(_l("Advisor"), coerce=str, validators=[Optional()])
    state = SelectField(_l("State"), coerce=str, validators=[Optional()])


class LanguageForm(ConsoleForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()
