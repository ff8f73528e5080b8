"""The tanfang command line: users, demo data, and the demo server over real HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from server.cli.commands import DEMO_PASSWORD
from server.models import AuditEvent, Household, User


def test_user_create_asks_for_the_password_and_audits(world, runner, session):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "newadvisor",
            "--role",
            "advisor",
            "--area",
            "SA",
            "--name",
            "新顾问",
        ],
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created advisor newadvisor" in result.output
    assert "long enough pw" not in result.output
    user = session.scalar(select(User).where(User.username == "newadvisor"))
    assert user.area.code == "SA" and user.display_name == "新顾问"
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == str(user.id))
    )
    assert [e.action for e in events] == ["create"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "advisor", "--area", "NOPE"], "no area"),
        (["--role", "advisor", "--area", "D1"], "area"),
        (["--role", "boss", "--area", "SA"], "boss"),
    ],
)
def test_user_create_explains_bad_input(world, runner, args, message):
    result = runner.invoke(
        args=["user", "create", "someone", *args], input="long enough pw\nlong enough pw\n"
    )
    assert result.exit_code != 0
    assert message in result.output


def test_demo_data_refuses_a_database_with_users(world, runner):
    result = runner.invoke(args=["demo-data", "--households", "5"])
    assert result.exit_code != 0
    assert "already has users" in result.output


def test_demo_data_loads_into_an_empty_database(app, runner, session):
    result = runner.invoke(args=["demo-data", "--households", "12"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Household)) == 12
    assert "advisor1" in result.output and DEMO_PASSWORD in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_server(tmp_path):
    """``tanfang demo`` as a real process on 127.0.0.1, on its own SQLite file."""
    port = _free_port()
    exe = shutil.which("tanfang", path=str(Path(sys.executable).parent)) or "tanfang"
    env = {**os.environ, "TANFANG_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("TANFANG_DATABASE_URL", None)
    env.pop("TANFANG_SECRET_KEY", None)
    proc = subprocess.Popen(
        [exe, "demo", "--port", str(port), "--households", "40"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"tanfang demo exited early:\n{proc.stdout.read()}")
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield base, tmp_path / "instance" / "tanfang.sqlite3"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_demo_serves_openapi_and_a_demo_login_works(demo_server):
    base, database = demo_server
    spec = requests.get(f"{base}/api/v1/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/auth/token" in spec["paths"]
    response = requests.post(
        f"{base}/api/v1/auth/token",
        timeout=10,
        json={"username": "advisor1", "password": DEMO_PASSWORD, "device_id": "cli-test"},
    )
    assert response.status_code == 201
    token = response.json()["token"]
    listing = requests.get(
        f"{base}/api/v1/households", timeout=5, headers={"Authorization": f"Bearer {token}"}
    )
    assert listing.status_code == 200 and listing.json()["total"] > 0
    assert database.exists()
    # Without TANFANG_SECRET_KEY the demo made a key of its own, kept in the instance folder.
    assert (database.parent / "secret_key").read_text().strip()
    docs = requests.get(f"{base}/api/v1/docs", timeout=5)
    assert docs.status_code == 200 and "redoc" in docs.text.lower()


def test_schedule_due_prints_a_table_and_csv(world, runner, session):
    household = world.household("A1", advisor=world.adv_a)
    table = runner.invoke(args=["schedule", "due", "--street", "SA", "--on", "2026-11-23"])
    assert table.exit_code == 0, table.output
    assert "甲街道" in table.output and household.external_id in table.output
    assert "已连续 7 个季度未走访" in table.output
    csv_out = runner.invoke(
        args=[
            "schedule",
            "due",
            "--street",
            "SA",
            "--on",
            "2026-11-23",
            "--format",
            "csv",
            "--lang",
            "en",
        ]
    )
    lines = csv_out.output.strip().splitlines()
    assert lines[0].startswith("external_id,head_name,state")
    assert lines[1].startswith(f"{household.external_id},") and ",overdue,7," in lines[1]


def test_schedule_due_rejects_a_non_street(world, runner):
    result = runner.invoke(args=["schedule", "due", "--street", "A1"])
    assert result.exit_code != 0 and "no street" in result.output


def test_schedule_refresh_ends_an_expired_override(world, runner, session):
    household = world.household(
        cycle_override={"cycle": "monthly", "reason": "临时关注", "expires_on": date(2026, 1, 1)}
    )
    # Enrolled with an override that had already expired: the policy cycle applies.
    assert household.visit_cycle == "quarterly"
    household.visit_cycle = "monthly"  # as it was while the override was valid
    session.commit()
    result = runner.invoke(args=["schedule", "refresh"])
    assert result.exit_code == 0 and "1 households changed cycle" in result.output
    session.refresh(household)
    assert household.visit_cycle == "quarterly"


def test_app_commands_refuse_to_run_with_the_development_key(tmp_path):
    exe = shutil.which("tanfang", path=str(Path(sys.executable).parent)) or "tanfang"
    env = {**os.environ, "TANFANG_INSTANCE_PATH": str(tmp_path / "instance")}
    for name in ("TANFANG_DATABASE_URL", "TANFANG_SECRET_KEY", "FLASK_DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [exe, "schedule", "refresh"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "development secret key" in result.stderr
    assert not (tmp_path / "instance" / "tanfang.sqlite3").exists()
