"""Reading a roster file (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX) into raw rows."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from server.services.core.errors import Invalid
from server.services.roster.columns import COLUMNS, HEADER_MAP, normalize

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """The file's columns (keys, in file order) and its rows as ``(row number, cells)``.

    Row numbers are the spreadsheet's: the header is row 1. Cells are text (XLSX dates as
    ``date``), ``None`` when blank.
    """

    columns: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    encoding: str = ""


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in.

    Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in the system code
    page, GBK on a Chinese Windows: a BOM means UTF-8; bytes that decode as UTF-8 are
    UTF-8 (GBK text of any length almost never does); anything else is read as GB18030,
    the superset of GBK that decodes every byte sequence Excel writes.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        raise Invalid(
            "The file is neither UTF-8 nor GBK text.",
            {"file": ["文件既不是 UTF-8 也不是 GBK 编码的文本，请另存为 CSV UTF-8 或 XLSX。"]},
        ) from error


def _cell(value: object) -> object:
    """A spreadsheet cell as the checks take it: text, a date, or None when blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        # A number cell (a phone, an ID number Excel turned into a number) reads as float.
        value = int(value)
    text = str(value).strip()
    return text or None


def _csv_rows(data: bytes) -> tuple[list[list[object]], str]:
    text, encoding = decode(data)
    try:
        return list(csv.reader(io.StringIO(text, newline=""))), encoding
    except csv.Error as error:
        raise Invalid("Not a CSV file.", {"file": [f"无法读取 CSV：{error}"]}) from error


def _xlsx_rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise Invalid("Not an XLSX file.", {"file": ["无法读取 XLSX 文件。"]}) from error
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _header(raw: list[object]) -> list[str | None]:
    """Each header cell's column key (None for a blank one); unknown or repeated headers,
    or a missing required one, refuse the file: a typo must not drop a column silently."""
    keys: list[str | None] = []
    problems: list[str] = []
    for value in raw:
        name = normalize(value)
        if not name:
            keys.append(None)
            continue
        key = HEADER_MAP.get(name)
        if key is None:
            problems.append(f"未知的列“{value}”。")
        elif key in keys:
            problems.append(f"列“{value}”重复。")
        keys.append(key)
    missing = [c.zh for c in COLUMNS if c.required and c.key not in keys]
    if missing:
        problems.append("缺少必填列：" + "、".join(missing) + "。")
    if problems:
        raise Invalid("The file's header row is not a roster's.", {"header": problems})
    return keys


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a roster file; XLSX is told by its content (a ZIP), CSV otherwise."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        raw, encoding = _xlsx_rows(data), "xlsx"
    else:
        raw, encoding = _csv_rows(data)
    # Leading blank lines (a title row left empty) are skipped; the header is the first.
    start = next((i for i, r in enumerate(raw) if any(_cell(v) is not None for v in r)), None)
    if start is None:
        raise Invalid("The file is empty.", {"file": ["文件是空的。"]})
    keys = _header(raw[start])
    table = Table(columns=[k for k in keys if k], encoding=encoding)
    for index in range(start + 1, len(raw)):
        cells = {k: _cell(v) for k, v in zip(keys, raw[index], strict=False) if k}
        if any(v is not None for v in cells.values()):
            table.rows.append((index + 1, cells))
    if not table.rows:
        raise Invalid("The file has no rows.", {"file": ["文件中没有数据行。"]})
    return table
