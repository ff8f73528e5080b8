"""The console dashboard's figures: sync health per tablet, visits per month, warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import Session

from server.models import Area, Device, Household, User, Visit, Warning
from server.services.core import scope
from server.services.households import due

# Red rules of the sync-health table (issue 10).
PENDING_TOO_OLD = timedelta(hours=24)
SILENT_TOO_LONG = timedelta(days=3)


@dataclass(frozen=True)
class TabletHealth:
    """One tablet as its last sync reported it, and what is wrong with it (if anything)."""

    device: Device
    advisor: User
    problems: tuple[str, ...]  # codes: pending_old, silent, inactive_pending

    @property
    def red(self) -> bool:
        return bool(self.problems)


def problems(device: Device, advisor: User, now: datetime) -> tuple[str, ...]:
    """The red rules a tablet breaks (codes), from what its last sync reported."""
    found = []
    if device.oldest_pending_at is not None and now - device.oldest_pending_at > PENDING_TOO_OLD:
        found.append("pending_old")
    if device.last_seen_at is None or now - device.last_seen_at > SILENT_TOO_LONG:
        found.append("silent")
    if not advisor.active and (device.pending_count or 0) > 0:
        found.append("inactive_pending")
    return tuple(found)


def _advisors_in_scope(session: Session, actor: User):
    if actor.role == "admin":
        return true()
    streets = scope.street_ids(session, actor)
    communities = select(Area.id).where(Area.parent_id.in_(streets))
    return or_(User.area_id.in_(streets), User.area_id.in_(communities))


def sync_health(session: Session, actor: User, now: datetime) -> list[TabletHealth]:
    """The tablets of advisors working in the actor's area: live tokens, and revoked ones
    still holding unsent records; red first, then the longest silent."""
    stmt = (
        select(Device, User)
        .join(User, User.id == Device.user_id)
        .where(
            User.role == "advisor",
            _advisors_in_scope(session, actor),
            or_(Device.revoked_at.is_(None), Device.pending_count > 0),
        )
    )
    rows = [TabletHealth(d, u, problems(d, u, now)) for d, u in session.execute(stmt)]
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    return sorted(rows, key=lambda r: (not r.red, r.device.last_seen_at or oldest))


def visits_per_month(
    session: Session, actor: User, *, today: date, tz: str, months: int = 12
) -> list[tuple[str, int]]:
    """Submitted (non-draft) visits per local month over the last ``months`` months."""
    clock = due.Clock.at(today, tz)
    first = today.year * 12 + today.month - months  # month numbers: year * 12 + month - 1
    start = datetime(first // 12, first % 12 + 1, 1, tzinfo=ZoneInfo(tz))
    month = due.month_number(Visit.visited_at, tz, clock.offset_minutes)
    rows = dict(
        session.execute(
            select(month, func.count())
            .join(Household, Household.id == Visit.household_id)
            .where(
                scope.household_filter(session, actor),
                Visit.status != "draft",
                and_(Visit.visited_at >= start, Visit.visited_at < clock.day_end),
            )
            .group_by(month)
        ).all()
    )
    series = []
    for n in range(first, first + months):
        series.append((f"{n // 12}-{n % 12 + 1:02d}", rows.get(n, 0)))
    return series


def open_warnings_by_level(session: Session, actor: User) -> dict[str, int]:
    """Warnings not yet closed sent to the actor's streets (as the 预警处置 page lists them),
    per level."""
    rows = session.execute(
        select(Warning.level, func.count())
        .where(scope.warning_filter(session, actor), Warning.status != "closed")
        .group_by(Warning.level)
    ).all()
    return dict(rows)
