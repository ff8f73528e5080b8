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
