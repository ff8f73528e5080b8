"""The console's forms (Flask-WTF: each carries the session's CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from server.services.auth.console_auth import MIN_PASSWORD


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField(validators=[Optional(), Length(max=2000)])  # where to go after


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=256)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Does not match."))],
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (sign-out, approve, language)."""


class ReturnForm(FlaskForm):
    comment = StringField(_l("Comment"), validators=[DataRequired(), Length(max=2000)])


class ReviewFilterForm(FlaskForm):
    """The review queue's filters (a GET form: no CSRF token needed to read)."""

    class Meta:
        csrf = False

    community = SelectField(_l("Community"), coerce=str, validators=[Optional()])
    advisor = SelectField(_l("Advisor"), coerce=str, validators=[Optional()])
    finding = SelectField(_l("Finding"), coerce=str, validators=[Optional()])
    situation = SelectField(_l("Situation"), coerce=str, validators=[Optional()])
    urgent = BooleanField(_l("Urgent only"))


class DueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    community = SelectField(_l("Community"), coerce=str, validators=[Optional()])
    advisor = SelectField(_l("Advisor"), coerce=str, validators=[Optional()])
    state = SelectField(_l("State"), coerce=str, validators=[Optional()])


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()
