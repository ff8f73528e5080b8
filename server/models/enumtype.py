"""Closed code columns: a VARCHAR with a CHECK constraint listing the enumeration's codes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Enum
from sqlalchemy.orm import mapped_column

from sync.enums import Labeled


def enum_type(enum: type[Labeled]) -> Enum:
    """The column type for ``enum``: stored as its code, checked by the database."""
    return Enum(
        *enum.codes(),
        name=enum.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=max(len(c) for c in enum.codes()),
        validate_strings=True,
    )


def enum_column(enum: type[Labeled], **kwargs: Any):
    """A mapped column holding one code of ``enum``."""
    return mapped_column(enum_type(enum), **kwargs)
