"""The device secret's one interface, on the desktop implementation (a 0600 key file)."""

from __future__ import annotations

import stat

from mobile.vault.device import FileDeviceSecret, KeystoreDeviceSecret, device_secret


def test_the_key_file_is_made_once_private_and_gives_a_stable_mac(tmp_path):
    first = FileDeviceSecret(tmp_path / "keys" / "device.key")
    mac = first.mac(b"message")
    assert len(mac) == 32
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    again = FileDeviceSecret(first.path)
    assert again.mac(b"message") == mac and again.mac(b"other") != mac
    assert first.paths() == [first.path]


def test_another_device_gives_other_macs(tmp_path):
    one = FileDeviceSecret(tmp_path / "one.key")
    two = FileDeviceSecret(tmp_path / "two.key")
    assert one.mac(b"message") != two.mac(b"message")


def test_destroying_the_secret_changes_every_mac(tmp_path):
    secret = FileDeviceSecret(tmp_path / "device.key")
    before = secret.mac(b"message")
    secret.destroy()
    assert not secret.path.exists()
    assert secret.mac(b"message") != before  # a new secret: nothing old opens


def test_android_uses_the_keystore_and_the_desktop_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("ANDROID_PRIVATE", raising=False)
    assert isinstance(device_secret(tmp_path), FileDeviceSecret)
    monkeypatch.setenv("ANDROID_PRIVATE", str(tmp_path))
    chosen = device_secret(tmp_path)  # only chosen: the Keystore itself needs Android
    assert isinstance(chosen, KeystoreDeviceSecret) and chosen.paths() == []
