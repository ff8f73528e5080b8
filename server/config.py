"""Configuration: fixed settings, then TANFANG_* environment variables read when an app is made."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sync.schedule import DEFAULT_TZ

# Good enough for tests and a debug session; create_app refuses it anywhere else.
DEV_SECRET_KEY = "dev-only-change-me"
# The instance folder's own key, made by ``tanfang demo`` (and read whenever it exists).
SECRET_KEY_FILE = "secret_key"
MAKE_A_KEY = "export TANFANG_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"


class ConfigError(RuntimeError):
    """A setting no app can start with; the message is one line that says how to fix it."""


class Config:
    """Settings that do not come from the environment (the API's document, mostly)."""

    # hide_parameters: a database error's message (and so any log of it) never carries the
    # bound values — names, ID numbers, birth dates.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    API_TITLE = "Tanfang API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # The docs page (/api/v1/docs) is server.docs_page: local assets, no CDN.
    # The console's session cookie: never readable by scripts, not sent on cross-site
    # requests; ``Secure`` comes from the environment (below). A session lasts a working day.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # The console has no "remember me": no long-lived cookie to steal.
    REMEMBER_COOKIE_HTTPONLY = True
    BOOTSTRAP_SERVE_LOCAL = True  # the street office may have no internet
    BABEL_DEFAULT_LOCALE = "zh"
    API_SPEC_OPTIONS = {
        "info": {"description": "Tanfang (探访) sync and records API. See docs/api.md."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings ``TANFANG_<NAME>`` variables give, with their defaults.

    Read by ``create_app`` each time, so an app sees the environment as it was when it was
    made. ``SECRET_KEY`` is None when unset (``create_app`` then looks in the instance
    folder); the database defaults to an SQLite file there, resolved in ``create_app``.
    """

    def env(name: str, default: str | None = None) -> str | None:
        return environ.get(f"TANFANG_{name}", default)

    return {
        "SECRET_KEY": env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL"),
        "TIMEZONE": env("TIMEZONE", DEFAULT_TZ),
        "TOKEN_LIFETIME": timedelta(days=int(env("TOKEN_DAYS", "30"))),
        # Request bodies above this are refused with 413 before any parsing.
        "MAX_CONTENT_LENGTH": int(env("MAX_CONTENT_LENGTH", str(4 * 1024 * 1024))),
        # Failed logins allowed per window before the user / client address is refused.
        "LOGIN_WINDOW": timedelta(minutes=int(env("LOGIN_WINDOW_MINUTES", "15"))),
        # Per (username, address): a stranger's guesses lock only the stranger's address out.
        "LOGIN_MAX_FAILURES_PER_USER_ADDRESS": int(env("LOGIN_MAX_FAILURES_PER_USER_ADDRESS", "5")),
        # Per username over all addresses: a ceiling against guessing from many machines.
        "LOGIN_MAX_FAILURES_PER_USER": int(env("LOGIN_MAX_FAILURES_PER_USER", "50")),
        "LOGIN_MAX_FAILURES_PER_IP": int(env("LOGIN_MAX_FAILURES_PER_IP", "30")),
        # Off only for a plain-http deployment behind nothing (browsers keep Secure cookies
        # on http://127.0.0.1 and localhost, so the demo works with it on).
        "SESSION_COOKIE_SECURE": env("COOKIE_SECURE", "1") != "0",
        # werkzeug's scrypt by default; tests may choose a cheaper method explicitly.
        "PASSWORD_METHOD": env("PASSWORD_METHOD", "scrypt"),
    }


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """The instance folder: ``TANFANG_INSTANCE_PATH``, else Flask's default for the package."""
    configured = (os.environ if environ is None else environ).get("TANFANG_INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    # Flask's own rule (beside the package in a checkout, under <prefix>/var when installed),
    # imported here so that reading the settings does not load Flask.
    from flask import Flask

    return Path(Flask("server").instance_path)


def instance_secret_key(instance: Path) -> str | None:
    """The key kept in the instance folder, if there is one."""
    path = instance / SECRET_KEY_FILE
    if not path.exists():
        return None
    return path.read_text(encoding="ascii").strip() or None


def ensure_instance_secret_key(instance: Path) -> str:
    """The instance folder's key, made (random, readable by its owner only) the first time."""
    existing = instance_secret_key(instance)
    if existing:
        return existing
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with its permissions in one step, so the key is never readable by others.
    fd = os.open(instance / SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key
