"""Roster imports against concurrent writers on PostgreSQL (issue 16 cases 6 and 8): two
real connections in threads, paused by the import's stage hook and by ``pg_locks``."""

from __future__ import annotations

import hashlib
import threading
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.cli.roster import RACED
from server.extensions import db
from server.models import AuditEvent, Household, User
from server.services import roster
from server.services.core import locks
from server.services.core.transaction import unit_of_work
from server.services.roster.numbering import AlreadyImported
from sync.schedule import DEFAULT_TZ
from tests.factories import NOW, visit_data
from tests.server.roster.conftest import csv_bytes
from tests.server.sync_helpers import Tablet

pytestmark = pytest.mark.postgres_only
WAIT_S = 20  # a bound on each wait, so a broken test fails instead of hanging


def _waiting(session: Session) -> bool:
    """Whether any connection waits for a lock (this database is the test's own)."""
    return bool(session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


def _until_waiting_or_done(session: Session, thread: threading.Thread) -> bool:
    """Poll until some connection waits for a lock (True) or ``thread`` ends (False)."""
    for _ in range(WAIT_S * 100):
        if _waiting(session):
            return True
        thread.join(0.01)
        if not thread.is_alive():
            return False
    raise AssertionError("neither waiting nor done")


class Importer(threading.Thread):
    """One import on its own connection, paused at ``pause_at`` until released."""

    def __init__(self, data: bytes, admin_id: int, pause_at: str | None, upload_id=None):
        super().__init__(daemon=True)
        self.data, self.admin_id, self.pause_at, self.upload_id = (
            data,
            admin_id,
            pause_at,
            upload_id,
        )
        self.paused, self.release = threading.Event(), threading.Event()
        self.error: Exception | None = None
        self.engine = db.engine  # taken in the test's app context

    def _stage(self, name: str) -> None:
        if name == self.pause_at:
            self.paused.set()
            assert self.release.wait(WAIT_S), "never released"

    def run(self) -> None:
        with Session(self.engine) as session:
            try:
                with unit_of_work(session):
                    roster.import_roster(
                        session,
                        actor=session.get(User, self.admin_id),
                        table=roster.read_table(self.data, "r.csv"),
                        now=NOW,
                        tz=DEFAULT_TZ,
                        digest=hashlib.sha256(self.data).hexdigest(),
                        upload_id=self.upload_id,
                        on_stage=self._stage,
                    )
            except Exception as error:  # noqa: BLE001 - the test reads it
                self.error = error
            finally:
                self.paused.set()


def _first_import(app, world, rows) -> None:
    thread = Importer(csv_bytes(rows), world.admin.id, None)
    thread.start()
    thread.join(WAIT_S)
    assert thread.error is None, thread.error


def test_the_import_merges_field_versions_with_an_edit_it_raced(app, world, session, rows):
    """Case 6: an edit committed between the import's read and its write is not lost
    (the households are locked before the read; the edit waits for the import)."""
    _first_import(app, world, rows)
    home_id = session.scalar(select(Household.id).where(Household.external_id == "R00001"))
    importer = Importer(csv_bytes([{**rows[0], "phone": "13700137000"}]), world.admin.id, "planned")
    importer.start()
    assert importer.paused.wait(WAIT_S)

    engine = db.engine

    def edit() -> None:
        # A console edit in the one lock order: the household's row first, the counter last.
        with Session(engine) as other, unit_of_work(other):
            locks.locked(other, Household, [home_id])[home_id].notes = "控制台：独居"

    editor = threading.Thread(target=edit, daemon=True)
    editor.start()
    waited = _until_waiting_or_done(session, editor)
    importer.release.set()
    importer.join(WAIT_S)
    editor.join(WAIT_S)
    assert importer.error is None, importer.error
    session.expire_all()
    home = session.get(Household, home_id)
    assert (home.phone, home.notes) == ("13700137000", "控制台：独居")
    assert set(home.field_versions) == {"phone", "notes"}, home.field_versions
    assert waited, "the edit must wait for the import's row lock"


def test_a_push_completes_while_an_import_is_mid_write(app, world, session, client, rows):
    """Case 8a: the import takes the version counter only at the end, so a push to
    another household is not held up by it."""
    home = world.household("A1", advisor=world.adv_a)
    tablet = Tablet(client, world.adv_a)
    importer = Importer(csv_bytes(rows), world.admin.id, "written")
    importer.start()
    assert importer.paused.wait(WAIT_S)
    answers: list = []

    mutation = tablet.mutation("visit", uuid.uuid4(), visit_data(home))

    def push() -> None:
        with app.app_context():
            answers.extend(tablet.push([mutation]))

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    blocked = _until_waiting_or_done(session, pusher)
    importer.release.set()
    importer.join(WAIT_S)
    pusher.join(WAIT_S)
    assert not blocked, "the push waited for the import"
    assert [a["status"] for a in answers] == ["applied"]
    assert importer.error is None, importer.error
    session.expire_all()
    versions = session.scalars(select(Household.version).order_by(Household.version)).all()
    imported = session.scalars(
        select(Household.version).where(Household.external_id.like("R%"))
    ).all()
    # The import committed after the push: its numbers are the higher ones, all positive.
    assert min(imported) > answers[0]["version"] and min(versions) > 0


def test_two_imports_of_one_upload_write_once(app, world, session, rows):
    """Case 8b: the second import of the same upload waits, then is refused clearly."""
    _first_import(app, world, rows)
    data = csv_bytes([{**r, "phone": "13700137000"} for r in rows])
    first = Importer(data, world.admin.id, "planned", upload_id="upload-1")
    first.start()
    assert first.paused.wait(WAIT_S)
    second = Importer(data, world.admin.id, None, upload_id="upload-1")
    second.start()
    assert _until_waiting_or_done(session, second), "the second import must wait"
    first.release.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert first.error is None, first.error
    assert isinstance(second.error, AlreadyImported), second.error
    assert "此文件已导入" in second.error.errors["file"][0]
    session.expire_all()
    imports = select(func.count()).where(AuditEvent.action == "roster_import")
    assert session.scalar(imports) == 2  # the first import of the rows, and this one


def test_two_files_creating_one_household_at_once_end_in_a_refusal(app, world, session, rows):
    """Two different files that both create the same new household: the second waits on the
    first's row and is refused by the unique index as a constraint (all or nothing), which
    the console and the CLI answer, never as an unexpected error."""
    first = Importer(csv_bytes(rows[:2]), world.admin.id, "written", upload_id="upload-a")
    first.start()
    assert first.paused.wait(WAIT_S)
    second = Importer(csv_bytes(rows[1:3]), world.admin.id, None, upload_id="upload-b")
    second.start()
    assert _until_waiting_or_done(session, second), "the second import must wait"
    first.release.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert first.error is None, first.error
    assert isinstance(second.error, IntegrityError), repr(second.error)
    session.expire_all()
    numbers = {r["external_id"] for r in rows[:3]}
    stored = session.scalars(
        select(Household.external_id).where(Household.external_id.in_(numbers))
    )
    assert sorted(stored) == sorted(r["external_id"] for r in rows[:2])  # nothing of the second


def test_the_cli_refuses_a_household_another_import_created_meanwhile(
    app, world, session, runner, rows, tmp_path
):
    """The same race through ``tanfang roster import``: the command prints the console's
    clear refusal and exits 1, never a database error's traceback."""
    first = Importer(csv_bytes(rows[:2]), world.admin.id, "written", upload_id="upload-a")
    first.start()
    assert first.paused.wait(WAIT_S)
    path = tmp_path / "second.csv"
    path.write_bytes(csv_bytes(rows[1:3]))
    results = []
    second = threading.Thread(
        target=lambda: results.append(runner.invoke(args=["roster", "import", str(path)])),
        daemon=True,
    )
    second.start()
    assert _until_waiting_or_done(session, second), "the command's import must wait"
    first.release.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert first.error is None, first.error
    (result,) = results
    assert not isinstance(result.exception, IntegrityError), result.exception
    assert result.exit_code == 1
    assert f"file: {RACED}" in result.output and "IntegrityError" not in result.output
    session.expire_all()
    stored = session.scalars(select(Household.external_id).where(Household.external_id == "R00003"))
    assert list(stored) == []
