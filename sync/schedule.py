"""Calendar-aligned visit periods and each household's visit status (DESIGN §4), pure Python."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sync.enums import Outcome, RecordStatus, VisitCycle

DEFAULT_TZ = "Asia/Shanghai"


class Cycle(StrEnum):
    """How often a household must be visited; members equal their code strings."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"

    @property
    def months(self) -> int:
        """Length of one period in months (1, 3 or 6)."""
        return _MONTHS[self]

    def label(self, lang: str = "zh") -> str:
        """The label a person reads; shared with :class:`sync.enums.VisitCycle`."""
        return VisitCycle(self.value).label(lang)

    @classmethod
    def codes(cls) -> list[str]:
        """All code values, from most to least frequent."""
        return [m.value for m in cls]


_MONTHS = {Cycle.MONTHLY: 1, Cycle.QUARTERLY: 3, Cycle.HALF_YEARLY: 6}


class State(StrEnum):
    """A household's visit state in the current period."""

    DONE = "done"
    NEW = "new"
    DUE = "due"
    OVERDUE = "overdue"

    @property
    def rank(self) -> int:
        """0 is best (done) and 3 worst (overdue); sort a due list by descending rank."""
        return _RANK[self]


_RANK = {State.DONE: 0, State.NEW: 1, State.DUE: 2, State.OVERDUE: 3}


@dataclass(frozen=True, slots=True)
class Period:
    """One calendar-aligned period; ``start`` and ``end`` are both inclusive.

    ``index`` counts periods of this cycle since year 0 (months, quarters or half-years),
    so the number of periods between two dates is a subtraction.
    """

    cycle: Cycle
    start: date
    end: date
    index: int

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Period:
        """The period right after this one."""
        return period_at(self.cycle, self.index + 1)

    def previous(self) -> Period:
        """The period right before this one."""
        return period_at(self.cycle, self.index - 1)


def period_index(day: date, cycle: Cycle | str) -> int:
    """The index of the period of ``cycle`` that contains ``day``."""
    return (day.year * 12 + day.month - 1) // _MONTHS[Cycle(cycle)]


def period_at(cycle: Cycle | str, index: int) -> Period:
    """The period of ``cycle`` with the given index (see :class:`Period`)."""
    # Coerce first: "monthly" and Cycle.MONTHLY hash alike, and the cache must hold Cycles.
    return _period_at(Cycle(cycle), index)


@lru_cache(maxsize=4096)
def _period_at(cycle: Cycle, index: int) -> Period:
    # Households share a handful of current periods, so caching saves most of the date math.
    months = _MONTHS[cycle]
    year, first = divmod(index * months, 12)
    last = first + months  # 1-based last month; a period never spans years as months | 12
    start = date(year, first + 1, 1)
    end = date(year, last, calendar.monthrange(year, last)[1])
    return Period(cycle, start, end, index)


