"""A tablet store filled through the public pull path: households and their visits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta


def fill(store, households: int, visits: int) -> list[str]:
    """Households spread over 9 communities with 12 visits each, through apply_pull_page."""
    ids, changes, version = [], [], 0
    start = datetime(2025, 6, 1, tzinfo=UTC)
    for n in range(households):
        hid = str(uuid.uuid4())
        ids.append(hid)
        version += 1
        changes.append(
            {
                "entity": "household",
                "id": hid,
                "version": version,
                "data": {
                    "id": hid,
                    "external_id": f"B{n:06d}",
                    "head_name": f"张{n % 97}号户主{n}",
                    "phone": "13800138000",
                    "residence_address": f"北京街道中山路{n % 300}号{n % 30 + 1}01房",
                    "registration_street_id": 2,
                    "registration_community_id": 5 + n % 9,
                    "residence_street_id": 2,
                    "residence_community_id": 5 + n % 9,
                    "categories": ["dibao"],
                    "hardship_level": ("high", "medium", "low")[n % 3],
                    "visit_cycle": ("monthly", "quarterly", "half_yearly")[n % 3],
                    "status": "active",
                    "enrolled_on": "2024-01-10",
                    "notes": "",
                },
            }
        )
    per = visits // households
    for n, hid in enumerate(ids):
        for k in range(per):
            version += 1
            vid = str(uuid.uuid4())
            at = start + timedelta(days=30 * k + n % 20)
            changes.append(
                {
                    "entity": "visit",
                    "id": vid,
                    "version": version,
                    "data": {
                        "id": vid,
                        "household_id": hid,
                        "advisor_id": 1,
                        "device_id": "bench",
                        "visited_at": at.isoformat(),
                        "outcome": "completed",
                        "living_conditions": "基本生活有保障",
                        "status": "approved",
                    },
                }
            )
    for i in range(0, len(changes), 2000):
        store.apply_pull_page(changes[i : i + 2000], f"c{i}")
    return ids
