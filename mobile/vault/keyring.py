"""The keyring: the store's data key wrapped under the PIN and the password, and the PIN counter."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mobile import lock
from mobile.vault import wrap
from mobile.vault.device import DeviceSecret, device_secret
from sync.store.cipher import KEY_BYTES

_AAD = b"tanfang keyring v1"


class Refused(Exception):
    """An unlock that did not open: ``wait`` seconds before the next try, ``left`` tries."""

    def __init__(self, reason: str, *, wait: int = 0, left: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.wait, self.left = reason, wait, left


def keys_dir(data_dir: Path) -> Path:
    """The folder of key material inside the app's data folder."""
    return Path(data_dir) / "keys"


class Vault:
    """The keyring file ``keys/keyring.bin`` and, once unlocked, the data key in memory.

    The file is sealed (AES-GCM) under a key from the device secret, so the PIN counter and
    the advisor's user name in it can be neither read nor edited off the device. It holds
    the data key wrapped up to three ways: under the PIN (``pin``), under the password
    (``password``), and — only between a store's creation or encryption and the first
    password sign-in — under the device secret alone (``provisional``), so a fresh or just
    migrated store is never locked under a key nobody holds.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        device: DeviceSecret | None = None,
        clock: Callable[[], float] = time.time,
        params: wrap.Argon2Params = wrap.DEFAULT_PARAMS,
    ) -> None:
        self.dir = keys_dir(data_dir)
        self.path = self.dir / "keyring.bin"
        self.device = device or device_secret(self.dir)
        self.clock, self.params = clock, params
        self.data_key: bytes | None = None
        self._state: dict[str, Any] | None = None

    # ------------------------------------------------------------------ file

    def _sealing_key(self) -> bytes:
        return self.device.mac(b"tanfang/keyring")

    @property
    def state(self) -> dict[str, Any]:
        """The keyring's content ({} before the first one is written)."""
        if self._state is None:
            try:
                sealed = json.loads(self.path.read_bytes())
            except FileNotFoundError:
                self._state = {}
            else:
                self._state = json.loads(wrap.unseal(self._sealing_key(), sealed, _AAD))
        return self._state

    def _save(self, **changes: Any) -> None:
        state = {**self.state, **changes}
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        sealed = wrap.seal(self._sealing_key(), json.dumps(state).encode(), _AAD)
        wrap.write_atomic(self.path, json.dumps(sealed).encode())
        self._state = state

    # ----------------------------------------------------------------- facts

    @property
    def exists(self) -> bool:
        """A keyring was written (so a data key exists for the store)."""
        return bool(self.state.get("pin") or self.state.get("password") or self.provisional)

    @property
    def provisional(self) -> bool:
        """The data key is still wrapped under the device secret alone."""
        return bool(self.state.get("provisional"))

    @property
    def has_pin(self) -> bool:
        """A PIN opens the store."""
        return bool(self.state.get("pin"))

    @property
    def has_password(self) -> bool:
        """The password opens the store (online or offline)."""
        return bool(self.state.get("password"))

    @property
    def username(self) -> str:
        """Whose password wraps the data key ("" before the first sign-in)."""
        return self.state.get("username", "")

    @property
    def failures(self) -> int:
        """Wrong PINs in a row."""
        return int(self.state.get("failures", 0))

    def wait_seconds(self, kind: str = "pin") -> int:
        """Seconds before the next PIN (or password) try is accepted."""
        not_before = float(self.state.get(f"{kind}_not_before", 0))
        return max(0, int(not_before - self.clock() + 0.999))

    # ---------------------------------------------------------------- create

    def create(self) -> bytes:
        """A new random data key, kept provisionally (device-wrapped) until a password
        sign-in wraps it properly; returns it (also kept in memory)."""
        key = secrets.token_bytes(KEY_BYTES)
        provisional = wrap.seal(self._provisional_key(), key, b"provisional")
        self._save(provisional=provisional, pin=None, password=None, failures=0)
        self.data_key = key
        return key

    def _provisional_key(self) -> bytes:
        return self.device.mac(b"tanfang/provisional")

    def provisional_key(self) -> bytes:
        """The data key from the provisional wrapping (no secret asked)."""
        key = wrap.unseal(self._provisional_key(), self.state["provisional"], b"provisional")
        self.data_key = key
        return key

    # ---------------------------------------------------------------- unlock

    def unlock_pin(self, pin: str) -> bytes:
        """The data key for the right PIN; else :class:`Refused` ("wait", "wrong", "blocked").

        The try is counted (and written) before the PIN is checked, so killing the app
        mid-check does not buy a free guess. Delays grow (:func:`mobile.lock.delay_after`);
        at :data:`mobile.lock.MAX_FAILURES` the PIN wrapping is destroyed: from then on only
        the password opens the store, offline too.
        """
        if not self.has_pin:
            raise Refused("blocked")
        wait = self.wait_seconds()
        if wait:
            raise Refused("wait", wait=wait, left=lock.MAX_FAILURES - self.failures)
        failures = self.failures + 1
        self._save(failures=failures)
        try:
            key = wrap.unwrap(self.device, b"pin", pin, self.state["pin"])
        except wrap.Unwrapped:
            if failures >= lock.MAX_FAILURES:
                self._save(pin=None, pin_not_before=0)
                raise Refused("blocked") from None
            delay = lock.delay_after(failures)
            self._save(pin_not_before=self.clock() + delay)
            raise Refused("wrong", wait=delay, left=lock.MAX_FAILURES - failures) from None
        self._save(failures=0, pin_not_before=0)
        self.data_key = key
        return key

    def unlock_password(self, username: str, password: str) -> bytes:
        """The data key for this advisor's password (no network needed); else
        :class:`Refused` ("wait", "other_user", "wrong"). Wrong passwords wait longer and
        longer, but never block: the password is the way back in."""
        if username != self.username:
            raise Refused("other_user")
        wait = self.wait_seconds("password")
        if wait:
            raise Refused("wait", wait=wait)
        tries = int(self.state.get("password_failures", 0)) + 1
        self._save(password_failures=tries)
        try:
            key = wrap.unwrap(self.device, b"password", password, self.state["password"])
        except wrap.Unwrapped:
            delay = lock.delay_after(min(tries, lock.MAX_FAILURES - 1))
            self._save(password_not_before=self.clock() + delay)
            raise Refused("wrong", wait=delay) from None
        self._save(password_failures=0, password_not_before=0)
        self.data_key = key
        return key

    # ------------------------------------------------------------ (re)wrap

    def set_pin(self, pin: str) -> None:
        """Wrap the open data key under a new PIN; the counter starts again."""
        if not lock.valid_pin(pin):
            raise lock.PinError("the PIN must be six digits")
        wrapped = wrap.wrap(self.device, b"pin", pin, self._open_key(), self.params)
        self._save(pin=wrapped, failures=0, pin_not_before=0)

    def clear_pin(self) -> None:
        """Forget the PIN wrapping (a password sign-in sets a new PIN next)."""
        self._save(pin=None, failures=0, pin_not_before=0)

    def set_password(self, username: str, password: str) -> None:
        """Wrap the open data key under the advisor's password (after a sign-in the server
        accepted, or a password change); the provisional wrapping goes."""
        wrapped = wrap.wrap(self.device, b"password", password, self._open_key(), self.params)
        self._save(
            password=wrapped,
            username=username,
            provisional=None,
            password_failures=0,
            password_not_before=0,
        )

    # ------------------------------------------------------------- escrow

    @property
    def escrow_device(self) -> str:
        """The tablet id whose escrow key the server holds ("" before one was deposited)."""
        return self.state.get("escrow_device", "")

    def new_escrow(self) -> tuple[bytes, dict]:
        """A fresh escrow key and the open data key sealed under it (kept only once the
        server holds the key: :meth:`keep_escrow`)."""
        key = secrets.token_bytes(KEY_BYTES)
        return key, wrap.seal(self._escrow_kek(key), self._open_key(), b"escrow")

    def keep_escrow(self, device_id: str, sealed: dict) -> None:
        """Keep the escrow wrapping: the server holds its key for tablet ``device_id``."""
        self._save(escrow=sealed, escrow_device=device_id)

    def unlock_escrow(self, key: bytes) -> bytes:
        """The data key from the escrow wrapping, with the key the server released to
        another advisor signed in on this tablet; :class:`Refused` ("other_user") if it
        does not open it."""
        sealed = self.state.get("escrow")
        if not sealed:
            raise Refused("other_user")
        try:
            data_key = wrap.unseal(self._escrow_kek(key), sealed, b"escrow")
        except wrap.Unwrapped:
            raise Refused("other_user") from None
        self.data_key = data_key
        return data_key

    def _escrow_kek(self, key: bytes) -> bytes:
        # Bound to this device too: the server's key opens nothing without the tablet.
        return self.device.mac(b"tanfang/escrow/" + key)

    def _open_key(self) -> bytes:
        if self.data_key is None:
            raise RuntimeError("the vault is locked")
        return self.data_key


def key_paths(data_dir: Path) -> list[Path]:
    """Every file of key material, to destroy first when the tablet is wiped."""
    folder = keys_dir(data_dir)
    device = device_secret(folder)
    return [folder / "keyring.bin", folder / "keyring.bin.tmp", *device.paths()]


def shred_keys(data_dir: Path) -> list[Path]:
    """Crypto-shred: overwrite and remove the keyring and the device secret (the Keystore
    entry on Android). The store's data key then exists nowhere, so the encrypted store is
    noise whatever happens to its file afterwards. Returns the files that were destroyed."""
    gone = []
    for path in key_paths(data_dir)[:2]:
        if path.exists():
            size = path.stat().st_size
            with open(path, "r+b") as file:
                file.write(secrets.token_bytes(size))
                file.flush()
                os.fsync(file.fileno())
            path.unlink()
            gone.append(path)
    device = device_secret(keys_dir(data_dir))
    gone += [path for path in device.paths() if path.exists()]
    device.destroy()
    return gone
