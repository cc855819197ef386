"""Query plans of the participant list and of the participant lookup at statewide scale.

Loads a statewide data set (DESIGN.md "Scale we design for") into a bench database, set-based
in SQL, then times and explains the queries the participant list and every participant page
send, through the app's own functions, against a plain fetch of the same rows measured in the
same run. See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drugcourt_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 DJANGO_SETTINGS_MODULE=drugcourt.settings.dev \\
    .venv/bin/python bench/caseload_explain.py --fresh
"""

import argparse
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import django

# Time the queries as production runs them: without DEBUG's query log.
os.environ["DJANGO_DEBUG"] = "False"
django.setup()

import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from psycopg2 import sql as pg_sql  # noqa: E402

from clients import access, selectors  # noqa: E402
from clients.access import DataClass  # noqa: E402
from clients.models import CaseAssignment, Participant  # noqa: E402
from clients.reconcile import access_drift  # noqa: E402
from drugcourt.models import Program, User  # noqa: E402
from drugcourt.program_groups import GROUP_PREFIX  # noqa: E402
from drugcourt.roles import PROGRAM_WIDE_ROLES, Role  # noqa: E402
from drugcourt.views import PAGE_SIZE  # noqa: E402


def out(line: str = "") -> None:
    print(line)  # noqa: T201


# ---------------------------------------------------------------------------------------------
# The data set

