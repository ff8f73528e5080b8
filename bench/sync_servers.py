"""The sync benchmark's servers: Tanfang under gunicorn, Kinto 26 from its own virtualenv.

Kinto never enters Tanfang's environment: its server and its batch client (kinto-http) run
with the Python of the ``--kinto-venv`` virtualenv, as subprocesses.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

from bench import database

KINTO_DB = "kinto_bench"
KINTO_BATCH_MAX = 1000  # kinto.batch_max_requests (Kinto's default is 25)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(command: list[str], ready_url: str, log: Path, env: dict | None = None):
    """Run a server subprocess (output to ``log``) until the block ends; wait until
    ``ready_url`` answers 200 first."""
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{command[0]} exited with {proc.returncode}; see {log}")
            try:
                if requests.get(ready_url, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[0]} did not start in 60 s; see {log}")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()  # only the process this function started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tanfang_server(url: str, workers: int, workdir: Path):
    """``tanfang serve`` (gunicorn) on a free port; yields nothing, see :func:`serve`."""
    port = free_port()
    env = {
        **os.environ,
        "TANFANG_DATABASE_URL": url,
        "TANFANG_SECRET_KEY": secrets.token_hex(16),
        "TANFANG_INSTANCE_PATH": str(workdir / "instance"),
    }
    command = [
        str(Path(sys.executable).with_name("tanfang")),
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    base = f"http://127.0.0.1:{port}"
    return base, serve(command, f"{base}/api/v1/openapi.json", workdir / "tanfang.log", env)


KINTO_INI = """\
[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.postgresql
kinto.storage_url = {db}
kinto.permission_backend = kinto.core.permission.postgresql
kinto.permission_url = {db}
kinto.cache_backend = kinto.core.cache.memory
kinto.userid_hmac_secret = {secret}
multiauth.policies = basicauth
kinto.bucket_create_principals = system.Authenticated
kinto.batch_max_requests = {batch_max}

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}

[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = plain
[logger_root]
level = WARNING
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain
[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""

# Run with the Kinto venv's python: times kinto-http's batch client creating the records.
KINTO_CLIENT = """\
import json, sys, time
from kinto_http import Client
server, bucket, collection, path = sys.argv[1:5]
records = json.load(open(path))
client = Client(server_url=server, auth=("bench", "bench-password"), bucket=bucket,
                collection=collection)
client.create_bucket(if_not_exists=True)
client.create_collection(if_not_exists=True)
# Warm up (imports, connections, caches) on another collection, as the Tanfang side is.
client.create_collection(id="warmup", if_not_exists=True)
with client.batch(collection="warmup") as batch:
    for record in records[:200]:
        batch.create_record(id=record["id"], data=record)
started = time.perf_counter()
with client.batch() as batch:
    for record in records:
        batch.create_record(id=record["id"], data=record)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "answers": len(batch.results()),
                  "batch_max_requests": client._server_settings["batch_max_requests"]}))
"""


def kinto_server(venv: Path, pg_url: str, workdir: Path):
    """A Kinto server on ``kinto_bench`` (recreated and migrated); yields nothing."""
    name = KINTO_DB
    with psycopg.connect(database.conninfo(pg_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    ini = workdir / "kinto.ini"
    db = database.conninfo(pg_url, name)
    ini.write_text(
        KINTO_INI.format(db=db, secret=secrets.token_hex(32), port=port, batch_max=KINTO_BATCH_MAX)
    )
    kinto = str(venv / "bin" / "kinto")
    subprocess.run([kinto, "migrate", "--ini", str(ini)], check=True, capture_output=True)
    base = f"http://127.0.0.1:{port}/v1"
    return base, serve([kinto, "start", "--ini", str(ini)], f"{base}/", workdir / "kinto.log")


def push_kinto(venv: Path, base: str, payloads: list[dict], workdir: Path) -> dict:
    """Create the same records in Kinto with kinto-http's batch client (a subprocess)."""
    script, data = workdir / "kinto_push.py", workdir / f"kinto-{len(payloads)}.json"
    script.write_text(KINTO_CLIENT)
    data.write_text(json.dumps(payloads, ensure_ascii=False))
    collection = f"visits{len(payloads)}"
    out = subprocess.run(
        [str(venv / "bin" / "python"), str(script), base, "tanfang", collection, str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    if answer["answers"] != len(payloads):
        raise SystemExit(f"kinto answered {answer['answers']} of {len(payloads)} records")
    seconds = answer["seconds"]
    return {
        "records": len(payloads),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(payloads) / seconds, 1),
        "batch_max_requests": answer["batch_max_requests"],
    }


def count_kinto(pg_url: str, size: int) -> int:
    """Records stored in the collection the Kinto run for ``size`` wrote."""
    with psycopg.connect(database.conninfo(pg_url, KINTO_DB)) as conn:
        return conn.execute(
            "SELECT count(*) FROM objects WHERE resource_name = 'record' AND parent_id = %s",
            (f"/buckets/tanfang/collections/visits{size}",),
        ).fetchone()[0]
