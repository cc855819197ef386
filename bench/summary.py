"""The judge's compliance summary of a docket of 60 participants with three years of history
each (issue 16, "Speed and scale"), against the raw SQL aggregates of the same facts for the
same 60, measured in the same run.

The docket is bench/generate.py's (SUMMARY_DOCKET): the session in SUMMARY_COURTROOM, on the
weekday after the load, of participants who entered the program three to four years before.
It measures `court.selectors.compliance_summary(judge, session, today=, now=)` and the page
`court:summary` as the session's judge gets it (the Django test client, logged in), and the
baseline, the facts in hand-written SQL. See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drugcourt_dev \\
    REDIS_URL=redis://127.0.0.1:6379/0 DJANGO_SETTINGS_MODULE=drugcourt.settings.dev \\
    .venv/bin/python bench/summary.py --scale 0.1
"""

import argparse
import copy
import datetime
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import generate  # the data generator, beside this script (it sets Django up)
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from generate import out

from court import selectors
from court.models import Appearance, CourtSession
from drugcourt.selectors import program_today

DATABASE = "drugcourt_bench_summary"
LIMIT_MS = 150  # issue 16: the summary of 60 participants under 150 ms ...
LIMIT_RATIO = 3  # ... and at most three times the raw SQL aggregates of the same 60

# The facts the summary shows, in hand-written SQL, one row per participant on the docket:
# the previous hearing in the program (else the entry date) and what was ordered there; since
# then (never before the entry), tests by status, positives' findings by substance with
# whether a prescription in force explains them, attendance at treatment and case management;
# and the last test since the entry that counts against them (the default policy). What the
# app adds on top (the policy and detection tails in force on each test's day, sealed draws,
# access, warrants, phase changes, incidents, alerts, staffing) is left out: this is the floor.
BASELINE = """
WITH docket AS (
    SELECT d.id AS entry_id, d.participant_id, e.entry_date
    FROM court_docketentry d JOIN clients_enrollment e ON e.id = d.enrollment_id
    WHERE d.session_id = %(session)s AND d.appearance <> %(removed)s
), previous AS (
    SELECT DISTINCT ON (d.participant_id) d.participant_id, d.id AS entry_id, s.held_on
    FROM court_docketentry d JOIN court_courtsession s ON s.id = d.session_id
    WHERE d.participant_id = ANY(%(participants)s)
      AND s.program_id = %(program)s AND s.held_on < %(held_on)s
      AND d.appearance <> %(removed)s
    ORDER BY d.participant_id, s.held_on DESC, s.start_time DESC, d.id DESC
), since AS (
    SELECT k.participant_id, k.entry_date, previous.entry_id AS previous_entry,
           greatest(coalesce(previous.held_on, k.entry_date), k.entry_date) AS since
    FROM docket k LEFT JOIN previous USING (participant_id)
), responses AS (
    SELECT r.entry_id, array_agg(o.name ORDER BY r.id) AS ordered,
           sum(coalesce(worked.hours, 0)) AS service_hours_worked
    FROM since
    JOIN court_courtresponse r ON r.entry_id = since.previous_entry
    JOIN drugcourt_responseoption o ON o.id = r.option_id
    LEFT JOIN LATERAL (
        SELECT sum(h.hours) AS hours
        FROM court_communityserviceobligation c
        JOIN court_communityservicehours h ON h.obligation_id = c.id
        WHERE c.response_id = r.id
    ) worked ON true
    GROUP BY r.entry_id
), tests AS (
    SELECT t.participant_id,
           count(*) FILTER (WHERE t.status NOT IN ('scheduled', 'excused')) AS tests,
           count(*) FILTER (WHERE t.status = 'negative') AS negatives,
           count(*) FILTER (WHERE t.status = 'positive') AS positives,
           count(*) FILTER (WHERE t.status = 'missed') AS missed,
           count(*) FILTER (WHERE t.status = 'refused') AS refused,
           count(*) FILTER (WHERE t.status = 'dilute') AS dilute,
           count(*) FILTER (WHERE t.status = 'adulterated') AS adulterated,
           count(*) FILTER (WHERE t.status = 'substituted') AS substituted,
           count(*) FILTER (WHERE t.status = 'invalid') AS invalid,
           count(*) FILTER (WHERE t.status = 'pending') AS pending,
           count(*) FILTER (WHERE t.status = 'excused') AS excused
    FROM since
    JOIN compliance_drugtest t
        ON t.participant_id = since.participant_id AND t.program_id = %(program)s
       AND t.scheduled_for BETWEEN since.since AND %(today)s
    GROUP BY t.participant_id
), findings AS (
    SELECT participant_id, array_agg(substance || ': ' || found ORDER BY substance) AS found
    FROM (
        SELECT t.participant_id, f.substance, count(DISTINCT t.id) AS found
        FROM since
        JOIN compliance_drugtest t
            ON t.participant_id = since.participant_id AND t.program_id = %(program)s
           AND t.scheduled_for BETWEEN since.since AND %(today)s AND t.status = 'positive'
        JOIN compliance_substanceresult f ON f.result_id = t.current_result_id
        WHERE NOT EXISTS (
            SELECT 1 FROM compliance_prescription rx
            WHERE rx.participant_id = t.participant_id AND f.substance = ANY(rx.explains)
              AND rx.starts_on <= t.scheduled_for
              AND (rx.ends_on IS NULL OR rx.ends_on >= t.scheduled_for)
        )
        GROUP BY 1, 2
    ) unexplained
    GROUP BY participant_id
), attendance AS (
    SELECT a.participant_id,
           count(*) FILTER (WHERE a.kind = 'treatment' AND a.outcome IN ('attended', 'late'))
               AS treatment_attended,
           count(*) FILTER (WHERE a.kind = 'treatment' AND a.outcome = 'missed')
               AS treatment_missed,
           count(*) FILTER (WHERE a.kind = 'case_manager' AND a.outcome IN ('attended', 'late'))
               AS case_management_attended,
           count(*) FILTER (WHERE a.kind = 'case_manager' AND a.outcome = 'missed')
               AS case_management_missed
    FROM since
    JOIN clients_appointment a
        ON a.participant_id = since.participant_id
       AND (a.program_id IS NULL OR a.program_id = %(program)s)
       AND a.scheduled_at >= since.since::timestamp AT TIME ZONE %(time_zone)s
    GROUP BY a.participant_id
)
SELECT since.participant_id, since.since, responses.ordered, responses.service_hours_worked,
       tests.tests, tests.negatives, tests.positives, tests.missed, tests.refused,
       tests.dilute, tests.adulterated, tests.substituted, tests.invalid, tests.pending,
       tests.excused, findings.found, attendance.treatment_attended,
       attendance.treatment_missed, attendance.case_management_attended,
       attendance.case_management_missed,
       (SELECT max(t.scheduled_for)
        FROM compliance_drugtest t
        WHERE t.participant_id = since.participant_id AND t.program_id = %(program)s
          AND t.status IN ('positive', 'missed', 'refused', 'dilute', 'adulterated',
                           'substituted')
          AND t.scheduled_for BETWEEN since.entry_date AND %(today)s) AS last_positive
FROM since
LEFT JOIN responses ON responses.entry_id = since.previous_entry
LEFT JOIN tests USING (participant_id)
LEFT JOIN findings USING (participant_id)
LEFT JOIN attendance USING (participant_id)
ORDER BY since.participant_id
"""


