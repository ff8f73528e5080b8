"""What a supervisor may change on a household and a member: schemas the API and the
console both validate with."""

from __future__ import annotations

from marshmallow import ValidationError, validates_schema

from sync.records import HouseholdSchema, PersonSchema

# What a supervisor may change on an enrolled household; the visit cycle follows. Used as
# the load's ``partial`` too: naming the fields (not partial=True) keeps a nested override's
# own required fields required.
HOUSEHOLD_EDITABLE = (
    "hardship_level",
    "categories",
    "cycle_override",
    "phone",
    "residence_address",
    "notes",
    "location",
    "assigned_advisor_id",
)
PERSON_EDITABLE = ("health", "labour_capacity", "employment")


def _require_a_change(data: dict) -> None:
    # An empty PATCH would answer 200 as if something had been saved.
    if not data:
        raise ValidationError("Send at least one field to change.", "_schema")


class HouseholdUpdateSchema(HouseholdSchema):
    """Only the fields sent are changed; ``cycle_override: null`` removes an override."""

    class Meta:
        fields = HOUSEHOLD_EDITABLE

    @validates_schema
    def _not_empty(self, data: dict, **kwargs) -> None:
        _require_a_change(data)


class PersonUpdateSchema(PersonSchema):
    class Meta:
        fields = PERSON_EDITABLE

    @validates_schema
    def _not_empty(self, data: dict, **kwargs) -> None:
        _require_a_change(data)
