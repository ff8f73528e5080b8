"""Scroll a RecycleView a fixed distance per frame and time each frame (benchmarks).

Each frame's duration is split in two: the buffer swap (``Window.flip``, where the GL
driver finishes drawing — on Xvfb that is Mesa's llvmpipe rasterising on the CPU) and the
rest (the app's own work: the clock, layout, recycling rows, building the canvas).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp

# A brisk flick: 40 dp a frame is 2,400 dp (about 15 screen heights of rows) a second at
# 60 Hz. A finger dragging slowly moves far less; a bare list still recycles rows each frame.
STEP_DP = 40


def scroll_frames(
    view, frames: int, on_done: Callable[[dict[str, list[float]]], None], step_dp=STEP_DP
) -> None:
    """Move ``view`` (a ScrollView/RecycleView) down from the top ``step_dp`` a frame for
    ``frames`` frames (back up when it reaches the end); then call ``on_done`` with
    ``{"frames_ms": [...], "swap_ms": [...]}``: each frame's duration (time between
    consecutive frames) and the part of it spent in the buffer swap."""
    stamps: list[float] = []
    swaps: list[float] = []
    offset, direction = 0.0, 1
    flip = Window.flip

    def timed_flip(*args, **kwargs):
        start = time.perf_counter()
        try:
            return flip(*args, **kwargs)
        finally:
            swaps.append((time.perf_counter() - start) * 1000)

    def step(dt) -> bool:
        nonlocal offset, direction
        stamps.append(time.perf_counter())
        if len(stamps) > frames:
            Window.flip = flip
            durations = [round((b - a) * 1000, 2) for a, b in itertools.pairwise(stamps)]
            on_done({"frames_ms": durations, "swap_ms": [round(s, 2) for s in swaps[-frames:]]})
            return False
        travel = max(1.0, view.children[0].height - view.height)
        offset += direction * dp(step_dp)
        if not 0 <= offset <= travel:
            direction = -direction  # at an end: back the other way, as a finger would
            offset = min(max(offset, 0.0), travel)
        view.scroll_y = 1 - offset / travel  # scroll_y 1 is the top
        return True

    view.scroll_y = 1
    Window.flip = timed_flip  # an instance attribute: the window's own method stays as is
    Clock.schedule_interval(step, 0)
