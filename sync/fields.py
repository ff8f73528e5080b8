"""The field types and validators the wire schemas (:mod:`sync.records`) are made of."""

from __future__ import annotations

import decimal
import functools
import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields, validate
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

from sync.enums import Labeled

# Upper bound for money: far above any household income, and it keeps a typo such as an
# ID number pasted into the income box from reaching a NUMERIC(12, 2) column.
MONEY_LIMIT = decimal.Decimal("10000000")
# Area and user ids are INTEGER columns; anything above 2**31 - 1 would crash the query.
MAX_DB_INT = 2**31 - 1
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


# Characters no one sees that break search and duplicate checks when pasted into a name
# (zero-width space and joiners, word joiner, byte-order mark): removed.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Spaces that look like a space (no-break, ideographic, the typographic ones): folded to one.
_SPACES = dict.fromkeys(
    map(ord, "\u00a0\u3000\u202f\u205f" + "".join(map(chr, range(0x2000, 0x200B)))), " "
)


# Any character of the two tables: most text has none, and one search is much cheaper than
# two translations (a 50,000-row roster loads 250,000 texts).
_FOLDED = re.compile("[" + "".join(map(chr, [*_INVISIBLE, *_SPACES])) + "]")


def fold_invisible(value: str) -> str:
    """Text as stored: invisible characters removed, look-alike spaces made plain spaces
    (the API, the tablet and the roster import all load text through this)."""
    if value.isascii() or _FOLDED.search(value) is None:
        return value
    return value.translate(_INVISIBLE).translate(_SPACES)


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


def unstorable_fields(data: Mapping[str, Any], skip: Collection[str] = ()) -> dict[str, list[str]]:
    """The keys of ``data`` (but ``skip``) whose text, at any depth of lists and dicts, no
    database stores, each with :func:`storable_text`'s message."""
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key in skip:
            continue
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                try:
                    storable_text(item)
                except ValidationError as error:
                    errors[str(key)] = list(error.messages)
                    break
            elif isinstance(item, Mapping):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list | tuple):
                pending.extend(item)
    return errors


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
        value = fold_invisible(value).strip()
        return None if value == "" and self.allow_none else value

    def load_text(self, value: str) -> str | None:
        """What :meth:`deserialize` loads from the text ``value``, raising only the first
        validator's error: the same steps without marshmallow's per-call machinery, which
        took most of the time of a roster's 200,000 texts."""
        for step in self.pre_load:
            value = step(value)
        if value is None:
            return None  # a blank text of a field that allows None
        for validator in self.validators:
            validator(value)
        for step in self.post_load:
            value = step(value)
        return value


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
            return resident_id(text)
        except StdnumError as error:
            raise self.make_error("ric") from error


# Bounded (stdnum knows 6,885 codes): the API must not let made-up codes grow it forever.
@functools.lru_cache(maxsize=8192)
def region_existed(code: str) -> bool:
    """Whether a 6-digit region code (县级) has existed at any time in stdnum's table
    (remembered: one lookup takes ~0.1 ms, and a roster repeats a few hundred codes)."""
    from stdnum import numdb

    parts = numdb.get("cn/loc").info(code)
    return any("county" in props for _, props in parts)


def resident_id(text: str) -> str:
    """A 居民身份证号 in compact form: 18 characters, the check digit, a real birth date and
    a region code that existed at some time (raises stdnum's errors otherwise).

    Not stdnum's ``ric.validate``, which wants the region to have existed in the birth
    year: the region is where the number was first issued (from 1984 on for anyone born
    earlier), so most elderly residents' numbers name a district younger than they are.
    """
    number = ric.compact(text)
    if len(number) != 18:
        raise InvalidLength()
    if not number[:-1].isascii() or not number[:-1].isdigit():
        raise InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    ric.get_birth_date(number)
    if not region_existed(number[:6]):
        raise InvalidComponent()
    return number


# The earliest field work, enrolment or lead the system takes: nothing was recorded before.
FIRST_FIELD_DAY = date(2000, 1, 1)
# The latest date-time taken (a warning's due date included): nothing is planned past
# this century.
LAST_DEADLINE = date(2099, 12, 31)


def in_field_window(first: date):
    """A validator: an aware date-time whose own local date lies between ``first`` and
    :data:`LAST_DEADLINE`.

    Compared by the wall-clock date, never converted: ``0001-01-01T00:00+14:00`` lies before
    year 1 in UTC (and ``9999-12-31T23:59-12:00`` after 9999), so converting would overflow
    instead of naming the field. Whether a record is dated in the future is the server's
    finer check (its clock, a tablet's clock running fast), not this one's."""

    def check(value: datetime) -> None:
        if value.date() < first:
            raise ValidationError(f"Must not be before {first.isoformat()}.")
        if value.date() > LAST_DEADLINE:
            raise ValidationError(f"Must not be after {LAST_DEADLINE.isoformat()}.")

    return check


def aware_datetime(*, first: date = FIRST_FIELD_DAY, **kwargs: Any) -> fields.AwareDateTime:
    """An ISO date-time that must carry its UTC offset and lie in the plausible window."""
    # A naive time from a tablet is ambiguous (device clock zone vs area zone), so refuse it.
    messages = {"invalid_awareness": "Must include a timezone offset, e.g. +08:00."}
    kwargs.setdefault("validate", in_field_window(first))
    return fields.AwareDateTime(format="iso", error_messages=messages, **kwargs)


def int_id(**kwargs: Any) -> fields.Integer:
    """A database id: a strict integer from 1 to :data:`MAX_DB_INT`."""
    in_range = validate.Range(min=1, max=MAX_DB_INT, error="Must be a positive integer.")
    return fields.Integer(strict=True, validate=in_range, **kwargs)


def coordinate(limit: int, **kwargs: Any) -> fields.Float:
    """A latitude or longitude between ``-limit`` and ``limit`` degrees."""
    in_range = validate.Range(min=-limit, max=limit, error="Must be between {min} and {max}.")
    return fields.Float(validate=in_range, **kwargs)


def phone_number() -> Text:
    """An optional phone number: digits, spaces, '+' and '-'."""
    digits = validate.Regexp(r"^[0-9 +\-]+$", error="May contain only digits, spaces, '+' and '-'.")
    return Text(20, min_length=5, load_default=None, validate=digits)


class StoredDate(fields.Date):
    """A date that may already be in its ISO form when dumped (from a JSON column)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if isinstance(value, str):
            return value
        return super()._serialize(value, attr, obj, **kwargs)
