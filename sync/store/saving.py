"""Saving what the advisor typed: visits, interviews and household edits, each with its push."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import ValidationError

from sync.protocol import EDITABLE_HOUSEHOLD_FIELDS, HISTORY_TIME_FIELDS, LOCKED_STATUSES
from sync.records import SCHEMAS, HouseholdSchema
from sync.store import outbox, rows, state
from sync.store.errors import RecordLocked, UnknownRecord
from sync.store.tx import Tx

# Keys a record read from the store may carry that the caller does not set: what the store
# adds (version, local_state) and what only the store or the server decides (status,
# review_comment, corrected_by_id). Dropped, so a dict the store handed out can be saved
# again as it is.
STORE_KEYS = frozenset({"version", "local_state", "status", "review_comment", "corrected_by_id"})


def prepare(tx: Tx, entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """A record made on the tablet, validated and dumped by its wire schema, as stored.

    ``id`` (uuid4), ``device_id`` and ``advisor_id`` (the signed-in user) are filled in when
    missing; raises :class:`marshmallow.ValidationError` on bad input.
    """
    clean = {key: value for key, value in data.items() if key not in STORE_KEYS}
    clean.setdefault("id", str(uuid.uuid4()))
    clean.setdefault("device_id", tx.device_id)
    if "advisor_id" not in clean and tx.author_id is not None:
        clean["advisor_id"] = tx.author_id
    schema = SCHEMAS[entity]()
    return schema.dump(schema.load(clean))


def save(tx: Tx, entity: str, data: dict[str, Any], draft: bool) -> dict[str, Any]:
    """Save a visit or interview, queueing its push unless it is a draft; returns it."""
    record = prepare(tx, entity, data)
    record_id, household_id = record["id"], record["household_id"]
    if rows.get_record(tx.conn, "household", household_id) is None:
        raise ValidationError({"household_id": ["Not a household on this tablet."]})
    row = rows.get_record(tx.conn, entity, record_id)
    server = rows.server_copy(row) if row else None
    if row is not None and row["household_id"] != household_id:
        raise ValidationError({"household_id": ["Cannot move a record to another household."]})
    server_status = server.get("status") if server else None
    if server_status in LOCKED_STATUSES:
        raise RecordLocked(
            f"{entity} {record_id} is {server_status} on the server and cannot be edited"
        )
    if draft:
        outbox.withdraw(tx, entity, record_id)
        record["status"], local_state = "draft", "draft"
    else:
        record["status"] = "resubmitted" if server_status == "returned" else "submitted"
        local_state = "pending"
    rows.put_record(
        tx.conn,
        entity,
        record_id,
        data=record,
        server=server,
        version=row["version"] if row else None,
        local_state=local_state,
        now=tx.now,
    )
    if not draft:
        # The version the tablet saw: the server tells a new resubmission of a record it
        # returned from a replay of the earlier one by it (same content either way).
        base_version = row["version"] if row else None
        outbox.enqueue(tx, entity, "upsert", record_id, household_id, record, base_version)
    return rows.as_dict(rows.get_record(tx.conn, entity, record_id))


def check_household_edit(changes: dict[str, Any]) -> dict[str, Any]:
    """The editable household fields in ``changes``, validated and dumped; raises
    :class:`marshmallow.ValidationError` for bad values and for fields not editable."""
    wrong = {key: ["Not editable on the tablet."] for key in changes}
    for key in EDITABLE_HOUSEHOLD_FIELDS:
        wrong.pop(key, None)
    if wrong:
        raise ValidationError(wrong)
    schema = HouseholdSchema(only=EDITABLE_HOUSEHOLD_FIELDS, partial=True)
    return schema.dump(schema.load(changes))


def update_household(tx: Tx, household_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Apply a checked household edit locally and queue (or fold) its update; returns it."""
    row = rows.get_record(tx.conn, "household", household_id)
    if row is None:
        raise UnknownRecord(f"household {household_id} is not on this tablet")
    if payload:
        rows.put_record(
            tx.conn,
            "household",
            household_id,
            data={**rows.loads(row["data"]), **payload},
            server=rows.server_copy(row),
            version=row["version"],
            local_state="pending",
            now=tx.now,
        )
        outbox.enqueue(
            tx, "household", "update", household_id, household_id, payload, row["version"]
        )
    return rows.as_dict(rows.get_record(tx.conn, "household", household_id))


def discard_draft(tx: Tx, entity: str, record_id: str) -> bool:
    """Throw a draft away; False when the record is not a draft."""
    if entity not in HISTORY_TIME_FIELDS:
        raise ValueError(f"only visits and interviews have drafts, not {entity!r}")
    row = rows.get_record(tx.conn, entity, record_id)
    if row is None or row["local_state"] != "draft":
        return False
    server = rows.loads(row["server_data"])
    if server is None:
        tx.conn.execute(f"DELETE FROM {entity} WHERE id = ?", (record_id,))
    else:
        state.rewrite(tx, entity, row, server, server, "synced")
    state.apply_deferred(tx)
    return True
