"""Wire schemas (marshmallow) for every synced record, shared by the server and the tablet."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)
from stdnum.cn import ric

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
from sync.fields import (
    FIRST_FIELD_DAY,
    Code,
    CodeSet,
    Money,
    ResidentId,
    StoredDate,
    Text,
    UniqueList,
    aware_datetime,
    coordinate,
    int_id,
    not_before_or_future,
    phone_number,
    unstorable_fields,
)

# No household was enrolled in the monitoring system before this day (nor visited).
FIRST_ENROLMENT = FIRST_FIELD_DAY
# The oldest birth date taken: older than anyone alive, later than a typo such as 0001.
FIRST_BIRTH = date(1890, 1, 1)


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
    """Base of every wire schema: unknown keys are an error, never silently dropped, and
    text no database stores (a NUL: PostgreSQL refuses it, SQLite keeps it) is refused
    beside its field in every string field, before any field is read."""

    class Meta:
        unknown = RAISE

    # Fields whose contents another schema loads and checks later, one by one (a push's
    # mutation data: one bad record is rejected alone, not the whole push).
    checked_later: tuple[str, ...] = ()

    @pre_load
    def _storable(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            errors = unstorable_fields(data, skip=self._checked_elsewhere())
            if errors:
                raise ValidationError(errors)
        return data

    def _checked_elsewhere(self) -> set[str]:
        """Keys a nested schema checks itself (naming the inner field) or that are
        ``checked_later``."""
        nested = {
            field.data_key or name
            for name, field in self.fields.items()
            if isinstance(field, fields.Nested)
            or isinstance(getattr(field, "inner", None), fields.Nested)
        }
        return nested | set(self.checked_later)


class RecordSchema(StrictSchema):
    """A synced row: a UUID and the server's commit-ordered ``version`` (DESIGN §5)."""

    # Not required: the push mutation carries the id beside the data (DESIGN §5).
    id = fields.UUID()
    version = fields.Integer(dump_only=True)


class LocationSchema(StrictSchema):
    """A GPS fix."""

    lat = coordinate(90, required=True)
    lon = coordinate(180, required=True)
    accuracy_m = fields.Float(
        load_default=None, validate=validate.Range(min=0, error="Must be at least {min}.")
    )


class CycleOverrideSchema(StrictSchema):
    """A supervisor's override of a household's visit cycle (DESIGN §4)."""

    cycle = Code(VisitCycle, required=True)
    reason = Text(200, min_length=2, required=True)
    expires_on = StoredDate(load_default=None)


class HouseholdSchema(RecordSchema):
    """A household (户), the unit of visits."""

    external_id = Text(64, min_length=1, required=True)
    head_name = Text(50, min_length=1, required=True)
    phone = phone_number()
    residence_address = Text(200, min_length=1, required=True)
    registration_street_id = int_id(required=True)
    registration_community_id = int_id(required=True)
    residence_street_id = int_id(required=True)
    residence_community_id = int_id(required=True)
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
    assigned_advisor_id = int_id(load_default=None)
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
    advisor_id = int_id(required=True)
    device_id = Text(64, min_length=1, required=True)
    visited_at = aware_datetime(required=True)
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
    started_at = aware_datetime(load_default=None)
    ended_at = aware_datetime(load_default=None)
    status = Code(RecordStatus, load_default=RecordStatus.draft.value)
    # Written by the supervisor's review (DESIGN §6), never by the tablet.
    review_comment = fields.String(dump_only=True)
    # Who corrected a returned record other than its author (the holder after a handover).
    corrected_by_id = int_id(dump_only=True)

    @validates_schema(skip_on_field_errors=False)
    def _check_times(self, data: dict[str, Any], **kwargs: Any) -> None:
        _ends_after_start(data)


class InterviewSchema(RecordSchema):
    """A neighbourhood interview (邻里访问) about a household."""

    household_id = fields.UUID(required=True)
    advisor_id = int_id(required=True)
    device_id = Text(64, min_length=1, required=True)
    interviewed_at = aware_datetime(required=True)
    interviewee_role = Code(IntervieweeRole, required=True)
    interviewee_name = Text(50, load_default=None)
    statement = Text(4000, min_length=1, required=True)
    corroborates = Code(Corroborates, required=True)
    findings = CodeSet(Finding, load_default=list)
    notes = Text(4000, load_default="")
    status = Code(RecordStatus, load_default=RecordStatus.draft.value)
    review_comment = fields.String(dump_only=True)
    corrected_by_id = int_id(dump_only=True)


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
    raised_at = aware_datetime(required=True)
    due_by = aware_datetime(load_default=None)
    street_id = int_id(required=True)

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

    advisor_id = int_id(required=True)
    device_id = Text(64, min_length=1, required=True)
    found_at = aware_datetime(required=True)
    head_name = Text(50, min_length=1, required=True)
    residence_address = Text(200, min_length=1, required=True)
    phone = phone_number()
    observations = Text(4000, min_length=1, required=True)
    suggested_categories = CodeSet(Category, load_default=list)
    location = fields.Nested(LocationSchema, load_default=None)
    # Set by the server: the street whose queue it joined, and the queue's decision.
    street_id = int_id(dump_only=True)
    status = Code(LeadStatus, dump_only=True)


SCHEMAS: dict[str, type[Schema]] = {
    "household": HouseholdSchema,
    "person": PersonSchema,
    "visit": VisitSchema,
    "interview": InterviewSchema,
    "warning": WarningSchema,
    "lead": LeadSchema,
}
