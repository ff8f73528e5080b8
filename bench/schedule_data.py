"""The schedule benchmark's dataset: a district of households and their visits, by COPY."""

from __future__ import annotations

import calendar
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date
from time import perf_counter

from bench import database
from sync.schedule import Cycle

SEED = 20261123
HOUSEHOLDS_PER_STREET = 7_000
COMMUNITIES_PER_STREET = 12  # ~580 households: two advisors of ~290 each
HOUSEHOLDS_PER_ADVISOR = 300
WINDOW_MONTHS = 18  # visits cover the last 18 months up to the build day
P_VISITED = 0.93  # share of a household's periods its advisor gets round to
CHUNK = 20_000  # rows per COPY write


def _weighted(**weights: int) -> list[str]:
    # A list to index with int(random() * len): cheaper than random.choices per row.
    return [code for code, n in weights.items() for _ in range(n)]


OUTCOMES = _weighted(completed=85, not_home=9, refused=2, unreachable=2, moved=1, deceased=1)
STATUSES = _weighted(approved=74, submitted=15, returned=2, resubmitted=4, draft=5)
# The month in progress has more records not yet reviewed or still drafts.
STATUSES_NOW = _weighted(approved=30, submitted=50, returned=3, resubmitted=2, draft=15)
LEVELS = _weighted(high=25, medium=45, low=30)
CATEGORIES = ['["dibao"]', '["tekun"]', '["dibao_edge"]', '["dibao", "child_distress"]',
              '["relapse_watch"]', '["rigid_expense"]', '["discovered"]', '["dibao"]']  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CONDITIONS = ["居住条件一般，房屋较旧", "家中整洁，生活基本有保障", "患病在床，需要照料",
              "租住单间，收入不稳定", "独居老人，子女在外地"]  # fmt: skip
VISIT_COLUMNS = (
    "id household_id advisor_id device_id visited_at outcome status version persons_met"
    " living_conditions income_change needs situation urgent findings notes"
).split()
HOUSEHOLD_COLUMNS = (
    "id external_id head_name phone residence_address registration_street_id"
    " registration_community_id residence_street_id residence_community_id categories"
    " hardship_level visit_cycle cycle_since assigned_advisor_id status latitude longitude"
    " enrolled_on notes version"
).split()


@dataclass
class Plan:
    """Per-household facts the visit generator needs, one list entry per household."""

    ids: list[str]
    advisors: list[int]
    months: list[int]  # period length of the cycle: 1, 3 or 6
    first: list[int]  # first and last month number (year * 12 + month - 1) with visits
    last: list[int]


def month_number(day: date) -> int:
    """``year * 12 + month - 1``: months count on by one across years."""
    return day.year * 12 + day.month - 1


def build(url: str, households: int, per_household: int, on: date) -> dict:
    """Load a fresh dataset with COPY; return its marker (sizes and the day it ends)."""
    rng = random.Random(SEED)
    started = perf_counter()
    tables = ("area", "user_account", "household", "visit")
    with database.bulk_load(url, ("household", "visit"), tables) as cur:
        streets = max(1, round(households / HOUSEHOLDS_PER_STREET))
        community_of = [rng.randrange(streets * COMMUNITIES_PER_STREET) for _ in range(households)]
        advisors = _areas_and_users(cur, streets, Counter(community_of))
        plan = _households(cur, rng, community_of, advisors, streets, on)
        visits = _visits(cur, rng, plan, per_household, on)
        cur.execute("UPDATE sync_counter SET value = %s", (households + visits,))
    marker = {
        "benchmark": "schedule",
        "households": households,
        "visits_per_household": per_household,
        "visits": visits,
        "seed": SEED,
        "on": on.isoformat(),
        "load_seconds": round(perf_counter() - started, 1),
    }
    database.write_marker(url, marker)
    return marker


