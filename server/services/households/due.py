"""The due list and its summary, computed in SQL so it stays fast at province scale.

The arithmetic is :func:`sync.schedule.status` written as SQL: every period of a cycle has
an index ``(year * 12 + month - 1) // months``; a household's state follows from the index
of the current period (a constant per cycle for the day asked about), of its enrolment (and
``cycle_since``), and of its latest counting visit. Only two facts per household come from
the visit table — the latest counting visit up to the day, and the latest one before the
current period (looked up only when the first is inside it) — and the partial index
``ix_visit_counting`` answers each with one index step. Each stage is a fenced subquery so
the database computes it once per household (docs/benchmarks.md has the figures). Tests
check that this equals the Python module for every household on random data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, case, func, literal, select
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
    # EXTRACT gives NUMERIC since PostgreSQL 14: cast before the arithmetic, which then
    # stays in integers (half the cost per row).
    return (
        f"(CAST(EXTRACT(YEAR FROM {value}) AS INTEGER) * 12 "
        f"+ CAST(EXTRACT(MONTH FROM {value}) AS INTEGER) - 1)"
    )


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


def _counting_visits(household_id, value: ColumnElement, *conditions) -> ColumnElement:
    """``value``, an expression of ``max(visited_at)``, over the counting visits (completed,
    not a draft) of the household ``household_id`` (a correlated column) that meet
    ``conditions``.

    PostgreSQL answers ``max`` — even inside an expression — with one backward step on the
    partial index ``ix_visit_counting``, reading the index only.
    """
    return (
        select(value)
        .where(
            Visit.household_id == household_id,
            Visit.outcome == "completed",
            Visit.status != "draft",
            *conditions,
        )
        .correlate(household_id.table)
        .scalar_subquery()
    )


def _fenced(query: Select, name: str):
    """``query`` as a subquery that is computed once per row, not merged into its user.

    Merged (what planners do by default), every reference to one of its columns repeats the
    expression behind it: the visit look-ups ran once per reference (some 14 index probes
    per household instead of 2), and the inflated cost estimate made PostgreSQL JIT-compile
    the statement. ``OFFSET 0`` is the barrier both PostgreSQL and SQLite respect; columns
    the outer query does not use are still dropped, so a plain count looks up no visits.
    """
    return query.offset(0).subquery(name)


def _facts(clock: Clock, where: ColumnElement, extra: tuple[ColumnElement, ...]):
    """Per household, each computed once: the cycle's constants for the day asked about,
    the period index of the floor (enrolment or ``cycle_since``, the later), and the latest
    counting visit up to the end of the day."""
    cycle = Household.visit_cycle
    months = _by_cycle(cycle, {c.value: c.months for c in Cycle})
    start = case(
        {c: literal(s, Visit.visited_at.type) for c, s in clock.starts.items()}, value=cycle
    )
    days_left = _by_cycle(cycle, {c: (p.end - clock.on).days for c, p in clock.periods.items()})
    # The later of two dates has the later month: one month_number instead of two.
    floor_day = _greater(
        Household.enrolled_on, func.coalesce(Household.cycle_since, Household.enrolled_on)
    )
    last_visit = _counting_visits(
        Household.id, func.max(Visit.visited_at), Visit.visited_at < clock.day_end
    )
    query = select(
        Household.id.label("hid"),
        Household.enrolled_on,
        _by_cycle(cycle, {c: p.index for c, p in clock.periods.items()}).label("current"),
        _by_cycle(cycle, {c: p.start for c, p in clock.periods.items()}).label("first_day"),
        start.label("start"),
        days_left.label("days_left"),
        (month_number(floor_day) // months).label("floor"),
        months.label("months"),
        last_visit.label("last_visit"),
        *extra,
    ).where(where, Household.enrolled_on <= clock.on)
    return _fenced(query, "facts")


def _with_before(clock: Clock, f):
    """``f`` plus the month number of the latest counting visit before the current period.

    When the latest visit is itself before the period, it is that visit; only households
    already visited this period need a second look-up.
    """

    def month(value):
        return month_number(value, clock.tz.key, clock.offset_minutes)

    before = case(
        (f.c.last_visit.is_(None), None),
        (f.c.last_visit < f.c.start, month(f.c.last_visit)),
        else_=_counting_visits(
            f.c.hid, month(func.max(Visit.visited_at)), Visit.visited_at < f.c.start
        ),
    )
    return _fenced(select(f, before.label("before_month")), "facts_before")


def status_query(clock: Clock, where: ColumnElement, *extra: ColumnElement) -> Select:
    """Households matching ``where`` with their state, missed periods and days left.

    Households enrolled after ``clock.on`` are left out (they have no status yet). Any
    ``extra`` household columns are passed through (the summary groups by one). The result
    is fenced too (``OFFSET 0``), so sorting and filtering by state do not recompute it.
    """
    f = _with_before(clock, _facts(clock, where, extra))
    # The latest visited period before the current one, never before the floor's.
    latest = _greater(func.coalesce(f.c.before_month // f.c.months, f.c.floor - 1), f.c.floor - 1)
    missed = f.c.current - 1 - latest
    state = case(
        # The latest counting visit is before the end of the day asked about, so it is in
        # the current period exactly when it is at or after the period's first instant.
        (f.c.last_visit >= f.c.start, literal("done")),
        # Likewise enrolment (never after the day asked about) and the period's first day.
        (f.c.enrolled_on >= f.c.first_day, literal("new")),
        (missed > 0, literal("overdue")),
        else_=literal("due"),
    )
    passed = [f.c[column.name] for column in extra]
    return select(
        f.c.hid,
        state.label("state"),
        missed.label("missed"),
        f.c.days_left,
        f.c.last_visit,
        *passed,
    ).offset(0)


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
    s = status_query(clock, where, Household.residence_community_id).subquery("st")
    return select(s.c.residence_community_id, s.c.state, func.count().label("n")).group_by(
        s.c.residence_community_id, s.c.state
    )
