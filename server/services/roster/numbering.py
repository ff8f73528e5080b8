"""An import's bookkeeping: its ``roster_import`` row (one per upload) taken first, and the
counter numbers its rows get last, in one statement per table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import RosterImport, User
from server.services.core.errors import Conflict
from server.services.sync import versioning

# Placeholders are negative: no committed row ever has one (they are renumbered before
# commit), and another transaction's uncommitted rows are invisible to these statements.
# Only an object's values are versions (a JSON null would read as one element).
_FIELD_VERSIONS = {
    "postgresql": (
        "CASE WHEN jsonb_typeof(field_versions) = 'object' THEN "
        "COALESCE((SELECT jsonb_object_agg(key, CASE WHEN (value #>> '{}')::bigint < 0 "
        "THEN to_jsonb(:base - (value #>> '{}')::bigint) ELSE value END) "
        "FROM jsonb_each(household.field_versions)), '{}'::jsonb) ELSE '{}'::jsonb END"
    ),
    "sqlite": (
        "CASE WHEN json_type(field_versions) = 'object' THEN "
        "COALESCE((SELECT json_group_object(key, CASE WHEN value < 0 THEN :base - value "
        "ELSE value END) FROM json_each(household.field_versions)), '{}') ELSE '{}' END"
    ),
}


class AlreadyImported(Conflict):
    """This upload has been imported already (by another click, tab or person)."""

    def __init__(self) -> None:
        super().__init__(
            "This file has been imported already.",
            {"file": ["此文件已导入（另一次导入已先完成），本次未写入任何内容。"]},
        )


def claim(
    session: Session, *, upload_id: str | None, digest: str, actor: User | None, now: datetime
) -> RosterImport:
    """Record the import before anything else: a second import of the same upload waits
    here on the unique upload id until the first ends, and is refused if it committed."""
    values = {
        "upload_id": upload_id,
        "fingerprint": "",
        "digest": digest,
        "actor_id": actor.id if actor is not None else None,
        "at": now,
        "counts": {},
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(RosterImport)
        .values(values)
        .on_conflict_do_nothing(index_elements=["upload_id"])
        .returning(RosterImport.id)
    )
    new_id = session.execute(stmt).scalar()
    if new_id is None:
        raise AlreadyImported()
    return session.get(RosterImport, new_id)


def renumber(session: Session, placeholders: int) -> None:
    """Give the rows written with placeholders -1…-n the counter numbers base+1…base+n.

    The counter is taken here, at the very end: its row lock lasts only until the commit
    that follows, so pushes wait for milliseconds, not for the whole write.
    """
    if not placeholders:
        return
    base = versioning.next_versions(session, placeholders) - placeholders
    field_versions = _FIELD_VERSIONS[session.get_bind().dialect.name]
    session.execute(
        text(
            f"UPDATE household SET field_versions = {field_versions}, "
            "version = :base - version WHERE version < 0"
        ),
        {"base": base},
    )
    session.execute(
        text("UPDATE person SET version = :base - version WHERE version < 0"), {"base": base}
    )
