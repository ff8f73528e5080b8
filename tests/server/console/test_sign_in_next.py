"""Sign-in follows ``next`` to a page of the console, and nowhere else."""

from __future__ import annotations

import html
import re

import pytest

from tests.factories import PASSWORD


def _sign_in_with(console, user, next_value: str):
    token = console.csrf()
    data = {"username": user.username, "password": PASSWORD, "csrf_token": token}
    return console.post("/console/sign-in", {**data, "next": next_value}, csrf=False)


def test_a_deep_link_survives_the_sign_in(world, console):
    asked = console.get("/console/review?urgent=y")
    assert asked.status_code == 302
    sign_in_url = asked.headers["Location"]
    page = console.get(sign_in_url).get_data(as_text=True)
    assert 'name="next"' in page and "/console/review?urgent=y" in page
    response = _sign_in_with(console, world.sup_a, "http://localhost/console/review?urgent=y")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/review?urgent=y"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console/review",
        "//evil.example/console/review",
        "/\\evil.example/console/",
        "/elsewhere",
        "javascript:alert(1)",
        "/console/\r\nSet-Cookie: x=1",
        "http://evil.example@localhost.evil/console/",
    ],
)
def test_next_never_leaves_the_console(world, console, target):
    response = _sign_in_with(console, world.sup_a, target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


def test_a_deep_link_too_long_for_the_form_still_lets_one_sign_in(world, console):
    """The form caps ``next`` at 2000 characters: a longer one is dropped from the page,
    not carried into a field that would make every sign-in from it a 400."""
    asked = console.get("/console/review?urgent=y&q=" + "x" * 2100)
    assert asked.status_code == 302
    page = console.get(asked.headers["Location"]).get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/console/sign-in".*?</form>', page, re.DOTALL)
    assert form is not None
    field = re.search(r'<input[^>]*name="next"[^>]*>', form.group(0))
    assert field is not None and "xxx" not in field.group(0)
    value = re.search(r'value="([^"]*)"', field.group(0))
    # The browser posts the field as the page holds it.
    response = _sign_in_with(console, world.sup_a, html.unescape(value.group(1)) if value else "")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    # At the cap, the page is still followed.
    target = "/console/review?q=" + "x" * (2000 - len("/console/review?q="))
    console.post("/console/sign-out", {})
    response = _sign_in_with(console, world.sup_a, target)
    assert response.status_code == 302 and response.headers["Location"] == target
