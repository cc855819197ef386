"""Times the monitoring sweeps (compliance.sweeps) on state-scale data.

Generates a statewide data set (DESIGN.md "Scale we design for": 50,000 participants, 10 million
drug tests over three years, 5 million appointments, times --scale) into a database of its own,
set-based in SQL, then sets up each sweep's situation (10,000 newly missed tests, ...) and times
the sweep against a raw-SQL baseline doing the same work on the same rows, in the same run. See
bench/README.md.

    make bench                              # --scale 0.01: 100,000 tests
    make bench BENCH_ARGS="--scale 1"       # the full size
"""

import argparse
import contextlib
import datetime
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import generate  # the data generator, beside this script (it sets Django up)
from django.db import connection, transaction
from generate import gigabytes, out
from psycopg2 import sql as pg_sql

from clients.models import OPEN_STATUSES, AppointmentKind
from compliance import sweeps

# ---------------------------------------------------------------------------------------------
# The data set: bench/generate.py, then each sweep run once over it

DATABASE = "drugcourt_bench_sweeps"


def alerts_watermark() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT alerts_watermark FROM bench_meta")
        return cursor.fetchone()[0]


SWEEPS = (
    sweeps.drug_tests_missed_sweep,
    sweeps.results_overdue_sweep,
    sweeps.appointments_unrecorded_sweep,
    sweeps.appointments_missed_sweep,
    sweeps.noncompliance_sweep,
)


def settle(now: datetime.datetime) -> None:
    """Runs each sweep once over the generated history, as beat would have been doing all
    along, so that a situation set up below is the only new thing its sweep finds. Alerts up
    to here are the data set's; the measurements delete the ones they raise."""
    out("First run of each sweep over the generated history (what a first deployment does):")
    for sweep in SWEEPS:
        started = time.perf_counter()
        outcome = sweep(now=now)
        out(f"  {sweep.__name__}: {time.perf_counter() - started:.2f} s, {outcome}")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bench_meta SET alerts_watermark = (SELECT max(id) FROM clients_alert)"
        )
        cursor.execute("VACUUM (ANALYZE) compliance_drugtest, clients_alert")


COUNTS = [
    ("participants", "SELECT count(*) FROM clients_participant"),
    ("active now", "SELECT count(*) FROM clients_enrollment WHERE status = 'active'"),
    ("staff", "SELECT count(*) FROM drugcourt_user"),
    ("drug tests", "SELECT count(*) FROM compliance_drugtest"),
    ("results", "SELECT count(*) FROM compliance_drugtestresult"),
    ("substance findings", "SELECT count(*) FROM compliance_substanceresult"),
    ("appointments", "SELECT count(*) FROM clients_appointment"),
    ("alerts", "SELECT count(*) FROM clients_alert"),
    ("prescriptions", "SELECT count(*) FROM compliance_prescription"),
    ("blackouts", "SELECT count(*) FROM compliance_blackoutperiod"),
]


def load_average() -> str:
    """Other work on the machine slows every time measured here, the baselines' too."""
    return f"Load average (1 min): {os.getloadavg()[0]:.1f}."


def print_data_set(name: str) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for label, query in COUNTS:
            cursor.execute(query)
            counts[label] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT status, count(*) FROM compliance_drugtest GROUP BY status ORDER BY 2 DESC"
        )
        statuses = cursor.fetchall()
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('jit'), "
            "pg_database_size(current_database())"
        )
        version, jit, size = cursor.fetchone()
    out("\nData set: " + ", ".join(f"{count:,} {label}" for label, count in counts.items()))
    tests = counts["drug tests"] or 1
    out(
        "Test statuses: "
        + ", ".join(f"{status} {100 * count / tests:.1f} %" for status, count in statuses)
    )
    out(
        f"Database {name}: {gigabytes(size)}. PostgreSQL {version}, {os.cpu_count()} CPUs, "
        f"jit = {jit} on the app's connection. {load_average()}"
    )
    return counts


