"""Sign-in follows ``next`` to a page of the console, and nowhere else."""

from __future__ import annotations

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
