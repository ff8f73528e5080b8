"""The roster service: reading files, the dry run's report, the all-or-nothing import."""

from __future__ import annotations

import io
import unicodedata

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from server.models import AuditEvent, Household, Person
from server.services import roster
from server.services.roster import report
from server.services.roster.write import RosterRefused
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW
from tests.server.roster.conftest import EN, csv_bytes, do_import, row, xlsx_bytes


def dry_run(session, actor, data: bytes, name: str = "roster.csv"):
    table = roster.read_table(data, name)
    return roster.check(session, actor=actor, table=table, now=NOW, tz=DEFAULT_TZ)


def _counts(session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Household)),
        session.scalar(select(func.count()).select_from(Person)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
        session.scalar(select(func.coalesce(func.max(Household.version), 0))),
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf8.csv", lambda rows: csv_bytes(rows, encoding="utf-8")),
        ("bom.csv", lambda rows: csv_bytes(rows, encoding="utf-8-sig")),
        ("gbk.csv", lambda rows: csv_bytes(rows, encoding="gbk")),
        ("english.csv", lambda rows: csv_bytes(rows, headers=EN)),
        ("roster.xlsx", lambda rows: xlsx_bytes(rows)),
    ],
)
def test_every_encoding_and_both_header_languages_read_alike(world, session, rows, name, data):
    plan = dry_run(session, world.admin, data(rows), name)
    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}, plan.refused
    expected = {"utf8.csv": "utf-8", "bom.csv": "utf-8-sig", "gbk.csv": "gb18030"}
    assert plan.encoding == expected.get(name, plan.encoding)


def test_import_creates_households_with_a_head_and_a_cycle(world, session, rows):
    outcome = do_import(session, world.sup_a, csv_bytes(rows))
    assert outcome.written
    household = session.scalar(select(Household).where(Household.external_id == "R00001"))
    assert household.categories == ["tekun", "dibao"]
    assert household.hardship_level == "high"
    assert household.registration_street_id == household.residence_street_id == world.street_a.id
    # The cycle runs from the import (no 最近走访日期 given), not from the enrolment.
    assert household.visit_cycle and household.cycle_since.isoformat() == "2026-11-23"
    assert household.version > 0
    (head,) = household.persons
    assert (head.relation, head.name, head.gender) == ("head", "王1", "male")
    assert head.version > 0 and head.version != household.version
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == str(household.id))
    ).all()
    assert [e.action for e in events] == ["create"]
    assert events[0].diff["head.id_number"] == ["***", "***"]
    assert events[0].actor_id == world.sup_a.id
    (summary,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "roster_import"))
    assert summary.diff["counts"]["create"] == 3


def test_second_import_of_the_same_file_changes_nothing(world, session, rows):
    data = csv_bytes(rows)
    do_import(session, world.admin, data)
    before = _counts(session)
    outcome = do_import(session, world.admin, data)
    assert not outcome.written
    assert outcome.plan.counts["unchanged"] == 3
    assert _counts(session) == before


def test_update_reports_the_fields_and_versions_the_rows(world, session, rows):
    do_import(session, world.admin, csv_bytes(rows))
    household = session.scalar(select(Household).where(Household.external_id == "R00002"))
    old_version = household.version
    rows[1] = {**rows[1], "phone": "020-12345678", "hardship_level": "一般", "head_name": "王二"}
    plan = dry_run(session, world.admin, csv_bytes(rows))
    updated = [r for r in plan.results if r.action == "update"]
    assert [(r.row, r.external_id) for r in updated] == [(3, "R00002")]
    assert updated[0].fields == ["head_name", "phone", "hardship_level"]
    do_import(session, world.admin, csv_bytes(rows))
    session.expire_all()
    household = session.get(Household, household.id)
    assert household.phone == "020-12345678" and household.hardship_level == "medium"
    assert household.version > old_version
    assert household.field_versions["phone"] == household.version
    assert household.persons[0].name == "王二"
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == str(household.id)).order_by(AuditEvent.id)
    ).all()[-1]
    assert event.action == "update" and event.diff["phone"] == ["13800138000", "020-12345678"]


def _refusal(session, world, bad: dict, actor="admin", before=()):
    rows = [*before, row(1), row(2, **bad)]
    plan = dry_run(session, getattr(world, actor), csv_bytes(rows))
    return [(r.row, r.errors) for r in plan.refused]


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        ({"head_id_number": "110105194912310021"}, "head_id_number", "校验位不符"),
        ({"head_id_number": ""}, "head_id_number", "必填"),
        ({"registration_street": "丙街道"}, "registration_street", "没有这个街道"),
        ({"registration_community": "B1社区"}, "registration_community", "没有这个社区"),
        ({"residence_street": "乙街道"}, "residence_community", "必填"),
        ({"categories": "低保对象、贫困户"}, "categories", "未知的值“贫困户”"),
        ({"categories": "低保对象、dibao"}, "categories", "重复"),
        ({"hardship_level": "特别"}, "hardship_level", "未知的值"),
        ({"enrolled_on": "2025-02-30"}, "enrolled_on", "不是有效的日期"),
        ({"enrolled_on": "1999-12-31"}, "enrolled_on", "不得早于 2000-01-01"),
        ({"enrolled_on": "2999-01-01"}, "enrolled_on", "不得晚于今天"),
        ({"external_id": ""}, "external_id", "必填"),
        ({"external_id": "R00001"}, "external_id", "家庭编号与第 2 行重复"),
        ({"phone": "call me"}, "phone", "只能包含数字"),
        ({"head_name": "名" * 51}, "head_name", "1 到 50 个字符"),
    ],
)
def test_a_bad_row_is_refused_with_its_column_and_a_chinese_message(
    world, session, bad, column, message
):
    ((number, errors),) = _refusal(session, world, bad)
    assert number == 3
    assert [c for c, _ in errors] == [column], errors
    assert message in errors[0][1]


