"""Every console route, walked from the url_map with ids no database holds and text no
database stores, answers a page (4xx at worst), never a 500 — and stores no NUL."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from server.console.ids import IdConverter
from server.models import Base, Visit
from server.services.core.transaction import unit_of_work
from tests.factories import NOW, visit_row
from tests.server.console.conftest import Console

HUGE = "99999999999999999999"
ODD = ["\x00", "a\x00b", HUGE, "-1", "1" * 30]
# Names every page's forms and query strings use, besides those read off the pages.
EXTRA_NAMES = {"record", "next", "confirm", "page", "expected", "kind", "source", "to_advisor"}
# Ending the walker's own session would stop the walk.
SKIP = {"console.static", "console.sign_out"}
_ARG = re.compile(r"<(?:([a-z_]+)(?:\(([^)]*)\))?:)?([a-z_]+)>")
_NAME = re.compile(r'name="([^"]+)"')


@pytest.fixture
def things(world, session):
    """One row of each kind the paths name, so the walk reaches past the lookups."""
    home = world.household("A1", advisor=world.adv_a)
    with unit_of_work(session):
        visit = visit_row(home, NOW, status="submitted", advisor_id=world.adv_a.id)
        session.add(visit)
    return {"household_id": home.id, "record_id": visit.id, "lead_id": uuid.uuid4()}


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")]


def _paths(rule, things, ids) -> list[str]:
    """The rule's path with real values, and with each kind of odd one."""

    def fill(odd: bool):
        def one(match):
            converter, options, name = match.groups()
            if converter == "id":
                return HUGE if odd else str(ids.get(name, 1))
            if converter == "uuid":
                return str(uuid.uuid4()) if odd else str(things.get(name, uuid.uuid4()))
            if converter == "any":
                return options.split(",")[0].strip()
            return "%00" if odd else HUGE

        return _ARG.sub(one, rule.rule)

    return sorted({fill(False), fill(True)})


def _walk(app, console: Console, things, ids, names: set[str]) -> list[tuple]:
    failures = []
    for rule in _rules(app):
        if rule.endpoint in SKIP:
            continue
        for path in _paths(rule, things, ids):
            if "GET" in rule.methods:
                page = console.get(path)
                if page.mimetype == "text/html":
                    names |= set(_NAME.findall(page.get_data(as_text=True)))
                for value in ODD:
                    answer = console.get(path, query_string=dict.fromkeys(names, value))
                    if answer.status_code >= 500:
                        failures.append(("GET", path, repr(value), answer.status_code))
            if "POST" in rule.methods:
                for value in ODD:
                    data = dict.fromkeys(names - {"csrf_token"}, value)
                    answer = console.post(path, data)
                    if answer.status_code >= 500:
                        failures.append(("POST", path, repr(value), answer.status_code))
    return failures


def _stored_nul(session) -> list[str]:
    found = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            if "\x00" in repr(tuple(row)) or "\\x00" in repr(tuple(row)):
                found.append(table.name)
    return found


def test_every_console_route_uses_the_one_id_converter(app):
    for rule in _rules(app):
        for converter in rule._converters.values():  # noqa: SLF001 - werkzeug keeps them here
            assert not type(converter).__name__.startswith("Integer"), rule.rule
            if "Integer" in type(converter).__mro__[1].__name__:
                assert isinstance(converter, IdConverter), rule.rule


def test_walking_every_route_with_odd_values_never_answers_5xx(world, app, session, things):
    names = set(EXTRA_NAMES)
    supervisor = Console(app.test_client()).as_user(world.sup_a)
    ids = {"user_id": world.sup_a.id, "area_id": world.street_a.id, "device_pk": 1}
    failures = _walk(app, supervisor, things, ids, names)
    admin = Console(app.test_client()).as_user(world.admin)
    failures += _walk(app, admin, things, ids, names)
    assert not failures, failures
    assert not _stored_nul(session)


@pytest.mark.parametrize(
    "path",
    [
        "/console/admin/users/99999999999999999999",
        "/console/admin/areas/99999999999999999999",
        "/console/admin/users/0",
    ],
)
def test_an_id_no_database_holds_is_a_404_page(world, console, path):
    response = console.as_user(world.admin).get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "path",
    [
        "/console/admin/devices/99999999999999999999/revoke",
        "/console/admin/users/99999999999999999999/active",
    ],
)
def test_a_post_to_an_id_no_database_holds_is_a_404(world, console, path):
    assert console.as_user(world.admin).post(path, {"active": "0"}).status_code == 404


def test_a_nul_in_a_return_comment_is_refused_beside_the_field(world, console, session, things):
    console.as_user(world.sup_a)
    url = f"/console/review/visit/{things['record_id']}/return"
    response = console.post(url, {"comment": "请补充\x00收入"})
    assert response.status_code == 422
    assert "不能包含空字符。" in response.get_data(as_text=True)
    session.expire_all()
    visit = session.get(Visit, things["record_id"])
    assert (visit.status, visit.review_comment) == ("submitted", None)


def test_a_nul_in_an_api_return_comment_is_a_field_error(world, client, auth, session, things):
    response = client.post(
        f"/api/v1/visits/{things['record_id']}/return",
        json={"comment": "请补充\x00收入"},
        headers=auth.headers(world.sup_a),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["comment"] == ["Must not contain NUL characters."]
    session.expire_all()
    assert session.get(Visit, things["record_id"]).status == "submitted"


LOGIN = {"username": "a\x00", "password": "x", "device_id": "t"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/sync/pull?cursor=a%00b", None, "cursor"),
        (
            "/api/v1/auth/token",
            {"username": "a\x00", "password": "x", "device_id": "t"},
            "username",
        ),
    ],
)
def test_nul_anywhere_in_the_api_is_a_field_error(world, client, auth, path, body, field):
    headers = auth.headers(world.adv_a)
    if body is None:
        response = client.get(path, headers=headers)
    else:
        response = client.post(path, json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(field in where for where in errors.values()), errors
