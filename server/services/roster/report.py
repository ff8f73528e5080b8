"""The dry run's report and the template file, as CSV (UTF-8 with BOM, for Excel) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from server.services.core import cells
from server.services.roster.columns import COLUMNS, header_label
from server.services.roster.plan import RowResult

ACTIONS = {"create": "新建", "update": "更新", "unchanged": "无变化", "refused": "拒绝"}
REPORT_HEADER = ("行号", "家庭编号", "结果", "列", "说明")
REPORT_WIDTHS = (8, 16, 8, 16, 80)  # Excel's units; 说明 holds a sentence
REPORT_SHEET = "导入报告"
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Where the console serves the templates from (console/static/roster-template.*).
SHIPPED = Path(__file__).parents[2] / "console" / "static"


def result_lines(result: RowResult) -> Iterator[tuple]:
    """A row's report lines: one per refusal, else one saying what the import does."""
    action = ACTIONS[result.action]
    if result.errors:
        for column, message in result.errors:
            yield result.row, result.external_id or "", action, header_label(column), message
    elif result.fields:
        columns = "、".join(header_label(c) for c in result.fields)
        yield result.row, result.external_id, action, columns, f"将更新：{columns}"
    elif not result.kept:
        yield result.row, result.external_id, action, "", ""
    for column, message in result.kept:
        yield result.row, result.external_id, action, header_label(column), message


def report_lines(results: Iterable[RowResult]) -> Iterator[tuple]:
    """Every row's lines, in file order."""
    for result in results:
        yield from result_lines(result)


def _csv(header: tuple, lines: Iterable[tuple]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([cells.as_text(v) for v in line] for line in lines)
    # The BOM tells Excel the file is UTF-8 (it would read GBK otherwise).
    return out.getvalue().encode("utf-8-sig")


def _xlsx(header: tuple, lines: Iterable[tuple]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(REPORT_SHEET)
    # Widths go before the rows in write-only mode.
    for index, width in enumerate(REPORT_WIDTHS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(list(header))
    for line in lines:
        sheet.append([cells.as_text(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_report(results: Iterable[RowResult], fmt: str) -> bytes:
    """The full report of a dry run's ``results`` (``fmt``: "csv" or "xlsx")."""
    lines = report_lines(results)
    return _xlsx(REPORT_HEADER, lines) if fmt == "xlsx" else _csv(REPORT_HEADER, lines)


def template(fmt: str) -> bytes:
    """The import template: every column's Chinese header and one example row, made from
    the header map itself so the two never drift apart."""
    header = tuple(c.zh for c in COLUMNS)
    example = [tuple(c.example for c in COLUMNS)]
    if fmt == "csv":
        return _csv(header, example)
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "低收入人口"
    sheet.append(list(header))
    sheet.append(list(example[0]))
    for index, column in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=column.required)
        # Text cells: Excel would turn an 18-digit ID number into 4.401E+17 otherwise.
        sheet.cell(row=2, column=index).number_format = "@"
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.zh) * 2 + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_templates(folder: Path = SHIPPED) -> None:
    """(Re)write the shipped template files (``python -m server.services.roster.report``)."""
    for fmt in FORMATS:
        (folder / f"roster-template.{fmt}").write_bytes(template(fmt))


if __name__ == "__main__":
    write_templates()
