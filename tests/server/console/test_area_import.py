"""The areas page's import (issue 22 item 12): upload, dry run, import; admins only."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from server.models import Area
from tests.server.roster.test_area_import import CODES, _csv


def _upload(c, data: bytes):
    return c.client.open(
        "/console/admin/areas/import",
        method="POST",
        data={"file": (io.BytesIO(data), "codes.csv"), "csrf_token": c.token},
    )


def test_the_dry_run_then_the_import(world, console, session):
    c = console.as_user(world.admin)
    assert "导入区划" in c.get("/console/admin/areas").get_data(as_text=True)
    page = _upload(c, _csv(CODES))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "新建 6" in text and "440104001" in text
    assert session.scalar(select(Area).where(Area.code == "440104")) is None
    action = re.search(r'action="(/console/admin/areas/import/[^"]+)"', text).group(1)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', text).group(1)
    done = c.post(action, {"fingerprint": fingerprint})
    assert done.status_code == 302
    session.expire_all()
    street = session.scalar(select(Area).where(Area.code == "440104001"))
    assert street.name == "北京街道" and street.parent.code == "440104"


def test_refused_rows_offer_no_import(world, console, session):
    c = console.as_user(world.admin)
    text = _upload(c, _csv([*CODES, ("123", "坏代码")])).get_data(as_text=True)
    assert "区划代码应为 12 位数字" in text and 'id="area-import"' not in text


def test_only_admins(world, console):
    """Supervisors get 403; an upload id that is not the admin's own is 404."""
    admin = console.as_user(world.admin)
    text = _upload(admin, _csv(CODES)).get_data(as_text=True)
    action = re.search(r'action="(/console/admin/areas/import/[^"]+)"', text).group(1)
    assert (
        admin.post(action.replace(action[-20:], "x" * 20), {"fingerprint": "f"}).status_code == 404
    )
    console.client.cookie_jar.clear() if hasattr(console.client, "cookie_jar") else None
    c = console.as_user(world.sup_a)
    assert c.get("/console/admin/areas/import").status_code == 403
    assert c.post(action, {"fingerprint": "f"}).status_code == 403
