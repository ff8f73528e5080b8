"""What views and commands hand to services from the running app: now, the zone, the policy.

The API, the CLI and the coming web console all read these here, so none of them needs
another's module, and services keep taking them as plain arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app

from server.services.auth.tokens import LoginPolicy
from server.services.households.schedule import local_today


def now() -> datetime:
    """The current instant, timezone-aware UTC (tests may replace this one function)."""
    return datetime.now(UTC)


def tz() -> str:
    """The IANA zone local dates are reckoned in (``TANFANG_TIMEZONE``)."""
    return current_app.config["TIMEZONE"]


def today() -> date:
    """Today's local date in the configured zone."""
    return local_today(tz(), now())


def login_policy() -> LoginPolicy:
    """Token lifetime and sign-in throttling limits from the app's configuration."""
    return LoginPolicy.from_config(current_app.config)
