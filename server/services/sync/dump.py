"""Pull: wire records straight from table rows, as the wire schemas dump them, but faster.

Loading a page of 1,000 rows as ORM objects and dumping each with its marshmallow schema
cost about two thirds of an initial pull. A :class:`Dumper` is built once per schema from
that schema's own fields: the plain field kinds (UUID, integer, text, code, time, date,
float) become one conversion each, anything else is serialised by its marshmallow field, so
the output is the schema's (``tests/server/test_sync_dump.py`` compares them on every kind
of record). Rows come from Core ``SELECT``s: no identity map, no unit of work.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from functools import cache
from types import SimpleNamespace
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

# Field classes whose dump of a non-None value is one conversion. A field counts as one
# of them only when its class does not override ``_serialize`` (Money, CodeSet, ResidentId
# override loading only); any other goes through marshmallow.
_PLAIN: dict[type, Callable[[Any], Any]] = {
    fields.UUID: str,
    fields.String: str,
    fields.Integer: int,
    fields.Float: float,
}


def _plain(field: fields.Field) -> Callable[[Any], Any] | None:
    """The conversion that dumps ``field`` exactly as marshmallow does, if there is one."""
    serialize = type(field)._serialize
    for base, convert in _PLAIN.items():
        if isinstance(field, base) and serialize is base._serialize:
            # A number dumped as a string is not a plain conversion.
            return None if getattr(field, "as_string", False) else convert
    if isinstance(field, fields.DateTime) and serialize is fields.DateTime._serialize:
        return field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
    if isinstance(field, fields.Decimal) and serialize is fields.Number._serialize:
        if field.as_string and field.places is not None and not field.allow_nan:
            places, rounding = field.places, field.rounding
            return lambda v: format(decimal.Decimal(str(v)).quantize(places, rounding), "f")
    if isinstance(field, fields.Boolean) and serialize is fields.Boolean._serialize:
        return lambda v: v if type(v) is bool else field._serialize(v, None, None)
    if isinstance(field, fields.List) and serialize is fields.List._serialize:
        inner = _plain(field.inner)
        if inner is not None:
            return lambda v: [None if x is None else inner(x) for x in v]
    if isinstance(field, fields.Nested) and type(field)._serialize is fields.Nested._serialize:
        if not field.many and not field.only and not field.exclude:
            return Dumper(field.schema).dump
    return None


class Dumper:
    """Turns table rows (as dicts) into the wire records ``schema`` would dump."""

    def __init__(self, schema: Schema):
        self.steps = []
        for name, field in schema.dump_fields.items():
            attribute, key = field.attribute or name, field.data_key or name
            self.steps.append((attribute, key, _plain(field), field))

    def dump(self, row: dict) -> dict:
        """One wire record."""
        out = {}
        for attribute, key, convert, field in self.steps:
            if attribute not in row:
                continue  # marshmallow leaves out what the object does not have
            if convert is None:
                out[key] = field.serialize(attribute, row)
            else:
                value = row[attribute]
                out[key] = None if value is None else convert(value)
        return out


@cache
def dumper(schema_cls: type[Schema]) -> Dumper:
    """The dumper of a wire schema, built once."""
    return Dumper(schema_cls())


def records(session: Session, model, schema_cls, ids: Iterable) -> Iterable[tuple[Any, dict]]:
    """``(id, wire record)`` of the ``model`` rows with these ids (in no particular order)."""
    table, dump = model.__table__, dumper(schema_cls)
    # The model's own getter turns its columns into the wire's location.
    mapping = getattr(model, "location", None)
    located = isinstance(mapping, property)
    # A wire field that is neither a column nor the location would be left out silently.
    unknown = (
        {a for a, *_ in dump.steps} - set(table.c.keys()) - ({"location"} if located else set())
    )
    # Read-only SQL expressions of the model (a household's area names) are selected too.
    attrs = model.__mapper__.column_attrs
    derived = [attrs[a].expression.label(a) for a in sorted(unknown) if a in attrs]
    unknown -= {d.name for d in derived}
    if unknown:
        raise LookupError(f"{table.name} has no column for {sorted(unknown)}")
    query = select(table, *derived).where(table.c.id.in_(ids))
    for mapping_row in session.execute(query).mappings().all():
        row = dict(mapping_row)
        if located:
            row["location"] = mapping.fget(SimpleNamespace(**row))
        yield row["id"], dump.dump(row)
