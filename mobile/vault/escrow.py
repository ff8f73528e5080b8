"""Key escrow: the tablet deposits a key opening its store; another advisor gets it back.

Why: the store opens only with the signed-in advisor's PIN or password. A tablet handed
to another advisor after it locked would keep the first advisor's unsent records shut
away. So at each online sign-in the tablet seals its data key under a fresh random key
(bound to this device's secret too) and deposits that key with the server; another
advisor who signs in on the locked tablet gets it released, opens the store and delivers
the earlier advisor's records on their behalf. The server's key alone opens nothing
without the tablet, and is never released for a tablet an admin revoked.
"""

from __future__ import annotations

import base64
import logging

from mobile.vault.keyring import Vault

log = logging.getLogger(__name__)


def _text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode()


def _bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_deposited(vault: Vault, transport, device_id: str) -> bool:
    """Deposit an escrow key for this tablet unless the server holds one already; True
    when it does now. A failure is logged and tried again at the next sign-in: the store
    stays open to its own advisor either way."""
    if vault.escrow_device == device_id:
        return True
    key, sealed = vault.new_escrow()
    try:
        transport.deposit_escrow(_text(key))
    except Exception as error:  # the network, a refusal: next sign-in tries again
        log.warning("the store key was not deposited: %s", type(error).__name__)
        return False
    vault.keep_escrow(device_id, sealed)  # kept only once the server holds its key
    return True


def release(transport, username: str, password: str, device_id: str, app_version: str) -> bytes:
    """Sign ``username`` in on this tablet and ask for its escrow key (raises the
    transport's errors: a wrong password, a revoked tablet, no network)."""
    transport.login(username, password, device_id, "tablet", app_version)
    return _bytes(transport.release_escrow())
