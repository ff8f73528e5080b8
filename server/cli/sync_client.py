"""``tanfang sync``: a headless tablet client, for diagnostics and for tests of real processes."""

from __future__ import annotations

import functools
import json
import os

import click

from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport, SyncError


@click.group("sync")
@click.option(
    "--server",
    "server_url",
    envvar="TANFANG_SERVER",
    help="server base URL, e.g. http://127.0.0.1:5000  [required]",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="the tablet store (SQLite file; created if missing)  [required]",
)
@click.option("--batch", default=100, show_default=True, help="mutations per push")
def group(server_url: str | None, db_path: str | None, batch: int) -> None:
    """Act as a tablet: sign in, push the outbox, pull changes."""


def pass_client(command):
    """Call ``command`` with the client the group's options describe, made when it runs.

    Not in the group's callback, which runs before a subcommand reads ``--help``: there
    ``tanfang sync login --help`` would have needed a server and opened a store.
    """

    @click.pass_context
    @functools.wraps(command)
    def run(ctx: click.Context, /, **params):
        given = ctx.parent.params
        for name, option in (("server_url", "--server"), ("db_path", "--db")):
            if given[name] is None:
                raise click.UsageError(f"Missing option '{option}'.", ctx=ctx.parent)
        store = SQLiteStore(given["db_path"])
        transport = HttpTransport(given["server_url"])
        ctx.call_on_close(store.close)
        ctx.call_on_close(transport.close)
        return command(SyncClient(store, transport, batch=given["batch"]), **params)

    return run


def _progress(phase: str, done: int, total: int | None) -> None:
    click.echo(f"{phase}: {done}" + (f"/{total}" if total else ""), err=True)


def _run(action):
    try:
        return action()
    except SyncError as error:
        raise click.ClickException(str(error)) from error


@group.command()
@click.option("--username", required=True)
@click.option("--password", envvar="TANFANG_PASSWORD", prompt=True, hide_input=True)
@click.option("--device-name", default="tanfang sync")
@pass_client
def login(client: SyncClient, username: str, password: str, device_name: str) -> None:
    """Sign in (the password is read from a prompt or TANFANG_PASSWORD, never echoed)."""
    user = _run(
        lambda: client.login(username, password, device_name=device_name, app_version="cli")
    )
    click.echo(f"Signed in as {user['username']} ({user['role']}).")


@group.command()
@pass_client
def status(client: SyncClient) -> None:
    """What waits to be pushed, what needs attention, and the last sync."""
    store = client.store
    info = {
        "device_id": store.device_id(),
        "pending": store.pending_count(),
        "oldest_pending_at": store.oldest_pending_at(),
        "needs_attention": len(store.attention_items()),
        "households": len(store.households()),
        "last_sync_at": store.get_state("last_sync_at"),
        "signed_in": bool(store.get_state("token")),
    }
    click.echo(json.dumps(info, ensure_ascii=False, indent=2))


@group.command()
@pass_client
def push(client: SyncClient) -> None:
    """Send the outbox."""
    counts = _run(lambda: client.push(_progress))
    click.echo(json.dumps(counts))


@group.command()
@pass_client
def pull(client: SyncClient) -> None:
    """Fetch changes until there are no more."""
    changes, pages = _run(lambda: client.pull(_progress))
    click.echo(json.dumps({"changes": changes, "pages": pages}))


@group.command("sync")
@pass_client
def sync_(client: SyncClient) -> None:
    """Push, then pull."""
    report = _run(lambda: client.sync(_progress))
    click.echo(
        json.dumps(
            {
                "pushed": report.pushed,
                "pulled": report.pulled,
                "pages": report.pages,
                "pid": os.getpid(),
            }
        )
    )
