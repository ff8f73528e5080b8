"""The households a roster file names, with their members, read set-wise (Core tuples)."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

from sqlalchemy import ARRAY, any_, bindparam, select
from sqlalchemy.orm import Session

from server.models import Household, Person

CHUNK = 5000  # ids per IN (...) query: well under any driver's parameter limit
# Household columns an import sets, and the column of the file each one comes from.
MANAGED = {
    "external_id": "external_id",
    "head_name": "head_name",
    "phone": "phone",
    "residence_address": "residence_address",
    "registration_street_id": "registration_street",
    "registration_community_id": "registration_community",
    "residence_street_id": "residence_street",
    "residence_community_id": "residence_community",
    "categories": "categories",
    "hardship_level": "hardship_level",
    "enrolled_on": "enrolled_on",
    "status": "status",
    "notes": "notes",
}
HEAD_COLUMNS = {
    "name": "head_name",
    "id_number": "head_id_number",
    "gender": "head_id_number",
    "birth_date": "head_id_number",
    "health": "head_health",
    "labour_capacity": "head_labour_capacity",
    "employment": "head_employment",
}
HOUSEHOLD_READ = (
    "id",
    *MANAGED,
    "visit_cycle",
    "cycle_since",
    "cycle_override",
    "field_versions",
    "assigned_advisor_id",
    "imported_values",
)
PERSON_READ = ("id", "household_id", "relation", *HEAD_COLUMNS)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _one_of(session: Session, column, values: list):
    """``column IN values``: on PostgreSQL one array parameter (``= ANY(:values)``), as an
    IN list of thousands of parameters spends longer being built and parsed than run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _batches(session: Session, items: list) -> Iterable[list]:
    """``items`` in as many queries as the database needs (one on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return [items] if items else []
    return _chunks(items)


def existing(session: Session, external_ids: list[str]) -> dict[str, SimpleNamespace]:
    """The households already holding these numbers, with their members.

    Read with Core and plain tuples: building ORM rows for 100,000 households took
    longer than the query.
    """
    connection = session.connection()
    columns = [Household.__table__.c[c] for c in HOUSEHOLD_READ]
    found: dict[str, SimpleNamespace] = {}
    for chunk in _batches(session, external_ids):
        stmt = select(*columns).where(_one_of(session, columns[1], chunk))
        for row in connection.execute(stmt):
            household = SimpleNamespace(**dict(zip(HOUSEHOLD_READ, row, strict=True)))
            household.persons = []
            found[household.external_id] = household
    by_id = {h.id: h for h in found.values()}
    person_columns = [Person.__table__.c[c] for c in PERSON_READ]
    for chunk in _batches(session, list(by_id)):
        stmt = select(*person_columns).where(_one_of(session, person_columns[1], chunk))
        for row in connection.execute(stmt.order_by(Person.__table__.c.birth_date)):
            person = SimpleNamespace(**dict(zip(PERSON_READ, row, strict=True)))
            by_id[person.household_id].persons.append(person)
    return found


def holders(session: Session, numbers: list[str]) -> dict[str, set[str]]:
    """ID number → the external ids of the active households it is a member of."""
    holders: dict[str, set[str]] = {}
    stmt = select(Person.id_number, Household.external_id).join(
        Household, Person.household_id == Household.id
    )
    for chunk in _batches(session, numbers):
        query = stmt.where(_one_of(session, Person.id_number, chunk), Household.status == "active")
        for number, external_id in session.execute(query):
            holders.setdefault(number, set()).add(external_id)
    return holders
