"""The household file: level and override forms (validated like the API, against the
version the page showed), the timeline in the reader's language, print view and PDF."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from server.models import AuditEvent, Household
from server.services.core import scope
from server.services.core.transaction import unit_of_work
from server.services.households import households
from sync.client import SyncClient
from sync.records import mask_id_number
from sync.schedule import DEFAULT_TZ
from sync.store import SQLiteStore
from sync.transport import InProcessTransport
from tests.factories import NOW, PASSWORD


@pytest.fixture
def home(world):
    """A household of street A in advisor A's caseload: medium, so quarterly."""
    return world.household("A1", advisor=world.adv_a)


def _url(home, tail: str = "") -> str:
    return f"/console/households/{home.id}{tail}"


def _version(session, home) -> int:
    session.expire_all()
    return session.get(Household, home.id).version


def _events(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def _invalid_feedback(page: str) -> list[str]:
    return [m.strip() for m in re.findall(r'class="invalid-feedback[^"]*"[^>]*>([^<]+)<', page)]


def test_changing_the_level_moves_the_cycle_and_is_audited(world, console, session, home):
    console.as_user(world.sup_a)
    data = {"level-hardship_level": "high", "level-version": _version(session, home)}
    response = console.post(_url(home, "/level"), data)
    assert response.status_code == 302
    session.expire_all()
    row = session.get(Household, home.id)
    assert (row.hardship_level, row.visit_cycle) == ("high", "monthly")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "update"))
    assert event.actor_id == world.sup_a.id
    assert event.diff["hardship_level"] == ["medium", "high"]
    page = console.get(_url(home)).get_data(as_text=True)
    assert "困难程度已修改。" in page
    # The timeline says it in words: the action, the field, the values as labels.
    assert "修改 · 家庭" in page and "困难程度：一般 → 重点" in page
    assert "探访周期变更 · 家庭" in page and "探访周期：每季度 → 每月" in page


def test_setting_and_removing_an_override(world, console, session, home):
    console.as_user(world.sup_a)
    override = {
        "override-cycle": "monthly",
        "override-reason": "独居老人，近期出院",
        "override-expires_on": "2099-06-30",
        "override-version": _version(session, home),
    }
    assert console.post(_url(home, "/override"), override).status_code == 302
    session.expire_all()
    row = session.get(Household, home.id)
    assert row.visit_cycle == "monthly"
    assert row.cycle_override == {
        "cycle": "monthly",
        "reason": "独居老人，近期出院",
        "expires_on": "2099-06-30",
    }
    page = console.get(_url(home)).get_data(as_text=True)
    assert "调整探访周期：无 → 每月：独居老人，近期出院（有效期至 2099-06-30）" in page
    # The form shows the override in force, ready to be extended.
    assert re.search(r'name="override-expires_on"[^>]*value="2099-06-30"', page)
    remove = {"remove-version": _version(session, home)}
    assert console.post(_url(home, "/override/remove"), remove).status_code == 302
    session.expire_all()
    row = session.get(Household, home.id)
    assert (row.cycle_override, row.visit_cycle) == (None, "quarterly")


BAD = [
    ("/level", {"level-hardship_level": "extreme"}, "请从重点、一般、稳定中选择。"),
    ("/level", {}, "此项必填。"),
    (
        "/override",
        {"override-cycle": "monthly", "override-reason": "", "override-expires_on": "2099-01-31"},
        "须为 2 至 200 个字。",
    ),
    (
        "/override",
        {"override-cycle": "monthly", "override-reason": "住院", "override-expires_on": ""},
        "请填写调整的有效期（最后一天）。",
    ),
    (
        "/override",
        {
            "override-cycle": "monthly",
            "override-reason": "住院",
            "override-expires_on": "2020-01-31",
        },
        "不能早于今天。",
    ),
    (
        "/override",
        {
            "override-cycle": "weekly",
            "override-reason": "住院",
            "override-expires_on": "2099-01-31",
        },
        "请从每月、每季度、每半年中选择。",
    ),
]


@pytest.mark.parametrize(("tail", "data", "message"), BAD)
def test_bad_input_is_refused_beside_its_field_and_changes_nothing(
    world, console, session, home, tail, data, message
):
    console.as_user(world.sup_a)
    before, events = _version(session, home), _events(session)
    prefix = tail.strip("/")
    response = console.post(_url(home, tail), {**data, f"{prefix}-version": before})
    assert response.status_code == 422
    assert message in _invalid_feedback(response.get_data(as_text=True))
    assert (_version(session, home), _events(session)) == (before, events)
    row = session.get(Household, home.id)
    assert (row.hardship_level, row.cycle_override) == ("medium", None)


