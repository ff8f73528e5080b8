"""The tablet's keys: the device secret, the keyring (PIN and password wrappings), the opening."""

from mobile.vault.keyring import Refused, Vault, key_paths, shred_keys

__all__ = ["Refused", "Vault", "key_paths", "shred_keys"]
