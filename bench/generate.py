"""The one data generator of the benches: a statewide data set (DESIGN.md "Scale we design
for") at a fractional --scale, loaded set-based in SQL into a bench database of its own on the
server of DATABASE_URL. bench/sweeps.py, bench/caseload_explain.py and bench/summary.py
measure on it; later benches extend it (add a LOAD_STEPS entry) instead of writing their own
loader. See bench/README.md.

    .venv/bin/python bench/generate.py --scale 0.01 --database drugcourt_bench

At --scale 1: 50,000 participants, 400 staff, 10 million drug tests over three years with their
results, 5 million appointments (640,000 of them hearings, on the dockets of 16,000 court
sessions, with 240,000 responses), 2 million contacts, 800,000 old alerts. Counts of people and
rows scale with --scale (floors keep a tiny scale meaningful); staff scale too, so caseloads
stay the same size.
"""

import argparse
import contextlib
import datetime
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import django

# Benches time the app as production runs it: without DEBUG's query log.
os.environ["DJANGO_DEBUG"] = "False"
django.setup()

import psycopg2  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg2 import sql as pg_sql  # noqa: E402

from clients.access import (  # noqa: E402
    GATED_CLASSES,
    ROLE_DATA_CLASSES,
    TREATMENT_PROGRAM_ROLES,
    DataClass,
)
from clients.models import CLOSED_STATUSES, EnrollmentStatus, Participant  # noqa: E402
from clients.reconcile import access_drift, access_repair  # noqa: E402
from clients.services import HEARING_MINUTES  # noqa: E402
from compliance.draw import ALGORITHM_VERSION  # noqa: E402
from compliance.models import RESULT_STATUSES  # noqa: E402
from court.models import APPEARANCE_OUTCOME_REASONS, Appearance  # noqa: E402
from drugcourt.models import (  # noqa: E402
    Phase,
    Program,
    ProgramSettings,
    ResponseOption,
    User,
    default_testing_panel,
)
from drugcourt.roles import Role  # noqa: E402
from drugcourt.services import DEFAULT_PHASES, DEFAULT_RESPONSE_CATALOGUE  # noqa: E402


