"""Where each server command of ``tanfang`` lives, and its summary for ``tanfang --help``."""

from __future__ import annotations

# name: (module:attribute, the first paragraph of its help). The group imports a command's
# module only when that command runs or shows its own help: importing them all (flask-migrate
# brings Alembic, the services SQLAlchemy) made every ``--help`` take 1.5–2.5 s. A test checks
# each summary against the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "area": ("server.cli.areas:group", "The area tree (district → street → community)."),
    "db": ("server.cli.migrations:group", "Perform database migrations."),
    "demo": (
        "server.cli.commands:demo",
        "Create the database, load demo data (once) and serve it.",
    ),
    "demo-data": (
        "server.cli.commands:demo_data",
        "Load the demo areas, accounts and N households into an empty database.",
    ),
    "openapi": ("flask_smorest.spec:openapi_cli", "OpenAPI commands."),
    "roster": (
        "server.cli.roster:group",
        "Roster of the monitored population (低收入人口): import from CSV or XLSX.",
    ),
    "schedule": ("server.cli.schedule:group", "Visit schedule: due lists and cycle refresh."),
    "serve": (
        "server.cli.commands:serve",
        "Serve with gunicorn (production); set TANFANG_DATABASE_URL first.",
    ),
    "sync": (
        "server.cli.sync_client:group",
        "Act as a tablet: sign in, push the outbox, pull changes.",
    ),
    "sync-prune": (
        "server.cli.prune:prune",
        "Remove push answers and tombstones no tablet can still need (run it nightly).",
    ),
    "user": ("server.cli.commands:user", "Manage accounts."),
    "warnings": ("server.cli.warnings:group", "Warnings (预警): the daily overdue scan."),
    "worker": (
        "server.cli.worker:worker",
        "Run the periodic jobs: cycle refresh, overdue-warning scan, sync retention.",
    ),
}
# Flask's own commands, on every FlaskGroup.
FLASK_COMMANDS = frozenset({"routes", "run", "shell"})


def is_server_command(name: str) -> bool:
    """Whether ``name`` is one of the server's commands (no other package is asked)."""
    return name in COMMANDS or name in FLASK_COMMANDS
