"""The PIN: six digits, hashed, blocked after five wrong tries; records never touched."""

from __future__ import annotations

import pytest

from mobile.lock import MAX_FAILURES, PinError, PinLock, valid_pin


@pytest.mark.parametrize("pin", ["", "12345", "1234567", "abcdef", "12 456", "１２３４５６"])
def test_bad_pins_are_refused(ctx, pin):
    assert not valid_pin(pin)
    with pytest.raises(PinError):
        PinLock(ctx.store).set_pin(pin)


def test_right_pin_unlocks_and_resets_failures(ctx):
    lock = PinLock(ctx.store)
    lock.set_pin("135790")
    assert not lock.check("000000") and lock.failures == 1
    assert lock.check("135790") and lock.failures == 0
    assert "135790" not in str(ctx.store.get_state("pin"))


def test_five_wrong_pins_block_even_the_right_one(ctx):
    lock = PinLock(ctx.store)
    lock.set_pin("135790")
    for _ in range(MAX_FAILURES):
        assert not lock.check("111111")
    assert lock.blocked and not lock.check("135790")
    lock.clear()  # what a password sign-in does
    assert not lock.blocked and not lock.has_pin


def test_pin_screen_counts_down_and_blocks(ctx):
    from mobile.viewmodels.auth import PinViewModel

    PinLock(ctx.store).set_pin("135790")
    vm = PinViewModel(ctx)
    assert vm.mode == "unlock"
    for left in range(MAX_FAILURES - 1, 0, -1):
        vm.pin = "000000"
        assert not vm.submit()
        assert str(left) in vm.error
    vm.pin = "000000"
    assert not vm.submit() and vm.blocked