def out(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201


TIME_ZONE = "America/Chicago"
ZONE = ZoneInfo(TIME_ZONE)
PROGRAMS = 4
AGENCIES = 10  # treatment agencies
HISTORY_DAYS = 3 * 365  # tests and appointments cover the last three years
CONTACTS_EACH = 40  # per participant: 2 million at --scale 1
# Courtrooms each program's court sits in every weekday at --scale 1 (at least one): dockets of
# about 50 participants. A participant's hearings are on one weekday in one courtroom.
COURTROOMS = 5
# The summary bench's docket (bench/summary.py, issue 16): this many active participants of
# one program, each with three years of history, on a session of the next weekday in a
# courtroom of its own. Fewer at scales with fewer active participants in the program.
SUMMARY_PROGRAM = 2
SUMMARY_DOCKET = 60
SUMMARY_COURTROOM = "Courtroom S"
# At --scale 1 (DESIGN.md "Scale we design for"):
FULL = {"participants": 50_000, "tests": 10_000_000, "appointments": 5_000_000, "alerts": 800_000}
# Staff by role at --scale 1, 400 in all; staff member `id` works in program 1 + id % 4.
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
# Disk per row, table and indexes together, measured at --scale 1 (bench/README.md), and the
# room asked for on top: the write-ahead log and the sorts of the index builds.
ROW_BYTES = {
    "participants": 1_000 + CONTACTS_EACH * 250,
    "tests": 730,
    "appointments": 240 + 70,  # and the docket entries and responses of the hearings among them
    "alerts": 300,
}
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
    "clients_contact",
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
                    ELSE 'Bench Treatment Agency ' || (g - %(programs)s - 3) END,
               CASE WHEN g <= %(programs)s THEN 'court'
                    WHEN g = %(programs)s + 1 THEN 'probation'
                    WHEN g = %(programs)s + 2 THEN 'prosecutor'
                    WHEN g = %(programs)s + 3 THEN 'defence'
                    ELSE 'treatment_agency' END,
               true, %(now)s
        FROM generate_series(1, %(programs)s + 3 + %(agencies)s) g;
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
                         WHEN 'treatment_provider' THEN %(programs)s + 4 + id %% %(agencies)s
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
                   random() AS r_blackout, random() AS r_blackout_day, random() AS r_rx,
                   random() AS r_defence, random() AS r_previous
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
                            THEN %(today)s - 1 - (r_end * 1000)::int END AS last_day,
                   -- who may sit on the summary bench's docket (bench/summary.py): active in
                   -- its program, their own court day another weekday than the docket's
                   episode_status = 'active' AND program_id = %(summary_program)s
                   AND participant_id %% 5 <> %(summary_weekday)s AS summary_candidate
            FROM person
        ), docketed AS (
            SELECT *,
                   summary_candidate
                   AND count(*) FILTER (WHERE summary_candidate) OVER (ORDER BY participant_id)
                       <= %(summary_docket)s AS on_summary_docket
            FROM episode
        ), tested AS (
            -- The summary bench's docket entered three to four years ago: three years of
            -- history each. Everybody else's episode lasted 30 to 630 days.
            SELECT *,
                   CASE WHEN on_summary_docket
                        THEN %(today)s - %(history_days)s - 30 - (r_length * 365)::int
                        ELSE last_day - (30 + r_length * 600)::int END AS first_day
            FROM docketed
        ), team AS (
            SELECT m.program_id,
                   array_agg(u.id ORDER BY u.id)
                       FILTER (WHERE 'case_manager' = ANY(u.roles)) AS case_managers,
                   array_agg(u.id ORDER BY u.id)
                       FILTER (WHERE 'probation_officer' = ANY(u.roles)) AS probation_officers,
                   array_agg(u.id ORDER BY u.id)
                       FILTER (WHERE 'defence_attorney' = ANY(u.roles)) AS defence_attorneys
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
               CASE WHEN t.r_defence < 0.3 THEN team.defence_attorneys[
                   1 + t.participant_id %% cardinality(team.defence_attorneys)] END
                   AS defence_attorney_id,
               coalesce(t.first_day - 14, %(today)s - t.participant_id %% 30) AS referral_date,
               -- 4 %% were in custody or residential treatment once; 0.5 %% of the active
               -- ones are still in custody (an open-ended blackout).
               CASE WHEN t.r_blackout < 0.04 AND t.last_day IS NOT NULL
                    THEN t.first_day + ((t.last_day - t.first_day) * t.r_blackout_day)::int
                    END AS blackout_from,
               NULL::date AS blackout_until, t.r_blackout, t.r_rx, t.r_previous,
               t.on_summary_docket
        FROM tested t JOIN team USING (program_id);
        UPDATE bench_person SET test_days = 0 WHERE test_days < 0;
        UPDATE bench_person SET blackout_from = %(today)s - 10
        WHERE episode_status = 'active' AND r_blackout < 0.005;

        INSERT INTO clients_participant
            (id, legal_first_name, legal_middle_name, legal_last_name, preferred_name, aliases,
             date_of_birth, sex, gender_identity, races, ethnicity, is_veteran,
             primary_language, needs_interpreter, phone, email, address_line, city, state,
             postal_code, created_at, created_by_id, is_sealed)
        SELECT participant_id,
               (ARRAY['James', 'Maria', 'Robert', 'Linda', 'Michael', 'Patricia', 'David',
                      'Jennifer', 'Carlos', 'Aisha', 'Daniel', 'Nguyen', 'Sarah', 'Kevin',
                      'Rosa', 'Tyrone', 'Emily', 'Jamal', 'Ana', 'Brian'])[
                   1 + participant_id %% 20],
               '', 'Bench-' || participant_id, '', '{}',
               date '1960-01-01' + (participant_id * 37) %% 15000,
               (ARRAY['female', 'male', 'unknown'])[1 + participant_id %% 3], '', '{}', '',
               NULL, 'English', false, '', '', '', '', '', '', %(now)s, case_manager_id, false
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
        FROM bench_person;
        -- 30 %% also had an earlier episode, terminated (3 %% of those in another program).
        INSERT INTO clients_enrollment
            (participant_id, program_id, case_number, status, entry_type, phase, track,
             referral_date, referral_source, referring_agency, entry_date, exit_date,
             exit_reason, status_changed_at, created_at)
        SELECT participant_id,
               CASE WHEN r_previous < 0.009 THEN 1 + program_id %% %(programs)s
                    ELSE program_id END,
               'BENCH-' || participant_id || '-1', 'terminated', 'post_plea', NULL, '',
               referral_date - 900, 'probation', '', referral_date - 886, referral_date - 500,
               'Bench data', %(now)s, %(now)s
        FROM bench_person WHERE r_previous < 0.30;

        INSERT INTO clients_caseassignment
            (participant_id, user_id, team_role, started_on, ended_on, assigned_by_id)
        SELECT participant_id, user_id, team_role,
               coalesce(first_day, %(today)s - 30) - 14,
               CASE WHEN episode_status = ANY(%(closed)s::text[]) OR episode_status = 'declined'
                    THEN coalesce(last_day, %(today)s - 1) END,
               case_manager_id
        FROM bench_person
        CROSS JOIN LATERAL (VALUES ('case_manager', case_manager_id),
                                   ('probation_officer', probation_officer_id),
                                   ('defence_attorney', defence_attorney_id))
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
        "guardian rows of the open team assignments (clients.access.grant_participant)",
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
        "random draws (one per program and ISO week)",
        """
        INSERT INTO compliance_testdraw
            (id, program_id, iso_year, iso_week, seed, algorithm_version, group_days,
             tests_scheduled, drawn_at)
        SELECT (p - 1) * %(weeks)s + w + 1, p,
               extract(isoyear FROM monday)::int, extract(week FROM monday)::int,
               md5(p || ':' || monday), %(draw_algorithm)s, '{}', 0,
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
        -- Each program's court: its first judge sits in every session, its first coordinator
        -- places the participants on the dockets.
        CREATE TEMP TABLE bench_court ON COMMIT DROP AS
        SELECT m.program_id,
               min(u.id) FILTER (WHERE 'judge' = ANY(u.roles)) AS judge_id,
               min(u.id) FILTER (WHERE 'coordinator' = ANY(u.roles)) AS coordinator_id
        FROM drugcourt_user u JOIN drugcourt_programmembership m ON m.user_id = u.id
        GROUP BY m.program_id;

        WITH span AS (
            SELECT p.*,
                   CASE WHEN p.episode_status = 'active' THEN p.last_day + 28 ELSE p.last_day END
                       AS span_last
            FROM bench_person p WHERE p.test_days > 0
        ), rate AS (
            SELECT %(appointments)s::float / sum(span_last - tested_from + 1) AS per_day
            FROM span
        ), planned AS (
            SELECT s.*, s.tested_from + floor(random() * (s.span_last - s.tested_from + 1))::int
                            AS day,
                   8 + floor(random() * 9)::int AS hour,
                   random() AS r_kind, random() AS r_outcome
            FROM span s, rate
            CROSS JOIN LATERAL generate_series(
                1, floor((s.span_last - s.tested_from + 1) * rate.per_day + random())::int) k
        ), kinded AS (
            SELECT p.*,
                   CASE WHEN r_kind < 0.30 THEN 'case_manager' WHEN r_kind < 0.70 THEN 'treatment'
                        WHEN r_kind < 0.85 THEN 'court' WHEN r_kind < 0.95 THEN 'community_service'
                        ELSE 'other' END AS kind
            FROM planned p
        ), hearing AS (
            -- A hearing is at 9:00 on the participant's court day of that week (a weekday by
            -- participant) in their courtroom, within the episode; one a day at most.
            SELECT DISTINCT ON (participant_id, day_of_hearing) *
            FROM (
                SELECT k.*,
                       CASE WHEN court_day > k.span_last THEN court_day - 7
                            WHEN court_day < k.tested_from THEN court_day + 7
                            ELSE court_day END AS day_of_hearing
                FROM kinded k
                CROSS JOIN LATERAL (
                    SELECT k.day - extract(isodow FROM k.day)::int + 1 + k.participant_id %% 5
                        AS court_day
                ) c
                WHERE k.kind = 'court'
            ) h
            ORDER BY participant_id, day_of_hearing, r_outcome
        ), scheduled AS (
            SELECT participant_id, program_id, case_manager_id, kind, r_outcome,
                   (day + make_interval(hours => hour)) AT TIME ZONE %(time_zone)s AS at
            FROM kinded WHERE kind <> 'court'
            UNION ALL
            SELECT participant_id, program_id, case_manager_id, kind, r_outcome,
                   (day_of_hearing + time '09:00') AT TIME ZONE %(time_zone)s
            FROM hearing
        ), judged AS (
            SELECT s.*, c.judge_id, c.coordinator_id,
                   CASE WHEN at >= %(now)s THEN ''
                        WHEN r_outcome < 0.82 THEN 'attended'
                        -- a hearing records appeared (attended) or not, never late
                        WHEN r_outcome < 0.86 THEN CASE WHEN kind = 'court' THEN 'attended'
                                                        ELSE 'late' END
                        WHEN r_outcome < 0.90 THEN 'excused' WHEN r_outcome < 0.96 THEN 'missed'
                        ELSE 'cancelled' END AS outcome
            FROM scheduled s JOIN bench_court c USING (program_id)
        )
        INSERT INTO clients_appointment
            (participant_id, program_id, kind, scheduled_at, duration_minutes, location,
             with_whom, staff_id, outcome, outcome_reason, outcome_recorded_at,
             outcome_recorded_by_id, created_by_id, created_at)
        SELECT participant_id,
               CASE WHEN kind = 'court' THEN program_id END, kind, at,
               CASE WHEN kind = 'court' THEN %(hearing_minutes)s ELSE 60 END,
               CASE WHEN kind = 'court'
                    THEN 'Courtroom ' || (1 + participant_id / 5 %% %(courtrooms)s)
                    ELSE 'Bench office' END,
               CASE WHEN kind = 'treatment' THEN 'Bench Treatment Agency' ELSE '' END,
               CASE WHEN kind = 'case_manager' THEN case_manager_id
                    WHEN kind = 'court' THEN judge_id END,
               outcome,
               -- A hearing's appointment says only what happened; the reason is the court's
               -- (court.models.APPEARANCE_OUTCOME_REASONS).
               CASE WHEN kind = 'court' AND outcome = 'excused' THEN %(excused_by_court)s
                    WHEN kind = 'court' AND outcome = 'cancelled' THEN %(taken_off_docket)s
                    WHEN outcome = 'excused' THEN 'Bench: excused' ELSE '' END,
               CASE WHEN outcome <> '' THEN at + interval '2 hours' END,
               CASE WHEN outcome = '' THEN NULL WHEN kind = 'court' THEN judge_id
                    ELSE case_manager_id END,
               CASE WHEN kind = 'court' THEN coordinator_id ELSE case_manager_id END,
               at - interval '14 days'
        FROM judged ORDER BY at;
        """,
    ),
    (
        "the summary bench's docket (its hearings, on the next weekday in a courtroom of its own)",
        """
        -- Not heard yet: the court step below makes their session and docket entries, as for
        -- every hearing appointment.
        INSERT INTO clients_appointment
            (participant_id, program_id, kind, scheduled_at, duration_minutes, location,
             with_whom, staff_id, outcome, outcome_reason, outcome_recorded_at,
             outcome_recorded_by_id, created_by_id, created_at)
        SELECT p.participant_id, p.program_id, 'court', hearing.at, %(hearing_minutes)s,
               %(summary_courtroom)s, '', c.judge_id, '', '', NULL, NULL, c.coordinator_id,
               hearing.at - interval '14 days'
        FROM bench_person p
        JOIN bench_court c USING (program_id)
        CROSS JOIN LATERAL (
            SELECT (%(summary_day)s + time '09:00') AT TIME ZONE %(time_zone)s AS at
        ) hearing
        WHERE p.on_summary_docket;
        """,
    ),
    (
        "court sessions, docket entries (one per hearing appointment), responses",
        """
        -- One session per program, day and courtroom, as the court's migration makes them
        -- from hearing appointments (court/migrations/0002), with the program's clerks.
        INSERT INTO court_courtsession
            (program_id, held_on, start_time, courtroom, judge_id, created_by_id, created_at)
        SELECT a.program_id, (a.scheduled_at AT TIME ZONE %(time_zone)s)::date, time '09:00',
               a.location, c.judge_id, c.coordinator_id, min(a.created_at) - interval '7 days'
        FROM clients_appointment a JOIN bench_court c USING (program_id)
        WHERE a.kind = 'court'
        GROUP BY 1, 2, 4, 5, 6;
        INSERT INTO court_courtsession_clerks (courtsession_id, user_id)
        SELECT s.id, u.id
        FROM court_courtsession s
        JOIN drugcourt_programmembership m ON m.program_id = s.program_id
        JOIN drugcourt_user u ON u.id = m.user_id AND 'clerk' = ANY(u.roles);

        -- The hearing appointment's outcome is its appearance (court.models.APPEARANCE_OUTCOMES);
        -- whoever appeared or was excused was given a hearing two weeks on.
        INSERT INTO court_docketentry
            (session_id, enrollment_id, participant_id, appointment_id, appearance,
             appearance_note, next_hearing_on, next_hearing_reason, recorded_by_id, recorded_at,
             placed_by_id, placed_at)
        SELECT s.id, e.id, a.participant_id, a.id,
               CASE a.outcome WHEN 'attended' THEN 'appeared'
                              WHEN 'missed' THEN 'failed_to_appear'
                              WHEN 'excused' THEN 'excused'
                              WHEN 'cancelled' THEN 'removed' ELSE '' END,
               CASE a.outcome WHEN 'excused' THEN 'Bench: excused'
                              WHEN 'cancelled' THEN 'Bench: taken off the docket' ELSE '' END,
               CASE WHEN a.outcome IN ('attended', 'excused') THEN s.held_on + 14 END, '',
               a.outcome_recorded_by_id, a.outcome_recorded_at, a.created_by_id, a.created_at
        FROM clients_appointment a
        JOIN court_courtsession s
            ON s.program_id = a.program_id AND s.courtroom = a.location
           AND s.held_on = (a.scheduled_at AT TIME ZONE %(time_zone)s)::date
        JOIN clients_enrollment e
            ON e.participant_id = a.participant_id AND e.case_number = 'BENCH-' || a.participant_id
        WHERE a.kind = 'court';

        -- Responses at 44 %% of the hearings the participant appeared at, from the program's
        -- catalogue: incentives 32 %%, sanctions 8 %% (4 : 1), therapeutic adjustments 4 %%.
        -- No jail: its custody period would excuse tests the load has already judged.
        CREATE TEMP TABLE bench_response ON COMMIT DROP AS
        WITH heard AS (
            SELECT d.id AS entry_id, d.participant_id, s.program_id, s.held_on,
                   d.recorded_by_id, d.recorded_at,
                   random() AS r_category, random() AS r_option, random() AS r_detail,
                   random() AS r_behaviour
            FROM court_docketentry d JOIN court_courtsession s ON s.id = d.session_id
            WHERE d.appearance = 'appeared'
        )
        SELECT h.*,
               CASE WHEN r_category < 0.32 THEN
                        CASE WHEN r_option < 0.55 THEN 'Praise from the bench'
                             WHEN r_option < 0.75 THEN 'Called early on the docket'
                             WHEN r_option < 0.87 THEN 'Gift card'
                             WHEN r_option < 0.94 THEN 'Certificate of achievement'
                             ELSE 'Reduced reporting' END
                    WHEN r_category < 0.40 THEN
                        CASE WHEN r_option < 0.40 THEN 'Verbal warning'
                             WHEN r_option < 0.60 THEN 'Essay'
                             WHEN r_option < 0.75 THEN 'Curfew'
                             WHEN r_option < 0.87 THEN 'Increased testing'
                             ELSE 'Community service' END
                    ELSE
                        CASE WHEN r_option < 0.34 THEN 'Increased treatment'
                             WHEN r_option < 0.67 THEN 'Additional case manager meetings'
                             ELSE 'Additional self-help meetings' END
               END AS option_name,
               -- what it answers (CourtResponse.behaviour): an incentive an achievement, a
               -- sanction or a therapeutic adjustment a violation
               CASE WHEN r_category < 0.32 THEN
                        CASE WHEN r_behaviour < 0.6 THEN 'negative_tests'
                             WHEN r_behaviour < 0.9 THEN 'full_attendance'
                             ELSE 'phase_requirements_met' END
                    ELSE
                        CASE WHEN r_behaviour < 0.5 THEN 'positive_test'
                             WHEN r_behaviour < 0.75 THEN 'missed_test'
                             WHEN r_behaviour < 0.9 THEN 'missed_treatment'
                             ELSE 'tampered_specimen' END
               END AS behaviour
        FROM heard h WHERE h.r_category < 0.44;

        -- Increased testing is a court testing order (five tests a week for four weeks).
        WITH orders AS (
            INSERT INTO compliance_testingorder
                (participant_id, program_id, tests_per_week, starts_on, ends_on, reason,
                 ordered_by_id, created_at)
            SELECT participant_id, program_id, 5, held_on, held_on + 27,
                   'Increased testing, ordered at the hearing of ' || held_on,
                   recorded_by_id, recorded_at
            FROM bench_response WHERE option_name = 'Increased testing'
            RETURNING id, participant_id, starts_on
        )
        INSERT INTO court_courtresponse
            (entry_id, participant_id, option_id, behaviour, given_on, tests_per_week, weeks,
             days, hours, amount, note, jail_reason, counsel_present, hearing_given,
             testing_order_id, custody_id, recorded_by_id, recorded_at)
        SELECT r.entry_id, r.participant_id, o.id, r.behaviour, r.held_on,
               CASE WHEN o.effect = 'increased_testing' THEN 5 END,
               CASE WHEN o.effect IN ('increased_testing', 'curfew', 'reduced_reporting')
                    THEN 4 END,
               NULL,
               CASE WHEN o.effect = 'community_service'
                    THEN 8 * (1 + floor(r.r_detail * 3)::int) END,
               CASE WHEN o.effect = 'gift_card' THEN 10 + 5 * floor(r.r_detail * 4) END,
               '', '', false, false, orders.id, NULL, r.recorded_by_id, r.recorded_at
        FROM bench_response r
        JOIN drugcourt_programsettings v ON v.program_id = r.program_id
        JOIN drugcourt_responseoption o ON o.settings_id = v.id AND o.name = r.option_name
        LEFT JOIN orders
            ON orders.participant_id = r.participant_id AND orders.starts_on = r.held_on;

        -- Community service: an obligation of the hours ordered, worked eight hours a week
        -- from the week after the hearing (the recent ones not done yet).
        INSERT INTO court_communityserviceobligation
            (response_id, participant_id, hours_ordered, due_on, closed_as, created_at)
        SELECT id, participant_id, hours, NULL, '', recorded_at
        FROM court_courtresponse WHERE hours IS NOT NULL;
        INSERT INTO court_communityservicehours
            (obligation_id, worked_on, hours, recorded_by_id, recorded_at)
        SELECT o.id, r.given_on + 7 * k, 8, p.case_manager_id,
               (r.given_on + 7 * k + time '17:00') AT TIME ZONE %(time_zone)s
        FROM court_communityserviceobligation o
        JOIN court_courtresponse r ON r.id = o.response_id
        JOIN bench_person p ON p.participant_id = o.participant_id
        CROSS JOIN LATERAL generate_series(1, o.hours_ordered / 8) k
        WHERE r.given_on + 7 * k < %(today)s;
        """,
    ),
    (
        "contacts (40 per participant within their latest episode, by their case manager)",
        """
        INSERT INTO clients_contact
            (participant_id, occurred_at, kind, people_present, duration_minutes, location,
             primary_function, other_functions, note_format, narrative, dap_data,
             dap_assessment, dap_plan, shared_with_supervision, author_id, created_at,
             updated_at, version, entered_in_error, error_reason)
        SELECT p.participant_id,
               (span.first + (random() * (span.last - span.first))::int)::timestamptz
                   + random() * interval '10 hours',
               (ARRAY['in_person', 'phone', 'video', 'home_visit'])[1 + k %% 4], '', 30, '',
               'monitoring', '{}', 'free_text', 'Bench note', '', '', '', false,
               p.case_manager_id, %(now)s, %(now)s, 1,
               k = 40 AND p.participant_id %% 20 = 0,
               CASE WHEN k = 40 AND p.participant_id %% 20 = 0 THEN 'Bench data' ELSE '' END
        FROM bench_person p
        CROSS JOIN LATERAL (
            SELECT coalesce(p.first_day, p.referral_date) AS first,
                   coalesce(p.last_day, %(today)s) AS last
        ) span
        CROSS JOIN generate_series(1, %(contacts_each)s) k;
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
               'Bench alert', 'resolved', 'Bench data', raised.at,
               -- resolved (their last change) within a week of being raised
               least(raised.at + make_interval(days => (g %% 7)::int), %(now)s)
        FROM generate_series(1, %(alerts)s) g
        CROSS JOIN LATERAL (
            SELECT %(now)s - make_interval(days => (g %% %(history_days)s)::int) AS at
        ) raised;
        -- Four recent ones for each active participant, some still open.
        INSERT INTO clients_alert
            (participant_id, kind, source_key, data_class, severity, message, state,
             resolution_note, created_at, updated_at)
        SELECT p.participant_id, 'bench_recent', 'recent:' || k,
               (%(data_classes)s::text[])[1 + (p.participant_id + k)
                                              %% cardinality(%(data_classes)s::text[])],
               'warning', 'Bench alert', s.state,
               CASE WHEN s.state = 'resolved' THEN 'Bench data' ELSE '' END, s.raised,
               -- acknowledged or resolved within four days of being raised
               CASE WHEN s.state = 'open' THEN s.raised
                    ELSE least(s.raised + make_interval(days => ((p.participant_id + k) %% 5)::int),
                               %(now)s) END
        FROM bench_person p
        CROSS JOIN generate_series(1, 4) k
        CROSS JOIN LATERAL (
            SELECT CASE WHEN (p.participant_id + k) %% 10 < 3 THEN 'open'
                        WHEN (p.participant_id + k) %% 10 = 3 THEN 'acknowledged'
                        ELSE 'resolved' END AS state,
                   %(now)s - make_interval(days => ((p.participant_id * k) %% 60)::int) AS raised
        ) s
        WHERE p.episode_status = 'active';
        """,
    ),
    (
        "consents (issue 18): each active episode's §2.35 consent, signed at entry, naming the "
        "program's court roles for every Part 2 class until the episode closes",
        """
        INSERT INTO clients_consent
            (participant_id, enrollment_id, participant_name, disclosing_party, data_classes,
             information_description, purpose, revocation_terms, expires_on, expiry_event,
             criminal_justice, irrevocable_until_event, signature_method, signed_by_name,
             signed_on, recorded_by_id, recorded_at, revocation_received_how)
        SELECT e.participant_id, e.id, pt.legal_first_name || ' ' || pt.legal_last_name,
               'Bench treatment program', %(consent_classes)s::varchar[],
               'Bench: substance use disorder treatment information', 'Bench: court monitoring',
               'Bench: revocable in writing after the final disposition', NULL,
               'enrollment_closed', true, 'final_disposition', 'electronic',
               pt.legal_first_name || ' ' || pt.legal_last_name,
               coalesce(e.entry_date, e.referral_date), p.case_manager_id, %(now)s, ''
        FROM bench_person p
        JOIN clients_enrollment e ON e.participant_id = p.participant_id AND e.status = 'active'
        JOIN clients_participant pt ON pt.id = p.participant_id;
        INSERT INTO clients_consentrecipient (consent_id, program_id, role)
        SELECT c.id, e.program_id, r.role
        FROM clients_consent c
        JOIN clients_enrollment e ON e.id = c.enrollment_id
        CROSS JOIN unnest(%(consent_roles)s::text[]) AS r(role);
        """,
    ),
]


