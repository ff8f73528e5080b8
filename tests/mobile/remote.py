"""The UI tests' side of mobile.testing.driver: start the real app, send it commands."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RemoteApp:
    """The app in its own process (so it can be killed and restarted) under ``display``."""

    def __init__(
        self,
        data_dir: Path,
        server_url: str,
        display: str,
        *,
        portrait=False,
        command: list[str] | None = None,
        poll: float = 0.2,
    ) -> None:
        self.data_dir, self.server_url, self.display = data_dir, server_url, display
        self.portrait = portrait
        # How the app is started (bench/app.py compares tanfang app with tanfang-app), and
        # how often to look whether it is up (the benchmark looks more often).
        self.command = command or [sys.executable, "-m", "mobile"]
        self.poll = poll
        self.proc: subprocess.Popen | None = None
        self._stream = None
        self._sock: socket.socket | None = None
        self._log = None

    def start(self, timeout: float = 60) -> RemoteApp:
        port = free_port()
        env = {**os.environ, "DISPLAY": self.display, "TANFANG_DRIVER_PORT": str(port)}
        env["KIVY_HOME"] = str(self.data_dir / "kivy")
        args = [*self.command, "--server", self.server_url]
        args += ["--data-dir", str(self.data_dir)] + (["--portrait"] if self.portrait else [])
        self._log = open(self.data_dir.parent / f"{self.data_dir.name}-app.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the app did not start; see its log") from None
                time.sleep(self.poll)
        self._sock.settimeout(60)
        self._stream = self._sock.makefile("rwb")
        self.wait_for(lambda: self.call("screen") in ("signin", "pin"), "first screen")
        return self

    def call(self, cmd: str, **args: Any) -> Any:
        self._stream.write(json.dumps({"cmd": cmd, **args}, ensure_ascii=False).encode() + b"\n")
        self._stream.flush()
        answer = json.loads(self._stream.readline())
        if not answer["ok"]:
            raise AssertionError(answer["error"])
        return answer["value"]

    def tap(self, **selector: Any) -> str:
        return self.call("tap", **selector)

    def type(self, value: str, **selector: Any) -> str:
        return self.call("type", value=value, **selector)

    def vm(self, attr: str, screen: str | None = None) -> Any:
        return self.call("vm", attr=attr, screen=screen)

    def screen(self) -> str:
        return self.call("screen")

    def wait_for(self, check, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(self.poll)

    def wait_synced(self, timeout: float = 60) -> None:
        """Wait for the sync a tap started to finish. No head start is needed: the tap's
        handler starts the sync on the app's main thread before the driver answers the tap,
        and the sync's result is posted there before the runner reads as idle."""
        self.wait_for(lambda: self.call("sync_idle"), "sync to finish", timeout)

    def store(self, method: str, *args: Any) -> Any:
        """A read of the app's own store (see mobile.testing.driver.STORE_READS)."""
        return self.call("store", method=method, args=list(args))

    def kill(self) -> None:
        """kill -9: no chance to save anything more."""
        self._close()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        self._close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
