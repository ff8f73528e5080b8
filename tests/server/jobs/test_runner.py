"""The worker's pass over due jobs: ticks move on, failures are kept and retried without
stopping the others, a lapsed claim is taken over and its first claimant changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from server.models import Job
from server.services.core.transaction import unit_of_work
from server.services.jobs import claims, registry
from server.services.jobs.runner import run_due
from server.services.jobs.ticks import JobSpec

TZ = "Asia/Shanghai"
START = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 20:00 Beijing


class Clock:
    """The worker's clock, moved by the test."""

    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _row(session, name: str) -> Job:
    session.rollback()
    return session.scalar(select(Job).where(Job.name == name))


def _fails(session, now, tz) -> str:
    raise RuntimeError("the platform did not answer")


def test_nothing_runs_before_its_tick_then_each_job_once(session, clock):
    assert run_due(session, specs=registry.JOBS, worker="w1", now=clock, tz=TZ) == []
    assert {j.name for j in claims.statuses(session)} == {s.name for s in registry.JOBS}
    clock.at = START + timedelta(hours=8)  # 04:00 Beijing: every nightly job is due
    outcomes = run_due(session, specs=registry.JOBS, worker="w1", now=clock, tz=TZ)
    assert [(o.name, o.ok, o.text) for o in outcomes] == [
        ("schedule_refresh", True, '{"changed":0}'),
        ("overdue_scan", True, '{"raised":0}'),
        ("sync_prune", True, '{"removed":0}'),
    ]
    refresh = _row(session, "schedule_refresh")
    assert (refresh.last_status, refresh.runs, refresh.claimed_by) == ("ok", 1, None)
    assert refresh.next_run_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 01:00 next night
    # The same tick is not run twice.
    assert run_due(session, specs=registry.JOBS, worker="w2", now=clock, tz=TZ) == []


def test_a_failing_job_is_kept_and_retried_and_stops_no_other(session, clock):
    failing = JobSpec("a_failing", _fails, "always fails", at=time(21, 0))
    fine = JobSpec("b_fine", lambda *_: {"done": 1}, "works", at=time(21, 0))
    specs = [failing, fine]
    run_due(session, specs=specs, worker="w1", now=clock, tz=TZ)
    clock.at = START + timedelta(hours=1, minutes=1)  # 21:01 Beijing
    outcomes = run_due(session, specs=specs, worker="w1", now=clock, tz=TZ)
    assert [(o.name, o.ok) for o in outcomes] == [("a_failing", False), ("b_fine", True)]
    row = _row(session, "a_failing")
    assert row.last_status == "failed" and row.failures == 1
    assert row.last_error == "RuntimeError: the platform did not answer"
    assert row.next_run_at == clock.at + timedelta(minutes=5)
    clock.at += timedelta(minutes=5)
    (again,) = run_due(session, specs=specs, worker="w1", now=clock, tz=TZ)
    assert again.name == "a_failing" and _row(session, "a_failing").failures == 2
    assert _row(session, "a_failing").next_run_at == clock.at + timedelta(minutes=10)


def test_a_lapsed_claim_is_taken_over_and_the_first_claimant_changes_nothing(session, clock):
    spec = JobSpec("j", lambda *_: "", "j", at=time(21, 0))
    with unit_of_work(session):
        claims.ensure_jobs(session, [spec], START, TZ)
    due = START + timedelta(hours=1)
    with unit_of_work(session):
        assert claims.claim(session, worker="crashed", names=["j"], now=due) == "j"
    almost = due + claims.LEASE - timedelta(seconds=1)
    with unit_of_work(session):
        assert claims.claim(session, worker="second", names=["j"], now=almost) is None
    lapsed = due + claims.LEASE + timedelta(seconds=1)
    with unit_of_work(session):
        assert claims.claim(session, worker="second", names=["j"], now=lapsed) == "j"
    with unit_of_work(session):
        assert not claims.finish(session, spec=spec, worker="crashed", now=lapsed, tz=TZ)
    assert _row(session, "j").claimed_by == "second"
    with unit_of_work(session):
        assert claims.finish(session, spec=spec, worker="second", now=lapsed, tz=TZ, summary="{}")
    row = _row(session, "j")
    assert (row.claimed_by, row.last_summary, row.runs) == (None, "{}", 1)


def test_the_command_runs_due_jobs_once_and_lists_them(runner, monkeypatch):
    from server import context

    monkeypatch.setattr(context, "now", lambda: START)
    first = runner.invoke(args=["worker", "--once"])
    assert first.exit_code == 0 and first.output == "", first.output
    monkeypatch.setattr(context, "now", lambda: START + timedelta(hours=8))
    ran = runner.invoke(args=["worker", "--once"])
    assert ran.exit_code == 0, ran.output
    for name in ("schedule_refresh", "overdue_scan", "sync_prune"):
        assert f"{name}: ok" in ran.output
    status = runner.invoke(args=["worker", "--status"])
    assert status.exit_code == 0, status.output
    assert "schedule_refresh     next 2026-12-05 01:00 CST  last: ok" in status.output