def period_of(day: date, cycle: Cycle | str) -> Period:
    """The calendar month, quarter (Q1–Q4) or half-year (H1 Jan–Jun, H2 Jul–Dec) of ``day``."""
    cycle = Cycle(cycle)
    return _period_at(cycle, (day.year * 12 + day.month - 1) // _MONTHS[cycle])


@dataclass(frozen=True, slots=True)
class ScheduleStatus:
    """Where a household stands in the current period; built by :func:`status`."""

    state: State
    period: Period
    days_left: int
    missed_periods: int
    last_visit: date | None

    @property
    def cycle(self) -> Cycle:
        """The cycle the status was computed with."""
        return self.period.cycle


def status(
    cycle: Cycle | str,
    completed_visit_days: Iterable[date],
    enrolled_on: date,
    today: date,
    *,
    cycle_since: date | None = None,
) -> ScheduleStatus:
    """The visit status of one household on ``today`` (a local date).

    ``completed_visit_days`` are local dates of visits that count (see :func:`completed_days`);
    days after ``today`` are ignored. A visit before ``enrolled_on`` still counts for the
    period it falls in (e.g. the visit that led to enrolment).

    ``cycle`` is the household's *current* cycle and every period, past ones included, is
    cut with it: a household moved from half-yearly to monthly mid-period is judged monthly
    from now on and ``missed_periods`` counts back in months. Pass ``cycle_since`` (the day
    the current cycle took effect) so that periods before the one containing it are not held
    against the household under a cycle it was not on; the period containing it still counts,
    as the enrolment period does.

    State: ``done`` if a visit falls in the current period; else ``new`` if enrolled in the
    current period; else ``overdue`` if ``missed_periods >= 1``; else ``due``.

    Raises ValueError if ``today`` is before ``enrolled_on`` or ``cycle_since`` is after
    ``today``.
    """
    cycle = Cycle(cycle)
    if today < enrolled_on:
        raise ValueError(f"today {today} is before enrolment on {enrolled_on}")
    months = _MONTHS[cycle]
    current = (today.year * 12 + today.month - 1) // months
    enrolled = (enrolled_on.year * 12 + enrolled_on.month - 1) // months
    floor = enrolled
    if cycle_since is not None:
        if cycle_since > today:
            raise ValueError(f"cycle_since {cycle_since} is after today {today}")
        floor = max(floor, (cycle_since.year * 12 + cycle_since.month - 1) // months)
    # Index arithmetic, not a walk over days or periods: one pass over the visits finds the
    # latest visited period before the current one; everything after it is missed.
    latest = floor - 1
    done = False
    last_visit: date | None = None
    for day in completed_visit_days:
        if day > today:
            continue
        if last_visit is None or day > last_visit:
            last_visit = day
        index = (day.year * 12 + day.month - 1) // months
        if index == current:
            done = True
        elif index > latest:
            latest = index
    missed = current - 1 - latest
    if done:
        state = State.DONE
    elif enrolled == current:
        state = State.NEW
    elif missed:
        state = State.OVERDUE
    else:
        state = State.DUE
    period = _period_at(cycle, current)
    return ScheduleStatus(state, period, (period.end - today).days, missed, last_visit)


def completed_days(visits: Iterable[Any], tz: tzinfo | str = DEFAULT_TZ) -> list[date]:
    """Local dates (in ``tz``) of the visits that count: outcome completed, status not draft.

    Each visit is a ``(visited_at, outcome, status)`` tuple, a mapping with those keys or an
    object with those attributes; ``visited_at`` must be time-zone aware, because the period
    a visit belongs to depends on the local date (23:30 in Shanghai on 31 March is Q1 though
    it is still 15:30 UTC).
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    days = []
    for visit in visits:
        visited_at, outcome, record_status = _visit_fields(visit)
        if outcome != Outcome.completed or record_status == RecordStatus.draft:
            continue
        if visited_at.tzinfo is None or visited_at.utcoffset() is None:
            raise ValueError(f"visited_at {visited_at} is not time-zone aware")
        days.append(visited_at.astimezone(zone).date())
    return days


def _visit_fields(visit: Any) -> tuple[datetime, str, str]:
    # Tuples first: the tablet's due list passes 10,000s of them, and the Mapping check
    # (an ABC) is the slow one.
    if type(visit) is tuple:
        return visit
    if isinstance(visit, Mapping):
        return visit["visited_at"], visit["outcome"], visit["status"]
    if isinstance(visit, tuple | list):
        visited_at, outcome, record_status = visit
        return visited_at, outcome, record_status
    return visit.visited_at, visit.outcome, visit.status


# Per cycle: zh "this period", zh count unit, zh "last period"; en singular, en plural.
_ZH = {
    Cycle.MONTHLY: ("本月", "个月", "上个月"),
    Cycle.QUARTERLY: ("本季度", "个季度", "上个季度"),
    Cycle.HALF_YEARLY: ("本半年", "个半年", "上个半年"),
}
_ZH_END = {Cycle.MONTHLY: "月末", Cycle.QUARTERLY: "季末", Cycle.HALF_YEARLY: "半年末"}
_EN = {
    Cycle.MONTHLY: ("month", "months"),
    Cycle.QUARTERLY: ("quarter", "quarters"),
    Cycle.HALF_YEARLY: ("half-year", "half-years"),
}
# Spelled out rather than strftime("%b"), which follows the process locale.
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def explain(st: ScheduleStatus, lang: str = "zh") -> str:
    """One sentence, in ``lang`` ("zh" or "en"), saying why the household has its state."""
    return _explain_en(st) if lang == "en" else _explain_zh(st)


def _explain_zh(st: ScheduleStatus) -> str:
    this, unit, last = _ZH[st.cycle]
    if st.days_left:
        left = f"距{_ZH_END[st.cycle]}还有 {st.days_left} 天"
    else:
        left = f"今天是{this}最后一天"
    if st.state == State.DONE:
        day = st.last_visit
        return f"{this}已走访（{day.month}月{day.day}日）"
    if st.state == State.NEW:
        return f"新纳入，{this}内尚未走访，{left}"
    if st.state == State.DUE:
        return f"{this}尚未走访，{left}"
    head = last + "未走访" if st.missed_periods == 1 else f"已连续 {st.missed_periods} {unit}未走访"
    day = st.last_visit
    tail = f"最近一次走访为{day.year}年{day.month}月{day.day}日" if day else "此前从未走访"
    return f"{head}，{tail}"


def _en_date(day: date) -> str:
    return f"{day.day} {_EN_MONTHS[day.month - 1]}"


def _explain_en(st: ScheduleStatus) -> str:
    unit, units = _EN[st.cycle]
    if st.days_left:
        left = f"{st.days_left} day{'s' if st.days_left != 1 else ''} left"
    else:
        left = f"today is the last day of the {unit}"
    if st.state == State.DONE:
        day = st.last_visit
        return f"Visited this {unit} ({_en_date(day)})"
    if st.state == State.NEW:
        return f"Newly enrolled; not yet visited this {unit}; {left}"
    if st.state == State.DUE:
        return f"Not yet visited this {unit}; {left}"
    if st.missed_periods == 1:
        head = f"Not visited last {unit}"
    else:
        head = f"Not visited for {st.missed_periods} consecutive {units}"
    day = st.last_visit
    return f"{head}; last visited {_en_date(day)} {day.year}" if day else f"{head}; never visited"
