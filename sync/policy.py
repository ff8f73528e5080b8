"""The visit-cycle policy as data: defaults, raising rules, overrides, and its JSON schema."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_dump,
    validate,
    validates,
    validates_schema,
)

from sync.enums import Category, HardshipLevel, Health, Labeled, LabourCapacity
from sync.fields import storable_text
from sync.schedule import Cycle

# Higher is more frequent; a rule may only move a household up this scale.
_FREQUENCY = {Cycle.HALF_YEARLY: 0, Cycle.QUARTERLY: 1, Cycle.MONTHLY: 2}
_CONDITIONS = ("categories_any", "member_health_any", "member_labour_any", "levels_any")


def _codes(values: Iterable[str], enum: type[Labeled], what: str) -> frozenset[str]:
    if isinstance(values, str):
        # A bare string would be split into letters; it is almost always a forgotten list.
        raise ValueError(f"{what} codes must be a collection, not the string {values!r}")
    result = frozenset(str(v) for v in values)
    unknown = result - set(enum.codes())
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(sorted(unknown))}")
    return result


@dataclass(frozen=True)
class Rule:
    """Raise the cycle to ``cycle`` for households matching every condition given.

    Within a condition any listed code matches. The member conditions are checked on one
    member at a time: with both given, a single member must have a listed health *and* a
    listed labour capacity. An empty condition is not checked; a rule needs at least one.
    ``name_en`` is the English name used in English reasons (defaults to ``name``).
    """

    name: str
    cycle: Cycle
    categories_any: Collection[str] = frozenset()
    member_health_any: Collection[str] = frozenset()
    member_labour_any: Collection[str] = frozenset()
    levels_any: Collection[str] = frozenset()
    name_en: str = ""

    def __post_init__(self) -> None:
        # Normalise so that rules built in code and loaded from JSON compare equal.
        set_ = object.__setattr__
        set_(self, "cycle", Cycle(self.cycle))
        set_(self, "categories_any", _codes(self.categories_any, Category, "category"))
        set_(self, "member_health_any", _codes(self.member_health_any, Health, "health"))
        set_(self, "member_labour_any", _codes(self.member_labour_any, LabourCapacity, "labour"))
        set_(self, "levels_any", _codes(self.levels_any, HardshipLevel, "hardship level"))
        if not self.name.strip():
            raise ValueError("a rule needs a name")
        if not self.has_condition:
            # A rule without conditions would match every household: change the default instead.
            raise ValueError(f"rule {self.name!r} has no condition")

    @property
    def has_condition(self) -> bool:
        """Whether any condition is given."""
        return any(getattr(self, name) for name in _CONDITIONS)

    def matches(self, facts: HouseholdFacts) -> bool:
        """Whether the household satisfies every condition of this rule."""
        if self.levels_any and facts.hardship_level not in self.levels_any:
            return False
        if self.categories_any and self.categories_any.isdisjoint(facts.categories):
            return False
        if self.member_health_any or self.member_labour_any:
            return any(
                (not self.member_health_any or m.health in self.member_health_any)
                and (not self.member_labour_any or m.labour_capacity in self.member_labour_any)
                for m in facts.members
            )
        return True

    def display_name(self, lang: str = "zh") -> str:
        """The rule's name in ``lang``."""
        return (self.name_en or self.name) if lang == "en" else self.name


@dataclass(frozen=True)
class Policy:
    """Default cycle per hardship level, plus ordered rules that can only raise it."""

    default: Mapping[str, Cycle]
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        missing = set(HardshipLevel.codes()) - set(self.default)
        if missing:
            raise ValueError(f"default has no cycle for: {', '.join(sorted(missing))}")
        _codes(self.default, HardshipLevel, "hardship level")
        ordered = {level: Cycle(self.default[level]) for level in HardshipLevel.codes()}
        object.__setattr__(self, "default", MappingProxyType(ordered))
        object.__setattr__(self, "rules", tuple(self.rules))


@dataclass(frozen=True)
class Member:
    """What the policy needs to know about one household member."""

    health: str
    labour_capacity: str


@dataclass(frozen=True)
class Override:
    """A supervisor's cycle for one household, with a reason, valid through ``expires_on``."""

    cycle: Cycle
    reason: str
    expires_on: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cycle", Cycle(self.cycle))
        if not self.reason.strip():
            raise ValueError("an override needs a reason")

    def valid_on(self, today: date) -> bool:
        """Whether the override applies on ``today`` (its expiry day included)."""
        return self.expires_on is None or today <= self.expires_on

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any] | None) -> Override | None:
        """The override in its stored/wire form ``{cycle, reason, expires_on}`` (an ISO date
        or None), as the server's JSON column and the tablet's household record hold it;
        None when there is none."""
        if not raw:
            return None
        expires = raw.get("expires_on")
        return cls(raw["cycle"], raw["reason"], date.fromisoformat(expires) if expires else None)


