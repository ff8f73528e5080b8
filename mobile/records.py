"""The advisor's own records across households (receipts, returned, drafts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mobile.receipts import stage
from sync.protocol import HISTORY_TIME_FIELDS

DRAFTS = "drafts"  # store state: unfinished forms by record id, so a kill never loses one
OPEN_DRAFT = "open_draft"  # the single slot an earlier version kept (read, then dropped)
FIELD_TIME = {**HISTORY_TIME_FIELDS, "lead": "found_at"}


def all_records(
    store, *, advisor_id: int | None = None, limit: int | None = None, status: str | None = None
):
    """Every visit, interview and lead on the tablet (``advisor_id``'s only, the newest
    ``limit``), newest first, each with ``entity``, ``when`` and ``household`` (the
    household dict without members; a lead's own head of household). One store query:
    per household it was two, 4,000 at 2,000 households (issue 17)."""
    items: list[dict[str, Any]] = []
    for record in store.fieldwork(advisor_id=advisor_id, limit=limit, status=status):
        entity = record["entity"]
        if entity == "lead":
            # A lead belongs to no household; its row shows the family it reports.
            household = {"id": "", "head_name": record["head_name"]}
        elif record["household"] is None:
            continue  # its household left the tablet; the record goes with it
        else:
            household = record["household"]
        when = record.get(FIELD_TIME[entity]) or ""
        items.append({**record, "household": household, "when": when})
    return items


def instant(stamp: str) -> datetime:
    """An ISO time as an aware UTC instant (the earliest one for a missing time)."""
    if not stamp:
        return datetime.min.replace(tzinfo=UTC)
    when = datetime.fromisoformat(stamp)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def mine(store, limit: int | None = None) -> list[dict[str, Any]]:
    """The signed-in advisor's records, newest first (the newest ``limit``)."""
    me = (store.get_state("user") or {}).get("id")
    return [] if me is None else all_records(store, advisor_id=me, limit=limit)


def returned(store) -> list[dict[str, Any]]:
    """Records the supervisor returned, not yet corrected on this tablet: the signed-in
    advisor's, and any of a household they now hold (after a handover the holder corrects
    them; the author stays)."""
    me = (store.get_state("user") or {}).get("id")
    return [
        r
        # Only records whose status is returned are read (at unlock, reading all 26,000
        # records of a 2,000-household caseload took 1.5 s on the UI thread).
        for r in all_records(store, status="returned")
        if stage(r) == "returned"
        and me is not None
        and me in (r.get("advisor_id"), r["household"].get("assigned_advisor_id"))
    ]


def editable(store, entity: str, record: dict[str, Any]) -> bool:
    """Whether opening ``record`` gives its editable form rather than a view.

    Only a record the supervisor returned, or the signed-in advisor's own unsubmitted
    draft, is edited; a lead only while the server refuses it. Anything else (waiting to
    be sent, received, approved, waiting for attention) is shown read-only, so opening and
    leaving it can never withdraw a queued record or turn it back into a draft.
    """
    kind = stage(record)
    if entity == "lead":
        return kind == "attention"
    if kind == "returned":
        return True
    if kind != "draft":
        return False
    me = (store.get_state("user") or {}).get("id")
    if me is not None and record.get("advisor_id") == me:
        return True
    # A draft over a server copy is a returned record's correction begun (nothing else
    # is saved as a draft once the server holds it): the household's holder may go on
    # with it, as with the returned record itself (after a handover the author differs).
    household = store.household(record.get("household_id") or "") or {}
    return (
        me is not None
        and record.get("version") is not None
        and household.get("assigned_advisor_id") == me
    )


def drafts(store) -> list[dict[str, Any]]:
    """Every unfinished form (``{entity, household_id, form, saved_at}``), newest first.

    Keyed by the form's record id, so each form keeps its own draft; a form left by the
    app before drafts were kept as a list (state ``open_draft``) is listed too.
    """
    kept = dict(store.get_state(DRAFTS) or {})
    legacy = store.get_state(OPEN_DRAFT)
    if legacy and legacy.get("form", {}).get("id") not in kept:
        kept[legacy["form"].get("id", "")] = {"saved_at": "", **legacy}
    return sorted(kept.values(), key=lambda d: d.get("saved_at") or "", reverse=True)


def open_draft(store) -> dict[str, Any] | None:
    """The newest unfinished form, if any."""
    return next(iter(drafts(store)), None)


def draft_for(store, entity: str, household_id: str) -> dict[str, Any] | None:
    """The household's unfinished new ``entity`` form, which 走访 resumes instead of
    starting a second one (a returned record's correction is not a new form)."""
    for draft in drafts(store):
        if draft["entity"] != entity or draft["household_id"] != household_id:
            continue
        stored = store.record(entity, draft["form"].get("id", "")) if entity != "lead" else None
        # A new form's draft was never accepted by the server; a returned record's
        # correction (a draft too once autosaved) keeps the server's version.
        if stored is None or (
            stored.get("local_state") == "draft" and stored.get("version") is None
        ):
            return draft
    return None


def remember_draft(
    store, entity: str, household_id: str, form: dict[str, Any], saved_at: str
) -> None:
    """Keep the raw form (even fields not yet valid) so a restart can offer it again."""
    kept = dict(store.get_state(DRAFTS) or {})
    kept[form["id"]] = {
        "entity": entity,
        "household_id": household_id,
        "form": form,
        "saved_at": saved_at,
    }
    store.set_state(DRAFTS, kept)


def forget_draft(store, form_id: str) -> None:
    """The form ``form_id`` was submitted or discarded."""
    kept = dict(store.get_state(DRAFTS) or {})
    if kept.pop(form_id, None) is not None:
        store.set_state(DRAFTS, kept)
    legacy = store.get_state(OPEN_DRAFT)
    if legacy and legacy.get("form", {}).get("id") == form_id:
        store.set_state(OPEN_DRAFT, None)


def discard(store, draft: dict[str, Any]) -> None:
    """Throw an unfinished form away (the advisor confirmed): its draft record too (a lead
    keeps none), back to the server copy or gone if it never left the tablet."""
    form_id = draft["form"].get("id", "")
    if draft["entity"] != "lead" and form_id:
        store.discard_draft(draft["entity"], form_id)
    forget_draft(store, form_id)
