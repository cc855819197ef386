"""The access log's cost (issue 19, docs/decisions/0018): what one request's INSERT costs per
row, for a page of one participant and for the compliance summary's 60, and how much table and
index a million rows take, against baselines measured in the same run (the same rows into a
plain table: no partitions, no indexes, no trigger). See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drugcourt_dev \\
    REDIS_URL=redis://127.0.0.1:6379/0 DJANGO_SETTINGS_MODULE=drugcourt.settings.dev \\
    .venv/bin/python bench/access_log.py --rows 1000000

It needs no generated data: only the migrated schema, in its own bench database (created and
migrated when missing, or a copy of --template). Everything it writes is in one transaction
rolled back at the end, so the append-only log of the bench database stays as it was.
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable

import generate  # the data generator's database helpers, beside this script (sets Django up)
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from generate import out
from psycopg2.extras import Json

from clients import access, services
from clients.access import DataClass
from clients.models import data_class_bits
from drugcourt.models import User

DATABASE = "drugcourt_bench_access_log"
# What a read shows, as the role table gives it: the treatment program (every class), the court
# view, a provider's view. The generated rows mix them 60 / 30 / 10.
CASE_MANAGER = sorted(access.ROLE_DATA_CLASSES[access.Role.CASE_MANAGER])
JUDGE = sorted(access.ROLE_DATA_CLASSES[access.Role.JUDGE])
PROVIDER = sorted(access.ROLE_DATA_CLASSES[access.Role.TREATMENT_PROVIDER])
# A judge's disclosures under a consent (about one read in ten at state scale).
DISCLOSED = [DataClass.PLAN_SUMMARY, DataClass.PROGRESS_REPORTS, DataClass.DRUG_TESTS]
ROUTES = [
    "clients:participant_detail",
    "clients:timeline",
    "compliance:participant_testing",
    "court:summary",
    "court:hearing",
    "treatment_plans:plan_detail",
    "assessments:needs",
    "clients:participant_calendar",
]
COLUMNS = "at, user_id, participant_id, route, path, data_classes, disclosures, ip"


def median_ms(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def shown_of(participants: int, *, judge: bool) -> dict[int, dict[str, int | None]]:
    """What a request showed: `participants` ids, the judge's classes with three disclosed
    under consent 7, or the case manager's every class."""
    if judge:
        classes = {c: (7 if c in DISCLOSED else None) for c in JUDGE}
    else:
        classes = dict.fromkeys(CASE_MANAGER)
    return {1_000 + n: dict(classes) for n in range(participants)}


def raw_insert(table: str, user_id: int, shown: dict) -> Callable[[], None]:
    """One multi-row INSERT of the same rows as `services.access_log_write`, through a cursor
    (no ORM), into `table`."""
    now = timezone.now()
    rows = []
    for participant_id, classes in shown.items():
        disclosures = {str(c): v for c, v in classes.items() if v is not None}
        rows.append(
            (
                now,
                user_id,
                participant_id,
                "court:summary",
                f"/participants/{participant_id}/",
                data_class_bits(classes),
                Json(disclosures) if disclosures else None,
                "192.0.2.10",
            )
        )
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    sql = f"INSERT INTO {table} ({COLUMNS}) VALUES {values}"  # noqa: S608 (our table names)
    params = [value for row in rows for value in row]

    def insert() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return insert


def measure_inserts(user: User, repeat: int) -> list[tuple[str, int, float, float, float]]:
    """(case, rows, app ms, raw-into-the-log ms, raw-into-a-plain-table ms) per call."""
    results = []
    for case, participants, judge in (
        ("one participant's page (case manager)", 1, False),
        ("one participant's page (judge, 3 disclosures)", 1, True),
        ("the summary of 60 (judge, 3 disclosures each)", 60, True),
    ):
        shown = shown_of(participants, judge=judge)

        def app(shown=shown) -> None:
            services.access_log_write(
                user=user,
                shown=shown,
                route="court:summary",
                path="/court/sessions/1/summary/",
                ip="192.0.2.10",
                at=timezone.now(),
            )

        into_log = raw_insert("clients_accesslog", user.pk, shown)
        into_plain = raw_insert("bench_accesslog_plain", user.pk, shown)
        for call in (app, into_log, into_plain):  # warm the plans and caches
            call()
        results.append(
            (
                case,
                participants,
                median_ms(app, repeat),
                median_ms(into_log, repeat),
                median_ms(into_plain, repeat),
            )
        )
    return results


GENERATE = """
INSERT INTO {table} ({columns})
SELECT
    date_trunc('month', now()) + (n * interval '1 second') / %(per_second)s,
    1 + (hashint4(n) & 1023) %% 400,
    1 + (hashint4(n * 7) & 1048575) %% 50000,
    (%(routes)s::text[])[1 + (n %% %(route_count)s)],
    '/participants/' || (1 + (hashint4(n * 7) & 1048575) %% 50000) || '/',
    CASE WHEN n %% 10 < 6 THEN %(case_manager)s::bigint
         WHEN n %% 10 < 9 THEN %(judge)s::bigint
         ELSE %(provider)s::bigint END,
    CASE WHEN n %% 10 = 6 THEN %(disclosures)s::jsonb END,
    ('10.' || (n %% 200) || '.' || (n %% 250) || '.1')::inet
FROM generate_series(1, %(rows)s) AS n
"""


