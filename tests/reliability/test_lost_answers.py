"""A household edit whose answer was lost, then edited again: no conflict with itself."""

# Through a real store and client over HTTP to the live server, behind the faulty proxy of
# tests.reliability.test_network set to lose every push answer while ``faulty``: the server
# applies edit 1, the tablet never hears of it, and the advisor corrects the field.

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import select

from server.models import Household
from sync.client import SyncClient
from sync.store import SQLiteStore
from sync.transport import HttpTransport, TransportError
from tests.factories import PASSWORD
from tests.reliability.test_network import FaultyProxy

TYPO, FIXED = "13900001111", "13900002222"


@pytest.fixture
def losing_proxy(live_server):
    """A proxy that, while ``faulty``, passes every request on and loses its answer."""
    proxy = FaultyProxy(live_server, seed=7, rate=1.0, faults=("drop_response",))
    yield proxy
    proxy.close()


@pytest.fixture
def tablet(losing_proxy, tmp_path, request):
    """``tablet(user, batch)``: a store and client talking through the losing proxy."""
    opened = []

    def make(user, batch: int) -> SyncClient:
        store = SQLiteStore(tmp_path / "tablet.sqlite3")
        session = requests.Session()
        transport = HttpTransport(losing_proxy.url, session, timeout=(2, 10), retries=0)
        client = SyncClient(store, transport, batch=batch)
        client.login(user.username, PASSWORD)
        opened.append((store, transport, session))
        return client

    yield make
    for store, transport, session in opened:
        transport.close()
        session.close()
        store.close()


def server_phone(session, household_id: str) -> str:
    session.commit()  # a fresh snapshot, and none held while the server works
    phone = session.scalar(select(Household.phone).where(Household.id == uuid.UUID(household_id)))
    session.commit()
    return phone


def acknowledged(report) -> int:
    return report.pushed.get("applied", 0) + report.pushed.get("duplicate", 0)


# batch 100: edit 1's retry and edit 2 go in one request, and the server reads edit 2 on
# top of edit 1's outcome. batch 1: edit 1's retry is answered first, and the store rebases
# the queued edit 2 onto the version it was acknowledged at.
@pytest.mark.parametrize("batch", [100, 1], ids=["one-request", "one-by-one"])
def test_correcting_an_edit_whose_answer_was_lost_is_no_conflict(
    live_world, session, losing_proxy, tablet, batch
):
    home = str(live_world.household("A1", advisor=live_world.adv_a).id)
    session.commit()
    client = tablet(live_world.adv_a, batch)
    client.sync()
    client.store.update_household(home, {"phone": TYPO})
    losing_proxy.faulty = True
    with pytest.raises(TransportError):
        client.sync()
    losing_proxy.faulty = False
    assert server_phone(session, home) == TYPO  # applied; the tablet never heard
    client.store.update_household(home, {"phone": FIXED})

    report = client.sync()

    # Edit 1 again is ``duplicate``, or ``applied`` when sent alone (the same request body
    # again: the server replays the first response under its Idempotency-Key).
    assert acknowledged(report) == 2 and "conflict" not in report.pushed
    assert client.store.attention_items() == []
    assert server_phone(session, home) == FIXED
    shown = client.store.household(home)
    assert (shown["phone"], shown["local_state"]) == (FIXED, "synced")


@pytest.mark.parametrize("batch", [100, 1], ids=["one-request", "one-by-one"])
def test_a_server_change_between_the_edits_is_still_a_conflict(
    live_world, session, losing_proxy, tablet, batch
):
    """Rebasing covers only the fields edit 1 changed: a field the tablet knows nothing
    newer of keeps its base, and a change made on the server meanwhile is reported; the
    advisor's own field goes through."""
    household = live_world.household("A1", advisor=live_world.adv_a)
    home = str(household.id)
    session.commit()
    client = tablet(live_world.adv_a, batch)
    client.sync()
    client.store.update_household(home, {"phone": TYPO})
    losing_proxy.faulty = True
    with pytest.raises(TransportError):
        client.sync()
    losing_proxy.faulty = False
    client.store.update_household(home, {"phone": FIXED, "notes": "三楼东户"})
    session.refresh(household)  # the office reads the household as it is now, and edits
    household.notes = "街道办已更新"
    session.commit()

    report = client.sync()

    # Edit 2 is split in two by the store when edit 1's answer comes alone (one-by-one).
    assert acknowledged(report) == (1 if batch > 1 else 2) and report.pushed["conflict"] == 1
    [item] = client.store.attention_items()
    assert item["errors"].keys() == {"notes"} and item["server"]["notes"] == "街道办已更新"
    assert server_phone(session, home) == FIXED  # the advisor's own field went through
