"""The HTTP API under /api/v1 (flask-smorest), with its OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from server import errors
from server.api.openapi import ErrorResponsesPlugin
from server.api.schemas import ErrorSchema


class TanfangApi(Api):
    """flask-smorest's Api answering errors in the one shape of :mod:`server.errors`."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all "default" response: ErrorResponsesPlugin lists every error status.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error):
        """flask-smorest's documented hook for HTTP errors: the app-wide shape."""
        return errors.handle_http_exception(error)


api = TanfangApi()


def init_app(app: Flask) -> None:
    """Bind the API and register every blueprint."""
    from server.api import auth, households, leads, schedule, sync

    # The plugin documents the error body on every operation (and registers its schema);
    # one per app, as it holds that app's document.
    api.init_app(app, spec_kwargs={"extra_plugins": [ErrorResponsesPlugin(ErrorSchema)]})
    api.register_blueprint(auth.blp)
    api.register_blueprint(households.blp)
    api.register_blueprint(leads.blp)
    api.register_blueprint(schedule.blp)
    api.register_blueprint(sync.blp)
