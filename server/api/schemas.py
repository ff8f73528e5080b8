"""Request and response schemas of the API that are not wire records (sync/records.py)."""

from __future__ import annotations

from datetime import date

from marshmallow import fields, validate

from sync.enums import Role
from sync.fields import MAX_DB_INT, storable_text
from sync.records import HouseholdSchema, PersonSchema, StrictSchema


class ErrorSchema(StrictSchema):
    """The one error body (DESIGN §5); documents what :func:`server.errors.error_body` sends."""

    code = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    status = fields.String(required=True, metadata={"description": "Its reason phrase."})
    message = fields.String(required=True, metadata={"description": "What went wrong."})
    errors = fields.Dict(
        required=True,
        metadata={"description": "Field errors by location and field (may be empty)."},
    )


def _text(low: int, high: int) -> list:
    """Length bounds, and only text the database (and the password hash) can take."""
    return [storable_text, validate.Length(low, high)]


class TokenRequestSchema(StrictSchema):
    username = fields.String(required=True, validate=_text(1, 64))
    password = fields.String(required=True, validate=_text(1, 256), load_only=True)
    device_id = fields.String(required=True, validate=_text(1, 64))
    device_name = fields.String(load_default="", validate=_text(0, 100))
    app_version = fields.String(load_default="", validate=_text(0, 32))


class PasswordChangeSchema(StrictSchema):
    current_password = fields.String(required=True, validate=_text(1, 256), load_only=True)
    new_password = fields.String(required=True, validate=_text(1, 256), load_only=True)


class AreaRefSchema(StrictSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class UserSchema(StrictSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(validate=validate.OneOf(Role.codes()))
    area = fields.Nested(AreaRefSchema, allow_none=True)


class TokenResponseSchema(StrictSchema):
    token = fields.String(metadata={"description": "Bearer token; shown once, keep it secret."})
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserSchema)
    lease_until = fields.AwareDateTime(
        metadata={"description": "the offline lease a sign-in starts (issue 19)"}
    )


class EscrowKeySchema(StrictSchema):
    """A tablet's escrow key: 32 random bytes, base64url without padding."""

    key = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{43}$", error="Must be 32 bytes in base64url."),
    )


# A database id: anything above a BIGINT would crash the query (a 500), not find nothing.
DB_ID = validate.Range(min=1, max=MAX_DB_INT)
# A day a schedule is asked about: period arithmetic past year 9999 (or before year 1)
# overflows Python's dates, and nothing is scheduled outside this century anyway.
DAY_ASKED = validate.Range(
    min=date(2000, 1, 1), max=date(2099, 12, 31), error="Must be between {min} and {max}."
)


class HouseholdQuerySchema(StrictSchema):
    street = fields.Integer(
        validate=DB_ID,
        metadata={"description": "registration or residence street id"},
    )
    community = fields.Integer(validate=DB_ID)
    advisor = fields.Integer(validate=DB_ID)
    separated = fields.Boolean(metadata={"description": "only 人户分离 households (or none)"})
    q = fields.String(
        validate=_text(1, 50),
        metadata={"description": "head name, household number or address"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class HouseholdOutSchema(HouseholdSchema):
    separated = fields.Boolean(dump_only=True, metadata={"description": "人户分离"})


class HouseholdDetailSchema(HouseholdOutSchema):
    persons = fields.List(fields.Nested(PersonSchema), dump_only=True)


class NewMemberSchema(PersonSchema):
    """A member enrolled together with the household: no household_id yet, and no id (the
    server names every new row; a client-chosen id could be an existing member's)."""

    class Meta:
        exclude = ("household_id", "id")


class HouseholdCreateSchema(HouseholdSchema):
    """A household to enrol: the server chooses its id, and it starts active (closing one
    is a later, audited change)."""

    class Meta:
        exclude = ("id", "status")

    persons = fields.List(
        fields.Nested(NewMemberSchema),
        required=True,
        validate=validate.Length(1, 30, error="A household has 1 to 30 members."),
    )


class HouseholdPageSchema(StrictSchema):
    items = fields.List(fields.Nested(HouseholdOutSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
