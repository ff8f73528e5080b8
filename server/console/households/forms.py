"""The household file's forms: hardship level, cycle override, removing the override."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Regexp, ValidationError

from server.console.forms import ConsoleForm
from server.console.labels import choices
from server.services.core import paging

# What the wire schema (sync/records.py) and the household service say about these fields,
# as the console's catalog says it: marked here so the extraction keeps them. A message
# not listed is shown as the schema wrote it.
SCHEMA_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Must be one of: high, medium, low."),
    _l("Must be one of: monthly, quarterly, half_yearly."),
    _l("Must be between 2 and 200 characters long."),
    _l("Must not contain NUL characters."),
    _l("Not a valid date."),
    _l("Must not be in the past."),
    _l("Changed since you opened it."),
)


def _a_version(_form: FlaskForm, field: HiddenField) -> None:
    # Validated like any id: a number the database cannot hold would otherwise read as "no
    # version sent" and skip the conflict check.
    if paging.whole_number((field.data or "").strip()) is None:
        raise ValidationError(_l("Not a valid version: open the page again."))


class _VersionedForm(ConsoleForm):
    # The household's version the page showed: a change made meanwhile is a conflict. A
    # form without it (not sent by the page) could never detect one, so it is refused.
    version = HiddenField(
        validators=[
            InputRequired(message=_l("The form is incomplete: open the page again.")),
            Regexp(r"^\d+$", message=_l("The form is incomplete: open the page again.")),
            _a_version,
        ]
    )

    def base_version(self) -> int | None:
        """The version sent back, or None when it is missing or not a number."""
        value = (self.version.data or "").strip()
        return paging.whole_number(value)


class LevelForm(_VersionedForm):
    # The choices are offered, not checked here: the wire schema decides what is valid.
    hardship_level = SelectField(_l("Hardship level"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="level", **kwargs)
        self.hardship_level.choices = choices("HardshipLevel")[1:]


class OverrideForm(_VersionedForm):
    cycle = SelectField(_l("Visit cycle"), validate_choice=False)
    reason = TextAreaField(_l("Reason"))
    # The console asks for an expiry (issue 10) so every override is looked at again; the
    # API keeps it optional (DESIGN §4).
    expires_on = DateField(
        _l("Valid until"),
        validators=[InputRequired(message=_l("Give the last day the override applies."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="override", **kwargs)
        self.cycle.choices = choices("VisitCycle")[1:]

    def wire(self) -> dict:
        """The override as the wire schema reads it (the date already parsed)."""
        return {
            "cycle": self.cycle.data,
            "reason": self.reason.data or "",
            "expires_on": self.expires_on.data.isoformat() if self.expires_on.data else None,
        }


class RemoveOverrideForm(_VersionedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="remove", **kwargs)


def _flatten(errors: dict, prefix: str = "") -> dict[str, list[str]]:
    """``{"cycle_override": {"reason": [...]}}`` → ``{"cycle_override.reason": [...]}``."""
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat |= _flatten(value, f"{path}.")
        else:
            flat[path] = [str(m) for m in value]
    return flat


def show_errors(form: FlaskForm, errors: dict, fields: dict[str, str]) -> None:
    """Put the schema's or service's field ``errors`` beside the form's fields.

    ``fields`` maps an error path (``cycle_override.reason``) to a form field name; an
    error on a path not listed goes to the form as a whole (``form.form_errors``).
    """
    for path, messages in _flatten(errors).items():
        translated = [_(m) for m in messages]
        name = fields.get(path)
        if name is None:
            form.form_errors.extend(translated)
        else:
            target = getattr(form, name)
            target.errors = [*target.errors, *translated]
