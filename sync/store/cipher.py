"""SQLCipher for the tablet store: keying a connection, encrypting a plaintext store in place."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from sync.store.errors import StoreError

KEY_BYTES = 32  # AES-256: SQLCipher takes the data key as it is (no PBKDF2 over it)
_PLAIN_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every unencrypted file
_SIDE_FILES = ("-wal", "-shm", "-journal")


class WrongKey(StoreError):
    """The store file does not open with this key (or is not a database at all)."""


def driver() -> ModuleType:
    """The sqlcipher3 DB-API module; imported only when a key is used, so the server's
    tools, which open plain stores, do not need SQLCipher installed."""
    import sqlcipher3

    return sqlcipher3


def key_connection(conn, key: bytes) -> None:
    """Key a fresh connection with the raw data key and prove the key is right.

    ``PRAGMA key`` must be the first statement; SQLCipher only checks the key on the first
    read, so one read follows at once and a wrong key fails here, not halfway through a
    later transaction.
    """
    if len(key) != KEY_BYTES:
        raise StoreError("the store key must be 32 bytes")
    # A wrong key is an answer for the caller, not an error for SQLCipher's own stderr log.
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    # Sorting and temporary indexes stay in memory: never a plaintext temp file on flash.
    conn.execute("PRAGMA temp_store = MEMORY")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except driver().DatabaseError as error:
        raise WrongKey("the store does not open with this key") from error


def is_plaintext(path: str | os.PathLike[str]) -> bool:
    """The file exists and is an unencrypted SQLite database (today's tablets made them)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(_PLAIN_HEADER)) == _PLAIN_HEADER
    except FileNotFoundError:
        return False


def temp_path(path: str | os.PathLike[str]) -> Path:
    """Where :func:`encrypt_in_place` builds the encrypted copy before renaming it."""
    return Path(f"{os.fspath(path)}.encrypting")


def encrypt_in_place(
    path: str | os.PathLike[str], key: bytes, step: Callable[[str], None] = lambda name: None
) -> bool:
    """Replace the plaintext store at ``path`` by an encrypted copy under ``key``.

    Returns False (doing nothing) when the file is not plaintext. Crash-safe: the copy is
    built beside the file, checked, fsynced and renamed over it in one atomic step, so a
    kill -9 at any instant leaves either the plaintext store (the next start begins again)
    or the encrypted one, never neither. The caller must have stored ``key`` durably first.
    ``step(name)`` is called between the steps (the crash tests kill the process there).
    """
    path = Path(path)
    tmp = temp_path(path)
    tmp.unlink(missing_ok=True)  # an earlier attempt's half-built copy
    if not is_plaintext(path):
        return False
    sqlcipher3 = driver()
    # Fold the WAL into the file and leave rollback-journal mode, so no -wal file with
    # plaintext pages is left beside the encrypted file (SQLite would read it as its own).
    plain = sqlcipher3.connect(os.fspath(path), isolation_level=None)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        plain.execute("PRAGMA journal_mode = DELETE")
        step("checkpointed")
        version = plain.execute("PRAGMA user_version").fetchone()[0]
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (os.fspath(tmp),))
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    step("exported")
    _check_copy(tmp, key, version)
    _fsync(tmp)
    step("synced")
    os.replace(tmp, path)
    _fsync(path.parent)
    step("renamed")
    for suffix in _SIDE_FILES:  # the plaintext's own, empty after the checkpoint
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return True


def _check_copy(tmp: Path, key: bytes, version: int) -> None:
    # The copy must open with the key, pass SQLite's own check and carry the schema version
    # before it may replace the only other copy.
    conn = driver().connect(os.fspath(tmp), isolation_level=None)
    try:
        key_connection(conn, key)
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        copied = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if ok != "ok" or copied != version:
        raise StoreError(f"the encrypted copy failed its check ({ok}, version {copied})")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
