"""What the console benchmark adds to the schedule dataset: members, interviews, warnings,
tablets with pending reports, review records (urgent, findings) and an audit trail.

Written in SQL over the loaded households and visits, every choice taken from an md5 of
the row's id (``r(text)``), so the same schedule dataset always gets the same additions.
"""

from __future__ import annotations

from time import perf_counter

import psycopg

from bench import database

# Bump when the additions change: a dataset labelled with another version is redone.
VERSION = 1
PASSWORD = "bench-console"  # the supervisors' password on the scratch database only

_FUNCTIONS = """
CREATE FUNCTION pg_temp.r(t text) RETURNS int IMMUTABLE LANGUAGE sql
  AS $$ SELECT ('x' || substr(md5(t), 1, 7))::bit(28)::int $$;
CREATE FUNCTION pg_temp.u(t text) RETURNS uuid IMMUTABLE LANGUAGE sql
  AS $$ SELECT md5(t)::uuid $$;
"""

# 1-3 members a household (the head first), with an 18-character ID number.
_PERSONS = """
INSERT INTO person (id, household_id, name, id_number, gender, birth_date, relation, health,
                    labour_capacity, employment, version)
SELECT pg_temp.u(h.id::text || 'p' || k), h.id,
       CASE WHEN k = 1 THEN h.head_name ELSE left(h.head_name, 1) || '某' || k END,
       '4401' || lpad((pg_temp.r(h.id::text || k) %% 100)::text, 2, '0')
         || to_char(date '1940-01-01' + pg_temp.r(h.id::text || 'b' || k) %% 25000, 'YYYYMMDD')
         || lpad((pg_temp.r(h.id::text || 's' || k) %% 10000)::text, 4, '0'),
       (ARRAY['male', 'female'])[1 + pg_temp.r(h.id::text || 'g' || k) %% 2],
       date '1940-01-01' + pg_temp.r(h.id::text || 'b' || k) %% 25000,
       (ARRAY['head', 'spouse', 'child'])[k],
       (ARRAY['healthy', 'healthy', 'chronic', 'serious_illness', 'severe_disability'])
         [1 + pg_temp.r(h.id::text || 'h' || k) %% 5],
       (ARRAY['full', 'partial', 'none'])[1 + pg_temp.r(h.id::text || 'l' || k) %% 3],
       (ARRAY['employed', 'flexible', 'unemployed', 'retired', 'not_applicable'])
         [1 + pg_temp.r(h.id::text || 'e' || k) %% 5],
       %(version)s
FROM household h CROSS JOIN generate_series(1, 3) k
WHERE k <= 1 + pg_temp.r(h.id::text) %% 3
"""

# One neighbourhood interview for 1 household in 20, within the last 60 days.
_INTERVIEWS = """
INSERT INTO interview (id, household_id, advisor_id, device_id, interviewed_at,
                       interviewee_role, statement, corroborates, findings, notes, status,
                       version)
SELECT pg_temp.u(h.id::text || 'i'), h.id, h.assigned_advisor_id, 'tab-' || h.assigned_advisor_id,
       %(now)s - make_interval(mins => pg_temp.r(h.id::text || 'it') %% 86400),
       'neighbour', '邻居称其近期生活正常', 'yes', '[]', '',
       (ARRAY['submitted', 'submitted', 'resubmitted', 'approved', 'approved'])
         [1 + pg_temp.r(h.id::text || 'is') %% 5],
       %(version)s
FROM household h WHERE pg_temp.r(h.id::text || 'i') %% 20 = 0
"""

# Warnings on 1 household in 30, filed under the street they live in.
_WARNINGS = """
INSERT INTO warning (id, household_id, source, kind, level, status, message, raised_at,
                     street_id, version)
SELECT pg_temp.u(h.id::text || 'w'), h.id,
       (ARRAY['visit_rule', 'platform', 'manual'])[1 + pg_temp.r(h.id::text || 'wsrc') %% 3],
       (ARRAY['income_drop', 'serious_illness', 'overdue', 'job_loss'])
         [1 + pg_temp.r(h.id::text || 'wk') %% 4],
       (ARRAY['blue', 'yellow', 'orange', 'red'])[1 + pg_temp.r(h.id::text || 'wl') %% 4],
       (ARRAY['open', 'open', 'verifying', 'closed'])[1 + pg_temp.r(h.id::text || 'ws') %% 4],
       '走访发现收入下降', %(now)s - make_interval(hours => pg_temp.r(h.id::text || 'wt') %% 4000),
       h.residence_street_id, %(version)s
FROM household h WHERE pg_temp.r(h.id::text || 'w') %% 30 = 0
"""

# 1 in 150 records waiting for review is urgent (急难) with a finding; 1 in 40 more has a
# finding and one of the 四种情形.
_FLAGS = """
UPDATE visit SET urgent = pg_temp.r(id::text || 'u') %% 150 = 0,
       findings = '["income_drop"]', situation = 'changed'
WHERE status IN ('submitted', 'resubmitted')
  AND (pg_temp.r(id::text || 'u') %% 150 = 0 OR pg_temp.r(id::text || 'f') %% 40 = 0)
"""

