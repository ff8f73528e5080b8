"""Configuration read from the environment (TANFANG_* variables)."""

from __future__ import annotations

import os
from datetime import timedelta

from sync.schedule import DEFAULT_TZ


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TANFANG_{name}", default)


class Config:
    """Settings for one app instance; every value can be overridden by ``TANFANG_<NAME>``.

    The database defaults to an SQLite file in the instance folder (resolved in
    ``create_app`` because the folder is only known there).
    """

    SECRET_KEY = _env("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    TIMEZONE = _env("TIMEZONE", DEFAULT_TZ)
    TOKEN_LIFETIME = timedelta(days=int(_env("TOKEN_DAYS", "30")))
    # Request bodies above this are refused with 413 before any parsing.
    MAX_CONTENT_LENGTH = int(_env("MAX_CONTENT_LENGTH", str(4 * 1024 * 1024)))
    # Failed logins allowed per window before the user / client address is refused.
    LOGIN_WINDOW = timedelta(minutes=int(_env("LOGIN_WINDOW_MINUTES", "15")))
    LOGIN_MAX_FAILURES_PER_USER = int(_env("LOGIN_MAX_FAILURES_PER_USER", "5"))
    LOGIN_MAX_FAILURES_PER_IP = int(_env("LOGIN_MAX_FAILURES_PER_IP", "30"))
    # werkzeug's scrypt by default; tests may choose a cheaper method explicitly.
    PASSWORD_METHOD = _env("PASSWORD_METHOD", "scrypt")

    API_TITLE = "Tanfang API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = "/docs"
    OPENAPI_REDOC_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
    API_SPEC_OPTIONS = {
        "info": {"description": "Tanfang (探访) sync and records API. See docs/api.md."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
