"""``python -m server.console.screenshots [--out DIR]``: every console page with demo data, as PNG.

Serves a throw-away demo database (SQLite in a temporary folder) on 127.0.0.1 and drives
Debian's Chromium headless through Playwright, signed in as the demo supervisor; writes
``console-<page>.png`` (1366 px wide, a street office laptop; ``--width 1024`` writes
``console-<page>-1024.png``; ``--lang en`` adds ``-en``) into ``docs/screenshots``.
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
    from server.services.core.transaction import unit_of_work

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
            _field_reports(db.session)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _field_reports(session) -> None:
    """What the tablets would have sent (the demo has no tablets): two leads in the demo
    supervisor's street and an advisor's tablet with unsent records, for the caseload and
    lead pages."""
    import hashlib
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from server.models import Device, Lead, User

    now = datetime.now(UTC)
    supervisor = session.scalar(select(User).where(User.username == "supervisor1"))
    advisor = session.scalar(
        select(User)
        .where(User.role == "advisor", User.area_id == supervisor.area_id)
        .order_by(User.display_name)  # the first in the caseload page's advisor list
    )
    found = [
        ("赵桂兰", "中山路 12 号 3 栋 201", "独居老人，屋顶漏水，靠邻居接济。", ["tekun"]),
        ("钱建国", "文德路 8 号 502", "失业半年，孩子上学费用困难。", ["dibao_edge", "discovered"]),
    ]
    for n, (name, address, seen, categories) in enumerate(found):
        session.add(
            Lead(
                id=uuid.uuid4(),
                street_id=supervisor.area_id,
                advisor_id=advisor.id,
                device_id="demo-tablet",
                found_at=now - timedelta(hours=5 + n),
                received_at=now - timedelta(hours=4 + n),
                head_name=name,
                residence_address=address,
                phone=None,
                observations=seen,
                suggested_categories=categories,
                status="new",
                payload_hash=hashlib.sha256(name.encode()).hexdigest(),
            )
        )
    session.add(
        Device(
            device_id="demo-tablet",
            name="社区平板 1",
            app_version="0.1.0",
            user_id=advisor.id,
            token_hash=hashlib.sha256(b"demo-tablet").hexdigest(),
            expires_at=now + timedelta(days=30),
            last_seen_at=now - timedelta(hours=3),
            reported_at=now - timedelta(hours=3),
            pending_count=3,
            oldest_pending_at=now - timedelta(hours=6),
        )
    )


def _choose_language(page, lang: str) -> None:
    """Switch the console to ``lang`` through its own language form (a sign-in starts a new
    session, which speaks Chinese again). The form is submitted by script: at 1024 px it sits
    in the collapsed menu."""
    if lang == "zh":
        return
    page.eval_on_selector("form[action$='/console/language']", "form => form.submit()")
    page.wait_for_load_state()


def shoot(url: str, out: Path, width: int = 1366, lang: str = "zh") -> list[Path]:
    """Sign in as the demo supervisor and photograph each page, then as the demo admin the
    administration pages; the files written."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
        suffix = ("" if width == 1366 else f"-{width}") + ("" if lang == "zh" else f"-{lang}")

        def snap(name: str) -> None:
            path = out / f"console-{name}{suffix}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)

        page.goto(f"{url}/console/sign-in")
        _choose_language(page, lang)
        snap("sign-in")
        page.fill("input[name=username]", "supervisor1")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("form[action$='/console/sign-in'] button[type=submit]")
        page.wait_for_url(f"{url}/console/")
        _choose_language(page, lang)
        snap("dashboard")
        page.goto(f"{url}/console/review")
        snap("review-queue")
        boxes = page.locator("input[name=record]")
        for i in range(min(2, boxes.count())):
            boxes.nth(i).check()  # what a supervisor sees before approving them together
        snap("review-queue-selected")
        resubmitted = page.locator("tr", has_text="已重新提交").locator("a.btn-primary")
        if resubmitted.count():
            resubmitted.first.click()
            page.wait_for_load_state()
            snap("review-resubmitted")
            page.goto(f"{url}/console/review")
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
        page.goto(f"{page.url}/print")
        snap("household-print")
        page.goto(f"{url}/console/password")
        snap("password")
        _shoot_caseloads(page, url, snap)
        _shoot_leads(page, url, snap)
        _shoot_warnings(page, url, snap)
        page.goto(f"{url}/console/roster")
        snap("roster")
        page.set_input_files("input[type=file]", _roster_sample())
        page.click("#roster-upload button[type=submit]")
        page.wait_for_url(f"{url}/console/roster/*")
        snap("roster-report")
        _shoot_admin(page, url, snap, lang)
        browser.close()
    return written


