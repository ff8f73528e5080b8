"""Opening the tablet's encrypted store: a new one, today's plaintext one encrypted, or unlocked."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mobile.platform import paths
from mobile.vault.keyring import Vault
from sync.store import SQLiteStore
from sync.store.cipher import encrypt_in_place, is_plaintext

log = logging.getLogger(__name__)


def open_store(data_dir: Path, key: bytes) -> SQLiteStore:
    """The store under ``key``; a plaintext store from an earlier version is encrypted in
    place first (crash-safe: :func:`sync.store.cipher.encrypt_in_place`)."""
    path = paths.store_path(data_dir)
    if encrypt_in_place(path, key):
        log.info("the plaintext store was encrypted in place")
    return SQLiteStore(path, key=key)


def open_at_start(data_dir: Path, vault: Vault) -> SQLiteStore | None:
    """The store when it opens without a PIN or password, else None (locked).

    A tablet without a keyring gets a new data key, provisionally wrapped under the device
    secret and written down *before* a plaintext store is encrypted under it; the store is
    then open until the first password sign-in wraps the key properly.
    """
    if not vault.exists:
        path = paths.store_path(data_dir)
        if path.exists() and not is_plaintext(path):
            # An encrypted store whose keys are gone (shredded) is noise: set it aside
            # rather than delete anything.
            stamp = int(time.time())
            for suffix in ("", "-wal", "-shm"):
                side = Path(f"{path}{suffix}")
                if side.exists():
                    side.rename(side.with_name(f"{side.name}.unreadable-{stamp}"))
            log.warning("an encrypted store without keys was set aside")
        return open_store(data_dir, vault.create())
    if vault.provisional:
        return open_store(data_dir, vault.provisional_key())
    return None