PARTICIPANTS = 50_000
CONTACTS_EACH = 40  # 2 million contacts
# Staff by role, 400 in all. Staff member `id` works in program 1 + id % 4.
STAFF = [
    (Role.CASE_MANAGER, 120),
    (Role.PROBATION_OFFICER, 40),
    (Role.DEFENCE_ATTORNEY, 30),
    (Role.JUDGE, 6),
    (Role.CLERK, 6),
    (Role.COORDINATOR, 8),
    (Role.PROSECUTOR, 10),
    (Role.TREATMENT_PROVIDER, 170),
    (Role.ADMINISTRATOR, 5),
    (Role.EVALUATOR, 5),
]
PROGRAMS = 4
OPEN = ("active", "referred", "screening", "absconded")
LOAD_STEPS = [
    (
        "organizations and programs",
        """
        INSERT INTO drugcourt_organization (id, name, kind, is_active, created_at)
        SELECT g,
               CASE WHEN g <= 4 THEN 'Bench County ' || g || ' Court'
                    WHEN g = 5 THEN 'State Probation'
                    WHEN g = 6 THEN 'District Attorney'
                    WHEN g = 7 THEN 'Public Defender'
                    ELSE 'Treatment Agency ' || g END,
               CASE WHEN g <= 4 THEN 'court' WHEN g = 5 THEN 'probation'
                    WHEN g = 6 THEN 'prosecutor' WHEN g = 7 THEN 'defence'
                    ELSE 'treatment_agency' END,
               true, now()
        FROM generate_series(1, 17) g;
        INSERT INTO drugcourt_program
            (id, name, court_id, jurisdiction, time_zone, is_active, created_at)
        SELECT g, 'Bench Drug Court ' || g, g, 'Bench County ' || g, 'America/Chicago', true, now()
        FROM generate_series(1, %(programs)s) g;
        """,
    ),
    (
        "staff and program membership",
        """
        WITH plan AS (
            SELECT role, n, sum(n) OVER (ORDER BY ord) - n AS before
            FROM unnest(%(staff_roles)s::text[], %(staff_counts)s::int[])
                WITH ORDINALITY AS p(role, n, ord)
        ), staff AS (
            SELECT plan.before + k AS id, plan.role FROM plan, generate_series(1, plan.n) k
        )
        INSERT INTO drugcourt_user (id, password, is_superuser, username, first_name, last_name,
                                    is_staff, is_active, date_joined, email, roles,
                                    organization_id)
        SELECT id, '!bench', false, 'bench' || id, initcap(replace(role, '_', ' ')), 'No. ' || id,
               false, true, now(), 'bench' || id || '@bench.invalid', ARRAY[role],
               -- organizations 1-4 are the programs' courts; then probation, prosecutor,
               -- public defender, and ten treatment agencies
               CASE role WHEN 'probation_officer' THEN 5
                         WHEN 'prosecutor' THEN 6
                         WHEN 'defence_attorney' THEN 7
                         WHEN 'treatment_provider' THEN 8 + id %% 10
                         WHEN 'administrator' THEN NULL
                         WHEN 'evaluator' THEN NULL
                         ELSE 1 + id %% %(programs)s END
        FROM staff;
        INSERT INTO drugcourt_programmembership (program_id, user_id, created_at)
        SELECT 1 + id %% %(programs)s, id, now() FROM drugcourt_user
        WHERE NOT roles && ARRAY['administrator', 'evaluator']::varchar[];
        """,
    ),
    (
        "program groups (drugcourt.program_groups)",
        """
        INSERT INTO auth_group (name)
        SELECT %(group_prefix)s || p.id || ':' || r
        FROM drugcourt_program p, unnest(%(program_wide_roles)s::text[]) r;
        INSERT INTO drugcourt_programgroupobjectpermission
            (group_id, permission_id, content_object_id)
        SELECT g.id, perm.id, p.id
        FROM drugcourt_program p
        CROSS JOIN unnest(%(program_wide_roles)s::text[]) r
        JOIN auth_group g ON g.name = %(group_prefix)s || p.id || ':' || r
        JOIN auth_permission perm
            ON perm.codename = 'reach_as_' || r AND perm.content_type_id = %(program_ct)s;
        INSERT INTO drugcourt_user_groups (user_id, group_id)
        SELECT u.id, g.id
        FROM drugcourt_programmembership m
        JOIN drugcourt_user u ON u.id = m.user_id
        CROSS JOIN unnest(u.roles) r
        JOIN auth_group g ON g.name = %(group_prefix)s || m.program_id || ':' || r;
        """,
    ),
    (
        "participants",
        """
        INSERT INTO clients_participant
            (id, legal_first_name, legal_middle_name, legal_last_name, preferred_name, aliases,
             date_of_birth, sex, gender_identity, races, ethnicity, is_veteran,
             primary_language, needs_interpreter, phone, email, address_line, city, state,
             postal_code, created_at, created_by_id)
        SELECT g,
               (ARRAY['James', 'Maria', 'Robert', 'Linda', 'Michael', 'Patricia', 'David',
                      'Jennifer', 'Carlos', 'Aisha', 'Daniel', 'Nguyen', 'Sarah', 'Kevin',
                      'Rosa', 'Tyrone', 'Emily', 'Jamal', 'Ana', 'Brian'])[1 + g %% 20],
               '',
               (ARRAY['Mar', 'Gar', 'Wil', 'John', 'Brow', 'Dav', 'Mill', 'Tay', 'And', 'Thom',
                      'Rob', 'Lew', 'Walk', 'Hall', 'Young', 'King'])[1 + (g / 20) %% 16]
               || (ARRAY['tin', 'cia', 'son', 'es', 'ner', 'is', 'ler', 'lor', 'ers', 'as',
                         'erts', 'ton'])[1 + (g * 7) %% 12]
               || CASE WHEN g %% 3 = 0 THEN '' ELSE '-' || (g * 13) %% 97 END,
               '', '{}', date '1960-01-01' + (g * 37) %% 15000,
               (ARRAY['female', 'male', 'unknown'])[1 + g %% 3], '', '{}', '', NULL,
               'English', false, '', '', '', '', '', '', now(),
               (SELECT min(id) FROM drugcourt_user WHERE 'coordinator' = ANY(roles))
        FROM generate_series(1, %(participants)s) g;
        """,
    ),
    (
        "enrollments (latest episode, and an earlier one for 30%)",
        """
        SELECT setseed(0.2024);
        CREATE TEMP TABLE bench_person ON COMMIT DROP AS
        WITH draws AS MATERIALIZED (
            SELECT g AS participant_id, random() AS r_program, random() AS r_status,
                   random() AS r_days, random() AS r_share, random() AS r_previous,
                   random() AS r_case_manager, random() AS r_probation, random() AS r_defence
            FROM generate_series(1, %(participants)s) g
        ), person AS (
            SELECT *,
                   CASE WHEN r_program < 0.24 THEN 1 WHEN r_program < 0.60 THEN 2
                        WHEN r_program < 0.84 THEN 3 ELSE 4 END AS program_id,
                   CASE WHEN r_status < 0.100 THEN 'active'
                        WHEN r_status < 0.105 THEN 'referred'
                        WHEN r_status < 0.110 THEN 'screening'
                        WHEN r_status < 0.115 THEN 'absconded'
                        WHEN r_status < 0.550 THEN 'graduated'
                        WHEN r_status < 0.800 THEN 'terminated'
                        WHEN r_status < 0.900 THEN 'withdrawn'
                        WHEN r_status < 0.950 THEN 'neutral_discharge'
                        ELSE 'declined' END AS status
            FROM draws
        )
        SELECT *,
               current_date - CASE WHEN status = ANY(%(open)s::text[])
                                   THEN 20 + (r_days * 700)::int
                                   ELSE 500 + (r_days * 2500)::int END AS referral_date
        FROM person;

        INSERT INTO clients_enrollment
            (participant_id, program_id, case_number, status, entry_type, phase, track,
             referral_date, referral_source, referring_agency, entry_date, exit_date,
             exit_reason, status_changed_at, created_at)
        SELECT participant_id, program_id, 'CN-' || participant_id || '-2', status,
               CASE WHEN status IN ('referred', 'screening', 'declined') THEN ''
                    ELSE 'post_plea' END,
               CASE WHEN status IN ('active', 'absconded') THEN 1 + (r_days * 1000)::int %% 5 END,
               '', referral_date, 'defence', '',
               CASE WHEN status NOT IN ('referred', 'screening', 'declined')
                    THEN referral_date + 14 END,
               CASE WHEN NOT status = ANY(%(open)s::text[]) THEN referral_date + 400 END,
               CASE WHEN NOT status = ANY(%(open)s::text[]) THEN 'Bench data' ELSE '' END,
               now(), now()
        FROM bench_person;

        INSERT INTO clients_enrollment
            (participant_id, program_id, case_number, status, entry_type, phase, track,
             referral_date, referral_source, referring_agency, entry_date, exit_date,
             exit_reason, status_changed_at, created_at)
        SELECT participant_id,
               CASE WHEN r_previous < 0.03 THEN 1 + program_id %% %(programs)s
                    ELSE program_id END,
               'CN-' || participant_id || '-1', 'terminated', 'post_plea', NULL, '',
               referral_date - 900, 'probation', '', referral_date - 886, referral_date - 500,
               'Bench data', now(), now()
        FROM bench_person WHERE r_previous < 0.30;
        """,
    ),
    (
        "case assignments (ended ones for closed episodes)",
        """
        WITH team AS (
            SELECT u.id, m.program_id, u.roles[1] AS role,
                   row_number() OVER (PARTITION BY m.program_id, u.roles[1] ORDER BY u.id) - 1
                       AS k,
                   count(*) OVER (PARTITION BY m.program_id, u.roles[1]) AS n
            FROM drugcourt_user u JOIN drugcourt_programmembership m ON m.user_id = u.id
            WHERE u.roles && ARRAY['case_manager', 'probation_officer', 'defence_attorney']
                ::varchar[]
        ), wanted AS (
            SELECT participant_id, program_id, status, referral_date,
                   'case_manager' AS role, r_case_manager AS pick
            FROM bench_person
            UNION ALL
            SELECT participant_id, program_id, status, referral_date,
                   'probation_officer', r_probation
            FROM bench_person WHERE r_share < 0.40
            UNION ALL
            SELECT participant_id, program_id, status, referral_date,
                   'defence_attorney', r_defence
            FROM bench_person WHERE r_share >= 0.70
        )
        INSERT INTO clients_caseassignment
            (participant_id, user_id, team_role, started_on, ended_on, assigned_by_id)
        SELECT w.participant_id, team.id, w.role, w.referral_date,
               CASE WHEN NOT w.status = ANY(%(open)s::text[]) THEN w.referral_date + 400 END,
               (SELECT min(id) FROM drugcourt_user WHERE 'coordinator' = ANY(roles))
        FROM wanted w
        JOIN team ON team.program_id = w.program_id AND team.role = w.role
                 AND team.k = floor(w.pick * team.n);
        """,
    ),
    (
        "guardian rows for active assignments (clients.access.grant_participant)",
        """
        INSERT INTO clients_participantuserobjectpermission
            (user_id, permission_id, content_object_id)
        SELECT a.user_id, perm.id, a.participant_id
        FROM clients_caseassignment a
        JOIN auth_permission perm
            ON perm.codename = 'reach_as_' || a.team_role
           AND perm.content_type_id = %(participant_ct)s
        WHERE a.ended_on IS NULL;
        """,
    ),
    (
        "alerts (100,000; open ones only on active participants)",
        """
        INSERT INTO clients_alert
            (participant_id, kind, source_key, data_class, severity, message, state,
             resolution_note, created_at, updated_at)
        SELECT 1 + floor(random() * %(participants)s)::int, 'bench_history', 'history-' || g,
               (%(data_classes)s::text[])[1 + g %% cardinality(%(data_classes)s::text[])],
               'warning', 'Bench alert', 'resolved', 'Bench data',
               now() - random() * interval '2000 days', now()
        FROM generate_series(1, 80000) g;
        INSERT INTO clients_alert
            (participant_id, kind, source_key, data_class, severity, message, state,
             resolution_note, created_at, updated_at)
        SELECT p.participant_id, 'bench_recent', 'recent-' || k,
               (%(data_classes)s::text[])[1 + (p.participant_id + k)
                                              %% cardinality(%(data_classes)s::text[])],
               'warning', 'Bench alert', s.state,
               CASE WHEN s.state = 'resolved' THEN 'Bench data' ELSE '' END,
               now() - random() * interval '60 days', now()
        FROM bench_person p
        CROSS JOIN generate_series(1, 4) k
        CROSS JOIN LATERAL (
            SELECT CASE WHEN (p.participant_id + k) %% 10 < 3 THEN 'open'
                        WHEN (p.participant_id + k) %% 10 = 3 THEN 'acknowledged'
                        ELSE 'resolved' END AS state
        ) s
        WHERE p.status = 'active';
        """,
    ),
    (
        "contacts (2,000,000: 40 per participant within their latest episode)",
        """
        INSERT INTO clients_contact
            (participant_id, occurred_at, kind, people_present, duration_minutes, location,
             primary_function, other_functions, note_format, narrative, dap_data,
             dap_assessment, dap_plan, shared_with_supervision, author_id, created_at,
             updated_at, version, entered_in_error, error_reason)
        SELECT p.participant_id,
               (p.referral_date + (random() * CASE WHEN p.status = ANY(%(open)s::text[])
                                                   THEN current_date - p.referral_date
                                                   ELSE 400 END)::int)::timestamptz
                   + random() * interval '10 hours',
               (ARRAY['in_person', 'phone', 'video', 'home_visit'])[1 + k %% 4], '', 30, '',
               'monitoring', '{}', 'free_text', 'Bench note', '', '', '', false, a.user_id,
               now(), now(), 1, k = 40 AND p.participant_id %% 20 = 0,
               CASE WHEN k = 40 AND p.participant_id %% 20 = 0 THEN 'Bench data' ELSE '' END
        FROM bench_person p
        JOIN clients_caseassignment a
            ON a.participant_id = p.participant_id AND a.team_role = 'case_manager'
        CROSS JOIN generate_series(1, %(contacts_each)s) k;
        """,
    ),
    (
        "identity sequences past the explicit ids",
        """
        SELECT setval(pg_get_serial_sequence('drugcourt_user', 'id'), max(id)) FROM drugcourt_user;
        SELECT setval(pg_get_serial_sequence('drugcourt_organization', 'id'), 17);
        SELECT setval(pg_get_serial_sequence('drugcourt_program', 'id'), %(programs)s);
        SELECT setval(pg_get_serial_sequence('clients_participant', 'id'), %(participants)s);
        """,
    ),
]


