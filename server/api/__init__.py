"""The HTTP API under /api/v1 (flask-smorest), with its OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from server.api.openapi import ERROR_SCHEMA_NAME, ErrorResponsesPlugin
from server.api.schemas import ErrorSchema


class TanfangApi(Api):
    """flask-smorest's Api; errors are answered by :mod:`server.errors` for the whole app."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all "default" response: ErrorResponsesPlugin lists every error status.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        # server.errors registers the one error shape app-wide, API or not.
        pass

    def _init_spec(self, *, extra_plugins=None, **options):
        plugins = [*(extra_plugins or ()), ErrorResponsesPlugin()]
        super()._init_spec(extra_plugins=plugins, **options)
        # The plugin refers to the error body by name; flask-smorest usually registered it.
        if ERROR_SCHEMA_NAME not in self.spec.components.schemas:
            self.spec.components.schema(ERROR_SCHEMA_NAME, schema=self.ERROR_SCHEMA)


api = TanfangApi()


def init_app(app: Flask) -> None:
    """Bind the API and register every blueprint."""
    from server.api import auth, households, schedule, sync

    api.init_app(app)
    api.register_blueprint(auth.blp)
    api.register_blueprint(households.blp)
    api.register_blueprint(schedule.blp)
    api.register_blueprint(sync.blp)
