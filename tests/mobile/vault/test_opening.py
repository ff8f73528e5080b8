"""The app's first start on a tablet: a new store, or today's plaintext one encrypted."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mobile.platform import paths
from mobile.vault import Vault
from mobile.vault.opening import open_at_start
from sync.store import SQLiteStore
from sync.store.cipher import is_plaintext

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "tok-plaintext-era-0123456789abcdef"


@pytest.fixture
def old_tablet(tmp_path) -> Path:
    """A data folder as today's app leaves it: a plaintext store with a token and a queued
    household edit."""
    data_dir = tmp_path / "app"
    data_dir.mkdir()
    with SQLiteStore(paths.store_path(data_dir)) as store:
        store.begin_user({"id": 7, "username": "advisor1"}, TOKEN)
    return data_dir


def test_a_new_tablet_gets_a_store_that_opens_until_the_first_sign_in(tmp_path):
    vault = Vault(tmp_path)
    store = open_at_start(tmp_path, vault)
    try:
        assert vault.provisional and not vault.has_password
        assert not is_plaintext(paths.store_path(tmp_path))
    finally:
        store.close()


def test_the_plaintext_store_is_encrypted_on_first_start(old_tablet):
    store = open_at_start(old_tablet, Vault(old_tablet))
    try:
        assert store.get_state("token") == TOKEN
    finally:
        store.close()
    assert not is_plaintext(paths.store_path(old_tablet))
    raw = b"".join(p.read_bytes() for p in old_tablet.rglob("*") if p.is_file())
    assert TOKEN.encode() not in raw


KILLED_START = """
import os, signal, sys
from pathlib import Path
import sync.store.cipher as cipher
from mobile.vault import Vault
from mobile.vault.opening import open_at_start

real = cipher.encrypt_in_place
def killed(path, key, step=None):
    def at(name):
        if name == sys.argv[2]:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(path, key, at)
import mobile.vault.opening as opening
opening.encrypt_in_place = killed
open_at_start(Path(sys.argv[1]), Vault(Path(sys.argv[1])))
"""


@pytest.mark.parametrize("step", ["checkpointed", "exported", "renamed"])
def test_a_kill_9_on_first_start_loses_neither_the_store_nor_its_key(old_tablet, step):
    done = subprocess.run(
        [sys.executable, "-c", KILLED_START, str(old_tablet), step],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    # The key was written down before anything was encrypted under it: the next start opens.
    store = open_at_start(old_tablet, Vault(old_tablet))
    try:
        assert store.get_state("token") == TOKEN
    finally:
        store.close()
    assert not is_plaintext(paths.store_path(old_tablet))


def _old_pin(store, pin: str) -> None:
    """The earlier app's PIN record, as it wrote it (PBKDF2-SHA256, 120,000 rounds)."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, 120_000).hex()
    store.set_state("pin", {"salt": salt.hex(), "hash": digest})
    store.set_state("pin_failures", 0)


def test_the_earlier_pin_still_unlocks_offline_once_and_is_then_wrapped(old_tablet, monkeypatch):
    """An advisor whose tablet is updated in a village: the old PIN opens, no network."""
    monkeypatch.setenv("KIVY_HOME", str(old_tablet / "kivy"))
    with SQLiteStore(paths.store_path(old_tablet)) as store:
        _old_pin(store, "135790")
    from mobile.context import AppContext
    from mobile.viewmodels.auth import PinViewModel

    ctx = AppContext.open(old_tablet, lambda cb: cb(), "http://127.0.0.1:9")
    try:
        vm = PinViewModel(ctx)
        assert vm.mode == "unlock" and not vm.blocked
        vm.pin = "000000"
        assert not vm.submit() and "4" in vm.error
        vm.pin = "135790"
        assert vm.submit()
        assert ctx.vault.has_pin and ctx.store.get_state("pin") is None  # no hash left
    finally:
        ctx.close()
    # From now on the PIN wrapping opens the store.
    assert Vault(old_tablet).unlock_pin("135790")
