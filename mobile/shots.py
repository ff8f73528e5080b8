"""The screenshot script: a demo server (``tanfang demo`` subprocess), the app, each screen."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests

log = logging.getLogger(__name__)
DEMO_PASSWORD = "tanfang-demo"
Step = Iterator[Callable[[], bool] | float | None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo_server(folder: Path, households: int = 150) -> tuple[subprocess.Popen, str]:
    """``tanfang demo`` on a free port with its own SQLite file; returns (process, URL)."""
    port = _free_port()
    env = {**os.environ, "TANFANG_INSTANCE_PATH": str(folder / "instance")}
    command = Path(sys.executable).with_name("tanfang")
    args = [str(command) if command.exists() else "tanfang", "demo", "--port", str(port)]
    args += ["--households", str(households)]
    out = open(folder / "server.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/openapi.json", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the demo server did not start; see {folder / 'server.log'}")


def supervisor_token(url: str) -> str:
    """Sign the demo supervisor in (the shots show a returned visit and a conflict)."""
    answer = requests.post(
        url + "/api/v1/auth/token",
        json={"username": "supervisor1", "password": DEMO_PASSWORD, "device_id": "shots-console"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["token"]


def render(tmp: Path, out: Path) -> None:
    """Render every screen to ``out`` (the app runs in this process)."""
    proc, url = start_demo_server(tmp)
    try:
        from mobile.window import configure_kivy

        configure_kivy(tmp / "app")
        from mobile.app import TanfangApp
        from mobile.platform.fonts import register_cjk_font

        app = TanfangApp(tmp / "app", url)
        app.font_path = register_cjk_font()
        script = Script(app, _steps(app, url, out))  # the Clock holds methods weakly
        script.start()
        app.run()
    finally:
        proc.terminate()
        proc.wait(10)


class Script:
    """Runs a generator of steps on the Kivy clock: a float waits, a callable is polled."""

    def __init__(self, app, steps: Step) -> None:
        self.app, self.steps, self.wait = app, steps, None

    def start(self) -> None:
        from kivy.clock import Clock

        Clock.schedule_interval(self._tick, 0.1)

    def _tick(self, dt: float) -> bool | None:
        if callable(self.wait) and not self.wait():
            return None
        if isinstance(self.wait, float) and time.monotonic() < self._until:
            return None
        try:
            self.wait = next(self.steps)
        except StopIteration:
            self.app.stop()
            return False
        except Exception:
            log.exception("screenshot script failed")
            self.app.stop()
            raise
        if isinstance(self.wait, float):
            self._until = time.monotonic() + self.wait
        return None


def _steps(app, url: str, out: Path) -> Step:
    from kivy.core.window import Window

    from mobile.window import save_window

    def shot(name: str) -> Step:
        yield 0.6
        save_window(str(out / f"{name}.png"))
        log.info("saved %s", name)

    yield 1.0
    yield from shot("signin")
    signin = app.screen("signin").vm
    signin.username, signin.password = "advisor1", DEMO_PASSWORD
    signin.submit()
    yield lambda: app.manager.current == "pin"
    yield from shot("pin")
    pin = app.screen("pin").vm
    pin.pin = pin.repeat = "246810"
    due = app.screen("duelist").vm

    # The first pull's progress stands where the list will be: saved from every frame
    # that shows it, so the last one ("n / total") is kept (a small demo's pull is over
    # within a second).
    def during_first_pull(*_) -> None:
        if due.loading and app.manager.current == "duelist":
            save_window(str(out / "duelist_first_pull.png"))

    Window.bind(on_flip=during_first_pull)
    pin.submit()
    # The first sync starts once the list is computed: wait for its outcome, then idle.
    yield lambda: app.ctx.store.get_state("last_sync") and not app.ctx.runner.busy
    Window.unbind(on_flip=during_first_pull)
    due.tab = "all"
    yield from shot("duelist")
    first = next(r for r in due.rows if r["viewclass"] == "DueRow" and r["due_state"] != "done")
    household_id = first["household_id"]
    app.open_household(household_id)
    app.open_visit(household_id)
    visit = app.screen("visit").vm
    visit.set("outcome", "completed")
    visit.same_as_last()
    visit.toggle("needs", "medical")
    visit.set("notes", "老人腿脚不便，已联系社区医生上门。")
    yield from shot("visit")
    visit_id = visit.form["id"]
    visit.submit()
    app.open_interview(household_id)
    interview = app.screen("interview").vm
    interview.set("interviewee_role", "neighbour")
    interview.set("corroborates", "yes")
    interview.set("statement", "邻居反映户主近期身体不好，子女很少回来。")
    yield from shot("interview")
    interview.submit()
    app.open_lead()
    lead = app.screen("lead").vm
    lead.set("head_name", "赵桂兰")
    lead.set("residence_address", "幸福路12号3栋201")
    lead.set("phone", "电话不详")
    lead.set("observations", "独居老人，屋顶漏水，靠邻居接济；尚未纳入监测。")
    lead.toggle("suggested_categories", "tekun")
    lead.toggle("suggested_categories", "discovered")
    lead.submit()  # refused: the message stands beside the phone field
    yield from shot("lead")
    lead.set("phone", "")
    lead.submit()
    # A phone changed on both sides: the sync screen then shows both values.
    app.ctx.store.update_household(household_id, {"phone": "13900001111"})
    token = supervisor_token(url)
    headers = {"Authorization": f"Bearer {token}"}
    requests.patch(
        f"{url}/api/v1/households/{household_id}",
        json={"phone": "13700002222"},
        headers=headers,
        timeout=10,
    ).raise_for_status()
    app.sync_now()
    yield lambda: not app.ctx.runner.busy
    requests.post(
        f"{url}/api/v1/visits/{visit_id}/return",
        json={"comment": "请补充家庭成员收入情况"},
        headers=headers,
        timeout=10,
    ).raise_for_status()
    app.sync_now()
    yield 0.5
    yield lambda: not app.ctx.runner.busy
    app.show("sync")
    yield from shot("sync")
    app.show("records", mode="all")
    yield from shot("records")
    app.show("records", mode="returned")
    yield from shot("returned")
    app.open_record("visit", visit_id)
    yield from shot("visit_returned")
    app.screen("visit").vm.autosave()
    # The file after the visit: its history with what was found and noted.
    app.open_household(household_id)
    yield from shot("household")
    other = next(
        r for r in due.rows if r["viewclass"] == "DueRow" and r["household_id"] != household_id
    )
    app.open_visit(other["household_id"])
    draft = app.screen("visit").vm
    draft.set("outcome", "not_home")
    draft.set("notes", "敲门无人应答，改日再访。")
    draft.autosave()
    app.show("drafts")
    yield from shot("drafts")
    app.show("settings")
    yield from shot("settings")
    # Past the offline lease the screens with personal data lock until a sync succeeds.
    lease = app.ctx.store.get_state("lease_until")
    app.ctx.store.set_state("lease_until", "2001-01-01T00:00:00+00:00")
    app.show("duelist")
    yield from shot("locked")
    app.ctx.store.set_state("lease_until", lease)
    app.show("duelist")
    Window.size = (800, 1280)
    yield 1.0
    yield from shot("duelist_portrait")