def load_params() -> dict:
    return {
        "programs": PROGRAMS,
        "participants": PARTICIPANTS,
        "contacts_each": CONTACTS_EACH,
        "staff_roles": [role.value for role, _ in STAFF],
        "staff_counts": [count for _, count in STAFF],
        "program_wide_roles": [role.value for role in PROGRAM_WIDE_ROLES],
        "group_prefix": GROUP_PREFIX,
        "open": list(OPEN),
        "data_classes": list(DataClass.values),
        "program_ct": ContentType.objects.get_for_model(Program).pk,
        "participant_ct": ContentType.objects.get_for_model(Participant).pk,
    }


def recreate_database() -> None:
    """Drops and creates the bench database, connected to the `postgres` database."""
    db = settings.DATABASES["default"]
    if "bench" not in db["NAME"]:
        raise SystemExit(f"--fresh drops the database: refusing for {db['NAME']!r}.")
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"],
        port=db["PORT"] or None,
    )
    admin.autocommit = True
    name = pg_sql.Identifier(db["NAME"])
    with admin.cursor() as cursor:
        cursor.execute(pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        cursor.execute(pg_sql.SQL("CREATE DATABASE {}").format(name))
    admin.close()


def load_data() -> None:
    """One transaction. The history triggers (pghistory) and foreign-key triggers are off for
    it (session_replication_role): the bench reads no history, and the rows are consistent by
    construction, which `verify_access_rows` checks for the access rows."""
    params = load_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for label, statements in LOAD_STEPS:
            started = time.perf_counter()
            cursor.execute(statements, params)
            out(f"  {label}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    out(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s")


def verify_access_rows() -> None:
    """The generated guardian rows and program groups are what the services would have made:
    `access_reconcile` finds no drift."""
    drift = access_drift()
    if not drift.is_clean:
        raise SystemExit(
            f"Generated access rows drift from their sources: {len(drift.missing)} missing, "
            f"{len(drift.extra)} extra, "
            f"{len(drift.users_with_wrong_program_groups)} users with wrong program groups."
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM clients_participant),
                   (SELECT count(*) FROM clients_enrollment),
                   (SELECT count(*) FROM clients_enrollment WHERE status = 'active'),
                   (SELECT count(*) FROM clients_caseassignment WHERE ended_on IS NULL),
                   (SELECT count(*) FROM clients_participantuserobjectpermission),
                   (SELECT count(*) FROM clients_alert),
                   (SELECT count(*) FROM clients_alert WHERE state = 'open'),
                   (SELECT count(*) FROM clients_contact)
            """
        )
        counts = cursor.fetchone()
    names = [
        "participants",
        "enrollments",
        "active",
        "open assignments",
        "user permission rows",
        "alerts",
        "open alerts",
        "contacts",
    ]
    out("  " + ", ".join(f"{n:,} {name}" for n, name in zip(counts, names, strict=True)))
    out("  access_drift(): clean (the rows match assignments and program membership)")


# ---------------------------------------------------------------------------------------------
# Measuring

# Each query runs at least MIN_RUNS times and for at least MIN_SECONDS (at most MAX_RUNS).
MIN_RUNS, MIN_SECONDS, MAX_RUNS = 15, 0.5, 1_000
EXPLAIN_RUNS = 5  # server time: the run with the median planning + execution time
PERMISSION_TABLES = frozenset(
    {
        "clients_participantuserobjectpermission",
        "clients_participantgroupobjectpermission",
        "drugcourt_programgroupobjectpermission",
        "drugcourt_user_groups",  # auth's user-groups table, for the custom user model
    }
)
PARTICIPANT_TABLES = frozenset({"clients_participant", "clients_enrollment"})
# A Seq Scan of a table this small is the planner's right choice: noted once, not flagged.
SMALL_TABLE = 1_000
# A scan that reads and throws away this many rows of a flagged table is a full scan in disguise.
DISCARDED_ROWS = 1_000
SCAN_NODE = re.compile(
    r"(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan)(?: using \w+)? on (\w+)"
)


@dataclass(frozen=True)
class Query:
    label: str
    run: Callable[[], object]  # calls the app as the page does
    statements: tuple[str, ...] = ("query",)  # what each statement it sends is, in order


@dataclass(frozen=True)
class Scenario:
    """The queries of one page for one user, and the plain fetch of the same rows they are
    compared with."""

    title: str
    queries: list[Query]
    baseline: Query
    flagged_tables: frozenset[str]  # full scans of these are reported


@dataclass(frozen=True)
class Statement:
    label: str
    planning_ms: float  # from EXPLAIN (ANALYZE, TIMING OFF) of the SQL and parameters sent
    execution_ms: float
    jit_ms: float  # JIT compilation, from the timed plan; 0 while the connection has jit off
    buffers: int  # shared buffers hit and read by the whole plan
    plan: str  # one more EXPLAIN (ANALYZE, BUFFERS), with each node's time
    findings: list[str]  # full scans of flagged tables
    small_scans: list[str]  # Seq Scans of tables under SMALL_TABLE rows

    @property
    def server_ms(self) -> float:
        return self.planning_ms + self.execution_ms


@dataclass(frozen=True)
class Measurement:
    label: str
    total_ms: float  # median run, client side: building the querysets, round trips, rows
    statements: list[Statement]


def sql_sent(query: Query) -> list[tuple[str, tuple]]:
    """The SQL and parameters of every statement the query sends, in order."""
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        query.run()
    if len(sent) != len(query.statements):
        raise RuntimeError(
            f"{query.label} sent {len(sent)} queries, not {len(query.statements)} "
            f"({', '.join(query.statements)})."
        )
    return sent


def explain(sql: str, params: tuple, *, timing: bool) -> str:
    """EXPLAIN ANALYZE of the statement. With timing, each node's time is measured too, which
    costs a clock read per row per node: on plans over tens of thousands of rows it inflates
    the execution time, so server times are taken without it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (ANALYZE, BUFFERS, TIMING {'ON' if timing else 'OFF'}) {sql}", params
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def median_ms(run: Callable[[], object]) -> float:
    run()
    timings: list[float] = []
    while len(timings) < MAX_RUNS and (len(timings) < MIN_RUNS or sum(timings) < MIN_SECONDS * 1e3):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def plan_number(plan: str, pattern: str) -> float:
    found = re.search(pattern, plan)
    return float(found.group(1)) if found else 0.0


def planning_ms(plan: str) -> float:
    return plan_number(plan, r"Planning Time: ([\d.]+) ms")


def execution_ms(plan: str) -> float:
    return plan_number(plan, r"Execution Time: ([\d.]+) ms")


def plan_buffers(plan: str) -> int:
    """Shared buffers hit or read by the whole plan (its top node, printed first)."""
    top = re.search(r"Buffers: shared ([^\n]*)", plan)
    return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top.group(1))) if top else 0


