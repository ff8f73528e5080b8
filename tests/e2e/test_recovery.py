"""The client recovers by itself: a store restored from an old copy, a tablet that changes hands.

Real stores against the app, in-process and over real HTTP; every record arrives exactly
once and is attributed to the advisor who made it (issue 8 §1, §2).
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid

import pytest
from sqlalchemy import select

from server.models import AuditEvent, User, Visit
from tests.factories import PASSWORD, nth_instant, visit_form


def record(tablet, home, first: int, count: int = 3) -> list[str]:
    """Save ``count`` submitted visits; their ids."""
    return [
        tablet.store.save_visit(visit_form(home, when=nth_instant(first + n)))["id"]
        for n in range(count)
    ]


def server_rows(session, ids) -> list[Visit]:
    session.commit()
    rows = session.scalars(select(Visit).where(Visit.id.in_([uuid.UUID(i) for i in ids]))).all()
    session.commit()
    return list(rows)


def copy_store(source, target) -> None:
    """A consistent copy of a live store file (what a backup or device transfer keeps)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def test_a_store_restored_from_an_old_copy_delivers_every_visit_once(
    world, make_client, session, tmp_path
):
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    tablet = make_client(world.adv_a, name="tablet")
    tablet.pull()
    first = record(tablet, home, 0)
    tablet.sync()
    copy_store(tablet.store.path, tmp_path / "backup.sqlite3")
    lost = record(tablet, home, 10)
    tablet.sync()  # these went out under mutation ids 4–6, then the copy comes back
    shutil.copy(tmp_path / "backup.sqlite3", tmp_path / "restored.sqlite3")

    restored = make_client(world.adv_a, name="restored", login=False)
    assert restored.store.device_id() == tablet.store.device_id()
    new = record(restored, home, 20)
    report = restored.sync()

    assert report.pushed.get("renumbered") == 3 and report.pushed.get("applied") == 3
    assert report.needs_attention == 0
    assert restored.store.pending_count() == 0
    assert len(server_rows(session, first + lost + new)) == 9
    assert all(restored.store.record("visit", i)["local_state"] == "synced" for i in new)


def test_a_tablet_that_changes_hands_delivers_the_first_advisors_records_as_theirs(
    world, make_client, session, client, token_of
):
    mine = world.household("A1", advisor=world.adv_a)
    handed = world.household("A1", advisor=world.adv_a)
    successor = world.user("advisor", world.street_a)
    theirs = world.household("A1", advisor=successor)
    session.commit()
    tablet = make_client(world.adv_a, name="shared")
    tablet.sync()
    made = record(tablet, mine, 0, 2)  # left unsent: the advisor leaves the job
    made.append(tablet.store.save_visit(visit_form(handed))["id"])  # an hour ago
    world.session.get(User, world.adv_a.id).active = False
    moved = client.patch(
        f"/api/v1/households/{handed.id}",
        json={"assigned_advisor_id": successor.id},
        headers=token_of(world.sup_a),
    )
    assert moved.status_code == 200, moved.get_json()
    session.commit()

    tablet.login(successor.username, PASSWORD)
    assert tablet.store.pending_count() == 3  # nothing unsent is dropped by a sign-in
    tablet.pull()
    own = record(tablet, theirs, 5, 1)
    report = tablet.sync()

    assert report.pushed == {"applied": 4} and tablet.store.pending_count() == 0
    rows = {str(r.id): r for r in server_rows(session, made + own)}
    assert {rows[i].advisor_id for i in made} == {world.adv_a.id}
    assert [rows[i].flag for i in made] == ["handed_over"] * 2 + ["left_caseload,handed_over"]
    assert rows[own[0]].advisor_id == successor.id and rows[own[0]].flag is None
    delivered = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id.in_(made), AuditEvent.action == "sync_create")
    ).all()
    session.commit()
    assert {e.actor_id for e in delivered} == {successor.id}
    # The new advisor's tablet holds their caseload; the first one's households, settled
    # now, are gone from it (the new advisor may not read them).
    assert tablet.store.household(str(theirs.id)) is not None
    assert tablet.store.household(str(handed.id)) is not None
    assert tablet.store.household(str(mine.id)) is None
    assert tablet.sync().pushed == {}  # delivered once: nothing goes again


def test_another_tablets_token_cannot_deliver_for_anyone(world, make_client, session):
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    tablet = make_client(world.adv_a, name="one")
    other = make_client(world.adv_b, name="two")
    b_home = world.household("B1", advisor=world.adv_b)
    session.commit()
    other.pull()
    record(other, b_home, 0, 1)
    session.commit()
    forged = tablet.store.get_state("token")
    other.store.set_state("author_tokens", {str(world.adv_a.id): forged})
    with other.store._write() as conn:  # pretend the row was made by advisor A
        conn.execute("UPDATE outbox SET author_id = ?", (world.adv_a.id,))
    with pytest.raises(Exception, match="not issued to this tablet"):
        other.push()
    assert other.store.pending_count() == 1 and home is not None
