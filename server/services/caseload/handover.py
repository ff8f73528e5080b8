"""Moving households between advisors from the console: what a move will do (preview), the
move itself (one transaction, one audit operation), and how the old tablets are doing since."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.models import Area, AuditEvent, Device, Household, Interview, User, Visit
from server.services.caseload import assignments
from server.services.core import areas_in_scope, audit, locks, paging, scope
from server.services.core.errors import Conflict, Invalid, NotFound

# One household, a community, a caseload, or the households nobody holds (in one community
# or, with source "all", anywhere in scope: what a roster import leaves to assign).
KINDS = ("household", "community", "advisor", "unassigned")
ALL = "all"
MOVE_ACTION, MOVE_ENTITY = "reassign", "caseload"
RECENT = timedelta(days=30)
CHUNK = 1000  # household ids per look-up of returned records


@dataclass(frozen=True)
class MoveRequest:
    """Which households move (``kind`` and its one id) and to which advisor."""

    kind: str
    source: str  # a household's external id, a community id or an advisor id, by ``kind``
    to_advisor_id: int


@dataclass(frozen=True)
class Preview:
    """What a move will do before it is confirmed."""

    households: list[Household]  # those that will change hands
    already_held: int  # selected, but the new advisor holds them already
    to_advisor: User
    from_advisors: list[tuple[User, int]]  # current holders, with how many each gives up
    unassigned: int  # moving households nobody held
    devices: list[Device]  # the current holders' tablets (live, or holding records)
    # Records returned for correction and not yet corrected, in the moving households:
    # the new advisor receives them and may correct them (the author is kept).
    returned: list[Visit | Interview] = field(default_factory=list)

    @property
    def holder_names(self) -> dict[int, str]:
        return {u.id: u.display_name for u, _ in self.from_advisors}

    @property
    def household_names(self) -> dict[uuid.UUID, str]:
        return {h.id: h.head_name for h in self.households}

    @property
    def unsent(self) -> int:
        """Records the old tablets last said they had not sent."""
        return sum(d.pending_count or 0 for d in self.devices)


def _selected(
    session: Session, actor: User, request: MoveRequest, lock: bool = False
) -> list[Household]:
    """The households ``request`` names, within the actor's scope (404 beyond it);
    ``lock``: their rows locked until commit, so two moves of one household queue up
    instead of both ending the same assignment and opening one each."""
    visible = scope.household_filter(session, actor)
    stmt = select(Household).where(visible, Household.status == "active")
    if request.kind == "household":
        # By the number supervisors know it by (the roster's external id).
        stmt = stmt.where(Household.external_id == request.source.strip())
    elif request.kind == "unassigned":
        stmt = stmt.where(Household.assigned_advisor_id.is_(None))
        if request.source != ALL:
            stmt = stmt.where(scope.area_condition(None, _community(session, actor, request)))
    elif request.kind == "community":
        stmt = stmt.where(scope.area_condition(None, _community(session, actor, request)))
    elif request.kind == "advisor":
        advisor_id = _int(request.source)
        if advisor_id not in {u.id for u in areas_in_scope.advisors(session, actor)}:
            raise NotFound("No such advisor, or they work outside your area.")
        stmt = stmt.where(Household.assigned_advisor_id == advisor_id)
    else:
        raise NotFound("No such kind of move.")
    rows = list(session.scalars(stmt.order_by(Household.external_id)))
    if lock:
        # Locked in ascending id (the one lock order), the selection checked again under
        # the lock: a household moved meanwhile is no longer the source's and drops out.
        held = locks.locked(session, Household, [h.id for h in rows], where=stmt.whereclause)
        rows = [held[h.id] for h in rows if h.id in held]
    if not rows and request.kind == "household":
        raise NotFound("No such household, or it is outside your area.")
    return rows


def _int(value: str) -> int | None:
    return paging.whole_number(value)


def _community(session: Session, actor: User, request: MoveRequest) -> int:
    """The community id ``request.source`` names, if in the actor's area (else 404)."""
    community_id = _int(request.source)
    area = session.get(Area, community_id) if community_id is not None else None
    if area is None or area.kind != "community" or not scope.can_see_area(session, actor, area):
        raise NotFound("No such community, or it is outside your area.")
    return area.id


