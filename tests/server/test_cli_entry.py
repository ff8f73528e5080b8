"""``tanfang`` as a shell meets it: help with nothing set, and one line, not a traceback,
when a command needs the app and the secret key is missing."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from server.cli import index
from server.cli.group import cli
from server.config import DEV_SECRET_KEY, MAKE_A_KEY

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
TANFANG = shutil.which("tanfang", path=str(BIN)) or "tanfang"
# The real entry point, asked for help with nothing at all in its environment.
HELP_CASES = [
    [],
    ["user", "create"],
    ["db", "upgrade"],
    ["schedule", "due"],
    ["serve"],
    ["app"],
    ["roster", "import"],
    ["area", "import"],
]


def _run_together(argvs: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    """Start every command at once (each takes a second or two to import the server)."""
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_help_needs_no_setting():
    procs = _run_together([[TANFANG, *args, "--help"] for args in HELP_CASES], env={})
    for args, proc in zip(HELP_CASES, procs, strict=True):
        assert (proc.returncode, proc.stderr) == (0, ""), args
        assert proc.stdout.startswith(f"Usage: {' '.join(['tanfang', *args])} "), args
    listed = procs[0].stdout.split("Commands:")[1]
    for name in ("app", "db", "demo", "roster", "schedule", "serve", "sync", "user"):
        assert f"\n  {name} " in listed


def _paths(command: click.Command, path: tuple[str, ...] = ()):
    yield path
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _paths(command.get_command(ctx, name), (*path, name))


def test_every_commands_help_builds_no_app(monkeypatch):
    """All of them, in process: asking for help never builds the app."""

    def no_app():
        raise AssertionError("help built the app")

    monkeypatch.setattr(cli, "create_app", no_app)
    runner = CliRunner(env={"TANFANG_SECRET_KEY": None, "TANFANG_DATABASE_URL": None})
    paths = list(_paths(cli))
    assert ("db", "upgrade") in paths and ("user", "unlock") in paths and len(paths) > 30
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="tanfang")
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith(f"Usage: {' '.join(['tanfang', *path])} ")


def test_the_group_has_every_command_the_app_has(app):
    """Nothing registered on app.cli (by an extension) is missing from ``tanfang``."""
    assert set(app.cli.commands) <= set(cli.list_commands(click.Context(cli)))


def test_the_listing_shows_each_commands_own_summary():
    """``tanfang --help`` lists the summaries kept in server.cli.index without importing the
    commands: each is the first paragraph of the command's own help."""
    ctx = click.Context(cli)
    for name, (_, summary) in index.COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert " ".join(first.split()) == summary, name


# What a quick start must not load: the database layer, the migrations, the HTTP client.
HEAVY = ("sqlalchemy", "alembic", "flask_migrate", "flask_sqlalchemy", "requests", "openpyxl")


@pytest.mark.parametrize(
    ("args", "modules"),
    [([], set()), (["roster", "import"], {"roster"}), (["area", "import"], {"areas", "roster"})],
)
def test_help_imports_no_command_it_does_not_show(args, modules):
    """Help for the group or for one command imports only that command's module (the group
    is lazy), never the database layer or the migrations: 1.6–2.5 s before, ~0.25 s now."""
    code = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        "from server.cli import main\n"
        f"main({[*args, '--help']!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.startswith("Usage: tanfang"), done.stderr
    loaded = json.loads(done.stderr.splitlines()[-1])
    assert {m.split(".")[0] for m in loaded} & set(HEAVY) == set()
    commands = {m.removeprefix("server.cli.") for m in loaded if m.startswith("server.cli.")}
    assert commands == {"group", "index", "outside", *modules}


@pytest.mark.parametrize(
    ("key", "problem"), [(None, "is not set"), (DEV_SECRET_KEY, "is the development secret key")]
)
def test_a_command_that_needs_the_app_names_the_missing_key_and_the_fix(tmp_path, key, problem):
    env = {"TANFANG_INSTANCE_PATH": str(tmp_path / "instance")}
    if key:
        env["TANFANG_SECRET_KEY"] = key
    procs = _run_together([[TANFANG, "schedule", "refresh"], [TANFANG, "serve"]], env)
    for proc in procs:
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert proc.stderr == f"Error: TANFANG_SECRET_KEY {problem}: {MAKE_A_KEY}\n"
    assert not (tmp_path / "instance" / "tanfang.sqlite3").exists()


def test_the_fix_it_names_works(tmp_path):
    env = {"TANFANG_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": f"{BIN}:{os.defpath}"}
    done = subprocess.run(
        ["sh", "-c", f"{MAKE_A_KEY} && tanfang routes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "/api/v1/openapi.json" in done.stdout
