"""The project's Blueprint: query strings are as strict as bodies."""

from __future__ import annotations

import json

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from server import jsonguard


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

    def _raw_load_json(self, req):
        """The body parsed with :func:`server.jsonguard.loads`: depth, size and numbers
        bounded (400, or 413 for a body with too many values)."""
        if not is_json_request(req):
            return core.missing
        try:
            return jsonguard.loads(req.get_data(cache=True).decode("utf-8"))
        except UnicodeDecodeError as error:
            raise json.JSONDecodeError(f"Not UTF-8: {error.reason}", "", error.start) from error
        except jsonguard.BodyRefused as error:
            abort(error.status, exc=error, messages={"json": [str(error)]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with :class:`StrictParser` for arguments."""

    ARGUMENTS_PARSER = StrictParser()