def table_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = %s", [table]
        )
        return cursor.fetchone()[0]


def full_scans(plan: str, tables: frozenset[str]) -> tuple[list[str], list[str]]:
    """Seq Scans of `tables` of SMALL_TABLE rows or more, and scans of them whose filter throws
    away DISCARDED_ROWS or more (an index walked in ORDER BY order while a filter rejects nearly
    every row). Apart: the Seq Scans of smaller tables, of any table."""
    findings: list[str] = []
    small: list[str] = []
    scan, table = "", ""
    for line in plan.splitlines():
        if "(cost=" in line:  # a plan node: the filter lines that follow are its own
            node = SCAN_NODE.search(line)
            scan, table = node.groups() if node else ("", "")
            if scan == "Seq Scan":
                rows = table_rows(table)
                if rows < SMALL_TABLE:
                    small.append(f"{table} ({rows:,} rows)")
                elif table in tables:
                    findings.append(f"Seq Scan on {table} ({rows:,} rows in the table)")
            continue
        removed = re.search(r"Rows Removed by Filter: (\d+)", line)
        if removed and table in tables and int(removed.group(1)) >= DISCARDED_ROWS:
            findings.append(f"{scan} on {table} reads and discards {int(removed.group(1)):,} rows")
    return list(dict.fromkeys(findings)), list(dict.fromkeys(small))


