"""Bulk jobs that build many objects and no reference cycles: the cycle collector paused."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with Python's cycle collector off (as it was afterwards).

    A 50,000-row roster dry run keeps ~1M objects alive until it ends, and the collector's
    full passes over all of them took a quarter of its time, freeing nothing: its objects
    are not cyclic garbage. Reference counting still frees everything else at once; cyclic
    garbage made meanwhile (by any thread) waits for the next collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
