"""A line-JSON channel on 127.0.0.1 through which UI tests drive the real widgets.

Started only when ``TANFANG_DRIVER_PORT`` is set (by the UI tests). Each request runs on the
Kivy main thread; a tap is a real touch (down/up) dispatched through the window at the
widget's position, so it goes through the same code as a finger. Taps are counted.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from typing import Any

from kivy.clock import Clock

log = logging.getLogger(__name__)
TIMEOUT = 20.0
# What a test may read from the app's store (never write: the app does that).
STORE_READS = frozenset(
    {"outbox_items", "record", "get_state", "attention_items", "pending_count", "household"}
)


class Driver:
    """Serves requests ``{"cmd": …}`` one per line; answers ``{"ok", "value"|"error"}``."""

    def __init__(self, app, port: int) -> None:
        self.app = app
        self.port = port
        self.taps = 0
        self._watched: dict[str, list] = {}

    def start(self) -> None:
        """Listen in a daemon thread."""
        threading.Thread(target=self._serve, name="tanfang-driver", daemon=True).start()

    def _serve(self) -> None:
        with socket.create_server(("127.0.0.1", self.port)) as server:
            while True:
                conn, _ = server.accept()
                threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:
            for line in stream:
                try:
                    answer = {"ok": True, "value": self._on_main(json.loads(line))}
                except Exception as error:  # reported to the test, never kills the app
                    answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
                stream.write(json.dumps(answer, ensure_ascii=False, default=str).encode() + b"\n")
                stream.flush()

    def _on_main(self, request: dict[str, Any]) -> Any:
        done = threading.Event()
        box: dict[str, Any] = {}

        def finish(value=None, error=None) -> None:
            box["value"], box["error"] = value, error
            done.set()

        def run(dt) -> None:
            try:
                handler = getattr(self, "cmd_" + request["cmd"])
                handler(request, finish)
            except Exception as error:
                finish(error=error)

        Clock.schedule_once(run, 0)
        # A long command (scrolling for a benchmark) says how long it may take.
        if not done.wait(float(request.get("timeout", TIMEOUT))):
            raise TimeoutError(f"{request['cmd']} did not finish")
        if box["error"] is not None:
            raise box["error"]
        return box["value"]

    # ----------------------------------------------------------------- lookups

    def _screen(self):
        manager = self.app.manager
        return manager.get_screen(manager.current)

    def _modal(self):
        """The topmost open popup, if any (it takes the touches, so lookups go there)."""
        from kivy.core.window import Window
        from kivy.uix.modalview import ModalView

        return next((w for w in Window.children if isinstance(w, ModalView)), None)

    def _find(self, request: dict[str, Any]):
        screen = self._modal() or self._screen()
        if "id" in request:
            widget = screen.ids.get(request["id"])
            if widget is None:
                raise LookupError(f"no id {request['id']!r} on {_name(screen)}")
            return widget
        root = screen
        if "row" in request:  # a RecycleView row by the attribute it shows
            key, value = request["row"]
            root = next(
                (w for w in screen.walk() if getattr(w, key, None) == value and _shown(w)), None
            )
            if root is None:
                raise LookupError(f"no visible row with {key}={value!r}")
            if "text" not in request:
                return root
        text = request["text"]
        for widget in root.walk():
            if getattr(widget, "text", None) == text and _shown(widget):
                return widget
        raise LookupError(f"no visible widget with text {text!r} on {_name(screen)}")

    # ---------------------------------------------------------------- commands

    def cmd_screen(self, request, finish) -> None:
        finish(self.app.manager.current)

    def cmd_tap(self, request, finish) -> None:
        widget = self._find(request)
        scroller = next((p for p in _parents(widget) if hasattr(p, "scroll_to")), None)
        if scroller is not None and not _inside(widget, scroller):
            scroller.scroll_to(widget, padding=40, animate=False)

        def touch(dt) -> None:
            from kivy.tests.common import UnitTestTouch

            x, y = widget.to_window(*widget.center)
            event = UnitTestTouch(x, y)
            event.touch_down()
            event.touch_up()
            self.taps += 1
            Clock.schedule_once(lambda dt: finish(self.app.manager.current), 0.05)

        Clock.schedule_once(touch, 0.1)

    def cmd_timed_tap(self, request, finish) -> None:
        """Tap now and answer the milliseconds until screen ``until`` is current, the due
        list is not recomputing, and one more frame has been drawn (what the advisor sees).
        ``detail``: answer ``{total_ms, handler_ms, frames}`` instead (the tap's own
        handlers, and how many frames were drawn in between: where the time went)."""
        import time

        from kivy.core.window import Window
        from kivy.tests.common import UnitTestTouch

        widget = self._find(request)
        x, y = widget.to_window(*widget.center)
        flips = []
        Window.bind(on_flip=flips.append)
        start = time.perf_counter()
        event = UnitTestTouch(x, y)
        event.touch_down()
        event.touch_up()
        handled = time.perf_counter()
        self.taps += 1

        def answer(dt) -> None:
            total = (time.perf_counter() - start) * 1000
            Window.unbind(on_flip=flips.append)
            if request.get("detail"):
                handler = round((handled - start) * 1000, 1)
                finish({"total_ms": total, "handler_ms": handler, "frames": len(flips)})
            else:
                finish(total)

        def check(dt) -> None:
            manager = self.app.manager
            due = manager.get_screen("duelist").vm if manager.has_screen("duelist") else None
            if manager.current != request["until"] or (due is not None and due.computing):
                Clock.schedule_once(check, 0)
                return
            # The next frame is drawn before this callback runs again.
            Clock.schedule_once(answer, 0)

        Clock.schedule_once(check, 0)

    def cmd_type(self, request, finish) -> None:
        """Replace a text field's content as a keyboard/IME would: through insert_text."""
        widget = self._find(request)
        widget.focus = True
        widget.select_all()
        widget.delete_selection()
        widget.insert_text(request["value"])
        finish(widget.text)

    def cmd_get(self, request, finish) -> None:
        widget = self._find(request)
        finish(getattr(widget, request.get("attr", "text")))

    def cmd_vm(self, request, finish) -> None:
        """A view-model property of the current screen (or ``screen``'s)."""
        name = request.get("screen") or self.app.manager.current
        vm = self.app.screen(name).vm
        value = getattr(vm, request["attr"])
        finish(json.loads(json.dumps(value, default=str)))

    def cmd_popup(self, request, finish) -> None:
        """The open popup's title, or None."""
        modal = self._modal()
        finish(None if modal is None else getattr(modal, "title", type(modal).__name__))

    def cmd_store(self, request, finish) -> None:
        """A read of the app's own store (``method`` from STORE_READS, with ``args``)."""
        if request["method"] not in STORE_READS:
            raise PermissionError(f"{request['method']} is not a read the driver offers")
        value = getattr(self.app.ctx.store, request["method"])(*request.get("args", []))
        finish(json.loads(json.dumps(value, default=str)))

    def cmd_pass_time(self, request, finish) -> None:
        """Move the keyring's clock ``seconds`` ahead (a PIN delay passes without waiting)."""
        import time

        offset = float(request["seconds"]) + (self.app.ctx.vault.clock() - time.time())
        self.app.ctx.vault.clock = lambda: time.time() + offset
        finish(offset)

    def cmd_taps(self, request, finish) -> None:
        if request.get("reset"):
            self.taps = 0
        finish(self.taps)

    def cmd_sync_idle(self, request, finish) -> None:
        """No sync running or answered-but-not-handled (the runner stays busy until its
        callback ran on this thread, and that callback queues the due list's recompute
        before returning), and no recompute of the due list submitted and not applied."""
        manager = self.app.manager
        due = manager.get_screen("duelist").vm if manager.has_screen("duelist") else None
        finish(not self.app.ctx.runner.busy and not (due is not None and due.computing))

    def cmd_watch(self, request, finish) -> None:
        """From now on, record what widget ``id`` of screen ``screen`` shows for ``attr``
        in every frame drawn while that screen is current (each change once): a test
        reads it with ``watched`` — what the advisor saw while the test was not looking,
        e.g. during a pull."""
        from kivy.core.window import Window

        key = f"{request['screen']}.{request['id']}.{request.get('attr', 'text')}"
        seen = self._watched.setdefault(key, [])

        def drawn(*_) -> None:
            manager = self.app.manager
            if manager.current != request["screen"]:
                return
            value = getattr(manager.current_screen.ids[request["id"]], request.get("attr", "text"))
            if not seen or seen[-1] != value:
                seen.append(value)

        Window.bind(on_flip=drawn)
        finish(None)

    def cmd_watched(self, request, finish) -> None:
        key = f"{request['screen']}.{request['id']}.{request.get('attr', 'text')}"
        finish(self._watched.get(key, []))

    def cmd_scroll(self, request, finish) -> None:
        """Scroll the widget ``id`` one step per frame; answers the frame durations (ms)."""
        from mobile.testing.frames import scroll_frames

        scroll_frames(self._find(request), int(request.get("frames", 240)), finish)

    def cmd_shift_clock(self, request, finish) -> None:
        """Move the app's clock ``hours`` ahead of the real one (the offline lease's tests)."""
        from datetime import datetime, timedelta

        offset = timedelta(hours=float(request["hours"]))
        self.app.ctx.clock = lambda tz: datetime.now(tz) + offset
        self.app.check_access()
        finish(self.app.manager.current)

    def cmd_screenshot(self, request, finish) -> None:
        from mobile.window import save_window

        finish(save_window(request["path"]))


def _name(root) -> str:
    return getattr(root, "name", "") or type(root).__name__


def _parents(widget):
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        yield parent
        parent = parent.parent


def _shown(widget) -> bool:
    return widget.get_root_window() is not None and widget.opacity > 0 and not widget.disabled


def _inside(widget, scroller) -> bool:
    wx, wy = widget.to_window(*widget.center)
    sx, sy = scroller.to_window(scroller.x, scroller.y)
    return sx <= wx <= sx + scroller.width and sy <= wy <= sy + scroller.height
