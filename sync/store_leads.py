"""The tablet store's leads (走访发现): a household found in the field, saved and queued.

A mixin of :class:`sync.store.SQLiteStore` (it needs ``_write``, ``_read``, ``_now``,
``_enqueue``, ``_as_dict``, ``_device_id`` and ``get_state``). A lead is pushed like any
record but never pulled back: once the server has it, the tablet keeps it as a receipt.
"""

from __future__ import annotations

import uuid
from typing import Any

from sync import store_rows
from sync.records import LeadSchema

# Keys the store adds to the dicts it returns; dropped again when a dict comes back to save.
_STORE_KEYS = frozenset({"version", "local_state", "status"})


class LeadLocked(RuntimeError):
    """The lead already reached the server, which keeps it as reported."""


class StoreLeads:
    """Saving and listing leads."""

    def save_lead(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate a lead and queue its push in the same commit; returns the stored lead.

        Raises :class:`marshmallow.ValidationError` (field → messages) on bad input, and
        :class:`LeadLocked` for a lead the server already acknowledged. The id, device and
        advisor are filled in when missing.
        """
        clean = {key: value for key, value in data.items() if key not in _STORE_KEYS}
        clean.setdefault("id", str(uuid.uuid4()))
        clean.setdefault("device_id", self._device_id)
        user = self.get_state("user")
        if "advisor_id" not in clean and isinstance(user, dict) and "id" in user:
            clean["advisor_id"] = user["id"]
        schema = LeadSchema()
        record = schema.dump(schema.load(clean))
        lead_id = record["id"]
        with self._write() as conn:
            row = store_rows.get_record(conn, "lead", lead_id)
            if row is not None and row["local_state"] == "synced":
                raise LeadLocked(f"lead {lead_id} was received by the server already")
            store_rows.put_record(
                conn,
                "lead",
                lead_id,
                data=record,
                server=None,
                version=row["version"] if row else None,
                local_state="pending",
                now=self._now(),
            )
            self._enqueue(conn, "lead", "upsert", lead_id, lead_id, record, None)
            return self._as_dict(store_rows.get_record(conn, "lead", lead_id))

    def leads(self) -> list[dict[str, Any]]:
        """Every lead on the tablet, newest first."""
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM lead ORDER BY found_at DESC, id DESC").fetchall()
        return [self._as_dict(row) for row in rows]
