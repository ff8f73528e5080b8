"""Reading an XLSX roster: the archive checked before reading, one visible sheet streamed."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from server.services.core.errors import Invalid

# The cap on what is read (issue: a sheet declaring A1:XFD8000 took 1 GB): far above a
# street's or a district's roster, far below what hurts the server.
MAX_ROWS = 200_000
MAX_COLUMNS = 60
# Uncompressed sizes, checked in the archive's directory before anything is inflated (a
# 112 KB file inflated to 1 GB of sheet XML). zipfile stops at the declared size, so a
# lying directory only truncates the entry, which openpyxl then refuses.
MAX_SHEET_BYTES = 256 * 2**20
MAX_STRINGS_BYTES = 64 * 2**20
MAX_OTHER_BYTES = 16 * 2**20
# How far into a sheet the header is looked for (a title row or two above it).
HEADER_SEARCH = 10
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{0,3})\$?(\d*)(?::\$?([A-Z]{1,3})\$?(\d+))?"'
)
_LIMIT = f"{MAX_ROWS} 行 × {MAX_COLUMNS} 列"
UNREADABLE = "无法读取 XLSX 文件：文件已损坏或不是 Excel 保存的格式。"
# What a damaged or foreign XLSX raises while its parts are read (openpyxl reads a sheet
# lazily, row by row, long after the workbook opened): XML cut short or malformed (the
# standard library's ParseError and lxml's both are SyntaxErrors), a cell whose value
# does not fit its type (``t="n"`` holding "abc"), a missing part, a broken archive.
_READ_ERRORS = (
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    EOFError,
    OSError,
    zipfile.BadZipFile,
    zlib.error,
)


def _refuse(message: str) -> Invalid:
    return Invalid("The XLSX file is refused.", {"file": [message]})


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_archive(data: bytes) -> zipfile.ZipFile:
    """The archive, if every entry's declared size is within bounds (before inflating)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise _refuse(UNREADABLE) from error
    for info in archive.infolist():
        name = info.filename
        if name.startswith("xl/worksheets/"):
            limit = MAX_SHEET_BYTES
        elif name == "xl/sharedStrings.xml":
            limit = MAX_STRINGS_BYTES
        else:
            limit = MAX_OTHER_BYTES
        if info.file_size > limit:
            raise _refuse(
                f"文件中的“{name}”解压后有 {info.file_size // 2**20} MB，超过 "
                f"{limit // 2**20} MB 的上限（名单最多 {_LIMIT}）：请只保留名单后另存。"
            )
    return archive


def declared(archive: zipfile.ZipFile, path: str) -> tuple[int, int] | None:
    """The sheet's declared last row and column (its ``<dimension>``), read from the first
    bytes of its XML; refused beyond the cap. None when the sheet declares none."""
    with archive.open(path) as stream:
        head = stream.read(16384)
    match = _DIMENSION.search(head)
    if match is None:
        return None
    col1, row1, col2, row2 = match.groups()
    rows = int(row2 or row1 or 0)
    columns = _column_number((col2 or col1).decode()) if (col2 or col1) else 0
    if rows > MAX_ROWS + HEADER_SEARCH or columns > MAX_COLUMNS:
        ref = match.group(0).split(b'"')[1].decode()
        raise _refuse(
            f"工作表声明的范围 {ref} 超过 {_LIMIT} 的上限：请删去名单以外的行和列后另存。"
        )
    return rows, columns


_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3}\d+)"([^>]*)>(.*?)</(?:\w+:)?c>', re.DOTALL)
# A cached value; an empty one counts only for a text result (a formula that computes "").
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)>[^<]")
_EMPTY_TEXT = re.compile(rb"<(?:\w+:)?v\s*(?:/>|></)")
_CHUNK = 2**20


def _cached(attributes: bytes, body: bytes) -> bool:
    if _VALUE.search(body):
        return True
    return b't="str"' in attributes and _EMPTY_TEXT.search(body) is not None


def formulas_without_values(archive: zipfile.ZipFile, path: str, limit: int = 5) -> list[str]:
    """The first cells holding a formula with no computed value (a file written by a
    program, never opened in Excel): openpyxl reads them as blank, silently."""
    found: list[str] = []
    tail = b""
    with archive.open(path) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            # Cut at the last cell's end so no cell straddles two reads.
            cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
            data, tail = data[:cut], data[cut:]
            if b"<f" not in data and b":f" not in data:
                continue
            for match in _CELL.finditer(data):
                attributes, body = match.group(2), match.group(3)
                if (b"<f" in body or b":f" in body) and not _cached(attributes, body):
                    found.append(match.group(1).decode())
                    if len(found) >= limit:
                        return found
    return found


@dataclass
class Sheet:
    """The sheet read: its name, declared row count (None if none), and its rows."""

    name: str
    declared_rows: int | None
    rows: Iterator[list[object]]


def _readable(rows: Iterator[tuple]) -> Iterator[tuple]:
    """The rows, a damaged sheet's errors turned into the refusal (not a 500)."""
    try:
        yield from rows
    except _READ_ERRORS as error:
        raise _refuse(UNREADABLE) from error


def _capped(rows: Iterator[tuple]) -> Iterator[list[object]]:
    for index, values in enumerate(_readable(rows), 1):
        if index > MAX_ROWS + HEADER_SEARCH:
            raise _refuse(f"工作表超过 {_LIMIT} 的上限：请分成几个文件导入。")
        if len(values) > MAX_COLUMNS and any(v is not None for v in values[MAX_COLUMNS:]):
            raise _refuse(f"第 {index} 行超过 {MAX_COLUMNS} 列的上限：请删去名单以外的列后另存。")
        yield list(values[:MAX_COLUMNS])


def open_sheet(data: bytes, is_header: Callable[[list[object]], bool]) -> tuple[Sheet, Callable]:
    """The first visible sheet whose first rows hold a roster header (else the first
    visible sheet), streamed: rows are read one at a time, every row of the sheet
    whatever its ``<dimension>`` says (``reset_dimensions``), up to the cap. The second
    value closes the workbook."""
    from openpyxl import load_workbook

    archive = check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _READ_ERRORS as error:
        raise _refuse(UNREADABLE) from error
    try:
        return _choose(book, archive, is_header)
    except Invalid:
        book.close()
        raise
    except _READ_ERRORS as error:
        book.close()
        raise _refuse(UNREADABLE) from error


def _choose(book, archive: zipfile.ZipFile, is_header) -> tuple[Sheet, Callable]:
    visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise _refuse("文件中没有可见的工作表。")
    chosen = visible[0]
    for sheet in visible:
        declared(archive, sheet._worksheet_path)  # noqa: SLF001 - openpyxl's own path
        sheet.reset_dimensions()
        first = _capped(sheet.iter_rows(max_row=HEADER_SEARCH, values_only=True))
        if any(is_header(row) for row in first):
            chosen = sheet
            break
    size = declared(archive, chosen._worksheet_path)  # noqa: SLF001
    blank = formulas_without_values(archive, chosen._worksheet_path)  # noqa: SLF001
    if blank:
        raise _refuse(
            f"公式没有计算结果（单元格 {'、'.join(blank)}）：请在 Excel 中打开并保存后重新导入。"
        )
    chosen.reset_dimensions()
    rows = _capped(chosen.iter_rows(values_only=True))
    return Sheet(chosen.title, size[0] if size else None, rows), book.close