# ---------------------------------------------------------------------------------------------
# The situations: each sweep's rows set up in the data, timed, and put back as they were.
# Their SQL is put together from the constant fragments below; every value is a parameter.

# Rows set up for each sweep: not scaled, fewer only when the data set has fewer candidates.
SITUATION_ROWS = 10_000
REPEAT = 3
# Limits (issue 8, "Speed and scale").
MAX_RATIO = 3.0
MAX_SECONDS = 2.0


def in_program_sql(participant: str) -> str:
    """clients' in_program_now in raw SQL: the participant's latest enrollment is open."""
    return f"""(
        SELECT enrollment.status FROM clients_enrollment enrollment
        WHERE enrollment.participant_id = {participant}
        ORDER BY enrollment.referral_date DESC, enrollment.id DESC LIMIT 1
    ) = ANY(%(open)s::text[])"""  # noqa: S608


def case_manager_sql(participant: str) -> str:
    """clients.selectors.current_case_manager in raw SQL."""
    return f"""(
        SELECT assignment.user_id FROM clients_caseassignment assignment
        WHERE assignment.participant_id = {participant}
          AND assignment.team_role = 'case_manager' AND assignment.ended_on IS NULL
        ORDER BY assignment.started_on DESC, assignment.id DESC LIMIT 1
    )"""  # noqa: S608


def program_local_sql(timestamp: str, participant: str) -> str:
    """The timestamp as wall-clock time in the participant's current program, for messages."""
    return f"""to_char(timezone((
        SELECT program.time_zone FROM clients_enrollment enrollment
        JOIN drugcourt_program program ON program.id = enrollment.program_id
        WHERE enrollment.participant_id = {participant}
        ORDER BY enrollment.referral_date DESC, enrollment.id DESC LIMIT 1
    ), {timestamp}), 'YYYY-MM-DD HH24:MI')"""  # noqa: S608


ALERT_INSERT = """
    INSERT INTO clients_alert
        (participant_id, kind, source_key, data_class, severity, message, state, assigned_to_id,
         resolution_note, created_at, updated_at)"""
ALERT_CONFLICT = "ON CONFLICT (participant_id, kind, source_key) DO NOTHING"
ACTIVE = "(SELECT participant_id FROM clients_enrollment WHERE status = 'active')"


def appointment_alerts_sql(kind: str, message: str, assigned_to: str, outcome: str) -> str:
    return f"""{ALERT_INSERT}
    SELECT a.participant_id, '{kind}', 'appointment:' || a.id, 'attendance', 'warning',
           '{message}: ' || coalesce(%(kind_labels)s::jsonb ->> a.kind, a.kind) || ', '
           || {program_local_sql("a.scheduled_at", "a.participant_id")},
           'open', {assigned_to}, '', now(), now()
    FROM clients_appointment a
    WHERE a.outcome = '{outcome}' AND a.kind <> 'court'
      AND a.scheduled_at >= %(now)s - %(appointment_lookback)s
      AND a.scheduled_at < %(now)s
      AND a.scheduled_at + make_interval(mins => a.duration_minutes) < %(now)s
      AND {in_program_sql("a.participant_id")}
    {ALERT_CONFLICT}"""  # noqa: S608


RECENT_ATTENDED = f"""
    SELECT a.id FROM clients_appointment a
    WHERE a.outcome = 'attended' AND a.kind <> 'court' AND a.participant_id IN {ACTIVE}
      AND a.scheduled_at >= %(now)s - %(appointment_lookback)s + interval '1 day'
      AND a.scheduled_at < %(now)s - interval '2 hours'
    ORDER BY a.scheduled_at DESC, a.id DESC LIMIT %(rows)s"""  # noqa: S608


@dataclass(frozen=True)
class Situation:
    sweep: Callable[..., sweeps.SweepOutcome]
    rows: str  # what the set-up rows are
    table: str  # where they are
    pick_sql: str  # their ids (at most %(rows)s)
    setup_sql: str  # turns the picked rows (saved in bench_saved_<table>) into the situation
    changed_sql: str = ""  # counts the set-up rows a run changed, for sweeps that change rows
    # Raw SQL doing the same work in one statement: the first is the baseline of the ratio.
    baselines: tuple[tuple[str, str], ...] = ()