@dataclass(frozen=True)
class Sizes:
    participants: int
    tests: int
    appointments: int
    alerts: int
    staff: tuple[int, ...]  # by role, in the order of STAFF

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        rows = {name: max(round(count * scale), 100) for name, count in FULL.items()}
        # At least one staff member of each role in each program.
        staff = tuple(max(round(count * scale), PROGRAMS) for _, count in STAFF)
        return cls(**rows, staff=staff)

    def disk_bytes(self) -> int:
        """What the load needs on the server's disk: the rows with their indexes, and room for
        the write-ahead log and the sorts of the index builds."""
        rows = sum(getattr(self, name) * size for name, size in ROW_BYTES.items())
        return int(rows * HEADROOM) + HEADROOM_BYTES


def load_params(sizes: Sizes, scale: float, now: datetime.datetime) -> dict:
    today = now.astimezone(ZONE).date()  # the bench programs' date
    first_monday = today - datetime.timedelta(days=HISTORY_DAYS)
    first_monday -= datetime.timedelta(days=first_monday.weekday())
    this_monday = today - datetime.timedelta(days=today.weekday())
    summary_day = today + datetime.timedelta(days={4: 3, 5: 2}.get(today.weekday(), 1))
    return {
        "now": now,
        "today": today,
        "time_zone": TIME_ZONE,
        "programs": PROGRAMS,
        "agencies": AGENCIES,
        "history_days": HISTORY_DAYS,
        "participants": sizes.participants,
        "tests": sizes.tests,
        "appointments": sizes.appointments,
        "alerts": sizes.alerts,
        "contacts_each": CONTACTS_EACH,
        # Versions 2 (lab confirmations) get ids past every test id: stochastic rounding gives
        # each participant less than one test more than their share.
        "result_offset": sizes.tests + sizes.participants,
        "first_monday": first_monday,
        "weeks": (this_monday - first_monday).days // 7 + 1,
        # Labelled with the current algorithm (days per participant, no group days); the bench's
        # days are spread by rate, not drawn, so its weeks do not verify on the audit page.
        "draw_algorithm": ALGORITHM_VERSION,
        "staff_roles": [role.value for role, _ in STAFF],
        "staff_counts": list(sizes.staff),
        "closed": CLOSED,
        "outcomes": [status for status, _ in OUTCOMES] + ["negative"],
        "outcome_shares": [share for _, share in OUTCOMES],
        "result_statuses": sorted(RESULT_STATUSES),
        "panel": default_testing_panel(),
        "data_classes": list(DataClass.values),
        "consent_classes": sorted(GATED_CLASSES),
        "consent_roles": [
            role.value
            for role in Role
            if DataClass.COURT in ROLE_DATA_CLASSES[role] and role not in TREATMENT_PROGRAM_ROLES
        ],
        "hearing_minutes": HEARING_MINUTES,
        "courtrooms": max(1, round(COURTROOMS * scale)),
        "excused_by_court": APPEARANCE_OUTCOME_REASONS[Appearance.EXCUSED],
        "taken_off_docket": APPEARANCE_OUTCOME_REASONS[Appearance.REMOVED],
        "participant_ct": ContentType.objects.get_for_model(Participant).pk,
        "summary_program": SUMMARY_PROGRAM,
        "summary_docket": SUMMARY_DOCKET,
        "summary_courtroom": SUMMARY_COURTROOM,
        "summary_day": summary_day,
        "summary_weekday": summary_day.weekday(),  # a court day: Monday + participant_id % 5
    }


