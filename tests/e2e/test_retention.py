"""Retention end to end (issue 8 §5): after the server prunes, a tablet with an old cursor
pulls from the start and converges, its outbox intact, and an old push replayed by a real
client lands once."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.models import Visit, Warning
from server.services.core.transaction import unit_of_work
from server.services.sync import prune as sync_prune
from tests.factories import nth_instant, visit_form


def prune_all(session) -> sync_prune.PruneCounts:
    before = datetime.now(UTC) + timedelta(seconds=1)
    with unit_of_work(session):
        return sync_prune.prune_batch(session, before=before, limit=1000)


def visits_on_server(session, ids) -> int:
    session.commit()
    found = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.id.in_([uuid.UUID(i) for i in ids]))
    )
    session.commit()
    return found


def test_a_tablet_behind_the_pruned_tombstones_pulls_afresh_and_converges(
    world, make_client, session, caplog
):
    home = world.household(
        "A1", advisor=world.adv_a, persons=[world.person_data(), world.person_data(male=False)]
    )
    warning = Warning(
        household_id=home.id,
        source="platform",
        kind="income_drop",
        level="yellow",
        street_id=world.street_a.id,
        message="收入下降",
    )
    session.add(warning)
    session.commit()
    tablet = make_client(world.adv_a, name="old")
    tablet.sync()
    waiting = tablet.store.save_visit(visit_form(home, when=nth_instant(1)))["id"]
    # On the server meanwhile: a member deleted, the warning closed; then the nightly prune.
    gone = home.persons[1].id
    session.delete(home.persons[1])
    warning.status = "closed"
    session.commit()
    assert prune_all(session).rows["tombstone"] == 1
    caplog.set_level(logging.WARNING, logger="sync.client")

    tablet.pull()  # pull only: the visit is still in the outbox

    assert "pulling from the start" in caplog.text
    assert tablet.store.pending_count() == 1
    assert tablet.store.record("visit", waiting)["local_state"] == "pending"
    assert tablet.store.record("person", str(gone)) is None
    assert tablet.store.open_warnings() == []
    report = tablet.sync()
    assert report.pushed == {"applied": 1}
    fresh = make_client(world.adv_a, name="fresh")
    fresh.sync()
    assert tablet.store.checksum() == fresh.store.checksum()
    assert visits_on_server(session, [waiting]) == 1


def test_a_push_whose_answer_was_lost_before_the_prune_lands_once(world, make_client, session):
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    tablet = make_client(world.adv_a)
    tablet.pull()
    made = [tablet.store.save_visit(visit_form(home, when=nth_instant(n)))["id"] for n in range(3)]
    sent = tablet.store.mark_sent([m["mutation_id"] for m in tablet.store.pending_mutations()])
    body = {"device_id": tablet.store.device_id(), "schema_version": 1, "mutations": sent}
    tablet.transport.push(body, "lost-answer", pending=(3, None))  # its answer never arrived
    prune_all(session)

    report = tablet.sync()  # the same mutations again: refused by id, renumbered, known

    assert report.pushed == {"renumbered": 3, "duplicate": 3}
    assert tablet.store.pending_count() == 0 and report.needs_attention == 0
    assert visits_on_server(session, made) == 3
    assert all(tablet.store.record("visit", i)["local_state"] == "synced" for i in made)
