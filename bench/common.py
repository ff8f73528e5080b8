"""What every benchmark reports with: timings and percentiles, tables, JSON results, machine."""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.database import conninfo

RESULTS = Path(__file__).parent / "results"


# --- timing and reports --------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, interpolating linearly between ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def measure(run: Callable[[], float], repeat: int, warmup: int) -> dict:
    """Call ``run`` ``warmup`` times, then ``repeat`` times; stats of what it returns (ms).

    ``run`` times its own call (so setup such as opening a session stays outside) and may
    ask another question each time (another street), so one cached answer is not all that
    is measured.
    """
    for _ in range(warmup):
        run()
    return summarise([run() for _ in range(repeat)])


def stopwatch(call: Callable[[], object]) -> tuple[float, object]:
    """Milliseconds ``call`` took, and what it returned."""
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def summarise(times_ms: list[float]) -> dict:
    """p50, p95, min, max and mean of some timings in milliseconds."""
    return {
        "p50_ms": round(percentile(times_ms, 0.5), 2),
        "p95_ms": round(percentile(times_ms, 0.95), 2),
        "min_ms": round(min(times_ms), 2),
        "max_ms": round(max(times_ms), 2),
        "mean_ms": round(sum(times_ms) / len(times_ms), 2),
        "runs": len(times_ms),
    }


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """Print a plain text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        return "  ".join([first] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)])

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(name: str, data: dict) -> Path:
    """Write ``data`` to ``bench/results/<name>.json`` (git-ignored); return the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def machine_info(url: str | None = None) -> dict:
    """CPU model, cores, RAM, Python and (given a URL) PostgreSQL version and settings."""
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine skews timings: note how busy it was.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    if url is not None:
        with psycopg.connect(conninfo(url)) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            info["postgresql_settings"] = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit")
            }
    return info


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def _ram_gb() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return round(int(match.group(1)) / 1024**2, 1) if match else None