@dataclass(frozen=True)
class HouseholdFacts:
    """The household attributes the policy looks at; members may be (health, labour) pairs."""

    hardship_level: str
    categories: Collection[str] = frozenset()
    members: Sequence[Member | tuple[str, str]] = ()
    override: Override | None = None

    def __post_init__(self) -> None:
        # Codes are checked so a typo raises instead of silently matching no rule.
        _codes([self.hardship_level], HardshipLevel, "hardship level")
        object.__setattr__(self, "categories", _codes(self.categories, Category, "category"))
        members = tuple(m if isinstance(m, Member) else Member(*m) for m in self.members)
        _codes((m.health for m in members), Health, "health")
        _codes((m.labour_capacity for m in members), LabourCapacity, "labour")
        object.__setattr__(self, "members", members)


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cycle_for(
    facts: HouseholdFacts, policy: Policy, today: date, lang: str = "zh"
) -> tuple[Cycle, str]:
    """The household's cycle on ``today`` and a reason (in ``lang``) naming what decided it.

    A valid supervisor override wins, even when it lowers the frequency. Otherwise the
    result is the most frequent of the level's default and every matching rule; on a tie
    the default (a rule that raises nothing decided nothing) and then the earlier rule wins.
    """
    en = lang == "en"
    override = facts.override
    if override is not None and override.valid_on(today):
        if en:
            until = f" (until {override.expires_on.isoformat()})" if override.expires_on else ""
            reason = f"Supervisor override: {override.cycle.label('en')}, {override.reason}{until}"
        else:
            until = f"（有效期至{_date_zh(override.expires_on)}）" if override.expires_on else ""
            reason = f"主管调整为{override.cycle.label('zh')}走访：{override.reason}{until}"
        return override.cycle, reason
    cycle = policy.default[facts.hardship_level]
    decided_by: Rule | None = None
    for rule in policy.rules:
        if _FREQUENCY[rule.cycle] > _FREQUENCY[cycle] and rule.matches(facts):
            cycle, decided_by = rule.cycle, rule
    if decided_by is not None:
        if en:
            return cycle, f'Rule "{decided_by.display_name("en")}": {cycle.label("en")}'
        return cycle, f"规则“{decided_by.name}”：{cycle.label('zh')}走访"
    level = HardshipLevel(facts.hardship_level)
    if en:
        return cycle, f"Default for hardship level {level.label('en')}: {cycle.label('en')}"
    return cycle, f"困难等级“{level.label('zh')}”默认{cycle.label('zh')}走访"


DEFAULT_POLICY = Policy(
    default={"high": Cycle.MONTHLY, "medium": Cycle.QUARTERLY, "low": Cycle.HALF_YEARLY},
    rules=(
        Rule(
            name="大重病或重度残疾且无劳动能力",
            name_en="serious illness or severe disability with no labour capacity",
            cycle=Cycle.MONTHLY,
            member_health_any={"serious_illness", "severe_disability"},
            member_labour_any={"none"},
        ),
        Rule(
            name="特困人员、散居孤儿、困境儿童至少每季度",
            name_en="extreme poverty, scattered orphans, children in distress: at least quarterly",
            cycle=Cycle.QUARTERLY,
            categories_any={"tekun", "scattered_orphan", "child_distress"},
        ),
    ),
)


def _code_list(enum: type[Labeled]) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(enum.codes())), load_default=list)


def _ordered(values: Iterable[str], enum: type[Labeled]) -> list[str]:
    # Sets have no order; dump in declaration order so the stored JSON is stable.
    present = set(values)
    return [code for code in enum.codes() if code in present]


class RuleSchema(Schema):
    """One :class:`Rule` as JSON."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=200), storable_text])
    name_en = fields.String(load_default="", validate=[validate.Length(max=200), storable_text])
    cycle = fields.Enum(Cycle, by_value=True, required=True)
    categories_any = _code_list(Category)
    member_health_any = _code_list(Health)
    member_labour_any = _code_list(LabourCapacity)
    levels_any = _code_list(HardshipLevel)

    @validates("name")
    def _name_not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Must not be blank.")

    @validates_schema
    def _has_condition(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(name) for name in _CONDITIONS):
            raise ValidationError(f"A rule needs at least one of: {', '.join(_CONDITIONS)}.")

    @pre_dump
    def _lists(self, rule: Rule, **_: Any) -> dict[str, Any]:
        enums = (Category, Health, LabourCapacity, HardshipLevel)
        data = {"name": rule.name, "name_en": rule.name_en, "cycle": rule.cycle}
        for name, enum in zip(_CONDITIONS, enums, strict=True):
            data[name] = _ordered(getattr(rule, name), enum)
        return data

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Rule:
        return Rule(**data)


# One required field per hardship level, so a missing or unknown level is a field error.
_DefaultSchema = type(
    "DefaultSchema",
    (Schema,),
    {
        "Meta": type("Meta", (), {"unknown": RAISE}),
        **{c: fields.Enum(Cycle, by_value=True, required=True) for c in HardshipLevel.codes()},
    },
)


class PolicySchema(Schema):
    """A :class:`Policy` as JSON; rejects unknown keys and codes with field errors."""

    class Meta:
        unknown = RAISE

    default = fields.Nested(_DefaultSchema, required=True)
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)

    @validates_schema
    def _unique_names(self, data: dict[str, Any], **_: Any) -> None:
        # Reasons name the deciding rule, so two rules with one name would be ambiguous.
        names = [rule.name for rule in data.get("rules", ())]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValidationError(f"Duplicate rule names: {', '.join(duplicates)}.", "rules")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Policy:
        return Policy(default=data["default"], rules=tuple(data["rules"]))


def load_policy(data: Mapping[str, Any]) -> Policy:
    """Build a :class:`Policy` from its JSON form; raises ``marshmallow.ValidationError``."""
    return PolicySchema().load(data)


def dump_policy(policy: Policy) -> dict[str, Any]:
    """The JSON form of ``policy`` (plain dicts, lists and strings, in a stable order)."""
    return PolicySchema().dump(policy)
