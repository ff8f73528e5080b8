"""Push: exactly-once mutations, per-item answers, merges, and the workflow's locks."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Device, Visit
from tests.factories import interview_data, visit_data
from tests.server.sync_helpers import Tablet


@pytest.fixture
def home(world):
    return world.household("A1", advisor=world.adv_a)


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def visits(session) -> int:
    return session.scalar(select(func.count()).select_from(Visit))


def test_a_pushed_visit_is_applied_once_with_its_version(tablet, home, session, world):
    vid = uuid.uuid4()
    [result] = tablet.push([tablet.mutation("visit", vid, visit_data(home))])
    assert result["status"] == "applied" and result["mutation_id"] == 1
    stored = session.get(Visit, vid)
    assert stored.version == result["version"] > 0
    assert stored.advisor_id == world.adv_a.id  # from the token, not the body
    assert stored.device_id == tablet.device_id and stored.status == "submitted"
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity_id == str(vid)))
    assert event.action == "sync_create" and event.device_id == tablet.device_id


def test_a_replayed_mutation_is_a_duplicate_with_the_same_version(tablet, home, session):
    mutation = tablet.mutation("visit", uuid.uuid4(), visit_data(home))
    [first] = tablet.push([mutation])
    # The response was lost; the tablet retries with a new request (new key).
    [again] = tablet.push([mutation])
    assert again == {**first, "status": "duplicate"}
    assert visits(session) == 1


def test_the_same_idempotency_key_replays_the_first_response(tablet, home, session):
    mutation = tablet.mutation("visit", uuid.uuid4(), visit_data(home))
    first = tablet.push_raw([mutation], key="k-1")
    second = tablet.push_raw([mutation], key="k-1")
    assert second.get_json() == first.get_json()
    other = tablet.push_raw([tablet.mutation("visit", uuid.uuid4(), visit_data(home))], key="k-1")
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]["headers"]
    assert visits(session) == 1


def test_bad_items_are_rejected_and_good_ones_beside_them_applied(tablet, home, world, session):
    stranger = world.household("B1", advisor=world.adv_b)
    future = datetime.now(UTC) + timedelta(hours=1)
    batch = [
        tablet.mutation("visit", uuid.uuid4(), visit_data(home)),
        tablet.mutation("spaceship", uuid.uuid4(), {}),
        tablet.mutation("visit", uuid.uuid4(), visit_data(home, outcome="abducted")),
        tablet.mutation("visit", uuid.uuid4(), visit_data(home, status="draft")),
        tablet.mutation("visit", uuid.uuid4(), visit_data(home, when=future)),
        tablet.mutation("visit", uuid.uuid4(), visit_data(stranger)),
        tablet.mutation("visit", uuid.uuid4(), visit_data(home, surprise=1)),
        tablet.mutation("household", home.id, {"phone": "123"}, op="delete"),
        tablet.mutation("interview", uuid.uuid4(), interview_data(home)),
    ]
    results = tablet.push(batch)
    assert [r["status"] for r in results] == ["applied"] + ["rejected"] * 7 + ["applied"]
    reasons = [r.get("reason") for r in results]
    assert reasons[1:8] == [
        "unknown_entity",
        "invalid",
        "invalid",
        "invalid",
        "not_in_caseload",
        "invalid",
        "unknown_entity",
    ]
    assert "outcome" in results[2]["errors"] and "visited_at" in results[4]["errors"]
    assert "surprise" in results[6]["errors"]
    assert visits(session) == 1
    # A refusal is final: the same mutation again gets the same answer.
    assert tablet.push([batch[2]])[0]["reason"] == "invalid"


def test_corrections_follow_the_workflow(tablet, home, world, client, session, token_of):
    vid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", vid, visit_data(home, notes="初稿"))])
    [waiting] = tablet.push([tablet.mutation("visit", vid, visit_data(home, notes="改"))])
    assert waiting["status"] == "rejected" and waiting["reason"] == "under_review"
    supervisor = token_of(world.sup_a)
    returned = client.post(
        f"/api/v1/visits/{vid}/return", json={"comment": "请补充收入"}, headers=supervisor
    )
    assert returned.status_code == 200 and returned.get_json()["status"] == "returned"
    [fixed] = tablet.push(
        [
            tablet.mutation(
                "visit",
                vid,
                visit_data(
                    home, notes="已补充", estimated_monthly_income="1800.50", status="resubmitted"
                ),
            )
        ]
    )
    assert fixed["status"] == "applied"
    session.expire_all()
    assert session.get(Visit, vid).status == "resubmitted"
    assert client.post(f"/api/v1/visits/{vid}/approve", headers=supervisor).status_code == 200
    [locked] = tablet.push([tablet.mutation("visit", vid, visit_data(home))])
    assert locked["reason"] == "locked"


def test_household_fields_merge_per_field_and_conflicts_keep_the_server_value(
    tablet, home, client, world, token_of, session
):
    base = home.version
    # Meanwhile at the street office, the phone number is corrected.
    client.patch(
        f"/api/v1/households/{home.id}",
        json={"phone": "020-88880000"},
        headers=token_of(world.sup_a),
    )
    [result] = tablet.push(
        [
            tablet.mutation(
                "household",
                home.id,
                {"phone": "13900001111", "notes": "三楼东户"},
                op="update",
                base_version=base,
            )
        ]
    )
    assert result["status"] == "conflict" and result["fields"] == ["phone"]
    assert result["server"]["phone"] == "020-88880000"
    session.expire_all()
    assert home.phone == "020-88880000" and home.notes == "三楼东户"
    # With the current version as base, the advisor's value goes through.
    [again] = tablet.push(
        [
            tablet.mutation(
                "household",
                home.id,
                {"phone": "13900001111"},
                op="update",
                base_version=result["version"],
            )
        ]
    )
    assert again["status"] == "applied"


def test_a_visit_made_before_the_household_left_the_caseload_is_kept_and_flagged(
    tablet, home, client, world, token_of, session
):
    made = datetime.now(UTC) - timedelta(minutes=5)
    successor = world.user("advisor", world.street_a)
    response = client.patch(
        f"/api/v1/households/{home.id}",
        json={"assigned_advisor_id": successor.id},
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 200, response.get_json()
    vid = uuid.uuid4()
    [result] = tablet.push([tablet.mutation("visit", vid, visit_data(home, when=made))])
    assert result["status"] == "applied"
    assert session.get(Visit, vid).flag == "left_caseload"
    # Once the tablet has pulled the move (its next pull's cursor says so), a visit dated
    # after that is not the advisor's to make.
    tablet.pull()
    tablet.pull()
    [late] = tablet.push(
        [tablet.mutation("visit", uuid.uuid4(), visit_data(home, when=datetime.now(UTC)))]
    )
    assert late["reason"] == "not_in_caseload"


def test_push_checks_the_device_and_the_batch_size(tablet, home):
    mutation = tablet.mutation("visit", uuid.uuid4(), visit_data(home))
    body = {"device_id": "someone-else", "schema_version": 1, "mutations": [mutation]}
    wrong = tablet.client.post(
        "/api/v1/sync/push", json=body, headers={**tablet.headers, "Idempotency-Key": "x"}
    )
    assert wrong.status_code == 403
    many = [tablet.mutation("visit", uuid.uuid4(), visit_data(home)) for _ in range(1001)]
    assert tablet.push_raw(many).status_code == 413
    assert tablet.push_raw([mutation], key=None).status_code == 200
    no_key = tablet.client.post(
        "/api/v1/sync/push",
        headers=tablet.headers,
        json={"device_id": tablet.device_id, "schema_version": 1, "mutations": []},
    )
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.get_json()["errors"]["headers"]


def _gzip_push(tablet, payload: bytes):
    return tablet.client.post(
        "/api/v1/sync/push",
        data=payload,
        headers={
            **tablet.headers,
            "Idempotency-Key": uuid.uuid4().hex,
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )


def test_gzip_bodies_are_accepted_and_bombs_refused(tablet, home, app, session):
    body = {
        "device_id": tablet.device_id,
        "schema_version": 1,
        "mutations": [tablet.mutation("visit", uuid.uuid4(), visit_data(home))],
    }
    ok = _gzip_push(tablet, gzip.compress(json.dumps(body).encode()))
    assert ok.status_code == 200 and ok.get_json()["results"][0]["status"] == "applied"
    bomb = gzip.compress(b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10) + b"}")
    assert len(bomb) < 20_000
    refused = _gzip_push(tablet, bomb)
    assert refused.status_code == 413 and refused.get_json()["code"] == 413
    garbage = _gzip_push(tablet, b"not gzip at all")
    assert garbage.status_code == 400
    assert visits(session) == 1


def test_large_responses_are_gzip_compressed_when_asked(tablet, home, client):
    for _ in range(30):
        tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(home))])
    response = client.get(
        "/api/v1/sync/pull", headers={**tablet.headers, "Accept-Encoding": "gzip"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["changes"]


def test_device_reports_are_stored(tablet, home, session, world):
    tablet.client.get(
        "/api/v1/sync/pull",
        headers={
            **tablet.headers,
            "X-Pending-Count": "7",
            "X-Oldest-Pending-At": "2026-11-20T09:00:00+08:00",
        },
    )
    device = session.scalar(
        select(Device).where(Device.device_id == tablet.device_id, Device.revoked_at.is_(None))
    )
    session.refresh(device)
    assert device.pending_count == 7
    assert device.oldest_pending_at == datetime(2026, 11, 20, 1, tzinfo=UTC)


def test_only_advisors_sync(world, client, token_of):
    response = client.get("/api/v1/sync/pull", headers=token_of(world.sup_a))
    assert response.status_code == 403


def test_a_row_the_database_refuses_falls_back_to_one_savepoint_each(
    tablet, home, session, monkeypatch, caplog
):
    from server.services.sync import apply

    real = apply._columns

    def sabotage(model, data):
        values = real(model, data)
        if data.get("notes") == "boom":
            values["outcome"] = "exploded"  # slips past the checks; the CHECK refuses it
        return values

    monkeypatch.setattr(apply, "_columns", sabotage)
    batch = [
        tablet.mutation("visit", uuid.uuid4(), visit_data(home)),
        tablet.mutation("visit", uuid.uuid4(), visit_data(home, notes="boom")),
        tablet.mutation("visit", uuid.uuid4(), visit_data(home)),
    ]
    results = tablet.push(batch)
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "one mutation at a time" in caplog.text
    assert visits(session) == 2
    # The high-water mark still moved past all three: a replay answers the same way.
    assert [r["status"] for r in tablet.push(batch)] == ["duplicate", "rejected", "duplicate"]