def create_program_settings(today: datetime.date) -> None:
    """One settings version per program, with the model's defaults, the customary phases and
    the default response catalogue, in force since before the history (the services accept no
    past dates)."""
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
        ResponseOption.objects.bulk_create(
            ResponseOption(settings=version, **option.as_fields())
            for option in DEFAULT_RESPONSE_CATALOGUE
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
    Then the program and agency groups by the product's own reconcile code (which would also
    repair any participant row the SQL got wrong, and reports how many it did), and VACUUM
    (ANALYZE). Returns the load's `now`, the time the benches measure at."""
    now = timezone.now().replace(second=0, microsecond=0)
    params = load_params(sizes, scale, now)
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
    repaired = access_repair()
    if not access_drift().is_clean:
        raise SystemExit("The access rows still drift from their sources after access_repair.")
    out(
        f"  access groups by clients.reconcile.access_repair: "
        f"{len(repaired.users_with_wrong_program_groups)} users' groups synced, "
        f"{len(repaired.missing) + len(repaired.extra)} participant rows repaired: "
        f"{time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    out(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s")
    out_court()
    return now


def out_court() -> None:
    """What the court holds: every hearing appointment is a docket entry's."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM court_courtsession),
                   (SELECT count(*) FROM court_docketentry),
                   (SELECT count(*) FROM clients_appointment WHERE kind = 'court'),
                   count(*) FILTER (WHERE o.category = 'incentive'),
                   count(*) FILTER (WHERE o.category = 'sanction'),
                   count(*)
            FROM court_courtresponse r JOIN drugcourt_responseoption o ON o.id = r.option_id
            """
        )
        sessions, entries, hearings, incentives, sanctions, responses = cursor.fetchone()
    out(
        f"  court: {sessions:,} sessions, {entries:,} docket entries for {hearings:,} hearing "
        f"appointments, {responses:,} responses ({incentives:,} incentives, "
        f"{sanctions:,} sanctions)"
    )


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