@pytest.mark.parametrize("version", [None, "", "7x"])
def test_a_form_without_the_pages_version_changes_nothing(world, console, session, home, version):
    console.as_user(world.sup_a)
    data = {"level-hardship_level": "high"}
    if version is not None:
        data["level-version"] = version
    response = console.post(_url(home, "/level"), data)
    assert response.status_code == 422
    assert "表单不完整，请重新打开本页。" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Household, home.id).hardship_level == "medium"


TOO_LONG = ["9" * 20, "1" + "0" * 30, "18446744073709551617"]
FORMS = [
    ("/level", {"level-hardship_level": "high"}),
    (
        "/override",
        {
            "override-cycle": "monthly",
            "override-reason": "住院治疗中",
            "override-expires_on": "2099-01-31",
        },
    ),
    ("/override/remove", {}),
]


@pytest.mark.parametrize("version", TOO_LONG)
@pytest.mark.parametrize(("tail", "data"), FORMS)
def test_a_version_no_id_could_be_is_refused_never_applied(
    world, console, session, home, tail, data, version
):
    """A version of 20+ digits skipped the edit-conflict check and applied (issue 18.4)."""
    console.as_user(world.sup_a)
    if tail.endswith("remove"):  # an override to remove (the page shows the form then)
        override = {**FORMS[1][1], "override-version": _version(session, home)}
        assert console.post(_url(home, "/override"), override).status_code == 302
    before, events = _version(session, home), _events(session)
    prefix = "remove" if tail.endswith("remove") else tail.strip("/")
    response = console.post(_url(home, tail), {**data, f"{prefix}-version": version})
    assert response.status_code == 422
    assert "版本号无效，请重新打开本页。" in response.get_data(as_text=True)
    assert (_version(session, home), _events(session)) == (before, events)


