"""The sync runner's notion of "busy" (what the UI tests' ``sync_idle`` relies on)."""

from __future__ import annotations

import pytest

from mobile.syncer import SyncRunner


@pytest.fixture
def held():
    """A ``post`` that keeps callbacks until the test runs them (the UI thread's queue)."""
    return []


@pytest.fixture
def runner(tmp_path, held):
    from sync.store import SQLiteStore

    store = SQLiteStore(tmp_path / "store.sqlite3")
    yield SyncRunner(store, "http://127.0.0.1:9", held.append)
    store.close()


@pytest.mark.parametrize("fails", [False, True], ids=["answered", "failed"])
def test_busy_until_the_answer_was_handled_on_the_ui_thread(runner, held, fails):
    """The job's thread has ended but its callback waits on the UI thread's queue: still
    busy, so a reader cannot see "idle" before the callback queued what follows it."""
    seen = []

    def work():
        if fails:
            raise OSError("offline")
        return "done"

    def callback(value) -> None:
        seen.append(runner.busy)  # whatever the callback starts is started while busy

    assert runner._start(work, callback, callback)
    runner.join(10)
    assert runner.busy and len(held) == 1 and not seen
    held.pop()()
    assert seen == [True] and not runner.busy


def test_a_second_job_waits_for_the_first_ones_answer(runner, held):
    assert runner._start(lambda: 1, lambda v: None, lambda e: None)
    runner.join(10)
    assert not runner._start(lambda: 2, lambda v: None, lambda e: None)
    held.pop()()
    assert runner._start(lambda: 3, lambda v: None, lambda e: None)
    runner.join(10)
    held.pop()()


def test_a_failing_callback_still_ends_the_job(runner, held):
    def broken(value) -> None:
        raise RuntimeError("screen gone")

    assert runner._start(lambda: 1, broken, broken)
    runner.join(10)
    with pytest.raises(RuntimeError):
        held.pop()()
    assert not runner.busy