def unassigned_count(session: Session, actor: User) -> int:
    """Active households in the actor's scope that no advisor holds."""
    return session.scalar(
        select(func.count()).where(
            scope.household_filter(session, actor),
            Household.status == "active",
            Household.assigned_advisor_id.is_(None),
        )
    )


def _target(session: Session, actor: User, households: list[Household], advisor_id: int) -> User:
    """The new advisor, if in the actor's area and working in every moving household's
    registration or residence street (the rule of :func:`assignments.check_advisor`)."""
    advisor = next((u for u in areas_in_scope.advisors(session, actor) if u.id == advisor_id), None)
    if advisor is None or not advisor.active:
        raise Invalid("No such advisor.", {"to_advisor": ["No such advisor."]})
    # One check per distinct pair of streets, not per household.
    for streets in {(h.registration_street_id, h.residence_street_id) for h in households}:
        try:
            assignments.check_advisor(session, advisor_id, set(streets))
        except Invalid as error:
            raise Invalid(
                error.message, {"to_advisor": error.errors["assigned_advisor_id"]}
            ) from error
    return advisor


def preview(session: Session, actor: User, request: MoveRequest, lock: bool = False) -> Preview:
    """What confirming ``request`` would do; nothing is written."""
    selected = _selected(session, actor, request, lock)
    if not selected:
        raise Invalid("Nothing to move.", {"source": ["No households to move."]})
    advisor = _target(session, actor, selected, request.to_advisor_id)
    moving = [h for h in selected if h.assigned_advisor_id != advisor.id]
    holders = Counter(h.assigned_advisor_id for h in moving if h.assigned_advisor_id is not None)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(holders)))}
    devices = session.scalars(
        select(Device)
        .where(
            Device.user_id.in_(holders),
            or_(Device.revoked_at.is_(None), Device.pending_count > 0),
        )
        .order_by(Device.user_id, Device.last_seen_at.desc())
    )
    return Preview(
        households=moving,
        already_held=len(selected) - len(moving),
        to_advisor=advisor,
        from_advisors=[(users[i], n) for i, n in holders.most_common()],
        unassigned=sum(1 for h in moving if h.assigned_advisor_id is None),
        devices=list(devices),
        returned=waiting_returned(session, [h.id for h in moving]),
    )


def waiting_returned(session: Session, household_ids: list[uuid.UUID]) -> list[Visit | Interview]:
    """The visits and interviews of these households returned and not yet corrected,
    oldest first: after a move only the new holder can act on them."""
    found: list[Visit | Interview] = []
    for model in (Visit, Interview):
        for start in range(0, len(household_ids), CHUNK):
            chunk = household_ids[start : start + CHUNK]
            found.extend(
                session.scalars(
                    select(model).where(model.household_id.in_(chunk), model.status == "returned")
                )
            )
    return sorted(found, key=lambda r: (getattr(r, "visited_at", None) or r.interviewed_at, r.id))


def move(
    session: Session, actor: User, request: MoveRequest, *, expected: int, now: datetime
) -> Preview:
    """Move the households of ``request`` in one transaction, audited as one operation
    (plus each household's own assign event). ``expected`` is the count the preview showed:
    a caseload that changed since is refused (409), so nobody confirms what they did not see.
    """
    plan = preview(session, actor, request, lock=True)
    if len(plan.households) != expected:
        raise Conflict(
            "The households changed since the preview; look at it again.",
            {"expected": ["The preview is out of date."]},
        )
    if not plan.households:
        raise Invalid("Nothing to move.", {"source": ["The new advisor holds them all already."]})
    streets = sorted(
        {s for h in plan.households for s in (h.registration_street_id, h.residence_street_id)}
    )
    assignments.assign_many(
        session, households=plan.households, advisor_id=plan.to_advisor.id, actor=actor, now=now
    )
    audit.record(
        session,
        actor=actor,
        action=MOVE_ACTION,
        entity=MOVE_ENTITY,
        entity_id=uuid.uuid4(),
        now=now,
        diff={
            "kind": [None, request.kind],
            "source": [None, request.source],
            "households": [None, [h.id for h in plan.households]],
            "from_advisor_ids": [None, [u.id for u, _ in plan.from_advisors]],
            "to_advisor_id": [None, plan.to_advisor.id],
            "street_ids": [None, streets],
        },
    )
    session.flush()
    return plan


