"""The audit log: filters (who, action, record type and id, local dates), newest first,
paged, labelled in Chinese, secrets as ***; the CSV export of the filtered log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.console.admin import audit as admin_audit
from server.services.admin import audit_log
from server.services.core import audit
from server.services.core.transaction import unit_of_work
from tests.server.console.form_errors import field_errors


@pytest.fixture
def admin(world, console):
    return console.as_user(world.admin)


@pytest.fixture
def events(world, session):
    """Events on both sides of a local midnight (Beijing = UTC+8), by two actors."""
    rows = [
        (
            world.sup_a,
            "approve",
            "visit",
            "v-1",
            datetime(2026, 11, 1, 15, 59, tzinfo=UTC),
        ),  # 11-1 23:59
        (
            world.sup_a,
            "return",
            "visit",
            "v-2",
            datetime(2026, 11, 1, 16, 0, tzinfo=UTC),
        ),  # 11-2 00:00
        (world.sup_b, "approve", "interview", "i-1", datetime(2026, 11, 3, 1, 0, tzinfo=UTC)),
        (None, "update", "user", "7", datetime(2026, 11, 4, 1, 0, tzinfo=UTC)),
    ]
    with unit_of_work(session):
        for actor, action, entity, entity_id, at in rows:
            diff = {"status": ["submitted", "approved"]}
            if entity == "user":
                # A secret as an older writer might have stored it: the page must not show it.
                diff = {"password_hash": ["old-hash", "new-hash"], "display_name": ["甲", "乙"]}
            audit.record(
                session,
                actor=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                now=at,
                diff=diff,
            )
    return rows


def _ids(page: str) -> list[str]:
    """The events' records on the page: named and linked (user 7 exists), or by their id
    in a tooltip (the others are not records that exist)."""
    user_7 = 'title="7"' in page or '/console/admin/users/7"' in page
    return [i for i in ("v-1", "v-2", "i-1") if i in page] + ([">7<"] if user_7 else [])


def test_newest_first_labelled_and_secrets_masked(admin, events):
    page = admin.get("/console/admin/audit?entity_id=").get_data(as_text=True)
    positions = [page.index(x) for x in ("i-1", "v-2", "v-1")]
    assert positions == sorted(positions)
    assert "退回" in page and "邻里访问" in page and "系统" in page
    assert "new-hash" not in page and "old-hash" not in page and "***" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("who={sup_a}", ["v-1", "v-2"]),
        ("action=approve", ["v-1", "i-1"]),
        ("entity=interview", ["i-1"]),
        ("entity=visit&entity_id=v-2", ["v-2"]),
        # Local dates: 11-01 ends at 16:00 UTC; the 00:00 event belongs to 11-02.
        ("since=2026-11-02&until=2026-11-02", ["v-2"]),
        ("until=2026-11-01", ["v-1"]),
        ("since=2026-11-03", ["i-1", ">7<"]),
    ],
)
def test_filters(world, admin, events, query, expected):
    query = query.replace("{sup_a}", world.sup_a.username)
    page = admin.get(f"/console/admin/audit?{query}").get_data(as_text=True)
    assert sorted(_ids(page)) == sorted(expected), query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("who=nobody", "who"),
        ("since=2026-11-05&until=2026-11-01", "until"),
        ("since=yesterday", "since"),
        ("action=explode", "action"),
    ],
)
def test_bad_filters_show_beside_their_field(admin, events, query, field):
    response = admin.get(f"/console/admin/audit?{query}")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field)
    assert admin.get(f"/console/admin/audit.csv?{query}").status_code == 422


def test_pages(admin, events, monkeypatch):
    monkeypatch.setattr(admin_audit, "PAGE_SIZE", 3)
    dates = "since=2026-11-01&until=2026-11-04"  # the four events, not the world's own
    first = admin.get(f"/console/admin/audit?{dates}").get_data(as_text=True)
    second = admin.get(f"/console/admin/audit?{dates}&page=2").get_data(as_text=True)
    assert sorted(_ids(first) + _ids(second)) == sorted(["v-1", "v-2", "i-1", ">7<"])
    assert _ids(second) == ["v-1"] and "第2页，共2页" in second


def test_csv_export_of_the_filtered_log(world, admin, events, monkeypatch):
    # Batches of one: the keyset paging must neither skip nor repeat an event.
    monkeypatch.setitem(audit_log.every.__kwdefaults__, "batch", 1)
    response = admin.get("/console/admin/audit.csv?action=approve")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["时间", "经办人", "平板", "操作"]
    assert [r[5] for r in rows[1:]] == ["i-1", "v-1"]  # newest first, filtered
    assert rows[2][1] == f"{world.sup_a.display_name} ({world.sup_a.username})"
    assert rows[2][0] == "2026-11-01 23:59:00"  # in the configured zone (Beijing)


def test_csv_masks_secrets_and_defuses_formulas(admin, world, session):
    with unit_of_work(session):
        audit.record(
            session,
            actor=world.adv_a,
            action="sync_update",
            entity="household",
            entity_id="h",
            now=datetime(2026, 11, 5, tzinfo=UTC),
            diff={"phone": ["1", '=HYPERLINK("x")'], "token_hash": ["a", "b"]},
        )
    text = admin.get("/console/admin/audit.csv?entity=household").get_data().decode("utf-8-sig")
    assert "令牌: *** → ***" in text and "a → b" not in text
    (row,) = list(csv.reader(io.StringIO(text)))[1:]
    assert "=HYPERLINK" in row[6] and not row[6].startswith("=")


def test_csv_export_reads_every_event_once_in_batches(admin, events, session, monkeypatch):
    monkeypatch.setitem(audit_log.every.__kwdefaults__, "batch", 2)
    from server.models import AuditEvent

    ids = [str(e.id) for e in session.scalars(select(AuditEvent))]
    rows = list(
        csv.reader(
            io.StringIO(admin.get("/console/admin/audit.csv").get_data().decode("utf-8-sig"))
        )
    )
    # The world's six accounts share one instant: ties are broken by id, never dropped.
    assert len(rows) - 1 == len(ids) >= 10
