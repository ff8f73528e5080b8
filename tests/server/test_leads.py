"""Leads (走访发现): pushed from a tablet into the street's queue, listed for supervisors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Household, Lead
from tests.factories import BEIJING
from tests.server.sync_helpers import Tablet

# Fixed for the run, so the same lead pushed twice is the very same data.
FOUND = (datetime.now(UTC) - timedelta(hours=1)).astimezone(BEIJING)


def lead_data(user, device_id: str, **extra) -> dict:
    """A lead as the tablet sends it."""
    return {
        "advisor_id": user.id,
        "device_id": device_id,
        "found_at": FOUND.isoformat(),
        "head_name": "赵桂兰",
        "residence_address": "幸福路 12 号 3 栋 201",
        "phone": "138 0000 1234",
        "observations": "独居老人，屋顶漏水，靠邻居接济。",
        "suggested_categories": ["tekun", "discovered"],
        **extra,
    }


@pytest.fixture
def tablet(world, client):
    return Tablet(client, world.adv_a)


def push_lead(tablet, lead_id=None, **extra) -> dict:
    data = lead_data(tablet.user, tablet.device_id, **extra)
    [result] = tablet.push([tablet.mutation("lead", lead_id or uuid.uuid4(), data)])
    return result


def test_a_pushed_lead_joins_the_advisors_street_queue_apart_from_households(
    tablet, session, world
):
    lead_id = uuid.uuid4()
    result = push_lead(tablet, lead_id)

    assert result["status"] == "applied" and result["version"] > 0
    lead = session.get(Lead, lead_id)
    assert (lead.street_id, lead.status, lead.advisor_id) == (
        world.street_a.id,
        "new",
        world.adv_a.id,
    )
    assert lead.suggested_categories == ["tekun", "discovered"]
    assert lead.head_name == "赵桂兰" and lead.device_id == tablet.device_id
    assert session.scalar(select(func.count()).select_from(Household)) == 0
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity_id == str(lead_id)))
    assert (event.action, event.entity, event.actor_id) == ("sync_create", "lead", world.adv_a.id)


def test_an_advisor_of_a_community_files_leads_under_its_street(client, session, world):
    advisor = world.user("advisor", world.community["B1"])
    tablet = Tablet(client, advisor)
    lead_id = uuid.uuid4()
    assert push_lead(tablet, lead_id)["status"] == "applied"
    assert session.get(Lead, lead_id).street_id == world.street_b.id


def test_the_same_lead_again_is_a_duplicate_and_another_under_its_id_is_refused(tablet, session):
    lead_id = uuid.uuid4()
    first = push_lead(tablet, lead_id)
    again = push_lead(tablet, lead_id)  # same content, a new mutation id
    changed = push_lead(tablet, lead_id, head_name="钱多多")

    assert again["status"] == "duplicate" and again["version"] == first["version"]
    assert changed["status"] == "rejected" and changed["reason"] == "locked"
    assert session.get(Lead, lead_id).head_name == "赵桂兰"
    assert session.scalar(select(func.count()).select_from(Lead)) == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"head_name": " "}, "head_name"),
        ({"observations": ""}, "observations"),
        ({"phone": "电话"}, "phone"),
        ({"suggested_categories": ["rich"]}, "suggested_categories"),
        ({"street_id": 99}, "street_id"),
        ({"status": "confirmed"}, "status"),
        ({"found_at": "2026-01-01T10:00:00"}, "found_at"),
        ({"found_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "found_at"),
    ],
)
def test_a_bad_lead_is_rejected_beside_its_field(tablet, session, extra, field):
    result = push_lead(tablet, **extra)
    assert result["status"] == "rejected" and result["reason"] == "invalid"
    assert field in result["errors"]
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_a_lead_delivered_for_an_earlier_advisor_keeps_its_author(client, session, world):
    earlier = Tablet(client, world.adv_a, device_id="tablet-shared")
    later = Tablet(client, world.user("advisor", world.street_a), device_id="tablet-shared")
    lead_id = uuid.uuid4()
    body = {
        "device_id": "tablet-shared",
        "schema_version": 1,
        "on_behalf_of": earlier.headers["Authorization"].split()[1],
        "mutations": [earlier.mutation("lead", lead_id, lead_data(world.adv_a, "tablet-shared"))],
    }
    headers = {**later.headers, "Idempotency-Key": "k-1"}
    response = client.post("/api/v1/sync/push", json=body, headers=headers)

    assert response.get_json()["results"][0]["status"] == "applied"
    lead = session.get(Lead, lead_id)
    assert lead.advisor_id == world.adv_a.id and lead.flag == "handed_over"


# ---------------------------------------------------------------------- the queue


def test_supervisors_see_their_streets_leads_and_admins_all(tablet, client, auth, world):
    push_lead(tablet)
    push_lead(Tablet(client, world.adv_b), head_name="孙小红")

    def names(user, **query):
        response = client.get("/api/v1/leads", headers=auth.headers(user), query_string=query)
        assert response.status_code == 200, response.get_json()
        return sorted(item["head_name"] for item in response.get_json()["items"])

    assert names(world.sup_a) == ["赵桂兰"]
    assert names(world.sup_b) == ["孙小红"]
    assert names(world.sup_district) == names(world.admin) == ["孙小红", "赵桂兰"]
    assert names(world.admin, status="confirmed") == []


def test_a_listed_lead_carries_what_the_advisor_saw(tablet, client, auth, world):
    push_lead(tablet)
    body = client.get("/api/v1/leads", headers=auth.headers(world.sup_a)).get_json()
    [item] = body["items"]
    assert body["total"] == 1 and body["page"] == 1
    assert item["street_id"] == world.street_a.id and item["status"] == "new"
    assert item["observations"].startswith("独居老人") and item["flag"] is None
    assert item["received_at"].endswith("+00:00")


@pytest.mark.parametrize("role", ["adv_a", "adv_b"])
def test_advisors_do_not_read_the_queue(client, auth, world, role):
    response = client.get("/api/v1/leads", headers=auth.headers(getattr(world, role)))
    assert response.status_code == 403


@pytest.mark.parametrize("query", [{"status": "open"}, {"page": 0}, {"stat": "new"}])
def test_a_bad_queue_query_is_refused(client, auth, world, query):
    response = client.get("/api/v1/leads", headers=auth.headers(world.sup_a), query_string=query)
    assert response.status_code == 422


def test_the_queue_needs_a_token(client):
    assert client.get("/api/v1/leads").status_code == 401
