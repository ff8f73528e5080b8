"""A warning's lifecycle and who may act on it (role and street scope)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.models import Area, AuditEvent
from server.services.core.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.core.transaction import unit_of_work
from server.services.warnings import lifecycle, queue
from tests.factories import NOW, visit_data
from tests.server.warnings.conftest import warnings_of


@pytest.fixture
def raise_one(tablet, session):
    """Push a visit with ``fields`` for ``household``; its one warning."""

    def make(household, **fields):
        tablet.push([tablet.mutation("visit", uuid.uuid4(), visit_data(household, **fields))])
        [warning] = warnings_of(session, household)
        return warning

    return make


def step(session, name, actor, warning, **extra):
    with unit_of_work(session):
        return getattr(lifecycle, name)(
            session, actor=actor, warning_id=warning.id, now=NOW, **extra
        )


def test_open_verifying_disposed_closed_each_audited(raise_one, home, session, world):
    w = raise_one(home, findings=["job_loss"])
    step(session, "take", world.sup_a, w)
    step(session, "dispose", world.sup_a, w, disposal="referred", referred_to="区人社局")
    step(session, "close", world.sup_a, w)
    [w] = warnings_of(session, home)
    assert (w.status, w.disposal, w.referred_to) == ("closed", "referred", "区人社局")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == str(w.id)).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "warning_raise",
        "warning_take",
        "warning_dispose",
        "warning_close",
    ]
    assert events[1].actor_id == world.sup_a.id
    assert events[2].diff["referred_to"] == [None, "区人社局"]


@pytest.mark.parametrize(
    ("name", "extra"),
    [("dispose", {"disposal": "monitor"}), ("close", {})],
)
def test_a_step_out_of_order_is_refused(raise_one, home, session, world, name, extra):
    w = raise_one(home, findings=["job_loss"])
    with pytest.raises(Conflict):
        step(session, name, world.sup_a, w, **extra)


def test_taking_twice_is_refused(raise_one, home, session, world):
    w = raise_one(home, findings=["job_loss"])
    step(session, "take", world.sup_a, w)
    with pytest.raises(Conflict):
        step(session, "take", world.sup_district, w)


@pytest.mark.parametrize(
    ("fields", "disposal", "extra", "field"),
    [
        ({"findings": ["job_loss"]}, "referred", {}, "referred_to"),
        ({"findings": ["job_loss"]}, "referred", {"referred_to": "   "}, "referred_to"),
        ({"findings": ["job_loss"]}, "no_action", {}, "disposal_reason"),
        ({"findings": ["job_loss"]}, "no_action", {"reason": "x" * 501}, "disposal_reason"),
        ({"findings": ["job_loss"]}, "nonsense", {}, "disposal"),
        # A situation takes only the disposals that fit it.
        ({"situation": "hardship_not_eligible"}, "included", {}, "disposal"),
        ({"situation": "maybe_eligible"}, "social_help", {}, "disposal"),
        ({"urgent": True}, "no_action", {"reason": "无"}, "disposal"),
    ],
)
def test_bad_disposals_name_the_field(
    raise_one, home, session, world, fields, disposal, extra, field
):
    w = raise_one(home, **fields)
    step(session, "take", world.sup_a, w)
    with pytest.raises(Invalid) as refused:
        step(session, "dispose", world.sup_a, w, disposal=disposal, **extra)
    assert list(refused.value.errors) == [field]
    [w] = warnings_of(session, home)
    assert w.status == "verifying" and w.disposal is None


def test_no_action_keeps_its_reason(raise_one, home, session, world):
    w = raise_one(home, findings=["job_loss"])
    step(session, "take", world.sup_a, w)
    step(session, "dispose", world.sup_a, w, disposal="no_action", reason="已再就业")
    [w] = warnings_of(session, home)
    assert (w.disposal, w.disposal_reason) == ("no_action", "已再就业")


def test_only_the_streets_concerned_may_act(raise_one, home, session, world):
    w = raise_one(home, findings=["job_loss"])  # street A's
    for outsider in (world.sup_b, world.adv_a):
        with pytest.raises((NotFound, Forbidden)):
            step(session, "take", outsider, w)
    step(session, "take", world.sup_district, w)  # the district holds street A
    step(session, "dispose", world.admin, w, disposal="monitor")


def test_a_separated_household_notice_reaches_both_streets_and_no_other(
    raise_one, separated, session, world
):
    w = raise_one(separated, outcome="moved")
    street_c = world.user("supervisor", _third_street(session, world))
    seen = {
        name: queue.list_warnings(
            session, user, queue.WarningQuery(), now=NOW, page=1, page_size=50
        ).total
        for name, user in (
            ("sup_a", world.sup_a),
            ("sup_b", world.sup_b),
            ("district", world.sup_district),
            ("admin", world.admin),
            ("sup_c", street_c),
        )
    }
    assert seen == {"sup_a": 1, "sup_b": 1, "district": 1, "admin": 1, "sup_c": 0}
    with pytest.raises(Forbidden):
        queue.list_warnings(
            session, world.adv_a, queue.WarningQuery(), now=NOW, page=1, page_size=50
        )
    # Either street may work on it; the third may not even find it.
    with pytest.raises(NotFound):
        step(session, "take", street_c, w)
    step(session, "take", world.sup_b, w)


def test_a_routed_warning_reaches_only_its_street(raise_one, separated, session, world):
    raise_one(separated, urgent=True)  # goes where the household lives: street B
    totals = [
        queue.list_warnings(session, u, queue.WarningQuery(), now=NOW, page=1, page_size=50).total
        for u in (world.sup_a, world.sup_b)
    ]
    assert totals == [0, 1]


def _third_street(session, world):
    with unit_of_work(session):
        street = Area(code="SC", name="丙街道", kind="street", parent=world.district)
        session.add(street)
    return street
