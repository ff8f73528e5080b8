"""Bearer-token authentication for API views and the request's actor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps

from flask import current_app, g, request

from server.extensions import db
from server.models import Device, User
from server.services import auth
from server.services.auth import LoginPolicy
from server.services.errors import Forbidden


def now() -> datetime:
    """The request's notion of now: timezone-aware UTC."""
    return datetime.now(UTC)


def login_policy() -> LoginPolicy:
    """Token lifetime and throttling limits from the app's configuration."""
    cfg = current_app.config
    return LoginPolicy(
        token_lifetime=cfg["TOKEN_LIFETIME"],
        window=cfg["LOGIN_WINDOW"],
        max_per_user=cfg["LOGIN_MAX_FAILURES_PER_USER"],
        max_per_ip=cfg["LOGIN_MAX_FAILURES_PER_IP"],
    )


def bearer_token() -> str | None:
    """The token from ``Authorization: Bearer …``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def login_required(*roles: str) -> Callable:
    """Require a valid device token (and one of ``roles``, if given).

    Sets ``g.actor`` (the User) and ``g.device`` (the Device) for the view.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            device = auth.authenticate(db.session, bearer_token(), now())
            if roles and device.user.role not in roles:
                raise Forbidden("Your role may not do this.")
            auth.touch(db.session, device, now())
            g.actor, g.device = device.user, device
            return view(*args, **kwargs)

        # Tell the OpenAPI document that this operation needs the bearer token.
        wrapper._apidoc = getattr(view, "_apidoc", {})  # type: ignore[attr-defined]
        wrapper._apidoc.setdefault("manual_doc", {}).setdefault("security", [{"bearer": []}])
        return wrapper

    return decorate


def actor() -> User:
    """The signed-in user of this request."""
    return g.actor


def device() -> Device:
    """The device (token) of this request."""
    return g.device
