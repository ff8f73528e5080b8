"""Warnings tests: households in one street and in two (人户分离), and a tablet."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import Warning
from server.services.core.transaction import unit_of_work
from server.services.review import workflow
from tests.factories import NOW
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    """Registered and living in street A (甲街道)."""
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def separated(world):
    """人户分离: registered in street A, living in street B, visited by street A's advisor."""
    return world.household("A1", residence="B1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def warnings_of(session, household) -> list[Warning]:
    """The household's warnings, as committed (read afresh)."""
    session.expire_all()
    stmt = select(Warning).where(Warning.household_id == household.id).order_by(Warning.kind)
    return list(session.scalars(stmt))


def returned(session, world, entity: str, record_id) -> int:
    """Return a record to its advisor (as a supervisor would); its version after."""
    with unit_of_work(session):
        record = workflow.return_record(
            session,
            actor=world.sup_a,
            entity=entity,
            record_id=record_id,
            comment="请补充",
            now=NOW,
        )
    return record.version
