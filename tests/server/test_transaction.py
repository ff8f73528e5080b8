"""The transaction rule: services flush, never commit; the caller's unit of work ends it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select, text

from server.extensions import db
from server.models import Area
from server.services.auth.tokens import SignInRefused
from server.services.core.errors import Forbidden, Invalid
from server.services.core.transaction import unit_of_work

SERVICES = Path(__file__).resolve().parents[2] / "server" / "services"


def _committed_codes() -> set[str]:
    """Area codes as another connection sees them: only what was committed."""
    with db.engine.connect() as conn:
        return set(conn.scalars(text("SELECT code FROM area")))


def test_a_unit_commits_what_its_block_wrote(session):
    with unit_of_work(session):
        session.add(Area(code="D9", name="新区", kind="district"))
        session.flush()
    assert _committed_codes() == {"D9"}


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        (Invalid("not acceptable"), False),
        (Forbidden("not yours"), False),
        (RuntimeError("infrastructure"), False),
        (SignInRefused("wrong password"), True),
    ],
    ids=["invalid", "forbidden", "unexpected", "kept-refusal"],
)
def test_a_raising_block_rolls_back_unless_the_refusal_keeps_its_changes(session, error, kept):
    with pytest.raises(type(error)), unit_of_work(session):
        session.add(Area(code="D9", name="新区", kind="district"))
        session.flush()
        raise error
    assert _committed_codes() == ({"D9"} if kept else set())
    assert (session.scalar(select(Area.code)) is not None) is kept


def test_a_snapshot_reads_repeatably(session, is_postgres):
    with unit_of_work(session, snapshot=True):
        if is_postgres:
            level = session.scalar(text("SHOW transaction_isolation"))
            assert level == "repeatable read"
        assert session.scalar(select(Area.id)) is None


def test_a_snapshot_refuses_to_join_a_transaction_under_way(session):
    session.scalar(select(Area.id))
    with pytest.raises(RuntimeError, match="own transaction"), unit_of_work(session, snapshot=True):
        pass  # pragma: no cover - never entered


def _ends_transactions(path: Path) -> list[str]:
    """``session.commit()`` / ``session.rollback()`` calls in a module (savepoints aside)."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"commit", "rollback"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "session"
        ):
            calls.append(f"{path.name}:{node.lineno}")
    return calls


def test_services_never_end_the_transaction():
    modules = [p for p in sorted(SERVICES.rglob("*.py")) if p.name != "transaction.py"]
    assert len(modules) > 10
    assert [call for p in modules for call in _ends_transactions(p)] == []
    # Guard the guard: the one module allowed to end transactions is seen doing so.
    assert _ends_transactions(SERVICES / "core" / "transaction.py")
