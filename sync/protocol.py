"""What the tablet and the server must agree on, written once: the sync protocol's constants.

The server (pull, push, models) and the tablet (store, client) both import these; an
offline system drifts exactly where two copies of such a value are kept apart.
``tests/test_shared_constants.py`` fails if either side stops using them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# Synced entities, in the order a pull ranks changes that share a version (DESIGN §5). The
# tablet keeps one table for each.
ENTITIES = ("household", "person", "visit", "interview", "warning")

# Entities the tablet makes and pushes but the pull never sends: a lead (走访发现) goes to
# the supervisors' queue, not to a caseload. The tablet keeps one table for each too.
PUSH_ONLY_ENTITIES = ("lead",)

# Visits and interviews kept per household: the server's bundle sends the latest this many of
# each, and the tablet prunes its synced history to the same number (DESIGN §5).
HISTORY_PER_HOUSEHOLD = 12
# Per history entity, the field by which "latest" is judged (newest first, then id).
HISTORY_TIME_FIELDS = {"visit": "visited_at", "interview": "interviewed_at"}

# Household fields an advisor may edit on the tablet; the server merges them one by one
# against the edit's base_version (DESIGN §5 Conflicts).
EDITABLE_HOUSEHOLD_FIELDS = ("phone", "residence_address", "notes", "location")
# The message of a household field changed on both sides (the server's value was kept).
CONFLICT_MESSAGE = "Changed on the server too; the server's value was kept."

# Server statuses after which only the supervisor's workflow changes a record (DESIGN §6).
LOCKED_STATUSES = frozenset({"submitted", "resubmitted", "approved"})

# Push refusals of a mutation *id* (at or below the server's mark, or reused for other
# content): nothing was stored, and the tablet sends the mutation again under a new id.
STALE_MUTATION_REASONS = ("stale_mutation_id", "mutation_id_reused")

# The offline lease (issue 19): every successful sync answers ``lease_until``; past it the
# tablet locks its screens with personal data until a sync succeeds. An admin may change
# the length; a tablet that has never been told one counts this from its last sync.
DEFAULT_LEASE_HOURS = 72
# Within this many hours of the lease's end the tablet's sync badge shows what is left.
LEASE_WARN_HOURS = 12

# The push body's ``schema_version``: the wire format the tablet writes.
SCHEMA_VERSION = 1


def canonical_json(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """Canonical JSON: sorted keys, no spaces, text kept as is, so equal values give equal
    text; ``default`` turns what JSON has no type for (dates, ids) into what it has."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    )
