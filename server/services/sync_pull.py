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

from sqlalchemy import Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

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
from server.services import scope
from server.services.errors import Invalid
from server.services.versioning import COUNTER_ID
from sync.records import SCHEMAS, mask_id_number

BUNDLE_RECORDS = 12
ENTITIES = ("household", "person", "visit", "interview", "warning")
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
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
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


def _changes(advisor_id: int, cursor: Cursor) -> Select:
    """Every change (sort key, entity, id, kind) for the advisor that may sort after
    ``cursor`` (the exact tuple comparison is applied on top, in :func:`_page`)."""
    after = cursor.base
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
    caseload = (
        select(Household.id.label("hid"), func.coalesce(held, 0).label("av"))
        .where(Household.assigned_advisor_id == advisor_id)
        .cte("caseload")
    )
    # A household assigned after the run began is "fresh": it comes as a whole bundle, and
    # only so. The others send the rows that changed since.
    fresh = caseload.c.av > after
    known = ~fresh
    parts = [
        select(*_key(Household.version, "household", Household.id, "row"))
        .join(caseload, caseload.c.hid == Household.id)
        .where(known, Household.version > after),
        select(*_key(caseload.c.av, "household", Household.id, "row"))
        .join(caseload, caseload.c.hid == Household.id)
        .where(fresh),
    ]
    for entity, model in (
        ("person", Person),
        ("warning", Warning),
        ("visit", Visit),
        ("interview", Interview),
    ):
        parts.append(
            select(*_key(model.version, entity, model.id, "row"))
            .join(caseload, caseload.c.hid == model.household_id)
            .where(known, model.version > after)
        )
    parts.append(
        select(*_key(caseload.c.av, "person", Person.id, "row"))
        .join(caseload, caseload.c.hid == Person.household_id)
        .where(fresh)
    )
    parts.append(
        select(*_key(caseload.c.av, "warning", Warning.id, "row"))
        .join(caseload, caseload.c.hid == Warning.household_id)
        .where(fresh, Warning.status != "closed")
    )
    for entity, model, when in (
        ("visit", Visit, Visit.visited_at),
        ("interview", Interview, Interview.interviewed_at),
    ):
        ranked = (
            select(
                model.id.label("rid"),
                model.household_id.label("rhid"),
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
            .where(ranked.c.n <= BUNDLE_RECORDS)
        )
    parts.append(
        select(*_key(Tombstone.version, "person", Tombstone.entity_id, "deleted"))
        .join(caseload, caseload.c.hid == Tombstone.household_id)
        .where(known, Tombstone.entity == "person", Tombstone.version > after)
    )
    still_held = select(Household.id).where(
        Household.id == CaseloadAssignment.household_id, Household.assigned_advisor_id == advisor_id
    )
    parts.append(
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
        )
    )
    return union_all(*parts).subquery("changes")


def _page(session: Session, advisor_id: int, cursor: Cursor, limit: int) -> list:
    changes = _changes(advisor_id, cursor)
    stmt = select(changes)
    if cursor.rank is not None:
        c = changes.c
        stmt = stmt.where(
            or_(
                c.sv > cursor.version,
                and_(c.sv == cursor.version, c.rank > cursor.rank),
                and_(c.sv == cursor.version, c.rank == cursor.rank, c.id > cursor.id),
            )
        )
    stmt = stmt.order_by(changes.c.sv, changes.c.rank, changes.c.id).limit(limit + 1)
    return session.execute(stmt).all()


def _dump(session: Session, rows: list, show_id_numbers: bool) -> dict[tuple, dict]:
    """Wire records of the page's live rows, by (entity, id)."""
    data: dict[tuple, dict] = {}
    for entity in ENTITIES:
        ids = {r.id for r in rows if r.entity == entity and r.kind == "row"}
        if not ids:
            continue
        model, schema = MODELS[entity], SCHEMAS[entity]()
        for obj in session.scalars(select(model).where(model.id.in_(ids))):
            record = schema.dump(obj)
            if entity == "person" and record.get("id_number") and not show_id_numbers:
                record["id_number"] = mask_id_number(record["id_number"])
            data[(entity, obj.id)] = record
    return data


def pull(session: Session, *, actor: User, cursor: str | None, limit: int, now: datetime) -> dict:
    """One page of changes for ``actor``'s caseload after ``cursor`` (read in one snapshot).

    The caller starts a fresh transaction (on PostgreSQL at REPEATABLE READ) for it.
    """
    start = Cursor.decode(cursor)
    counter = session.scalar(select(SyncCounter.value).where(SyncCounter.id == COUNTER_ID))
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
    if has_more:
        last = rows[-1]
        end = Cursor(int(last.sv), int(last.rank), last.id, start.base)
    else:
        top = max(counter, start.version)
        end = Cursor(top, base=top)
    return {
        "changes": changes,
        "cursor": end.encode(),
        "has_more": has_more,
        "server_time": now.isoformat(),
    }
