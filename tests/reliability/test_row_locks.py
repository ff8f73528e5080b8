"""Row locks on PostgreSQL: every read that decides a write waits for a concurrent writer
and then decides on what it committed (docs/architecture.md "Lock order").

Each race: a console/service transaction takes its locks and stays open; the racer (a
second connection, in a thread) is seen waiting on it in ``pg_stat_activity``; the first
commits; the racer's outcome must be what it would be had it run second.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import AuditEvent, CaseloadAssignment, Device, Household, Lead, User
from server.services.caseload import handover
from server.services.core.errors import Conflict, Invalid
from server.services.households import households, identity
from server.services.leads import decisions
from server.services.review import bulk, workflow
from server.services.sync import reports
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW, keep_loaded_after_commit, visit_data
from tests.locking import Racer, backend_pid, wait_until_blocked
from tests.server.sync_helpers import Tablet
from tests.server.test_lead_decisions import form
from tests.server.test_leads import push_lead

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def engine(app, session):
    keep_loaded_after_commit(session)
    return db.engine


@pytest.fixture
def first(engine):
    """The transaction that takes its locks first and holds them until the test commits."""
    with Session(engine, expire_on_commit=False) as held:
        yield held


def _actor(session: Session, user: User) -> User:
    return session.get(User, user.id)


def _race(engine, first: Session, work):
    """Start ``work`` once ``first`` holds its locks; commit ``first`` when ``work`` waits."""
    racer = Racer(engine, work).start()
    wait_until_blocked(engine, backend_pid(first), racer)
    first.commit()
    return racer


def _edit(session, actor, household_id, **changes):
    return households.update_household(
        session,
        actor=_actor(session, actor),
        household_id=household_id,
        changes=changes,
        now=NOW,
        tz=DEFAULT_TZ,
    )


def _fresh(session, model, row_id):
    session.expire_all()
    return session.get(model, row_id)


def _push_update(tablet: Tablet, household: Household, base: int, **fields):
    def work(_session):
        mutation = tablet.mutation("household", household.id, fields, "update", base)
        [result] = tablet.push([mutation])
        return result

    return work


def test_a_push_merges_against_the_console_edit_it_waited_for(
    world, session, client, engine, first
):
    """Case 6: the console's phone survives, the push reports it as a conflict and its
    other field lands; field_versions keeps both writers' keys."""
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    tablet, base = Tablet(client, world.adv_a), home.version
    backend_pid(first)
    _edit(first, world.sup_a, home.id, phone="13800000001")
    racer = _race(
        engine, first, _push_update(tablet, home, base, phone="13900000002", notes="门口有狗")
    )
    result = racer.join()
    assert result["status"] == "conflict" and result["fields"] == ["phone"], result
    stored = _fresh(session, Household, home.id)
    assert (stored.phone, stored.notes) == ("13800000001", "门口有狗")
    assert stored.field_versions["notes"] == result["version"] == stored.version
    assert base < stored.field_versions["phone"] < result["version"]


def test_a_push_and_a_console_edit_of_one_household_do_not_deadlock(
    world, session, client, engine, first, caplog
):
    """Case 8b: the console locks the household, then the counter at commit; the push
    must not hold the counter while it waits for the household. (A deadlock would be
    broken by PostgreSQL and the push's per-mutation retry would hide it: the retry's
    warning is what tells.)"""
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    tablet, base = Tablet(client, world.adv_a), home.version
    backend_pid(first)
    households.update_household(
        first,
        actor=_actor(first, world.sup_a),
        household_id=home.id,
        changes={"hardship_level": "high"},
        now=NOW,
        tz=DEFAULT_TZ,
        base_version=base,
    )
    caplog.set_level(logging.WARNING, logger="server.services.sync.push")
    racer = _race(engine, first, _push_update(tablet, home, base, notes="新楼道"))
    assert racer.join()["status"] == "applied"
    assert not [r for r in caplog.records if "refused by the database" in r.getMessage()]
    stored = _fresh(session, Household, home.id)
    assert (stored.hardship_level, stored.notes) == ("high", "新楼道")


def _open_assignments(session, household_id) -> list[int]:
    session.expire_all()
    return list(
        session.scalars(
            select(CaseloadAssignment.advisor_id).where(
                CaseloadAssignment.household_id == household_id,
                CaseloadAssignment.ended_at.is_(None),
            )
        )
    )


def test_two_reassignments_at_once_leave_one_open_assignment(world, session, engine, first):
    """Case 8a: the second waits for the first and moves the household on from there."""
    home = world.household("A1", advisor=world.adv_a)
    second, third = (world.user("advisor", world.street_a) for _ in range(2))
    session.commit()
    backend_pid(first)
    _edit(first, world.sup_a, home.id, assigned_advisor_id=second.id)
    racer = _race(
        engine, first, lambda s: _edit(s, world.sup_a, home.id, assigned_advisor_id=third.id)
    )
    racer.join()
    assert _open_assignments(session, home.id) == [third.id]
    assert _fresh(session, Household, home.id).assigned_advisor_id == third.id


