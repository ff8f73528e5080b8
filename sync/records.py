"""Wire schemas (marshmallow) for every synced record, shared by the server and the tablet."""

from __future__ import annotations

import decimal
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from sync.enums import (
    Category,
    Corroborates,
    Disposal,
    Employment,
    Finding,
    Gender,
    HardshipLevel,
    Health,
    HouseholdStatus,
    IncomeChange,
    IntervieweeRole,
    Labeled,
    LabourCapacity,
    LeadStatus,
    Need,
    Outcome,
    RecordStatus,
    Relation,
    Situation,
    VisitCycle,
    WarningKind,
    WarningLevel,
    WarningSource,
    WarningStatus,
)

# Upper bound for money: far above any household income, and it keeps a typo such as an
# ID number pasted into the income box from reaching a NUMERIC(12, 2) column.
MONEY_LIMIT = decimal.Decimal("10000000")
# Area and user ids are INTEGER columns; anything above 2**31 - 1 would crash the query.
MAX_DB_INT = 2**31 - 1
# No household was enrolled in the monitoring system before this day.
FIRST_ENROLMENT = date(2000, 1, 1)
# The oldest birth date taken: older than anyone alive, later than a typo such as 0001.
FIRST_BIRTH = date(1890, 1, 1)
# The date is already this far ahead somewhere on Earth (UTC+14), so "not after today"
# needs no time zone and never refuses a date that is today where the user is.
_EARLIEST_ZONE_AHEAD = timedelta(hours=14)


def latest_today() -> date:
    """The latest calendar date anywhere on Earth right now (the date in UTC+14)."""
    return (datetime.now(UTC) + _EARLIEST_ZONE_AHEAD).date()


def not_before_or_future(first: date):
    """A validator: the date lies between ``first`` and today (nowhere in the future)."""

    def check(value: date) -> None:
        if value < first:
            raise ValidationError(f"Must not be before {first.isoformat()}.")
        if value > latest_today():
            raise ValidationError("Must not be in the future.")

    return check


# ---------------------------------------------------------------------------- fields


def storable_text(value: str) -> None:
    """Refuse text no database stores: NUL (PostgreSQL) and lone surrogates (not UTF-8).

    Both arrive in valid JSON (``"\\u0000"``, ``"\\ud800"``) and would otherwise fail in the
    driver, as a 500 instead of a field error.
    """
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Must be valid Unicode text.") from None


