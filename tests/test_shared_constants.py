"""Tablet and server agree on what sync/protocol.py defines, and no module keeps its own copy.

Each test asks both sides the same question — the tablet's store and client, the server's
models, services and API schemas — and compares the answers with the protocol. The last
table fails when a value the protocol owns is written out again somewhere else.
"""

from __future__ import annotations

import inspect
import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError, validate
from sqlalchemy.dialects import sqlite

from server.api.sync import ChangeSchema, PullQuerySchema, PushSchema
from server.models import Household
from server.services.core import push_types
from server.services.sync import apply, push
from server.services.sync import pull as sync_pull
from sync import protocol
from sync.client import SyncClient
from sync.enums import RecordStatus
from sync.records import SCHEMAS, HouseholdSchema
from sync.store import RecordLocked, SQLiteStore, UnknownRecord

ROOT = Path(__file__).resolve().parents[1]
HH = str(uuid.uuid4())
EDIT_SAMPLES = {
    "phone": "13800138000",
    "residence_address": "北京街道中山路12号",
    "notes": "新电话",
    "location": {"lat": 23.12, "lon": 113.28},
}


@pytest.fixture
def store(tmp_path):
    with SQLiteStore(tmp_path / "tablet.sqlite3") as store:
        yield store


def _pull_household(store: SQLiteStore, *extra: dict) -> None:
    household = {"id": HH, "external_id": "GD1", "head_name": "王秀英", "status": "active"}
    changes = [{"entity": "household", "id": HH, "version": 1, "data": household}, *extra]
    store.apply_pull_page(changes, "c1")


def _visit(version: int, day: int, status: str = "approved") -> dict:
    visit_id = str(uuid.UUID(int=day))
    data = {
        "id": visit_id,
        "household_id": HH,
        "advisor_id": 1,
        "device_id": "tablet-1",
        "visited_at": f"2026-01-{day:02d}T10:00:00+08:00",
        "outcome": "completed",
        "status": status,
    }
    return {"entity": "visit", "id": visit_id, "version": version, "data": data}


def _tablet_accepts_edit(store: SQLiteStore, field: str) -> bool:
    try:
        store.update_household(HH, {field: EDIT_SAMPLES.get(field, "x")})
    except ValidationError as error:
        assert error.messages == {field: ["Not editable on the tablet."]}
        return False
    except UnknownRecord:
        return True  # past the field check; this tablet simply holds no such household
    raise AssertionError("an edit of a household the tablet does not hold was accepted")


def _server_accepts_edit(field: str) -> bool:
    try:
        apply.HOUSEHOLD_EDIT.load({field: EDIT_SAMPLES.get(field, "x")})
    except ValidationError as error:
        assert error.messages == {field: ["Unknown field."]}
        return False
    return True


def test_the_tablet_and_the_server_accept_the_same_household_edits(store):
    names = HouseholdSchema().fields
    tablet = {name for name in names if _tablet_accepts_edit(store, name)}
    server = {name for name in names if _server_accepts_edit(name)}

    assert tablet == server == set(protocol.EDITABLE_HOUSEHOLD_FIELDS)
    assert tuple(Household.__merge_fields__) == protocol.EDITABLE_HOUSEHOLD_FIELDS
    columns = {c for cs in Household.__merge_fields__.values() for c in cs}
    assert columns <= set(Household.__table__.columns.keys())


def test_both_sides_sync_the_same_entities_in_the_same_order(store):
    with store._read() as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    (choices,) = [v for v in ChangeSchema().fields["entity"].validators]

    assert set(protocol.ENTITIES) <= tables
    assert tuple(sync_pull.MODELS) == tuple(sync_pull.RANK) == protocol.ENTITIES
    assert isinstance(choices, validate.OneOf)
    assert tuple(choices.choices) == protocol.ENTITIES
    assert set(protocol.ENTITIES) <= set(SCHEMAS)
    for entity in protocol.ENTITIES:
        assert store.record(entity, str(uuid.uuid4())) is None  # the tablet knows each


