"""``tanfang sync-prune``: the nightly retention command, its counts and its dry run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from server.models import DeviceMutation, IdempotentReply, SyncCounter, Tombstone
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet

MODELS = (DeviceMutation, IdempotentReply, Tombstone)


@pytest.fixture
def aged(world, client, session):
    """Three pushes and a deleted member 100 days old, and one push of today."""
    home = world.household(
        "A1", advisor=world.adv_a, persons=[world.person_data(), world.person_data(male=False)]
    )
    tablet = Tablet(client, world.adv_a)
    for _ in range(3):
        tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])
    session.delete(home.persons[1])
    session.commit()
    old = datetime.now(UTC) - timedelta(days=100)
    for model in MODELS:
        session.execute(update(model).values(at=old))
    session.commit()
    tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])


def counts(session) -> list[int]:
    session.commit()
    found = [session.scalar(select(func.count()).select_from(m)) for m in MODELS]
    session.commit()
    return found


def test_the_command_removes_what_is_older_and_shows_progress_and_counts(aged, runner, session):
    result = runner.invoke(args=["sync-prune", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert "Removed 3 device_mutation rows" in result.output
    assert "Removed 3 idempotent_reply rows" in result.output
    assert "Removed 1 tombstone rows" in result.output
    assert "pruned: " in result.output  # the progress line, once per batch
    assert counts(session) == [1, 1, 0]
    assert session.scalar(select(SyncCounter.pruned_through)) > 0


def test_a_dry_run_counts_and_changes_nothing(aged, runner, session):
    result = runner.invoke(args=["sync-prune", "--older-than", "13w", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Would remove 3 device_mutation rows" in result.output
    assert "Would remove 1 tombstone rows" in result.output
    assert counts(session) == [4, 4, 1]
    assert session.scalar(select(SyncCounter.pruned_through)) == 0


def test_a_longer_age_keeps_everything(aged, runner, session):
    result = runner.invoke(args=["sync-prune", "--older-than", "120d"])
    assert result.exit_code == 0, result.output
    assert counts(session) == [4, 4, 1]


@pytest.mark.parametrize("age", ["0d", "90", "abc", "-1d", "3m", ""])
def test_a_bad_age_is_refused(world, runner, age):
    result = runner.invoke(args=["sync-prune", "--older-than", age])
    assert result.exit_code == 2
    assert "--older-than" in result.output
