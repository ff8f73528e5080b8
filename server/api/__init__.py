"""The HTTP API under /api/v1 (flask-smorest), with its OpenAPI document."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


class TanfangApi(Api):
    """flask-smorest's Api; errors are answered by :mod:`server.errors` for the whole app."""

    def _register_error_handlers(self):
        # server.errors registers the one error shape app-wide, API or not.
        pass


api = TanfangApi()


def init_app(app: Flask) -> None:
    """Bind the API and register every blueprint."""
    from server.api import auth, households

    api.init_app(app)
    api.register_blueprint(auth.blp)
    api.register_blueprint(households.blp)
