"""The console across a handover (issue 16 cases 3 and 4): the preview lists returned
records still waiting; a record kept after its household left the caseload is flagged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.factories import visit_data
from tests.server.sync_helpers import Tablet
from tests.server.test_handover_fieldwork import move_household, return_visit


def test_the_console_shows_returned_records_and_the_left_caseload_flag(
    client, token_of, world, session, console
):
    home = world.household("A1", advisor=world.adv_a)
    successor = world.user("advisor", world.street_a)
    tablet = Tablet(client, world.adv_a)
    returned, late = uuid.uuid4(), uuid.uuid4()
    tablet.push([tablet.mutation("visit", returned, visit_data(home))])
    return_visit(session, world, returned, "请注明收入")
    c = console.as_user(world.sup_a)
    page = c.get(
        f"/console/caseloads/preview?kind=household&household={home.external_id}"
        f"&to_advisor={successor.id}"
    ).get_data(as_text=True)
    assert "待更正的退回记录" in page and "请注明收入" in page
    move_household(client, token_of, world, home, successor)
    tablet.push([tablet.mutation("visit", late, visit_data(home, when=datetime.now(UTC)))])
    assert "已移出原顾问名下" in c.get("/console/review").get_data(as_text=True)
    record = c.get(f"/console/review/visit/{late}").get_data(as_text=True)
    assert 'id="left-caseload"' in record
