"""App commands: demo, serve, user create, demo-data."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from server import config as settings
from server import context
from server.extensions import db
from server.logredact import QuietRequestHandler
from server.models import User
from server.services.auth import users
from server.services.core.errors import ServiceError
from server.services.core.transaction import unit_of_work

DEMO_PASSWORD = "tanfang-demo"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--households", default=300, show_default=True, type=int)
def demo(host: str, port: int, households: int) -> None:
    """Create the database, load demo data (once) and serve it."""
    if not os.environ.get("TANFANG_SECRET_KEY"):
        # The demo keeps a random key of its own in the instance folder, made before the
        # app (which refuses the development key outside testing and debugging).
        settings.ensure_instance_secret_key(settings.instance_path())
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        _demo(host, port, households)


def _demo(host: str, port: int, households: int) -> None:
    from server.demo import load_demo

    _ensure_schema()
    if db.session.scalar(db.select(User.id).limit(1)) is None:
        with click.progressbar(length=households, label="Loading demo data") as bar:
            with unit_of_work(db.session):
                load_demo(
                    db.session,
                    households=households,
                    password=DEMO_PASSWORD,
                    tz=context.tz(),
                    progress=bar.update,
                )
    _print_accounts()
    click.echo(f"API docs: http://{host}:{port}/api/v1/docs  (OpenAPI: /api/v1/openapi.json)")
    # End this command's own transaction: on SQLite it would hold the write lock while the
    # server's request threads wait for it.
    db.session.remove()
    # Flask's app.run() refuses to start inside a CLI command, so serve with werkzeug.
    run_simple(
        host,
        port,
        current_app._get_current_object(),
        threaded=True,
        request_handler=QuietRequestHandler,
    )


def _ensure_schema() -> None:
    """Bring the database to the newest migration (creating it if it is new)."""
    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    upgrade(directory=current_app.extensions["migrate"].directory)


def _print_accounts() -> None:
    click.echo(f"\nDemo accounts (password: {DEMO_PASSWORD})")
    rows = db.session.scalars(db.select(User).order_by(User.role, User.username)).all()
    for u in rows:
        area = u.area.name if u.area else "-"
        click.echo(f"  {u.username:<14} {u.role:<11} {area:<10} {u.display_name}")


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option(
    "--workers", default=max(2, (os.cpu_count() or 1) * 2 + 1), show_default=True, type=int
)
@with_appcontext  # builds the app once here, so a misconfiguration stops it before forking
def serve(bind: str, workers: int) -> None:
    """Serve with gunicorn (production); set TANFANG_DATABASE_URL first."""
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            # Query values (names typed into search) never reach the access log.
            self.cfg.set("logger_class", "server.gunicorn_logging.RedactingLogger")

        def load(self):
            from server.app import create_app

            return create_app()

    _Gunicorn().run()


@click.group(cls=AppGroup)
def user() -> None:
    """Manage accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["advisor", "supervisor", "admin"]), required=True)
@click.option("--area", "area_code", help="area code or id (street/community/district)")
@click.option("--name", "display_name", default="")
@click.password_option()
def create_user(
    username: str, role: str, area_code: str | None, display_name: str, password: str
) -> None:
    """Create an account (the password is asked for, never echoed)."""
    area = users.find_area(db.session, area_code)
    if area_code and area is None:
        raise click.BadParameter(f"no area {area_code!r}", param_hint="--area")
    try:
        with unit_of_work(db.session):
            created = users.create_user(
                db.session,
                actor=None,
                username=username,
                password=password,
                role=role,
                area=area,
                display_name=display_name,
                now=context.now(),
                password_method=current_app.config["PASSWORD_METHOD"],
            )
    except ServiceError as exc:
        for field, messages in exc.errors.items():
            click.echo(f"{field}: {' '.join(messages)}", err=True)
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {created.role} {created.username} (id {created.id}).")


@user.command("lockouts")
def list_lockouts() -> None:
    """Show failed sign-ins within the throttling window, and who is locked out (accounts
    from an address, and addresses locked for every account)."""
    from server.services.auth import lockouts

    now, policy = context.now(), context.login_policy()
    rows = lockouts.list_lockouts(db.session, now=now, policy=policy)
    addresses = lockouts.list_address_locks(db.session, now=now, policy=policy)
    if not rows and not addresses:
        click.echo("No failed sign-ins in the window.")
    for row in rows:
        state = "locked" if row.locked else "-"
        click.echo(
            f"{row.username:<20} {row.remote_addr:<40} {row.failures:>4}  "
            f"{row.last_at:%Y-%m-%d %H:%M} UTC  {state}"
        )
    for lock in addresses:
        click.echo(
            f"{'(every account)':<20} {lock.remote_addr:<40} {lock.failures:>4}  "
            f"{lock.last_at:%Y-%m-%d %H:%M} UTC  locked address "
            f"(tanfang user unlock --address {lock.remote_addr})"
        )


@user.command("unlock")
@click.argument("username", required=False)
@click.option("--address", help="Lift an address's lock instead (every account from it).")
def unlock_user(username: str | None, address: str | None) -> None:
    """Lift a sign-in lockout: forget USERNAME's failed sign-ins from every address, or
    (--address) every failed sign-in from one address."""
    from server.services.auth import lockouts

    if bool(username) == bool(address):
        raise click.UsageError("Give a USERNAME or --address ADDRESS (one of them).")
    with unit_of_work(db.session):
        if address:
            count = lockouts.unlock_address(db.session, remote_addr=address)
        else:
            count = lockouts.unlock(db.session, username=username)
    click.echo(f"Unlocked {username or address}: {count} failed sign-in(s) forgotten.")


@click.command("demo-data")
@click.option("--households", default=300, show_default=True, type=int)
@click.option("--seed", default=20261123, show_default=True, type=int)
@with_appcontext
def demo_data(households: int, seed: int) -> None:
    """Load the demo areas, accounts and N households into an empty database."""
    from server.demo import load_demo

    _ensure_schema()
    if db.session.scalar(db.select(User.id).limit(1)) is not None:
        raise click.ClickException("The database already has users; demo data needs it empty.")
    with click.progressbar(length=households, label="Loading demo data") as bar:
        with unit_of_work(db.session):
            load_demo(
                db.session,
                households=households,
                password=DEMO_PASSWORD,
                tz=context.tz(),
                seed=seed,
                progress=bar.update,
            )
    _print_accounts()
