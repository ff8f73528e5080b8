"""Hostile and malformed pushes: each gets the error shape or a per-item rejection, and the
good mutations beside a bad one are still applied."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import Visit
from tests.factories import visit_data
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def _visits(session) -> int:
    return session.scalar(select(func.count()).select_from(Visit))


def _shape(response, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.get_json()) == {"code", "status", "message", "errors"}


def _raw(tablet, data: bytes, **headers):
    return tablet.client.post(
        "/api/v1/sync/push",
        data=data,
        headers={
            **tablet.headers,
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Type": "application/json",
            **headers,
        },
    )


def _body(tablet, mutations) -> dict:
    return {"device_id": tablet.device_id, "schema_version": 1, "mutations": mutations}


# Whole requests that cannot be read: answered with the error shape, nothing applied.
REQUEST_CASES = {
    "not json": (lambda t, h: _raw(t, b"{nope"), 400),
    "json array": (lambda t, h: _raw(t, b"[]"), 422),
    "truncated json": (lambda t, h: _raw(t, json.dumps(_body(t, []))[:-3].encode()), 400),
    "bad gzip": (lambda t, h: _raw(t, b"\x1f\x8bnot really", **{"Content-Encoding": "gzip"}), 400),
    "gzip bomb": (
        lambda t, h: _raw(
            t, gzip.compress(b" " * (5 * 1024 * 1024)), **{"Content-Encoding": "gzip"}
        ),
        413,
    ),
    "missing device_id": (
        lambda t, h: t.client.post(
            "/api/v1/sync/push",
            json={"schema_version": 1, "mutations": []},
            headers={**t.headers, "Idempotency-Key": "a"},
        ),
        422,
    ),
    "schema_version 2": (
        lambda t, h: t.client.post(
            "/api/v1/sync/push",
            json={**_body(t, []), "schema_version": 2},
            headers={**t.headers, "Idempotency-Key": "b"},
        ),
        422,
    ),
    "mutations not a list": (
        lambda t, h: t.client.post(
            "/api/v1/sync/push",
            json={**_body(t, []), "mutations": {"a": 1}},
            headers={**t.headers, "Idempotency-Key": "c"},
        ),
        422,
    ),
    "mutation_id missing": (
        lambda t, h: t.push_raw(
            [{"entity": "visit", "op": "upsert", "id": str(uuid.uuid4()), "data": {}}]
        ),
        422,
    ),
    "mutation_id zero": (
        lambda t, h: t.push_raw([t.mutation("visit", uuid.uuid4(), visit_data(h), mutation_id=0)]),
        422,
    ),
    "mutation_id string": (
        lambda t, h: t.push_raw([{**t.mutation("visit", uuid.uuid4(), {}), "mutation_id": "7"}]),
        422,
    ),
    "mutation_id float": (
        lambda t, h: t.push_raw([{**t.mutation("visit", uuid.uuid4(), {}), "mutation_id": 7.5}]),
        422,
    ),
    "id not a uuid": (
        lambda t, h: t.push_raw([{**t.mutation("visit", uuid.uuid4(), {}), "id": "visit-1"}]),
        422,
    ),
    "data not an object": (
        lambda t, h: t.push_raw([{**t.mutation("visit", uuid.uuid4(), {}), "data": "visit"}]),
        422,
    ),
    "base_version string": (
        lambda t, h: t.push_raw([{**t.mutation("visit", uuid.uuid4(), {}), "base_version": "3"}]),
        422,
    ),
    "unknown envelope field": (
        lambda t, h: t.push_raw([{**t.mutation("visit", uuid.uuid4(), {}), "extra": 1}]),
        422,
    ),
    "5000 mutations": (
        lambda t, h: t.push_raw(
            [t.mutation("visit", uuid.uuid4(), visit_data(h)) for _ in range(5000)]
        ),
        413,
    ),
    "another device": (
        lambda t, h: t.client.post(
            "/api/v1/sync/push",
            json={**_body(t, []), "device_id": "stolen"},
            headers={**t.headers, "Idempotency-Key": "d"},
        ),
        403,
    ),
    "no idempotency key": (
        lambda t, h: t.client.post("/api/v1/sync/push", json=_body(t, []), headers=t.headers),
        422,
    ),
    "idempotency key too long": (lambda t, h: t.push_raw([], key="k" * 65), 422),
    # 3,000 levels inside one mutation's data was a RecursionError (500).
    "data nested 3000 deep": (
        lambda t, h: _raw(
            t,
            json.dumps(_body(t, [t.mutation("visit", uuid.uuid4(), {})]))
            .replace('"data": {}', '"data": ' + '{"a": ' * 3000 + "1" + "}" * 3000)
            .encode(),
        ),
        400,
    ),
    "integer of 5000 digits": (
        lambda t, h: _raw(
            t,
            json.dumps(_body(t, [t.mutation("visit", uuid.uuid4(), {})]))
            .replace('"data": {}', '"data": {"persons_met": ' + "7" * 5000 + "}")
            .encode(),
        ),
        400,
    ),
    "no token": (
        lambda t, h: t.client.post(
            "/api/v1/sync/push", json=_body(t, []), headers={"Idempotency-Key": "e"}
        ),
        401,
    ),
}


@pytest.mark.parametrize("case", sorted(REQUEST_CASES))
def test_unreadable_requests_get_the_error_shape(tablet, home, session, case):
    send, status = REQUEST_CASES[case]
    _shape(send(tablet, home), status)
    assert _visits(session) == 0


def _future(h):
    return visit_data(h, when=datetime.now(UTC) + timedelta(minutes=11))


# One bad mutation in a batch with good ones: it alone is rejected.
ITEM_CASES = {
    "unknown entity": (lambda t, h, o: t.mutation("payment", uuid.uuid4(), {}), "unknown_entity"),
    "unknown op": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h), op="delete"),
        "unknown_entity",
    ),
    "wrong type": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, urgent="very")),
        "invalid",
    ),
    "unknown outcome": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, outcome="maybe")),
        "invalid",
    ),
    "unknown field": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, mood="ok")),
        "invalid",
    ),
    "naive time": (
        lambda t, h, o: t.mutation(
            "visit", uuid.uuid4(), {**visit_data(h), "visited_at": "2026-11-01T10:00:00"}
        ),
        "invalid",
    ),
    "future beyond 10 minutes": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), _future(h)),
        "invalid",
    ),
    "draft pushed": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, status="draft")),
        "invalid",
    ),
    "id differs from data": (
        lambda t, h, o: t.mutation(
            "visit", uuid.uuid4(), {**visit_data(h), "id": str(uuid.uuid4())}
        ),
        "invalid",
    ),
    # Unknown, someone else's, another advisor's record: one refusal (no probing).
    "unknown household": (
        lambda t, h, o: t.mutation(
            "visit", uuid.uuid4(), {**visit_data(h), "household_id": str(uuid.uuid4())}
        ),
        "not_in_caseload",
    ),
    "outside the caseload": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(o)),
        "not_in_caseload",
    ),
    "NUL in notes": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, notes="a\x00b")),
        "invalid",
    ),
    "lone surrogate": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, notes="\ud800")),
        "invalid",
    ),
    "notes too long": (
        lambda t, h, o: t.mutation("visit", uuid.uuid4(), visit_data(h, notes="长" * 4001)),
        "invalid",
    ),
    "negative income": (
        lambda t, h, o: t.mutation(
            "visit", uuid.uuid4(), visit_data(h, estimated_monthly_income="-1.00")
        ),
        "invalid",
    ),
    "household without base_version": (
        lambda t, h, o: t.mutation("household", h.id, {"phone": "13800000000"}, op="update"),
        "invalid",
    ),
    "household field not editable": (
        lambda t, h, o: t.mutation(
            "household", h.id, {"head_name": "别人"}, op="update", base_version=1
        ),
        "invalid",
    ),
    "household bad phone": (
        lambda t, h, o: t.mutation(
            "household", h.id, {"phone": "call me"}, op="update", base_version=1
        ),
        "invalid",
    ),
    "someone else's household": (
        lambda t, h, o: t.mutation("household", o.id, {"notes": "x"}, op="update", base_version=1),
        "not_in_caseload",
    ),
    "interview without statement": (
        lambda t, h, o: t.mutation(
            "interview",
            uuid.uuid4(),
            {
                "household_id": str(h.id),
                "interviewed_at": datetime.now(UTC).isoformat(),
                "interviewee_role": "neighbour",
                "corroborates": "yes",
                "status": "submitted",
                "device_id": "x",
                "advisor_id": 1,
            },
        ),
        "invalid",
    ),
}


@pytest.mark.parametrize("case", sorted(ITEM_CASES))
def test_a_bad_mutation_never_blocks_the_good_ones(tablet, home, world, session, case):
    other = world.household("B1", advisor=world.adv_b)
    make, reason = ITEM_CASES[case]
    good_before = tablet.mutation("visit", uuid.uuid4(), visit_data(home))
    bad = make(tablet, home, other)
    good_after = tablet.mutation("visit", uuid.uuid4(), visit_data(home))
    results = tablet.push([good_before, bad, good_after])
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["reason"] == reason and results[1]["message"]
    assert _visits(session) == 2


def test_an_approved_record_cannot_be_edited(tablet, home, client, token_of, world):
    vid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", vid, visit_data(home))])
    client.post(f"/api/v1/visits/{vid}/approve", headers=token_of(world.sup_a))
    edit = tablet.mutation("visit", vid, visit_data(home, notes="事后修改"))
    good = tablet.mutation("visit", uuid.uuid4(), visit_data(home))
    assert [r.get("reason") for r in tablet.push([edit, good])] == ["locked", None]


def test_a_replayed_batch_changes_nothing(tablet, home, session):
    batch = [tablet.mutation("visit", uuid.uuid4(), visit_data(home)) for _ in range(5)]
    first = tablet.push(batch)
    again = tablet.push(batch)
    assert {r["status"] for r in again} == {"duplicate"}
    assert [r["version"] for r in again] == [r["version"] for r in first]
    assert _visits(session) == 5


def test_someone_elses_mutation_ids_are_their_own(world, client, home, session):
    """High-water marks are per device: one tablet's ids never shadow another's."""
    one, two = Tablet(client, world.adv_a, "one"), Tablet(client, world.adv_a, "two")
    one.push([one.mutation("visit", uuid.uuid4(), visit_data(home))])
    [result] = two.push([two.mutation("visit", uuid.uuid4(), visit_data(home))])
    assert result["status"] == "applied" and _visits(session) == 2


def test_everything_out_of_reach_gets_one_identical_refusal(world, client, tablet, home):
    other = world.household("B1", advisor=world.adv_b)
    theirs = Tablet(client, world.adv_b)
    their_visit = uuid.uuid4()
    assert (
        theirs.push([theirs.mutation("visit", their_visit, visit_data(other))])[0]["status"]
        == "applied"
    )
    results = tablet.push(
        [
            # a household that does not exist
            tablet.mutation(
                "visit", uuid.uuid4(), {**visit_data(home), "household_id": str(uuid.uuid4())}
            ),
            # a household in another advisor's caseload
            tablet.mutation("visit", uuid.uuid4(), visit_data(other)),
            # another advisor's record, "corrected" from this tablet
            tablet.mutation("visit", their_visit, visit_data(home)),
            # updating a household outside the caseload, or one that does not exist
            tablet.mutation("household", other.id, {"notes": "x"}, op="update", base_version=1),
            tablet.mutation("household", uuid.uuid4(), {"notes": "x"}, op="update", base_version=1),
        ]
    )
    answers = [{k: v for k, v in r.items() if k != "mutation_id"} for r in results]
    assert answers[0]["status"] == "rejected" and answers[0]["reason"] == "not_in_caseload"
    assert all(answer == answers[0] for answer in answers), answers


def _reordered(tablet, home):
    """201, 202, 204, 203: 203 comes after the mark moved past it."""
    first = [
        tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=n) for n in (201, 202)
    ]
    later = tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=204)
    left = tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=203)
    return first + [later], left, 204


def _reused(tablet, home):
    """A used id sent again with other content."""
    used = tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=7)
    other = tablet.mutation("visit", uuid.uuid4(), visit_data(home, notes="另一条"), mutation_id=7)
    return [used], other, 7


def _restored(tablet, home):
    """A store restored from an old copy: ids 4–6 went out before under other visits."""
    lost = [
        tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=n) for n in (4, 5, 6)
    ]
    again = tablet.mutation("visit", uuid.uuid4(), visit_data(home), mutation_id=4)
    return lost, again, 6


# A mutation id the server has seen for something else: refused with the mark, never stored,
# never "duplicate" (the tablet renumbers it; see tests/e2e/test_recovery.py).
ID_CASES = {
    "reordered batch": (_reordered, "stale_mutation_id"),
    "reused id, other content": (_reused, "mutation_id_reused"),
    "restored store": (_restored, "mutation_id_reused"),
}


@pytest.mark.parametrize("case", sorted(ID_CASES))
def test_a_seen_mutation_id_is_never_acknowledged_for_other_content(tablet, home, session, case):
    build, reason = ID_CASES[case]
    before, hostile, mark = build(tablet, home)
    assert {r["status"] for r in tablet.push(before)} == {"applied"}
    answer = tablet.push([hostile])[0]
    assert (answer["status"], answer["reason"], answer["high_water"]) == ("rejected", reason, mark)
    assert _visits(session) == len(before)  # nothing stored for it
