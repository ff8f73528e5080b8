"""One roster row's cells → household and head-of-household values, through the shared
wire schemas' own fields (sync.records), with Chinese messages per column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError
from stdnum.cn import ric

from server.services.roster.cells import explain_id_number, fold_id_number, name_problem
from server.services.roster.messages import zh
from sync.enums import Category, Employment, HardshipLevel, Health, HouseholdStatus, LabourCapacity
from sync.fields import Text
from sync.records import HouseholdSchema, PersonSchema

# Fields a roster row gives the household, loaded by the household wire schema's fields.
HOUSEHOLD_FIELDS = (
    "external_id",
    "head_name",
    "phone",
    "residence_address",
    "categories",
    "hardship_level",
    "enrolled_on",
    "status",
    "notes",
)
AREA_COLUMNS = (
    "registration_street",
    "registration_community",
    "residence_street",
    "residence_community",
)
REQUIRED_AREAS = frozenset(AREA_COLUMNS[:2])
# A new head of household's situation when the file says nothing about it.
HEAD_DEFAULTS = {"health": "healthy", "labour_capacity": "full", "employment": "not_applicable"}
_SPLIT = re.compile(r"[、,，;；/|\s]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
# Values that repeat across rows (levels, categories, dates, areas) are checked once.
_CACHED = frozenset({"categories", "hardship_level", "enrolled_on", "status"})


class CellError(Exception):
    """A cell's value is refused (``message`` is Chinese)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class RowValues:
    """A checked row: household columns, the head's columns, and what was refused."""

    household: dict[str, Any] = field(default_factory=dict)
    head: dict[str, Any] = field(default_factory=dict)
    areas: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # 最近走访日期: where a new household's first cycle starts (not a household column).
    last_visit_on: date | None = None


def _codes_by_text(enum) -> dict[str, str]:
    """Every code of ``enum`` by itself and by its Chinese and English labels."""
    table: dict[str, str] = {}
    for code in enum.codes():
        member = enum(code)
        for text in (code, member.label("zh"), member.label("en")):
            table[text.lower()] = code
    return table


CODE_TEXT = {
    "hardship_level": _codes_by_text(HardshipLevel),
    "categories": _codes_by_text(Category),
    "status": _codes_by_text(HouseholdStatus),
    "head_health": _codes_by_text(Health),
    "head_labour_capacity": _codes_by_text(LabourCapacity),
    "head_employment": _codes_by_text(Employment),
}


def _code(column: str, text: str) -> str:
    code = CODE_TEXT[column].get(text.strip().lower())
    if code is None:
        raise CellError(column, f"未知的值“{text}”。")
    return code


def _date(value: object, column: str = "enrolled_on") -> str:
    """An ISO date from a date cell or text such as 2024-03-01, 2024/3/1, 2024年3月1日."""
    if isinstance(value, date | datetime):
        return value.isoformat()[:10]
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE.match(text)
    if not match:
        raise CellError(column, "不是有效的日期（格式 YYYY-MM-DD）。")
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        raise CellError(column, "不是有效的日期（格式 YYYY-MM-DD）。") from None


def _categories(text: str) -> list[str]:
    return [_code("categories", part) for part in _SPLIT.split(text) if part]


# Cells are turned into what the wire schema loads before its field sees them.
_PREPARE = {
    "hardship_level": lambda v: _code("hardship_level", str(v)),
    "status": lambda v: _code("status", str(v)),
    "categories": lambda v: _categories(str(v)),
    "enrolled_on": _date,
}


