"""The roster import page's form (Flask-WTF: the file, with its size checked)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired


class RosterUploadForm(FlaskForm):
    file = FileField(
        _l("Roster file (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only .csv or .xlsx files.")),
        ],
    )


class RosterImportForm(FlaskForm):
    """The import's confirmation: the fingerprint of the plan the page showed."""

    fingerprint = HiddenField(validators=[DataRequired()])