SITUATIONS = [
    Situation(
        sweeps.drug_tests_missed_sweep,
        "negative tests of active participants made scheduled again, their collect_by passed",
        "compliance_drugtest",
        f"""
        SELECT t.id FROM compliance_drugtest t
        WHERE t.status = 'negative' AND t.scheduled_for < %(today)s
          AND t.participant_id IN {ACTIVE}
        ORDER BY t.scheduled_for DESC, t.id DESC LIMIT %(rows)s""",  # noqa: S608
        """
        UPDATE compliance_drugtest
        SET status = 'scheduled', collected_at = NULL, current_result_id = NULL,
            status_changed_at = notified_at
        WHERE id IN (SELECT id FROM bench_saved_compliance_drugtest)""",
        changed_sql="""
        SELECT count(*) FROM compliance_drugtest
        WHERE id IN (SELECT id FROM bench_saved_compliance_drugtest) AND status = 'missed'""",
        baselines=(
            (
                "raw SQL, the same rows and alerts",
                f"""
                WITH marked AS (
                    UPDATE compliance_drugtest t SET status = 'missed', status_changed_at = %(now)s
                    WHERE t.status = 'scheduled' AND t.collect_by < %(now)s
                      AND {in_program_sql("t.participant_id")}
                    RETURNING t.id, t.participant_id, t.specimen_type, t.scheduled_for
                ){ALERT_INSERT}
                SELECT m.participant_id, 'test_missed', 'test:' || m.id, 'drug_tests', 'warning',
                       'Missed ' || replace(m.specimen_type, '_', ' ') || ' test due '
                       || m.scheduled_for, 'open', {case_manager_sql("m.participant_id")}, '',
                       now(), now()
                FROM marked m
                {ALERT_CONFLICT}""",  # noqa: S608
            ),
            (
                "DESIGN.md floor: no enrollment check, no case manager",
                f"""
                WITH marked AS (
                    UPDATE compliance_drugtest SET status = 'missed', status_changed_at = %(now)s
                    WHERE status = 'scheduled' AND collect_by < %(now)s
                    RETURNING id, participant_id
                ){ALERT_INSERT}
                SELECT participant_id, 'test_missed', 'test:' || id, 'drug_tests', 'warning',
                       'Missed test', 'open', NULL, '', now(), now()
                FROM marked
                {ALERT_CONFLICT}""",  # noqa: S608
            ),
        ),
    ),
    Situation(
        sweeps.results_overdue_sweep,
        "negative tests of active participants collected 3+ days ago made pending again",
        "compliance_drugtest",
        f"""
        SELECT t.id FROM compliance_drugtest t
        WHERE t.status = 'negative' AND t.collected_at < %(now)s - interval '3 days'
          AND t.participant_id IN {ACTIVE}
        ORDER BY t.scheduled_for DESC, t.id DESC LIMIT %(rows)s""",  # noqa: S608
        """
        UPDATE compliance_drugtest
        SET status = 'pending', current_result_id = NULL, status_changed_at = collected_at
        WHERE id IN (SELECT id FROM bench_saved_compliance_drugtest)""",
        baselines=(
            (
                "raw SQL, the same alerts",
                f"""{ALERT_INSERT}
                SELECT t.participant_id, 'result_overdue', 'test:' || t.id, 'drug_tests',
                       'warning', 'No result 48 hours after collection of the '
                       || replace(t.specimen_type, '_', ' ') || ' test of ' || t.scheduled_for,
                       'open', {case_manager_sql("t.participant_id")}, '', now(), now()
                FROM compliance_drugtest t
                WHERE t.status = 'pending' AND t.collected_at < %(now)s - %(result_overdue_after)s
                  AND {in_program_sql("t.participant_id")}
                {ALERT_CONFLICT}""",  # noqa: S608
            ),
        ),
    ),
    Situation(
        sweeps.appointments_unrecorded_sweep,
        "attended appointments of active participants (last 29 days) with the outcome removed",
        "clients_appointment",
        RECENT_ATTENDED,
        """
        UPDATE clients_appointment
        SET outcome = '', outcome_recorded_at = NULL, outcome_recorded_by_id = NULL
        WHERE id IN (SELECT id FROM bench_saved_clients_appointment)""",
        baselines=(
            (
                "raw SQL, the same alerts",
                appointment_alerts_sql(
                    "attendance_not_recorded",
                    "Attendance not recorded",
                    f"coalesce(a.staff_id, {case_manager_sql('a.participant_id')})",
                    outcome="",
                ),
            ),
        ),
    ),
    Situation(
        sweeps.appointments_missed_sweep,
        "attended appointments of active participants (last 29 days) recorded missed instead",
        "clients_appointment",
        RECENT_ATTENDED,
        """
        UPDATE clients_appointment SET outcome = 'missed'
        WHERE id IN (SELECT id FROM bench_saved_clients_appointment)""",
        baselines=(
            (
                "raw SQL, the same alerts",
                appointment_alerts_sql(
                    "missed_appointment",
                    "Missed appointment",
                    f"coalesce({case_manager_sql('a.participant_id')}, a.staff_id)",
                    outcome="missed",
                ),
            ),
        ),
    ),
    # No raw-SQL baseline: the same alerts need the same greedy windows (a recursive CTE), so
    # a hand-written copy would measure the sweep's own statement again.
    Situation(
        sweeps.noncompliance_sweep,
        "the two latest negative tests (within 13 days) of active participants without a recent "
        "repeated non-compliance alert made missed",
        "compliance_drugtest",
        f"""
        WITH people AS (
            SELECT participant_id FROM {ACTIVE} AS active
            WHERE NOT EXISTS (
                SELECT 1 FROM clients_alert a
                WHERE a.participant_id = active.participant_id
                  AND a.kind = 'repeated_noncompliance' AND a.source_key >= %(recent_key)s
            )
        ), latest AS (
            SELECT t.id, t.participant_id,
                   row_number() OVER (
                       PARTITION BY t.participant_id ORDER BY t.scheduled_for DESC, t.id DESC
                   ) AS n
            FROM compliance_drugtest t JOIN people USING (participant_id)
            WHERE t.status = 'negative' AND t.scheduled_for >= %(today)s - 13
              AND t.scheduled_for < %(today)s
        )
        SELECT id FROM latest
        WHERE n <= 2 AND participant_id IN (SELECT participant_id FROM latest WHERE n = 2)
        ORDER BY participant_id, id LIMIT %(rows)s""",  # noqa: S608
        """
        UPDATE compliance_drugtest
        SET status = 'missed', collected_at = NULL, current_result_id = NULL,
            status_changed_at = collect_by
        WHERE id IN (SELECT id FROM bench_saved_compliance_drugtest)""",
    ),
]