@dataclass(frozen=True)
class Timed:
    total_ms: float  # the median run, client side
    database_ms: float  # of which waiting for PostgreSQL (execute), the median of the runs


def timed(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, Timed]:
    """Each of `runs` `repeat` times, taking turns so that a change of load on the machine
    falls on all of them alike, after one untimed run of each that warms the caches."""
    totals: dict[str, list[float]] = {label: [] for label in runs}
    waits: dict[str, list[float]] = {label: [] for label in runs}
    waited = [0.0]

    def wait(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited[0] += time.perf_counter() - started

    for run in runs.values():
        run()
    with connection.execute_wrapper(wait):
        for _ in range(repeat):
            for label, run in runs.items():
                waited[0] = 0.0
                started = time.perf_counter()
                run()
                totals[label].append((time.perf_counter() - started) * 1000)
                waits[label].append(waited[0] * 1000)
    return {
        label: Timed(statistics.median(totals[label]), statistics.median(waits[label]))
        for label in runs
    }


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as it was sent (parameters inlined)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_ms(plan: str, phase: str) -> float:
    found = re.search(rf"{phase} Time: ([\d.]+) ms", plan)
    return float(found.group(1)) if found else 0.0


def baseline_sql(session: CourtSession, today: datetime.date) -> str:
    """BASELINE with the session's parameters inlined."""
    with connection.cursor() as cursor:
        return cursor.mogrify(
            BASELINE,
            {
                "session": session.pk,
                # the docket's participants, as the app passes them once it has the entries
                "participants": list(
                    session.entries.order_by("participant_id").values_list(
                        "participant_id", flat=True
                    )
                ),
                "program": session.program_id,
                "held_on": session.held_on,
                "today": today,
                "removed": Appearance.REMOVED,
                "time_zone": session.program.time_zone,
            },
        ).decode()


def baseline(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def history(session: CourtSession) -> str:
    """How much history the docket's participants have: since their entry, and before the
    session's day, tests and hearings."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*), min(e.entry_date), max(e.entry_date),
                   (SELECT count(*) FROM compliance_drugtest t
                    WHERE t.participant_id IN (SELECT participant_id FROM court_docketentry
                                               WHERE session_id = %(session)s)),
                   (SELECT count(*) FROM court_docketentry p
                    WHERE p.session_id <> %(session)s
                      AND p.participant_id IN (SELECT participant_id FROM court_docketentry
                                               WHERE session_id = %(session)s)),
                   (SELECT count(*) FROM court_courtresponse r
                    WHERE r.participant_id IN (SELECT participant_id FROM court_docketentry
                                               WHERE session_id = %(session)s))
            FROM court_docketentry d JOIN clients_enrollment e ON e.id = d.enrollment_id
            WHERE d.session_id = %(session)s
            """,
            {"session": session.pk},
        )
        entries, first_entry, last_entry, tests, hearings, responses = cursor.fetchone()
    return (
        f"{entries} participants, entered {first_entry} to {last_entry}; {tests:,} drug tests, "
        f"{hearings:,} earlier hearings, {responses:,} responses"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    generate.add_arguments(parser, database=DATABASE, scale=0.1)
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each (median)")
    parser.add_argument(
        "--plans", action="store_true", help="print the plan of each of the summary's queries"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="one run of each (the test suite's check)"
    )
    args = parser.parse_args()
    now = generate.prepare(parser, args)
    repeat = 1 if args.smoke else args.repeat

    session = CourtSession.objects.select_related("program", "judge").get(
        courtroom=generate.SUMMARY_COURTROOM
    )
    judge = session.judge
    today = program_today(session.program, now)
    docket = session.entries.exclude(appearance=Appearance.REMOVED).count()
    out(
        f"\nThe summary bench's docket: session {session.pk} of {session.program}, "
        f"{session.held_on} in {session.courtroom}, judge {judge.username}; today {today}"
    )
    out(f"  {history(session)}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('jit')")
        version, jit = cursor.fetchone()
    out(
        f"  PostgreSQL {version}, {os.cpu_count()} CPUs, jit = {jit}, load average "
        f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}"
    )

    def summary() -> list:
        # A judge never asked anything yet: clients.access caches its answers on the user.
        return selectors.compliance_summary(copy.copy(judge), session, today=today, now=now)

    client = Client(SERVER_NAME="localhost")  # an allowed host of the dev settings
    client.force_login(judge)
    # As if the judge had passed the second factor (drugcourt.security; tests/conftest.py).
    signed_in = client.session
    signed_in[DEVICE_ID_SESSION_KEY] = "bench"
    signed_in.save()
    url = reverse("court:summary", args=[session.pk])

    def page() -> bytes:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}.")
        return response.content

    # Each context's list is read at once: a request of the test client empties the log.
    with CaptureQueriesContext(connection) as captured:
        rows = summary()
    summary_queries = captured.captured_queries
    with CaptureQueriesContext(connection) as captured:
        content = page()
    page_queries = captured.captured_queries
    baseline_query = baseline_sql(session, today)
    facts = baseline(baseline_query)
    shown = content.count(b'class="summary-participant ')
    out(f"  rows: summary {len(rows)}, page {shown}, baseline {len(facts)}, docket {docket}")
    if not len(rows) == shown == len(facts) == docket:
        raise SystemExit("The summary, its page and the baseline do not cover the docket.")

    timings = timed(
        {"summary": summary, "page": page, "baseline": lambda: baseline(baseline_query)}, repeat
    )

    out(
        f"\nThe summary's {len(summary_queries)} queries, slowest first: client-side ms of the "
        "first run, server ms (planning + execution) of EXPLAIN ANALYZE"
    )
    statements = sorted(summary_queries, key=lambda q: -float(q["time"]))
    server_ms = 0.0
    for query in statements:
        plan = explain(query["sql"])
        ms = plan_ms(plan, "Planning") + plan_ms(plan, "Execution")
        server_ms += ms
        out(f"  {float(query['time']) * 1000:8.2f} {ms:8.2f}  {query['sql'][:110]}")
        if args.plans:
            out("      " + plan.replace("\n", "\n      "))
    out(f"  server time of all {len(statements)}: {server_ms:.2f} ms")
    plan = explain(baseline_query)
    baseline_server_ms = plan_ms(plan, "Planning") + plan_ms(plan, "Execution")
    out(f"  the baseline's server time: {baseline_server_ms:.2f} ms")
    if args.plans:
        out("      " + plan.replace("\n", "\n      "))

    base = timings["baseline"]
    out(
        f"\n##### Summary ({docket} participants, medians of {repeat} runs taking turns; "
        f"load average {', '.join(f'{load:.1f}' for load in os.getloadavg())})"
    )
    out(f"  {'':<35}{'total':>11}{'':>9}{'waiting on PostgreSQL':>24}   queries")
    for label, timing, queries in (
        ("baseline: the raw SQL aggregates", base, 1),
        ("compliance_summary(judge, session)", timings["summary"], len(summary_queries)),
        ("GET court:summary, rendered", timings["page"], len(page_queries)),
    ):
        ratio = timing.total_ms / base.total_ms
        over = [
            *([f"over {LIMIT_MS} ms"] if timing.total_ms > LIMIT_MS else []),
            *([f"over {LIMIT_RATIO}x"] if ratio > LIMIT_RATIO else []),
        ]
        out(
            f"  {label:<35}{timing.total_ms:8.2f} ms = {ratio:5.2f}x"
            f"{timing.database_ms:15.2f} ms = {timing.database_ms / base.database_ms:5.2f}x"
            f"   {queries:>3}" + (f"   !!! {', '.join(over)}" if over else "")
        )


if __name__ == "__main__":
    main()
