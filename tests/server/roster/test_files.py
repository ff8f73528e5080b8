"""Roster files as street offices really have them (issue 22): each is read correctly, or
refused saying why and where — never silently wrong or short."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from server.models import Household, Person
from server.services import roster
from server.services.core.errors import Invalid
from server.services.roster.cells import GBK_LOSS, NUMBER_CELL
from server.services.roster.sheets import UNREADABLE
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW
from tests.server.roster.conftest import EN, ZH, csv_bytes, damaged_xlsx, do_import, row

ELDER = "440104195104070130"  # 越秀区 (from 1983), born 1951: a real resident's kind


def dry_run(session, actor, data: bytes, name: str = "roster.csv"):
    table = roster.read_table(data, name)
    return roster.check(session, actor=actor, table=table, now=NOW, tz=DEFAULT_TZ)


def _errors(plan) -> dict[int, list[tuple[str, str]]]:
    return {r.row: r.errors for r in plan.refused}


def _book(*sheets: tuple[str, list[list], str]) -> bytes:
    """An XLSX of ``(title, rows, state)`` sheets."""
    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for values in rows:
            sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _values(rows: list[dict]) -> list[list]:
    return [ZH] + [[r.get(k) or None for k in EN] for r in rows]


def test_a_numeric_id_cell_is_refused_never_converted(world, session):
    """Excel keeps 4.40100196804137e+17: converted, it is another person's number."""
    rows = _values([row(1), row(2)])
    rows[2][2] = 4.40100196804137e17
    plan = dry_run(session, world.admin, _book(("名单", rows, "visible")), "r.xlsx")
    assert _errors(plan) == {3: [("head_id_number", NUMBER_CELL)]}
    # The same number as text after a CSV round trip through Excel.
    plan = dry_run(session, world.admin, csv_bytes([row(1, head_id_number="4.40100196804137E+17")]))
    assert _errors(plan) == {2: [("head_id_number", NUMBER_CELL)]}


def _with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its first sheet's ``<dimension>`` rewritten (as some exporters do)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body)
            dst.writestr(info, body)
    return out.getvalue()


def test_every_row_is_read_whatever_the_dimension_says(world, session):
    book = _book(("名单", _values([row(n) for n in range(1, 9)]), "visible"))
    data = _with_dimension(book, "A1:L3")
    table = roster.read_table(data, "r.xlsx")
    assert len(table.rows) == 8
    assert table.notes[0] == "读取 8 行数据（工作表声明 2 行）"
    outcome = do_import(session, world.admin, data, "r.xlsx")
    assert outcome.plan.counts["create"] == 8


def test_a_stray_quote_is_refused_naming_its_row_never_merged(world, session):
    """An export that never quotes: a 备注 starting with " swallowed the next households."""
    header = ",".join([*ZH, "备注"])
    lines = [header]
    for n in range(1, 6):
        values = [str(v) for v in row(n).values()] + ['"腿脚不便' if n == 2 else "无"]
        lines.append(",".join(values))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with pytest.raises(Invalid) as refused:
        roster.read_table(data, "r.csv")
    message = refused.value.errors["file"][0]
    assert message.startswith("第 3 行（文件第 3–6 行）") and "引号" in message
    assert session.scalar(select(Household).limit(1)) is None


def test_gbk_that_is_valid_utf8_is_detected_or_its_names_refused(world, session):
    """魏梅 in GBK is valid UTF-8 (κ÷): the detector reads it as GBK, showing sample names;
    where the file is too small to tell, the name check refuses the mojibake."""
    ascii_only = {
        "residence_address": "No. 1",
        "registration_street": "SA",
        "registration_community": "A1",
        "categories": "dibao",
        "hardship_level": "high",
    }
    rows = [row(n, head_name="魏梅" if n % 2 else "谢英", **ascii_only) for n in range(1, 6)]
    data = csv_bytes(rows, headers=EN, encoding="gbk")
    data.decode("utf-8")  # the trap: these bytes are valid UTF-8
    plan = dry_run(session, world.admin, data)
    assert plan.encoding == "gb18030" and not plan.refused
    assert "编码：gb18030（姓名示例：魏梅、谢英、魏梅" in plan.notes[1]
    tiny = "external_id,head_name\nR1,魏梅\n".encode("gbk")
    checked = roster.values.RowChecker(["external_id", "head_name"], "utf-8")
    cells = {"external_id": "R1", "head_name": tiny.decode("utf-8").split("\n")[1][3:]}
    errors = dict(checked.check(cells).errors)
    assert "“κ”(U+03BA)" in errors["head_name"] and "utf-8" in errors["head_name"]


@pytest.mark.parametrize("name", ["刘洋\u200b", "\ufeff刘洋", "刘\u00a0洋", "刘\u3000洋"])
def test_invisible_characters_are_folded_in_names(world, session, name):
    do_import(session, world.admin, csv_bytes([row(1, head_name=name)]))
    stored = session.scalar(select(Household.head_name))
    assert stored in ("刘洋", "刘 洋")
    assert session.scalar(select(Person.name)) == stored