def recreate_database(name: str, template: str | None) -> None:
    """Drops the bench database and creates it empty, or as a copy of `template` (an
    already migrated database nobody is connected to: the test suite's)."""
    connection.close()
    with server() as cursor:
        cursor.execute(
            pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pg_sql.Identifier(name))
        )
        create = pg_sql.SQL("CREATE DATABASE {}").format(pg_sql.Identifier(name))
        if template:
            create += pg_sql.SQL(" TEMPLATE {}").format(pg_sql.Identifier(template))
        cursor.execute(create)


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


def add_arguments(parser: argparse.ArgumentParser, *, database: str, scale: float) -> None:
    """The generator's options, the same in every bench."""
    parser.add_argument(
        "--scale",
        type=float,
        default=scale,
        help=f"fraction of the statewide data set (1 = 50,000 participants, 10 million tests); "
        f"default {scale}",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="load the data again even if it is there"
    )
    parser.add_argument(
        "--database",
        default=database,
        help=f"the bench database, on the server of DATABASE_URL (default {database}); "
        "its name must contain 'bench'",
    )
    parser.add_argument(
        "--template",
        help="create the bench database as a copy of this migrated database instead of "
        "migrating it (the test suite passes its own test database)",
    )


def prepare(parser: argparse.ArgumentParser, args: argparse.Namespace) -> datetime.datetime:
    """The bench database of `args`, loaded at `args.scale`: reused when it holds that scale
    (and not --fresh), else dropped, created, migrated and loaded. Returns the load's `now`."""
    if not 0 < args.scale <= 1:
        parser.error("--scale is a fraction: more than 0, at most 1.")
    sizes = Sizes.at(args.scale)
    use_database(args.database)
    size = database_size(args.database)
    data = loaded_data() if size is not None else None
    if not args.fresh and data is not None and data[0] == args.scale:
        if not args.template:
            call_command("migrate", verbosity=0)
        out(f"Reusing the --scale {args.scale} data in {args.database} (--fresh loads it again).")
        return data[1]
    check_free_disk(sizes, args.scale, replaced=size or 0)
    recreate_database(args.database, args.template)
    if not args.template:
        call_command("migrate", verbosity=0)
    out(
        f"Loading --scale {args.scale} into {args.database}: {sizes.participants:,} "
        f"participants, {sum(sizes.staff):,} staff, about {sizes.tests:,} tests and "
        f"{sizes.appointments:,} appointments"
    )
    started = time.perf_counter()
    now = load(sizes, args.scale)
    out(f"Loaded in {time.perf_counter() - started:.0f} s.")
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, database="drugcourt_bench", scale=0.01)
    prepare(parser, parser.parse_args())


if __name__ == "__main__":
    main()
