"""Pull: commit-ordered pages, partial replication by caseload, bundles and tombstones."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.models import Warning
from tests.factories import interview_data, visit_data
from tests.server.sync_helpers import Tablet


def by_entity(changes) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in changes:
        if not c["deleted"]:
            out.setdefault(c["entity"], set()).add(c["id"])
    return out


@pytest.fixture
def homes(world, session):
    """adv_a holds two households (one with a long history); adv_b holds one."""
    mine = world.household(
        "A1", advisor=world.adv_a, persons=[world.person_data(), world.person_data(male=False)]
    )
    other_mine = world.household("A2", advisor=world.adv_a)
    theirs = world.household("B1", advisor=world.adv_b)
    session.add(
        Warning(
            household_id=mine.id,
            source="platform",
            kind="income_drop",
            level="yellow",
            street_id=world.street_a.id,
            message="收入下降",
        )
    )
    session.add(
        Warning(
            household_id=mine.id,
            source="platform",
            kind="job_loss",
            level="blue",
            status="closed",
            street_id=world.street_a.id,
        )
    )
    session.commit()
    return {"mine": mine, "other_mine": other_mine, "theirs": theirs}


def history(client, world, household, n: int):
    """n visits and n interviews by a colleague's tablet, oldest first."""
    colleague = Tablet(client, world.adv_a, device_id="history")
    start = datetime.now(UTC) - timedelta(days=n + 1)
    ids = []
    for i in range(n):
        vid = uuid.uuid4()
        ids.append(vid)
        colleague.push(
            [
                colleague.mutation("visit", vid, visit_data(household, when=start + timedelta(i))),
                colleague.mutation("interview", uuid.uuid4(), interview_data(household)),
            ]
        )
    return ids


def test_first_pull_brings_the_caseload_bundle_and_nothing_else(world, homes, client):
    visit_ids = history(client, world, homes["mine"], 15)
    tablet = Tablet(client, world.adv_a)
    got = by_entity(tablet.pull())
    assert got["household"] == {str(homes["mine"].id), str(homes["other_mine"].id)}
    assert got["person"] == {str(p.id) for h in ("mine", "other_mine") for p in homes[h].persons}
    # Only the latest 12 of the 15 visits and interviews come with the bundle.
    assert got["visit"] == {str(v) for v in visit_ids[-12:]}
    assert len(got["interview"]) == 12
    assert len(got["warning"]) == 1  # the open one
    assert str(homes["theirs"].id) not in got["household"]


def test_id_numbers_reach_tablets_masked(world, homes, client):
    changes = Tablet(client, world.adv_a).pull()
    person = next(c for c in changes if c["entity"] == "person")
    assert "*" * 10 in person["data"]["id_number"]


def test_pages_of_any_size_give_the_same_changes_in_order(world, homes, client):
    history(client, world, homes["mine"], 5)
    whole = Tablet(client, world.adv_a).pull(limit=2000)
    small = Tablet(client, world.adv_a)
    paged, pages = [], 0
    while True:
        page = small.pull_page(limit=3)
        paged.extend(page["changes"])
        small.cursor, pages = page["cursor"], pages + 1
        assert len(page["changes"]) <= 3
        if not page["has_more"]:
            break
    assert pages > 3
    # Every page of a run agrees on what is a bundle, so pages add up to one big page.
    assert [(c["entity"], c["id"], c["version"]) for c in paged] == [
        (c["entity"], c["id"], c["version"]) for c in whole
    ]


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_each_page_says_how_many_changes_of_its_run_remain(world, homes, client, limit):
    """received + remaining is the run's total on every page (the tablet's "n / total")."""
    total = len(Tablet(client, world.adv_a).pull(limit=2000))
    tablet, received = Tablet(client, world.adv_a), 0
    while True:
        page = tablet.pull_page(limit=limit)
        received += len(page["changes"])
        tablet.cursor = page["cursor"]
        assert received + page["remaining"] == total
        if not page["has_more"]:
            break
    assert page["remaining"] == 0
    history(client, world, homes["other_mine"], 1)  # an incremental run has its own total
    page = tablet.pull_page(limit=1)
    assert page["has_more"] and page["remaining"] == 1, page