class Text(fields.String):
    """A string that is trimmed on load and bounded in length.

    A blank value of a field that allows ``None`` loads as ``None``, because tablet forms
    send ``""`` for an empty optional box and the server should store one kind of "empty".
    """

    def __init__(self, max_length: int, min_length: int = 0, **kwargs: Any) -> None:
        if min_length:
            message = "Must be between {min} and {max} characters long."
        else:
            message = "Must be at most {max} characters long."
        validators = [
            storable_text,
            validate.Length(min=min_length or None, max=max_length, error=message),
        ]
        if extra := kwargs.pop("validate", None):
            validators.append(extra)
        super().__init__(validate=validators, **kwargs)
        # Runs before marshmallow's None check, so a blank optional value becomes None.
        self.pre_load.insert(0, self._tidy)

    def _tidy(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # let String report "Not a valid string."
        value = value.strip()
        return None if value == "" and self.allow_none else value


class Code(fields.String):
    """One code of a closed :class:`~sync.enums.Labeled` enumeration."""

    def __init__(self, enum: type[Labeled], **kwargs: Any) -> None:
        self.enum = enum
        super().__init__(validate=validate.OneOf(enum.codes()), **kwargs)


class UniqueList(fields.List):
    """A list field whose items must be distinct."""

    default_error_messages = {"duplicate": "Contains duplicates: {values}."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        items = super()._deserialize(value, attr, data, **kwargs)
        seen: set[Any] = set()
        repeated = [item for item in items if item in seen or seen.add(item)]
        if repeated:
            shown = ", ".join(dict.fromkeys(str(item) for item in repeated))
            raise self.make_error("duplicate", values=shown)
        return items


class CodeSet(UniqueList):
    """A set of codes of one enumeration, loaded in the enumeration's declaration order.

    The order is fixed so that two loads of the same set compare equal and a per-field
    merge (DESIGN §5) never reports a conflict for a mere reordering.
    """

    def __init__(self, enum: type[Labeled], **kwargs: Any) -> None:
        self.enum = enum
        super().__init__(Code(enum), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        codes = super()._deserialize(value, attr, data, **kwargs)
        order = {code: index for index, code in enumerate(self.enum.codes())}
        return sorted(codes, key=order.__getitem__)


class Money(fields.Decimal):
    """An amount in yuan: a Decimal with 2 places, sent as a string, 0 <= x < 10,000,000."""

    default_error_messages = {"places": "Must have at most 2 decimal places."}

    def __init__(self, **kwargs: Any) -> None:
        in_range = validate.Range(
            min=0,
            max=MONEY_LIMIT,
            max_inclusive=False,
            error="Must be at least 0 and less than 10,000,000.",
        )
        super().__init__(places=2, as_string=True, validate=in_range, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> decimal.Decimal:
        amount = super()._deserialize(value, attr, data, **kwargs)
        # The parent quantizes silently; rounding someone's income is not our call.
        if amount != decimal.Decimal(str(value).strip()):
            raise self.make_error("places")
        return amount


class ResidentId(fields.String):
    """A 居民身份证号, checked with ``stdnum.cn.ric`` and loaded in compact upper-case ASCII
    (full-width digits and Ｘ are folded), alike on the server and the tablet."""

    default_error_messages = {"ric": "Not a valid resident ID number (居民身份证号)."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        # NFKC folds full-width input (０-９, Ｘ from a Chinese IME) to ASCII; stdnum alone
        # folds the digits but not the Ｘ check character.
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        try:
            return ric.validate(text)
        except StdnumError as error:
            raise self.make_error("ric") from error


def _aware(**kwargs: Any) -> fields.AwareDateTime:
    # A naive time from a tablet is ambiguous (device clock zone vs area zone), so refuse it.
    messages = {"invalid_awareness": "Must include a timezone offset, e.g. +08:00."}
    return fields.AwareDateTime(format="iso", error_messages=messages, **kwargs)


def _int_id(**kwargs: Any) -> fields.Integer:
    in_range = validate.Range(min=1, max=MAX_DB_INT, error="Must be a positive integer.")
    return fields.Integer(strict=True, validate=in_range, **kwargs)


def _coordinate(limit: int, **kwargs: Any) -> fields.Float:
    in_range = validate.Range(min=-limit, max=limit, error="Must be between {min} and {max}.")
    return fields.Float(validate=in_range, **kwargs)


def _phone() -> Text:
    digits = validate.Regexp(r"^[0-9 +\-]+$", error="May contain only digits, spaces, '+' and '-'.")
    return Text(20, min_length=5, load_default=None, validate=digits)


def mask_id_number(value: str) -> str:
    """Hide the middle of an ID number for display: ``1101**********002X``.

    The first and last four characters stay; a value shorter than 9 characters is masked
    entirely, since keeping eight of them would reveal almost all of it.
    """
    if len(value) < 9:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


# --------------------------------------------------------------------------- schemas


class StrictSchema(Schema):
    """Base of every wire schema: unknown keys are an error, never silently dropped."""

    class Meta:
        unknown = RAISE


class RecordSchema(StrictSchema):
    """A synced row: a UUID and the server's commit-ordered ``version`` (DESIGN §5)."""

    # Not required: the push mutation carries the id beside the data (DESIGN §5).
    id = fields.UUID()
    version = fields.Integer(dump_only=True)


class LocationSchema(StrictSchema):
    """A GPS fix."""

    lat = _coordinate(90, required=True)
    lon = _coordinate(180, required=True)
    accuracy_m = fields.Float(
        load_default=None, validate=validate.Range(min=0, error="Must be at least {min}.")
    )


class StoredDate(fields.Date):
    """A date that may already be in its ISO form when dumped (from a JSON column)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)


class CycleOverrideSchema(StrictSchema):
    """A supervisor's override of a household's visit cycle (DESIGN §4)."""

    cycle = Code(VisitCycle, required=True)
    reason = Text(200, min_length=2, required=True)
    expires_on = StoredDate(load_default=None)


class HouseholdSchema(RecordSchema):
    """A household (户), the unit of visits."""

    external_id = Text(64, min_length=1, required=True)
    head_name = Text(50, min_length=1, required=True)
    phone = _phone()
    residence_address = Text(200, min_length=1, required=True)
    registration_street_id = _int_id(required=True)
    registration_community_id = _int_id(required=True)
    residence_street_id = _int_id(required=True)
    residence_community_id = _int_id(required=True)
    # The areas' names, sent with the household (the tablet keeps no area table).
    registration_street_name = fields.String(dump_only=True)
    registration_community_name = fields.String(dump_only=True)
    residence_street_name = fields.String(dump_only=True)
    residence_community_name = fields.String(dump_only=True)
    categories = CodeSet(
        Category, required=True, validate=validate.Length(min=1, error="Choose at least one.")
    )
    hardship_level = Code(HardshipLevel, required=True)
    # Derived by the schedule rules (DESIGN §4); a client changes it only via cycle_override.
    visit_cycle = Code(VisitCycle, dump_only=True)
    cycle_override = fields.Nested(CycleOverrideSchema, load_default=None)
    assigned_advisor_id = _int_id(load_default=None)
    status = Code(HouseholdStatus, load_default=HouseholdStatus.active.value)
    location = fields.Nested(LocationSchema, load_default=None)
    enrolled_on = fields.Date(required=True, validate=not_before_or_future(FIRST_ENROLMENT))
    notes = Text(2000, load_default="")


class PersonSchema(RecordSchema):
    """A member of a household (家庭成员)."""

    household_id = fields.UUID(required=True)
    name = Text(50, min_length=1, required=True)
    id_number = ResidentId(load_default=None)
    gender = Code(Gender, required=True)
    birth_date = fields.Date(required=True, validate=not_before_or_future(FIRST_BIRTH))
    relation = Code(Relation, required=True)
    health = Code(Health, required=True)
    labour_capacity = Code(LabourCapacity, required=True)
    employment = Code(Employment, required=True)

    # skip_on_field_errors=False: report a mismatch together with other errors; fields that
    # failed are absent from ``data``, so each check only runs when both sides loaded.
    @validates_schema(skip_on_field_errors=False)
    def _agrees_with_id_number(self, data: dict[str, Any], **kwargs: Any) -> None:
        number = data.get("id_number")
        if not number:
            return
        errors: dict[str, list[str]] = {}
        birth_date = data.get("birth_date")
        encoded = ric.get_birth_date(number)
        if birth_date is not None and birth_date != encoded:
            errors["birth_date"] = [
                f"Does not match the ID number, which gives {encoded.isoformat()}."
            ]
        gender = data.get("gender")
        # The 17th digit is odd for men and even for women (GB 11643).
        encoded_gender = Gender.male if int(number[16]) % 2 else Gender.female
        if gender is not None and gender != encoded_gender:
            errors["gender"] = [f"Does not match the ID number, which gives {encoded_gender}."]
        if errors:
            raise ValidationError(errors)


def _ends_after_start(data: dict[str, Any]) -> None:
    started, ended = data.get("started_at"), data.get("ended_at")
    if started is not None and ended is not None and ended < started:
        raise ValidationError("Must not be earlier than started_at.", field_name="ended_at")


class VisitSchema(RecordSchema):
    """A home visit (入户走访), created on the tablet."""

    household_id = fields.UUID(required=True)
    advisor_id = _int_id(required=True)
    device_id = Text(64, min_length=1, required=True)
    visited_at = _aware(required=True)
    outcome = Code(Outcome, required=True)
    persons_met = UniqueList(fields.UUID(), load_default=list)
    living_conditions = Text(2000, load_default="")
    income_change = Code(IncomeChange, load_default=IncomeChange.unknown.value)
    estimated_monthly_income = Money(load_default=None)
    findings = CodeSet(Finding, load_default=list)
    needs = CodeSet(Need, load_default=list)
    situation = Code(Situation, load_default=Situation.none.value)
    suggested_level = Code(HardshipLevel, load_default=None)
    urgent = fields.Boolean(load_default=False)
    notes = Text(4000, load_default="")
    location = fields.Nested(LocationSchema, load_default=None)
    started_at = _aware(load_default=None)
    ended_at = _aware(load_default=None)
    status = Code(RecordStatus, load_default=RecordStatus.draft.value)
    # Written by the supervisor's review (DESIGN §6), never by the tablet.
    review_comment = fields.String(dump_only=True)

    @validates_schema(skip_on_field_errors=False)
    def _check_times(self, data: dict[str, Any], **kwargs: Any) -> None:
        _ends_after_start(data)


class InterviewSchema(RecordSchema):
    """A neighbourhood interview (邻里访问) about a household."""

    household_id = fields.UUID(required=True)
    advisor_id = _int_id(required=True)
    device_id = Text(64, min_length=1, required=True)
    interviewed_at = _aware(required=True)
    interviewee_role = Code(IntervieweeRole, required=True)
    interviewee_name = Text(50, load_default=None)
    statement = Text(4000, min_length=1, required=True)
    corroborates = Code(Corroborates, required=True)
    findings = CodeSet(Finding, load_default=list)
    notes = Text(4000, load_default="")
    status = Code(RecordStatus, load_default=RecordStatus.draft.value)
    review_comment = fields.String(dump_only=True)


class WarningSchema(RecordSchema):
    """A warning (预警) raised by a visit rule, the monitoring platform or a person."""

    household_id = fields.UUID(required=True)
    source = Code(WarningSource, required=True)
    kind = Code(WarningKind, required=True)
    level = Code(WarningLevel, required=True)
    status = Code(WarningStatus, load_default=WarningStatus.open.value)
    disposal = Code(Disposal, load_default=None)
    disposal_reason = Text(500, load_default=None)
    message = Text(1000, load_default="")
    raised_at = _aware(required=True)
    due_by = _aware(load_default=None)
    street_id = _int_id(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _reason_for_no_action(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Closing a warning without acting must be justified: the platform audits these.
        if data.get("disposal") == Disposal.no_action and not data.get("disposal_reason"):
            raise ValidationError(
                "A reason is required when the disposal is 'no action'.",
                field_name="disposal_reason",
            )


class LeadSchema(RecordSchema):
    """A household found in the field that is not yet monitored (走访发现), made on the
    tablet; it goes to the supervisors' lead queue of the advisor's street."""

    advisor_id = _int_id(required=True)
    device_id = Text(64, min_length=1, required=True)
    found_at = _aware(required=True)
    head_name = Text(50, min_length=1, required=True)
    residence_address = Text(200, min_length=1, required=True)
    phone = _phone()
    observations = Text(4000, min_length=1, required=True)
    suggested_categories = CodeSet(Category, load_default=list)
    location = fields.Nested(LocationSchema, load_default=None)
    # Set by the server: the street whose queue it joined, and the queue's decision.
    street_id = _int_id(dump_only=True)
    status = Code(LeadStatus, dump_only=True)


SCHEMAS: dict[str, type[Schema]] = {
    "household": HouseholdSchema,
    "person": PersonSchema,
    "visit": VisitSchema,
    "interview": InterviewSchema,
    "warning": WarningSchema,
    "lead": LeadSchema,
}
