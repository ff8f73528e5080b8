"""Reading a roster file (CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX) into raw rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from server.services.core.bulk import collector_paused
from server.services.core.errors import Invalid
from server.services.roster import sheets, text
from server.services.roster.columns import COLUMNS, HEADER_MAP, normalize
from server.services.roster.sheets import HEADER_SEARCH, MAX_COLUMNS, MAX_ROWS

XLSX_MAGIC = b"PK\x03\x04"
# A row is the header when this many of its cells are roster headers (a title row above
# it, "北京街道低收入人口名册（2026年11月）", has none).
_HEADER_HITS = 3
_SAMPLES = 5


@dataclass
class Table:
    """The file's columns (keys, in file order) and its rows as ``(row number, cells)``.

    Row numbers are the spreadsheet's: the file's first row is row 1. Cells are text,
    ``int`` for a number cell (an ID number Excel turned into a number must be told from
    text), ``date`` for a date cell, ``None`` when blank. ``notes`` say how the file was
    read (encoding and sample names, sheet, header row, rows read beside the file's own
    count), for the person to confirm in the dry run.
    """

    columns: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    encoding: str = ""
    notes: list[str] = field(default_factory=list)
    # The file's own row count: the sheet's declared last row, or a CSV's non-blank lines.
    file_rows: int | None = None


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (see :func:`text.decode`)."""
    return text.decode(data)


def _cell(value: object) -> object:
    """A spreadsheet cell as the checks take it: text, a whole number, a date, or None."""
    if type(value) is str:  # every CSV cell, most XLSX ones: asked first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        # A number cell (a phone; an ID number Excel turned into a number) reads as float;
        # it stays a number so the ID-number check can refuse it.
        return int(value)
    if isinstance(value, int | float):
        return value
    stripped = str(value).strip()
    return stripped or None


def is_header(raw: list[object]) -> bool:
    """Whether a row looks like the roster's header (enough known column names)."""
    return sum(normalize(v) in HEADER_MAP for v in raw if v is not None) >= _HEADER_HITS


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


def _find_header(rows: Iterator[list[object]]) -> tuple[int, list[object]]:
    """The header row's number and cells: the first of the first rows that looks like a
    header (title rows above it are skipped), else the first non-blank row (whose unknown
    columns the refusal then names)."""
    first: tuple[int, list[object]] | None = None
    for number, raw in enumerate(rows, 1):
        blank = all(_cell(v) is None for v in raw)
        if not blank and first is None:
            first = (number, raw)
        if not blank and is_header(raw):
            return number, raw
        if number >= HEADER_SEARCH and first is not None:
            break
    if first is None:
        raise Invalid("The file is empty.", {"file": ["文件是空的。"]})
    return first


def _open(data: bytes, filename: str) -> tuple[Iterator[list[object]], Table, object]:
    """The file's rows, the table to fill (encoding and notes) and a closer."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        sheet, close = sheets.open_sheet(data, is_header)
        table = Table(columns=[], encoding="xlsx", file_rows=sheet.declared_rows)
        table.notes.append(f"工作表：{sheet.name}")
        return sheet.rows, table, close
    content, encoding = text.decode(data)
    delimiter = text.delimiter_of(content)
    table = Table(columns=[], encoding=encoding, file_rows=text.physical_rows(content))
    if delimiter == "\t":
        table.notes.append("分隔符：制表符（文件名为 .csv，内容是制表符分隔的 TSV）")
    return text.csv_rows(content, delimiter), table, None


def _too_wide(raw: list[object]) -> bool:
    return len(raw) > MAX_COLUMNS and any(_cell(v) is not None for v in raw[MAX_COLUMNS:])


def read_table(data: bytes, filename: str = "") -> Table:
    """Read a roster file; XLSX is told by its content (a ZIP), CSV otherwise. Rows are
    streamed and capped (:data:`sheets.MAX_ROWS` × :data:`sheets.MAX_COLUMNS`)."""
    rows, table, close = _open(data, filename)
    try:
        with collector_paused():  # the rows stay alive: nothing for the collector to free
            _fill(rows, table)
    finally:
        if close is not None:
            close()
    return table


def _fill(rows: Iterator[list[object]], table: Table) -> None:
    header_row, header = _find_header(rows)
    if header_row > 1:
        table.notes.append(f"表头在第 {header_row} 行（上面的标题行不读）")
    keys = _header(header[:MAX_COLUMNS])
    table.columns = [k for k in keys if k]
    # The header search consumed the rows up to the header only: go on from there.
    for number, raw in enumerate(rows, header_row + 1):
        if number > MAX_ROWS + header_row:
            message = f"文件超过 {MAX_ROWS} 行的上限：请分成几个文件导入。"
            raise Invalid("Too many rows.", {"file": [message]})
        if _too_wide(raw):
            message = f"第 {number} 行超过 {MAX_COLUMNS} 列的上限。"
            raise Invalid("Too many columns.", {"file": [message]})
        # A text cell is stripped here rather than by _cell: the same, without a call for
        # each of a 50,000-row file's 500,000 cells.
        cells = {
            k: (v.strip() or None) if type(v) is str else _cell(v)
            for k, v in zip(keys, raw, strict=False)
            if k
        }
        if list(cells.values()).count(None) < len(cells):  # not a blank row
            table.rows.append((number, cells))
    if not table.rows:
        raise Invalid("The file has no rows.", {"file": ["文件中没有数据行。"]})
    _describe(table, header_row)


def _describe(table: Table, header_row: int) -> None:
    """The notes the dry run shows: rows read beside the file's own count, sample names."""
    read = len(table.rows)
    if table.file_rows is not None:
        own = max(table.file_rows - header_row, 0)
        source = "工作表声明" if table.encoding == "xlsx" else "文件共有非空行"
        table.notes.insert(0, f"读取 {read} 行数据（{source} {own} 行）")
    else:
        table.notes.insert(0, f"读取 {read} 行数据")
    if table.encoding != "xlsx":
        names = [str(c["head_name"]) for _, c in table.rows[:_SAMPLES] if c.get("head_name")]
        table.notes.insert(1, f"编码：{table.encoding}（姓名示例：{'、'.join(names)}）")