def _areas_and_users(cur, streets: int, per_community: Counter) -> list[list[int]]:
    """One district, its streets and communities, an admin, a supervisor per street and
    about one advisor per 300 households; returns the advisor ids of each community."""
    areas = ["1\tD1\t基准区\tdistrict\t\\N\n"]
    users = [_user(1, "admin", "admin", 1)]
    next_user = 2
    for s in range(streets):
        street_id = 2 + s
        areas.append(f"{street_id}\tS{s:04d}\t第{s + 1}街道\tstreet\t1\n")
        users.append(_user(next_user, f"sup{s:04d}", "supervisor", street_id))
        next_user += 1
    advisors = []
    for c in range(streets * COMMUNITIES_PER_STREET):
        cid = 2 + streets + c
        street_id = 2 + c // COMMUNITIES_PER_STREET
        areas.append(f"{cid}\tC{c:05d}\t第{c + 1}社区\tcommunity\t{street_id}\n")
        ids = []
        for _ in range(max(1, round(per_community[c] / HOUSEHOLDS_PER_ADVISOR))):
            users.append(_user(next_user, f"adv{next_user:06d}", "advisor", cid))
            ids.append(next_user)
            next_user += 1
        advisors.append(ids)
    area_columns = ("id", "code", "name", "kind", "parent_id")
    database.copy_lines(cur, "area", area_columns, [areas])
    columns = ("id", "username", "display_name", "password_hash", "role", "area_id", "active",
               "created_at")  # fmt: skip
    database.copy_lines(cur, "user_account", columns, [users])
    for table in ("area", "user_account"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
    return advisors


def _user(uid: int, username: str, role: str, area_id: int) -> str:
    # No one signs in to the bench database: the hash is a placeholder, not a password.
    return f"{uid}\t{username}\t{username}\tbench-no-login\t{role}\t{area_id}\tt\tnow\n"


def _households(cur, rng, community_of, advisors, streets: int, on: date) -> Plan:
    """COPY the households; return what the visit generator needs to know of each."""
    rnd, n = rng.random, len(community_of)
    plan = Plan([], [], [], [], [])
    window = month_number(on) - WINDOW_MONTHS + 1
    window_start = date(window // 12, window % 12 + 1, 1).toordinal()
    oldest, today = date(2018, 1, 1).toordinal(), on.toordinal()

    def chunks():
        lines = []
        for h, c in enumerate(community_of):
            hid = f"{rng.getrandbits(128):032x}"
            street = c // COMMUNITIES_PER_STREET
            community, res_street = 2 + streets + c, 2 + street
            reg_street, reg_community = res_street, community
            if rnd() < 0.05 and streets > 1:  # 人户分离: registered in a neighbouring street
                other = (street + rng.choice((-1, 1))) % streets
                reg_street = 2 + other
                reg_community = 2 + streets + other * COMMUNITIES_PER_STREET
                reg_community += rng.randrange(COMMUNITIES_PER_STREET)
            advisor = rng.choice(advisors[c])
            level = LEVELS[int(rnd() * len(LEVELS))]
            cycle = {"high": "monthly", "medium": "quarterly", "low": "half_yearly"}[level]
            if rnd() < 0.1 and level != "high":  # a policy rule raised the frequency
                cycle = "monthly" if level == "medium" else "quarterly"
            if rnd() < 0.8:
                enrolled = rng.randrange(oldest, window_start)
            else:
                enrolled = rng.randrange(window_start, today + 1)
            roll = rnd()
            if roll < 0.7:
                since = date.fromordinal(enrolled).isoformat()
            elif roll < 0.82:  # the cycle changed since enrolment
                since = date.fromordinal(rng.randrange(max(enrolled, window_start), today + 1))
                since = since.isoformat()
            else:
                since = "\\N"
            closed = rnd() < 0.03
            enrolled_day = date.fromordinal(enrolled)
            stop = month_number(on)
            if closed or rnd() < 0.08:  # closed, or the advisor stopped coming a while ago
                stop -= rng.randint(1, 8)
            months = Cycle(cycle).months
            plan.ids.append(hid)
            plan.advisors.append(advisor)
            plan.months.append(months)
            plan.first.append(max(window, month_number(enrolled_day)))
            plan.last.append(stop)
            name = SURNAMES[h % len(SURNAMES)] + "某" + str(h % 97)
            lines.append(
                f"{hid}\tBH{h:010d}\t{name}\t138{rng.randrange(10**8):08d}\t"
                f"第{c + 1}社区{rng.randrange(1, 300)}号{rng.randrange(101, 2000)}室\t"
                f"{reg_street}\t{reg_community}\t{res_street}\t{community}\t"
                f"{CATEGORIES[h % len(CATEGORIES)]}\t{level}\t{cycle}\t{since}\t{advisor}\t"
                f"{'closed' if closed else 'active'}\t{23 + rnd():.6f}\t{113 + rnd():.6f}\t"
                f"{enrolled_day.isoformat()}\t\t{h + 1}\n"
            )
            if len(lines) == CHUNK:
                yield lines
                lines = []
        yield lines

    database.copy_lines(cur, "household", HOUSEHOLD_COLUMNS, chunks(), n)
    return plan


def _visits(cur, rng, plan: Plan, per_household: int, on: date) -> int:
    """COPY the visits month by month, as they would arrive (the table is in time order).

    Each period of a household's cycle is visited with probability ``P_VISITED`` in one
    month of it, by ``k`` visits where the mean of ``k`` makes ``per_household`` overall.
    """
    rnd, bits, n = rng.random, rng.getrandbits, len(plan.ids)
    periods = sum(
        max(0, last // m - first // m + 1)
        for first, last, m in zip(plan.first, plan.last, plan.months, strict=True)
    )
    mean = per_household * n / max(1.0, periods * P_VISITED)
    whole, extra = int(mean), mean - int(mean)
    expected = round(periods * P_VISITED * mean)
    planned = [-1] * n
    version = n
    now = month_number(on)

    def chunks():
        nonlocal version
        lines = []
        for m in range(now - WINDOW_MONTHS + 1, now + 1):
            year, month = divmod(m, 12)
            days = on.day if m == now else calendar.monthrange(year, month + 1)[1]
            stamps = [
                f"{year}-{month + 1:02d}-{d:02d} {h:02d}:{minute:02d}:00+08"
                for d in range(1, days + 1)
                for h in range(8, 19)
                for minute in range(0, 60, 3)
            ]
            statuses = STATUSES_NOW if m == now else STATUSES
            for h in range(n):
                first, months = plan.first[h], plan.months[h]
                if m < first or m > plan.last[h]:
                    continue
                if m == first or m % months == 0:  # a period starts: plan its visit
                    end = min(plan.last[h], m - m % months + months - 1)
                    planned[h] = rng.randint(m, end) if rnd() < P_VISITED else -1
                if planned[h] != m:
                    continue
                hid, advisor = plan.ids[h], plan.advisors[h]
                for _ in range(whole + (rnd() < extra)):
                    version += 1
                    lines.append(
                        f"{bits(128):032x}\t{hid}\t{advisor}\ttab-{advisor}\t"
                        f"{stamps[int(rnd() * len(stamps))]}\t"
                        f"{OUTCOMES[int(rnd() * len(OUTCOMES))]}\t"
                        f'{statuses[int(rnd() * len(statuses))]}\t{version}\t["head"]\t'
                        f"{CONDITIONS[version % len(CONDITIONS)]}\tsame\t[]\tnone\tf\t[]\t\n"
                    )
                if len(lines) >= CHUNK:
                    yield lines
                    lines = []
        yield lines

    return database.copy_lines(cur, "visit", VISIT_COLUMNS, chunks(), expected)