def explained(label: str, sql: str, params: tuple, flagged_tables: frozenset[str]) -> Statement:
    untimed = [explain(sql, params, timing=False) for _ in range(EXPLAIN_RUNS)]
    median = sorted(untimed, key=lambda plan: planning_ms(plan) + execution_ms(plan))[
        EXPLAIN_RUNS // 2
    ]
    plan = explain(sql, params, timing=True)  # shown, with each node's time
    findings, small = full_scans(plan, flagged_tables)
    return Statement(
        label=label,
        planning_ms=planning_ms(median),
        execution_ms=execution_ms(median),
        jit_ms=plan_number(plan, r"Timing: .*Total ([\d.]+) ms"),
        buffers=plan_buffers(plan),
        plan=plan,
        findings=findings,
        small_scans=small,
    )


def measure(query: Query, flagged_tables: frozenset[str]) -> Measurement:
    total = median_ms(query.run)
    sent = list(zip(query.statements, sql_sent(query), strict=True))
    for label, (sql, _) in sent:
        if label.startswith("COUNT") != sql.startswith("SELECT COUNT("):
            raise RuntimeError(f"{query.label}: {label!r} is not the query sent: {sql[:80]}")
    return Measurement(
        label=query.label,
        total_ms=total,
        statements=[explained(label, sql, params, flagged_tables) for label, (sql, params) in sent],
    )


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    baseline: Measurement
    measured: list[Measurement]


