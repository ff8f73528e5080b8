"""The due list as CSV (UTF-8 with BOM, so Excel reads the Chinese) and XLSX files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook

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


def row(item, state_label: str) -> list:
    """One due-list item as spreadsheet cells (text typed in, e.g. a roster's head name,
    never becomes a formula)."""
    h, st = item.household, item.status
    values = [
        h.external_id,
        h.head_name,
        h.residence_address,
        label("HardshipLevel", h.hardship_level),
        label("VisitCycle", h.visit_cycle),
        state_label,
        st.days_left,
        st.missed_periods,
        st.last_visit.isoformat() if st.last_visit else "",
        item.reason,
    ]
    return [cells.as_text(value) for value in values]


def to_csv(rows: Iterable[list]) -> bytes:
    """The rows under the header as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns())
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Iterable[list]) -> bytes:
    """The rows under the header as an XLSX workbook."""
    book = Workbook()
    sheet = book.active
    sheet.title = "due"
    sheet.append(columns())
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
