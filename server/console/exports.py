"""The due list as CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from server.console.labels import label
from server.services.core import cells


def columns() -> list[str]:
    """The header row (in the page's language)."""
    from flask_babel import gettext as _

    return [
        _("Household number"),
        _("Head of household"),
        _("Address"),
        _("Level"),
        _("Cycle"),
        _("State"),
        _("Days left"),
        _("Missed periods"),
        _("Last visit"),
        _("Why"),
    ]


# Days left mean "until this period ends, to visit": an overdue household is past it and a
# visited one has nothing left to do this period, so their cell stays empty.
_NO_DAYS_LEFT = ("overdue", "done")


def row(item, state_label: str) -> list:
    """One due-list item as spreadsheet cells (text typed in, e.g. a roster's head name,
    never becomes a formula); the last visit is a date, days left a number or empty."""
    h, st = item.household, item.status
    days_left = None if st.state.value in _NO_DAYS_LEFT else st.days_left
    values = [
        h.external_id,
        h.head_name,
        h.residence_address,
        label("HardshipLevel", h.hardship_level),
        label("VisitCycle", h.visit_cycle),
        state_label,
        days_left,
        st.missed_periods,
        st.last_visit,
        item.reason,
    ]
    return [cells.as_text(value) for value in values]


def to_csv(rows: Iterable[list]) -> bytes:
    """The rows under the header as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns())
    # CSV has no dates: ISO 8601 text, which Excel and WPS read as a date.
    writer.writerows(
        ["" if v is None else v.isoformat() if isinstance(v, date) else v for v in values]
        for values in rows
    )
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Iterable[list]) -> bytes:
    """The rows under the header as an XLSX workbook."""
    from flask_babel import gettext as _

    book = Workbook()
    sheet = book.active
    sheet.title = _("Due and overdue")[:31]  # Excel's limit for a sheet name
    header = columns()
    sheet.append(header)
    widths = [_width(name) for name in header]
    for values in rows:
        sheet.append(values)
        widths = [max(w, _width(v)) for w, v in zip(widths, values, strict=True)]
    last_visit = header.index(_("Last visit")) + 1
    for cells_ in sheet.iter_rows(min_row=2, min_col=last_visit, max_col=last_visit):
        cells_[0].number_format = "yyyy-mm-dd"
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(value: object) -> int:
    """A cell's width in Excel's units: a Chinese character takes two."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))
