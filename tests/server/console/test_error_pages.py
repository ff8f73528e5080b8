"""Errors under /console/ are console pages in the reader's language (简体中文 first),
whatever raised them; the API keeps its JSON shape."""

from __future__ import annotations

import uuid

import pytest

from server.console.review import views as review_views


def _page(response, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_an_unknown_console_path_is_a_404_page_in_chinese(world, console):
    console.as_user(world.sup_a)
    page = _page(console.get("/console/no-such-page"), 404)
    assert "页面不存在，或不在您的管辖范围内。" in page and '<html lang="zh-CN">' in page


def test_signed_out_the_404_page_is_in_chinese_too(console):
    page = _page(console.get("/console/no-such-page"), 404)
    assert "页面不存在" in page


def test_the_404_page_follows_the_language_switch(world, console):
    console.as_user(world.sup_a)
    console.post("/console/language", {"lang": "en", "next": "/console/"})
    page = _page(console.get("/console/no-such-page"), 404)
    assert "No such page, or it is outside your area." in page


def test_a_wrong_method_is_a_405_page(world, console):
    console.as_user(world.sup_a)
    response = console.get("/console/sign-out")
    page = _page(response, 405)
    assert "此地址不接受这种请求。" in page
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_500_page(world, console, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(review_views.review, "review_detail", broken)
    console.as_user(world.sup_a)
    page = _page(console.get(f"/console/review/visit/{uuid.uuid4()}"), 500)
    assert "出错了，未作任何修改。" in page and "a bug" not in page


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/consolex"])
def test_outside_the_console_the_json_shape_stays(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
