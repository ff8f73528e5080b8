"""A page of a list, as every list service returns it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of a list, with the total matching rows."""

    items: list[Any]
    total: int
    page: int
    page_size: int


# A row id or page number as typed into a URL or form: ASCII digits only (str.isdigit()
# also takes "²", which int() refuses) and small enough for a PostgreSQL bigint.
_MAX_ID = 2**63 - 1


def whole_number(value: object, ceiling: int = _MAX_ID) -> int | None:
    """``value`` as a non-negative int if it is 1–19 ASCII digits not above ``ceiling``,
    else None."""
    text = str(value) if value is not None else ""
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= ceiling else None


def page_number(value: object, ceiling: int = 100_000) -> int:
    """A ``page`` argument: 1 when absent, not a number, or beyond ``ceiling``."""
    return max(1, whole_number(value, ceiling) or 1)
