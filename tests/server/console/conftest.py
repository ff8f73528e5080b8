"""The console's fixtures: the server fixtures, and a client signed in to the console."""

from __future__ import annotations

import re

import pytest
from flask import g

from tests.server_fixtures import *  # noqa: F403 - fixtures by name
from tests.server_fixtures import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Console:
    """A browser over the Flask test client: signs in through the form, posts with the
    session's CSRF token like a page would."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def _request(self, method: str, path: str, **kwargs):
        # The app fixture keeps one app context open for the whole test, so every request
        # of the test client shares its ``g``; a browser's requests share nothing, and
        # Flask-Login and Flask-WTF keep per-request state there.
        for name in list(g):
            g.pop(name)
        return self.client.open(path, method=method, **kwargs)

    def csrf(self, path: str = "/console/sign-in") -> str:
        page = self._request("GET", path).get_data(as_text=True)
        match = _TOKEN.search(page) or re.search(r'value="([^"]+)" name="csrf_token"', page)
        assert match, page[:500]
        self.token = match.group(1)
        return self.token

    def sign_in(self, user, password: str = PASSWORD):
        """The answer to the sign-in form."""
        token = self.csrf()
        data = {"username": user.username, "password": password, "csrf_token": token}
        return self._request("POST", "/console/sign-in", data=data)

    def as_user(self, user):
        """Signed in (asserting it worked)."""
        response = self.sign_in(user)
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        # The sign-in starts a new session, and with it a new CSRF token.
        self.csrf("/console/")
        return self

    def get(self, path: str, **kwargs):
        return self._request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token or self.csrf()
        return self._request("POST", path, data=data)


@pytest.fixture
def console(client) -> Console:
    return Console(client)
