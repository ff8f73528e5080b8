"""bench/app.py's figures as statistics and tables: targets, cold starts by entry point,
the advisor's waits beside the bare-Kivy baseline's frame, scrolling."""

from __future__ import annotations

import statistics

# Issue 9's targets (in process) and issue 17's at 2,000 households (cold start, waits).
TARGETS_MS = {"cold_start": 1500, "due_list": 100, "save_visit": 50, "open_household": 200}
TARGETS_MS |= {"due_list_update": 100, "records": 200}
WAIT_TARGETS_MS = {"back_to_due_list": 150, "submit": 300, "my_records": 200}
# At 60 Hz a frame is 16.7 ms; one taking longer than two of them is a dropped frame.
DROPPED_MS = 2 * 1000 / 60


def frame_stats(timings: dict[str, list[float]]) -> dict[str, float]:
    """Median, p95 and worst frame, how many were dropped (> 2 × 16.7 ms), and the same
    without the buffer swap (the app's own work per frame, which a GPU does not change)."""
    frames = sorted(timings["frames_ms"])
    own = sorted(
        max(0.0, f - s) for f, s in zip(timings["frames_ms"], timings["swap_ms"], strict=True)
    )
    return {
        "frames": len(frames),
        "median_ms": round(statistics.median(frames), 1),
        "p95_ms": round(frames[int(0.95 * (len(frames) - 1))], 1),
        "max_ms": round(frames[-1], 1),
        "dropped": sum(1 for d in frames if d > DROPPED_MS),
        "own_median_ms": round(statistics.median(own), 1),
        "own_p95_ms": round(own[int(0.95 * (len(own) - 1))], 1),
        "own_over_16ms": sum(1 for d in own if d > 1000 / 60),
    }


def summary(samples: dict[str, list[dict[str, int]]]) -> dict[str, object]:
    """Per entry point the stats of each time, and how far apart the two are (total)."""
    from bench.common import summarise

    stats = {
        name: {key: summarise([run[key] for run in runs]) for key in runs[0]}
        for name, runs in samples.items()
    }
    cli, own = (samples[name] for name in ("tanfang app", "tanfang-app"))
    # Paired by round (the two started back to back): other work on a shared machine moves
    # both of a pair alike, where it moves the two medians apart.
    ratios = [a["total_ms"] / b["total_ms"] - 1 for a, b in zip(cli, own, strict=True)]
    cli_min, own_min = (min(run["total_ms"] for run in runs) for runs in (cli, own))
    return {
        "entry_points": stats,
        "difference_pct": {
            "paired_median": round(100 * statistics.median(ratios), 1),
            "p50": round(100 * (_p50(cli) / _p50(own) - 1), 1),
            "min": round(100 * (cli_min / own_min - 1), 1),
        },
    }


def _p50(runs: list[dict[str, int]]) -> float:
    return statistics.median(run["total_ms"] for run in runs)


COLD_HEADERS = ["cold start", "→ PIN p50", "unlock → due list p50", "total p50", "min", "max"]
SCROLL_KEYS = {
    "frames": "frames",
    "median": "median_ms",
    "p95": "p95_ms",
    "max": "max_ms",
    "dropped": "dropped",
    "own med": "own_median_ms",
    "own p95": "own_p95_ms",
    "own>16": "own_over_16ms",
}


def report(figures, cold, scroll, baseline) -> None:
    """The tables: in-process figures, cold starts by entry point, scrolling."""
    from bench.common import print_table

    print_table(
        ["measure", "median ms", "p95 ms", "target ms", "met"],
        [
            [name, f["median_ms"], f["p95_ms"], TARGETS_MS[name], _met(f["p95_ms"], name)]
            for name, f in figures.items()
        ],
    )
    if cold is None:
        return
    rows = []
    for name, stats in cold["entry_points"].items():
        total = stats["total_ms"]
        times = [stats[k]["p50_ms"] for k in ("to_first_screen_ms", "unlock_to_due_list_ms")]
        extremes = [total["p50_ms"], total["min_ms"], total["max_ms"]]
        rows.append([name, *times, *extremes, total["runs"], _met(total["p50_ms"], "cold_start")])
    print()
    print_table([*COLD_HEADERS, "runs", "≤ 1.5 s"], rows)
    apart = cold["difference_pct"]
    print(
        f"tanfang app vs tanfang-app, total: {apart['paired_median']:+.1f} % (median of the"
        f" rounds' ratios; p50s {apart['p50']:+.1f} %, minima {apart['min']:+.1f} %);"
        " target: less than 10 % apart"
    )
    if scroll is None:
        return
    print(f"\nbare Kivy RecycleView, 1,000 CJK rows: first frame {baseline['first_frame_ms']} ms")
    print_table(
        ["scrolling (ms)", *SCROLL_KEYS],
        [
            [name, *(stats[k] for k in SCROLL_KEYS.values())]
            for name, stats in (("due list", scroll), ("bare Kivy", baseline["scroll"]))
        ],
    )


def _met(ms: float, name: str) -> str:
    return "yes" if ms <= TARGETS_MS[name] else "NO"


def report_waits(waits, baseline) -> None:
    """The advisor's waits in the app against their targets, each beside the same run's
    bare-Kivy frame (the machine's load moves both: the ratio is what compares runs)."""
    from bench.common import print_table

    frame = baseline["scroll"]["median_ms"] if baseline else None
    rows = []
    for name, stats in waits.items():
        target = WAIT_TARGETS_MS[name]
        ratio = f"{stats['median_ms'] / frame:.1f}" if frame else "—"
        met = "yes" if stats["median_ms"] <= target else "NO"
        where = [stats.get("handler_median_ms", "—"), stats.get("frames_median", "—")]
        rows.append(
            [name, stats["median_ms"], stats["p95_ms"], target, met, *where, frame or "—", ratio]
        )
    print("\nthe advisor's waits in the app (tap → screen drawn), beside bare Kivy's frame:")
    print_table(
        ["wait", "median ms", "p95 ms", "target", "met", "handler ms", "frames", "bare frame ms"]
        + ["× bare frame"],
        rows,
    )
