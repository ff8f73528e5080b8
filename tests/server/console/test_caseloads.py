"""The caseload, handover and lead pages through the test client: preview, confirm, field
errors beside the fields, and each role inside and outside its scope."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Household, Lead
from server.services.core.transaction import unit_of_work
from tests.server import idnumbers
from tests.server.sync_helpers import Tablet
from tests.server.test_leads import push_lead


@pytest.fixture
def moving(world):
    """Advisor A's caseload (two of street A, one 人户分离 living in B) and a second
    advisor of street A."""
    world.adv_a2 = world.user("advisor", world.street_a)
    world.adv_a2.display_name = "新顾问"
    homes = [world.household("A1", advisor=world.adv_a), world.household("A2", advisor=world.adv_a)]
    homes.append(world.household("A1", "B1", advisor=world.adv_a))
    return homes


def _preview_url(world, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/console/caseloads/preview?{query}"


def test_preview_then_confirm_moves_the_caseload(world, moving, console, client, session):
    tablet = Tablet(client, world.adv_a, device_id="old-tablet")
    tablet.client.get(
        "/api/v1/sync/pull",
        headers={**tablet.headers, "X-Pending-Count": "2"},
        query_string={"cursor": "", "limit": 10},
    )
    c = console.as_user(world.sup_a)
    assert c.get("/console/caseloads").status_code == 200
    url = _preview_url(world, kind="advisor", advisor=world.adv_a.id, to_advisor=world.adv_a2.id)
    page = c.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="moving">3<' in text and 'id="unsent">2<' in text and "old-tablet" in text
    assert "仍会被接收" in text
    assert (
        session.scalar(select(Household.assigned_advisor_id).where(Household.id == moving[0].id))
        == world.adv_a.id
    )

    data = {
        "kind": "advisor",
        "source": world.adv_a.id,
        "to_advisor": world.adv_a2.id,
        "expected": 3,
    }
    response = c.post("/console/caseloads/move", data)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/console/caseloads/handovers"
    )
    session.expire_all()
    holders = set(session.scalars(select(Household.assigned_advisor_id)))
    assert holders == {world.adv_a2.id}
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "reassign")) is not None
    view = c.get("/console/caseloads/handovers").get_data(as_text=True)
    assert "old-tablet" in view and "仍有未上传记录" in view


def test_a_stale_preview_is_not_confirmed(world, moving, console, session):
    c = console.as_user(world.sup_a)
    data = {
        "kind": "advisor",
        "source": world.adv_a.id,
        "to_advisor": world.adv_a2.id,
        "expected": 2,
    }
    response = c.post("/console/caseloads/move", data)
    assert (
        response.status_code == 302 and "/console/caseloads/preview" in response.headers["Location"]
    )
    assert set(session.scalars(select(Household.assigned_advisor_id))) == {world.adv_a.id}


@pytest.mark.parametrize(
    "args, field_message",
    [
        (
            lambda w: {"kind": "advisor", "advisor": w.adv_a.id, "to_advisor": w.adv_b.id},
            "没有此救助顾问",
        ),
        (
            lambda w: {"kind": "advisor", "advisor": "", "to_advisor": w.adv_a2.id},
            "请选择要移交的对象",
        ),
        (
            lambda w: {"kind": "advisor", "advisor": w.adv_a2.id, "to_advisor": w.adv_a.id},
            "没有可移交的家庭",
        ),
    ],
)
def test_a_bad_move_is_a_field_error_on_the_form(world, moving, console, args, field_message):
    c = console.as_user(world.sup_a)
    page = c.get(_preview_url(world, **args(world)))
    assert page.status_code == 422
    assert field_message in page.get_data(as_text=True)


def test_a_move_outside_the_area_cannot_be_previewed_or_confirmed(world, moving, console, session):
    c = console.as_user(world.sup_b)
    for args in (
        {"kind": "advisor", "advisor": world.adv_a.id},
        {"kind": "community", "community": world.community["A1"].id},
        {"kind": "household", "household": moving[0].external_id},
    ):
        assert c.get(_preview_url(world, **args, to_advisor=world.adv_b.id)).status_code == 404
    data = {
        "kind": "advisor",
        "source": world.adv_a.id,
        "to_advisor": world.adv_b.id,
        "expected": 3,
    }
    assert c.post("/console/caseloads/move", data).status_code == 404
    assert set(session.scalars(select(Household.assigned_advisor_id))) == {world.adv_a.id}


@pytest.fixture
def lead(world, client, session) -> Lead:
    lead_id = uuid.uuid4()
    assert push_lead(Tablet(client, world.adv_a), lead_id)["status"] == "applied"
    return session.get(Lead, lead_id)


def _lead_form(world, **extra) -> dict:
    return {
        "external_id": "LD0100",
        "categories": "tekun",
        "hardship_level": "high",
        "registration_community_id": world.community["A1"].id,
        "residence_community_id": "",
        "advisor_id": world.adv_a.id,
        "id_number": idnumbers.make(date(1948, 3, 2), False),
        "health": "chronic",
        "labour_capacity": "none",
        "employment": "not_applicable",
        **extra,
    }


def test_the_lead_queue_and_confirming_one(world, lead, console, session):
    c = console.as_user(world.sup_a)
    queue = c.get("/console/leads").get_data(as_text=True)
    assert "赵桂兰" in queue
    assert "赵桂兰" in c.get(f"/console/leads/{lead.id}").get_data(as_text=True)
    response = c.post(f"/console/leads/{lead.id}/confirm", _lead_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    stored = session.get(Lead, lead.id)
    assert stored.status == "confirmed"
    assert response.headers["Location"].endswith(f"/console/households/{stored.household_id}")
    assert "赵桂兰" not in c.get("/console/leads").get_data(as_text=True)


def test_a_duplicate_number_shows_beside_its_field(world, lead, console, session):
    taken = world.household("A2").external_id
    c = console.as_user(world.sup_a)
    page = c.post(f"/console/leads/{lead.id}/confirm", _lead_form(world, external_id=taken))
    assert page.status_code == 422
    assert "该编号的家庭已存在" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Lead, lead.id).status == "new"


def test_declining_a_lead(world, lead, console, session):
    c = console.as_user(world.sup_a)
    assert c.post(f"/console/leads/{lead.id}/decline", {"reason": ""}).status_code == 422
    response = c.post(f"/console/leads/{lead.id}/decline", {"reason": "已在册，重复上报"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Lead, lead.id).status == "dismissed"


def test_another_streets_leads_are_404(world, lead, console, session):
    c = console.as_user(world.sup_b)
    assert "赵桂兰" not in c.get("/console/leads").get_data(as_text=True)
    assert c.get(f"/console/leads/{lead.id}").status_code == 404
    assert c.post(f"/console/leads/{lead.id}/confirm", _lead_form(world)).status_code == 404
    assert c.post(f"/console/leads/{lead.id}/decline", {"reason": "不属实"}).status_code == 404
    session.expire_all()
    assert session.get(Lead, lead.id).status == "new"


# Street A's own things: what each console role may reach (street B's supervisor: 404).
REACHES_A = {"admin": 200, "sup_a": 200, "sup_b": 404, "sup_district": 200}


@pytest.mark.parametrize("who", sorted(REACHES_A))
def test_each_role_previews_and_opens_leads_in_its_scope(world, moving, lead, console, who):
    c = console.as_user(getattr(world, who))
    expected = REACHES_A[who]
    community = _preview_url(
        world, kind="community", community=world.community["A1"].id, to_advisor=world.adv_a2.id
    )
    assert c.get(community).status_code == expected
    assert c.get(f"/console/leads/{lead.id}").status_code == expected
    # The 人户分离 household lives in street B: its supervisor may move it to B's advisor;
    # street A's may not choose another street's advisor (a field error).
    split = _preview_url(
        world, kind="household", household=moving[2].external_id, to_advisor=world.adv_b.id
    )
    assert c.get(split).status_code == (422 if who == "sup_a" else 200)


@pytest.mark.parametrize("who", sorted(REACHES_A))
def test_each_role_moves_only_in_its_scope(world, moving, console, session, who):
    c = console.as_user(getattr(world, who))
    data = {
        "kind": "household",
        "source": moving[0].external_id,
        "to_advisor": world.adv_a2.id,
        "expected": 1,
    }
    response = c.post("/console/caseloads/move", data)
    assert response.status_code == (302 if REACHES_A[who] == 200 else 404)
    session.expire_all()
    holder = session.get(Household, moving[0].id).assigned_advisor_id
    assert holder == (world.adv_a2.id if REACHES_A[who] == 200 else world.adv_a.id)


def test_an_advisor_opens_none_of_these_pages(world, moving, lead, console, session):
    c = console.as_user(world.sup_a)
    with unit_of_work(session):
        world.sup_a.role = "advisor"
    url = _preview_url(world, kind="advisor", advisor=world.adv_a.id, to_advisor=world.adv_a2.id)
    for path in (
        "/console/caseloads",
        "/console/caseloads/handovers",
        "/console/leads",
        url,
        f"/console/leads/{lead.id}",
    ):
        assert c.get(path).status_code == 403, path
    assert c.post(f"/console/leads/{lead.id}/decline", {"reason": "不属实"}).status_code == 403