# One tablet per advisor (the device id its visits carry): 30 %% hold unsent records, some
# of them for over a day; 1 in 10 silent for days; 2 %% revoked.
_DEVICES = """
INSERT INTO device (device_id, name, app_version, user_id, token_hash, issued_at, expires_at,
                    revoked_at, last_seen_at, pending_count, oldest_pending_at)
SELECT 'tab-' || u.id, 'Tablet ' || u.id, '1.' || (pg_temp.r(u.id || 'v') %% 4) || '.0', u.id,
       md5(u.id || 'token') || md5(u.id || 'token2'),
       %(now)s - interval '90 days', %(now)s + interval '90 days',
       CASE WHEN pg_temp.r(u.id || 'rev') %% 50 = 0 THEN %(now)s - interval '5 days' END,
       %(now)s - make_interval(hours => CASE WHEN pg_temp.r(u.id || 's') %% 10 = 0
                                             THEN 72 + pg_temp.r(u.id || 'h') %% 200
                                             ELSE pg_temp.r(u.id || 'h') %% 30 END),
       CASE WHEN pg_temp.r(u.id || 'p') %% 10 < 3 THEN 1 + pg_temp.r(u.id || 'n') %% 12 ELSE 0 END,
       CASE WHEN pg_temp.r(u.id || 'p') %% 10 < 3
            THEN %(now)s - make_interval(hours => pg_temp.r(u.id || 'o') %% 60) END
FROM user_account u WHERE u.role = 'advisor'
"""

# The review trail: a return (with its comment) for each returned or resubmitted record, an
# approval for visits approved within the last 60 days, and a level change on 1 household
# in 20, each by the supervisor of the household's street.
_AUDIT = """
INSERT INTO audit_event (actor_id, action, entity, entity_id, diff, at)
SELECT s.id, 'return', 'visit', v.id::text,
       '{"status": ["submitted", "returned"], "review_comment": [null, "请补充收入情况"]}'::jsonb,
       v.visited_at + interval '1 day'
FROM visit v JOIN household h ON h.id = v.household_id
JOIN user_account s ON s.role = 'supervisor' AND s.area_id = h.residence_street_id
WHERE v.status IN ('returned', 'resubmitted')
UNION ALL
SELECT s.id, 'approve', 'visit', v.id::text, '{"status": ["submitted", "approved"]}'::jsonb,
       v.visited_at + interval '2 days'
FROM visit v JOIN household h ON h.id = v.household_id
JOIN user_account s ON s.role = 'supervisor' AND s.area_id = h.residence_street_id
WHERE v.status = 'approved' AND v.visited_at > %(now)s - interval '60 days'
UNION ALL
SELECT s.id, 'update', 'household', h.id::text, '{"hardship_level": ["medium", "high"]}'::jsonb,
       %(now)s - make_interval(days => pg_temp.r(h.id::text || 'ad') %% 300)
FROM household h
JOIN user_account s ON s.role = 'supervisor' AND s.area_id = h.residence_street_id
WHERE pg_temp.r(h.id::text || 'a') %% 20 = 0
"""

STEPS = (
    ("members", _PERSONS),
    ("interviews", _INTERVIEWS),
    ("warnings", _WARNINGS),
    ("urgent and findings", _FLAGS),
    ("tablets", _DEVICES),
    ("audit trail", _AUDIT),
)
TABLES = ("person", "interview", "warning", "visit", "device", "audit_event", "user_account")


def add(url: str, marker: dict) -> dict:
    """Add the console's data to a loaded schedule dataset; return the updated marker."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from server.services.auth.tokens import hash_password

    started = perf_counter()
    # "Now" is the end of the dataset's last day, so reruns add the same rows.
    now = datetime.combine(
        datetime.fromisoformat(marker["on"]).date(), time(18), ZoneInfo("Asia/Shanghai")
    )
    with psycopg.connect(database.conninfo(url)) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute(_FUNCTIONS)
        version = cur.execute("SELECT value FROM sync_counter").fetchone()[0]
        counts = {}
        for name, statement in STEPS:
            step = perf_counter()
            cur.execute(statement, {"now": now, "version": version})
            counts[name] = cur.rowcount
            print(
                f"  {name:<22} {cur.rowcount:>10,} rows {perf_counter() - step:7.1f} s", flush=True
            )
        cur.execute(
            "UPDATE user_account SET password_hash = %s WHERE role = 'supervisor'",
            (hash_password(PASSWORD),),
        )
        conn.commit()
        conn.autocommit = True
        cur.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    marker = {
        **marker,
        "console": VERSION,
        "console_rows": counts,
        "console_seconds": round(perf_counter() - started, 1),
    }
    database.write_marker(url, marker)
    return marker
