"""The tablet app's way in (``tanfang app``, ``tanfang-app``) loads no server stack: Flask,
SQLAlchemy and Alembic once added 1–2 s to its cold start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SERVER_STACK = {"flask", "flask_sqlalchemy", "sqlalchemy", "alembic"}


def _top_level(names) -> set[str]:
    return {name.split(".")[0] for name in names}


# Loaded into the real console script (before its own code) through PYTHONPATH: writes down
# every module the process had loaded when it ended. (-X importtime misses modules loaded by
# importlib, which is how entry points are loaded.)
RECORDER = """
import atexit, json, os, sys
atexit.register(
    lambda: open(os.environ["MODULES_OUT"], "w").write(json.dumps(sorted(sys.modules)))
)
"""


@pytest.mark.parametrize("argv", [["tanfang", "app"], ["tanfang-app"]], ids=" ".join)
def test_the_entry_points_help_imports_no_server_stack(argv, tmp_path):
    """The real console scripts, asked for help with nothing else in their environment."""
    (tmp_path / "sitecustomize.py").write_text(RECORDER)
    out = tmp_path / "modules.json"
    exe = shutil.which(argv[0], path=str(BIN)) or argv[0]
    done = subprocess.run(
        [exe, *argv[1:], "--help"],
        env={"PYTHONPATH": str(tmp_path), "MODULES_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"Usage: {' '.join(argv)} ")
    loaded = set(json.loads(out.read_text()))
    assert {"click", "mobile.cli"} <= loaded  # the recorder saw the command's own imports
    assert _top_level(loaded) & SERVER_STACK == set()


def test_tanfang_app_reaches_the_window_without_the_server_stack(tmp_path):
    """``tanfang app`` up to the point where the window opens (mobile.main.run)."""
    code = f"""
import json, sys
import mobile.main
seen = {{}}
def run(data_dir, server_url=None, size=None):
    seen.update(modules=sorted(sys.modules), data_dir=str(data_dir), size=size)
mobile.main.run = run
from server.cli import main
try:
    main(["app", "--data-dir", {str(tmp_path)!r}, "--portrait"])
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(seen))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert (seen["data_dir"], seen["size"]) == (str(tmp_path), [800, 1280])
    assert "server.cli" in seen["modules"]
    assert _top_level(seen["modules"]) & SERVER_STACK == set()


def test_the_pin_screen_and_the_due_list_load_no_http_stack():
    """requests and urllib3 load with the first sync, on its own thread (issue 17: the cold
    start to a drawn due list), never before the PIN screen or the due list."""
    code = (
        "import sys, mobile.context, mobile.screens.pin, mobile.screens.duelist\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'requests', 'urllib3'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
