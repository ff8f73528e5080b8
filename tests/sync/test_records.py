"""Tests for the shared wire schemas in sync.records."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import RAISE, ValidationError
from stdnum.cn import ric

from sync.records import (
    SCHEMAS,
    HouseholdSchema,
    InterviewSchema,
    LeadSchema,
    PersonSchema,
    StrictSchema,
    VisitSchema,
    WarningSchema,
    mask_id_number,
)


def resident_id(first17: str) -> str:
    """A valid 居民身份证号 made from its first 17 digits (the check digit is computed)."""
    # calc_check_digit ignores the last character it is given, so pad with a placeholder.
    return first17 + ric.calc_check_digit(first17 + "0")


# Dongcheng, Beijing, born 1990-03-07; sequence 002 is even (female) and yields check X.
FEMALE_ID = resident_id("11010119900307002")
# Huangpu, Shanghai, born 1985-12-31; sequence 001 is odd (male).
MALE_ID = resident_id("31010119851231001")
HOUSEHOLD_ID = "7d4b6b1e-0b8e-4c53-9c55-7c9f2f0f6f11"
PERSON_IDS = ["0f9d2f44-57d4-4a35-9a0c-2a5d0b7f6a01", "5b1c3e8a-7a0d-4b7e-8d2f-1c9e6f4a3b02"]


def household() -> dict[str, Any]:
    """A complete, valid household payload as it appears on the wire."""
    return {
        "id": "3e2f4c1a-9b8d-4e7f-a6b5-c4d3e2f1a0b9",
        "external_id": "310101-000123",
        "head_name": "王秀英",
        "phone": "+86 138-0013-8000",
        "residence_address": "黄浦区南京东路街道 100 弄 5 号 302 室",
        "registration_street_id": 11,
        "registration_community_id": 111,
        "residence_street_id": 12,
        "residence_community_id": 121,
        "categories": ["dibao", "child_distress"],
        "hardship_level": "high",
        "cycle_override": {
            "cycle": "monthly",
            "reason": "新发大病，需密切跟踪",
            "expires_on": "2025-06-30",
        },
        "assigned_advisor_id": 7,
        "status": "active",
        "location": {"lat": 31.2304, "lon": 121.4737, "accuracy_m": 12.5},
        "enrolled_on": "2023-04-01",
        "notes": "独居老人，听力较差",
    }


def person() -> dict[str, Any]:
    """A complete, valid person payload whose birth date and gender agree with the ID."""
    return {
        "id": PERSON_IDS[0],
        "household_id": HOUSEHOLD_ID,
        "name": "王秀英",
        "id_number": FEMALE_ID,
        "gender": "female",
        "birth_date": "1990-03-07",
        "relation": "head",
        "health": "chronic",
        "labour_capacity": "partial",
        "employment": "flexible",
    }


def visit() -> dict[str, Any]:
    """A complete, valid visit payload."""
    return {
        "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "household_id": HOUSEHOLD_ID,
        "advisor_id": 7,
        "device_id": "tablet-0042",
        "visited_at": "2024-05-06T10:15:00+08:00",
        "outcome": "completed",
        "persons_met": PERSON_IDS,
        "living_conditions": "房屋老旧，厨房漏水",
        "income_change": "down",
        "estimated_monthly_income": "1850.00",
        "findings": ["job_loss", "housing_hazard"],
        "needs": ["housing", "employment"],
        "situation": "changed",
        "suggested_level": "high",
        "urgent": True,
        "notes": "建议临时救助",
        "location": {"lat": 31.23, "lon": 121.47, "accuracy_m": 8.0},
        "started_at": "2024-05-06T10:00:00+08:00",
        "ended_at": "2024-05-06T10:40:00+08:00",
        "status": "submitted",
    }


def interview() -> dict[str, Any]:
    """A complete, valid interview payload."""
    return {
        "id": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
        "household_id": HOUSEHOLD_ID,
        "advisor_id": 7,
        "device_id": "tablet-0042",
        "interviewed_at": "2024-05-06T11:00:00+08:00",
        "interviewee_role": "building_leader",
        "interviewee_name": "李建国",
        "statement": "户主近两月未见外出上班。",
        "corroborates": "partly",
        "findings": ["job_loss"],
        "notes": "",
        "status": "draft",
    }


def lead() -> dict[str, Any]:
    """A complete, valid lead payload (a household found in the field)."""
    return {
        "id": "c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f",
        "advisor_id": 7,
        "device_id": "tablet-0042",
        "found_at": "2024-05-06T15:00:00+08:00",
        "head_name": "赵桂兰",
        "residence_address": "幸福路 12 号 3 栋 201",
        "phone": "138 0000 1234",
        "observations": "独居老人，屋顶漏水，靠邻居接济。",
        "suggested_categories": ["tekun", "discovered"],
        "location": None,
    }


def warning() -> dict[str, Any]:
    """A complete, valid warning payload."""
    return {
        "id": "c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f",
        "household_id": HOUSEHOLD_ID,
        "source": "platform",
        "kind": "large_medical_expense",
        "level": "orange",
        "status": "disposed",
        "disposal": "no_action",
        "disposal_reason": "医保已全额报销",
        "message": "医疗支出超过年收入 50%",
        "raised_at": "2024-05-01T08:00:00Z",
        "due_by": "2024-05-08T08:00:00+00:00",
        "street_id": 11,
    }


# Marks a key to remove from a payload (None is a value some fields accept).
_DROP = object()

PAYLOADS = {
    "household": household,
    "person": person,
    "visit": visit,
    "interview": interview,
    "warning": warning,
    "lead": lead,
}


def load(entity: str, **changes: Any) -> dict[str, Any]:
    """Load the valid payload of ``entity`` with ``changes`` applied (``_DROP`` drops a key)."""
    data = PAYLOADS[entity]()
    for key, value in changes.items():
        if value is _DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return SCHEMAS[entity]().load(data)


def errors(entity: str, **changes: Any) -> dict[str, Any]:
    """The error dict from loading ``entity`` with ``changes``; fails if it loads."""
    with pytest.raises(ValidationError) as info:
        load(entity, **changes)
    return info.value.messages


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("entity", sorted(PAYLOADS))
def test_round_trip_gives_back_the_payload(entity: str) -> None:
    schema = SCHEMAS[entity]()
    loaded = schema.load(PAYLOADS[entity]())
    dumped = schema.dump(loaded)
    assert dumped == json.loads(json.dumps(dumped))  # plain JSON, no Decimal/UUID left
    assert dumped == _canonical(PAYLOADS[entity]())
    assert schema.load(dumped) == loaded


def _canonical(payload: dict[str, Any]) -> dict[str, Any]:
    # A "Z" suffix comes back as an explicit "+00:00" offset.
    if payload.get("raised_at", "").endswith("Z"):
        payload = {**payload, "raised_at": payload["raised_at"][:-1] + "+00:00"}
    return payload


def test_loaded_types_are_python_values() -> None:
    data = load("visit")
    assert data["household_id"] == uuid.UUID(HOUSEHOLD_ID)
    assert data["persons_met"] == [uuid.UUID(p) for p in PERSON_IDS]
    assert data["visited_at"].utcoffset() == dt.timedelta(hours=8)
    assert data["estimated_monthly_income"] == Decimal("1850.00")
    assert load("household")["enrolled_on"] == dt.date(2023, 4, 1)


@pytest.mark.parametrize(
    ("entity", "defaults"),
    [
        (
            "visit",
            {
                "persons_met": [],
                "living_conditions": "",
                "income_change": "unknown",
                "estimated_monthly_income": None,
                "findings": [],
                "needs": [],
                "situation": "none",
                "suggested_level": None,
                "urgent": False,
                "notes": "",
                "location": None,
                "started_at": None,
                "ended_at": None,
                "status": "draft",
            },
        ),
        (
            "household",
            {
                "phone": None,
                "cycle_override": None,
                "assigned_advisor_id": None,
                "status": "active",
                "location": None,
                "notes": "",
            },
        ),
        ("interview", {"interviewee_name": None, "findings": [], "notes": "", "status": "draft"}),
        ("warning", {"status": "open", "disposal": None, "disposal_reason": None, "due_by": None}),
        ("person", {"id_number": None}),
    ],
)
def test_optional_fields_take_their_defaults(entity: str, defaults: dict[str, Any]) -> None:
    data = load(entity, **dict.fromkeys(defaults, _DROP))
    assert {key: data[key] for key in defaults} == defaults


def test_default_lists_are_not_shared() -> None:
    first = load("visit", findings=_DROP)
    first["findings"].append("other")
    assert load("visit", findings=_DROP)["findings"] == []


def test_sets_load_in_declaration_order() -> None:
    data = load("visit", findings=["other", "income_drop", "disaster"], needs=["legal", "medical"])
    assert data["findings"] == ["income_drop", "disaster", "other"]
    assert data["needs"] == ["medical", "legal"]


def test_strings_are_trimmed_and_blank_optionals_become_none() -> None:
    data = load("household", head_name="  王秀英 ", phone="   ", notes="  ")
    assert (data["head_name"], data["phone"], data["notes"]) == ("王秀英", None, "")
    assert load("interview", interviewee_name="")["interviewee_name"] is None


@pytest.mark.parametrize(
    ("raw", "amount", "wire"),
    [
        ("1234.5", Decimal("1234.50"), "1234.50"),
        (1234.5, Decimal("1234.50"), "1234.50"),
        ("0.1", Decimal("0.10"), "0.10"),
        (1200, Decimal("1200.00"), "1200.00"),
        ("0", Decimal("0.00"), "0.00"),
        ("9999999.99", Decimal("9999999.99"), "9999999.99"),
    ],
)
def test_income_loads_as_decimal_and_dumps_as_string(raw: Any, amount: Decimal, wire: str) -> None:
    data = load("visit", estimated_monthly_income=raw)
    assert data["estimated_monthly_income"] == amount
    assert isinstance(data["estimated_monthly_income"], Decimal)
    assert VisitSchema().dump(data)["estimated_monthly_income"] == wire


def test_id_number_is_normalised_to_compact_upper_case() -> None:
    assert FEMALE_ID.endswith("X")
    data = load("person", id_number=f" {FEMALE_ID.lower()} ")
    assert data["id_number"] == FEMALE_ID


def test_full_width_id_digits_load_as_ascii_on_the_tablet_too() -> None:
    # An IME often types full-width digits (０-９, Ｘ); the shared schema folds them.
    full_width = FEMALE_ID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})
    assert full_width != FEMALE_ID
    assert load("person", id_number=full_width)["id_number"] == FEMALE_ID


def test_male_id_number_agrees_with_male_gender() -> None:
    data = load("person", id_number=MALE_ID, gender="male", birth_date="1985-12-31")
    assert data["id_number"] == MALE_ID


def test_ended_at_may_equal_started_at() -> None:
    same = "2024-05-06T10:00:00+08:00"
    assert load("visit", started_at=same, ended_at=same)["ended_at"] == load("visit")["started_at"]


@pytest.mark.parametrize("disposal", ["included", "referred", "social_help", "monitor", None])
def test_other_disposals_need_no_reason(disposal: str | None) -> None:
    assert load("warning", disposal=disposal, disposal_reason=_DROP)["disposal"] == disposal


# ---------------------------------------------------------------------------- bad input

NAIVE = "2024-05-06T10:15:00"
LONG = "长" * 51

BAD_INPUT = [
    # unknown and read-only fields
    ("household", {"colour": "red"}, "colour", "Unknown field."),
    ("visit", {"version": 3}, "version", "Unknown field."),
    ("household", {"visit_cycle": "monthly"}, "visit_cycle", "Unknown field."),
    ("visit", {"review_comment": "ok"}, "review_comment", "Unknown field."),
    # closed enumerations
    ("household", {"hardship_level": "extreme"}, "hardship_level", "Must be one of"),
    ("household", {"status": "deleted"}, "status", "Must be one of"),
    ("person", {"relation": "cousin"}, "relation", "Must be one of"),
    ("visit", {"outcome": "gone"}, "outcome", "Must be one of"),
    ("visit", {"situation": "fine"}, "situation", "Must be one of"),
    ("interview", {"corroborates": "maybe"}, "corroborates", "Must be one of"),
    ("warning", {"kind": "alien"}, "kind", "Must be one of"),
    ("warning", {"level": "green"}, "level", "Must be one of"),
    (
        "household",
        {"cycle_override": {"cycle": "weekly", "reason": "ok"}},
        "cycle_override",
        "'cycle'",
    ),
    # sets
    ("household", {"categories": ["dibao", "dibao"]}, "categories", "duplicates: dibao"),
    ("household", {"categories": []}, "categories", "Choose at least one."),
    ("visit", {"needs": ["medical", "legal", "medical"]}, "needs", "duplicates: medical"),
    ("interview", {"findings": ["moved", "moved"]}, "findings", "duplicates: moved"),
    ("visit", {"persons_met": [PERSON_IDS[0]] * 2}, "persons_met", "duplicates"),
    ("visit", {"findings": "job_loss"}, "findings", "Not a valid list."),
    # time zones and dates
    ("visit", {"visited_at": NAIVE}, "visited_at", "timezone offset"),
    ("visit", {"started_at": NAIVE}, "started_at", "timezone offset"),
    ("interview", {"interviewed_at": NAIVE}, "interviewed_at", "timezone offset"),
    ("warning", {"raised_at": NAIVE}, "raised_at", "timezone offset"),
    ("warning", {"due_by": NAIVE}, "due_by", "timezone offset"),
    ("household", {"enrolled_on": "2023-02-30"}, "enrolled_on", "Not a valid date."),
    ("visit", {"ended_at": "2024-05-06T09:59:59+08:00"}, "ended_at", "earlier than started_at"),
    # resident ID numbers
    ("person", {"id_number": FEMALE_ID[:-1] + "1"}, "id_number", "居民身份证号"),
    ("person", {"id_number": resident_id("11010119900230002")}, "id_number", "居民身份证号"),
    ("person", {"id_number": FEMALE_ID[:-1]}, "id_number", "居民身份证号"),
    ("person", {"id_number": resident_id("99010119900307002")}, "id_number", "居民身份证号"),
    ("person", {"id_number": "11010119900307A02X"}, "id_number", "居民身份证号"),
    ("person", {"birth_date": "1990-03-08"}, "birth_date", "gives 1990-03-07"),
    ("person", {"gender": "male"}, "gender", "gives female"),
    # money
    ("visit", {"estimated_monthly_income": "-0.01"}, "estimated_monthly_income", "at least 0"),
    ("visit", {"estimated_monthly_income": "10000000"}, "estimated_monthly_income", "less than"),
    ("visit", {"estimated_monthly_income": "12.345"}, "estimated_monthly_income", "2 decimal"),
    ("visit", {"estimated_monthly_income": "NaN"}, "estimated_monthly_income", "Special"),
    ("visit", {"estimated_monthly_income": "lots"}, "estimated_monthly_income", "valid number"),
    ("visit", {"estimated_monthly_income": True}, "estimated_monthly_income", "valid number"),
    # integers and strings
    ("household", {"residence_street_id": 0}, "residence_street_id", "positive integer"),
    ("household", {"residence_street_id": "12"}, "residence_street_id", "valid integer"),
    ("visit", {"advisor_id": 7.5}, "advisor_id", "valid integer"),
    ("household", {"head_name": LONG}, "head_name", "between 1 and 50"),
    ("household", {"external_id": "   "}, "external_id", "between 1 and 64"),
    ("household", {"phone": "138 abc 8000"}, "phone", "only digits"),
    ("household", {"phone": "1234"}, "phone", "between 5 and 20"),
    (
        "household",
        {"cycle_override": {"cycle": "monthly", "reason": "x"}},
        "cycle_override",
        "'reason'",
    ),
    ("interview", {"statement": ""}, "statement", "between 1 and 4000"),
    ("interview", {"interviewee_name": LONG}, "interviewee_name", "at most 50"),
    ("warning", {"disposal_reason": "理" * 501}, "disposal_reason", "at most 500"),
    ("household", {"head_name": 42}, "head_name", "Not a valid string."),
    # the no-action rule
    ("warning", {"disposal_reason": _DROP}, "disposal_reason", "reason is required"),
    ("warning", {"disposal_reason": "  "}, "disposal_reason", "reason is required"),
    ("household", {"household_id": HOUSEHOLD_ID}, "household_id", "Unknown field."),
    ("visit", {"household_id": "not-a-uuid"}, "household_id", "Not a valid UUID."),
]


@pytest.mark.parametrize(
    ("entity", "changes", "field", "message"),
    BAD_INPUT,
    ids=[f"{entity}.{field}:{message}" for entity, _, field, message in BAD_INPUT],
)
def test_bad_input_is_rejected_on_its_field(
    entity: str, changes: dict[str, Any], field: str, message: str
) -> None:
    found = errors(entity, **changes)
    assert field in found
    assert message in str(found[field])


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ({"lat": 90.5, "lon": 121.0}, "lat"),
        ({"lat": -91, "lon": 121.0}, "lat"),
        ({"lat": 31.0, "lon": 180.01}, "lon"),
        ({"lat": 31.0, "lon": 121.0, "accuracy_m": -1}, "accuracy_m"),
        ({"lat": 31.0}, "lon"),
        ({"lat": 31.0, "lon": 121.0, "alt": 5}, "alt"),
    ],
)
@pytest.mark.parametrize("entity", ["household", "visit"])
def test_location_errors_are_nested_under_the_coordinate(
    entity: str, location: dict[str, Any], field: str
) -> None:
    assert list(errors(entity, location=location)["location"]) == [field]


def test_bad_item_in_a_set_is_reported_by_position() -> None:
    found = errors("visit", findings=["job_loss", "flood"])
    assert list(found["findings"]) == [1]
    assert "Must be one of" in found["findings"][1][0]


def test_id_mismatch_reports_birth_date_and_gender_together() -> None:
    found = errors("person", id_number=MALE_ID, relation="nephew")
    assert set(found) == {"birth_date", "gender", "relation"}


def test_invalid_id_number_skips_the_consistency_check() -> None:
    found = errors("person", id_number=FEMALE_ID[:-1] + "1", gender="male")
    assert set(found) == {"id_number"}


REQUIRED = {
    "household": [
        "external_id",
        "head_name",
        "residence_address",
        "registration_street_id",
        "registration_community_id",
        "residence_street_id",
        "residence_community_id",
        "categories",
        "hardship_level",
        "enrolled_on",
    ],
    "person": [
        "household_id",
        "name",
        "gender",
        "birth_date",
        "relation",
        "health",
        "labour_capacity",
        "employment",
    ],
    "visit": ["household_id", "advisor_id", "device_id", "visited_at", "outcome"],
    "interview": [
        "household_id",
        "advisor_id",
        "device_id",
        "interviewed_at",
        "interviewee_role",
        "statement",
        "corroborates",
    ],
    "warning": ["household_id", "source", "kind", "level", "raised_at", "street_id"],
    "lead": [
        "advisor_id",
        "device_id",
        "found_at",
        "head_name",
        "residence_address",
        "observations",
    ],
}


@pytest.mark.parametrize(
    ("entity", "field"), [(entity, field) for entity, names in REQUIRED.items() for field in names]
)
def test_missing_required_field(entity: str, field: str) -> None:
    assert errors(entity, **{field: _DROP}) == {field: ["Missing data for required field."]}


@pytest.mark.parametrize("entity", sorted(REQUIRED))
def test_required_fields_may_not_be_null(entity: str) -> None:
    field = REQUIRED[entity][0]
    assert errors(entity, **{field: None}) == {field: ["Field may not be null."]}


@pytest.mark.parametrize("entity", sorted(REQUIRED))
def test_exactly_the_listed_fields_are_required(entity: str) -> None:
    with pytest.raises(ValidationError) as info:
        SCHEMAS[entity]().load({})
    assert sorted(info.value.messages) == sorted(REQUIRED[entity])


@pytest.mark.parametrize("field", ["status", "street_id"])
def test_a_lead_cannot_choose_its_queue_or_decision(field: str) -> None:
    value = "confirmed" if field == "status" else 3
    assert errors("lead", **{field: value}) == {field: ["Unknown field."]}


def test_a_lead_suggests_categories_in_their_declared_order() -> None:
    assert load("lead", suggested_categories=["discovered", "tekun"])["suggested_categories"] == [
        "tekun",
        "discovered",
    ]


def test_cycle_override_requires_cycle_and_reason() -> None:
    found = errors("household", cycle_override={})
    assert found == {
        "cycle_override": {
            "cycle": ["Missing data for required field."],
            "reason": ["Missing data for required field."],
        }
    }


# ------------------------------------------------------------------- module contract


def test_schemas_registry_names_every_entity() -> None:
    assert SCHEMAS == {
        "household": HouseholdSchema,
        "person": PersonSchema,
        "visit": VisitSchema,
        "interview": InterviewSchema,
        "warning": WarningSchema,
        "lead": LeadSchema,
    }
    for schema in SCHEMAS.values():
        assert issubclass(schema, StrictSchema)
        assert schema().unknown == RAISE
        assert schema().fields["version"].dump_only


def test_module_imports_no_framework() -> None:
    code = (
        "import sys, sync.records; "
        "print(sorted(m for m in ('flask', 'kivy', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("11010119900307002X", "1101**********002X"),
        ("110101900307001", "1101*******7001"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked
    assert len(masked) == len(value)
