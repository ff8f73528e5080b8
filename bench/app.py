"""The tablet app's figures (issue 9): cold start, due list, saving a visit, opening a file,
scrolling.

    python -m bench.app [--households 1000] [--visits 12000] [--runs 9] [--cold-start-only]
    (needs a display: Xvfb)

Fills a tablet store through the public pull path, times the view-models in-process; the
real app's cold start (process start → PIN screen, unlock → due list drawn) ``--runs`` times
through ``tanfang app`` and ``tanfang-app``; the advisor's waits in the app; and scrolling
the due list beside bare Kivy (:mod:`bench.app_baseline`). JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.app_cipher import compare, lock_with_pin, print_table
from bench.app_report import frame_stats, report, report_waits, summary
from bench.tablet_data import fill

SCROLL_FRAMES = 240


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
    }


def in_process(data_dir: Path, ids: list[str]) -> dict[str, dict[str, float]]:
    from mobile.context import AppContext
    from mobile.viewmodels.duelist import DueListViewModel
    from mobile.viewmodels.household import HouseholdViewModel
    from mobile.viewmodels.records import RecordsViewModel

    ctx = AppContext.open(data_dir, lambda cb: cb(), "http://127.0.0.1:9")
    ctx.store.set_state("user", {"id": 1, "username": "bench", "role": "advisor"})
    due, file = DueListViewModel(ctx), HouseholdViewModel(ctx)
    out = {}
    samples = []
    for _ in range(10):
        t = time.perf_counter()
        due.refresh()
        samples.append(time.perf_counter() - t)
    out["due_list"] = _ms(samples)
    samples = []
    for n in range(10):
        t = time.perf_counter()
        due.update_household(ids[n])  # after a save: that household's row alone
        samples.append(time.perf_counter() - t)
    out["due_list_update"] = _ms(samples)
    samples = []
    for n in range(30):
        t = time.perf_counter()
        ctx.store.save_visit(
            {
                "household_id": ids[n],
                "visited_at": datetime.now(UTC).isoformat(),
                "outcome": "completed",
                "notes": "情况无变化",
            }
        )
        samples.append(time.perf_counter() - t)
    out["save_visit"] = _ms(samples)
    samples = []
    for n in range(30):
        t = time.perf_counter()
        assert file.load(ids[100 + n]) and len(file.timeline) >= 12
        samples.append(time.perf_counter() - t)
    out["open_household"] = _ms(samples)
    mine = RecordsViewModel(ctx)  # 我的记录: the newest 500 of 24,000 records
    samples = []
    for _ in range(10):
        t = time.perf_counter()
        mine.refresh()
        samples.append(time.perf_counter() - t)
    out["records"] = _ms(samples)
    ctx.store.close()
    return out


def _entry_points() -> dict[str, list[str]]:
    """How the app is started: through the ``tanfang`` CLI and through its own script."""
    scripts = Path(sys.executable).parent
    return {
        "tanfang app": [str(scripts / "tanfang"), "app"],
        "tanfang-app": [str(scripts / "tanfang-app")],
    }


def _start_to_due_list(data_dir: Path, display: str, command: list[str]):
    """Start the app with ``command`` (process start → PIN screen), unlock it (→ due list
    drawn; the store encrypted, its key under the PIN); returns the app and the times."""
    from tests.mobile.remote import RemoteApp

    lock_with_pin(data_dir, "246810")
    # Polled every 10 ms, not the UI tests' 200 ms: a 200 ms step would be larger than the
    # difference between the entry points that is being measured.
    app = RemoteApp(data_dir, "http://127.0.0.1:9", display, command=command, poll=0.01)
    t0 = time.perf_counter()
    app.start()
    try:
        t1 = time.perf_counter()
        app.type("246810", id="pin")
        app.call("tap", id="submit")
        app.wait_for(lambda: app.screen() == "duelist", "due list", 30)
        app.call("taps")  # one more frame has been drawn after the due list
        t2 = time.perf_counter()
    except BaseException:
        app.stop()
        raise
    return app, {
        "to_first_screen_ms": round((t1 - t0) * 1000),
        "unlock_to_due_list_ms": round((t2 - t1) * 1000),
        "total_ms": round((t2 - t0) * 1000),
    }


def cold_starts(data_dir: Path, display: str, runs: int) -> dict[str, list[dict[str, int]]]:
    """``runs`` cold starts through each entry point, taking turns (so a busier moment of
    the machine does not fall on one side), after a round that is not counted (it makes the
    Kivy home, the font and bytecode caches)."""
    entries = _entry_points()
    samples: dict[str, list[dict[str, int]]] = {name: [] for name in entries}
    for round_ in range(runs + 1):
        order = list(entries) if round_ % 2 else list(reversed(entries))
        for name in order:
            app, times = _start_to_due_list(data_dir, display, entries[name])
            app.stop()
            if round_:
                samples[name].append(times)
    return samples


def scrolling(data_dir: Path, display: str) -> dict[str, float]:
    """Frame times of scrolling the due list's 全部 tab (every household)."""
    app, _ = _start_to_due_list(data_dir, display, _entry_points()["tanfang-app"])
    try:
        app.call("tap", id="tab_all")
        frames = app.call("scroll", id="rv", frames=SCROLL_FRAMES, timeout=180)
    finally:
        app.stop()
    return frame_stats(frames)


