"""Configuration is read when an app is made, and a production app needs a real secret key."""

from __future__ import annotations

import stat
from datetime import timedelta

import pytest

from server import create_app
from server.config import DEV_SECRET_KEY, SECRET_KEY_FILE, ensure_instance_secret_key

BASE = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No TANFANG_* settings but an empty instance folder of this test's own."""
    for name in ("SECRET_KEY", "TIMEZONE", "TOKEN_DAYS", "DATABASE_URL"):
        monkeypatch.delenv(f"TANFANG_{name}", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("TANFANG_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_the_environment_is_read_when_the_app_is_made(clean_env):
    clean_env.setenv("TANFANG_TIMEZONE", "Asia/Urumqi")
    clean_env.setenv("TANFANG_TOKEN_DAYS", "7")
    first = create_app({**BASE, "TESTING": True})
    clean_env.setenv("TANFANG_TIMEZONE", "Pacific/Kiritimati")
    second = create_app({**BASE, "TESTING": True})
    assert first.config["TIMEZONE"] == "Asia/Urumqi"
    assert first.config["TOKEN_LIFETIME"] == timedelta(days=7)
    assert second.config["TIMEZONE"] == "Pacific/Kiritimati"


@pytest.mark.parametrize(
    ("env", "config", "refused"),
    [
        ({}, {}, "TANFANG_SECRET_KEY is not set"),
        ({"TANFANG_SECRET_KEY": DEV_SECRET_KEY}, {}, "development secret key"),
        ({}, {"SECRET_KEY": DEV_SECRET_KEY}, "development secret key"),
        ({"TANFANG_SECRET_KEY": "s3cret-from-the-operator"}, {}, None),
        ({}, {"TESTING": True}, None),
        ({}, {"DEBUG": True}, None),
        ({"FLASK_DEBUG": "1"}, {}, None),
        ({"TANFANG_SECRET_KEY": "k", "TANFANG_TIMEZONE": "Mars/Olympus"}, {}, "not a known zone"),
    ],
    ids=[
        "no-key",
        "dev-key-in-env",
        "dev-key-in-config",
        "real-key",
        "testing",
        "debug",
        "flask-debug",
        "unknown-zone",
    ],
)
def test_the_app_refuses_to_start_insecure_or_misconfigured(clean_env, env, config, refused):
    for name, value in env.items():
        clean_env.setenv(name, value)
    if refused:
        with pytest.raises(RuntimeError, match=refused):
            create_app({**BASE, **config})
    else:
        assert create_app({**BASE, **config}).config["SECRET_KEY"]


def test_the_instance_key_is_made_once_and_kept(clean_env, tmp_path):
    instance = tmp_path / "instance"
    key = ensure_instance_secret_key(instance)
    assert len(key) == 64 and key != DEV_SECRET_KEY
    path = instance / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_instance_secret_key(instance) == key
    # An app made later (the demo, or any command on its instance) signs with that key.
    assert create_app(BASE).config["SECRET_KEY"] == key


def test_an_operators_key_wins_over_the_instance_key(clean_env, tmp_path):
    ensure_instance_secret_key(tmp_path / "instance")
    clean_env.setenv("TANFANG_SECRET_KEY", "from-the-operator")
    assert create_app(BASE).config["SECRET_KEY"] == "from-the-operator"
