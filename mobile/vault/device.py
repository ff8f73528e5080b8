"""The device secret: a key that never leaves this tablet, behind one small interface."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Protocol

SECRET_BYTES = 32
KEYSTORE_ALIAS = "tanfang-device-secret"


class DeviceSecret(Protocol):
    """HMAC-SHA256 under a secret bound to this device.

    Only ``mac`` is asked of it, never the secret itself: the Android Keystore computes the
    MAC inside its own hardware and cannot export the key, so a copied data folder is
    useless without the tablet it came from.
    """

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` (32 bytes); the secret is made on first use."""
        ...

    def paths(self) -> list[Path]:
        """Files holding the secret (shredded first when the tablet is wiped)."""
        ...

    def destroy(self) -> None:
        """Forget the secret for good: nothing wrapped under it can be opened again."""
        ...


class FileDeviceSecret:
    """Desktops and tests: 32 random bytes in a 0600 file in a 0700 folder.

    Weaker than a Keystore (whoever copies the folder has the secret too); the PIN's and the
    password's Argon2id cost then stand alone. Tested on Linux.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _secret(self) -> bytes:
        try:
            secret = self.path.read_bytes()
        except FileNotFoundError:
            secret = self._create()
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"{self.path.name}: damaged device secret")
        return secret

    def _create(self) -> bytes:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = secrets.token_bytes(SECRET_BYTES)
        # O_EXCL: two starts racing never end with two different secrets.
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.path.read_bytes()
        try:
            os.write(fd, secret)
            os.fsync(fd)
        finally:
            os.close(fd)
        return secret

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 under the file's secret."""
        return hmac.new(self._secret(), message, hashlib.sha256).digest()

    def paths(self) -> list[Path]:
        """The key file."""
        return [self.path]

    def destroy(self) -> None:
        """Overwrite the key file, then remove it (flash may keep old blocks: the wrapped
        keys' own removal is what counts)."""
        if self.path.exists():
            with open(self.path, "r+b") as file:
                file.write(secrets.token_bytes(SECRET_BYTES))
                file.flush()
                os.fsync(file.fileno())
            self.path.unlink()


class KeystoreDeviceSecret:  # pragma: no cover - needs Android: written, not testable here
    """Android: a non-exportable HMAC-SHA256 key in the AndroidKeyStore, through pyjnius.

    UNTESTED HERE: this machine has no Android runtime. It follows the platform's
    documented KeyGenerator/KeyGenParameterSpec API (API level 23+).
    """

    def __init__(self, alias: str = KEYSTORE_ALIAS) -> None:
        self.alias = alias

    def _keystore(self):
        from jnius import autoclass

        keystore = autoclass("java.security.KeyStore").getInstance("AndroidKeyStore")
        keystore.load(None)
        return keystore

    def _key(self):
        from jnius import autoclass

        keystore = self._keystore()
        if keystore.containsAlias(self.alias):
            return keystore.getKey(self.alias, None)
        properties = autoclass("android.security.keystore.KeyProperties")
        builder = autoclass("android.security.keystore.KeyGenParameterSpec$Builder")
        spec = builder(self.alias, properties.PURPOSE_SIGN).build()
        generator = autoclass("javax.crypto.KeyGenerator").getInstance(
            properties.KEY_ALGORITHM_HMAC_SHA256, "AndroidKeyStore"
        )
        generator.init(spec)
        return generator.generateKey()

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 computed inside the Keystore."""
        from jnius import autoclass

        mac = autoclass("javax.crypto.Mac").getInstance("HmacSHA256")
        mac.init(self._key())
        # Java bytes are signed (-128..127): masked back to 0..255.
        return bytes(b & 0xFF for b in mac.doFinal(bytearray(message)))

    def paths(self) -> list[Path]:
        """None: the key lives in the Keystore, not in a file."""
        return []

    def destroy(self) -> None:
        """Delete the Keystore entry."""
        keystore = self._keystore()
        if keystore.containsAlias(self.alias):
            keystore.deleteEntry(self.alias)


def device_secret(keys_dir: Path) -> DeviceSecret:
    """The Keystore on Android (python-for-android sets ANDROID_PRIVATE), else the key file."""
    if os.environ.get("ANDROID_PRIVATE"):
        return KeystoreDeviceSecret()
    return FileDeviceSecret(Path(keys_dir) / "device.key")