class RowChecker:
    """Checks rows one by one (memoising the values that repeat across rows)."""

    def __init__(self, columns: list[str], encoding: str = "") -> None:
        self.columns = set(columns)
        self.encoding = encoding
        self._household_keys = [k for k in HOUSEHOLD_FIELDS if k in self.columns]
        self._fields = HouseholdSchema().load_fields
        self._members = PersonSchema().load_fields
        self._memo: dict[tuple[str, object], tuple[Any, str | None]] = {}
        self._valid_prefixes: set[str] = set()
        self._births: dict[str, date] = {}

    def _load_member_birth(self, digits: str) -> date:
        birth = self._births.get(digits)
        if birth is None:
            iso = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
            birth = self._births[digits] = self._members["birth_date"].deserialize(iso)
        return birth

    def _load(self, key: str, raw: object) -> Any:
        """The household field ``key`` of a cell, as the wire schema loads it."""
        if key in _CACHED:
            hit = self._memo.get((key, raw))
            if hit is None:
                hit = self._memo[(key, raw)] = self._load_uncached(key, raw)
            value, error = hit
            if error is not None:
                raise CellError(key, error)
            return value
        value, error = self._load_uncached(key, raw)
        if error is not None:
            raise CellError(key, error)
        return value

    def _load_uncached(self, key: str, raw: object) -> tuple[Any, str | None]:
        field = self._fields[key]
        try:
            if type(raw) is str and isinstance(field, Text):
                return field.load_text(raw), None  # the same load, a third of the time
            value = _PREPARE[key](raw) if key in _PREPARE and raw is not None else raw
            if isinstance(value, int | float):
                value = str(value)
            return field.deserialize(value), None
        except CellError as error:
            return None, error.message
        except ValidationError as error:
            messages = error.messages if isinstance(error.messages, list) else [str(error)]
            return None, zh(str(messages[0]))

    def check(self, cells: dict[str, object]) -> RowValues:
        """The row's values, or the errors of the cells refused."""
        out = RowValues()
        for key in self._household_keys:
            raw = cells.get(key)
            if raw is None and key == "status":
                continue
            if raw is None and key == "notes":
                raw = ""
            try:
                out.household[key] = self._load(key, raw)
            except CellError as error:
                out.errors.append((error.column, error.message))
        name = out.household.get("head_name")
        if name and (problem := name_problem(name, self.encoding)):
            del out.household["head_name"]
            out.errors.append(("head_name", problem))
        self._check_head(cells, out)
        raw = cells.get("last_visit_on")
        if raw is not None:
            try:
                out.last_visit_on = date.fromisoformat(_date(raw, "last_visit_on"))
            except CellError as error:
                out.errors.append((error.column, error.message))
        self._area_texts(cells, out)
        return out

    @staticmethod
    def _area_texts(cells: dict, out: RowValues) -> None:
        for key in AREA_COLUMNS:
            raw = cells.get(key)
            if raw is not None:
                out.areas[key] = str(raw).strip()
            elif key in REQUIRED_AREAS:
                out.errors.append((key, "必填。"))

    def _id_number(self, raw: object) -> str | None:
        """The wire schema's ResidentId check of the folded cell (cells.fold_id_number),
        with its slow part remembered: validity depends only on the region and birth date
        (the first 14 characters) and the check digit, so a number whose first 14
        characters already passed needs only its check digit verified. A refusal says
        which part is wrong."""
        text, problem = fold_id_number(raw)
        if problem is not None:
            raise CellError("head_id_number", problem)
        if (
            text
            and len(text) == 18
            and text[:17].isascii()
            and text[:17].isdigit()
            and text[:14] in self._valid_prefixes
            and ric.calc_check_digit(text) == text[17].upper()
        ):
            return text.upper()
        try:
            number = self._members["id_number"].deserialize(text)
        except ValidationError:
            raise CellError("head_id_number", explain_id_number(text or "")) from None
        if number is not None:
            self._valid_prefixes.add(number[:14])
        return number

    def _check_head(self, cells: dict[str, object], out: RowValues) -> None:
        raw = cells.get("head_id_number")
        try:
            number = self._id_number(raw)
            if number is None:
                raise CellError("head_id_number", "必填。")
            out.head["id_number"] = number
            # The birth date the number encodes (digits 7-14), checked like a member's.
            out.head["birth_date"] = self._load_member_birth(number[6:14])
            # The 17th digit is odd for men and even for women (GB 11643).
            out.head["gender"] = "male" if int(number[16]) % 2 else "female"
        except CellError as error:
            out.errors.append((error.column, error.message))
        except ValidationError as error:
            messages = error.messages if isinstance(error.messages, list) else [str(error)]
            column = "head_id_number"
            out.errors.append((column, zh(str(messages[0]))))
        for key, attr in (
            ("head_health", "health"),
            ("head_labour_capacity", "labour_capacity"),
            ("head_employment", "employment"),
        ):
            raw = cells.get(key)
            if raw is None:
                continue
            try:
                out.head[attr] = _code(key, str(raw))
            except CellError as error:
                out.errors.append((error.column, error.message))
