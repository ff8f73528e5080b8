"""The household read API and enrolment, under every role's scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Household, Person
from tests.server import idnumbers


@pytest.fixture
def homes(world):
    """Four households; two live away from their registration street (人户分离)."""
    return {
        "h1": world.household("A1", "A1", world.adv_a),
        "h2": world.household("A2", "B1", world.adv_b),
        "h3": world.household("B1", "B2", world.adv_b),
        "h4": world.household("B2", "A1", None),
    }


VISIBLE = {
    "admin": {"h1", "h2", "h3", "h4"},
    "sup_district": {"h1", "h2", "h3", "h4"},
    "sup_a": {"h1", "h2", "h4"},
    "sup_b": {"h2", "h3", "h4"},
    "adv_a": {"h1"},
    "adv_b": {"h2", "h3"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_lists_exactly_its_scope(world, homes, client, token_of, who):
    response = client.get("/api/v1/households", headers=token_of(getattr(world, who)))
    assert response.status_code == 200
    ids = {item["id"] for item in response.get_json()["items"]}
    assert ids == {str(homes[k].id) for k in VISIBLE[who]}
    assert response.get_json()["total"] == len(VISIBLE[who])


@pytest.mark.parametrize("who", sorted(VISIBLE))
@pytest.mark.parametrize("home", ["h1", "h2", "h3", "h4"])
def test_detail_is_visible_inside_scope_and_404_outside(world, homes, client, token_of, who, home):
    response = client.get(
        f"/api/v1/households/{homes[home].id}", headers=token_of(getattr(world, who))
    )
    if home in VISIBLE[who]:
        assert response.status_code == 200
        assert response.get_json()["external_id"] == homes[home].external_id
    else:
        assert response.status_code == 404
        assert response.get_json()["code"] == 404


def test_separated_household_is_flagged_and_filterable(world, homes, client, token_of):
    headers = token_of(world.admin)
    body = client.get("/api/v1/households?separated=true", headers=headers).get_json()
    # h3 moved between communities of one street: that is not 人户分离.
    assert {i["id"] for i in body["items"]} == {str(homes["h2"].id), str(homes["h4"].id)}
    assert all(i["separated"] for i in body["items"])
    body = client.get("/api/v1/households?separated=false", headers=headers).get_json()
    assert {i["id"] for i in body["items"]} == {str(homes["h1"].id), str(homes["h3"].id)}
    assert not any(i["separated"] for i in body["items"])


def test_street_filter_matches_registration_or_residence(world, homes, client, token_of):
    url = f"/api/v1/households?street={world.street_b.id}"
    body = client.get(url, headers=token_of(world.sup_b)).get_json()
    assert body["total"] == 3


def test_filter_outside_scope_is_403(world, homes, client, token_of):
    response = client.get(
        f"/api/v1/households?street={world.street_a.id}", headers=token_of(world.sup_b)
    )
    assert response.status_code == 403
    assert "street" in response.get_json()["errors"]


def test_community_filter_and_search_and_paging(world, homes, client, token_of):
    headers = token_of(world.admin)
    community = world.community["A1"].id
    body = client.get(f"/api/v1/households?community={community}", headers=headers).get_json()
    assert {i["id"] for i in body["items"]} == {str(homes["h1"].id), str(homes["h4"].id)}
    body = client.get(f"/api/v1/households?q={homes['h3'].head_name}", headers=headers).get_json()
    assert [i["id"] for i in body["items"]] == [str(homes["h3"].id)]
    page1 = client.get("/api/v1/households?page_size=3", headers=headers).get_json()
    page2 = client.get("/api/v1/households?page_size=3&page=2", headers=headers).get_json()
    assert len(page1["items"]) == 3 and len(page2["items"]) == 1
    assert page1["total"] == page2["total"] == 4


def test_id_numbers_are_masked_for_advisors_only(world, homes, client, token_of):
    full = homes["h1"].persons[0].id_number
    url = f"/api/v1/households/{homes['h1'].id}"
    advisor_view = client.get(url, headers=token_of(world.adv_a)).get_json()
    supervisor_view = client.get(url, headers=token_of(world.sup_a)).get_json()
    masked = advisor_view["persons"][0]["id_number"]
    assert masked == full[:4] + "*" * 10 + full[-4:]
    assert supervisor_view["persons"][0]["id_number"] == full


def _enrolment(world, **overrides):
    data = world.household_data("A1", "B1", world.adv_b)
    data["enrolled_on"] = data["enrolled_on"].isoformat()
    person = world.person_data()
    person["birth_date"] = person["birth_date"].isoformat()
    return {**data, "persons": [person], **overrides}


def test_supervisor_enrols_a_household_with_audit(world, client, token_of, session):
    body = _enrolment(world)
    response = client.post("/api/v1/households", json=body, headers=token_of(world.sup_a))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["visit_cycle"] == "quarterly"
    assert created["separated"] is True
    assert created["version"] > 0
    household = session.get(Household, uuid.UUID(created["id"]))
    assert household.persons[0].id_number == body["persons"][0]["id_number"]
    actions = session.execute(select(AuditEvent.entity, AuditEvent.action)).all()
    assert ("household", "create") in actions and ("person", "create") in actions
    person_event = session.scalar(select(AuditEvent).where(AuditEvent.entity == "person"))
    # The audit trail never holds an ID number.
    assert person_event.diff["id_number"] == ["***", "***"]


def test_advisors_cannot_enrol(world, client, token_of):
    response = client.post(
        "/api/v1/households", json=_enrolment(world), headers=token_of(world.adv_a)
    )
    assert response.status_code == 403


def _days_ahead(days: int) -> str:
    # Two days ahead is in the future in every time zone on Earth.
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def _bad_person(**changes):
    def patch(body):
        body["persons"][0].update(changes)

    return patch


BAD_ENROLMENTS = [
    ("unknown field", lambda b: b.update(favourite_colour="red"), "favourite_colour"),
    ("unknown category", lambda b: b.update(categories=["rich"]), "categories"),
    ("unknown level", lambda b: b.update(hardship_level="extreme"), "hardship_level"),
    ("duplicate category", lambda b: b.update(categories=["dibao", "dibao"]), "categories"),
    ("no category", lambda b: b.update(categories=[]), "categories"),
    ("wrong type", lambda b: b.update(registration_street_id="one"), "registration_street_id"),
    ("bad date", lambda b: b.update(enrolled_on="2025-02-30"), "enrolled_on"),
    ("visit_cycle is derived", lambda b: b.update(visit_cycle="monthly"), "visit_cycle"),
    ("no members", lambda b: b.update(persons=[]), "persons"),
    ("missing head name", lambda b: b.pop("head_name"), "head_name"),
    ("bad phone", lambda b: b.update(phone="call me"), "phone"),
    ("bad latitude", lambda b: b.update(location={"lat": 91, "lon": 0}), "location"),
    ("bad ID checksum", _bad_person(id_number="110101199003070000"), "persons"),
    ("ID too short", _bad_person(id_number="11010119900307"), "persons"),
    ("ID birth mismatch", _bad_person(birth_date="1970-01-01"), "persons"),
    ("ID gender mismatch", _bad_person(gender="female"), "persons"),
    ("unknown health", _bad_person(health="fine"), "persons"),
    ("enrolled in 2999", lambda b: b.update(enrolled_on="2999-01-01"), "enrolled_on"),
    ("enrolled in year 1", lambda b: b.update(enrolled_on="0001-01-01"), "enrolled_on"),
    ("enrolled tomorrow", lambda b: b.update(enrolled_on=_days_ahead(2)), "enrolled_on"),
    ("born in the future", _bad_person(id_number=None, birth_date=_days_ahead(2)), "persons"),
    ("born in year 1", _bad_person(id_number=None, birth_date="0001-01-01"), "persons"),
]


@pytest.mark.parametrize(
    ("case", "mutate", "field"), BAD_ENROLMENTS, ids=[c[0] for c in BAD_ENROLMENTS]
)
def test_bad_enrolments_get_field_errors_and_change_nothing(
    world, client, token_of, session, case, mutate, field
):
    body = _enrolment(world)
    mutate(body)
    response = client.post("/api/v1/households", json=body, headers=token_of(world.sup_a))
    assert response.status_code == 422, response.get_json()
    payload = response.get_json()
    assert set(payload) == {"code", "status", "message", "errors"}
    assert field in payload["errors"]["json"]
    assert session.scalar(select(Household.id)) is None
    assert session.scalar(select(Person.id)) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"registration_street_id": 999_999}, "registration_street_id"),
        ({"residence_community_id": 999_999}, "residence_community_id"),
        ({"assigned_advisor_id": 999_999}, "assigned_advisor_id"),
    ],
)
def test_enrolment_references_are_checked(world, client, token_of, change, field):
    response = client.post(
        "/api/v1/households", json=_enrolment(world, **change), headers=token_of(world.admin)
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_enrolment_outside_the_supervisors_area_is_refused(world, client, token_of):
    body = _enrolment(world)
    b2 = world.community["B2"]
    body.update(
        registration_street_id=b2.parent_id,
        registration_community_id=b2.id,
        residence_street_id=b2.parent_id,
        residence_community_id=b2.id,
    )
    response = client.post("/api/v1/households", json=body, headers=token_of(world.sup_a))
    assert response.status_code == 422
    assert "registration_street_id" in response.get_json()["errors"]


def test_duplicate_household_number_is_refused(world, client, token_of):
    body = _enrolment(world)
    headers = token_of(world.admin)
    assert client.post("/api/v1/households", json=body, headers=headers).status_code == 201
    body["persons"][0]["id_number"] = idnumbers.make(world.person_data()["birth_date"])
    again = client.post("/api/v1/households", json=body, headers=headers)
    assert again.status_code == 422
    assert "external_id" in again.get_json()["errors"]


def test_search_treats_wildcards_as_characters(world, homes, client, token_of):
    headers = token_of(world.admin)
    assert client.get("/api/v1/households?q=%25", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/households?q=_", headers=headers).get_json()["total"] == 0


def test_full_width_id_digits_are_stored_as_ascii(world, client, token_of, session):
    body = _enrolment(world)
    ascii_number = body["persons"][0]["id_number"]
    body["persons"][0]["id_number"] = ascii_number.translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
    )
    response = client.post("/api/v1/households", json=body, headers=token_of(world.admin))
    assert response.status_code == 201, response.get_json()
    assert session.scalar(select(Person.id_number)) == ascii_number


def test_one_person_cannot_be_enrolled_in_two_active_households(world, client, token_of, session):
    # The first household is in street B only, outside sup_a's scope.
    first = world.household("B1", "B2", world.adv_b)
    number = first.persons[0].id_number
    body = _enrolment(world)
    body["persons"][0].update(id_number=number, birth_date="1960-05-01", gender="male")
    response = client.post("/api/v1/households", json=body, headers=token_of(world.sup_a))
    assert response.status_code == 422
    payload = response.get_json()
    message = payload["errors"]["persons"]["0"]["id_number"][0]
    assert "already a member of an active household" in message
    # Nothing about the other household (outside the caller's scope) is revealed.
    text = response.get_data(as_text=True)
    for secret in (first.external_id, first.head_name, str(first.id), "乙街道", "B1"):
        assert secret not in text
    assert session.scalar(select(func.count()).select_from(Household)) == 1
    # Once that household is closed, the person may be enrolled elsewhere.
    first.status = "closed"
    session.commit()
    again = client.post("/api/v1/households", json=body, headers=token_of(world.sup_a))
    assert again.status_code == 201, again.get_json()


def test_the_same_id_number_twice_in_one_enrolment_is_refused(world, client, token_of):
    body = _enrolment(world)
    body["persons"].append({**body["persons"][0], "relation": "spouse"})
    response = client.post("/api/v1/households", json=body, headers=token_of(world.admin))
    assert response.status_code == 422
    assert "twice" in response.get_json()["errors"]["persons"]["1"]["id_number"][0]


def test_an_assignee_must_work_in_one_of_the_households_streets(
    world, homes, client, token_of, session
):
    headers = token_of(world.sup_a)
    # h1 is registered and lives in street A: street B's advisor is refused...
    response = client.patch(
        f"/api/v1/households/{homes['h1'].id}",
        json={"assigned_advisor_id": world.adv_b.id},
        headers=headers,
    )
    assert response.status_code == 422
    assert "assigned_advisor_id" in response.get_json()["errors"]
    session.refresh(homes["h1"])
    assert homes["h1"].assigned_advisor_id == world.adv_a.id
    # ...and street B never sees it.
    seen = client.get("/api/v1/households", headers=token_of(world.sup_b)).get_json()
    assert str(homes["h1"].id) not in {h["id"] for h in seen["items"]}
    # Enrolling with another street's advisor is refused too.
    body = _enrolment(world)
    a1 = world.community["A1"]
    body.update(residence_street_id=a1.parent_id, residence_community_id=a1.id)
    response = client.post("/api/v1/households", json=body, headers=headers)
    assert response.status_code == 422
    assert "assigned_advisor_id" in response.get_json()["errors"]
    # A 人户分离 household (h4: registered in B, living in A) may go to either street.
    for advisor in (world.adv_a, world.adv_b):
        response = client.patch(
            f"/api/v1/households/{homes['h4'].id}",
            json={"assigned_advisor_id": advisor.id},
            headers=token_of(world.admin),
        )
        assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("body", [None, {}])
@pytest.mark.parametrize("target", ["household", "person"])
def test_a_patch_without_changes_is_refused(world, homes, client, token_of, body, target):
    household = homes["h1"]
    url = f"/api/v1/households/{household.id}"
    if target == "person":
        url += f"/persons/{household.persons[0].id}"
    kwargs = {"json": body} if body is not None else {}
    response = client.patch(url, headers=token_of(world.sup_a), **kwargs)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["_schema"]