def situation_params(now: datetime.datetime) -> dict:
    today = now.astimezone(generate.ZONE).date()  # the bench programs' date
    recent = today - datetime.timedelta(days=2 * sweeps.NONCOMPLIANCE_DAYS)
    return {
        "now": now,
        "today": today,
        "rows": SITUATION_ROWS,
        "open": sorted(OPEN_STATUSES),
        "appointment_lookback": sweeps.APPOINTMENT_LOOKBACK,
        "result_overdue_after": sweeps.RESULT_OVERDUE_AFTER,
        "kind_labels": json.dumps(dict(AppointmentKind.choices)),
        "recent_key": f"{sweeps.NONCOMPLIANCE_KEY_PREFIX}{recent.isoformat()}",
    }


@dataclass
class Run:
    """One timed run of a sweep or of a baseline on the set-up situation."""

    seconds: float
    second_run_seconds: float  # the same call again at once: nothing left to do
    alerts: int  # alerts new after the run
    rows_changed: int
    alerts_digest: str  # of the alerts raised, to compare the sweep's with the baseline's
    outcome: sweeps.SweepOutcome | None = None


@dataclass
class Measured:
    situation: Situation
    fresh_statistics: bool
    rows_set_up: int
    sweep_runs: list[Run] = field(default_factory=list)
    baseline_runs: dict[str, list[Run]] = field(default_factory=dict)
    plans: list[str] = field(default_factory=list)

    @property
    def sweep_seconds(self) -> float:
        return statistics.median(run.seconds for run in self.sweep_runs)

    @property
    def baseline_seconds(self) -> float | None:
        if not self.situation.baselines:
            return None
        label = self.situation.baselines[0][0]
        return statistics.median(run.seconds for run in self.baseline_runs[label])

    @property
    def ratio(self) -> float | None:
        baseline = self.baseline_seconds
        return self.sweep_seconds / baseline if baseline else None

    @property
    def failures(self) -> list[str]:
        failures = []
        if self.sweep_seconds > MAX_SECONDS:
            failures.append(f"takes {self.sweep_seconds:.2f} s (limit {MAX_SECONDS:.0f} s)")
        if self.ratio is not None and self.ratio > MAX_RATIO:
            failures.append(f"{self.ratio:.1f}x its baseline (limit {MAX_RATIO:.0f}x)")
        return failures


