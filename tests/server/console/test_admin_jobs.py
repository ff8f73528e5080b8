"""Administration of the worker's jobs: next run and last outcome in Chinese, "run now"
makes a job due at once (audited), and only admins see or press it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server import context
from server.models import AuditEvent, Job
from server.services.core.transaction import unit_of_work
from server.services.jobs import claims, registry
from server.services.jobs.runner import run_due

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 20:00 Beijing


@pytest.fixture
def admin(world, console, monkeypatch):
    monkeypatch.setattr(context, "now", lambda: NOW)
    return console.as_user(world.admin)


def _job(session, name: str) -> Job:
    session.expire_all()
    return session.get(Job, name)


def test_the_page_lists_each_job_with_its_next_run_and_outcome(admin, session):
    later = NOW + timedelta(hours=8)  # 04:00: both nightly jobs ran
    run_due(session, specs=registry.JOBS, worker="w1", now=lambda: NOW, tz="Asia/Shanghai")
    run_due(session, specs=registry.JOBS, worker="w1", now=lambda: later, tz="Asia/Shanghai")
    with unit_of_work(session):
        job = session.get(Job, "sync_prune")
        job.last_status, job.last_error, job.failures = "failed", "OperationalError: gone", 2
    page = admin.get("/console/admin/jobs").get_data(as_text=True)
    assert "后台任务" in page and "重算走访周期" in page and "清理同步记录" in page
    row = page[page.index('id="job-schedule_refresh"') :].split("</tr>")[0]
    assert "2026-12-05 01:00" in row and "成功" in row and "0 户走访周期有变化" in row
    failed = page[page.index('id="job-sync_prune"') :].split("</tr>")[0]
    assert "失败" in failed and "连续失败 2 次" in failed and "OperationalError: gone" in failed


def test_run_now_makes_the_job_due_and_is_audited(admin, session):
    admin.get("/console/admin/jobs")  # the rows exist once the page was seen
    assert _job(session, "schedule_refresh").next_run_at > NOW
    response = admin.post("/console/admin/jobs/schedule_refresh/run")
    assert response.status_code == 302
    assert _job(session, "schedule_refresh").next_run_at == NOW
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "run_now"))
    assert (event.entity, event.entity_id) == ("job", "schedule_refresh")
    with unit_of_work(session):
        assert claims.claim(session, worker="w", names=["schedule_refresh"], now=NOW)
    late = admin.get("/console/admin/jobs").get_data(as_text=True)
    row = late[late.index('id="job-schedule_refresh"') :].split("</tr>")[0]
    assert "是否在运行" not in row  # due only now
    assert admin.post("/console/admin/jobs/nothing/run").status_code == 404
    assert admin.post("/console/admin/jobs/sync_prune/run", csrf=False).status_code == 400


def test_a_job_nobody_ran_for_long_is_flagged(admin, session, monkeypatch):
    admin.get("/console/admin/jobs")
    monkeypatch.setattr(context, "now", lambda: NOW + timedelta(hours=6))  # 02:00 Beijing
    page = admin.get("/console/admin/jobs").get_data(as_text=True)
    row = page[page.index('id="job-schedule_refresh"') :].split("</tr>")[0]
    assert "已逾期：后台进程是否在运行？" in row


def test_only_admins_see_or_press_it(world, console):
    supervisor = console.as_user(world.sup_a)
    assert supervisor.get("/console/admin/jobs").status_code == 403
    assert supervisor.post("/console/admin/jobs/sync_prune/run").status_code == 403