def _shoot_caseloads(page, url: str, snap) -> None:
    """The caseload page, the preview of an advisor's whole caseload, the handover view."""
    page.goto(f"{url}/console/caseloads")
    snap("caseloads")
    advisors = page.locator("select[name=advisor] option")
    page.select_option("select[name=advisor]", advisors.nth(1).get_attribute("value"))
    page.select_option("select[name=to_advisor]", index=2)
    page.click("#preview")
    page.wait_for_load_state()
    snap("caseload-preview")
    page.click("#confirm button[type=submit]")
    page.wait_for_url(f"{url}/console/caseloads/handovers")
    snap("handovers")


def _shoot_leads(page, url: str, snap) -> None:
    page.goto(f"{url}/console/leads")
    snap("leads")
    page.locator("a[href*='/console/leads/']").first.click()
    page.wait_for_load_state()
    snap("lead")


def _shoot_warnings(page, url: str, snap) -> None:
    """预警处置, and the first warning taken into verification (its disposal form)."""
    page.goto(f"{url}/console/warnings")
    snap("warnings")
    page.locator("#warning-list a[href*='/console/warnings/']").first.click()
    page.wait_for_load_state()
    page.click("#take-warning button")
    page.wait_for_load_state()
    snap("warning")


def _roster_sample() -> dict:
    """The template's example row, a fixed copy of it and two bad rows (for the report)."""
    import csv
    import io

    from server.services.roster.columns import COLUMNS

    example = {c.key: c.example for c in COLUMNS}
    rows = [
        example,
        {**example, "external_id": "YX-2026-000002", "head_id_number": "440100195807150011"},
        {**example, "external_id": "YX-2026-000003", "categories": "低保对象、贫困户"},
        {**example, "external_id": "YX-2026-000004", "head_id_number": "440100196203040024",
         "hardship_level": "一般", "head_name": "李娜"},
    ]  # fmt: skip
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.zh for c in COLUMNS])
    writer.writerows([r[c.key] for c in COLUMNS] for r in rows)
    body = out.getvalue().encode("utf-8-sig")
    return {"name": "roster.csv", "mimeType": "text/csv", "buffer": body}


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


def _shoot_admin(page, url: str, snap, lang: str) -> None:
    """Sign in as the demo admin and photograph the administration pages."""
    _tablets(page, url)
    toggler = page.locator("nav .navbar-toggler")
    if toggler.is_visible():  # a narrow window: the bar is folded behind its menu button
        toggler.click()
    page.click("form[action$='/console/sign-out'] button[type=submit]")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action$='/console/sign-in'] button[type=submit]")
    page.wait_for_url(f"{url}/console/")
    _choose_language(page, lang)
    for path, name in (
        ("/console/admin/users", "admin-users"),
        ("/console/admin/users/new", "admin-user-new"),
        ("/console/admin/devices", "admin-devices"),
        ("/console/admin/areas", "admin-areas"),
        ("/console/admin/policy", "admin-policy"),
        ("/console/admin/audit", "admin-audit"),
        ("/console/admin/jobs", "admin-jobs"),
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
    # 1366 px: a street office laptop; 1024 px: an old screen (files named …-1024.png).
    parser.add_argument("--width", type=int, action="append", choices=(1366, 1024))
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"needs {CHROMIUM} (Debian's chromium package)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    # A fresh demo per width: the pages' own steps (a caseload move, an import) change it.
    for width in args.width or [1366]:
        with tempfile.TemporaryDirectory(prefix="tanfang-console-shots-") as tmp:
            server, url = serve_demo(Path(tmp))
            try:
                for path in shoot(url, args.out, width, args.lang):
                    print(path)
            finally:
                server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
