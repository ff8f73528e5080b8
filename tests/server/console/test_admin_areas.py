"""Administration of the area tree: district → street → community, create and rename."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import Area, AuditEvent
from tests.server.console.form_errors import field_errors


@pytest.fixture
def admin(world, console):
    return console.as_user(world.admin)


def test_the_tree_lists_every_area_under_its_parent(world, admin):
    world.household("A1", advisor=world.adv_a)
    page = admin.get("/console/admin/areas").get_data(as_text=True)
    order = [
        page.index(name) for name in ("测试区", "甲街道", "A1社区", "A2社区", "乙街道", "B1社区")
    ]
    assert order == sorted(order)


def test_create_a_community_under_a_street(world, admin, session):
    response = admin.post(
        "/console/admin/areas",
        {"kind": "community", "parent": str(world.street_a.id), "code": "A3", "name": " 新社区 "},
    )
    assert response.status_code == 302
    area = session.scalar(select(Area).where(Area.code == "A3"))
    assert (area.name, area.kind, area.parent_id) == ("新社区", "community", world.street_a.id)
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.entity == "area"))
    assert event.action == "create" and event.diff["parent_id"] == [None, world.street_a.id]
    assert "A3" in admin.get("/console/admin/areas").get_data(as_text=True)


def test_add_below_prefills_the_parent_and_kind(world, admin):
    page = admin.get(f"/console/admin/areas?parent={world.street_b.id}").get_data(as_text=True)
    assert f'<option selected value="{world.street_b.id}">' in page
    assert '<option selected value="community">' in page


BAD_AREAS = [
    ({"kind": "community", "parent": "{D1}", "code": "X1", "name": "x"}, "parent"),
    ({"kind": "street", "parent": "{SA}", "code": "X2", "name": "x"}, "parent"),
    ({"kind": "district", "parent": "{SA}", "code": "X3", "name": "x"}, "parent"),
    ({"kind": "street", "parent": "", "code": "X4", "name": "x"}, "parent"),
    ({"kind": "community", "parent": "{SA}", "code": "A1", "name": "x"}, "code"),
    ({"kind": "community", "parent": "{SA}", "code": "含 空格", "name": "x"}, "code"),
    ({"kind": "community", "parent": "{SA}", "code": "X5", "name": "   "}, "name"),
    ({"kind": "community", "parent": "{SA}", "code": "X6", "name": "长" * 101}, "name"),
    ({"kind": "planet", "parent": "{SA}", "code": "X7", "name": "x"}, "kind"),
]


@pytest.mark.parametrize(("form", "field"), BAD_AREAS)
def test_a_bad_area_is_refused_beside_its_field(world, admin, session, form, field):
    ids = {"{D1}": str(world.district.id), "{SA}": str(world.street_a.id)}
    before = session.scalar(select(Area.id).order_by(Area.id.desc()).limit(1))
    response = admin.post("/console/admin/areas", {k: ids.get(v, v) for k, v in form.items()})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field)
    session.expire_all()
    assert session.scalar(select(Area.id).order_by(Area.id.desc()).limit(1)) == before


def test_rename(world, admin, session):
    area = world.community["A1"]
    response = admin.post(f"/console/admin/areas/{area.id}", {"code": "A1N", "name": "幸福社区"})
    assert response.status_code == 302
    session.expire_all()
    assert (area.code, area.name, area.kind) == ("A1N", "幸福社区", "community")
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.entity == "area"))
    assert event.diff == {"code": ["A1", "A1N"], "name": ["A1社区", "幸福社区"]}


@pytest.mark.parametrize(
    ("form", "field", "text"),
    [
        ({"code": "A2", "name": "x"}, "code", "该代码已被使用"),
        ({"code": "A1", "name": " "}, "name", None),
        ({"code": "", "name": "x"}, "code", None),
    ],
)
def test_a_bad_rename_changes_nothing(world, admin, session, form, field, text):
    area = world.community["A1"]
    response = admin.post(f"/console/admin/areas/{area.id}", form)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), field)
    assert errors and (text is None or any(text in e for e in errors))
    session.expire_all()
    assert (area.code, area.name) == ("A1", "A1社区")
