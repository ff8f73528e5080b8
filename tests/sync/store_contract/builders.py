"""What the store contract tests feed a store: records as the server sends them and as
the tablet's forms hand them over, pull changes, push results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sync.records import VisitSchema

# A household (with one member) that the ``store`` fixture holds, and one it does not.
HH = "7d4b6b1e-0b8e-4c53-9c55-7c9f2f0f6f11"
HH2 = "5b1c3e8a-7a0d-4b7e-8d2f-1c9e6f4a3b02"
PERSON = "0f9d2f44-57d4-4a35-9a0c-2a5d0b7f6a01"


class Clock:
    """A clock that ticks one second per reading, so created_at values are ordered."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def household_data(hid: str = HH, version: int = 10, **changes: Any) -> dict[str, Any]:
    """A household as the server sends it (with its read-only fields)."""
    data = {
        "id": hid,
        "external_id": f"310101-{hid[:6]}",
        "head_name": "王秀英",
        "phone": "13800138000",
        "residence_address": "黄浦区南京东路 100 弄 5 号 302 室",
        "registration_street_id": 11,
        "registration_community_id": 111,
        "residence_street_id": 11,
        "residence_community_id": 111,
        "categories": ["dibao"],
        "hardship_level": "high",
        "visit_cycle": "monthly",
        "cycle_override": None,
        "assigned_advisor_id": 7,
        "status": "active",
        "location": None,
        "enrolled_on": "2024-01-15",
        "notes": "",
        "version": version,
        "separated": False,
    }
    return {**data, **changes}


def person_data(pid: str = PERSON, hid: str = HH, version: int = 11) -> dict[str, Any]:
    """A member as an advisor receives it (ID number masked)."""
    return {
        "id": pid,
        "household_id": hid,
        "name": "王秀英",
        "id_number": "1101**********002X",
        "gender": "female",
        "birth_date": "1990-03-07",
        "relation": "head",
        "health": "chronic",
        "labour_capacity": "partial",
        "employment": "flexible",
        "version": version,
    }


def visit_input(hid: str = HH, **changes: Any) -> dict[str, Any]:
    """What the visit form hands to the store."""
    data = {
        "household_id": hid,
        "advisor_id": 7,
        "visited_at": "2025-03-10T10:00:00+08:00",
        "outcome": "completed",
        "living_conditions": "房屋老旧",
        "notes": "情况稳定",
    }
    return {**data, **changes}


def server_visit(
    vid: str, hid: str = HH, version: int = 20, status: str = "submitted", **changes: Any
) -> dict[str, Any]:
    """A visit as the server sends it (another tablet's, unless changed)."""
    schema = VisitSchema()
    loaded = schema.load({**visit_input(hid), "id": vid, "device_id": "tablet-other"})
    return {**schema.dump(loaded), "status": status, "version": version, "review_comment": None} | (
        changes
    )


def interview_input(hid: str = HH, **changes: Any) -> dict[str, Any]:
    """What the interview form hands to the store."""
    data = {
        "household_id": hid,
        "advisor_id": 7,
        "interviewed_at": "2025-03-10T11:00:00+08:00",
        "interviewee_role": "building_leader",
        "statement": "户主近两月未见外出上班。",
        "corroborates": "partly",
    }
    return {**data, **changes}


def lead_input(**changes: Any) -> dict[str, Any]:
    """What the new-lead form hands to the store."""
    data = {
        "advisor_id": 7,
        "found_at": "2025-03-10T15:00:00+08:00",
        "head_name": "赵桂兰",
        "residence_address": "幸福路 12 号 3 栋 201",
        "observations": "独居老人，屋顶漏水。",
        "suggested_categories": ["tekun"],
    }
    return {**data, **changes}


def warning_data(wid: str, hid: str = HH, version: int = 30, **changes: Any) -> dict[str, Any]:
    """A warning as the server sends it."""
    data = {
        "id": wid,
        "household_id": hid,
        "source": "platform",
        "kind": "job_loss",
        "level": "orange",
        "status": "open",
        "disposal": None,
        "disposal_reason": None,
        "message": "",
        "raised_at": "2025-03-02T09:00:00+08:00",
        "due_by": None,
        "street_id": 11,
        "version": version,
    }
    return {**data, **changes}


def change(
    entity: str,
    data: dict[str, Any] | None,
    *,
    id: str | None = None,  # noqa: A002 - the wire name
    version: int | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One pull change; ``data=None`` makes a tombstone."""
    item = {
        "entity": entity,
        "id": id or data["id"],
        "version": version if version is not None else data["version"],
        "deleted": data is None,
        "data": data,
    }
    if reason:
        item["reason"] = reason
    return item


def pull(store, *changes: dict[str, Any], cursor: str = "c1") -> dict[str, int]:
    """Apply one pull page."""
    return store.apply_pull_page(list(changes), cursor)


def send_all(store) -> list[dict[str, Any]]:
    """Hand every pending mutation to the (imaginary) transport."""
    return store.mark_sent([m["mutation_id"] for m in store.pending_mutations()])


def result(mutation: dict[str, Any], status: str = "applied", **extra: Any) -> dict[str, Any]:
    """A push result for ``mutation``."""
    return {"mutation_id": mutation["mutation_id"], "status": status, **extra}