def table_and_index_bytes(table: str) -> tuple[int, int]:
    """(heap with TOAST, indexes) of `table`, or of all its partitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(sum(pg_table_size(relid)), 0), coalesce(sum(pg_indexes_size(relid)), 0)
            FROM (
                SELECT relid FROM pg_partition_tree(%(table)s::regclass) WHERE isleaf
                UNION SELECT %(table)s::regclass WHERE NOT EXISTS (
                    SELECT 1 FROM pg_partitioned_table WHERE partrelid = %(table)s::regclass
                )
            ) AS leaves
            """,
            {"table": table},
        )
        table_bytes, index_bytes = cursor.fetchone()
        return int(table_bytes), int(index_bytes)


def measure_size(rows: int) -> dict[str, tuple[int, int]]:
    """Table and index bytes of `rows` generated reads in the log and in the plain table."""
    sizes = {}
    params = {
        # Within this month: `rows` spread over at most 20 days from its first second.
        "per_second": max(1, rows // (20 * 86_400) + 1),
        "routes": ROUTES,
        "route_count": len(ROUTES),
        "case_manager": data_class_bits(CASE_MANAGER),
        "judge": data_class_bits(JUDGE),
        "provider": data_class_bits(PROVIDER),
        "disclosures": Json({str(c): 7 for c in DISCLOSED}),
        "rows": rows,
    }
    for table in ("clients_accesslog", "bench_accesslog_plain"):
        before = table_and_index_bytes(table)
        with connection.cursor() as cursor:
            cursor.execute(GENERATE.format(table=table, columns=COLUMNS), params)
        after = table_and_index_bytes(table)
        sizes[table] = (after[0] - before[0], after[1] - before[1])
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default=DATABASE,
        help=f"the bench database (default {DATABASE}); its name must contain 'bench'",
    )
    parser.add_argument(
        "--template", help="create the bench database as a copy of this migrated database"
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="rows generated for the size (1,000,000)"
    )
    parser.add_argument("--repeat", type=int, default=300, help="timed calls of each insert")
    parser.add_argument(
        "--smoke", action="store_true", help="10,000 rows and 5 calls: does the bench run"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat = 10_000, 5
    generate.use_database(args.database)
    if args.template or generate.database_size(args.database) is None:
        generate.recreate_database(args.database, args.template)
    if not args.template:
        call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    out(f"PostgreSQL {version}, database {args.database}, load average {load}")

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_accesslog_plain "
                "(LIKE clients_accesslog INCLUDING DEFAULTS INCLUDING IDENTITY)"
            )
        user = User.objects.create(username="bench-access-log-reader")
        inserts = measure_inserts(user, args.repeat)
        sizes = measure_size(args.rows)
        transaction.set_rollback(True)

    out()
    out(f"##### Inserts (median of {args.repeat} calls; ms per call, µs per row)")
    out(
        f"{'case':<48} {'rows':>4} {'app':>16} {'raw, the log':>16} {'raw, plain':>16} "
        f"{'app / plain':>11}"
    )
    for case, rows, app, into_log, into_plain in inserts:
        per_row = [1000 * ms / rows for ms in (app, into_log, into_plain)]
        out(
            f"{case:<48} {rows:>4} "
            + " ".join(
                f"{ms:>7.3f} ({us:>5.0f})"
                for ms, us in zip((app, into_log, into_plain), per_row, strict=True)
            )
            + f" {app / into_plain:>10.1f}×"
        )
    out()
    out(f"##### Size of {args.rows:,} generated reads, scaled to a million rows")
    log_table, log_indexes = sizes["clients_accesslog"]
    plain_table, _ = sizes["bench_accesslog_plain"]
    scale = 1_000_000 / args.rows
    out(f"log table {log_table * scale / 2**20:,.0f} MB ({log_table / args.rows:.0f} B/row)")
    out(f"log indexes {log_indexes * scale / 2**20:,.0f} MB ({log_indexes / args.rows:.0f} B/row)")
    out(
        f"log total {(log_table + log_indexes) * scale / 2**20:,.0f} MB per million rows; "
        f"at 200,000 rows a day {(log_table + log_indexes) * 6_000_000 / args.rows / 2**30:.1f} GB "
        "a month"
    )
    out(
        f"baseline, plain table {plain_table * scale / 2**20:,.0f} MB; "
        f"log / baseline {(log_table + log_indexes) / plain_table:.2f}×"
    )
    out("##### Summary")


if __name__ == "__main__":
    main()