def journeys(data_dir: Path, display: str, runs: int) -> dict[str, dict[str, float]]:
    """The advisor's own waits in the real app, timed inside it (tap → screen drawn): back
    from a household file to the due list, 提交 → due list, opening 我的记录."""
    app, _ = _start_to_due_list(data_dir, display, _entry_points()["tanfang-app"])
    times: dict[str, list[dict]] = {"back_to_due_list": [], "submit": [], "my_records": []}

    def timed(name: str, **selector) -> None:
        times[name].append(app.call("timed_tap", detail=True, **selector))

    try:
        app.call("tap", id="tab_all")
        rows = [r for r in app.vm("rows") if r["viewclass"] == "DueRow"]
        for n in range(runs):
            household = rows[n % 3]["household_id"]  # rows on screen (recycled views)
            app.tap(row=["household_id", household])
            timed("back_to_due_list", id="back", until="duelist")
            app.tap(row=["household_id", household], text="走访")
            app.tap(text="见面走访")
            timed("submit", id="submit", until="duelist")
            timed("my_records", id="nav_records", until="records")
            app.tap(id="back")
    finally:
        app.stop()
    # Where each wait went: the tap's handlers (Python on the UI thread) and the frames
    # drawn until the screen was shown.
    return {
        name: _ms([t["total_ms"] / 1000 for t in samples])
        | {
            "handler_median_ms": statistics.median(t["handler_ms"] for t in samples),
            "frames_median": statistics.median(t["frames"] for t in samples),
        }
        for name, samples in times.items()
    }


def kivy_baseline(display: str) -> dict[str, object]:
    """The bare-Kivy RecycleView (1,000 CJK rows): first frame and scrolling."""
    env = {**os.environ, "DISPLAY": display}
    args = [sys.executable, "-m", "bench.app_baseline", "--frames", str(SCROLL_FRAMES)]
    since = time.time()
    done = subprocess.run(
        [*args, "--since", repr(since)], env=env, capture_output=True, text=True, timeout=120
    )
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("{"))
    figures = json.loads(line)
    return {
        "first_frame_ms": figures["first_frame_ms"],
        "scroll": frame_stats(figures),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app")
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--visits", type=int, default=12000)
    parser.add_argument("--runs", type=int, default=9, help="cold starts per entry point")
    parser.add_argument("--cold-start-only", action="store_true", help="skip the scrolling")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parents[1]))  # tests.mobile.remote drives the app
    from bench.common import machine_info, write_json

    display = os.environ.get("DISPLAY")
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="tanfang-bench-") as tmp:
        data_dir = Path(tmp) / "app"
        data_dir.mkdir()
        from sync.store import SQLiteStore

        with SQLiteStore(data_dir / "store.sqlite3") as store:
            ids = fill(store, args.households, args.visits)
        figures = in_process(data_dir, ids)
        cipher = compare()
        samples = cold_starts(data_dir, display, args.runs) if display else None
        more = display and not args.cold_start_only
        waits = journeys(data_dir, display, args.runs) if display else None
        scroll = scrolling(data_dir, display) if more else None
        baseline = kivy_baseline(display) if more else None
    machine["load_average_after"] = machine_info()["load_average"]
    cold = summary(samples) if samples else None
    report(figures, cold, scroll, baseline)
    print_table(cipher)
    if waits:
        report_waits(waits, baseline)
    data = {
        "benchmark": "app",
        "machine": machine,
        "households": args.households,
        "visits": args.visits,
        "figures": figures,
        "cold_start": cold and {**cold, "runs": samples},
        "scroll": scroll,
        "journeys": waits,
        "kivy_baseline": baseline,
        "encrypted_store": cipher,
    }
    print(f"\nwrote {write_json(f'app-{date.today().isoformat()}', data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
