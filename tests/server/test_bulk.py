"""The cycle collector pause of bulk jobs (the roster dry run): off inside, as it was after."""

from __future__ import annotations

import gc

import pytest

from server.services.core.bulk import collector_paused


@pytest.fixture
def collector():
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_off_inside_and_as_it_was_after(collector, enabled):
    gc.enable() if enabled else gc.disable()
    with pytest.raises(KeyError), collector_paused():
        assert not gc.isenabled()
        raise KeyError("a refusal inside")
    assert gc.isenabled() is enabled