def saved_table(table: str) -> str:
    return f"bench_saved_{table}"


def restore(table: str, watermark: int) -> None:
    """Puts the set-up rows back as they were saved and deletes the alerts raised since the
    load (history triggers off: this is the bench's own bookkeeping)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name <> 'id' ORDER BY ordinal_position",
            [table],
        )
        columns = [pg_sql.Identifier(name) for (name,) in cursor.fetchall()]
    statement = pg_sql.SQL(
        "UPDATE {table} AS t SET ({columns}) = ROW({saved}) FROM {s} AS s WHERE t.id = s.id"
    ).format(
        table=pg_sql.Identifier(table),
        columns=pg_sql.SQL(", ").join(columns),
        saved=pg_sql.SQL(", ").join(pg_sql.SQL("s.") + column for column in columns),
        s=pg_sql.Identifier(saved_table(table)),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement.as_string(cursor.connection))
        cursor.execute("DELETE FROM clients_alert WHERE id > %s", [watermark])


def restore_leftovers(watermark: int) -> None:
    """Restores rows a run that was cut short left set up."""
    for table in {situation.table for situation in SITUATIONS}:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [saved_table(table)])
            if not cursor.fetchone()[0]:
                continue
        out(f"Restoring the rows of {table} that an interrupted run left set up.")
        restore(table, watermark)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {saved_table(table)}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clients_alert WHERE id > %s", [watermark])


def set_up(situation: Situation, params: dict, *, fresh_statistics: bool, checkpoint: bool) -> None:
    """The situation, then the same start for every run: no dead rows from the previous run
    (VACUUM) and a fresh checkpoint (each run pays the same full-page writes). With stale
    statistics the planner still sees the table as it was before the situation, as right after
    a burst; with fresh ones the table is analyzed first."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(situation.setup_sql, params)
    analyze = "(ANALYZE) " if fresh_statistics else ""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {analyze}{situation.table}, clients_alert")
        if checkpoint:
            cursor.execute("CHECKPOINT")


