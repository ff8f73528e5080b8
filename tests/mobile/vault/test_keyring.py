"""The keyring: the data key wrapped under the PIN and the password, the counter, shredding."""

from __future__ import annotations

import stat

import pytest

from mobile import lock
from mobile.vault import Refused, Vault, key_paths, shred_keys
from mobile.vault.device import FileDeviceSecret
from mobile.vault.wrap import Argon2Params

FAST = Argon2Params(time_cost=1, memory_kib=8 * 1024)  # the real cost is measured in bench/


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def vault(tmp_path, clock):
    """A keyring with a data key wrapped under PIN 135790 and advisor1's password."""
    made = Vault(tmp_path, clock=clock, params=FAST)
    made.create()
    made.set_password("advisor1", "demo-password")
    made.set_pin("135790")
    return Vault(tmp_path, clock=clock)  # as the next start reads it: nothing in memory


def test_the_pin_and_the_password_both_give_the_one_data_key(vault, tmp_path):
    key = vault.unlock_pin("135790")
    assert len(key) == 32
    assert Vault(tmp_path).unlock_password("advisor1", "demo-password") == key
    assert not vault.provisional  # the password wrapping replaced the device-only one


def test_key_files_are_private_and_hold_no_secret_in_the_clear(vault, tmp_path):
    key = vault.unlock_pin("135790")
    device = tmp_path / "keys" / "device.key"
    assert stat.S_IMODE(device.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    keyring = (tmp_path / "keys" / "keyring.bin").read_bytes()
    for secret in (key, key.hex().encode(), b"advisor1", b"135790", b"demo-password"):
        assert secret not in keyring


def test_wrong_pins_wait_longer_and_longer_then_only_the_password_opens(vault, clock):
    waits = []
    for _ in range(lock.MAX_FAILURES - 1):
        with pytest.raises(Refused) as refused:
            vault.unlock_pin("000000")
        assert refused.value.reason == "wrong"
        waits.append(refused.value.wait)
        # Until the delay has passed, even the right PIN is not tried.
        if refused.value.wait:
            with pytest.raises(Refused, match="wait"):
                vault.unlock_pin("135790")
        clock.now += refused.value.wait
    assert waits == sorted(waits) and waits[0] == 0 and waits[-1] >= 300
    with pytest.raises(Refused, match="blocked"):
        vault.unlock_pin("000000")
    # The PIN wrapping is gone: the right PIN cannot open it any more, whatever the counter.
    assert not vault.has_pin
    with pytest.raises(Refused, match="blocked"):
        vault.unlock_pin("135790")
    assert vault.unlock_password("advisor1", "demo-password")


def test_the_counter_survives_a_restart_and_is_counted_before_the_check(vault, tmp_path, clock):
    with pytest.raises(Refused):
        vault.unlock_pin("000000")
    assert Vault(tmp_path, clock=clock).failures == 1


def test_the_right_pin_forgets_earlier_slips(vault):
    with pytest.raises(Refused):
        vault.unlock_pin("000000")
    vault.unlock_pin("135790")
    assert vault.failures == 0


def test_a_wrong_password_waits_but_never_blocks(vault, clock):
    for _ in range(lock.MAX_FAILURES + 2):
        with pytest.raises(Refused) as refused:
            vault.unlock_password("advisor1", "not-it")
        clock.now += refused.value.wait
    assert vault.unlock_password("advisor1", "demo-password")


def test_another_advisor_is_told_whose_records_these_are(vault):
    with pytest.raises(Refused, match="other_user"):
        vault.unlock_password("advisor2", "demo-password")


def test_a_keyring_edited_off_the_device_does_not_open(vault, tmp_path):
    path = tmp_path / "keys" / "keyring.bin"
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError):
        Vault(tmp_path).unlock_pin("135790")


def test_without_the_device_secret_the_wrappings_are_useless(vault, tmp_path):
    other = Vault(tmp_path, device=FileDeviceSecret(tmp_path / "elsewhere.key"))
    with pytest.raises(ValueError):
        other.unlock_pin("135790")


def test_shredding_destroys_every_key_file_first(vault, tmp_path):
    vault.unlock_pin("135790")
    listed = [p for p in key_paths(tmp_path) if p.exists()]
    assert {p.name for p in listed} == {"keyring.bin", "device.key"}
    assert sorted(shred_keys(tmp_path)) == sorted(listed)
    assert not any(p.exists() for p in key_paths(tmp_path))
    assert not Vault(tmp_path).exists