def measure_all(scenarios: list[Scenario]) -> list[Result]:
    return [
        Result(
            scenario,
            measure(scenario.baseline, frozenset()),
            [measure(query, scenario.flagged_tables) for query in scenario.queries],
        )
        for scenario in scenarios
    ]


# ---------------------------------------------------------------------------------------------
# The users and pages measured


def case_manager_with_caseload(size: int) -> User:
    case_managers = User.objects.filter(roles__contains=[Role.CASE_MANAGER]).annotate(
        open_assignments=Count("assignments", filter=Q(assignments__ended_on__isnull=True))
    )
    return min(case_managers, key=lambda user: (abs(user.open_assignments - size), user.pk))


def judge_of_program_with(size: int) -> User:
    programs = Program.objects.annotate(
        participants=Count("enrollments__participant", distinct=True)
    )
    program = min(programs, key=lambda program: abs(program.participants - size))
    judges = User.objects.filter(roles__contains=[Role.JUDGE], memberships__program=program)
    return judges.order_by("pk").first()


def list_page(user: User, page_number: str) -> list[Participant]:
    """The participant list's queries, as clients.views.participant_list makes them (no search
    or filter): Paginator's COUNT over caseload_for(user).values("pk"), then the page's rows."""
    return selectors.caseload_page(user, page_number=page_number, per_page=PAGE_SIZE).object_list


