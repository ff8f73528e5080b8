"""Realistic, seeded demo data: one district, its streets, households and visit history."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from server.models import Area, Household, Interview, User, Visit
from server.services.auth import users
from server.services.core import audit
from server.services.households import households
from server.services.warnings import raising
from sync.schedule import Cycle

DISTRICT = ("440104", "越秀区")
# 越秀、荔湾、海珠、天河、白云: where the demo's residents' numbers were issued.
ISSUING_DISTRICTS = ("440104", "440103", "440105", "440106", "440111")
STREETS = {
    "440104001": ("北京街道", ["盐运西社区", "流水井社区", "都府社区"]),
    "440104002": ("人民街道", ["光塔社区", "净慧社区", "诗书社区"]),
    "440104003": ("东山街道", ["署前路社区", "培正社区", "竹丝岗社区"]),
}
# (category, weight) — dibao dominates, as in real caseloads.
CATEGORY_WEIGHTS = [
    ("dibao", 40),
    ("dibao_edge", 14),
    ("tekun", 9),
    ("rigid_expense", 8),
    ("relapse_watch", 6),
    ("child_distress", 4),
    ("scattered_orphan", 1),
    ("dept_special", 4),
    ("group_aid", 3),
    ("exited_recent", 5),
    ("discovered", 3),
    ("other", 3),
]
LEVEL_WEIGHTS = [("high", 22), ("medium", 46), ("low", 32)]
SEPARATED_SHARE = 0.15
HISTORY_MONTHS = 18
ROADS = ["中山路", "解放北路", "越秀北路", "东风中路", "农林下路", "寺右新马路", "署前路", "文德路"]


class _Demo:
    """State shared while generating one demo dataset."""

    def __init__(self, session: Session, seed: int, today: date, password: str, tz: str):
        self.session = session
        self.tz = tz
        self.zone = ZoneInfo(tz)
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.today = today
        # The end of the demo's working day: after every visit it invents (9:00–17:59).
        self.now = datetime.combine(today, time(18, 0), self.zone).astimezone(UTC)
        self.password = password
        self.streets: list[Area] = []
        self.communities: dict[int, list[Area]] = {}
        self.advisors: dict[int, list[User]] = {}

    def uuid(self) -> uuid.UUID:
        """A UUID drawn from the seeded generator, so reruns give the same ids."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def pick(self, weighted: list[tuple[str, int]]) -> str:
        codes, weights = zip(*weighted, strict=True)
        return self.rng.choices(codes, weights=weights)[0]


def _make_areas(demo: _Demo) -> Area:
    district = Area(code=DISTRICT[0], name=DISTRICT[1], kind="district")
    demo.session.add(district)
    for code, (name, communities) in STREETS.items():
        street = Area(code=code, name=name, kind="street", parent=district)
        demo.session.add(street)
        demo.streets.append(street)
        demo.communities[code] = [
            Area(code=f"{code}{i + 1:03d}", name=c, kind="community", parent=street)
            for i, c in enumerate(communities)
        ]
        demo.session.add_all(demo.communities[code])
    demo.session.flush()
    demo.communities = {s.id: demo.communities[s.code] for s in demo.streets}
    return district


def _make_users(demo: _Demo, district: Area) -> None:
    accounts = [("admin", "admin", district, "系统管理员")]
    accounts.append(("supervisor1", "supervisor", demo.streets[0], demo.fake.name()))
    accounts.append(("supervisor2", "supervisor", district, demo.fake.name()))
    for i, street in enumerate(demo.streets):
        for j in range(2):
            accounts.append((f"advisor{2 * i + j + 1}", "advisor", street, demo.fake.name()))
    for username, role, area, name in accounts:
        user = users.create_user(
            demo.session,
            actor=None,
            username=username,
            password=demo.password,
            role=role,
            area=area,
            display_name=name,
            now=demo.now,
        )
        if role == "advisor":
            demo.advisors.setdefault(area.id, []).append(user)


def _id_number(demo: _Demo, birth: date, male: bool) -> str:
    seq = demo.rng.randrange(0, 50) * 2 + (1 if male else 0)
    # Real district codes, as the elderly really have them: the district where the number
    # was first issued (1984 on), younger than many of its holders (sync.fields.resident_id).
    region = demo.rng.choice(ISSUING_DISTRICTS)
    body = f"{region}{birth:%Y%m%d}{demo.rng.randrange(10):d}{seq:02d}"
    # calc_check_digit expects the full number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")


