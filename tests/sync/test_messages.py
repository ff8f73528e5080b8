"""Every validation message the shared schemas can give reads in Chinese (sync.messages)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from marshmallow import Schema, fields, validate

from sync import policy
from sync.messages import FALLBACK, translate, zh
from sync.records import SCHEMAS

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# The values a message template may carry, filled in as a schema would.
FILLERS = {"min": 1, "max": 50, "choices": "a, b", "labels": "a, b", "input": "x"}
FILLERS |= {"values": "x", "awareness": "aware", "obj_type": "datetime", "equal": 3}


class _Filled(dict):
    def __missing__(self, key: str) -> str:
        return str(FILLERS.get(key, 5))


def _fill(template: str) -> str:
    return string.Formatter().vformat(template, (), _Filled())


def _validators(field: fields.Field) -> Iterator[str]:
    for validator in field.validators:
        if isinstance(validator, validate.Validator) and getattr(validator, "error", None):
            yield _fill(validator.error)
        for name in ("message_min", "message_max", "message_all", "message_equal"):
            if hasattr(validator, name) and not getattr(validator, "error", None):
                yield _fill(getattr(validator, name))


def _field_messages(field: fields.Field) -> Iterator[str]:
    for template in field.error_messages.values():
        yield _fill(template)
    yield from _validators(field)
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            yield from _field_messages(inner)
    if isinstance(field, fields.Nested):
        yield from _schema_messages(field.schema)


def _schema_messages(schema: Schema) -> Iterator[str]:
    for template in schema.error_messages.values():
        yield _fill(template)
    for field in schema.fields.values():
        yield from _field_messages(field)


def _loaded(schema: Schema, data) -> Iterator[str]:
    """The messages a real load of ``data`` gives (nested dicts and lists flattened)."""
    stack = [schema.validate(data)]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield str(item)


def every_message() -> set[str]:
    """Every template of every field and validator, and the messages of real bad loads
    (the schema-level checks: times, the ID number, the disposal reason, policy rules)."""
    schemas = [cls() for cls in SCHEMAS.values()]
    schemas += [policy.PolicySchema(), policy.RuleSchema()]
    found: set[str] = set()
    for schema in schemas:
        found.update(_schema_messages(schema))
        found.update(_loaded(schema, {"unknown_key": 1}))
        found.update(_loaded(schema, {name: None for name in schema.load_fields}))
        found.update(_loaded(schema, {name: "x" * 5000 for name in schema.load_fields}))
        found.update(_loaded(schema, {name: -5 for name in schema.load_fields}))
        found.update(_loaded(schema, {name: [1, 1] for name in schema.load_fields}))
    visit = SCHEMAS["visit"]()
    found.update(
        _loaded(
            visit,
            {
                "started_at": "2026-03-01T10:00:00+08:00",
                "ended_at": "2026-03-01T09:00:00+08:00",
                "visited_at": "2026-03-01T10:00:00",
                "estimated_monthly_income": "-5",
            },
        )
    )
    found.update(_loaded(visit, {"estimated_monthly_income": "1.234"}))
    person = {"id_number": "11010519491231002X", "birth_date": "1950-01-01", "gender": "male"}
    found.update(_loaded(SCHEMAS["person"](), person))
    found.update(_loaded(SCHEMAS["warning"](), {"disposal": "no_action"}))
    found.update(_loaded(SCHEMAS["household"](), {"enrolled_on": "1900-01-01"}))
    found.update(_loaded(SCHEMAS["household"](), {"enrolled_on": "2999-01-01"}))
    found.update(_loaded(SCHEMAS["lead"](), {"phone": "abc#1"}))
    found.update(_loaded(policy.RuleSchema(), {"name": " "}))
    found.add("Not in your caseload.")  # the server's push refusal, shown by the tablet
    return found


def test_every_schema_message_reads_in_chinese_without_english_words():
    found = every_message()
    assert len(found) > 40  # the walk really reached the schemas
    english = {text: zh(text) for text in found if ENGLISH_WORD.search(zh(text))}
    assert english == {}


def test_every_schema_message_has_its_own_translation():
    # The fallback is a safety net for a message added later, not a translation.
    assert {text for text in every_message() if zh(text) == FALLBACK} == set()


def test_messages_keep_their_values_and_english_stays_english():
    assert zh("Must be at least 0 and less than 10,000,000.") == "金额应不小于 0 且小于 10,000,000"
    assert zh("Must be between 1 and 4000 characters long.") == "必填项，最多 4000 个字符"
    assert zh("Must be between 5 and 20 characters long.") == "长度应为 5–20 个字符"
    assert translate("Missing data for required field.", "en") == "Missing data for required field."
