"""The advisor's own records across households (receipts list, returned list, open draft)."""

from __future__ import annotations

from typing import Any

from mobile.receipts import stage

OPEN_DRAFT = "open_draft"  # store state: the form being filled, so a kill never loses it


def all_records(store) -> list[dict[str, Any]]:
    """Every visit, interview and lead on the tablet, newest first, each with ``entity``
    and ``household`` (the household dict without members; a lead's own head of
    household)."""
    items: list[dict[str, Any]] = []
    for household in store.households():
        for entity, rows in (
            ("visit", store.visits_for(household["id"])),
            ("interview", store.interviews_for(household["id"])),
        ):
            for row in rows:
                when = row.get("visited_at") or row.get("interviewed_at") or ""
                items.append({**row, "entity": entity, "household": household, "when": when})
    for lead in store.leads():
        # A lead belongs to no household; its row shows the family it reports.
        household = {"id": "", "head_name": lead["head_name"]}
        items.append({**lead, "entity": "lead", "household": household, "when": lead["found_at"]})
    items.sort(key=lambda item: item["when"], reverse=True)
    return items


def mine(store) -> list[dict[str, Any]]:
    """The signed-in advisor's records, newest first."""
    user = store.get_state("user") or {}
    return [r for r in all_records(store) if r.get("advisor_id") == user.get("id")]


def returned(store) -> list[dict[str, Any]]:
    """Records the supervisor returned, not yet corrected on this tablet: the signed-in
    advisor's, and any of a household they now hold (after a handover the holder corrects
    them; the author stays)."""
    me = (store.get_state("user") or {}).get("id")
    return [
        r
        for r in all_records(store)
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
    user = store.get_state("user") or {}
    return kind == "draft" and record.get("advisor_id") == user.get("id")


def open_draft(store) -> dict[str, Any] | None:
    """The form left unfinished (``{entity, household_id, form}``), if any."""
    return store.get_state(OPEN_DRAFT)


def remember_draft(store, entity: str, household_id: str, form: dict[str, Any]) -> None:
    """Keep the raw form (even fields not yet valid) so a restart can offer it again."""
    store.set_state(OPEN_DRAFT, {"entity": entity, "household_id": household_id, "form": form})


def forget_draft(store) -> None:
    """The form was submitted or discarded."""
    store.set_state(OPEN_DRAFT, None)
