"""When periodic jobs run: daily at a local time across midnight, intervals, retries."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from server.services.jobs.ticks import JobSpec, next_tick, retry_at

TZ = "Asia/Shanghai"
NIGHTLY = JobSpec("n", lambda *_: "", "nightly", at=time(1, 0))  # 01:00 Beijing = 17:00 UTC


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # 00:30 Beijing on Dec 4 → 01:00 the same local day
        (datetime(2026, 12, 3, 16, 30, tzinfo=UTC), datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
        # exactly at the tick → the next day's
        (datetime(2026, 12, 3, 17, 0, tzinfo=UTC), datetime(2026, 12, 4, 17, 0, tzinfo=UTC)),
        # 23:59 Beijing on Dec 3 → 01:00 on Dec 4
        (datetime(2026, 12, 3, 15, 59, tzinfo=UTC), datetime(2026, 12, 3, 17, 0, tzinfo=UTC)),
    ],
)
def test_a_daily_job_runs_at_its_local_time(after, expected):
    assert next_tick(NIGHTLY, after, TZ) == expected


def test_an_interval_job_runs_every_so_often():
    spec = JobSpec("p", lambda *_: "", "push", every=timedelta(seconds=10))
    start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert next_tick(spec, start, TZ) == start + timedelta(seconds=10)


def test_retries_double_to_an_hour_and_never_pass_the_next_tick():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 20:00 Beijing: the next tick is 5 h away
    waits = [retry_at(NIGHTLY, n, now, TZ) - now for n in range(1, 8)]
    assert [w.total_seconds() / 60 for w in waits] == [5, 10, 20, 40, 60, 60, 60]
    assert retry_at(NIGHTLY, 10**6, now, TZ) - now == timedelta(hours=1)  # no overflow
    late = datetime(2026, 12, 3, 16, 58, tzinfo=UTC)  # 2 min before the next tick
    assert retry_at(NIGHTLY, 5, late, TZ) == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("kwargs", [{}, {"at": time(1), "every": timedelta(1)}])
def test_a_job_has_exactly_one_schedule(kwargs):
    with pytest.raises(ValueError, match="exactly one"):
        JobSpec("x", lambda *_: "", "x", **kwargs)