def _person(demo: _Demo, relation: str, age: int, male: bool, level: str) -> dict:
    birth = demo.today - timedelta(days=age * 365 + demo.rng.randrange(365))
    serious = demo.rng.random() < (0.25 if level == "high" else 0.06)
    health = (
        demo.rng.choice(["serious_illness", "severe_disability"])
        if serious
        else ("chronic" if age > 55 and demo.rng.random() < 0.5 else "healthy")
    )
    if age < 16:
        labour, employment = "none", "student" if age >= 6 else "not_applicable"
    elif serious or age >= 70:
        labour, employment = "none", "retired" if age >= 60 else "unemployed"
    else:
        labour = demo.rng.choice(["full", "full", "partial"])
        employment = demo.rng.choice(["employed", "flexible", "unemployed"])
    return {
        "id": demo.uuid(),
        "name": demo.fake.name_male() if male else demo.fake.name_female(),
        "id_number": _id_number(demo, birth, male),
        "gender": "male" if male else "female",
        "birth_date": birth,
        "relation": relation,
        "health": health,
        "labour_capacity": labour,
        "employment": employment,
    }


def _members(demo: _Demo, level: str, categories: list[str]) -> list[dict]:
    head_age = demo.rng.randint(28, 88)
    male = demo.rng.random() < 0.55
    members = [_person(demo, "head", head_age, male, level)]
    if "tekun" in categories:
        return members  # 特困人员 live alone by definition
    if head_age < 75 and demo.rng.random() < 0.6:
        members.append(_person(demo, "spouse", head_age + demo.rng.randint(-4, 4), not male, level))
    for _ in range(demo.rng.choice([0, 1, 1, 2, 3]) if head_age < 60 else 0):
        members.append(
            _person(demo, "child", demo.rng.randint(1, 17), demo.rng.random() < 0.5, level)
        )
    return members


def _household(demo: _Demo, n: int) -> Household:
    registration = demo.rng.choice(demo.streets)
    residence = registration
    if demo.rng.random() < SEPARATED_SHARE:
        residence = demo.rng.choice([s for s in demo.streets if s is not registration])
    level = demo.pick(LEVEL_WEIGHTS)
    categories = sorted({demo.pick(CATEGORY_WEIGHTS) for _ in range(demo.rng.choice([1, 1, 2]))})
    advisor = demo.rng.choice(demo.advisors[residence.id])
    enrolled = demo.today - timedelta(days=demo.rng.randint(30, 6 * 365))
    data = {
        "id": demo.uuid(),
        "external_id": f"GD{DISTRICT[0]}{n:06d}",
        "head_name": "",
        "phone": demo.fake.phone_number(),
        "residence_address": f"{residence.name}{demo.rng.choice(ROADS)}"
        f"{demo.rng.randint(1, 300)}号{demo.rng.randint(1, 12)}0{demo.rng.randint(1, 4)}房",
        "registration_street_id": registration.id,
        "registration_community_id": demo.rng.choice(demo.communities[registration.id]).id,
        "residence_street_id": residence.id,
        "residence_community_id": demo.rng.choice(demo.communities[residence.id]).id,
        "categories": categories,
        "hardship_level": level,
        "assigned_advisor_id": advisor.id,
        "enrolled_on": enrolled,
        "notes": "",
        "location": {
            "lat": 23.12 + demo.rng.uniform(-0.02, 0.02),
            "lon": 113.28 + demo.rng.uniform(-0.03, 0.03),
        },
    }
    members = _members(demo, level, categories)
    data["head_name"] = members[0]["name"]
    household = households.create_household(
        demo.session,
        actor=None,
        data=data,
        persons=members,
        now=demo.now,
        tz=demo.tz,
    )
    return household


def _when(demo: _Demo, start: date, end: date) -> datetime:
    day = start + timedelta(days=demo.rng.randrange((end - start).days + 1))
    return datetime.combine(day, time(demo.rng.randint(9, 17), demo.rng.randrange(60)), demo.zone)


def _visit(demo: _Demo, household: Household, at: datetime, outcome: str) -> Visit:
    findings = []
    if outcome == "completed" and demo.rng.random() < 0.12:
        findings = [
            demo.rng.choice(
                [
                    "income_drop",
                    "job_loss",
                    "serious_illness",
                    "large_medical_expense",
                    "housing_hazard",
                ]
            )
        ]
    recent = demo.now - at < timedelta(days=20)
    return Visit(
        id=demo.uuid(),
        household_id=household.id,
        advisor_id=household.assigned_advisor_id,
        device_id="demo-tablet",
        visited_at=at,
        outcome=outcome,
        living_conditions="基本生活有保障" if not findings else "生活较为困难",
        income_change="down" if findings else "same",
        estimated_monthly_income=Decimal(demo.rng.randrange(800, 4000)).quantize(Decimal("1.00")),
        findings=findings,
        needs=["medical"] if "serious_illness" in findings else [],
        situation="changed" if findings else "none",
        urgent=False,
        status="submitted" if recent else "approved",
        started_at=at,
        ended_at=at + timedelta(minutes=demo.rng.randint(15, 50)),
    )


