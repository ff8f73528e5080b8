"""``tanfang roster import`` through Click's runner: dry run, report, import, refusals."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.models import Household
from server.services.roster.sheets import UNREADABLE
from tests.server.roster.conftest import csv_bytes, damaged_xlsx, row


def _file(tmp_path, rows, name="roster.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return str(path)


def _households(session) -> int:
    return session.scalar(select(func.count()).select_from(Household))


def test_dry_run_writes_a_report_and_nothing_else(runner, world, session, tmp_path, rows):
    report = tmp_path / "report.csv"
    args = ["roster", "import", _file(tmp_path, rows), "--dry-run", "--report", str(report)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "新建 3" in result.output
    assert "读取 3 行数据" in result.output and "姓名示例：王1、王2、王3" in result.output
    text = report.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    assert "行号,家庭编号,结果,列,说明" in text.decode("utf-8-sig")
    assert _households(session) == 0


def test_import_then_again_changes_nothing(runner, world, session, tmp_path, rows):
    path = _file(tmp_path, rows)
    first = runner.invoke(args=["roster", "import", path, "--as", world.sup_a.username])
    assert first.exit_code == 0, first.output
    assert "imported." in first.output and _households(session) == 3
    again = runner.invoke(args=["roster", "import", path])
    assert again.exit_code == 0
    assert "无变化 3" in again.output and "nothing to change" in again.output


def test_a_refused_row_exits_1_names_it_and_imports_nothing(runner, world, session, tmp_path, rows):
    report = tmp_path / "report.xlsx"
    path = _file(tmp_path, [*rows, row(7, hardship_level="很高")])
    result = runner.invoke(args=["roster", "import", path, "--report", str(report)])
    assert result.exit_code == 1
    assert "第 5 行" in result.output and "困难程度" in result.output
    assert _households(session) == 0
    sheet = load_workbook(report).active
    refused = [r for r in sheet.iter_rows(values_only=True) if r[2] == "拒绝"]
    assert refused == [(5, "R00007", "拒绝", "困难程度", "未知的值“很高”。")]


def test_outside_scope_rows_are_refused_for_the_supervisor_named(runner, world, session, tmp_path):
    path = _file(tmp_path, [row(1, registration_street="乙街道", registration_community="B1社区")])
    result = runner.invoke(args=["roster", "import", path, "--as", world.sup_a.username])
    assert result.exit_code == 1 and "不在您的辖区内" in result.output


def test_an_unknown_user_or_a_bad_file_is_refused(runner, world, tmp_path, rows):
    path = _file(tmp_path, rows)
    result = runner.invoke(args=["roster", "import", path, "--as", world.adv_a.username])
    assert result.exit_code == 2 and "--as" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes("名字\n张三\n".encode())
    result = runner.invoke(args=["roster", "import", str(bad)])
    assert result.exit_code == 1 and "未知的列“名字”" in result.output


def test_expect_imports_the_dry_runs_plan_or_exits_1(runner, world, session, tmp_path, rows):
    """The dry run prints the plan's fingerprint; --expect imports only that plan."""
    path = _file(tmp_path, rows)
    dry = runner.invoke(args=["roster", "import", path, "--dry-run"])
    (fingerprint,) = re.findall(r"fingerprint: ([0-9a-f]+)", dry.output)
    stale = runner.invoke(args=["roster", "import", path, "--expect", "0" * 32])
    assert stale.exit_code == 1 and "方案指纹不同" in stale.output
    assert _households(session) == 0
    done = runner.invoke(args=["roster", "import", path, "--expect", fingerprint])
    assert done.exit_code == 0, done.output
    assert "imported." in done.output and _households(session) == 3


@pytest.mark.parametrize("kind", ["cut", "letters"])
def test_a_damaged_xlsx_is_refused_with_a_clear_message(runner, world, session, tmp_path, kind):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(damaged_xlsx(kind))
    result = runner.invoke(args=["roster", "import", str(path), "--dry-run"])
    assert result.exit_code != 0
    assert UNREADABLE in result.output
    assert "Traceback" not in result.output and _households(session) == 0
