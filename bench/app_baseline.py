"""The bare-Kivy baseline for bench/app.py: a RecycleView of 1,000 CJK rows, nothing of ours.

    python -m bench.app_baseline --since WALL_CLOCK_START   (needs a display: Xvfb)

Prints one JSON line: ms from ``--since`` (the parent's clock just before it started this
process) to the first frame drawn, and the frame durations of scrolling the list (with the
part of each spent in the buffer swap: :func:`mobile.testing.frames.scroll_frames`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_baseline")
    parser.add_argument("--since", type=float, required=True)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=240)
    args = parser.parse_args()
    from mobile.window import configure_kivy

    configure_kivy(Path(tempfile.mkdtemp(prefix="tanfang-kivy-")))
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.lang import Builder

    from mobile.platform.fonts import register_cjk_font
    from mobile.testing.frames import scroll_frames

    register_cjk_font()
    root = Builder.load_string(
        """
RecycleView:
    viewclass: 'Label'
    RecycleBoxLayout:
        default_size: None, 84
        default_size_hint: 1, None
        size_hint_y: None
        height: self.minimum_height
        orientation: 'vertical'
"""
    )
    root.data = [
        {"text": f"张{n % 97}号户主{n} · 北京街道中山路{n % 300}号 · 本期待走访"}
        for n in range(args.rows)
    ]
    figures: dict = {}

    def done(timings: dict[str, list[float]]) -> None:
        figures.update(timings)
        print(json.dumps(figures))
        App.get_running_app().stop()

    def first_frame(*_: object) -> None:
        Window.unbind(on_flip=first_frame)
        figures["first_frame_ms"] = round((time.time() - args.since) * 1000)
        Clock.schedule_once(lambda dt: scroll_frames(root, args.frames, done), 0.5)

    Window.bind(on_flip=first_frame)

    class Baseline(App):
        def build(self):
            return root

    Baseline().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
