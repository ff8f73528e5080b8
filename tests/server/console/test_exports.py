"""The due list's files: a real date for the last visit, days left only where they mean
something, a Chinese sheet name, column widths, and one charset in the CSV's type."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook

from server import context
from tests.factories import visit_row


def _homes(world, session):
    """An overdue household (never visited), a visited one and a newly enrolled one."""
    overdue = world.household("A1", head_name="逾期户")
    done = world.household("A1", head_name="已访户")
    session.add(visit_row(done, datetime.now(UTC) - timedelta(hours=2)))
    new = world.household("A1", head_name="新纳户", enrolled_on=context.today())
    session.commit()
    return overdue, done, new


def test_the_xlsx_has_dates_widths_a_chinese_sheet_and_meaningful_days_left(
    world, session, console
):
    _homes(world, session)
    console.as_user(world.sup_a)
    sheet = load_workbook(io.BytesIO(console.get("/console/due.xlsx").get_data())).active
    assert sheet.title == "待走访与逾期"
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)}
    assert rows["逾期户"]["剩余天数"] is None and rows["已访户"]["剩余天数"] is None
    assert isinstance(rows["新纳户"]["剩余天数"], int) and rows["新纳户"]["剩余天数"] >= 0
    last = rows["已访户"]["最近走访"]
    # A Beijing date: after 16:00 UTC it is already tomorrow there.
    assert isinstance(last, datetime) and last.date() <= context.today()
    column = sheet.cell(1, header.index("最近走访") + 1).column_letter
    assert sheet[f"{column}2"].number_format in ("yyyy-mm-dd", "General")
    assert all(sheet.column_dimensions[c].width >= 8 for c in "ABCDEFGHIJ")
    assert sheet.column_dimensions["J"].width > sheet.column_dimensions["A"].width


def test_the_csv_names_its_charset_once_and_dates_as_iso(world, session, console):
    _homes(world, session)
    console.as_user(world.sup_a)
    response = console.get("/console/due.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    by_head = {r["户主"]: r for r in rows}
    assert by_head["逾期户"]["剩余天数"] == "" and by_head["已访户"]["剩余天数"] == ""
    date.fromisoformat(by_head["已访户"]["最近走访"])