def test_an_incremental_pull_brings_only_what_changed(world, homes, client):
    tablet = Tablet(client, world.adv_a)
    tablet.pull()
    assert tablet.pull() == []
    history(client, world, homes["other_mine"], 1)
    changes = tablet.pull()
    assert {c["entity"] for c in changes} == {"visit", "interview"}
    assert tablet.pull() == []


def test_review_outcomes_reach_the_tablet(world, homes, client, token_of):
    tablet = Tablet(client, world.adv_a)
    vid = uuid.uuid4()
    tablet.push([tablet.mutation("visit", vid, visit_data(homes["mine"]))])
    tablet.pull()
    client.post(
        f"/api/v1/visits/{vid}/return",
        json={"comment": "缺少收入情况"},
        headers=token_of(world.sup_a),
    )
    [change] = tablet.pull()
    assert change["id"] == str(vid)
    assert change["data"]["status"] == "returned"
    assert change["data"]["review_comment"] == "缺少收入情况"


def test_reassignment_sends_a_tombstone_to_one_and_the_bundle_to_the_other(
    world, homes, client, token_of
):
    history(client, world, homes["mine"], 2)
    # The successor works in the same street: an assignee must (issue 11).
    successor = world.user("advisor", world.street_a)
    old, new = Tablet(client, world.adv_a), Tablet(client, successor)
    old.pull()
    new.pull()
    response = client.patch(
        f"/api/v1/households/{homes['mine'].id}",
        json={"assigned_advisor_id": successor.id},
        headers=token_of(world.sup_a),
    )
    assert response.status_code == 200
    [tombstone] = [c for c in old.pull() if c["deleted"]]
    assert tombstone == {
        **tombstone,
        "entity": "household",
        "id": str(homes["mine"].id),
        "reason": "unassigned",
        "data": None,
    }
    got = by_entity(new.pull())
    assert str(homes["mine"].id) in got["household"]
    assert len(got["visit"]) == 2 and len(got["person"]) == 2


def test_a_deleted_member_arrives_as_a_tombstone(world, homes, client, session):
    tablet = Tablet(client, world.adv_a)
    tablet.pull()
    person = homes["mine"].persons[1]
    session.delete(person)
    session.commit()
    [change] = tablet.pull()
    assert (change["entity"], change["id"], change["deleted"], change["reason"]) == (
        "person",
        str(person.id),
        True,
        "deleted",
    )


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "eyJ2IjogLTF9",
        "e30",
        "W10",
        # int(Infinity) raised OverflowError: a 500 before the cursor decoder used jsonguard.
        _cursor('{"v": Infinity}'),
        _cursor('{"v": 5, "r": Infinity, "i": "' + "0" * 32 + '", "b": 0}'),
        _cursor('{"v": NaN}'),
        _cursor('{"v": ' + "9" * 5000 + "}"),
    ],
)
def test_a_cursor_the_server_did_not_issue_is_a_422(world, client, cursor):
    tablet = Tablet(client, world.adv_a)
    response = client.get(
        "/api/v1/sync/pull", headers=tablet.headers, query_string={"cursor": cursor}
    )
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]["query"]


def test_a_pulled_household_names_its_streets_and_communities(world, client):
    home = world.household("A1", residence="B2", advisor=world.adv_a)
    [change] = [c for c in Tablet(client, world.adv_a).pull() if c["entity"] == "household"]

    assert change["id"] == str(home.id)
    names = {k: v for k, v in change["data"].items() if k.endswith("_name") and k != "head_name"}
    assert names == {
        "registration_street_name": "甲街道",
        "registration_community_name": "A1社区",
        "residence_street_name": "乙街道",
        "residence_community_name": "B2社区",
    }
