"""Valid resident ID numbers for tests (python-stdnum computes the check digit)."""

from __future__ import annotations

import itertools
from datetime import date

from stdnum.cn import ric

_seq = itertools.count(10)


# Guangdong's prefecture codes, valid for any birth date the tests use.
_REGIONS = tuple(f"44{p:02d}00" for p in range(1, 10))


def make(birth: date, male: bool = True, region: str | None = None) -> str:
    """A valid 18-digit ID number for someone born on ``birth``, unique for 4,500 people
    of one birth date and sex (the database holds one active household per number): 500
    sequence codes of the sex's parity, then the next region."""
    n = next(_seq)
    region = region or _REGIONS[n // 500 % len(_REGIONS)]
    body = f"{region}{birth:%Y%m%d}{n % 500 * 2 + (1 if male else 0):03d}"
    # calc_check_digit expects the full number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")
