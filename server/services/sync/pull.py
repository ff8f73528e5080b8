"""Pull: what changed for an advisor's caseload since a cursor, in commit order (DESIGN §5).

Every change has a sort key ``(sort_version, rank, id)``. A row that changed on its own
sorts by its version. When a household *enters* the caseload its whole bundle (household,
members, last 12 visits and interviews, open warnings) sorts at the version of the
assignment, so a tablet receives it in one place whatever the rows' own versions; rows
older than the assignment come only through the bundle. When it *leaves*, a tombstone sorts
at the version of the ended assignment. The cursor is the last key sent, so a page resumes
exactly after it; at the end it jumps to the counter's value in the same snapshot (every
version up to it is committed and was considered).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CTE, Select, Subquery, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from server import jsonguard
from server.models import (
    CaseloadAssignment,
    Household,
    Interview,
    Person,
    SyncCounter,
    Tombstone,
    User,
    Visit,
    Warning,
)
from server.services.core import scope
from server.services.core.errors import Invalid
from server.services.sync import dump
from server.services.sync.versioning import COUNTER_ID
from sync.protocol import ENTITIES, HISTORY_PER_HOUSEHOLD, HISTORY_TIME_FIELDS
from sync.records import SCHEMAS, mask_id_number

RANK = {name: i for i, name in enumerate(ENTITIES)}
MODELS = {
    "household": Household,
    "person": Person,
    "visit": Visit,
    "interview": Interview,
    "warning": Warning,
}


@dataclass(frozen=True)
class Cursor:
    """Where a tablet is: ``base`` is the version its current run of pages started from
    (households assigned after it come as bundles for the whole run, so every page agrees
    on what is a bundle); ``version``/``rank``/``id`` is the last sort key sent, with
    ``rank``/``id`` None once a run reached the end (then ``base == version``)."""

    version: int = 0
    rank: int | None = None
    id: uuid.UUID | None = None
    base: int = 0

    @property
    def applied_through(self) -> int:
        """Every change sorted at or below this version reached the tablet holding this
        cursor (mid-run, the last version sent may have more changes still to come)."""
        return self.version if self.rank is None else self.version - 1

    def encode(self) -> str:
        """The opaque string a client stores."""
        raw = {"v": self.version}
        if self.rank is not None:
            raw.update(r=self.rank, i=self.id.hex, b=self.base)
        return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """Read a client's cursor; an empty one starts from the beginning."""
        if not text:
            return cls()
        try:
            # jsonguard: Infinity or NaN (json.loads takes them) would overflow int().
            raw = jsonguard.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(int(raw["v"]), base=int(raw["v"]))
            if "r" in raw:
                cursor = cls(int(raw["v"]), int(raw["r"]), uuid.UUID(hex=raw["i"]), int(raw["b"]))
            if (
                not 0 <= cursor.base <= cursor.version < 2**62
                or (cursor.rank or 0) not in RANK.values()
            ):
                raise ValueError("out of range")
            return cursor
        except (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError):
            raise Invalid(
                "The cursor is not one this server issued; pull from the start.",
                {"query": {"cursor": ["Not a valid cursor."]}},
            ) from None


def _key(sv, entity: str, row_id, kind: str) -> tuple:
    return (
        sv.label("sv"),
        literal(RANK[entity]).label("rank"),
        row_id.label("id"),
        literal(entity).label("entity"),
        literal(kind).label("kind"),
    )


def _caseload(advisor_id: int) -> CTE:
    """The advisor's households, each with the version of the assignment that brought it
    into the caseload (``av``)."""
    held = (
        select(func.max(CaseloadAssignment.version))
        .where(
            CaseloadAssignment.household_id == Household.id,
            CaseloadAssignment.advisor_id == advisor_id,
            CaseloadAssignment.ended_at.is_(None),
        )
        .correlate(Household)
        .scalar_subquery()
    )
    return (
        select(Household.id.label("hid"), func.coalesce(held, 0).label("av"))
        .where(Household.assigned_advisor_id == advisor_id)
        .cte("caseload")
    )