def _history(demo: _Demo, household: Household) -> list:
    """Visits for each past period of the household's cycle, with realistic misses."""
    step = Cycle(household.visit_cycle).months
    first = max(household.enrolled_on, demo.today - timedelta(days=HISTORY_MONTHS * 30))
    month0 = (first.month - 1) // step * step + 1
    start = date(first.year, month0, 1)
    rows: list = []
    while start <= demo.today:
        m = start.month - 1 + step
        end = min(date(start.year + m // 12, m % 12 + 1, 1) - timedelta(days=1), demo.today)
        lo = max(start, household.enrolled_on)
        if lo <= end and demo.rng.random() < 0.9:
            if demo.rng.random() < 0.1:
                rows.append(_visit(demo, household, _when(demo, lo, end), "not_home"))
            if demo.rng.random() < 0.88:
                rows.append(_visit(demo, household, _when(demo, lo, end), "completed"))
        start = end + timedelta(days=1)
    if demo.rng.random() < 0.4:
        rows.append(
            Interview(
                id=demo.uuid(),
                household_id=household.id,
                advisor_id=household.assigned_advisor_id,
                device_id="demo-tablet",
                interviewed_at=_when(
                    demo, max(first, demo.today - timedelta(days=300)), demo.today
                ),
                interviewee_role=demo.rng.choice(["neighbour", "building_leader", "committee"]),
                statement="该户平时生活节俭，近期未见明显变化。",
                corroborates="yes",
                findings=[],
                status="approved",
            )
        )
    return rows


def load_demo(
    session: Session,
    *,
    households: int = 300,
    password: str,
    tz: str,
    seed: int = 20261123,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Fill an empty database with the demo district (deterministic for a seed and day);
    dates are local to the zone ``tz``. Like a service, it flushes and leaves the commit to
    the caller's unit of work."""
    # Yesterday by default, so that the demo's day has ended and nothing in it lies ahead
    # of the clock (its records and audit events are stamped up to 18:00 of that day).
    today = today or datetime.now(ZoneInfo(tz)).date() - timedelta(days=1)
    demo = _Demo(session, seed, today, password, tz)
    district = _make_areas(demo)
    _make_users(demo, district)
    waiting: list[Visit] = []
    recent: list[tuple[str, uuid.UUID]] = []
    for n in range(1, households + 1):
        household = _household(demo, n)
        for row in _history(demo, household):
            session.add(row)
            if row.status == "submitted":
                recent.append((type(row).__name__.lower(), row.id))
            if (
                isinstance(row, Visit)
                and row.status == "submitted"
                and row.outcome == "completed"
                and not row.findings
                and household.residence_street_id == demo.streets[0].id
            ):
                waiting.append(row)
            audit.record(
                session,
                actor=None,
                action="import",
                entity=type(row).__name__.lower(),
                entity_id=row.id,
                now=demo.now,
                diff={"source": [None, "demo"]},
            )
        if progress:
            progress(1)
    _review_examples(demo, waiting)
    # The records waiting for review raise their warnings, as a push would have.
    raising.raise_for_records(session, recent, demo.now)


def _review_examples(demo: _Demo, waiting: list[Visit]) -> None:
    """Make the first plain visit waiting in street 1 urgent (急难), and the second one
    returned by supervisor1 and corrected on the tablet — with the audit events a real
    return and push write — so the review pages show both."""
    if len(waiting) < 2:
        return
    urgent, corrected = waiting[0], waiting[1]
    urgent.urgent, urgent.needs = True, ["temporary_aid"]
    supervisor = demo.session.scalar(select(User).where(User.username == "supervisor1"))
    comment = "收入情况请与社区台账核对后补充"
    demo.session.flush()
    audit.record(
        demo.session,
        actor=supervisor,
        action="return",
        entity="visit",
        entity_id=corrected.id,
        now=demo.now - timedelta(hours=3),
        diff={"status": ["submitted", "returned"], "review_comment": [None, comment]},
    )
    before = {"income_change": corrected.income_change, "notes": corrected.notes}
    corrected.income_change, corrected.notes = "down", "已与社区台账核对：本月起退休金减少"
    corrected.status, corrected.review_comment = "resubmitted", comment
    diff = {k: [v, getattr(corrected, k)] for k, v in before.items()}
    audit.record(
        demo.session,
        actor=demo.session.get(User, corrected.advisor_id),
        action="sync_correct",
        entity="visit",
        entity_id=corrected.id,
        now=demo.now - timedelta(hours=1),
        diff={**diff, "status": ["returned", "resubmitted"]},
        device_id="demo-tablet",
    )