def alerts_since(watermark: int) -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), coalesce(md5(string_agg(
                concat_ws('|', participant_id, kind, source_key, data_class, severity, message,
                          state, assigned_to_id),
                ',' ORDER BY participant_id, kind, source_key)), '')
            FROM clients_alert WHERE id > %s
            """,
            [watermark],
        )
        return cursor.fetchone()


def timed_run(
    situation: Situation, call: Callable[[], object], params: dict, watermark: int
) -> Run:
    started = time.perf_counter()
    outcome = call()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    call()
    second_run_seconds = time.perf_counter() - started
    alerts, digest = alerts_since(watermark)
    changed = 0
    if situation.changed_sql:
        with connection.cursor() as cursor:
            cursor.execute(situation.changed_sql, params)
            changed = cursor.fetchone()[0]
    return Run(
        seconds,
        second_run_seconds,
        alerts,
        changed,
        digest,
        outcome if isinstance(outcome, sweeps.SweepOutcome) else None,
    )


def run_sql(statement: str, params: dict) -> Callable[[], int]:
    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.rowcount

    return run


@contextlib.contextmanager
def recording(statements: list[tuple[str, object]]) -> Iterator[None]:
    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield


def explain(situation: Situation, now: datetime.datetime) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the sweep sends, in order, on the set-up
    situation: the sweep runs once in a savepoint to record them, then they are explained (and
    so run again) in the same transaction, and everything is rolled back."""
    statements: list[tuple[str, object]] = []
    plans = []
    with transaction.atomic():
        with transaction.atomic(), recording(statements):
            situation.sweep(now=now)
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            for sql, sql_params in statements:
                if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        transaction.set_rollback(True)
    return plans


def measure(
    situation: Situation,
    now: datetime.datetime,
    repeat: int,
    watermark: int,
    *,
    fresh_statistics: bool,
    checkpoint: bool = True,
) -> Measured:
    params = situation_params(now)
    saved = saved_table(situation.table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {saved} AS SELECT * FROM {situation.table} "  # noqa: S608
            f"WHERE id IN ({situation.pick_sql})",
            params,
        )
        measured = Measured(situation, fresh_statistics, rows_set_up=cursor.rowcount)
        # Its statistics make the set-up and restore join it to the big table through the
        # primary key instead of scanning the table.
        cursor.execute(f"ANALYZE {saved}")
    sweep = situation.sweep
    runners: list[tuple[str, Callable[[], object]]] = [
        ("sweep", lambda: sweep(now=now)),
        *((label, run_sql(sql, params)) for label, sql in situation.baselines),
    ]
    try:
        # The plans first: running the sweep for them also warms the caches for the timed runs.
        set_up(situation, params, fresh_statistics=fresh_statistics, checkpoint=checkpoint)
        measured.plans = explain(situation, now)
        restore(situation.table, watermark)
        for repetition in range(repeat):
            # Alternate the order, so that neither always runs on the caches of the other.
            for label, call in runners if repetition % 2 == 0 else runners[::-1]:
                set_up(situation, params, fresh_statistics=fresh_statistics, checkpoint=checkpoint)
                run = timed_run(situation, call, params, watermark)
                if label == "sweep":
                    measured.sweep_runs.append(run)
                else:
                    measured.baseline_runs.setdefault(label, []).append(run)
                restore(situation.table, watermark)
    finally:
        restore(situation.table, watermark)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {saved}")
            if fresh_statistics:  # back to the statistics of the data without the situation
                cursor.execute(f"ANALYZE {situation.table}, clients_alert")
    return measured


# ---------------------------------------------------------------------------------------------
# Reporting

PLAN_INDEX = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using |on )(\w+)")
PLAN_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
# A Seq Scan of a table this small is the planner's right choice.
SMALL_TABLE = 1_000


def plan_summary(plans: list[str]) -> str:
    indexes = sorted({name for plan in plans for name in PLAN_INDEX.findall(plan)})
    scans = sorted({table for plan in plans for table in PLAN_SEQ_SCAN.findall(plan)})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND reltuples >= %s",
            [scans, SMALL_TABLE],
        )
        big = sorted(name for (name,) in cursor.fetchall())
    summary = "indexes: " + (", ".join(indexes) or "none")
    if big:
        summary += "; !!! Seq Scan of " + ", ".join(big)
    return summary


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def describe(runs: list[Run]) -> str:
    times = ", ".join(milliseconds(run.seconds) for run in runs)
    second = statistics.median(run.second_run_seconds for run in runs)
    first = runs[0]
    return (
        f"{milliseconds(statistics.median(run.seconds for run in runs))} median ({times}); "
        f"second run {milliseconds(second)}; {first.alerts:,} alerts, "
        f"{first.rows_changed:,} rows changed"
    )