def _own_changes(caseload: CTE, after: int) -> list[Select]:
    """Rows that changed since ``after`` in households the tablet already holds (assigned
    before the run began)."""
    known = ~(caseload.c.av > after)
    parts = [
        select(*_key(Household.version, "household", Household.id, "row"))
        .join(caseload, caseload.c.hid == Household.id)
        .where(known, Household.version > after)
    ]
    for entity in ("person", "warning", "visit", "interview"):
        model = MODELS[entity]
        parts.append(
            select(*_key(model.version, entity, model.id, "row"))
            .join(caseload, caseload.c.hid == model.household_id)
            .where(known, model.version > after)
        )
    return parts


def _bundles(caseload: CTE, after: int) -> list[Select]:
    """Whole bundles, sorted at the assignment's version, of households assigned after the
    run began ("fresh": they come only so): the household, its members, its warnings not
    closed, its latest visits and interviews and any returned one."""
    fresh = caseload.c.av > after
    parts = [
        select(*_key(caseload.c.av, "household", Household.id, "row"))
        .join(caseload, caseload.c.hid == Household.id)
        .where(fresh),
        select(*_key(caseload.c.av, "person", Person.id, "row"))
        .join(caseload, caseload.c.hid == Person.household_id)
        .where(fresh),
        select(*_key(caseload.c.av, "warning", Warning.id, "row"))
        .join(caseload, caseload.c.hid == Warning.household_id)
        .where(fresh, Warning.status != "closed"),
    ]
    for entity, field in HISTORY_TIME_FIELDS.items():
        model = MODELS[entity]
        when = getattr(model, field)
        ranked = (
            select(
                model.id.label("rid"),
                model.household_id.label("rhid"),
                model.status.label("status"),
                func.row_number()
                .over(partition_by=model.household_id, order_by=(when.desc(), model.id.desc()))
                .label("n"),
            )
            .join(caseload, caseload.c.hid == model.household_id)
            .where(fresh)
            .subquery()
        )
        parts.append(
            select(*_key(caseload.c.av, entity, ranked.c.rid, "row"))
            .join(caseload, caseload.c.hid == ranked.c.rhid)
            # A returned record comes however old: the new holder must be able to correct it.
            .where(or_(ranked.c.n <= HISTORY_PER_HOUSEHOLD, ranked.c.status == "returned"))
        )
    return parts


def _tombstones(advisor_id: int, caseload: CTE, after: int) -> list[Select]:
    """Deletions since ``after``: members deleted from households the tablet holds, and
    households that left the advisor's caseload."""
    known = ~(caseload.c.av > after)
    still_held = select(Household.id).where(
        Household.id == CaseloadAssignment.household_id, Household.assigned_advisor_id == advisor_id
    )
    return [
        select(*_key(Tombstone.version, "person", Tombstone.entity_id, "deleted"))
        .join(caseload, caseload.c.hid == Tombstone.household_id)
        .where(known, Tombstone.entity == "person", Tombstone.version > after),
        select(
            *_key(
                CaseloadAssignment.version,
                "household",
                CaseloadAssignment.household_id,
                "unassigned",
            )
        ).where(
            CaseloadAssignment.advisor_id == advisor_id,
            CaseloadAssignment.ended_at.is_not(None),
            CaseloadAssignment.version > after,
            ~still_held.exists(),
        ),
    ]


def _changes(advisor_id: int, cursor: Cursor) -> Subquery:
    """Every change (sort key, entity, id, kind) for the advisor that may sort after
    ``cursor`` (the exact tuple comparison is applied on top, in :func:`_page`)."""
    caseload, after = _caseload(advisor_id), cursor.base
    parts = [
        *_own_changes(caseload, after),
        *_bundles(caseload, after),
        *_tombstones(advisor_id, caseload, after),
    ]
    return union_all(*parts).subquery("changes")


