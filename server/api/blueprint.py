"""The project's Blueprint: query strings are as strict as bodies."""

from __future__ import annotations

import flask_smorest
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    """Unknown query parameters are an error too (webargs ignores them by default).

    A misspelt filter (``?stret=3``) would otherwise be dropped silently and the caller would
    get a wider list than asked for, which for a supervisor means the wrong households.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with :class:`StrictParser` for arguments."""

    ARGUMENTS_PARSER = StrictParser()