def test_a_change_made_meanwhile_is_a_conflict_not_overwritten(world, console, session, home):
    console.as_user(world.sup_a)
    seen = _version(session, home)
    with unit_of_work(session):  # someone else, through the API's service, meanwhile
        households.update_household(
            session,
            actor=world.admin,
            household_id=home.id,
            changes={"hardship_level": "low"},
            now=NOW,
            tz=DEFAULT_TZ,
        )
    events = _events(session)
    response = console.post(
        _url(home, "/level"), {"level-hardship_level": "high", "level-version": seen}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "这户家庭的资料刚刚被他人修改" in page
    session.expire_all()
    assert session.get(Household, home.id).hardship_level == "low"
    assert _events(session) == events
    # The form now carries the current version: sent again, it applies.
    current = re.search(r'name="level-version" type="hidden" value="(\d+)"', page)
    assert current and int(current.group(1)) == _version(session, home)


def test_the_change_reaches_the_advisors_tablet_on_its_next_pull(
    app, world, console, session, home, tmp_path
):
    store = SQLiteStore(tmp_path / "tablet.sqlite3")
    tablet = SyncClient(store, InProcessTransport(app.test_client()))
    try:
        tablet.login(world.adv_a.username, PASSWORD)
        tablet.pull()
        assert store.record("household", str(home.id))["hardship_level"] == "medium"
        console.as_user(world.sup_a)
        data = {"level-hardship_level": "high", "level-version": _version(session, home)}
        assert console.post(_url(home, "/level"), data).status_code == 302
        tablet.pull()
        record = store.record("household", str(home.id))
        assert (record["hardship_level"], record["visit_cycle"]) == ("high", "monthly")
    finally:
        store.close()


def test_the_timeline_in_english(world, console, session, home):
    console.as_user(world.sup_a)
    console.post("/console/language", {"lang": "en", "next": "/console/"})
    data = {"level-hardship_level": "low", "level-version": _version(session, home)}
    console.post(_url(home, "/level"), data)
    page = console.get(_url(home)).get_data(as_text=True)
    assert "Changed · Household" in page and "Hardship level: medium → low" in page
    assert "Enrolled · Household" in page and "Enrolled · Member" in page


def test_the_timeline_shows_no_raw_codes(world, console, home):
    console.as_user(world.sup_a)
    page = console.get(_url(home)).get_data(as_text=True)
    timeline = page[page.index("时间线") :]
    for raw in ("hardship_level", "update", "create", "visit_cycle", "assigned_advisor_id"):
        assert raw not in timeline, raw
    assert "登记入册 · 家庭" in timeline and "分配社区救助顾问 · 家庭" in timeline
    assert world.adv_a.display_name in timeline


def test_the_print_view_has_no_navigation_and_its_own_stylesheet(world, console, home):
    console.as_user(world.sup_a)
    response = console.get(_url(home, "/print"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "navbar" not in page and "<script" not in page
    assert "/console/static/household-print.css" in page
    assert "一户一档" in page and home.head_name in page and "一般" in page
    with console.get("/console/static/household-print.css") as stylesheet:
        assert stylesheet.status_code == 200 and "@page" in stylesheet.get_data(as_text=True)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils; .ci/run installs it)"
)


@needs_pdftotext
def test_the_pdf_has_the_chinese_text_and_its_export_is_audited(
    world, console, session, home, tmp_path
):
    console.as_user(world.sup_a)
    response = console.get(_url(home, ".pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="household-{home.external_id}.pdf"'
    )
    text = _pdf_text(response.get_data(), tmp_path)
    for words in ("一户一档", home.head_name, "甲街道", "低保对象", "一般", "每季度", "登记入册"):
        assert words in text, words
    assert home.persons[0].id_number in text  # supervisors see whole numbers, as on the page
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert (event.actor_id, event.entity_id, event.diff) == (
        world.sup_a.id,
        str(home.id),
        {"format": [None, "pdf"]},
    )
    # …and the export then shows in the file's own timeline.
    assert "导出 · 家庭" in console.get(_url(home)).get_data(as_text=True)


@needs_pdftotext
def test_print_and_pdf_mask_id_numbers_as_the_page_does(
    world, console, home, tmp_path, monkeypatch
):
    monkeypatch.setattr(scope, "can_see_id_numbers", lambda actor: False)
    number = home.persons[0].id_number
    console.as_user(world.sup_a)
    for path in ("", "/print"):
        page = console.get(_url(home, path)).get_data(as_text=True)
        assert number not in page and mask_id_number(number) in page, path
    text = _pdf_text(console.get(_url(home, ".pdf")).get_data(), tmp_path)
    assert number not in text and mask_id_number(number) in text


# Who may change which household (DESIGN §7): a supervisor of either street of a 人户分离
# household, and admins; street B's supervisor not street A's own household (404).
CHANGERS = {
    "admin": {"split", "only_a"},
    "sup_a": {"split", "only_a"},
    "sup_b": {"split"},
    "sup_district": {"split", "only_a"},
}


CHANGES = [
    ("/level", {"level-hardship_level": "high"}),
    (
        "/override",
        {
            "override-cycle": "half_yearly",
            "override-reason": "已稳定",
            "override-expires_on": "2099-12-31",
        },
    ),
    ("/override/remove", {}),
]


def _post_changes(console, session, household) -> list[int]:
    """Each change, sent against the version the household has then; the statuses."""
    statuses = []
    for tail, body in CHANGES:
        prefix = "remove" if tail == "/override/remove" else tail.strip("/")
        data = {**body, f"{prefix}-version": _version(session, household)}
        statuses.append(console.post(_url(household, tail), data).status_code)
    return statuses


@pytest.mark.parametrize("who", sorted(CHANGERS))
def test_household_changes_follow_role_and_scope(world, console, session, who):
    places = {"split": world.household("A1", "B1"), "only_a": world.household("A2")}
    console.as_user(getattr(world, who))
    for which, household in places.items():
        allowed = which in CHANGERS[who]
        expected = [302 if allowed else 404] * len(CHANGES)
        assert _post_changes(console, session, household) == expected, (who, which)
        session.expire_all()
        row = session.get(Household, household.id)
        assert row.hardship_level == ("high" if allowed else "medium"), (who, which)


def test_a_session_turned_advisor_changes_nothing(world, console, session, home):
    console.as_user(world.sup_a)
    with unit_of_work(session):
        world.sup_a.role = "advisor"
    assert _post_changes(console, session, home) == [403] * len(CHANGES)
    session.expire_all()
    assert session.get(Household, home.id).hardship_level == "medium"
