"""Sign-in (throttled, CSRF), headers, review decisions and the due-list exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.models import AuditEvent, Visit
from server.services.core.transaction import unit_of_work
from tests.factories import NOW, visit_row


@pytest.fixture
def submitted(world, session):
    household = world.household("A1", advisor=world.adv_a)
    with unit_of_work(session):
        visit = visit_row(household, NOW, status="submitted", urgent=True)
        session.add(visit)
    return visit


def test_sign_in_out_and_the_cookie_flags(world, console):
    response = console.sign_in(world.sup_a)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    console.csrf("/console/")
    assert console.post("/console/sign-out").status_code == 302
    assert console.get("/console/").status_code == 302


def test_wrong_passwords_are_throttled_like_the_api(world, console, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    for _ in range(limit):
        assert console.sign_in(world.sup_a, "wrong password").status_code == 401
    assert console.sign_in(world.sup_a).status_code == 429


@pytest.mark.parametrize("path", ["/console/sign-out", "/console/language"])
def test_a_post_without_the_csrf_token_is_refused(world, console, path):
    console.as_user(world.sup_a)
    assert console.post(path, {"lang": "en"}, csrf=False).status_code == 400
    assert console.get("/console/").status_code == 200  # still signed in


def test_security_headers(world, console):
    console.as_user(world.sup_a)
    headers = console.get("/console/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_approve_then_it_leaves_the_queue(world, console, session, submitted):
    console.as_user(world.sup_a)
    assert str(submitted.id) in console.get("/console/review").get_data(as_text=True)
    assert console.post(f"/console/review/visit/{submitted.id}/approve").status_code == 302
    session.expire_all()
    assert session.get(Visit, submitted.id).status == "approved"
    assert str(submitted.id) not in console.get("/console/review").get_data(as_text=True)
    # A second decision on a record already decided changes nothing.
    assert console.post(f"/console/review/visit/{submitted.id}/approve").status_code == 302


def test_return_with_a_comment(world, console, session, submitted):
    console.as_user(world.sup_a)
    response = console.post(
        f"/console/review/visit/{submitted.id}/return", {"comment": "请补充收入"}
    )
    assert response.status_code == 302
    session.expire_all()
    visit = session.get(Visit, submitted.id)
    assert (visit.status, visit.review_comment) == ("returned", "请补充收入")
    action = session.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == str(visit.id)))
    assert action == "return"


def test_return_without_a_comment_changes_nothing(world, console, session, submitted):
    console.as_user(world.sup_a)
    console.post(f"/console/review/visit/{submitted.id}/return", {"comment": ""})
    session.expire_all()
    assert session.get(Visit, submitted.id).status == "submitted"


def test_due_exports(world, console):
    household = world.household("A1")
    console.as_user(world.sup_a)
    text = console.get("/console/due.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == [household.external_id]
    book = load_workbook(io.BytesIO(console.get("/console/due.xlsx").get_data()))
    assert book.active.cell(2, 1).value == household.external_id


def test_due_exports_keep_typed_text_as_text(world, console):
    world.household("A1", head_name="=HYPERLINK(1)")
    console.as_user(world.sup_a)
    text = console.get("/console/due.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    book = load_workbook(io.BytesIO(console.get("/console/due.xlsx").get_data()))
    assert book.active.cell(2, 2).value == "'=HYPERLINK(1)"


def test_id_numbers_are_whole_for_supervisors(world, console):
    household = world.household("A1")
    number = household.persons[0].id_number
    console.as_user(world.sup_a)
    assert number in console.get(f"/console/households/{household.id}").get_data(as_text=True)
