"""A revoked tablet's wipe: key material destroyed first, then every data file, then reported.

GUI-agnostic. The order matters: once the keys that open the store are gone the files are
unreadable noise (crypto-shredding), so a wipe interrupted after that step leaks nothing;
deleting the files afterwards only frees the space.
"""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from mobile import records
from mobile.platform import paths
from mobile.vault import shred_keys
from sync.transport import HttpTransport

log = logging.getLogger(__name__)
# What a wipe leaves in the data folder: the settings (language, text size, server
# address) and Kivy's own folder (its config and logs, which never hold records).
KEPT = frozenset({paths.settings_path(Path()).name, "kivy"})
REPORT_ATTEMPTS = 4


def destroy_key_material(data_dir: Path) -> None:
    """Destroy what opens the store (the wrapped data keys, the device secret) before any
    file goes: crypto-shredding. Once the keyring and the device secret are gone the
    encrypted store is noise, even if deleting its files is interrupted."""
    shred_keys(data_dir)


@dataclass(frozen=True)
class Receipt:
    """What the server is told after a wipe (kept in memory only: the store is gone)."""

    server_url: str
    token: str
    device_id: str
    unsent: int


def given_up(store) -> int:
    """What a wipe destroys that the server does not hold: the outbox, records the server
    refused that still wait for the advisor, and unfinished drafts."""
    return store.pending_count() + len(store.attention_items()) + len(records.drafts(store))


def wipe(data_dir: Path, store, server_url: str) -> Receipt:
    """Wipe the tablet: note what is given up, close ``store``, destroy the key material,
    then delete every file of the data folder but :data:`KEPT`. Call it when no other
    thread is inside a store method."""
    receipt = Receipt(
        server_url=server_url,
        token=store.get_state("token") or "",
        device_id=store.device_id(),
        unsent=given_up(store),
    )
    store.close()
    destroy_key_material(data_dir)
    for entry in data_dir.iterdir():
        if entry.name in KEPT:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    log.info("tablet wiped; %d unsent records given up", receipt.unsent)
    return receipt


def report(receipt: Receipt) -> bool:
    """Tell the server the wipe is done (a few tries); False if it could not be told (the
    console then keeps showing the tablet as not wiped, which is the truth it knows)."""
    if not receipt.token or not receipt.server_url:
        return False
    transport = HttpTransport(
        receipt.server_url, retries=REPORT_ATTEMPTS, backoff_cap=8, timeout=(5, 30)
    )
    transport.set_token(receipt.token)
    try:
        transport.report_wiped(receipt.device_id, receipt.unsent)
    except Exception as error:  # the wipe itself is done; only the report is missing
        log.warning("the wipe could not be reported: %s", type(error).__name__)
        return False
    finally:
        transport.close()
    return True


def report_in_background(receipt: Receipt, done=None) -> threading.Thread:
    """:func:`report` off the UI thread; ``done(ok)`` is called from that thread."""

    def run() -> None:
        ok = report(receipt)
        if done is not None:
            done(ok)

    thread = threading.Thread(target=run, name="tanfang-wipe-report", daemon=True)
    thread.start()
    return thread
