"""The shared schema's text folding and ID-number rule (issue 22 items 5 and 6): the API,
the tablet and the roster import load names and ID numbers alike."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError
from stdnum.cn import ric

from sync.fields import ResidentId, Text, phone_number, resident_id

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


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("王\u2005伟", "王 伟"),
        ("\u2009", None),
        ("a\u202fb", "a b"),
        ("plain ascii ", "plain ascii"),
    ],
)
def test_the_quick_path_for_text_without_odd_characters_folds_the_rest(given, stored):
    assert Text(50, allow_none=True).deserialize(given) == stored


FIELDS = {
    "name": Text(5, min_length=1, required=True),
    "optional": Text(5, allow_none=True),
    "phone": phone_number(),
}


TEXTS = ["王伟", "  王伟\u200b ", "", "   ", "\u3000", "王伟王伟王伟", "a\x00b", "\ud800", "1-23"]


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("given", TEXTS)
def test_load_text_loads_as_deserialize_does(field, given):
    """The roster's quick load of a text gives the value, or the first message, that the
    field's own deserialize gives."""
    try:
        expected = ("value", FIELDS[field].deserialize(given))
    except ValidationError as error:
        expected = ("error", error.messages[0])
    try:
        got = ("value", FIELDS[field].load_text(given))
    except ValidationError as error:
        got = ("error", error.messages[0])
    assert got == expected
