"""Query plans of the participant list and of the participant lookup at statewide scale.

Loads the statewide data set of bench/generate.py into a bench database, then times and
explains the queries the participant list and every participant page send, through the app's
own functions, against a plain fetch of the same rows measured in the same run. See
bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drugcourt_dev \\
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

import generate  # the data generator, beside this script (it sets Django up)
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from generate import out

from clients import access, selectors
from clients.models import CaseAssignment, Participant
from clients.reconcile import access_drift
from drugcourt.models import Program, User
from drugcourt.roles import Role
from drugcourt.views import PAGE_SIZE

DATABASE = "drugcourt_bench"
# The judge measured is one of the program nearest this many participants at --scale 1.
JUDGE_PROGRAM_PARTICIPANTS = 12_000


def verify_access_rows() -> None:
    """The access rows are what the services would have made: `access_reconcile` finds no
    drift."""
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


@dataclass(frozen=True)
class Timing:
    """Each query runs at least min_runs times and for at least min_seconds (at most max_runs);
    its server time is the EXPLAIN run of explain_runs with the median planning + execution."""

    min_runs: int = 15
    min_seconds: float = 0.5
    max_runs: int = 1_000
    explain_runs: int = 5


# --smoke: every call and plan once, to show the bench still runs (the test suite).
SMOKE = Timing(min_runs=1, min_seconds=0, max_runs=1, explain_runs=1)
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


def median_ms(run: Callable[[], object], timing: Timing) -> float:
    run()
    timings: list[float] = []
    while len(timings) < timing.max_runs and (
        len(timings) < timing.min_runs or sum(timings) < timing.min_seconds * 1e3
    ):
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


def explained(
    label: str, sql: str, params: tuple, flagged_tables: frozenset[str], timing: Timing
) -> Statement:
    untimed = [explain(sql, params, timing=False) for _ in range(timing.explain_runs)]
    median = sorted(untimed, key=lambda plan: planning_ms(plan) + execution_ms(plan))[
        timing.explain_runs // 2
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


def measure(query: Query, flagged_tables: frozenset[str], timing: Timing) -> Measurement:
    total = median_ms(query.run, timing)
    sent = list(zip(query.statements, sql_sent(query), strict=True))
    for label, (sql, _) in sent:
        if label.startswith("COUNT") != sql.startswith("SELECT COUNT("):
            raise RuntimeError(f"{query.label}: {label!r} is not the query sent: {sql[:80]}")
    return Measurement(
        label=query.label,
        total_ms=total,
        statements=[
            explained(label, sql, params, flagged_tables, timing) for label, (sql, params) in sent
        ],
    )


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    baseline: Measurement
    measured: list[Measurement]


def measure_all(scenarios: list[Scenario], timing: Timing) -> list[Result]:
    return [
        Result(
            scenario,
            measure(scenario.baseline, frozenset(), timing),
            [measure(query, scenario.flagged_tables, timing) for query in scenario.queries],
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


def scenarios(scale: float) -> list[Scenario]:
    # Staff scale with the data (bench/generate.py), so caseloads keep their size.
    case_manager = case_manager_with_caseload(40)
    judge = judge_of_program_with(round(JUDGE_PROGRAM_PARTICIPANTS * scale))
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
    generate.add_arguments(parser, database=DATABASE, scale=1.0)
    parser.add_argument(
        "--smoke", action="store_true", help="run every call once (the test suite's check)"
    )
    args = parser.parse_args()
    generate.prepare(parser, args)
    verify_access_rows()
    print_setup()
    results = measure_all(scenarios(args.scale), SMOKE if args.smoke else Timing())
    print_plans(results)
    print_summary(results)


if __name__ == "__main__":
    main()
