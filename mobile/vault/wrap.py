"""Key derivation and wrapping: Argon2id over a PIN or password, bound to the device, AES-GCM."""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mobile.vault.device import DeviceSecret

NONCE_BYTES = 12
SALT_BYTES = 16


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id's cost; kept with each wrapping so a later app can raise it."""

    time_cost: int
    memory_kib: int
    parallelism: int = 1


# Measured on this 2-core machine (docs/benchmarks.md): about 0.2 s a derivation, so an
# unlock (one derivation, then opening the store) stays under 0.5 s, and each guess at a
# copied keyring costs 46 MiB of memory as well as the time.
DEFAULT_PARAMS = Argon2Params(time_cost=3, memory_kib=46 * 1024)


class Unwrapped(ValueError):
    """The secret is wrong (or the wrapping was tampered with): AES-GCM's tag failed."""


def derive(
    device: DeviceSecret, purpose: bytes, secret: str, salt: bytes, params: Argon2Params
) -> bytes:
    """The key-encryption key for ``secret``: Argon2id, then HMAC under the device secret.

    The device step means a guess needs the tablet itself, not just a copy of its files.
    ``purpose`` (b"pin", b"password") keeps the two wrappings' keys apart.
    """
    stretched = hash_secret_raw(
        secret.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )
    return device.mac(b"tanfang/kek/" + purpose + b"/" + stretched)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> dict[str, str]:
    """AES-256-GCM under ``key`` with a fresh random nonce; ``aad`` names what it is."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return {"nonce": nonce.hex(), "ct": AESGCM(key).encrypt(nonce, plaintext, aad).hex()}


def unseal(key: bytes, sealed: dict[str, str], aad: bytes) -> bytes:
    """The plaintext of :func:`seal`; :class:`Unwrapped` for a wrong key or altered bytes."""
    try:
        nonce, ct = bytes.fromhex(sealed["nonce"]), bytes.fromhex(sealed["ct"])
        return AESGCM(key).decrypt(nonce, ct, aad)
    except (InvalidTag, KeyError, ValueError) as error:
        raise Unwrapped("wrong secret") from error


def wrap(
    device: DeviceSecret, purpose: bytes, secret: str, data_key: bytes, params: Argon2Params
) -> dict:
    """The data key wrapped under ``secret`` (a PIN or password): salt, params, sealed key."""
    salt = secrets.token_bytes(SALT_BYTES)
    kek = derive(device, purpose, secret, salt, params)
    return {"salt": salt.hex(), "argon2": asdict(params), **seal(kek, data_key, purpose)}


def unwrap(device: DeviceSecret, purpose: bytes, secret: str, wrapped: dict) -> bytes:
    """The data key from :func:`wrap`'s answer; :class:`Unwrapped` for a wrong secret."""
    params = Argon2Params(**wrapped["argon2"])
    kek = derive(device, purpose, secret, bytes.fromhex(wrapped["salt"]), params)
    return unseal(kek, wrapped, purpose)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (temp file, fsync, rename, fsync the folder)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