def participant_list(title: str, user: User, flagged_tables: frozenset[str]) -> Scenario:
    """The participant list, first and last page, against a fetch of the first page's
    participants by id."""
    ids = [participant.pk for participant in list_page(user, "1")]
    pages = Paginator(selectors.caseload_for(user).values("pk"), PAGE_SIZE).num_pages
    count = 'COUNT (Paginator over caseload_for(user).values("pk"))'
    return Scenario(
        title=title,
        queries=[
            Query(
                f"caseload_page(user, page_number={number!r}) [{name}]",
                lambda number=number: list_page(user, number),
                (count, f"rows of page {number} of {pages}"),
            )
            for name, number in (("first page", "1"), ("last page", str(pages)))
        ],
        baseline=Query(
            f"baseline: the same {len(ids)} participants by id",
            lambda: list(Participant.objects.filter(pk__in=ids)),
        ),
        flagged_tables=flagged_tables,
    )


def uncached_reach_roles(user: User, participant: Participant) -> frozenset[Role]:
    user.__dict__.pop("_reach_roles", None)  # reach_roles caches its answer on the user
    return access.reach_roles(user, participant)


def participant_lookup(title: str, user: User, pk: int) -> Scenario:
    """get_participant_or_404's queries (the participant if visible, then the roles through
    which the user reaches them, for can_see), against a fetch of the participant by id."""
    participant = Participant.objects.get(pk=pk)
    return Scenario(
        title=title,
        queries=[
            Query(
                "participants_visible_to(user).filter(pk=...).first()",
                lambda: access.participants_visible_to(user).filter(pk=pk).first(),
            ),
            Query(
                "reach_roles(user, participant)", lambda: uncached_reach_roles(user, participant)
            ),
        ],
        baseline=Query(
            "baseline: the participant by id", lambda: Participant.objects.filter(pk=pk).first()
        ),
        flagged_tables=PERMISSION_TABLES | PARTICIPANT_TABLES,
    )


