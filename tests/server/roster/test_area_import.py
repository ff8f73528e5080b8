"""The area tree from the statistical division codes file (issue 22 item 12): dry run,
import, re-import that renames and never deletes, refusals; the README's production steps."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from server.models import Area, AuditEvent
from server.services.core.transaction import unit_of_work
from server.services.roster import area_tree
from tests.factories import NOW

CODES = [
    ("440000000000", "广东省"),
    ("440100000000", "广州市"),
    ("440104000000", "越秀区"),
    ("440104001000", "北京街道"),
    ("440104001001", "盐运西社区"),
    ("440104001002", "流水井社区"),
    ("440104002000", "人民街道"),
    ("440104002001", "光塔社区"),
]


def _csv(rows, encoding="utf-8", title=True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    if title:
        writer.writerow(["2023年统计用区划代码和城乡划分代码"])
    writer.writerow(["统计用区划代码", "名称"])
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["区划代码", "名称", "层级"])
    for code, name in rows:
        sheet.append([int(code), name, ""])  # Excel keeps 12 digits exactly
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _areas(session) -> dict[str, tuple[str, str, str | None]]:
    return {
        a.code: (a.name, a.kind, a.parent.code if a.parent else None)
        for a in session.scalars(select(Area))
    }


def _import(session, admin, data: bytes, name: str = "codes.csv"):
    with unit_of_work(session):
        return area_tree.import_areas(session, admin, area_tree.read_areas(data, name), NOW)


@pytest.mark.parametrize(
    ("data", "name"),
    [(_csv(CODES), "codes.csv"), (_csv(CODES, "gbk"), "codes.csv"), (_xlsx(CODES), "codes.xlsx")],
    ids=["utf8", "gbk", "xlsx"],
)
def test_the_tree_is_imported_from_the_codes_file(world, session, data, name):
    before = _areas(session)
    plan = area_tree.check_areas(session, world.admin, area_tree.read_areas(data, name))
    assert plan.counts == {"create": 6, "update": 0, "unchanged": 0, "skipped": 2, "refused": 0}
    assert _areas(session) == before  # the dry run wrote nothing
    _import(session, world.admin, data, name)
    areas = _areas(session)
    assert areas["440104"] == ("越秀区", "district", None)
    assert areas["440104001"] == ("北京街道", "street", "440104")
    assert areas["440104001002"] == ("流水井社区", "community", "440104001")
    assert "440100" not in areas and "440000" not in areas


def test_a_reimport_renames_and_never_deletes(world, session):
    _import(session, world.admin, _csv(CODES))
    renamed = [
        (c, "北京路街道" if c == "440104001000" else n) for c, n in CODES if c != "440104002001"
    ]
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    plan = _import(session, world.admin, _csv(renamed))
    assert plan.counts["update"] == 1 and plan.counts["create"] == 0
    areas = _areas(session)
    assert areas["440104001"][0] == "北京路街道"
    assert areas["440104002001"] == ("光塔社区", "community", "440104002")  # not in the file
    assert areas["SA"][0] == "甲街道"  # an area made by hand stays too
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events + 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (("4401040010", "某街道"), "区划代码应为 12 位数字"),
        (("440105001000", "无主街道"), "上级区域 440105 不在文件中也不在系统中"),
        (("440104001001", "重复社区"), "代码与第 7 行重复"),
        (("440104003000", ""), "名称须为 1 到 100 个字符"),
    ],
)
def test_a_refused_row_imports_nothing(world, session, bad, message):
    before = _areas(session)
    plan = _import(session, world.admin, _csv([*CODES, bad]))
    assert [r.message for r in plan.refused] == [message] or message in plan.refused[0].message
    assert not plan.written and _areas(session) == before


def test_the_command_dry_runs_and_imports(runner, world, session, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_bytes(_csv(CODES))
    dry = runner.invoke(args=["area", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "新建 6" in dry.output and "440104" not in _areas(session)
    done = runner.invoke(args=["area", "import", str(path)])
    assert done.exit_code == 0 and "imported." in done.output, done.output
    session.expire_all()
    assert _areas(session)["440104001"][1] == "street"


def _readme_steps() -> list[str]:
    """The production block's commands, in order (README.md, "Production")."""
    readme = Path(__file__).parents[3].joinpath("README.md").read_text(encoding="utf-8")
    block = readme.split("## Production: PostgreSQL and gunicorn", 1)[1].split("```bash", 1)[1]
    return [line for line in block.split("```", 1)[0].splitlines() if line.startswith("tanfang")]


def test_the_readme_production_steps_run_on_an_empty_database(tmp_path):
    steps = _readme_steps()
    assert [s.split()[1] for s in steps] == ["db", "area", "area", "user", "serve"]
    (tmp_path / "codes.csv").write_bytes(_csv(CODES, title=False))
    env = {
        **os.environ,
        "TANFANG_DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "TANFANG_SECRET_KEY": "k" * 64,
        "TANFANG_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    tanfang = str(Path(sys.executable).with_name("tanfang"))
    for step in steps[:-1]:  # all but serve
        args = step.replace("<district code>", "440104").split()[1:]
        run = subprocess.run(
            [tanfang, *args],
            input="a long enough password\na long enough password\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert run.returncode == 0, (step, run.stdout, run.stderr)
