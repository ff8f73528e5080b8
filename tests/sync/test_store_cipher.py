"""The SQLCipher store: unreadable without its key, refused with a wrong one, and a plaintext
store from today's app encrypted in place, surviving a kill -9 at every step."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sync.store import SQLiteStore
from sync.store.cipher import WrongKey, encrypt_in_place, is_plaintext, temp_path
from tests.sync.store_contract.builders import change, household_data, pull, visit_input

ROOT = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))
NAME, PHONE, TOKEN = "王秀英", "13800138000", "tok-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "data" / "store.sqlite3"


def _fill(store: SQLiteStore) -> None:
    """A household with a known name and phone, a visit queued, the API token."""
    pull(store, change("household", household_data(head_name=NAME, phone=PHONE)))
    store.begin_user({"id": 7, "username": "advisor1"}, TOKEN)
    store.save_visit(visit_input(notes=f"{NAME}说电话 {PHONE}"))


def _every_byte(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_encrypted_store_is_not_a_database_to_plain_sqlite(path):
    path.parent.mkdir()
    with SQLiteStore(path, key=KEY) as store:
        _fill(store)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()


def test_no_name_phone_or_token_in_any_file_of_the_folder_while_open(path):
    """-wal and -shm included: the store is read while still open, WAL not checkpointed."""
    path.parent.mkdir()
    with SQLiteStore(path, key=KEY) as store:
        _fill(store)
        assert {p.name for p in path.parent.iterdir()} >= {path.name, f"{path.name}-wal"}
        raw = _every_byte(path.parent)
        for secret in (NAME, PHONE, TOKEN, "advisor1"):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert secret.encode(encoding) not in raw, secret
        assert store.get_state("token") == TOKEN  # and all of it is there, for the key


def test_the_plain_store_would_have_shown_them(path):
    """The check above finds what it looks for (today's plaintext store)."""
    path.parent.mkdir()
    with SQLiteStore(path) as store:
        _fill(store)
        raw = _every_byte(path.parent)
    assert NAME.encode() in raw and PHONE.encode() in raw and TOKEN.encode() in raw


def test_a_wrong_key_is_refused_at_once(path):
    path.parent.mkdir()
    SQLiteStore(path, key=KEY).close()
    with pytest.raises(WrongKey):
        SQLiteStore(path, key=bytes(32))


def test_the_encrypted_store_keeps_wal_and_full_sync(path):
    path.parent.mkdir()
    with SQLiteStore(path, key=KEY) as store:
        conn = store._conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # memory


def test_todays_plaintext_store_is_encrypted_in_place_with_everything_in_it(path):
    path.parent.mkdir()
    with SQLiteStore(path) as store:  # made by today's code: no key
        _fill(store)
        before = (store.checksum(), store.outbox_items(), store.get_state("token"))
    assert is_plaintext(path)
    assert encrypt_in_place(path, KEY)
    assert not is_plaintext(path) and not temp_path(path).exists()
    with SQLiteStore(path, key=KEY) as store:
        assert (store.checksum(), store.outbox_items(), store.get_state("token")) == before
    raw = _every_byte(path.parent)
    assert NAME.encode() not in raw and TOKEN.encode() not in raw
    assert not encrypt_in_place(path, KEY)  # already encrypted: nothing to do


# Run in a real process that SIGKILLs itself at one step of the encryption.
CHILD = """
import os, signal, sys
from sync.store.cipher import encrypt_in_place

def step(name):
    if name == sys.argv[2]:
        os.kill(os.getpid(), signal.SIGKILL)

encrypt_in_place(sys.argv[1], bytes(range(32)), step)
"""


@pytest.mark.parametrize("step", ["checkpointed", "exported", "synced", "renamed"])
def test_a_kill_9_during_encryption_leaves_one_readable_store(path, step):
    path.parent.mkdir()
    with SQLiteStore(path) as store:
        _fill(store)
        before = (store.checksum(), store.outbox_items())
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), step], cwd=ROOT, capture_output=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    # Exactly one store, readable: still plaintext before the rename, encrypted after it.
    plaintext = is_plaintext(path)
    assert plaintext == (step != "renamed")
    with SQLiteStore(path, key=None if plaintext else KEY) as store:
        assert (store.checksum(), store.outbox_items()) == before
    # The next start finishes the job (or has nothing left to do) and loses nothing.
    encrypt_in_place(path, KEY)
    assert not temp_path(path).exists()
    with SQLiteStore(path, key=KEY) as store:
        assert (store.checksum(), store.outbox_items()) == before
    assert TOKEN.encode() not in _every_byte(path.parent)
