"""Valid resident ID numbers for tests (python-stdnum computes the check digit)."""

from __future__ import annotations

import itertools
from datetime import date

from stdnum.cn import ric

_seq = itertools.count(10)


def make(birth: date, male: bool = True, region: str = "440100") -> str:
    """A valid 18-digit ID number for someone born on ``birth``."""
    n = next(_seq) % 50
    body = f"{region}{birth:%Y%m%d}{n:02d}{1 if male else 2}"
    # calc_check_digit expects the full number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")