def test_the_tablet_keeps_as_many_visits_as_the_server_bundles(store):
    n = protocol.HISTORY_PER_HOUSEHOLD
    _pull_household(store, *[_visit(2 + day, day) for day in range(1, n + 3)])
    # The server's pull query limits each bundle's visits and interviews by row number.
    sql = str(
        sync_pull._changes(1, sync_pull.Cursor()).element.compile(
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
    )

    assert len(store.visits_for(HH)) == n
    assert re.findall(r"\bn <= (\d+)", sql) == [str(n)] * len(protocol.HISTORY_TIME_FIELDS)
    assert set(protocol.HISTORY_TIME_FIELDS) == set(apply.RECORDS)


@pytest.mark.parametrize("status", RecordStatus.codes())
def test_a_record_is_locked_on_the_tablet_exactly_when_the_server_refuses_to_change_it(
    store, status
):
    _pull_household(store, _visit(2, 1, status))
    existing = SimpleNamespace(advisor_id=1, status=status)
    try:
        apply.check_correctable(existing, SimpleNamespace(id=1))
        server_locks = False
    except push_types.Refusal:
        server_locks = True
    try:
        store.save_visit({**_visit(2, 1)["data"], "living_conditions": "改"})
        tablet_locks = False
    except RecordLocked:
        tablet_locks = True

    assert tablet_locks == server_locks == (status in protocol.LOCKED_STATUSES)


def test_the_client_speaks_within_the_servers_limits():
    defaults = inspect.signature(SyncClient).parameters
    body = {"device_id": "tablet-1", "schema_version": protocol.SCHEMA_VERSION, "mutations": []}

    assert defaults["batch"].default <= push.MAX_MUTATIONS
    PullQuerySchema().load({"limit": defaults["pull_limit"].default})
    PushSchema().load(body)
    with pytest.raises(ValidationError):
        PushSchema().load({**body, "schema_version": protocol.SCHEMA_VERSION + 1})


def test_a_conflict_reads_the_same_on_the_tablet(store):
    _pull_household(store)
    store.update_household(HH, {"phone": "13900139000"})
    (sent,) = store.mark_sent([m["mutation_id"] for m in store.pending_mutations()])
    store.apply_results(
        [{"mutation_id": sent["mutation_id"], "status": "conflict", "fields": ["phone"]}]
    )

    (item,) = store.attention_items()
    assert item["errors"] == {"phone": [protocol.CONFLICT_MESSAGE]}


ALL = ("server", "sync", "mobile", "bench")
# What the protocol owns, as it would look if written out again: (name, pattern, where).
COPIES = [
    ("conflict message", re.escape(protocol.CONFLICT_MESSAGE), ALL),
    ("entity names", r'"household",\s*"person",\s*"visit",\s*"interview"', ALL),
    ("editable fields", r'"phone",\s*"residence_address",\s*"notes"', ALL),
    ("bundle size", r"BUNDLE_RECORDS|KEEP_PER_HOUSEHOLD", ALL),
    ("months per cycle", r'"monthly":\s*1\b', ALL),
    ("canonical JSON", r"sort_keys=True", ALL),
    ("StrictSchema", r"class StrictSchema\b", ALL),
    ("override from a dict", r"\bOverride\(", ("server", "sync", "mobile")),
    ("lat/lon to columns", r"\blatitude\b", ("server/services", "server/api", "mobile")),
]
# The one definition of each.
OWNERS = {"sync/protocol.py", "sync/records.py", "sync/policy.py", "sync/schedule.py"}


@pytest.mark.parametrize(("what", "pattern", "where"), COPIES, ids=[c[0] for c in COPIES])
def test_no_module_keeps_its_own_copy(what, pattern, where):
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in where
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in OWNERS
        and "migrations" not in path.parts
        # Hidden folders are local tools, such as the benchmark's git-ignored Kinto venv.
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert found == [], f"{what} written out again; import it from sync instead"
