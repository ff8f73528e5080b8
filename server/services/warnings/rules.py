"""The warning rules as data: what in a record raises which warning, how urgent, and where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sync.enums import Disposal, Situation

ALL_DISPOSALS = tuple(Disposal.codes())
# Situations (四种情形) other than none: each is a warning kind of its own.
SITUATIONS = tuple(s for s in Situation.codes() if s != "none")
# Findings that are yellow warnings by themselves (issue 20).
YELLOW_FINDINGS = (
    "serious_illness",
    "large_medical_expense",
    "job_loss",
    "income_drop",
    "housing_hazard",
    "disaster",
)
# Outcomes that are an attempt without reaching the family; three in a row is a warning.
NOT_REACHED = ("not_home", "unreachable")
STREAK = 3
# Where a warning goes: the registration street (审核确认地, which confirms eligibility and
# stops payments), the residence street (which visits, and gives temporary aid where the
# emergency is), or both (人户分离: a move must reach both).
ROUTES = ("registration", "residence", "both")


@dataclass(frozen=True)
class Rule:
    """One kind of warning raised by rule: its level, the time allowed to act on it, the
    street(s) it goes to and the disposals that fit it."""

    kind: str
    level: str
    due_in: timedelta
    route: str
    disposals: tuple[str, ...] = ALL_DISPOSALS


def _days(n: int) -> timedelta:
    return timedelta(days=n)


# Disposals that fit each situation: one maybe eligible is enrolled or watched; one whose
# circumstances changed is re-assessed; one in hardship but not eligible, or without any
# support, is referred or helped by social forces.
SITUATION_DISPOSALS = {
    "maybe_eligible": ("included", "monitor", "no_action"),
    "changed": ("included", "referred", "monitor", "no_action"),
    "hardship_not_eligible": ("referred", "social_help", "monitor"),
    "no_support": ("social_help", "referred", "monitor"),
}

RULES: dict[str, Rule] = {
    rule.kind: rule
    for rule in (
        # Payments must stop: the registration street confirms it within 3 days.
        Rule("deceased", "red", _days(3), "registration"),
        Rule("detention", "red", _days(3), "registration"),
        # Temporary aid is given where the emergency happened, within a day.
        Rule("urgent", "red", _days(1), "residence", ("included", "referred", "social_help")),
        Rule("address_mismatch", "orange", _days(7), "both"),
        *(Rule(s, "yellow", _days(15), "registration", SITUATION_DISPOSALS[s]) for s in SITUATIONS),
        *(Rule(f, "yellow", _days(15), "registration") for f in YELLOW_FINDINGS),
        Rule("not_reached", "blue", _days(30), "residence"),
        Rule("overdue", "blue", _days(30), "residence"),
    )
}

# (record field, value, warning kind): the record raises the kind when the field has the
# value (a list field: contains it). Interviews have findings only; the rest is absent.
TRIGGERS: tuple[tuple[str, Any, str], ...] = (
    ("outcome", "deceased", "deceased"),
    ("findings", "detention", "detention"),
    ("urgent", True, "urgent"),
    ("outcome", "moved", "address_mismatch"),
    ("findings", "moved", "address_mismatch"),
    *(("situation", s, s) for s in SITUATIONS),
    *(("findings", f, f) for f in YELLOW_FINDINGS),
)


def kinds_for(record: Any) -> list[str]:
    """The kinds ``record`` (a visit or interview, or anything with its attributes) raises
    by itself, each once, in the order of :data:`TRIGGERS`."""
    kinds: list[str] = []
    for field, value, kind in TRIGGERS:
        have = getattr(record, field, None)
        hit = value in have if isinstance(have, list | tuple | set) else have == value
        if hit and kind not in kinds:
            kinds.append(kind)
    return kinds


def streak_start(visits: list[Any], record_id: Any) -> Any | None:
    """The first visit of the run of unreached attempts that holds ``record_id``, if the
    run is :data:`STREAK` long or more; ``visits`` are the household's, oldest first."""
    run: list[Any] = []
    for visit in visits:
        if visit.outcome in NOT_REACHED:
            run.append(visit)
            continue
        if any(v.id == record_id for v in run):
            break
        run = []
    if len(run) >= STREAK and any(v.id == record_id for v in run):
        return run[0]
    return None


def streets(rule: Rule, household: Any) -> tuple[int, int | None]:
    """The street a warning of ``rule`` goes to, and the second one told of it (or None)."""
    registration, residence = household.registration_street_id, household.residence_street_id
    if rule.route == "registration":
        return registration, None
    if rule.route == "residence":
        return residence, None
    return registration, (residence if residence != registration else None)


def disposals(kind: str) -> tuple[str, ...]:
    """The disposals that fit a warning of ``kind`` (all of them for kinds not raised here)."""
    rule = RULES.get(kind)
    return rule.disposals if rule is not None else ALL_DISPOSALS
