"""Bulk approval: plain records in scope only, all or nothing, one audited operation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Visit
from server.services.core.errors import Invalid
from server.services.core.transaction import unit_of_work
from server.services.review import bulk, workflow
from tests.factories import NOW, interview_data, visit_data
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


@pytest.fixture
def pushed(tablet, home):
    """``pushed(entity="visit", **fields)``: the key of a record pushed from the tablet."""

    def push(entity: str = "visit", **fields) -> str:
        rid = uuid.uuid4()
        data = (visit_data if entity == "visit" else interview_data)(home, **fields)
        [result] = tablet.push([tablet.mutation(entity, rid, data)])
        assert result["status"] == "applied", result
        return f"{entity}:{rid}"

    return push


def _approve(session, actor, keys):
    with unit_of_work(session):
        return bulk.bulk_approve(session, actor=actor, keys=keys, now=NOW)


def _status(session, key: str) -> str:
    entity, rid = bulk.parse_key(key)
    session.expire_all()
    return session.get(workflow.MODELS[entity], rid).status


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_plain_records_are_approved_as_one_audited_operation(world, session, pushed, tablet):
    keys = [pushed(), pushed(), pushed("interview")]
    tablet.pull()
    approved = _approve(session, world.sup_a, keys)
    assert sorted(f"{type(r).__name__.lower()}:{r.id}" for r in approved) == sorted(keys)
    assert {_status(session, k) for k in keys} == {"approved"}
    [batch] = _events(session, "bulk_approve")
    assert batch.actor_id == world.sup_a.id and batch.entity == "review_batch"
    assert sorted(batch.diff["records"][1]) == sorted(keys)
    approvals = _events(session, "approve")
    assert sorted(f"{e.entity}:{e.entity_id}" for e in approvals) == sorted(keys)
    assert {e.diff["batch"][1] for e in approvals} == {batch.entity_id}
    # The tablet receives each approval on its next pull, like a single approval.
    changes = {c["id"]: c for c in tablet.pull() if c["entity"] in ("visit", "interview")}
    assert {changes[k.split(":")[1]]["data"]["status"] for k in keys} == {"approved"}


@pytest.mark.parametrize(
    ("entity", "fields", "why"),
    [
        ("visit", {"urgent": True}, ("urgent",)),
        ("visit", {"findings": ["job_loss"]}, ("findings",)),
        ("visit", {"situation": "maybe_eligible"}, ("situation",)),
        (
            "visit",
            {"urgent": True, "findings": ["income_drop"], "situation": "changed"},
            ("urgent", "findings", "situation"),
        ),
        ("interview", {"findings": ["housing_hazard"]}, ("findings",)),
    ],
)
def test_a_record_that_needs_reading_refuses_the_whole_selection(
    world, session, pushed, entity, fields, why
):
    plain, flagged = pushed(), pushed(entity, **fields)
    with pytest.raises(bulk.BulkRefused) as refusal:
        _approve(session, world.sup_a, [plain, flagged])
    [refused] = refusal.value.refused
    assert (refused.key, refused.reasons) == (flagged, why)
    assert refused.record is not None and refused.household is not None
    assert {_status(session, k) for k in (plain, flagged)} == {"submitted"}
    assert _events(session, "bulk_approve") == [] and _events(session, "approve") == []


def test_out_of_scope_unknown_malformed_and_reviewed_read_alike(world, session, pushed):
    plain, reviewed, foreign = pushed(), pushed(), pushed()
    _approve(session, world.sup_a, [reviewed])
    unknown = f"visit:{uuid.uuid4()}"
    keys = [plain, reviewed, unknown, "household:1", "visit:nope"]
    with pytest.raises(bulk.BulkRefused) as refusal:
        _approve(session, world.sup_a, keys)
    refused = {r.key: r for r in refusal.value.refused}
    assert set(refused) == {reviewed, unknown, "household:1", "visit:nope"}
    assert all(r.reasons == ("not_in_queue",) and r.record is None for r in refused.values())
    assert _status(session, plain) == "submitted"
    # Street B's supervisor cannot tell street A's record from one that does not exist.
    with pytest.raises(bulk.BulkRefused) as outside:
        _approve(session, world.sup_b, [foreign])
    [seen] = outside.value.refused
    assert (seen.record, seen.household, seen.reasons) == (None, None, ("not_in_queue",))
    assert _status(session, foreign) == "submitted"


@pytest.mark.parametrize("keys", [[], ["", "  "]])
def test_an_empty_selection_is_refused(world, session, keys):
    with pytest.raises(Invalid) as refusal:
        _approve(session, world.sup_a, keys)
    assert "record" in refusal.value.errors
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "bulk_approve")
        )
        == 0
    )


def test_an_oversized_selection_is_refused(world, session):
    keys = [f"visit:{uuid.uuid4()}" for _ in range(bulk.MAX_SELECTION + 1)]
    with pytest.raises(Invalid) as refusal:
        _approve(session, world.sup_a, keys)
    assert not isinstance(refusal.value, bulk.BulkRefused)


def test_the_same_record_twice_is_approved_once(world, session, pushed):
    key = pushed()
    approved = _approve(session, world.sup_a, [key, key.upper().replace("VISIT", "visit")])
    assert len(approved) == 1 and len(_events(session, "approve")) == 1


def test_a_split_household_is_bulk_approved_from_either_street(world, session, tablet):
    split = world.household("A1", "B1", advisor=world.adv_a)
    rid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", rid, visit_data(split))])
    _approve(session, world.sup_b, [f"visit:{rid}"])
    assert session.get(Visit, rid).status == "approved"
