"""``python -m server.console.screenshots [--out DIR]``: every console page with demo data, as PNG.

Serves a throw-away demo database (SQLite in a temporary folder) on 127.0.0.1 and drives
Debian's Chromium headless through Playwright, signed in as the demo supervisor; writes
``console-<page>.png`` (1366×900, a street office laptop) into ``docs/screenshots``.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# The flags this machine's closed network needs (no background connections, no sandbox as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "tanfang-demo"
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def serve_demo(folder: Path, households: int = 120):
    """A demo database in ``folder`` behind a werkzeug server thread; returns (server, URL)."""
    from flask_migrate import upgrade

    from server import create_app
    from server.demo import load_demo
    from server.extensions import db
    from server.services.transaction import unit_of_work

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'console.sqlite3'}",
            "SECRET_KEY": secrets.token_hex(16),
            # The pages are served over plain http on 127.0.0.1 here.
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        with unit_of_work(db.session):
            load_demo(
                db.session,
                households=households,
                password=DEMO_PASSWORD,
                tz=app.config["TIMEZONE"],
            )
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def shoot(url: str, out: Path) -> list[Path]:
    """Sign in as the demo supervisor and photograph each page, then as the demo admin the
    administration pages; the files written."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")

        def snap(name: str) -> None:
            path = out / f"console-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)

        page.goto(f"{url}/console/sign-in")
        snap("sign-in")
        page.fill("input[name=username]", "supervisor1")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form[action$='/console/sign-in'] button[type=submit]")
        page.wait_for_url(f"{url}/console/")
        snap("dashboard")
        page.goto(f"{url}/console/review")
        snap("review-queue")
        review = page.locator("a.btn-primary").first
        if review.count():
            review.click()
            page.wait_for_load_state()
            snap("review-record")
        page.goto(f"{url}/console/due")
        snap("due")
        household = page.locator("a[href*='/console/households/']").first
        household.click()
        page.wait_for_load_state()
        snap("household")
        page.goto(f"{url}/console/password")
        snap("password")
        _shoot_admin(page, url, snap)
        browser.close()
    return written


def _tablets(page, url: str) -> None:
    """Two demo tablets signed in through the API, one reporting unsent records, so the
    devices page has something to show."""
    for n, (pending, hours) in ((1, (3, 30)), (2, (0, 0))):
        answer = page.request.post(
            f"{url}/api/v1/auth/token",
            data={
                "username": f"advisor{n}",
                "password": DEMO_PASSWORD,
                "device_id": f"pad-{n:03d}",
                "device_name": f"平板{n}",
                "app_version": "0.1.0",
            },
        )
        token = answer.json()["token"]
        report = {"Authorization": f"Bearer {token}", "X-Pending-Count": str(pending)}
        if pending:
            from datetime import UTC, datetime, timedelta

            oldest = datetime.now(UTC) - timedelta(hours=hours)
            report["X-Oldest-Pending-At"] = oldest.isoformat()
        page.request.get(f"{url}/api/v1/sync/pull?limit=1", headers=report)


def _shoot_admin(page, url: str, snap) -> None:
    """Sign in as the demo admin and photograph the administration pages."""
    _tablets(page, url)
    page.click("form[action$='/console/sign-out'] button[type=submit]")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action$='/console/sign-in'] button[type=submit]")
    page.wait_for_url(f"{url}/console/")
    for path, name in (
        ("/console/admin/users", "admin-users"),
        ("/console/admin/users/new", "admin-user-new"),
        ("/console/admin/devices", "admin-devices"),
        ("/console/admin/areas", "admin-areas"),
        ("/console/admin/policy", "admin-policy"),
        ("/console/admin/audit", "admin-audit"),
    ):
        page.goto(f"{url}{path}")
        snap(name)
    page.goto(f"{url}/console/admin/users?role=advisor")
    page.locator("a.btn-outline-primary[href*='/console/admin/users/']").first.click()
    page.wait_for_load_state()
    snap("admin-user")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"needs {CHROMIUM} (Debian's chromium package)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tanfang-console-shots-") as tmp:
        server, url = serve_demo(Path(tmp))
        try:
            for path in shoot(url, args.out):
                print(path)
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