def _after(stmt: Select, changes: Subquery, cursor: Cursor) -> Select:
    """``stmt`` limited to the changes sorting after ``cursor``'s last key."""
    if cursor.rank is None:
        return stmt
    c = changes.c
    return stmt.where(
        or_(
            c.sv > cursor.version,
            and_(c.sv == cursor.version, c.rank > cursor.rank),
            and_(c.sv == cursor.version, c.rank == cursor.rank, c.id > cursor.id),
        )
    )


def _page(session: Session, advisor_id: int, cursor: Cursor, limit: int) -> list:
    changes = _changes(advisor_id, cursor)
    stmt = _after(select(changes), changes, cursor)
    stmt = stmt.order_by(changes.c.sv, changes.c.rank, changes.c.id).limit(limit + 1)
    return session.execute(stmt).all()


def _remaining(session: Session, advisor_id: int, end: Cursor) -> int:
    """How many changes of this run sort after ``end`` (same snapshot as the page): the
    tablet shows the first pull's progress as "received / total"."""
    changes = _changes(advisor_id, end)
    return session.execute(
        _after(select(func.count()).select_from(changes), changes, end)
    ).scalar_one()


def _dump(session: Session, rows: list, show_id_numbers: bool) -> dict[tuple, dict]:
    """Wire records of the page's live rows, by (entity, id)."""
    data: dict[tuple, dict] = {}
    for entity in ENTITIES:
        ids = {r.id for r in rows if r.entity == entity and r.kind == "row"}
        if not ids:
            continue
        for row_id, record in dump.records(session, MODELS[entity], SCHEMAS[entity], ids):
            if entity == "person" and record.get("id_number") and not show_id_numbers:
                record["id_number"] = mask_id_number(record["id_number"])
            data[(entity, row_id)] = record
    return data


def _check_horizon(start: Cursor, pruned: int) -> None:
    """Refuse a cursor whose run began before a pruned tombstone (retention): the tablet
    may have missed that deletion, so it must pull from the start. A run from the start
    (``base`` 0) is always served: it needs no tombstones, the tablet drops whatever the
    run did not send (``sync.store.SQLiteStore.restart_pull``)."""
    if 0 < start.base < pruned:
        raise Invalid(
            "The cursor is older than the deletions this server keeps; pull from the start.",
            {"query": {"cursor": ["Older than the server's retention; pull from the start."]}},
        )


def pull(session: Session, *, actor: User, cursor: str | None, limit: int, now: datetime) -> dict:
    """One page of changes for ``actor``'s caseload after ``cursor`` (read in one snapshot).

    The caller starts a fresh transaction (on PostgreSQL at REPEATABLE READ) for it.
    """
    start = Cursor.decode(cursor)
    counter, pruned = session.execute(
        select(SyncCounter.value, SyncCounter.pruned_through).where(SyncCounter.id == COUNTER_ID)
    ).one()
    _check_horizon(start, pruned)
    rows = _page(session, actor.id, start, limit)
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = _dump(session, rows, scope.can_see_id_numbers(actor))
    changes = []
    for r in rows:
        live = r.kind == "row"
        record = data.get((r.entity, r.id)) if live else None
        if live and record is None:
            continue  # deleted since it was listed in this very snapshot: cannot happen
        # A bundle row sorts at its assignment but carries its own version (the base of
        # the tablet's later edits).
        version = record["version"] if live else int(r.sv)
        change = {
            "entity": r.entity,
            "id": str(r.id),
            "version": version,
            "deleted": not live,
            "data": record,
        }
        if not live:
            change["reason"] = r.kind
        changes.append(change)
    remaining = 0  # the last page (every incremental pull of few changes) counts nothing
    if has_more:
        last = rows[-1]
        end = Cursor(int(last.sv), int(last.rank), last.id, start.base)
        remaining = _remaining(session, actor.id, end)
    else:
        top = max(counter, start.version)
        end = Cursor(top, base=top)
    return {
        "changes": changes,
        "cursor": end.encode(),
        "has_more": has_more,
        "remaining": remaining,
        "server_time": now.isoformat(),
    }
