"""Tests for the visit schedule: periods, status, completed_days and explain (DESIGN §4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.enums import Outcome, RecordStatus
from sync.schedule import (
    Cycle,
    Period,
    State,
    completed_days,
    explain,
    period_at,
    period_index,
    period_of,
    status,
)

D = date
M, Q, H = Cycle.MONTHLY, Cycle.QUARTERLY, Cycle.HALF_YEARLY
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "cycle", "start", "end"),
    [
        (D(2025, 1, 31), M, D(2025, 1, 1), D(2025, 1, 31)),
        (D(2025, 2, 14), M, D(2025, 2, 1), D(2025, 2, 28)),
        (D(2024, 2, 29), M, D(2024, 2, 1), D(2024, 2, 29)),  # leap year
        (D(2000, 2, 1), M, D(2000, 2, 1), D(2000, 2, 29)),  # divisible by 400: leap
        (D(1900, 2, 1), M, D(1900, 2, 1), D(1900, 2, 28)),  # divisible by 100: not leap
        (D(2025, 12, 31), M, D(2025, 12, 1), D(2025, 12, 31)),
        (D(2025, 1, 1), Q, D(2025, 1, 1), D(2025, 3, 31)),
        (D(2025, 3, 31), Q, D(2025, 1, 1), D(2025, 3, 31)),
        (D(2025, 4, 1), Q, D(2025, 4, 1), D(2025, 6, 30)),
        (D(2025, 8, 15), Q, D(2025, 7, 1), D(2025, 9, 30)),
        (D(2025, 12, 31), Q, D(2025, 10, 1), D(2025, 12, 31)),
        (D(2025, 6, 30), H, D(2025, 1, 1), D(2025, 6, 30)),
        (D(2025, 7, 1), H, D(2025, 7, 1), D(2025, 12, 31)),
        (D(2024, 2, 29), H, D(2024, 1, 1), D(2024, 6, 30)),
    ],
)
def test_period_of(day: date, cycle: Cycle, start: date, end: date) -> None:
    period = period_of(day, cycle)
    assert (period.cycle, period.start, period.end) == (cycle, start, end)
    assert day in period


@pytest.mark.parametrize(
    ("start", "next_start", "next_end"),
    [
        (D(2025, 1, 1), D(2025, 2, 1), D(2025, 2, 28)),  # Jan 31 -> Feb 28
        (D(2024, 1, 1), D(2024, 2, 1), D(2024, 2, 29)),  # Jan 31 -> Feb 29 in a leap year
        (D(2025, 12, 1), D(2026, 1, 1), D(2026, 1, 31)),
    ],
)
def test_next_month(start: date, next_start: date, next_end: date) -> None:
    following = period_of(start, M).next()
    assert (following.start, following.end) == (next_start, next_end)
    assert following.previous() == period_of(start, M)


@pytest.mark.parametrize("cycle", list(Cycle))
def test_index_counts_periods_across_a_year_end(cycle: Cycle) -> None:
    december, january = period_of(D(2024, 12, 31), cycle), period_of(D(2025, 1, 1), cycle)
    assert january.index == december.index + 1
    assert period_index(D(2025, 1, 1), cycle) == january.index
    assert period_at(cycle.value, january.index) == january
    assert period_at(cycle.value, january.index).cycle is cycle


def test_cycle_labels_and_months() -> None:
    assert [c.months for c in Cycle] == [1, 3, 6]
    assert Cycle.QUARTERLY.label() == "每季度"
    assert Cycle.HALF_YEARLY.label("en") == "half-yearly"
    assert Cycle.codes() == ["monthly", "quarterly", "half_yearly"]
    assert Cycle("monthly") == "monthly"


# --- status --------------------------------------------------------------------------------

ENROLLED = D(2023, 5, 10)


@pytest.mark.parametrize(
    ("cycle", "visits", "enrolled", "today", "state", "missed", "days_left"),
    [
        # no visits at all, enrolled long ago: every period since enrolment is missed
        (Q, [], ENROLLED, D(2025, 3, 19), State.OVERDUE, 7, 12),
        # visit on the first / the last day of the current period
        (Q, [D(2025, 1, 1)], ENROLLED, D(2025, 3, 19), State.DONE, 7, 12),
        (Q, [D(2024, 12, 31), D(2025, 3, 31)], ENROLLED, D(2025, 3, 31), State.DONE, 0, 0),
        # visited on the last day of the previous period: due, nothing missed
        (Q, [D(2024, 12, 31)], ENROLLED, D(2025, 1, 1), State.DUE, 0, 89),
        # visited on the first day of the previous period
        (M, [D(2025, 2, 1)], ENROLLED, D(2025, 3, 31), State.DUE, 0, 0),
        # two months after the last visit
        (M, [D(2025, 1, 31)], ENROLLED, D(2025, 4, 2), State.OVERDUE, 2, 28),
        # several visits in one period
        (
            M,
            [D(2025, 3, 3), D(2025, 3, 20), D(2025, 3, 9)],
            ENROLLED,
            D(2025, 3, 25),
            "done",
            22,
            6,
        ),
        # enrolled mid-period, not yet visited
        (H, [], D(2025, 8, 1), D(2025, 9, 1), State.NEW, 0, 121),
        (M, [], D(2025, 2, 28), D(2025, 2, 28), State.NEW, 0, 0),
        # enrolled mid-period and visited the same period
        (H, [D(2025, 8, 2)], D(2025, 8, 1), D(2025, 9, 1), State.DONE, 0, 121),
        # the visit that led to enrolment counts for its period
        (M, [D(2025, 8, 1)], D(2025, 8, 20), D(2025, 8, 21), State.DONE, 0, 10),
        # enrolment period itself is a period to be visited once it is over
        (M, [], D(2025, 1, 31), D(2025, 2, 1), State.OVERDUE, 1, 27),
        (H, [D(2025, 1, 1)], D(2025, 1, 1), D(2025, 7, 1), State.DUE, 0, 183),
        # visits after today are ignored
        (Q, [D(2025, 3, 20)], ENROLLED, D(2025, 3, 19), State.OVERDUE, 7, 12),
        # leap day
        (M, [D(2024, 2, 29)], ENROLLED, D(2024, 3, 1), State.DUE, 0, 30),
        (M, [D(2024, 1, 31)], ENROLLED, D(2024, 2, 29), State.DUE, 0, 0),
    ],
)
def test_status_table(
    cycle: Cycle,
    visits: list[date],
    enrolled: date,
    today: date,
    state: State,
    missed: int,
    days_left: int,
) -> None:
    result = status(cycle, visits, enrolled, today)
    assert (result.state, result.missed_periods, result.days_left) == (state, missed, days_left)
    assert result.period == period_of(today, cycle)
    assert result.cycle == cycle


def test_last_visit_is_the_latest_up_to_today() -> None:
    visits = [D(2025, 3, 3), D(2025, 3, 20), D(2025, 3, 9), D(2025, 3, 30)]
    assert status(M, visits, ENROLLED, D(2025, 3, 25)).last_visit == D(2025, 3, 20)
    assert status(M, [], ENROLLED, D(2025, 3, 25)).last_visit is None


def test_accepts_a_generator_and_a_cycle_code() -> None:
    result = status("quarterly", (d for d in [D(2025, 2, 1)]), ENROLLED, D(2025, 3, 1))
    assert result.state == State.DONE
    assert result.cycle is Cycle.QUARTERLY


def test_today_before_enrolment_is_an_error() -> None:
    with pytest.raises(ValueError, match="before enrolment"):
        status(M, [], D(2025, 3, 2), D(2025, 3, 1))


def test_cycle_since_after_today_is_an_error() -> None:
    with pytest.raises(ValueError, match="cycle_since"):
        status(M, [], ENROLLED, D(2025, 3, 1), cycle_since=D(2025, 3, 2))


class TestCycleChange:
    """A household moved from half-yearly to monthly on 2025-05-15, visited in January."""

    visits = [D(2024, 8, 1), D(2025, 1, 20)]
    changed = D(2025, 5, 15)

    def test_without_cycle_since_past_months_count_as_missed(self) -> None:
        before = status(H, self.visits, ENROLLED, D(2025, 5, 14))
        assert before.state == State.DONE
        after = status(M, self.visits, ENROLLED, D(2025, 5, 20))
        assert (after.state, after.missed_periods) == (State.OVERDUE, 3)  # Feb, Mar, Apr

    def test_with_cycle_since_the_new_cycle_starts_in_the_current_period(self) -> None:
        result = status(M, self.visits, ENROLLED, D(2025, 5, 20), cycle_since=self.changed)
        assert (result.state, result.missed_periods, result.days_left) == (State.DUE, 0, 11)

    def test_with_cycle_since_the_change_period_counts_once_over(self) -> None:
        result = status(M, self.visits, ENROLLED, D(2025, 7, 2), cycle_since=self.changed)
        assert (result.state, result.missed_periods) == (State.OVERDUE, 2)  # May, Jun

    def test_cycle_since_before_enrolment_changes_nothing(self) -> None:
        plain = status(M, [], D(2025, 1, 5), D(2025, 4, 1))
        since = status(M, [], D(2025, 1, 5), D(2025, 4, 1), cycle_since=D(2020, 1, 1))
        assert plain == since
        assert plain.missed_periods == 3

    def test_a_visit_in_the_current_period_before_the_change_counts(self) -> None:
        visits = [D(2025, 5, 2)]
        result = status(M, visits, ENROLLED, D(2025, 5, 20), cycle_since=self.changed)
        assert result.state == State.DONE


# --- completed_days ------------------------------------------------------------------------


def at(text: str, tz: timezone | ZoneInfo = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def test_completed_days_keeps_completed_non_draft_visits() -> None:
    visits = [
        (at("2025-03-02T10:00"), "completed", "submitted"),
        (at("2025-03-03T10:00"), Outcome.completed, RecordStatus.approved),
        (at("2025-03-04T10:00"), "completed", "draft"),
        (at("2025-03-05T10:00"), "not_home", "submitted"),
        {"visited_at": at("2025-03-06T10:00"), "outcome": "completed", "status": "returned"},
        {"visited_at": at("2025-03-07T10:00"), "outcome": "refused", "status": "approved"},
    ]
    assert completed_days(visits) == [D(2025, 3, 2), D(2025, 3, 3), D(2025, 3, 6)]


def test_completed_days_reads_attributes() -> None:
    class Row:
        visited_at = at("2025-03-02T10:00")
        outcome = "completed"
        status = "submitted"

    assert completed_days([Row()]) == [D(2025, 3, 2)]


def test_only_not_home_visits_do_not_count() -> None:
    visits = [(at(f"2025-0{m}-10T10:00"), "not_home", "submitted") for m in range(1, 4)]
    days = completed_days(visits)
    assert days == []
    result = status(M, days, D(2024, 12, 1), D(2025, 3, 15))
    assert (result.state, result.missed_periods, result.last_visit) == (State.OVERDUE, 3, None)


@pytest.mark.parametrize(
    ("visited_at", "quarter_start"),
    [
        (at("2025-03-31T23:30"), D(2025, 1, 1)),  # 15:30 UTC on Mar 31
        (at("2025-03-31T15:30", UTC), D(2025, 1, 1)),  # the same instant given in UTC
        (at("2025-04-01T00:30"), D(2025, 4, 1)),  # still Mar 31 16:30 in UTC
        (at("2025-03-31T16:30", UTC), D(2025, 4, 1)),
    ],
)
def test_time_zone_boundary(visited_at: datetime, quarter_start: date) -> None:
    (day,) = completed_days([(visited_at, "completed", "submitted")])
    assert period_of(day, Q).start == quarter_start


def test_completed_days_other_time_zone() -> None:
    visit = (at("2025-03-31T16:30", UTC), "completed", "submitted")
    assert completed_days([visit], tz="UTC") == [D(2025, 3, 31)]
    assert completed_days([visit], tz=timezone(timedelta(hours=8))) == [D(2025, 4, 1)]


def test_completed_days_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        completed_days([(datetime(2025, 3, 31, 23, 30), "completed", "submitted")])


# --- explain -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cycle", "visits", "enrolled", "today", "zh", "en"),
    [
        (Q, [D(2024, 12, 1)], ENROLLED, D(2025, 3, 19), "本季度尚未走访，距季末还有 12 天",
         "Not yet visited this quarter; 12 days left"),
        (M, [D(2025, 2, 1)], ENROLLED, D(2025, 3, 30), "本月尚未走访，距月末还有 1 天",
         "Not yet visited this month; 1 day left"),
        (H, [D(2025, 1, 1)], ENROLLED, D(2025, 12, 31), "本半年尚未走访，今天是本半年最后一天",
         "Not yet visited this half-year; today is the last day of the half-year"),
        (M, [D(2025, 11, 5)], ENROLLED, D(2025, 11, 20), "本月已走访（11月5日）",
         "Visited this month (5 Nov)"),
        (H, [D(2025, 8, 2)], ENROLLED, D(2025, 9, 1), "本半年已走访（8月2日）",
         "Visited this half-year (2 Aug)"),
        (H, [], D(2025, 8, 1), D(2025, 9, 1), "新纳入，本半年内尚未走访，距半年末还有 121 天",
         "Newly enrolled; not yet visited this half-year; 121 days left"),
        (M, [D(2025, 8, 3)], ENROLLED, D(2025, 11, 30),
         "已连续 2 个月未走访，最近一次走访为2025年8月3日",
         "Not visited for 2 consecutive months; last visited 3 Aug 2025"),
        (Q, [], D(2025, 1, 1), D(2025, 4, 1), "上个季度未走访，此前从未走访",
         "Not visited last quarter; never visited"),
        (H, [D(2023, 6, 1)], ENROLLED, D(2025, 1, 2),
         "已连续 3 个半年未走访，最近一次走访为2023年6月1日",
         "Not visited for 3 consecutive half-years; last visited 1 Jun 2023"),
    ],
)  # fmt: skip
def test_explain(
    cycle: Cycle, visits: list[date], enrolled: date, today: date, zh: str, en: str
) -> None:
    result = status(cycle, visits, enrolled, today)
    assert explain(result) == zh
    assert explain(result, "zh") == zh
    assert explain(result, lang="en") == en


# --- properties ----------------------------------------------------------------------------

days = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
cycles = st.sampled_from(list(Cycle))


@given(days, cycles)
def test_every_day_is_in_exactly_one_period(day: date, cycle: Cycle) -> None:
    period = period_of(day, cycle)
    assert period.start <= day <= period.end
    assert period_of(period.start, cycle) == period == period_of(period.end, cycle)
    assert period.start.day == 1 and period.start.month % cycle.months == 1 % cycle.months


@given(days, cycles)
def test_periods_tile_the_calendar(day: date, cycle: Cycle) -> None:
    period = period_of(day, cycle)
    assert period.next().start == period.end + timedelta(days=1)
    assert period.previous().end == period.start - timedelta(days=1)
    assert period.next().index == period.index + 1
    assert period.next().previous() == period


@st.composite
def households(draw: st.DrawFn) -> tuple[Cycle, list[date], date, date, date | None]:
    cycle = draw(cycles)
    enrolled = draw(st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31)))
    today = enrolled + timedelta(days=draw(st.integers(0, 2000)))
    offsets = st.integers(-200, 2200).map(lambda n: enrolled + timedelta(days=n))
    visits = draw(st.lists(offsets, max_size=12))
    since = draw(st.none() | st.integers(-400, 2000).map(lambda n: enrolled + timedelta(days=n)))
    return cycle, visits, enrolled, today, since if since is None or since <= today else today


def reference_missed(
    cycle: Cycle, visits: list[date], enrolled: date, today: date, since: date | None
) -> int:
    """Walk back period by period: slow but obviously right."""
    floor = max(enrolled, since or enrolled)
    period, missed = period_of(today, cycle).previous(), 0
    while period.end >= floor and not any(v in period for v in visits):
        missed, period = missed + 1, period.previous()
    return missed


@given(households())
def test_status_invariants(household: tuple[Cycle, list[date], date, date, date | None]) -> None:
    cycle, visits, enrolled, today, since = household
    result = status(cycle, visits, enrolled, today, cycle_since=since)
    current = period_of(today, cycle)
    assert 0 <= result.missed_periods <= current.index - period_of(enrolled, cycle).index
    assert result.missed_periods == reference_missed(cycle, visits, enrolled, today, since)
    assert (result.state == State.DONE) == any(v in current for v in visits if v <= today)
    assert result.days_left == (current.end - today).days >= 0
    assert (result.state == State.OVERDUE) == (
        result.state != State.DONE and enrolled not in current and result.missed_periods > 0
    )
    if since is not None:
        without = status(cycle, visits, enrolled, today)
        assert result.missed_periods <= without.missed_periods


@given(households(), st.integers(0, 3000))
def test_a_new_visit_never_makes_the_state_worse(
    household: tuple[Cycle, list[date], date, date, date | None], back: int
) -> None:
    cycle, visits, enrolled, today, since = household
    before = status(cycle, visits, enrolled, today, cycle_since=since)
    visited_today = status(cycle, [*visits, today], enrolled, today, cycle_since=since)
    assert visited_today.state == State.DONE
    assert visited_today.state.rank <= before.state.rank
    earlier = today - timedelta(days=back)
    after = status(cycle, [*visits, earlier], enrolled, today, cycle_since=since)
    assert after.state.rank <= before.state.rank
    assert after.missed_periods <= before.missed_periods


def test_state_rank_orders_best_to_worst() -> None:
    ranked = sorted(State, key=lambda s: s.rank)
    assert ranked == [State.DONE, State.NEW, State.DUE, State.OVERDUE]


def test_period_is_frozen() -> None:
    period = period_of(D(2025, 1, 1), M)
    assert isinstance(period, Period)
    with pytest.raises(AttributeError):
        period.start = D(2025, 2, 1)  # type: ignore[misc]
