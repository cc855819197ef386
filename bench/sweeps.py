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
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import django

# Time the sweeps as production runs them: without DEBUG's query log.
os.environ["DJANGO_DEBUG"] = "False"
django.setup()

import psycopg2  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg2 import sql as pg_sql  # noqa: E402

from clients.models import (  # noqa: E402
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AppointmentKind,
    EnrollmentStatus,
)
from compliance import sweeps  # noqa: E402
from compliance.models import RESULT_STATUSES  # noqa: E402
from drugcourt.models import (  # noqa: E402
    Phase,
    Program,
    ProgramSettings,
    User,
    default_testing_panel,
)
from drugcourt.services import DEFAULT_PHASES  # noqa: E402


def out(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201


# ---------------------------------------------------------------------------------------------
# The data set

DATABASE = "drugcourt_bench_sweeps"
TIME_ZONE = "America/Chicago"
PROGRAMS = 4
HISTORY_DAYS = 3 * 365  # tests and appointments cover the last three years
# At --scale 1 (DESIGN.md "Scale we design for"):
FULL = {"participants": 50_000, "tests": 10_000_000, "appointments": 5_000_000, "alerts": 800_000}
# Staff by role, 400 in all; staff member `id` works in program 1 + id % 4.
STAFF = [
    ("case_manager", 120),
    ("probation_officer", 40),
    ("defence_attorney", 30),
    ("judge", 6),
    ("clerk", 6),
    ("coordinator", 8),
    ("prosecutor", 10),
    ("treatment_provider", 170),
    ("administrator", 5),
    ("evaluator", 5),
]
# Disk per row, table and indexes together, measured at --scale 1 (bench/README.md), and the
# room asked for on top: the write-ahead log and the sorts of the index builds.
ROW_BYTES = {"participants": 1_000, "tests": 730, "appointments": 240, "alerts": 300}
HEADROOM = 1.3
HEADROOM_BYTES = 2 * 1024**3
# Tables loaded with their plain indexes dropped and built again afterwards: maintaining a
# dozen indexes row by row would take most of the load.
BIG_TABLES = (
    "compliance_drugtest",
    "compliance_drugtestresult",
    "compliance_substanceresult",
    "clients_appointment",
    "clients_alert",
)

# Test outcomes by cumulative share of past tests; the rest are negative. About 13 % count
# against the participant by the default policy.
OUTCOMES = [
    ("positive", 0.080),
    ("missed", 0.110),
    ("dilute", 0.125),
    ("refused", 0.130),
    ("excused", 0.140),
    ("invalid", 0.145),
    ("adulterated", 0.147),
    ("substituted", 0.148),
]
# Episodes that ended after the participant was in the program (declined ones never started).
CLOSED = sorted(CLOSED_STATUSES - {EnrollmentStatus.DECLINED})
# Tables loaded with explicit ids: their identity sequences are moved past them.
EXPLICIT_IDS = (
    "drugcourt_organization",
    "drugcourt_program",
    "drugcourt_user",
    "clients_participant",
    "compliance_testdraw",
    "compliance_drugtest",
    "compliance_drugtestresult",
)

ORGANIZATIONS_PROGRAMS_STAFF = """
        INSERT INTO drugcourt_organization (id, name, kind, is_active, created_at)
        SELECT g,
               CASE WHEN g <= %(programs)s THEN 'Bench County ' || g || ' Court'
                    WHEN g = %(programs)s + 1 THEN 'Bench Probation'
                    WHEN g = %(programs)s + 2 THEN 'Bench District Attorney'
                    WHEN g = %(programs)s + 3 THEN 'Bench Public Defender'
                    ELSE 'Bench Treatment Agency' END,
               CASE WHEN g <= %(programs)s THEN 'court'
                    WHEN g = %(programs)s + 1 THEN 'probation'
                    WHEN g = %(programs)s + 2 THEN 'prosecutor'
                    WHEN g = %(programs)s + 3 THEN 'defence'
                    ELSE 'treatment_agency' END,
               true, %(now)s
        FROM generate_series(1, %(programs)s + 4) g;
        INSERT INTO drugcourt_program
            (id, name, court_id, jurisdiction, time_zone, is_active, created_at)
        SELECT g, 'Bench Drug Court ' || g, g, 'Bench County ' || g, %(time_zone)s, true, %(now)s
        FROM generate_series(1, %(programs)s) g;
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
               false, true, %(now)s, 'bench' || id || '@bench.invalid', ARRAY[role],
               CASE role WHEN 'probation_officer' THEN %(programs)s + 1
                         WHEN 'prosecutor' THEN %(programs)s + 2
                         WHEN 'defence_attorney' THEN %(programs)s + 3
                         WHEN 'treatment_provider' THEN %(programs)s + 4
                         WHEN 'administrator' THEN NULL
                         WHEN 'evaluator' THEN NULL
                         ELSE 1 + id %% %(programs)s END
        FROM staff;
        INSERT INTO drugcourt_programmembership (program_id, user_id, created_at)
        SELECT 1 + id %% %(programs)s, id, %(now)s FROM drugcourt_user
        WHERE NOT roles && ARRAY['administrator', 'evaluator']::varchar[];
"""
LOAD_STEPS = [
    (
        "participants, enrollments, case assignments, prescriptions, blackouts",
        """
        SELECT setseed(0.2025);
        -- Each participant's one episode, and the days they were tested in it (within the
        -- three years): open episodes run until today, closed ones ended up to 1,000 days ago.
        CREATE TEMP TABLE bench_person ON COMMIT DROP AS
        WITH draws AS MATERIALIZED (
            SELECT g AS participant_id, random() AS r_program, random() AS r_status,
                   random() AS r_length, random() AS r_end, random() AS r_probation,
                   random() AS r_blackout, random() AS r_blackout_day, random() AS r_rx
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
                        ELSE 'declined' END AS episode_status
            FROM draws
        ), episode AS (
            SELECT *,
                   CASE WHEN episode_status = 'active' THEN %(today)s
                        WHEN episode_status = 'absconded' THEN %(today)s - 1 - (r_end * 60)::int
                        WHEN episode_status = ANY(%(closed)s::text[])
                            THEN %(today)s - 1 - (r_end * 1000)::int END AS last_day
            FROM person
        ), tested AS (
            SELECT *, last_day - (30 + r_length * 600)::int AS first_day
            FROM episode
        ), team AS (
            SELECT m.program_id,
                   array_agg(u.id ORDER BY u.id)
                       FILTER (WHERE 'case_manager' = ANY(u.roles)) AS case_managers,
                   array_agg(u.id ORDER BY u.id)
                       FILTER (WHERE 'probation_officer' = ANY(u.roles)) AS probation_officers
            FROM drugcourt_user u JOIN drugcourt_programmembership m ON m.user_id = u.id
            GROUP BY m.program_id
        )
        SELECT t.participant_id, t.program_id, t.episode_status, t.first_day, t.last_day,
               greatest(t.first_day, %(today)s - %(history_days)s) AS tested_from,
               coalesce(t.last_day - greatest(t.first_day, %(today)s - %(history_days)s) + 1, 0)
                   AS test_days,
               team.case_managers[1 + t.participant_id %% cardinality(team.case_managers)]
                   AS case_manager_id,
               CASE WHEN t.r_probation < 0.4 THEN team.probation_officers[
                   1 + t.participant_id %% cardinality(team.probation_officers)] END
                   AS probation_officer_id,
               -- 4 %% were in custody or residential treatment once; 0.5 %% of the active
               -- ones are still in custody (an open-ended blackout).
               CASE WHEN t.r_blackout < 0.04 AND t.last_day IS NOT NULL
                    THEN t.first_day + ((t.last_day - t.first_day) * t.r_blackout_day)::int
                    END AS blackout_from,
               NULL::date AS blackout_until, t.r_blackout, t.r_rx
        FROM tested t JOIN team USING (program_id);
        UPDATE bench_person SET test_days = 0 WHERE test_days < 0;
        UPDATE bench_person SET blackout_from = %(today)s - 10
        WHERE episode_status = 'active' AND r_blackout < 0.005;

        INSERT INTO clients_participant
            (id, legal_first_name, legal_middle_name, legal_last_name, preferred_name, aliases,
             date_of_birth, sex, gender_identity, races, ethnicity, is_veteran,
             primary_language, needs_interpreter, phone, email, address_line, city, state,
             postal_code, created_at, created_by_id)
        SELECT participant_id,
               (ARRAY['James', 'Maria', 'Robert', 'Linda', 'Michael', 'Patricia', 'David',
                      'Jennifer', 'Carlos', 'Aisha', 'Daniel', 'Nguyen', 'Sarah', 'Kevin',
                      'Rosa', 'Tyrone', 'Emily', 'Jamal', 'Ana', 'Brian'])[
                   1 + participant_id %% 20],
               '', 'Bench-' || participant_id, '', '{}',
               date '1960-01-01' + (participant_id * 37) %% 15000,
               (ARRAY['female', 'male', 'unknown'])[1 + participant_id %% 3], '', '{}', '',
               NULL, 'English', false, '', '', '', '', '', '', %(now)s, case_manager_id
        FROM bench_person;

        INSERT INTO clients_enrollment
            (participant_id, program_id, case_number, status, entry_type, phase, track,
             referral_date, referral_source, referring_agency, entry_date, exit_date,
             exit_reason, status_changed_at, created_at)
        SELECT participant_id, program_id, 'BENCH-' || participant_id, episode_status,
               CASE WHEN episode_status IN ('referred', 'screening', 'declined') THEN ''
                    ELSE 'post_plea' END,
               CASE WHEN episode_status IN ('active', 'absconded') THEN 1 + participant_id %% 5 END,
               '', referral_date, 'defence', '', first_day,
               CASE WHEN episode_status = ANY(%(closed)s::text[]) THEN last_day
                    WHEN episode_status = 'declined' THEN referral_date END,
               CASE WHEN episode_status = ANY(%(closed)s::text[]) OR episode_status = 'declined'
                    THEN 'Bench data' ELSE '' END,
               %(now)s, %(now)s
        FROM bench_person
        CROSS JOIN LATERAL (
            SELECT coalesce(first_day - 14, %(today)s - participant_id %% 30) AS referral_date
        ) AS referral;

        INSERT INTO clients_caseassignment
            (participant_id, user_id, team_role, started_on, ended_on, assigned_by_id)
        SELECT participant_id, user_id, team_role,
               coalesce(first_day, %(today)s - 30) - 14,
               CASE WHEN episode_status = ANY(%(closed)s::text[]) OR episode_status = 'declined'
                    THEN coalesce(last_day, %(today)s - 1) END,
               case_manager_id
        FROM bench_person
        CROSS JOIN LATERAL (VALUES ('case_manager', case_manager_id),
                                   ('probation_officer', probation_officer_id))
            AS member(team_role, user_id)
        WHERE user_id IS NOT NULL;

        -- 8 %% take medication for opioid use disorder (their buprenorphine or methadone
        -- positives are expected), 3 %% a prescribed opioid for a while.
        INSERT INTO compliance_prescription
            (participant_id, drug, dose, prescriber, for_substance_use_disorder, starts_on,
             ends_on, explains, recorded_by_id, created_at)
        SELECT participant_id,
               CASE WHEN r_rx < 0.05 THEN 'Buprenorphine/naloxone'
                    WHEN r_rx < 0.08 THEN 'Methadone' ELSE 'Oxycodone' END,
               CASE WHEN r_rx < 0.05 THEN '8 mg/2 mg daily'
                    WHEN r_rx < 0.08 THEN '60 mg daily' ELSE '5 mg as needed' END,
               'Bench prescriber', r_rx < 0.08, tested_from,
               CASE WHEN r_rx >= 0.08 THEN tested_from + 30 END,
               CASE WHEN r_rx < 0.05 THEN ARRAY['BUP'] WHEN r_rx < 0.08 THEN ARRAY['MTD']
                    ELSE ARRAY['OXY', 'OPI'] END,
               case_manager_id, %(now)s
        FROM bench_person WHERE r_rx < 0.11 AND test_days > 0;

        INSERT INTO compliance_blackoutperiod
            (participant_id, reason, starts_on, ends_on, note, recorded_by_id, created_at)
        SELECT participant_id,
               CASE WHEN r_blackout < 0.02 THEN 'custody' ELSE 'residential' END,
               blackout_from,
               CASE WHEN blackout_from < %(today)s - 10 OR episode_status <> 'active'
                    THEN blackout_from + 7 + (r_blackout * 500)::int END,
               'Bench data', case_manager_id, %(now)s
        FROM bench_person WHERE blackout_from IS NOT NULL;
        UPDATE bench_person p SET blackout_until = coalesce(b.ends_on, %(today)s)
        FROM compliance_blackoutperiod b WHERE b.participant_id = p.participant_id;
        """,
    ),
    (
        "random draws (one per program and ISO week)",
        """
        INSERT INTO compliance_testdraw
            (id, program_id, iso_year, iso_week, seed, algorithm_version, group_days,
             tests_scheduled, drawn_at)
        SELECT (p - 1) * %(weeks)s + w + 1, p,
               extract(isoyear FROM monday)::int, extract(week FROM monday)::int,
               md5(p || ':' || monday), 'hmac-sha256-v1',
               '{"1": [3], "2": [2, 6], "3": [1, 4, 7]}', 0,
               (monday - 1 + time '18:00') AT TIME ZONE %(time_zone)s
        FROM generate_series(1, %(programs)s) p
        CROSS JOIN generate_series(0, %(weeks)s - 1) w
        CROSS JOIN LATERAL (SELECT %(first_monday)s::date + 7 * w AS monday) m;
        """,
    ),
    (
        "drug tests",
        """
        -- Each participant gets tests on distinct days of their tested days, at one rate for
        -- all (the total is --scale x 10 million): day k falls in the k-th of n equal slots.
        WITH rate AS (
            SELECT %(tests)s::float / sum(test_days) AS per_day FROM bench_person
        ), plan AS (
            SELECT p.*, least(p.test_days, floor(p.test_days * rate.per_day + random())::int) AS n
            FROM bench_person p, rate WHERE p.test_days > 0
        ), days AS (
            SELECT plan.*,
                   plan.tested_from + ((k - 1) * plan.test_days) / plan.n
                   + floor(random() * ((k * plan.test_days) / plan.n
                                       - ((k - 1) * plan.test_days) / plan.n))::int AS day
            FROM plan CROSS JOIN LATERAL generate_series(1, plan.n) k
        ), numbered AS (
            SELECT row_number() OVER (ORDER BY day, participant_id) AS id, days.*,
                   random() AS r_status, random() AS r_specimen, random() AS r_reason,
                   random() AS r_collect, random() AS r_pending, random() AS r_confirm
            FROM days
        ), judged AS (
            SELECT n.*,
                   (day + time '06:00') AT TIME ZONE %(time_zone)s AS notice,
                   CASE WHEN r_specimen < 0.85 THEN 'urine'
                        WHEN r_specimen < 0.95 THEN 'oral_fluid'
                        WHEN r_specimen < 0.98 THEN 'breath'
                        WHEN r_specimen < 0.99 THEN 'sweat_patch'
                        ELSE 'blood' END AS specimen,
                   CASE WHEN day >= %(today)s THEN 'scheduled'
                        WHEN day BETWEEN blackout_from AND blackout_until THEN 'excused'
                        ELSE (%(outcomes)s::text[])[
                            width_bucket(r_status, %(outcome_shares)s::float8[]) + 1] END
                       AS outcome
            FROM numbered n
        ), timed AS (
            SELECT j.*,
                   CASE WHEN j.notice <= %(now)s THEN j.notice END AS notified,
                   CASE WHEN j.specimen = 'oral_fluid' THEN interval '4 hours'
                        ELSE interval '8 hours' END AS window_length,
                   -- results take a day or three: some of the last days' specimens wait for
                   -- theirs, and a few older ones are overdue
                   CASE WHEN j.outcome = ANY(%(result_statuses)s::text[])
                         AND (j.day >= %(today)s - 2 AND j.r_pending < 0.6
                              OR j.day >= %(today)s - 10 AND j.r_pending < 0.01)
                        THEN 'pending' ELSE j.outcome END AS status
            FROM judged j
        ), collected AS (
            SELECT t.*,
                   CASE WHEN t.status = ANY(%(result_statuses)s::text[]) OR t.status = 'pending'
                        THEN t.notice + t.window_length * (0.9 * t.r_collect) END AS collected,
                   t.status = 'positive' AND t.r_confirm < 0.2 AS confirmed
            FROM timed t
        )
        INSERT INTO compliance_drugtest
            (id, participant_id, program_id, reason, draw_id, test_group, scheduled_for,
             specimen_type, notified_at, collect_by, status, collected_at, collection_site,
             observed, collected_by_id, chain_of_custody_id, panel, admitted_use, status_note,
             current_result_id, confirmation_requested_at, ordered_by_id, order_reason,
             status_changed_at, created_at)
        SELECT id, participant_id, program_id,
               CASE WHEN r_reason < 0.9 THEN 'random' ELSE 'ordered' END,
               -- the draw of the program and ISO week (ids numbered so in the draws step)
               CASE WHEN r_reason < 0.9
                    THEN (program_id - 1) * %(weeks)s
                         + (day - %(first_monday)s::date) / 7 + 1 END,
               CASE WHEN r_reason < 0.9 THEN 1 + participant_id %% 3 END,
               day, specimen, notified, notified + window_length, status, collected,
               CASE WHEN collected IS NOT NULL THEN 'Bench collection site' ELSE '' END,
               CASE WHEN collected IS NOT NULL AND specimen = 'urine' THEN true END,
               CASE WHEN collected IS NOT NULL THEN case_manager_id END,
               CASE WHEN collected IS NOT NULL THEN 'COC-' || id ELSE '' END,
               CASE WHEN specimen = 'breath' THEN ARRAY['BAC'] ELSE %(panel)s::varchar[] END,
               '{}',
               CASE WHEN status = 'excused' THEN 'Bench: excused'
                    WHEN status = 'refused' THEN 'Bench: refused at collection' ELSE '' END,
               CASE WHEN status = ANY(%(result_statuses)s::text[])
                    THEN CASE WHEN confirmed THEN %(result_offset)s + id ELSE id END END,
               CASE WHEN confirmed THEN collected + interval '1 day' END,
               CASE WHEN r_reason >= 0.9 THEN case_manager_id END,
               CASE WHEN r_reason >= 0.9 THEN 'Bench: ordered after a concern' ELSE '' END,
               CASE WHEN status = ANY(%(result_statuses)s::text[])
                        THEN collected + make_interval(hours => 24 + (id %% 48)::int)
                    WHEN status = 'pending' THEN collected
                    WHEN status = 'missed' THEN notified + window_length
                    ELSE coalesce(notified, notice - interval '3 days') END,
               notice - interval '3 days'
        FROM collected;
        """,
    ),
    (
        "drug test results (versions; a lab confirmation for a fifth of the positives)",
        """
        INSERT INTO compliance_drugtestresult
            (id, drug_test_id, version, resulted_at, creatinine_mg_dl, specific_gravity, ph,
             adulterant, lab_invalid, is_confirmation, status, correction_reason,
             recorded_by_id, recorded_at)
        SELECT v.id, t.id, v.version,
               t.collected_at + make_interval(hours => 24 + (t.id %% 48)::int + v.later),
               CASE WHEN t.specimen_type <> 'urine' THEN NULL
                    WHEN t.status = 'dilute' THEN 12.5 WHEN t.status = 'substituted' THEN 1.2
                    ELSE 40 + t.id %% 160 END,
               CASE WHEN t.specimen_type <> 'urine' THEN NULL
                    WHEN t.status = 'dilute' THEN 1.0020 WHEN t.status = 'substituted' THEN 1.0005
                    ELSE 1.0150 END,
               CASE WHEN t.specimen_type <> 'urine' THEN NULL
                    WHEN t.status = 'adulterated' THEN 10.5 ELSE 6.2 END,
               CASE WHEN t.status = 'adulterated' THEN 'nitrite' ELSE '' END,
               t.status = 'invalid', v.version = 2, t.status,
               CASE WHEN v.version = 2 THEN 'Laboratory confirmation (GC/MS)' ELSE '' END,
               t.collected_by_id,
               t.collected_at + make_interval(hours => 24 + (t.id %% 48)::int + v.later)
        FROM compliance_drugtest t
        CROSS JOIN LATERAL (
            VALUES (t.id, 1, 0), (t.current_result_id, 2, 72)
        ) AS v(id, version, later)
        WHERE t.current_result_id IS NOT NULL
          AND (v.version = 1 OR t.current_result_id <> t.id);

        -- Findings only for positive results (negatives are implied by the panel): one to
        -- three distinct substances each, alcohol for a breath test.
        INSERT INTO compliance_substanceresult (result_id, substance, cutoff, level, unit)
        SELECT t.current_result_id,
               CASE WHEN t.specimen_type = 'breath' THEN 'BAC'
                    ELSE (%(panel)s::text[])[
                        1 + (t.id + 5 * k) %% cardinality(%(panel)s::text[])] END,
               CASE WHEN t.specimen_type = 'breath' THEN 0.020 ELSE 50 END,
               CASE WHEN t.specimen_type = 'breath' THEN 0.045 ELSE 50 + t.id %% 900 END,
               CASE WHEN t.specimen_type = 'breath' THEN 'g/dL' ELSE 'ng/mL' END
        FROM compliance_drugtest t
        CROSS JOIN LATERAL generate_series(
            1, CASE WHEN t.specimen_type = 'breath' THEN 1
                    ELSE 1 + (t.id %% 20 < 11)::int + (t.id %% 10 < 3)::int END) k
        WHERE t.status = 'positive';
        """,
    ),
    (
        "appointments (past ones with their outcome, the next four weeks without)",
        """
        WITH span AS (
            SELECT p.*,
                   CASE WHEN p.episode_status = 'active' THEN p.last_day + 28 ELSE p.last_day END
                       - p.tested_from + 1 AS span_days
            FROM bench_person p WHERE p.test_days > 0
        ), rate AS (
            SELECT %(appointments)s::float / sum(span_days) AS per_day FROM span
        ), planned AS (
            SELECT s.*, ((s.tested_from + floor(random() * s.span_days)::int)
                         + make_interval(hours => 8 + floor(random() * 9)::int))
                        AT TIME ZONE %(time_zone)s AS at,
                   random() AS r_kind, random() AS r_outcome
            FROM span s, rate
            CROSS JOIN LATERAL generate_series(
                1, floor(s.span_days * rate.per_day + random())::int) k
        ), judged AS (
            SELECT p.*,
                   CASE WHEN r_kind < 0.30 THEN 'case_manager' WHEN r_kind < 0.70 THEN 'treatment'
                        WHEN r_kind < 0.85 THEN 'court' WHEN r_kind < 0.95 THEN 'community_service'
                        ELSE 'other' END AS kind,
                   CASE WHEN at >= %(now)s THEN ''
                        WHEN r_outcome < 0.82 THEN 'attended' WHEN r_outcome < 0.86 THEN 'late'
                        WHEN r_outcome < 0.90 THEN 'excused' WHEN r_outcome < 0.96 THEN 'missed'
                        ELSE 'cancelled' END AS outcome
            FROM planned p
        )
        INSERT INTO clients_appointment
            (participant_id, kind, scheduled_at, duration_minutes, location, with_whom,
             staff_id, outcome, outcome_reason, outcome_recorded_at, outcome_recorded_by_id,
             created_by_id, created_at)
        SELECT participant_id, kind, at, 60, 'Bench office',
               CASE WHEN kind = 'treatment' THEN 'Bench Treatment Agency' ELSE '' END,
               CASE WHEN kind = 'case_manager' THEN case_manager_id END,
               outcome, CASE WHEN outcome = 'excused' THEN 'Bench: excused' ELSE '' END,
               CASE WHEN outcome <> '' THEN at + interval '2 hours' END,
               CASE WHEN outcome <> '' THEN case_manager_id END,
               case_manager_id, at - interval '14 days'
        FROM judged ORDER BY at;
        """,
    ),
    (
        "alerts (resolved ones of earlier years; the sweeps raise the current ones)",
        """
        INSERT INTO clients_alert
            (participant_id, kind, source_key, data_class, severity, message, state,
             resolution_note, created_at, updated_at)
        SELECT 1 + g %% %(participants)s, 'bench_history', 'history:' || g,
               CASE WHEN g %% 2 = 0 THEN 'drug_tests' ELSE 'attendance' END, 'warning',
               'Bench alert', 'resolved', 'Bench data',
               %(now)s - make_interval(days => (g %% %(history_days)s)::int), %(now)s
        FROM generate_series(1, %(alerts)s) g;
        """,
    ),
]


@dataclass(frozen=True)
class Sizes:
    participants: int
    tests: int
    appointments: int
    alerts: int

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        return cls(**{name: max(round(count * scale), 100) for name, count in FULL.items()})

    def disk_bytes(self) -> int:
        """What the load needs on the server's disk: the rows with their indexes, and room for
        the write-ahead log and the sorts of the index builds."""
        rows = sum(getattr(self, name) * size for name, size in ROW_BYTES.items())
        return int(rows * HEADROOM) + HEADROOM_BYTES


def load_params(sizes: Sizes, now: datetime.datetime) -> dict:
    today = timezone.localdate(now, timezone=ZoneInfo(TIME_ZONE))
    first_monday = today - datetime.timedelta(days=HISTORY_DAYS)
    first_monday -= datetime.timedelta(days=first_monday.weekday())
    this_monday = today - datetime.timedelta(days=today.weekday())
    return {
        "now": now,
        "today": today,
        "time_zone": TIME_ZONE,
        "programs": PROGRAMS,
        "history_days": HISTORY_DAYS,
        "participants": sizes.participants,
        "tests": sizes.tests,
        "appointments": sizes.appointments,
        "alerts": sizes.alerts,
        # Versions 2 (lab confirmations) get ids past every test id: stochastic rounding gives
        # each participant less than one test more than their share.
        "result_offset": sizes.tests + sizes.participants,
        "first_monday": first_monday,
        "weeks": (this_monday - first_monday).days // 7 + 1,
        "staff_roles": [role for role, _ in STAFF],
        "staff_counts": [count for _, count in STAFF],
        "closed": CLOSED,
        "outcomes": [status for status, _ in OUTCOMES] + ["negative"],
        "outcome_shares": [share for _, share in OUTCOMES],
        "result_statuses": sorted(RESULT_STATUSES),
        "panel": default_testing_panel(),
    }


def create_program_settings(today: datetime.date) -> None:
    """One settings version per program, with the model's defaults and the customary phases,
    in force since before the history (the services accept no past dates)."""
    coordinator = User.objects.filter(roles__contains=["coordinator"]).order_by("pk").first()
    for program in Program.objects.order_by("pk"):
        version = ProgramSettings.objects.create(
            program=program,
            effective_from=today - datetime.timedelta(days=HISTORY_DAYS + 365),
            change_note="Bench settings",
            created_by=coordinator,
        )
        Phase.objects.bulk_create(
            Phase(settings=version, number=number, **phase.as_fields())
            for number, phase in enumerate(DEFAULT_PHASES, start=1)
        )


def plain_indexes(cursor, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of `tables` that back no constraint."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        [list(tables)],
    )
    return cursor.fetchall()


def load(sizes: Sizes, scale: float) -> datetime.datetime:
    """One transaction, with the history (pghistory) and foreign-key triggers off
    (session_replication_role, back on at commit): the rows are consistent by construction.
    Returns the load's `now`, the time every sweep is then run at."""
    now = timezone.now().replace(second=0, microsecond=0)
    params = load_params(sizes, now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        indexes = plain_indexes(cursor, BIG_TABLES)
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        started = time.perf_counter()
        cursor.execute(ORGANIZATIONS_PROGRAMS_STAFF, params)
        create_program_settings(params["today"])
        out(
            f"  organizations, programs with settings, staff: {time.perf_counter() - started:.1f} s"
        )
        for label, statements in LOAD_STEPS:
            started = time.perf_counter()
            cursor.execute(statements, params)
            out(f"  {label}: {time.perf_counter() - started:.1f} s")
        for table in EXPLICIT_IDS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
            )
        started = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        out(f"  {len(indexes)} indexes built again: {time.perf_counter() - started:.1f} s")
        cursor.execute(
            "CREATE TABLE bench_meta (scale float8 NOT NULL, loaded_at timestamptz NOT NULL, "
            "alerts_watermark bigint)"
        )
        cursor.execute("INSERT INTO bench_meta (scale, loaded_at) VALUES (%s, %s)", [scale, now])
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    out(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s")
    return now


# ---------------------------------------------------------------------------------------------
# The bench database


def use_database(name: str) -> None:
    """Points the app's connection at the bench database on the server of DATABASE_URL."""
    if "bench" not in name:
        raise SystemExit(f"The bench drops and loads its database: refusing {name!r}.")
    connection.close()
    connection.settings_dict["NAME"] = name


@contextlib.contextmanager
def server() -> Iterator:
    """A cursor on the `postgres` database of the same server, in autocommit."""
    db = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    admin.autocommit = True  # CREATE and DROP DATABASE cannot run in a transaction
    try:
        with admin.cursor() as cursor:
            yield cursor
    finally:
        admin.close()


def database_size(name: str) -> int | None:
    with server() as cursor:
        cursor.execute(
            "SELECT pg_database_size(datname) FROM pg_database WHERE datname = %s", [name]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def recreate_database(name: str) -> None:
    connection.close()
    with server() as cursor:
        cursor.execute(
            pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pg_sql.Identifier(name))
        )
        cursor.execute(pg_sql.SQL("CREATE DATABASE {}").format(pg_sql.Identifier(name)))


def gigabytes(size: int) -> str:
    return f"{size / 1024**3:.1f} GB"


def check_free_disk(sizes: Sizes, scale: float, replaced: int) -> None:
    """Refuses a load the server's disk cannot hold. `replaced` is the size of the bench
    database the load drops first."""
    need = sizes.disk_bytes()
    with server() as cursor:
        cursor.execute("SELECT current_setting('data_directory')")
        data_directory = Path(cursor.fetchone()[0])
    host = connection.settings_dict["HOST"] or ""
    local = host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")
    if not local or not data_directory.exists():
        out(
            f"Free disk not checked: the server's data directory ({data_directory}) is not on "
            f"this machine. --scale {scale} needs about {gigabytes(need)}."
        )
        return
    free = shutil.disk_usage(data_directory).free + replaced
    out(
        f"Disk: --scale {scale} needs about {gigabytes(need)}; {gigabytes(free)} free for "
        f"{data_directory}" + (" (counting the bench database it replaces)" if replaced else "")
    )
    if need > free:
        raise SystemExit(
            f"Not enough free disk for --scale {scale}: the load needs about {gigabytes(need)} "
            f"(tables, indexes, write-ahead log), and only {gigabytes(free)} is free for "
            f"{data_directory}. Free some space or pass a smaller --scale."
        )


def loaded_data() -> tuple[float, datetime.datetime] | None:
    """(scale, now) of the data in the bench database, or None when it holds none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT scale, loaded_at FROM bench_meta")
        return cursor.fetchone()


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
    WHERE a.outcome = '{outcome}' AND a.scheduled_at >= %(now)s - %(appointment_lookback)s
      AND a.scheduled_at < %(now)s
      AND a.scheduled_at + make_interval(mins => a.duration_minutes) < %(now)s
      AND {in_program_sql("a.participant_id")}
    {ALERT_CONFLICT}"""  # noqa: S608


RECENT_ATTENDED = f"""
    SELECT a.id FROM clients_appointment a
    WHERE a.outcome = 'attended' AND a.participant_id IN {ACTIVE}
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
    today = timezone.localdate(now)
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


def set_up(situation: Situation, params: dict) -> None:
    """The situation, then the same start for every run: no dead rows from the previous run
    (VACUUM) and a fresh checkpoint (each run pays the same full-page writes)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(situation.setup_sql, params)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {situation.table}, clients_alert")
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


def measure(situation: Situation, now: datetime.datetime, repeat: int, watermark: int) -> Measured:
    params = situation_params(now)
    saved = saved_table(situation.table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {saved} AS SELECT * FROM {situation.table} "  # noqa: S608
            f"WHERE id IN ({situation.pick_sql})",
            params,
        )
        measured = Measured(situation, rows_set_up=cursor.rowcount)
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
        set_up(situation, params)
        measured.plans = explain(situation, now)
        restore(situation.table, watermark)
        for repetition in range(repeat):
            # Alternate the order, so that neither always runs on the caches of the other.
            for label, call in runners if repetition % 2 == 0 else runners[::-1]:
                set_up(situation, params)
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


def print_measured(measured: Measured) -> None:
    situation = measured.situation
    out(f"\n=== {situation.sweep.__name__}: {measured.rows_set_up:,} {situation.rows}")
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
        f"{'sweep':<32} {'rows':>7} {'alerts':>7} {'sweep':>11} {'baseline':>11} {'ratio':>6} "
        f"{'2nd run':>9}"
    )
    for measured in results:
        run = measured.sweep_runs[0]
        baseline = measured.baseline_seconds
        ratio = measured.ratio
        second = statistics.median(each.second_run_seconds for each in measured.sweep_runs)
        out(
            f"{measured.situation.sweep.__name__:<32} {measured.rows_set_up:>7,} "
            f"{run.alerts:>7,} {milliseconds(measured.sweep_seconds):>11} "
            f"{milliseconds(baseline) if baseline else '-':>11} "
            f"{f'{ratio:.2f}x' if ratio else '-':>6} "
            f"{milliseconds(second):>9}" + ("  FAIL" if measured.failures else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=0.01,
        help="fraction of the statewide data set (1 = 10 million tests); default 0.01",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="load the data again even if it is there"
    )
    parser.add_argument(
        "--repeat", type=int, default=REPEAT, help=f"timed runs of each (default {REPEAT})"
    )
    parser.add_argument(
        "--database",
        default=DATABASE,
        help=f"the bench database, on the server of DATABASE_URL (default {DATABASE})",
    )
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        parser.error("--scale is a fraction: more than 0, at most 1.")
    sizes = Sizes.at(args.scale)
    use_database(args.database)
    size = database_size(args.database)
    data = loaded_data() if size is not None else None
    if args.fresh or data is None or data[0] != args.scale:
        check_free_disk(sizes, args.scale, replaced=size or 0)
        recreate_database(args.database)
        call_command("migrate", verbosity=0)
        out(
            f"Loading --scale {args.scale} into {args.database}: {sizes.participants:,} "
            f"participants, about {sizes.tests:,} tests and {sizes.appointments:,} appointments"
        )
        started = time.perf_counter()
        now = load(sizes, args.scale)
        out(f"Loaded in {time.perf_counter() - started:.0f} s.")
        settle(now)
    else:
        call_command("migrate", verbosity=0)
        now = data[1]
        out(f"Reusing the --scale {args.scale} data in {args.database} (--fresh loads it again).")
    watermark = alerts_watermark()
    restore_leftovers(watermark)
    counts = print_data_set(args.database)
    out(f"Sweeps run at now = {now.isoformat()} (the load's time).")
    results = []
    for situation in SITUATIONS:
        measured = measure(situation, now, args.repeat, watermark)
        print_measured(measured)
        results.append(measured)
    print_summary(results, counts)
    if any(measured.failures for measured in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