def test_an_elderly_residents_number_is_accepted(world, session):
    """440104 (越秀区) exists from 1983: the number was issued there from 1984 on."""
    outcome = do_import(session, world.admin, csv_bytes([row(1, head_id_number=ELDER)]))
    assert outcome.plan.counts["create"] == 1
    unknown = "999999195104070130"
    plan = dry_run(session, world.admin, csv_bytes([row(2, head_id_number=unknown)]))
    assert [m for _, m in plan.refused[0].errors] != []


@pytest.mark.parametrize("header", ["身份证号码", "公民身份号码", "证件号码", "户主身份证号"])
def test_common_id_number_headers_are_read(world, session, header):
    headers = [header if h == "户主身份证号" else h for h in ZH]
    plan = dry_run(session, world.admin, csv_bytes([row(1)], headers=headers))
    assert plan.counts["create"] == 1


def test_a_hidden_first_sheet_is_skipped_and_the_sheet_read_named(world, session):
    dictionary = [["代码", "名称"], ["dibao", "低保对象"]]
    data = _book(("字典", dictionary, "hidden"), ("名单", _values([row(1)]), "visible"))
    plan = dry_run(session, world.admin, data, "r.xlsx")
    assert plan.counts["create"] == 1 and "工作表：名单" in plan.notes


def test_a_title_row_above_the_header_is_skipped(world, session):
    rows = [["北京街道低收入人口名册（2026年11月）"], [], *_values([row(1), row(2)])]
    plan = dry_run(session, world.admin, _book(("Sheet1", rows, "visible")), "r.xlsx")
    assert plan.counts["create"] == 2 and "表头在第 3 行（上面的标题行不读）" in plan.notes
    assert [r.row for r in plan.results] == [4, 5]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (f"'{ELDER}", None),
        (f'="{ELDER}"', None),
        (f"{ELDER[:6]} {ELDER[6:14]} {ELDER[14:]}", None),
        (f"{ELDER[:6]}-{ELDER[6:14]}-{ELDER[14:]}", None),
        ("440104510407013", "这是 15 位的旧身份证号：请填写 18 位号码。"),
        (ELDER[:17], "身份证号应为 18 位，这里是 17 位。"),
        (ELDER[:17] + "1", "校验位不符：请核对号码，可能有数字输错或顺序颠倒。"),
        ("44010419510231013X", "号码中的出生日期 1951-02-31 不存在。"),
        ("4401041951040701?0", GBK_LOSS),
    ],
)
def test_id_number_forms_are_folded_or_explained(world, session, cell, message):
    plan = dry_run(session, world.admin, csv_bytes([row(1, head_id_number=cell)]))
    assert _errors(plan) == ({} if message is None else {2: [("head_id_number", message)]})


def test_a_tab_separated_file_named_csv_is_read_and_said(world, session):
    rows = _values([row(1), row(2)])
    text = "\n".join("\t".join("" if v is None else str(v) for v in r) for r in rows)
    plan = dry_run(session, world.admin, text.encode("utf-8"), "r.csv")
    assert plan.counts["create"] == 2
    assert any("制表符" in note for note in plan.notes)


def test_a_question_mark_left_by_gbk_is_explained(world, session):
    plan = dry_run(session, world.admin, csv_bytes([row(1, head_name="王?梅")]))
    assert _errors(plan) == {2: [("head_name", GBK_LOSS)]}


def test_rows_past_the_cap_stop_the_read_with_a_message(world, session, monkeypatch):
    """The cap (200,000 rows) stops a streamed read, whatever the sheet declares."""
    from server.services.roster import reading, sheets

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    rows = [row(n) for n in range(1, 5)]
    book = _with_dimension(_book(("名单", _values(rows), "visible")), "A1:L2")
    for data, name in ((book, "r.xlsx"), (csv_bytes(rows), "r.csv")):
        with pytest.raises(Invalid) as refused:
            roster.read_table(data, name)
        assert refused.value.errors["file"] == ["文件超过 3 行的上限：请分成几个文件导入。"]


def test_a_formula_without_a_computed_value_is_refused_naming_the_cell(world, session):
    """A program wrote =… and nobody opened the file in Excel: read as blank, silently."""
    rows = _values([row(1), row(2)])
    rows[2][4] = '="甲街道"&"2号"'
    with pytest.raises(Invalid) as refused:
        roster.read_table(_book(("名单", rows, "visible")), "r.xlsx")
    assert refused.value.errors["file"] == [
        "公式没有计算结果（单元格 E3）：请在 Excel 中打开并保存后重新导入。"
    ]


@pytest.mark.parametrize("kind", ["cut", "letters"])
def test_a_damaged_xlsx_is_refused_with_a_clear_message(world, session, kind):
    """openpyxl reads the sheet lazily: the damage shows only while the rows are read."""
    with pytest.raises(Invalid) as refused:
        dry_run(session, world.admin, damaged_xlsx(kind), "roster.xlsx")
    assert refused.value.errors == {"file": [UNREADABLE]}
