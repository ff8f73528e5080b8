"""The area tree from the statistical division codes file (统计用区划代码): district →
street → community, with a dry run; a re-import renames and never deletes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Area, User
from server.services.core import audit
from server.services.core.errors import Forbidden, Invalid
from server.services.roster import sheets, text
from server.services.roster.columns import normalize

CODE_HEADERS = {normalize(h) for h in ("统计用区划代码", "区划代码", "代码", "code")}
NAME_HEADERS = {normalize(h) for h in ("名称", "单位名称", "区划名称", "name")}
# The 12-digit code's parts: 2 province, 2 city, 2 county (区), 3 town (街道), 3 village.
_DIGITS = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
# What each level's code is stored as (the demo's codes: 440104, 440104001, 440104001001).
_KIND_BY_LENGTH = {6: "district", 9: "street", 12: "community"}
ACTIONS = {
    "create": "新建",
    "update": "更名",
    "unchanged": "无变化",
    "skipped": "跳过",
    "refused": "拒绝",
}


@dataclass
class AreaResult:
    """One row's fate; ``message`` says why it is refused or skipped, or the old name."""

    row: int
    code: str
    name: str
    kind: str = ""
    action: str = "unchanged"
    message: str = ""


@dataclass
class AreaPlan:
    """The dry run: a result per row, and how many of the database's areas the file lacks
    (left as they are)."""

    results: list[AreaResult] = field(default_factory=list)
    not_in_file: int = 0
    written: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for result in self.results:
            counts[result.action] += 1
        return counts

    @property
    def refused(self) -> list[AreaResult]:
        return [r for r in self.results if r.action == "refused"]


def _is_header(raw: list[object]) -> bool:
    names = {normalize(v) for v in raw if v is not None}
    return bool(names & CODE_HEADERS) and bool(names & NAME_HEADERS)


def _rows(data: bytes, filename: str) -> tuple[Iterator[list[object]], object]:
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        sheet, close = sheets.open_sheet(data, _is_header)
        return sheet.rows, close
    content, _ = text.decode(data)
    return text.csv_rows(content, text.delimiter_of(content)), None


def read_areas(data: bytes, filename: str = "") -> list[tuple[int, str, str]]:
    """``(row number, code, name)`` of every non-blank row below the header (the same
    reading rules as the roster: encodings, visible sheet, title rows, the caps)."""
    rows, close = _rows(data, filename)
    try:
        found: list[tuple[int, str, str]] = []
        columns = None
        for number, raw in enumerate(rows, 1):
            if columns is None:
                if _is_header(raw):
                    keys = [normalize(v) for v in raw]
                    columns = (
                        next(i for i, k in enumerate(keys) if k in CODE_HEADERS),
                        next(i for i, k in enumerate(keys) if k in NAME_HEADERS),
                    )
                elif number >= sheets.HEADER_SEARCH:
                    break
                continue
            cells = [_text(raw[i]) if i < len(raw) else "" for i in columns]
            if any(cells):
                found.append((number, cells[0], cells[1]))
    finally:
        if close is not None:
            close()
    if columns is None:
        message = "找不到表头：需要“统计用区划代码”（或“区划代码”）和“名称”两列。"
        raise Invalid("The file has no area header.", {"header": [message]})
    return found


def _text(value: object) -> str:
    # A 12-digit code in a number cell is exact (Excel keeps 15 digits): read it as digits.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _stored_code(code: str) -> tuple[str, str] | None:
    """The code as stored and its kind, or None for a province or city (not kept)."""
    if len(code) == 12 and code.isdigit():
        if code.endswith("000000"):
            return (code[:6], "district") if code[4:6] != "00" else None
        code = code[:9] if code.endswith("000") else code
    if not _DIGITS.match(code):
        raise ValueError(code)
    return code, _KIND_BY_LENGTH[len(code)]


def check_areas(session: Session, actor: User, rows: list[tuple[int, str, str]]) -> AreaPlan:
    """What importing ``rows`` would do (writes nothing)."""
    if actor.role != "admin":
        raise Forbidden("Only admins import the area tree.")
    existing = {a.code: a for a in session.scalars(select(Area))}
    plan = AreaPlan()
    seen: dict[str, int] = {}
    for number, raw_code, name in rows:
        result = AreaResult(number, raw_code, name)
        plan.results.append(result)
        try:
            stored = _stored_code(raw_code)
        except ValueError:
            result.action, result.message = "refused", "区划代码应为 12 位数字（或 6、9 位）。"
            continue
        if stored is None:
            result.action, result.message = "skipped", "省、市级：不作为区域导入。"
            continue
        result.code, result.kind = stored
        _check_row(result, existing, seen)
    codes = {r.code for r in plan.results if r.action != "refused"}
    plan.not_in_file = sum(1 for code in existing if code not in codes)
    return plan


def _parent_code(code: str) -> str | None:
    return {6: None, 9: code[:6], 12: code[:9]}[len(code)]


def _check_row(result: AreaResult, existing: dict[str, Area], seen: dict[str, int]) -> None:
    code, name, kind = result.code, result.name, result.kind
    if code in seen:
        result.action, result.message = "refused", f"代码与第 {seen[code]} 行重复。"
        return
    seen[code] = result.row
    if not 0 < len(name) <= 100:
        result.action, result.message = "refused", "名称须为 1 到 100 个字符。"
        return
    parent = _parent_code(code)
    if parent is not None and parent not in seen and parent not in existing:
        result.action, result.message = "refused", f"上级区域 {parent} 不在文件中也不在系统中。"
        return
    area = existing.get(code)
    if area is None:
        result.action = "create"
    elif area.kind != kind:
        result.action, result.message = "refused", f"代码 {code} 已是另一级别的区域“{area.name}”。"
    elif parent is not None and (area.parent is None or area.parent.code != parent):
        result.action, result.message = "refused", f"代码 {code} 已在另一上级区域下。"
    elif area.name != name:
        result.action, result.message = "update", f"原名“{area.name}”"


def import_areas(
    session: Session, actor: User, rows: list[tuple[int, str, str]], now: datetime
) -> AreaPlan:
    """Create and rename the file's areas (parents first), all or nothing: nothing is
    written while a row is refused. Areas the file lacks stay (households, accounts and
    records refer to them). Services flush; the caller's unit of work commits."""
    plan = check_areas(session, actor, rows)
    if plan.refused:
        return plan
    by_code = {a.code: a for a in session.scalars(select(Area))}
    for result in sorted(plan.results, key=lambda r: len(r.code)):
        if result.action == "create":
            parent = by_code.get(_parent_code(result.code) or "")
            area = Area(code=result.code, name=result.name, kind=result.kind, parent=parent)
            session.add(area)
            session.flush()
            by_code[area.code] = area
            diff = {"code": [None, area.code], "name": [None, area.name], "kind": [None, area.kind]}
            diff["parent_id"] = [None, parent.id if parent else None]
            audit.record(
                session,
                actor=actor,
                action="create",
                entity="area",
                entity_id=area.id,
                now=now,
                diff=diff,
            )
        elif result.action == "update":
            area = by_code[result.code]
            diff = {"name": [area.name, result.name]}
            area.name = result.name
            audit.record(
                session,
                actor=actor,
                action="update",
                entity="area",
                entity_id=area.id,
                now=now,
                diff=diff,
            )
    session.flush()
    plan.written = any(r.action in ("create", "update") for r in plan.results)
    return plan