@dataclass
class TabletSince:
    """One old tablet after a move: has it pushed everything since?"""

    device: Device
    advisor: User
    state: str  # "cleared" | "holding" | "not_synced"


@dataclass
class Handover:
    """One recent move, and the state of the tablets it took households from."""

    event: AuditEvent
    actor: User | None
    to_advisor: User | None
    count: int
    tablets: list[TabletSince] = field(default_factory=list)
    from_advisors: list[str] = field(default_factory=list)  # display names, by name
    communities: list[str] = field(default_factory=list)  # where the households live

    @property
    def cleared(self) -> bool:
        return all(t.state == "cleared" for t in self.tablets)


def _state(device: Device, moved_at: datetime) -> str:
    if (device.pending_count or 0) > 0:
        return "holding"
    if device.reported_at is None or device.reported_at < moved_at:
        return "not_synced"  # it may still hold records it has not told us about
    return "cleared"


def recent_handovers(
    session: Session, actor: User, *, now: datetime, limit: int = 50
) -> list[Handover]:
    """Moves of the last 30 days in the actor's streets, newest first, each with the old
    advisors' tablets: cleared (synced since, nothing pending), holding, or not synced."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == MOVE_ACTION,
            AuditEvent.entity == MOVE_ENTITY,
            AuditEvent.at >= now - RECENT,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    mine = scope.street_ids(session, actor)
    found = []
    for event in events:
        if actor.role != "admin" and not mine & set(event.diff["street_ids"][1]):
            continue
        found.append(_handover(session, event))
        if len(found) == limit:
            break
    return found


def _handover(session: Session, event: AuditEvent) -> Handover:
    old = event.diff["from_advisor_ids"][1]
    devices = session.execute(
        select(Device, User)
        .join(User, User.id == Device.user_id)
        .where(
            Device.user_id.in_(old),
            Device.issued_at <= event.at,
            or_(
                Device.revoked_at.is_(None), Device.revoked_at >= event.at, Device.pending_count > 0
            ),
        )
        .order_by(User.display_name, Device.device_id)
    )
    return Handover(
        event=event,
        actor=session.get(User, event.actor_id) if event.actor_id else None,
        to_advisor=session.get(User, event.diff["to_advisor_id"][1]),
        count=len(event.diff["households"][1]),
        tablets=[TabletSince(d, u, _state(d, event.at)) for d, u in devices],
        from_advisors=sorted(
            session.scalars(select(User.display_name).where(User.id.in_(old))).all()
        ),
        communities=_communities(session, event.diff["households"][1]),
    )


def _communities(session: Session, household_ids: list[str]) -> list[str]:
    """The names of the communities the moved households live in (by name)."""
    ids = [uuid.UUID(str(i)) for i in household_ids]
    names: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        names.update(
            session.scalars(
                select(Area.name)
                .join(Household, Household.residence_community_id == Area.id)
                .where(Household.id.in_(ids[start : start + CHUNK]))
                .distinct()
            )
        )
    return sorted(names)


def caseload_sizes(session: Session, actor: User) -> list[tuple[User, int]]:
    """The advisors of the actor's area with how many households in scope each holds."""
    advisors = areas_in_scope.advisors(session, actor)
    counts = dict(
        session.execute(
            select(Household.assigned_advisor_id, func.count())
            .where(
                scope.household_filter(session, actor),
                Household.status == "active",
                Household.assigned_advisor_id.in_([u.id for u in advisors]),
            )
            .group_by(Household.assigned_advisor_id)
        ).all()
    )
    return [(u, counts.get(u.id, 0)) for u in advisors]
