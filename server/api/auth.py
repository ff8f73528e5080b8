"""Sign-in and sign-out endpoints (device tokens)."""

from __future__ import annotations

from flask import current_app, request

from server import context
from server.api import schemas
from server.api.blueprint import Blueprint
from server.api.security import device, login_required
from server.extensions import db
from server.services.admin import lease
from server.services.auth import console_auth, escrow
from server.services.auth import tokens as auth
from server.services.core.transaction import unit_of_work

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in")


@blp.post("/token")
@blp.arguments(schemas.TokenRequestSchema)
@blp.response(201, schemas.TokenResponseSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(429, description="Too many failed sign-ins (see Retry-After)")
def token(data):
    """Sign in a tablet: returns a bearer token for this device."""
    remote_addr, now, policy = request.remote_addr or "-", context.now(), context.login_policy()
    password = data.pop("password")
    with unit_of_work(db.session):
        candidate = auth.sign_in_candidate(
            db.session,
            username=data.pop("username"),
            remote_addr=remote_addr,
            now=now,
            policy=policy,
        )
    valid = auth.password_matches(candidate, password)  # slow: outside any transaction
    with unit_of_work(db.session):
        issued = auth.finish_sign_in(
            db.session,
            candidate=candidate,
            valid=valid,
            **data,
            remote_addr=remote_addr,
            now=now,
            policy=policy,
        )
        lease_until = lease.lease_until(db.session, now)
    return {
        "token": issued.token,
        "expires_at": issued.device.expires_at,
        "user": issued.user,
        "lease_until": lease_until,
    }


@blp.put("/escrow")
@login_required("advisor")
@blp.arguments(schemas.EscrowKeySchema)
@blp.response(204)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(403, description="Only advisors' tablets deposit a key")
def deposit_escrow(data):
    """Deposit this tablet's escrow key (docs/api.md, "Key escrow")."""
    with unit_of_work(db.session):
        escrow.deposit(db.session, device=device(), key=data["key"], now=context.now())


@blp.post("/escrow/release")
@login_required("advisor")
@blp.response(200, schemas.EscrowKeySchema)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(403, description="Not an advisor, or the tablet was revoked by an admin")
@blp.alt_response(404, description="No key deposited for this tablet")
def release_escrow():
    """The escrow key of the tablet this token was issued to: another advisor signed in on
    a locked tablet opens it to deliver the earlier advisor's unsent records."""
    with unit_of_work(db.session):
        return {"key": escrow.release(db.session, device=device(), now=context.now())}


@blp.post("/logout")
@login_required()
@blp.response(204)
@blp.alt_response(401, description="No valid token")
def logout():
    """Revoke the token this request was made with."""
    with unit_of_work(db.session):
        auth.revoke(db.session, actor=device().user, device=device(), now=context.now())


@blp.post("/password")
@login_required()
@blp.arguments(schemas.PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(401, description="No valid token")
@blp.alt_response(422, description="Wrong current password, or too short a new one")
@blp.alt_response(429, description="Too many wrong passwords (see Retry-After)")
def change_password(data):
    """Change the signed-in user's own password (an advisor told to 请立即修改). A wrong
    current password counts as a failed sign-in."""
    user, remote_addr, now = device().user, request.remote_addr or "-", context.now()
    with unit_of_work(db.session):
        candidate = auth.sign_in_candidate(
            db.session,
            username=user.username,
            remote_addr=remote_addr,
            now=now,
            policy=context.login_policy(),
        )
    current_ok = auth.password_matches(candidate, data["current_password"])  # slow: outside
    with unit_of_work(db.session):
        console_auth.change_password(
            db.session,
            actor=user,
            current_ok=current_ok,
            new_password=data["new_password"],
            remote_addr=remote_addr,
            now=now,
            method=current_app.config["PASSWORD_METHOD"],
        )
