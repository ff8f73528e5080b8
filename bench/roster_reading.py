"""Benchmark of the roster dry run beside reading the same file raw (the csv module,
openpyxl read-only), and of the ``tanfang`` command's start-up (issue 22's targets)."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/roster_reading.py``: the project root, not this folder, comes first.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).absolute().parent.parent)

import argparse
import csv
import io
import os
import resource
import secrets
import statistics
import subprocess
import tempfile
import time

from openpyxl import Workbook, load_workbook
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench import common, database
from bench.roster import NOW, SEED, generate, prepare, to_csv
from server.models import User
from server.services import roster
from server.services.roster.columns import COLUMNS
from sync.schedule import DEFAULT_TZ

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_roster_reading_bench"
ROOT = Path(__file__).resolve().parent.parent
# The targets: the dry run against the raw read of the same file, and start-up.
CSV_RATIO, XLSX_RATIO, START_S = 20.0, 1.5, 0.5


def to_xlsx(rows: list[dict]) -> bytes:
    keys = list(rows[0])
    book = Workbook(write_only=True)
    sheet = book.create_sheet("名册")
    sheet.append([next(c.zh for c in COLUMNS if c.key == k) for k in keys])
    for row in rows:
        sheet.append([row[k] for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def raw_csv(data: bytes) -> int:
    return len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))))


def raw_xlsx(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return count


def timed(call) -> tuple[float, float]:
    """Wall and CPU seconds of ``call`` (the CPU time shows what other work on the machine
    added to the wall time)."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def best_of(repeat: int, call) -> tuple[float, float]:
    """The least wall and the least CPU seconds of ``repeat`` calls."""
    runs = [timed(call) for _ in range(repeat)]
    return min(w for w, _ in runs), min(c for _, c in runs)


def dry_run(engine, data: bytes, name: str) -> None:
    with Session(engine) as session:
        admin = session.scalar(select(User).where(User.role == "admin"))
        table = roster.read_table(data, name)
        plan = roster.check(session, actor=admin, table=table, now=NOW, tz=DEFAULT_TZ)
        session.rollback()
    assert not plan.refused, plan.refused[:3]
    # The command line and the console show the plan's fingerprint with every dry run.
    assert plan.fingerprint


def command_seconds(args: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of ``python -m server.cli ARGS`` run
    from the project root."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env, capture_output=True
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        times.append((wall, cpu))
        assert done.returncode == 0, done.stderr[-2000:]
    return statistics.median(w for w, _ in times), statistics.median(c for _, c in times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    database.require_scratch(args.database_url)
    print(f"generating {args.rows:,} rows…", file=sys.stderr)
    rows = generate(args.rows, 0, SEED)
    files = {"csv": to_csv(rows), "xlsx": to_xlsx(rows)}
    prepare(args.database_url)
    engine = create_engine(args.database_url)
    bare = {"PATH": os.environ.get("PATH", "")}
    start = {
        "tanfang --help": command_seconds(["--help"], bare, 9),
        "tanfang roster import --help": command_seconds(["roster", "import", "--help"], bare, 9),
    }
    results = {}
    for fmt, read in (("csv", raw_csv), ("xlsx", raw_xlsx)):
        results[fmt] = {
            "raw": best_of(args.repeat, lambda fmt=fmt, read=read: read(files[fmt])),
            "dry_run": best_of(
                args.repeat, lambda fmt=fmt: dry_run(engine, files[fmt], f"roster.{fmt}")
            ),
        }
    engine.dispose()
    cli = _command_dry_run(args.database_url, files["csv"], args.repeat)
    _report(args, files, start, results, cli)


def _command_dry_run(url: str, data: bytes, repeat: int) -> tuple[float, float]:
    """The whole ``tanfang roster import FILE --dry-run`` (start-up, app, read, check)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TANFANG_DATABASE_URL": url,
        "TANFANG_SECRET_KEY": secrets.token_hex(32),
    }
    with tempfile.NamedTemporaryFile(suffix=".csv") as file:
        file.write(data)
        file.flush()
        return command_seconds(["roster", "import", file.name, "--dry-run"], env, repeat)


def _report(args, files: dict, start: dict, results: dict, cli: tuple[float, float]) -> None:
    table = [
        [name, "", round(wall, 3), round(cpu, 3), "", START_S, _met(wall, cpu, START_S)]
        for name, (wall, cpu) in start.items()
    ]
    for fmt, target in (("csv", CSV_RATIO), ("xlsx", XLSX_RATIO)):
        (raw, raw_cpu), (dry, dry_cpu) = results[fmt]["raw"], results[fmt]["dry_run"]
        table.append(
            [
                f"{fmt} raw read",
                f"{len(files[fmt]) / 2**20:.1f} MB",
                round(raw, 2),
                round(raw_cpu, 2),
                "",
                "",
                "",
            ]
        )
        table.append(
            [
                f"{fmt} dry run",
                "",
                round(dry, 2),
                round(dry_cpu, 2),
                f"{dry / raw:.1f}× / {dry_cpu / raw_cpu:.1f}×",
                f"{target}×",
                _met(dry / raw, dry_cpu / raw_cpu, target),
            ]
        )
    table.append(
        ["csv: tanfang roster import --dry-run", "", round(cli[0], 2), round(cli[1], 2), "", "", ""]
    )
    headers = ["step", "file", "wall s", "CPU s", "ratio wall / CPU", "target", ""]
    common.print_table(headers, table)
    path = common.write_json(
        "roster_reading",
        {
            "machine": common.machine_info(args.database_url),
            "rows": args.rows,
            "file_bytes": {k: len(v) for k, v in files.items()},
            "start_up_s": {
                k: {"wall": round(w, 3), "cpu": round(c, 3)} for k, (w, c) in start.items()
            },
            "reading": {
                fmt: {
                    step: {"wall_s": round(w, 3), "cpu_s": round(c, 3)}
                    for step, (w, c) in steps.items()
                }
                for fmt, steps in results.items()
            },  # fmt: skip
            "command_dry_run_s": {"wall": round(cli[0], 3), "cpu": round(cli[1], 3)},
            "targets": {"csv_ratio": CSV_RATIO, "xlsx_ratio": XLSX_RATIO, "start_s": START_S},
        },
    )
    print(f"results: {path}", file=sys.stderr)


def _met(wall: float, cpu: float, target: float) -> str:
    """Met by both the wall and the CPU time, or by one only: on a busy machine (other work
    taking the cores) the wall times stretch unevenly, and a quiet machine's wall time is
    close to the CPU time."""
    if wall <= target and cpu <= target:
        return "met"
    if wall <= target or cpu <= target:
        return "met (wall)" if wall <= target else "met (CPU)"
    return "MISSED"


if __name__ == "__main__":
    main()
