"""The roster import page: upload, dry-run report, downloads, import, limits, who may."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from server.models import AuditEvent, Household
from server.services.roster.sheets import UNREADABLE
from tests.server.roster.conftest import csv_bytes, damaged_xlsx, row


def _households(session) -> int:
    return session.scalar(select(func.count()).select_from(Household))


def upload(c, data: bytes, name: str = "roster.csv"):
    return c.post("/console/roster", {"file": (io.BytesIO(data), name)})


def _report_path(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def _import_path(report: str) -> str:
    return f"{report}/import"


def _confirm(c, report: str, fingerprint: str | None = None):
    """Press 导入 on the report page: the form carries the fingerprint the page shows."""
    page = c.get(report).get_data(as_text=True)
    shown = re.search(r'name="fingerprint" value="([0-9a-f]*)"', page)
    # No form on the page (imported already, or no access): post what a stale tab would.
    fingerprint = fingerprint or (shown.group(1) if shown else "stale")
    return c.post(_import_path(report), {"fingerprint": fingerprint})


@pytest.fixture
def good() -> bytes:
    return csv_bytes([row(n) for n in range(1, 4)])


def test_the_page_offers_the_form_and_the_templates(world, console):
    c = console.as_user(world.sup_a)
    page = c.get("/console/roster").get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    assert re.search(r'<label[^>]*for="file"', page)
    assert "家庭编号" in page and "roster-template.xlsx" in page
    with c.get("/console/static/roster-template.xlsx") as template:
        assert template.status_code == 200
        assert load_workbook(io.BytesIO(template.data)).active["A1"].value == "家庭编号"


def test_dry_run_then_import_the_same_file(world, console, session, good):
    c = console.as_user(world.sup_a)
    report = _report_path(upload(c, good))
    page = c.get(report).get_data(as_text=True)
    assert "新建 3" in page and "拒绝 0" in page
    assert _households(session) == 0  # the dry run wrote nothing
    csv_report = c.get(f"{report}/report.csv")
    assert csv_report.data.startswith(b"\xef\xbb\xbf") and "R00001" in csv_report.data.decode()
    assert "attachment" in csv_report.headers["Content-Disposition"]
    assert csv_report.headers["Content-Type"] == "text/csv; charset=utf-8"
    xlsx = load_workbook(io.BytesIO(c.get(f"{report}/report.xlsx").data)).active
    assert [r[2] for r in xlsx.iter_rows(min_row=2, values_only=True)] == ["新建"] * 3
    assert xlsx.title == "导入报告" and xlsx.column_dimensions["E"].width >= 60
    response = _confirm(c, report)
    assert response.status_code == 302
    assert _households(session) == 3
    page = c.get(report).get_data(as_text=True)
    assert "已导入：新建 3 户" in page and "此文件已导入" in page
    # The same id cannot import twice; a second upload of the file changes nothing.
    _confirm(c, report)
    again = _report_path(upload(c, good))
    assert "无变化 3" in c.get(again).get_data(as_text=True)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    _confirm(c, again)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_a_refused_row_is_shown_first_and_blocks_the_import(world, console, session):
    c = console.as_user(world.sup_a)
    data = csv_bytes([row(1), row(2, enrolled_on="2025-13-01"), row(3)])
    report = _report_path(upload(c, data))
    page = c.get(report).get_data(as_text=True)
    assert "拒绝 1" in page and "不是有效的日期" in page and "纳入日期" in page
    assert page.index("不是有效的日期") < page.index("R00001")
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>', page)
    _confirm(c, report)
    assert "请修改被拒绝的行后重新上传" in c.get(report).get_data(as_text=True)
    assert _households(session) == 0


def test_rows_outside_a_supervisors_streets_are_refused(world, console, session):
    c = console.as_user(world.sup_b)
    report = _report_path(upload(c, csv_bytes([row(1)])))
    assert "不在您的辖区内" in c.get(report).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (None, "", "请选择文件"),
        (b"", "roster.csv", "文件是空的"),
        (b"a,b\n1,2\n", "roster.txt", "只接受 .csv 或 .xlsx 文件"),
        ("颜色\n红\n".encode(), "roster.csv", "未知的列“颜色”"),
    ],
)
def test_a_file_that_is_no_roster_gets_a_message_beside_the_field(
    world, console, data, name, message
):
    c = console.as_user(world.sup_a)
    response = upload(c, data, name) if data is not None else c.post("/console/roster")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_with_a_clear_message(app, world, console, good):
    app.config["ROSTER_MAX_UPLOAD"] = 2 * 2**20
    c = console.as_user(world.sup_a)
    # The body is encoded here, in memory: the test client would spool a large one to a
    # temporary file it never closes when the request is refused unread.
    fields = {"csrf_token": c.token, "file": FileStorage(io.BytesIO(good + b"," * 2**21), "r.csv")}
    boundary, body = encode_multipart(MultiDict(fields))
    response = c._request(
        "POST",
        "/console/roster",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 303
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "文件超过 2 MB" in page and "invalid-feedback" in page


def test_an_upload_is_its_uploaders_alone(world, console, client, session, good):
    c = console.as_user(world.sup_a)
    report = _report_path(upload(c, good))
    for other in (world.admin, world.sup_b, world.sup_district):
        o = console.as_user(other)
        for path in (report, f"{report}/report.csv", f"{report}/report.xlsx"):
            assert o.get(path).status_code == 404, (other.username, path)
        assert o.post(_import_path(report)).status_code == 404
    assert _households(session) == 0
    c = console.as_user(world.sup_a)
    assert c.get("/console/roster/not-an-id").status_code == 404
    assert c.get(report).status_code == 200


def test_an_advisor_session_opens_no_roster_page(world, console, session, good):
    c = console.as_user(world.sup_a)
    report = _report_path(upload(c, good))
    from server.services.core.transaction import unit_of_work

    with unit_of_work(session):
        world.sup_a.role = "advisor"
    for path in ("/console/roster", report, f"{report}/report.csv"):
        assert c.get(path).status_code == 403, path
    assert _confirm(c, report).status_code == 403
    assert _households(session) == 0


def test_the_import_is_the_plan_the_page_showed_or_nothing(world, console, session):
    """The confirm form carries the dry run's fingerprint: data changed meanwhile means
    nothing is imported and the page shows the new plan (with what a re-import keeps)."""
    from server.services.core.transaction import unit_of_work

    c = console.as_user(world.sup_a)
    rows = [row(n) for n in range(1, 4)]
    assert _confirm(c, _report_path(upload(c, csv_bytes(rows)))).status_code == 302
    report = _report_path(upload(c, csv_bytes([{**rows[0], "phone": "13700137000"}, *rows[1:]])))
    shown = c.get(report).get_data(as_text=True)
    assert "方案指纹" in shown
    home = session.scalar(select(Household).where(Household.external_id == "R00002"))
    with unit_of_work(session):
        home.residence_address = "控制台改的地址"
    _confirm(c, report, fingerprint=re.search(r'value="([0-9a-f]{32})"', shown).group(1))
    page = c.get(report).get_data(as_text=True)
    assert "预演后数据已发生变化" in page and "保留：走访中已更新" in page
    session.expire_all()
    first = session.scalar(select(Household).where(Household.external_id == "R00001"))
    assert first.phone == "13800138000"  # nothing imported
    assert _confirm(c, report).status_code == 302
    session.expire_all()
    assert session.get(Household, first.id).phone == "13700137000"
    assert session.get(Household, home.id).residence_address == "控制台改的地址"


def test_the_report_shows_how_the_file_was_read(world, console):
    """The encoding with sample names, and the rows read beside the file's own count, for
    the person to confirm before importing (issue 22 items 2 and 4)."""
    c = console.as_user(world.sup_a)
    data = csv_bytes([row(1, head_name="魏梅"), row(2, head_name="谢英")], encoding="gbk")
    page = c.get(_report_path(upload(c, data))).get_data(as_text=True)
    assert "编码：gb18030（姓名示例：魏梅、谢英）" in page
    assert "读取 2 行数据（文件共有非空行 2 行）" in page


def test_the_file_is_parsed_outside_any_transaction(world, console, monkeypatch, good):
    """A long parse holds no database lock (issue 18 item 1: on SQLite a held transaction
    blocked every dashboard and tablet request for the parse's 83 s)."""
    from server.console.roster import views
    from server.extensions import db

    read = views.roster_service.read_table
    seen = []

    def reading(data, filename=""):
        seen.append(db.session().in_transaction())
        return read(data, filename)

    monkeypatch.setattr(views.roster_service, "read_table", reading)
    c = console.as_user(world.sup_a)
    report = _report_path(upload(c, good))
    assert _confirm(c, report).status_code == 302
    assert seen == [False, False]  # the dry run's read and the import's


@pytest.mark.parametrize("kind", ["cut", "letters"])
def test_a_damaged_xlsx_gets_a_message_not_an_error_page(world, console, session, kind):
    c = console.as_user(world.sup_a)
    response = upload(c, damaged_xlsx(kind), "roster.xlsx")
    assert response.status_code == 400
    assert UNREADABLE in response.get_data(as_text=True)
    assert _households(session) == 0
