"""One person, one active household: ID numbers already enrolled elsewhere are refused."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Household, Person

# The message names nothing about the other household: it may lie outside the caller's
# scope, and which household (or street) holds the person is not theirs to learn.
ENROLLED_ELSEWHERE = "This person is already a member of an active household."
TWICE_HERE = "The same ID number appears twice in this household."
# The database's form of the rule (models.household.Person), behind the check below.
ACTIVE_ID_NUMBER_INDEX = "ux_person_active_id_number"


def someone_enrolled() -> dict[str, list[str]]:
    """The field error when the database refused a member but no longer says which."""
    return {"persons": [ENROLLED_ELSEWHERE]}


def id_number_errors(session: Session, persons: list[dict]) -> dict[str, dict]:
    """Field errors, ``{"persons": {"<index>": {"id_number": [...]}}}``, for members whose
    ID number is given twice here or belongs to a member of an active household."""
    numbers = [p.get("id_number") for p in persons]
    taken = set(
        session.scalars(
            select(Person.id_number)
            .join(Household, Person.household_id == Household.id)
            .where(Person.id_number.in_([n for n in numbers if n]), Household.status == "active")
        )
    )
    errors: dict[str, dict] = {}
    for index, number in enumerate(numbers):
        if not number:
            continue
        if number in taken:
            message = ENROLLED_ELSEWHERE
        elif numbers.index(number) != index:
            message = TWICE_HERE
        else:
            continue
        errors[str(index)] = {"id_number": [message]}
    return {"persons": errors} if errors else {}
