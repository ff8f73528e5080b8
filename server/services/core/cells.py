"""Spreadsheet cells that stay text: what a user typed must never run as an Excel formula."""

from __future__ import annotations

# A cell starting like a formula is run by Excel (and LibreOffice) when the CSV or sheet is
# opened; a leading apostrophe keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> object:
    """``value`` unchanged unless it is a string that would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