def test_an_id_number_given_twice_is_refused_at_its_second_row(world, session):
    first = row(1)
    plan = dry_run(
        session, world.admin, csv_bytes([first, row(2, head_id_number=first["head_id_number"])])
    )
    ((line, errors),) = [(r.row, r.errors) for r in plan.refused]
    assert (line, errors) == (3, [("head_id_number", "身份证号与第 2 行重复。")])


def test_a_member_of_another_active_household_is_refused(world, session):
    other = world.household("A1")
    number = other.persons[0].id_number
    ((_, errors),) = _refusal(session, world, {"head_id_number": number})
    assert errors == [("head_id_number", "此人已是另一在册户的成员。")]


def test_a_supervisor_is_refused_rows_outside_their_streets(world, session):
    outside = {"registration_street": "乙街道", "registration_community": "B1社区"}
    ((_, errors),) = _refusal(session, world, outside, actor="sup_a")
    assert errors == [("registration_street", "户籍街道和居住街道都不在您的辖区内。")]
    # 人户分离 with one street in scope is theirs (both streets' supervisors see it).
    split = {"residence_street": "乙街道", "residence_community": "B1社区"}
    assert _refusal(session, world, split, actor="sup_b") == [
        (2, [("registration_street", "户籍街道和居住街道都不在您的辖区内。")])
    ]


def test_a_supervisor_cannot_overwrite_another_streets_household_number(world, session):
    other = world.household("B1")
    ((_, errors),) = _refusal(session, world, {"external_id": other.external_id}, actor="sup_a")
    assert errors == [("external_id", "该家庭编号已被您辖区以外的户使用。")]


def test_one_refused_row_means_nothing_is_written(world, session, rows):
    before = _counts(session)
    with pytest.raises(RosterRefused) as caught:
        do_import(session, world.admin, csv_bytes([*rows, row(9, hardship_level="?")]))
    assert [r.row for r in caught.value.plan.refused] == [5]
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        (b"", "file", "文件是空的"),
        ("户编号,户主姓名\n".encode(), "header", "缺少必填列"),
        ("户编号,户主姓名,颜色\n".encode(), "header", "未知的列“颜色”"),
        (b"\x80\x81\xff\xfe", "file", "既不是 UTF-8 也不是 GBK"),
        (b"PK\x03\x04broken", "file", "无法读取 XLSX"),
    ],
)
def test_a_file_that_is_not_a_roster_is_refused_as_a_whole(data, key, message):
    with pytest.raises(roster.reading.Invalid) as caught:
        roster.read_table(data, "x.csv")
    assert message in " ".join(caught.value.errors[key])


def test_xlsx_date_and_number_cells_are_read_as_their_values(world, session):
    from datetime import date

    from openpyxl import Workbook

    values = row(1)
    book = Workbook()
    sheet = book.active
    sheet.append(["家庭编号", "户主姓名", "户主身份证号", "联系电话", "居住地址", "户籍街道"])
    sheet.append(
        [12345, values["head_name"], values["head_id_number"], 13800138000, "某路1号", "SA"]
    )
    sheet["G1"], sheet["H1"], sheet["I1"], sheet["J1"] = (
        "户籍社区",
        "救助类别",
        "困难程度",
        "纳入日期",
    )
    sheet["G2"], sheet["H2"], sheet["I2"], sheet["J2"] = "A1", "dibao", "high", date(2025, 3, 1)
    out = io.BytesIO()
    book.save(out)
    plan = dry_run(session, world.admin, out.getvalue(), "r.xlsx")
    assert plan.counts["create"] == 1, plan.refused
    (write,) = plan.writes
    assert write.household["external_id"] == "12345"
    assert write.household["phone"] == "13800138000"
    assert write.household["enrolled_on"] == date(2025, 3, 1)


def test_a_change_of_the_head_only_still_versions_the_household(world, session, rows):
    do_import(session, world.admin, csv_bytes(rows))
    household = session.scalar(select(Household).where(Household.external_id == "R00001"))
    before, head_before = household.version, household.persons[0].version
    rows[0] = {**rows[0], "head_name": "王一"}
    outcome = do_import(session, world.admin, csv_bytes(rows))
    assert outcome.plan.counts["update"] == 1
    session.expire_all()
    household = session.get(Household, household.id)
    assert household.head_name == "王一" and household.persons[0].name == "王一"
    assert household.version > before and household.persons[0].version > head_before
    # The file has no head's-health column: the head keeps what it had.
    assert household.persons[0].health == "healthy"


def test_an_id_number_with_superscript_digits_is_refused_not_a_crash(world, session):
    """Digits such as "¹²³" pass str.isdigit() but not int(): the fast path after a valid
    number of the same region and birth date must not crash on them. The shared schema
    folds them (NFKC) like full-width digits; what it folds to is then checked as usual."""
    first = row(1)
    odd = first["head_id_number"][:14] + "¹²³" + first["head_id_number"][17]
    plan = dry_run(session, world.admin, csv_bytes([first, row(2, head_id_number=odd)]))
    folded = unicodedata.normalize("NFKC", odd)
    expected = [] if ric.is_valid(folded) and folded != first["head_id_number"] else [3]
    assert [r.row for r in plan.refused] == expected, (odd, first["head_id_number"])


def test_the_report_keeps_a_formula_as_text(world, session):
    plan = dry_run(session, world.admin, csv_bytes([row(1, external_id="=HYPERLINK(1)")]))
    text = report.write_report(plan.results, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