def test_two_handovers_of_one_household_queue_up(world, session, engine, first):
    home = world.household("A1", advisor=world.adv_a)
    second, third = (world.user("advisor", world.street_a) for _ in range(2))
    session.commit()

    def move(s, to):
        request = handover.MoveRequest(kind="household", source=home.external_id, to_advisor_id=to)
        return handover.move(s, _actor(s, world.sup_a), request, expected=1, now=NOW)

    backend_pid(first)
    move(first, second.id)
    _race(engine, first, lambda s: move(s, third.id)).join()
    assert _open_assignments(session, home.id) == [third.id]


@pytest.fixture
def lead(world, client, session) -> Lead:
    lead_id = uuid.uuid4()
    assert push_lead(Tablet(client, world.adv_a), lead_id)["status"] == "applied"
    session.commit()
    return session.get(Lead, lead_id)


def test_a_lead_decided_meanwhile_is_not_confirmed_again(world, session, engine, first, lead):
    def confirm(s, external_id):
        values = form(world, external_id=external_id)
        return decisions.confirm_lead(
            s, actor=_actor(s, world.sup_a), lead_id=lead.id, form=values, now=NOW, tz=DEFAULT_TZ
        )

    backend_pid(first)
    confirm(first, "LD0001")
    racer = _race(engine, first, lambda s: confirm(s, "LD0002"))
    with pytest.raises(Conflict, match="decided already"):
        racer.join()
    assert session.scalar(select(func.count()).select_from(Household)) == 1


@pytest.fixture
def pushed(world, client, session):
    """Two visits advisor A pushed, waiting for review (their ids)."""
    home = world.household("A1", advisor=world.adv_a)
    tablet = Tablet(client, world.adv_a)
    ids = [uuid.uuid4(), uuid.uuid4()]
    results = tablet.push([tablet.mutation("visit", i, visit_data(home)) for i in ids])
    assert {r["status"] for r in results} == {"applied"}
    session.commit()
    return ids


def test_a_record_returned_meanwhile_is_not_approved(world, session, engine, first, pushed):
    def approve(s):
        actor = _actor(s, world.sup_a)
        return workflow.approve_record(s, actor=actor, entity="visit", record_id=pushed[0], now=NOW)

    backend_pid(first)
    workflow.return_record(
        first,
        actor=_actor(first, world.sup_a),
        entity="visit",
        record_id=pushed[0],
        comment="请补充照片说明",
        now=NOW,
    )
    racer = _race(engine, first, approve)
    with pytest.raises(Conflict, match="returned"):
        racer.join()
    assert _fresh(session, workflow.MODELS["visit"], pushed[0]).status == "returned"


def test_a_bulk_approval_refuses_a_record_returned_meanwhile(world, session, engine, first, pushed):
    keys = [f"visit:{i}" for i in pushed]

    def approve_all(s):
        return bulk.bulk_approve(s, actor=_actor(s, world.sup_a), keys=keys, now=NOW)

    backend_pid(first)
    workflow.return_record(
        first,
        actor=_actor(first, world.sup_a),
        entity="visit",
        record_id=pushed[0],
        comment="请补充照片说明",
        now=NOW,
    )
    racer = _race(engine, first, approve_all)
    with pytest.raises(bulk.BulkRefused):
        racer.join()
    statuses = [_fresh(session, workflow.MODELS["visit"], i).status for i in pushed]
    assert statuses == ["returned", "submitted"]


def test_one_person_enrolled_twice_at_once_is_refused_by_the_database(
    world, session, engine, first
):
    """Case 8c: both checks pass before either commits; the partial unique index makes the
    second wait and refuse, with the service check's own field message."""
    member = world.person_data()
    session.commit()

    def enrol(s):
        data = {**world.household_data("A1"), "persons": [dict(member)]}
        data.pop("assigned_advisor_id")
        return households.enrol_household(
            s, actor=_actor(s, world.sup_a), data=data, now=NOW, tz=DEFAULT_TZ
        )

    backend_pid(first)
    enrol(first)
    racer = _race(engine, first, enrol)
    with pytest.raises(Invalid) as refused:
        racer.join()
    assert refused.value.errors == {"persons": {"0": {"id_number": [identity.ENROLLED_ELSEWHERE]}}}


def _report_discard(session: Session, tablet: Tablet, user: User, report: dict) -> int:
    device = session.scalar(
        select(Device).where(Device.device_id == tablet.device_id, Device.user_id == user.id)
    )
    return reports.record_discards(
        session, device=device, device_id=tablet.device_id, discards=[report], now=NOW
    )


def test_a_discard_report_and_its_retry_at_once_are_recorded_once(
    world, session, client, engine, first
):
    # The tablet's retry of a report whose answer was lost reaches another worker while the
    # first is still writing: the device row lock makes the retry read the first's event.
    home = world.household("A1", advisor=world.adv_a)
    tablet = Tablet(client, world.adv_a)
    report = {
        "id": str(uuid.uuid4()),
        "entity": "visit",
        "record_id": str(uuid.uuid4()),
        "household_id": str(home.id),
        "reason": "not_in_caseload",
        "record": {"notes": "最后一份"},
        "discarded_at": NOW.isoformat(),
    }
    assert _report_discard(first, tablet, world.adv_a, report) == 1
    racer = _race(engine, first, lambda s: _report_discard(s, tablet, world.adv_a, report))
    assert racer.join() == 0
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == reports.DISCARD_ACTION)
    ).all()
    assert len(events) == 1
