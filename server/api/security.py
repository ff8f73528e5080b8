"""Bearer-token authentication for API views and the request's actor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from server import context
from server.extensions import db
from server.models import Device, User
from server.services.auth import tokens
from server.services.core.errors import Forbidden
from server.services.core.transaction import unit_of_work


def bearer_token() -> str | None:
    """The token from ``Authorization: Bearer …``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def login_required(*roles: str, retired_ok: bool = False) -> Callable:
    """Require a valid device token (and one of ``roles``, if given); a retired tablet's
    token is valid only where ``retired_ok`` (sending what it holds, issue 19).

    Sets ``g.actor`` (the User) and ``g.device`` (the Device) for the view. Put it right
    under the route decorator, above ``@blp.arguments``: a caller without a token (401) or
    the role (403) learns that before anything about the shape of its request.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            now = context.now()
            device = tokens.authenticate(db.session, bearer_token(), now, retired_ok=retired_ok)
            if roles and device.user.role not in roles:
                raise Forbidden("Your role may not do this.")
            if not tokens.seen_recently(device, now):
                # A unit of its own: being seen is kept even if the request then fails.
                with unit_of_work(db.session):
                    tokens.touch(db.session, device, now)
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


def revoked_token_required(view: Callable) -> Callable:
    """Require a token an admin revoked (a wipe report's credential: the one call such a
    token still makes), checked before the body, like :func:`login_required`. Sets
    ``g.device``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.device = tokens.revoked_device(db.session, bearer_token())
        return view(*args, **kwargs)

    wrapper._apidoc = getattr(view, "_apidoc", {})  # type: ignore[attr-defined]
    wrapper._apidoc.setdefault("manual_doc", {}).setdefault("security", [{"bearer": []}])
    return wrapper
