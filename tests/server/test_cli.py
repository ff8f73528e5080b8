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
from tests.factories import bearer, login_body


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
        yield base, tmp_path / "instance" / "tanfang.sqlite3", proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_demo_serves_openapi_and_a_demo_login_works(demo_server):
    base, database, _ = demo_server
    spec = requests.get(f"{base}/api/v1/openapi.json", timeout=5).json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/auth/token" in spec["paths"]
    response = requests.post(
        f"{base}/api/v1/auth/token",
        timeout=10,
        json=login_body("advisor1", DEMO_PASSWORD, device_id="cli-test"),
    )
    assert response.status_code == 201
    token = response.json()["token"]
    listing = requests.get(f"{base}/api/v1/households", timeout=5, headers=bearer(token))
    assert listing.status_code == 200 and listing.json()["total"] > 0
    assert database.exists()
    # Without TANFANG_SECRET_KEY the demo made a key of its own, kept in the instance folder.
    assert (database.parent / "secret_key").read_text().strip()
    docs = requests.get(f"{base}/api/v1/docs", timeout=5)
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()


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


# A name and an address as typed into the search box; neither may reach a log line.
SEARCHED = {"q": "王秀英 中山路12号", "page": "1"}


def _output_after_stop(proc) -> str:
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    return out


def _assert_redacted(log: str) -> None:
    encoded = requests.models.PreparedRequest()
    encoded.prepare_url("http://x/", SEARCHED)
    assert "王秀英" not in log and "中山路" not in log
    assert encoded.url.split("q=")[1].split("&")[0] not in log
    assert "q=[redacted]" in log and "page=1" in log


def test_the_development_server_logs_no_search_terms_and_no_banner(demo_server):
    base, _, proc = demo_server
    response = requests.get(f"{base}/api/v1/households", params=SEARCHED, timeout=5)
    assert response.status_code == 401
    assert "Server" not in response.headers
    _assert_redacted(_output_after_stop(proc))


def test_gunicorn_access_log_has_no_search_terms(migrated, tmp_path):
    port = _free_port()
    exe = shutil.which("tanfang", path=str(Path(sys.executable).parent)) or "tanfang"
    env = {
        **os.environ,
        "TANFANG_INSTANCE_PATH": str(tmp_path / "instance"),
        "TANFANG_DATABASE_URL": migrated,
        "TANFANG_SECRET_KEY": "a test key that is not the development default",
    }
    proc = subprocess.Popen(
        [exe, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"tanfang serve did not start:\n{_output_after_stop(proc)}")
                time.sleep(0.2)
        referer = requests.Request("GET", f"{base}/console", params=SEARCHED).prepare().url
        response = requests.get(
            f"{base}/api/v1/households",
            params=SEARCHED,
            headers={"Referer": referer, "Authorization": "Bearer not-a-real-token"},
            timeout=5,
        )
        assert response.status_code == 401
        log = _output_after_stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _assert_redacted(log)
    assert "/api/v1/households?q=[redacted]&page=1" in log
    assert "not-a-real-token" not in log