def scenarios() -> list[Scenario]:
    case_manager, judge = case_manager_with_caseload(40), judge_of_program_with(12_000)
    own = (
        CaseAssignment.objects.filter(user=case_manager, ended_on__isnull=True)
        .order_by("participant_id")
        .values_list("participant_id", flat=True)
        .first()
    )
    not_own = Participant.objects.exclude(assignments__user=case_manager).order_by("pk").last()
    in_program = judge.programs.get().enrollments.order_by("participant_id").last()
    return [
        participant_list(
            f"Participant list: case manager {case_manager.username}, caseload of "
            f"{access.participants_visible_to(case_manager).count()} participants",
            case_manager,
            PERMISSION_TABLES | PARTICIPANT_TABLES,
        ),
        # A judge reaches a quarter of all participants: scanning them may be the right plan.
        participant_list(
            f"Participant list: judge {judge.username}, program of "
            f"{access.participants_visible_to(judge).count():,} participants",
            judge,
            PERMISSION_TABLES,
        ),
        participant_lookup(
            f"get_participant_or_404: case manager {case_manager.username}, own participant",
            case_manager,
            own,
        ),
        participant_lookup(
            f"get_participant_or_404: case manager {case_manager.username}, "
            "someone else's participant (404)",
            case_manager,
            not_own.pk,
        ),
        participant_lookup(
            f"get_participant_or_404: judge {judge.username}, participant of their program",
            judge,
            in_program.participant_id,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Reporting


def describe_total(measurement: Measurement, baseline: Measurement) -> str:
    queries = len(measurement.statements)
    return (
        f"total {measurement.total_ms:7.2f} ms = {measurement.total_ms / baseline.total_ms:5.1f}x"
        + (f" ({queries} queries)" if queries > 1 else "")
    )


def describe_server(statement: Statement, baseline: Statement) -> str:
    jit = f", JIT {statement.jit_ms:.1f}" if statement.jit_ms else ""
    return (
        f"server {statement.server_ms:7.2f} ms = {statement.server_ms / baseline.server_ms:6.1f}x"
        f" (planning {statement.planning_ms:.2f}, execution {statement.execution_ms:.2f}{jit})"
        f" | {statement.buffers:,} buffers"
    )


def print_plans(results: list[Result]) -> None:
    for result in results:
        out(f"\n=== {result.scenario.title}")
        base = result.baseline.statements[0]
        for measurement in [result.baseline, *result.measured]:
            out(f"\n--- {measurement.label}: {describe_total(measurement, result.baseline)}")
            for statement in measurement.statements:
                out(f"  -- {statement.label}: {describe_server(statement, base)}")
                out("     " + statement.plan.replace("\n", "\n     "))
                for finding in statement.findings:
                    out(f"     !!! {finding}")


def print_summary(results: list[Result]) -> None:
    out("\n##### Summary (ratios against the baseline of the same scenario, same run)")
    for result in results:
        out(f"\n{result.scenario.title}")
        base = result.baseline.statements[0]
        for measurement in [result.baseline, *result.measured]:
            out(f"  {measurement.label}: {describe_total(measurement, result.baseline)}")
            for statement in measurement.statements:
                out(f"      {statement.label:<58} {describe_server(statement, base)}")
                for finding in statement.findings:
                    out(f"      {'':<58} !!! {finding}")
    small = {
        scan
        for result in results
        for measurement in result.measured
        for statement in measurement.statements
        for scan in statement.small_scans
    }
    if small:
        out(
            f"\nSeq Scans of tables under {SMALL_TABLE:,} rows (small table, seq scan expected): "
            + ", ".join(sorted(small))
        )


def print_setup() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('jit')")
        version, jit = cursor.fetchone()
    out(f"\nPostgreSQL {version}, {os.cpu_count()} CPUs, jit = {jit} on the app's connection")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the bench database, then load it"
    )
    args = parser.parse_args()
    if args.fresh:
        recreate_database()
    call_command("migrate", verbosity=0)
    if not Participant.objects.exists():
        out("Loading the statewide data set:")
        load_data()
    verify_access_rows()
    print_setup()
    results = measure_all(scenarios())
    print_plans(results)
    print_summary(results)


if __name__ == "__main__":
    main()
