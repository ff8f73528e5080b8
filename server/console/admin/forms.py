"""The administration pages' forms (Flask-WTF; GET filters carry no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from server.console.forms import ConsoleForm
from server.services.admin.lease import LEASE_HOURS_RANGE


class _Get(ConsoleForm):
    class Meta:
        csrf = False


class UserFilterForm(_Get):
    role = SelectField(_l("Role"), validators=[Optional()])
    area = SelectField(_l("Area"), validators=[Optional()])
    active = SelectField(_l("Status"), validators=[Optional()])


class UserCreateForm(ConsoleForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    area = SelectField(_l("Area"), validators=[Optional()])
    password = PasswordField(
        _l("Initial password (leave empty to generate one)"),
        validators=[Optional(), Length(max=256)],
    )


class UserEditForm(ConsoleForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    area = SelectField(_l("Area"), validators=[Optional()])


class PasswordResetForm(ConsoleForm):
    password = PasswordField(
        _l("New password (leave empty to generate one)"), validators=[Optional(), Length(max=256)]
    )


class ActiveForm(ConsoleForm):
    active = HiddenField(validators=[DataRequired()])


class DeviceFilterForm(_Get):
    state = SelectField(_l("Show"), validators=[Optional()])


class LeaseForm(ConsoleForm):
    lease_hours = IntegerField(
        _l("Offline lease (hours)"),
        validators=[DataRequired(), NumberRange(*LEASE_HOURS_RANGE)],
    )


class AreaCreateForm(ConsoleForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    parent = SelectField(_l("Belongs to"), validators=[Optional()])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Area name"), validators=[DataRequired(), Length(max=100)])


class AreaRenameForm(ConsoleForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Area name"), validators=[DataRequired(), Length(max=100)])


class AuditFilterForm(_Get):
    who = StringField(_l("Who (username)"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), validators=[Optional()])
    entity = SelectField(_l("Record type"), validators=[Optional()])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    since = DateField(_l("Date from"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])


class MultiCheckboxField(SelectMultipleField):
    """Several codes chosen with checkboxes (each with its own label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleForm(Form):
    """One raising rule of the policy (a sub-form: the outer form carries the token)."""

    name = StringField(_l("Rule name"), validators=[Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Length(max=200)])
    cycle = SelectField(_l("Visit at least"))
    categories_any = MultiCheckboxField(_l("Any of these categories"))
    member_health_any = MultiCheckboxField(_l("A member whose health is"))
    member_labour_any = MultiCheckboxField(_l("and whose labour capacity is"))
    levels_any = MultiCheckboxField(_l("Hardship levels"))
    remove = BooleanField(_l("Remove this rule"))


class PolicyForm(ConsoleForm):
    high = SelectField(_l("High"))
    medium = SelectField(_l("Medium"))
    low = SelectField(_l("Low"))
    rules = FieldList(FormField(RuleForm))
