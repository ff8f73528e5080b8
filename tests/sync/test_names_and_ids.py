"""The shared schema's text folding and ID-number rule (issue 22 items 5 and 6): the API,
the tablet and the roster import load names and ID numbers alike."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError
from stdnum.cn import ric

from sync.fields import ResidentId, Text, resident_id

ELDERS = ["440104195104070130", "440106194503010029"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("刘洋\u200b", "刘洋"),
        ("\ufeff李娜", "李娜"),
        ("王\u2060伟", "王伟"),
        ("阿依古丽\u00a0买买提", "阿依古丽 买买提"),
        ("\u3000张伟\u3000", "张伟"),
        ("\u200b", None),
    ],
)
def test_invisible_characters_are_stripped_and_odd_spaces_folded(given, stored):
    field = Text(50, allow_none=True)
    assert field.deserialize(given) == stored


@pytest.mark.parametrize("number", ELDERS)
def test_an_elderly_residents_number_is_valid_though_its_district_is_younger(number):
    """stdnum's own check wants the district to exist in the birth year; the number was
    issued in 1984 or later, where the person then lived."""
    assert not ric.is_valid(number)  # the rule this replaces
    assert ResidentId().deserialize(number) == number


@pytest.mark.parametrize(
    "number",
    [
        "999999195104070136",  # no such region, ever
        "440104195104070131",  # check digit
        "440104195102300131",  # 30 February
        "44010419510407013",  # length
    ],
)
def test_format_check_digit_birth_date_and_region_are_still_checked(number):
    with pytest.raises(ValidationError):
        ResidentId().deserialize(number)


def test_the_region_must_have_existed_at_some_time():
    body = "99999919510407013"
    with pytest.raises(Exception):  # noqa: B017, PT011 - stdnum's InvalidComponent
        resident_id(body + ric.calc_check_digit(body + "0"))
