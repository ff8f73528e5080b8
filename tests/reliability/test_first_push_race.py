"""A tablet's first push racing its own retry: both answered, nothing applied twice."""

from __future__ import annotations

import threading
import uuid

import requests
from sqlalchemy import func, select

from server.models import Visit
from tests.factories import bearer, login_body, visit_data


def test_concurrent_first_pushes_of_one_device_all_succeed(live_world, session, live_server):
    world = live_world
    home = world.household("A1", advisor=world.adv_a)
    session.commit()
    http = requests.Session()
    token = http.post(
        f"{live_server}/api/v1/auth/token",
        timeout=10,
        json=login_body(world.adv_a.username, device_id="racer"),
    ).json()["token"]
    vid = uuid.uuid4()
    body = {
        "device_id": "racer",
        "schema_version": 1,
        "mutations": [
            {
                "mutation_id": 1,
                "entity": "visit",
                "op": "upsert",
                "id": str(vid),
                "base_version": None,
                "data": visit_data(home),
            }
        ],
    }
    headers = {**bearer(token), "Idempotency-Key": "first"}
    barrier, answers = threading.Barrier(4), []

    def push() -> None:
        with requests.Session() as mine:
            barrier.wait(5)
            answers.append(
                mine.post(f"{live_server}/api/v1/sync/push", json=body, headers=headers, timeout=30)
            )

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    http.close()
    assert sorted(a.status_code for a in answers) == [200] * 4
    statuses = [a.json()["results"][0]["status"] for a in answers]
    assert statuses.count("applied") == 1 or len(set(a.text for a in answers)) == 1
    assert session.scalar(select(func.count()).select_from(Visit)) == 1
