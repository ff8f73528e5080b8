"""Roster tests: the server fixtures, and roster files built from rows."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from server.services import roster
from server.services.core.transaction import unit_of_work
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW
from tests.server import idnumbers
from tests.server_fixtures import *  # noqa: F403 - fixtures by name

ZH = [
    "户编号",
    "户主姓名",
    "户主身份证号",
    "联系电话",
    "居住地址",
    "户籍街道",
    "户籍社区",
    "居住街道",
    "居住社区",
    "救助类别",
    "困难程度",
    "纳入日期",
]
EN = [
    "external_id",
    "head_name",
    "head_id_number",
    "phone",
    "residence_address",
    "registration_street",
    "registration_community",
    "residence_street",
    "residence_community",
    "categories",
    "hardship_level",
    "enrolled_on",
]


def row(n: int, **changes) -> dict:
    """A valid roster row (by English key) of street A, community A1."""
    values = {
        "external_id": f"R{n:05d}",
        "head_name": f"王{n}",
        "head_id_number": idnumbers.make(date(1960, 1, 1 + n % 28), male=n % 2 == 1),
        "phone": "13800138000",
        "residence_address": f"甲街道{n}号",
        "registration_street": "甲街道",
        "registration_community": "A1社区",
        "residence_street": "",
        "residence_community": "",
        "categories": "低保对象、特困人员",
        "hardship_level": "重点",
        "enrolled_on": "2025-03-01",
    }
    values.update(changes)
    return values


def csv_bytes(rows: list[dict], headers=ZH, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([values.get(key, "") for key in EN[: len(headers)]])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], headers=ZH) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(key) or None for key in EN[: len(headers)]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def _with_sheet(data: bytes, change) -> bytes:
    """The XLSX with its first sheet's XML passed through ``change``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == SHEET else content)
    return out.getvalue()


def damaged_xlsx(kind: str) -> bytes:
    """A roster XLSX damaged after Excel: ``cut`` — its sheet's XML cut in half (the header
    and first rows read, then the XML ends mid-element); ``letters`` — a number cell
    (``t="n"``) holding ``abc``."""
    if kind == "cut":
        data = xlsx_bytes([row(n) for n in range(1, 41)])
        return _with_sheet(data, lambda xml: xml[: len(xml) // 2])
    book = Workbook()
    sheet = book.active
    sheet.append(ZH)
    sheet.append([row(1).get(key) or None for key in EN[:-1]] + [987654])
    out = io.BytesIO()
    book.save(out)
    marked = b'<c r="L2" t="n"><v>987654</v></c>'

    def letters(xml: bytes) -> bytes:
        assert marked in xml
        return xml.replace(marked, b'<c r="L2" t="n"><v>abc</v></c>')

    return _with_sheet(out.getvalue(), letters)


@pytest.fixture
def rows() -> list[dict]:
    return [row(n) for n in range(1, 4)]


def do_import(session, actor, data: bytes, name: str = "roster.csv", expect: str | None = None):
    """Import ``data`` as the file ``name`` in one unit of work (the plan's fingerprint
    ``expect``ed when given); the outcome."""
    with unit_of_work(session):
        return roster.import_roster(
            session,
            actor=actor,
            table=roster.read_table(data, name),
            now=NOW,
            tz=DEFAULT_TZ,
            digest=hashlib.sha256(data).hexdigest(),
            expect=expect,
        )
