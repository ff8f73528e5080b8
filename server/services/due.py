"""The due list and its summary, computed in SQL so it stays fast at province scale.

The arithmetic is :func:`sync.schedule.status` written as SQL: every period of a cycle has
an index ``(year * 12 + month - 1) // months``; a household's state follows from the index
of the current period (a constant per cycle for the day asked about), of its enrolment (and
``cycle_since``), and of its latest counting visit. Only two facts per household come from
the visit table — the latest counting visit up to the day, and the latest one before the
current period — and the partial index ``ix_visit_counting`` answers each with one index
step. Tests check that this equals the Python module for every household on random data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from server.models import Household, Visit
from sync.schedule import Cycle, Period, ScheduleStatus, State, period_of

# Sort order: overdue first, then households still to visit, done last.
_STATE_ORDER = {"overdue": 0, "new": 1, "due": 1, "done": 2}


class month_number(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """``year * 12 + month - 1`` of a DATE, or of a UTC timestamp seen in a time zone.

    ``month_number(column)`` for dates; ``month_number(column, tz, offset_minutes)`` for
    timestamps: PostgreSQL converts with the zone's rules, SQLite (no zone database) adds the
    zone's offset on the day asked about — exact for Asia/Shanghai, which has no DST.
    """

    type = Integer()
    inherit_cache = True


@compiles(month_number, "postgresql")
def _month_number_pg(element, compiler, **kw):
    args = list(element.clauses)
    value = compiler.process(args[0], **kw)
    if len(args) > 1:
        value = f"({value} AT TIME ZONE {compiler.process(args[1], **kw)})"
    return f"CAST(EXTRACT(YEAR FROM {value}) * 12 + EXTRACT(MONTH FROM {value}) - 1 AS INTEGER)"


@compiles(month_number, "sqlite")
def _month_number_sqlite(element, compiler, **kw):
    args = list(element.clauses)
    value = compiler.process(args[0], **kw)
    shift = ""
    if len(args) > 2:
        shift = f", {compiler.process(args[2], **kw)} || ' minutes'"
    return (
        f"(CAST(strftime('%Y', {value}{shift}) AS INTEGER) * 12 "
        f"+ CAST(strftime('%m', {value}{shift}) AS INTEGER) - 1)"
    )


@dataclass(frozen=True)
class DueRow:
    """One household on the due list, with the fields a person reads."""

    household: Household
    status: ScheduleStatus


@dataclass(frozen=True)
class Clock:
    """The constants of one question 'as of local day ``on``': per cycle, the current
    period and the UTC instant it started, and the end of ``on``."""

    on: date
    tz: ZoneInfo
    periods: Mapping[str, Period]
    starts: Mapping[str, datetime]
    day_end: datetime
    offset_minutes: int

    @classmethod
    def at(cls, on: date, tz_name: str) -> Clock:
        """The clock for local day ``on`` in the zone ``tz_name``."""
        tz = ZoneInfo(tz_name)
        periods = {c.value: period_of(on, c) for c in Cycle}
        starts = {c: datetime.combine(p.start, time(0), tz) for c, p in periods.items()}
        end = datetime.combine(on + timedelta(days=1), time(0), tz)
        offset = int(end.utcoffset().total_seconds() // 60)
        return cls(on, tz, periods, starts, end, offset)


def _by_cycle(column, values: Mapping[str, object]) -> ColumnElement:
    return case({c: literal(v) for c, v in values.items()}, value=column)


def _greater(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    # GREATEST() is PostgreSQL-only and SQLite's max() is an aggregate elsewhere.
    return case((a > b, a), else_=b)


def _counting_visits(*conditions) -> ColumnElement:
    """The latest counting visit (completed, not a draft) of each household, by condition."""
    return (
        select(func.max(Visit.visited_at))
        .where(
            Visit.household_id == Household.id,
            Visit.outcome == "completed",
            Visit.status != "draft",
            *conditions,
        )
        .correlate(Household)
        .scalar_subquery()
    )


def status_query(clock: Clock, where: ColumnElement) -> Select:
    """Households matching ``where`` with their state, missed periods and days left.

    Households enrolled after ``clock.on`` are left out (they have no status yet).
    """
    cycle = Household.visit_cycle
    months = _by_cycle(cycle, {c.value: c.months for c in Cycle})
    current = _by_cycle(cycle, {c: p.index for c, p in clock.periods.items()})
    start = case(
        {c: literal(s, Visit.visited_at.type) for c, s in clock.starts.items()}, value=cycle
    )
    inner = (
        select(
            Household.id.label("hid"),
            months.label("months"),
            current.label("current"),
            _by_cycle(cycle, {c: (p.end - clock.on).days for c, p in clock.periods.items()}).label(
                "days_left"
            ),
            (month_number(Household.enrolled_on) // months).label("enrolled"),
            _greater(
                month_number(Household.enrolled_on),
                month_number(func.coalesce(Household.cycle_since, Household.enrolled_on)),
            ).label("floor_month"),
            _counting_visits(Visit.visited_at < clock.day_end).label("last_visit"),
            _counting_visits(Visit.visited_at < start).label("last_before"),
        )
        .where(where, Household.enrolled_on <= clock.on)
        .subquery("s")
    )
    floor = inner.c.floor_month // inner.c.months
    before = month_number(inner.c.last_before, clock.tz.key, clock.offset_minutes) // inner.c.months
    latest = case((inner.c.last_before.is_(None), floor - 1), else_=_greater(before, floor - 1))
    done = and_(
        inner.c.last_visit.is_not(None),
        month_number(inner.c.last_visit, clock.tz.key, clock.offset_minutes) // inner.c.months
        == inner.c.current,
    )
    missed = inner.c.current - 1 - latest
    state = case(
        (done, literal("done")),
        (inner.c.enrolled == inner.c.current, literal("new")),
        (missed > 0, literal("overdue")),
        else_=literal("due"),
    )
    return select(
        inner.c.hid,
        state.label("state"),
        missed.label("missed"),
        inner.c.days_left,
        inner.c.last_visit,
    )


def to_status(clock: Clock, cycle: str, row) -> ScheduleStatus:
    """The :class:`ScheduleStatus` of one row of :func:`status_query`."""
    last = row.last_visit.astimezone(clock.tz).date() if row.last_visit else None
    return ScheduleStatus(State(row.state), clock.periods[cycle], row.days_left, row.missed, last)


def order_and_filter(query: Select, states: set[str] | None) -> Select:
    """Overdue first (most missed first), then fewest days left; done last."""
    s = query.subquery("q")
    rank = case({k: v for k, v in _STATE_ORDER.items()}, value=s.c.state)
    stmt = select(s)
    if states:
        stmt = stmt.where(s.c.state.in_(sorted(states)))
    missed_first = case((s.c.state == "overdue", s.c.missed), else_=0)
    return stmt.order_by(rank, missed_first.desc(), s.c.days_left, s.c.hid)


def summary_query(clock: Clock, where: ColumnElement) -> Select:
    """Counts per residence community and state."""
    s = status_query(clock, where).subquery("st")
    return (
        select(Household.residence_community_id, s.c.state, func.count().label("n"))
        .join(s, s.c.hid == Household.id)
        .group_by(Household.residence_community_id, s.c.state)
    )
