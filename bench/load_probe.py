"""Server-side figures of the load test: CPU of the gunicorn processes and of the machine
(from /proc), and what the database holds afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from bench.database import conninfo

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The direct children of process ``pid`` (empty if it is gone)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def server_pids() -> list[int]:
    """This process's ``tanfang serve`` subprocess (the gunicorn master) and its workers."""
    masters = [pid for pid in children(os.getpid()) if _is_server(pid)]
    return masters + [worker for master in masters for worker in children(master)]


def _is_server(pid: int) -> bool:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in arguments


def client_pids() -> list[int]:
    """This process and its children other than the server: the simulated tablets."""
    return [os.getpid(), *(pid for pid in children(os.getpid()) if not _is_server(pid))]


def database_backends(name: str) -> list[int]:
    """PostgreSQL's backend processes serving database ``name`` (when /proc shows them:
    the server runs on this machine)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {name} " in title:
            found.append(int(entry.name))
    return found


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each live process has used so far."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (14, 15)
    return used


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (gone ones count 0)."""
    return sum(cpu_by_pid(pids).values())


def cpu_since(before: dict[int, float], now: dict[int, float]) -> float:
    """CPU seconds used between two :func:`cpu_by_pid` readings; a process that appeared
    in between counts whole (it started after the first reading)."""
    return sum(used - before.get(pid, 0.0) for pid, used in now.items())


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used between ``start`` and ``stop`` by the server, its database's backends, the
    tablets' processes and the whole machine."""

    def __init__(self, database: str):
        # Found before the burst: the server's and tablets' processes are all up by then.
        self.database = database
        self.server, self.clients = server_pids(), client_pids()

    def _read(self) -> tuple:
        backends = cpu_by_pid(database_backends(self.database))
        return cpu_seconds(self.server), cpu_seconds(self.clients), backends, machine_ticks()

    def start(self) -> None:
        """Take the first reading."""
        self._before = self._read()

    def stop(self) -> dict:
        """Take the second reading; the CPU seconds in between, and the machine's share."""
        server, clients, backends, ticks = self._read()
        server0, clients0, backends0, ticks0 = self._before
        return {
            "server_cpu_s": round(server - server0, 2),
            "server_processes": len(self.server),
            "database_cpu_s": round(cpu_since(backends0, backends), 2),
            "client_cpu_s": round(clients - clients0, 2),
            "machine_busy_share": round((ticks[0] - ticks0[0]) / max(1, ticks[1] - ticks0[1]), 3),
        }


def stored(url: str) -> dict:
    """Visits on the server (all pushed: the dataset has none), their distinct ids, and
    the audit trail's sync creations."""
    with psycopg.connect(conninfo(url)) as conn:
        visits, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM visit").fetchone()
        created = conn.execute(
            "SELECT count(*) FROM audit_event WHERE entity = 'visit' AND action = 'sync_create'"
        ).fetchone()[0]
        ids = {str(row[0]) for row in conn.execute("SELECT id FROM visit")}
    return {"visits": visits, "distinct": distinct, "audit_sync_create": created, "ids": ids}
