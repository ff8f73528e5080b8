"""Row ids and page numbers from URLs and forms: ASCII digits within a bigint, or nothing."""

from __future__ import annotations

import pytest

from server.services.core.paging import page_number, whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        ("0", 0),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),  # beyond a PostgreSQL bigint
        ("1" * 30, None),
        ("²", None),  # str.isdigit() says yes; int() says no
        ("١٢", None),  # Arabic-Indic digits: int() would take them
        ("-1", None),
        (" 1", None),
        ("", None),
        (None, None),
        (12, 12),
    ],
)
def test_whole_number(value, expected):
    assert whole_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("3", 3), (None, 1), ("0", 1), ("²", 1), ("100001", 1), ("x", 1)]
)
def test_page_number(value, expected):
    assert page_number(value) == expected