def statistics_label(measured: Measured) -> str:
    return "fresh" if measured.fresh_statistics else "stale"


def print_measured(measured: Measured) -> None:
    situation = measured.situation
    out(
        f"\n=== {situation.sweep.__name__}, {statistics_label(measured)} statistics: "
        f"{measured.rows_set_up:,} {situation.rows}"
    )
    out(f"  sweep: {describe(measured.sweep_runs)}; {measured.sweep_runs[0].outcome}")
    sweep_digest = measured.sweep_runs[0].alerts_digest
    for number, (label, _) in enumerate(situation.baselines):
        runs = measured.baseline_runs[label]
        same = " (the same alerts as the sweep)" if runs[0].alerts_digest == sweep_digest else ""
        if number == 0 and not same:
            same = " !!! not the same alerts as the sweep"
        out(f"  baseline, {label}: {describe(runs)}{same}")
    if measured.ratio is not None:
        out(f"  ratio sweep / baseline: {measured.ratio:.2f}x")
    for number, plan in enumerate(measured.plans, start=1):
        out(f"  -- EXPLAIN (ANALYZE, BUFFERS), statement {number} of {len(measured.plans)}:")
        out("     " + plan.replace("\n", "\n     "))
    out(f"  plans: {plan_summary(measured.plans)}")
    for failure in measured.failures:
        out(f"  FAIL: {failure}")


def print_summary(results: list[Measured], counts: dict[str, int]) -> None:
    out(
        f"\n##### Summary ({counts['drug tests']:,} tests, {counts['appointments']:,} "
        f"appointments, {counts['participants']:,} participants; medians; limits "
        f"{MAX_RATIO:.0f}x the baseline and {MAX_SECONDS:.0f} s). {load_average()}"
    )
    out(
        f"{'sweep':<32} {'stats':<6} {'rows':>7} {'alerts':>7} {'sweep':>11} {'baseline':>11} "
        f"{'ratio':>6} {'2nd run':>9}"
    )
    for measured in results:
        run = measured.sweep_runs[0]
        baseline = measured.baseline_seconds
        ratio = measured.ratio
        second = statistics.median(each.second_run_seconds for each in measured.sweep_runs)
        out(
            f"{measured.situation.sweep.__name__:<32} {statistics_label(measured):<6} "
            f"{measured.rows_set_up:>7,} "
            f"{run.alerts:>7,} {milliseconds(measured.sweep_seconds):>11} "
            f"{milliseconds(baseline) if baseline else '-':>11} "
            f"{f'{ratio:.2f}x' if ratio else '-':>6} "
            f"{milliseconds(second):>9}" + ("  FAIL" if measured.failures else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    generate.add_arguments(parser, database=DATABASE, scale=0.01)
    parser.add_argument(
        "--repeat", type=int, default=REPEAT, help=f"timed runs of each (default {REPEAT})"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one run of each, no CHECKPOINT, limits reported but not failed on (the test "
        "suite's check that the bench still runs)",
    )
    args = parser.parse_args()
    now = generate.prepare(parser, args)
    if alerts_watermark() is None:
        settle(now)
    watermark = alerts_watermark()
    restore_leftovers(watermark)
    counts = print_data_set(args.database)
    out(f"Sweeps run at now = {now.isoformat()} (the load's time).")
    results = []
    for situation in SITUATIONS:
        for fresh_statistics in (False, True):
            measured = measure(
                situation,
                now,
                1 if args.smoke else args.repeat,
                watermark,
                fresh_statistics=fresh_statistics,
                checkpoint=not args.smoke,
            )
            print_measured(measured)
            results.append(measured)
    print_summary(results, counts)
    if any(measured.failures for measured in results) and not args.smoke:
        sys.exit(1)


if __name__ == "__main__":
    main()
