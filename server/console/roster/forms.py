"""The roster import page's form (Flask-WTF: the file, with its size checked)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from server.console.forms import ConsoleForm


class RosterUploadForm(ConsoleForm):
    file = FileField(
        _l("Roster file (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only .csv or .xlsx files.")),
        ],
    )


class RosterImportForm(ConsoleForm):
    """The import's confirmation: the fingerprint of the plan the page showed."""

    fingerprint = HiddenField(validators=[DataRequired()])
