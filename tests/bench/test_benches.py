"""Every bench runs, at a tiny scale, in the normal suite, so that none can rot (issue 14): the
generator loads a copy of the migrated test database, then each bench measures on it once."""

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection, connections
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
SCALE = "0.0005"  # 100 participants, 5,000 drug tests
SWEEPS = {
    "drug_tests_missed_sweep",
    "results_overdue_sweep",
    "appointments_unrecorded_sweep",
    "appointments_missed_sweep",
    "noncompliance_sweep",
}


def run_bench(script: str, *args: str) -> str:
    finished = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        # The apps of this checkout, as the test imports them (not the editable install's).
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "drugcourt.settings.dev",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


def drop_database(settings: dict, name: str) -> None:
    admin = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    admin.close()


# A transactional test: no transaction of the test holds a connection to the test database,
# which must have none to be copied.
@pytest.mark.django_db(transaction=True)
def test_every_bench_runs_at_a_tiny_scale():
    settings = dict(connection.settings_dict)
    template = settings["NAME"]  # the test database, migrated
    bench_database = f"{template}_bench"
    connections.close_all()
    options = ["--scale", SCALE, "--database", bench_database, "--template", template, "--smoke"]
    try:
        sweeps = run_bench("sweeps.py", *options, "--fresh")
        caseload = run_bench("caseload_explain.py", *options)
        court_summary = run_bench("summary.py", *options)
        # Needs only the schema: the same database, migrated already.
        access_log = run_bench("access_log.py", "--database", bench_database, "--smoke")
    finally:
        drop_database(settings, bench_database)

    assert "Loading --scale 0.0005" in sweeps
    # The generated guardian rows are the ones the product makes: access_repair fixed none.
    assert "0 participant rows repaired" in sweeps
    # Every hearing appointment is on a session's docket, with responses at about 4 : 1.
    court = re.search(
        r"court: ([\d,]+) sessions, ([\d,]+) docket entries for ([\d,]+) hearing appointments, "
        r"([\d,]+) responses \(([\d,]+) incentives, ([\d,]+) sanctions\)",
        sweeps,
    )
    assert court, sweeps
    sessions, entries, hearings, responses, incentives, sanctions = (
        int(count.replace(",", "")) for count in court.groups()
    )
    assert 0 < sessions <= entries == hearings
    assert 0 < sanctions < incentives < responses
    summary = sweeps[sweeps.index("##### Summary") :]
    measured = set(re.findall(r"^(\w+_sweep) +(fresh|stale) ", summary, re.MULTILINE))
    assert measured == {(sweep, stats) for sweep in SWEEPS for stats in ("fresh", "stale")}
    assert "Reusing the --scale 0.0005 data" in caseload
    assert "access_drift(): clean" in caseload
    assert "##### Summary" in caseload
    assert "Reusing the --scale 0.0005 data" in court_summary
    # The generator's summary docket is on the session: the summary, its page and the raw SQL
    # baseline each have a row for every entry.
    rows = re.search(
        r"rows: summary (\d+), page (\d+), baseline (\d+), docket (\d+)", court_summary
    )
    assert rows, court_summary
    summary_rows, page_rows, baseline_rows, docket = (int(count) for count in rows.groups())
    assert summary_rows == page_rows == baseline_rows == docket > 0
    assert "##### Summary" in court_summary
    assert re.search(r"the summary of 60 .* 60 ", access_log), access_log
    assert re.search(r"log total [\d,]+ MB per million rows", access_log), access_log
