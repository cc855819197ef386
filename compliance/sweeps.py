"""Monitoring sweeps, run by Celery beat (compliance.tasks). Each is one set-based statement that
raises its alerts through clients.services.alerts_statement (INSERT ... SELECT ... ON
CONFLICT (participant, kind, source_key) DO NOTHING), so running one twice raises nothing twice
(docs/decisions/0005). Each reads its rows through the partial index of its predicate, skips
people whose current enrollment is closed, and assigns the alert to the participant's case
manager now (clients.selectors.current_case_manager) unless said otherwise.

Rows a sweep cannot judge are excluded by its WHERE clause, counted by a second cheap query and
logged; they never abort the run.
"""

import datetime
import logging
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Replace
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from clients.access import APPOINTMENT_ALERT_SOURCE, DataClass
from clients.models import (
    OPEN_STATUSES,
    Alert,
    AlertSeverity,
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    Enrollment,
)
from clients.selectors import current_case_manager
from clients.services import AlertStatement, alerts_raise, alerts_statement
from drugcourt.selectors import program_today_sql
from treatment_plans.selectors import current_program_today, in_program_now, program_setting

from .models import NONCOMPLIANT_STATUSES, DrugTest, TestStatus
from .selectors import with_counts_as_positive

logger = logging.getLogger(__name__)

RESULT_OVERDUE_AFTER = datetime.timedelta(hours=48)
# Appointment sweeps look at appointments that started within this lookback: an older one was
# judged by the runs of its own days (hourly), so the scan stays bounded by time, not history.
APPOINTMENT_LOOKBACK = datetime.timedelta(days=30)
# The non-compliance sweep anchors windows at events at most this old; an earlier run of bad
# results was alerted by the runs of its own days, and its alert (the state) still bounds the
# anchors, so the scan stays bounded by time, not history.
NONCOMPLIANCE_LOOKBACK = datetime.timedelta(days=90)
# Defaults when no program settings are in force (ProgramSettings has the same defaults).
NONCOMPLIANCE_EVENTS = 2
NONCOMPLIANCE_DAYS = 14
NONCOMPLIANCE_KEY_PREFIX = "noncompliance:"


@dataclass(frozen=True)
class SweepOutcome:
    alerts_raised: int
    rows_changed: int = 0
    rows_skipped: int = 0


def _text(expression: str | Expression) -> Cast:
    return Cast(expression, CharField())


def _program_local_time(field: str) -> Func:
    """`field` (a timestamp) as wall-clock time, "YYYY-MM-DD HH24:MI", in the time zone of the
    row's participant's current program, for messages."""
    zone = Enrollment.objects.filter(participant=OuterRef("participant")).order_by(
        "-referral_date", "-id"
    )
    local = Func(
        Subquery(zone.values("program__time_zone")[:1]),
        F(field),
        function="timezone",
        output_field=DateTimeField(),
    )
    return Func(local, Value("YYYY-MM-DD HH24:MI"), function="to_char", output_field=CharField())


def _appointment_kind_label() -> Case:
    return Case(
        *(When(kind=kind, then=Value(label)) for kind, label in AppointmentKind.choices),
        default=F("kind"),
        output_field=CharField(),
    )


# ---------------------------------------------------------------------------------------------
# Drug tests


def drug_tests_missed_statement(now: datetime.datetime) -> AlertStatement:
    """The missed-test sweep's one statement (see drug_tests_missed_sweep): `marked` updates
    the overdue tests by their own predicate, so each row is judged once where it is found,
    never joined back to another scan of the table (see docs/decisions/0005)."""
    overdue = in_program_now(
        DrugTest.objects.filter(status=TestStatus.SCHEDULED, collect_by__lt=now)
    ).order_by()
    update = cast(UpdateQuery, overdue.query.chain(UpdateQuery))
    update.add_update_values({"status": TestStatus.MISSED, "status_changed_at": now})
    update_sql, update_params = update.get_compiler(overdue.db).as_sql()
    marked = DrugTest.objects.filter(pk__in=RawSQL("SELECT id FROM marked", ())).annotate(
        source_key=Concat(Value("test:"), _text("pk")),
        message=Concat(
            Value("Missed "),
            Replace("specimen_type", Value("_"), Value(" ")),
            Value(" test due "),
            _text("scheduled_for"),
            output_field=CharField(),
        ),
        assigned_to_id=current_case_manager(),
    )
    return alerts_statement(
        kind="test_missed",
        data_class=DataClass.DRUG_TESTS,
        severity=AlertSeverity.WARNING,
        rows=marked,
        with_sql=f"WITH marked AS ({update_sql} RETURNING id)",
        with_params=update_params,
    )


def drug_tests_missed_sweep(*, now: datetime.datetime | None = None) -> SweepOutcome:
    """Scheduled tests whose collection window has closed (collect_by < now) become missed and
    each raises "test_missed", all in one statement: a data-modifying CTE marks them and the
    alert insert reads what it marked. Tests inside a blackout were already excused by
    blackout_record, so they are never scheduled here.

    Every test marked raises its own alert (test:<pk> names a change that happens once), so the
    count of new alerts is also the count of tests marked. Left alone and counted as skipped:
    tests never published (past their day with no notification, hence no window to judge) and
    overdue tests of people who have left the program (leaving should excuse them)."""
    now = now or timezone.now()
    raised = alerts_raise(statement=drug_tests_missed_statement(now))
    skipped = _tests_left_scheduled(now)
    if skipped["never_published"] or skipped["left_program"]:
        logger.warning(
            "Missed-test sweep left %d tests scheduled: %d past their day but never published "
            "(no notification, so no collection window to judge) and %d overdue tests of "
            "participants no longer in the program.",
            skipped["never_published"] + skipped["left_program"],
            skipped["never_published"],
            skipped["left_program"],
        )
    return SweepOutcome(
        alerts_raised=raised,
        rows_changed=raised,
        rows_skipped=skipped["never_published"] + skipped["left_program"],
    )


def _tests_left_scheduled(now: datetime.datetime) -> dict[str, int]:
    """After the missed-test sweep: scheduled tests past their program-local day that were never
    published, and overdue ones the sweep left (their participant is no longer in the
    program). One query over the sweep's partial index."""
    never_published = Q(
        collect_by__isnull=True, scheduled_for__lt=program_today_sql("program__time_zone", now)
    )
    overdue = Q(collect_by__lt=now)
    return (
        DrugTest.objects.filter(status=TestStatus.SCHEDULED)
        .filter(never_published | overdue)
        .aggregate(
            never_published=Count("pk", filter=never_published),
            left_program=Count("pk", filter=overdue),
        )
    )


def results_overdue_statement(now: datetime.datetime) -> AlertStatement:
    """The result-overdue sweep's one statement (see results_overdue_sweep)."""
    waiting = DrugTest.objects.filter(
        status=TestStatus.PENDING, collected_at__lt=now - RESULT_OVERDUE_AFTER
    )
    rows = in_program_now(waiting).annotate(
        source_key=Concat(Value("test:"), _text("pk")),
        message=Concat(
            Value("No result 48 hours after collection of the "),
            Replace("specimen_type", Value("_"), Value(" ")),
            Value(" test of "),
            _text("scheduled_for"),
            output_field=CharField(),
        ),
        assigned_to_id=current_case_manager(),
    )
    return alerts_statement(
        kind="result_overdue",
        data_class=DataClass.DRUG_TESTS,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )


def results_overdue_sweep(*, now: datetime.datetime | None = None) -> SweepOutcome:
    """Specimens collected more than 48 hours ago still waiting for their result raise
    "result_overdue", one per test."""
    raised = alerts_raise(statement=results_overdue_statement(now or timezone.now()))
    return SweepOutcome(alerts_raised=raised)


# ---------------------------------------------------------------------------------------------
# Appointments


def _past_appointments(now: datetime.datetime, outcome: str) -> QuerySet[Appointment]:
    """Appointments with this outcome that started within the lookback and have ended, of
    people still in the program (the lookback bounds the scan; see APPOINTMENT_LOOKBACK).
    Court hearings are left out: their outcome is the hearing's, and a failure to appear is
    alerted once, by court.services.hearing_record_outcome."""
    ends_at = ExpressionWrapper(
        F("scheduled_at")
        + Func(F("duration_minutes"), template="make_interval(mins => %(expressions)s)"),
        output_field=DateTimeField(),
    )
    appointments = Appointment.objects.filter(
        outcome=outcome, scheduled_at__gte=now - APPOINTMENT_LOOKBACK, scheduled_at__lt=now
    ).exclude(kind=AppointmentKind.COURT)
    return in_program_now(appointments.annotate(ends_at=ends_at).filter(ends_at__lt=now))


def appointments_unrecorded_statement(now: datetime.datetime) -> AlertStatement:
    """The unrecorded-attendance sweep's one statement (see appointments_unrecorded_sweep)."""
    rows = _past_appointments(now, outcome="").annotate(
        source_key=Concat(Value(f"{APPOINTMENT_ALERT_SOURCE}:"), _text("pk")),
        message=Concat(
            Value("Attendance not recorded: "),
            _appointment_kind_label(),
            Value(", "),
            _program_local_time("scheduled_at"),
            output_field=CharField(),
        ),
        assigned_to_id=Coalesce("staff_id", current_case_manager(), output_field=BigIntegerField()),
    )
    return alerts_statement(
        kind="attendance_not_recorded",
        data_class=DataClass.ATTENDANCE,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )


def appointments_unrecorded_sweep(*, now: datetime.datetime | None = None) -> SweepOutcome:
    """Appointments past their end with no outcome raise "attendance_not_recorded", assigned to
    the staff member the participant met (who must record it), else the case manager. Only
    appointments that started within APPOINTMENT_LOOKBACK (30 days) are looked at: older ones
    were alerted by the runs of their own days."""
    raised = alerts_raise(statement=appointments_unrecorded_statement(now or timezone.now()))
    return SweepOutcome(alerts_raised=raised)


def appointments_missed_statement(now: datetime.datetime) -> AlertStatement:
    """The missed-appointment sweep's one statement (see appointments_missed_sweep)."""
    rows = _past_appointments(now, outcome=AppointmentOutcome.MISSED).annotate(
        source_key=Concat(Value(f"{APPOINTMENT_ALERT_SOURCE}:"), _text("pk")),
        message=Concat(
            Value("Missed appointment: "),
            _appointment_kind_label(),
            Value(", "),
            _program_local_time("scheduled_at"),
            output_field=CharField(),
        ),
        assigned_to_id=Coalesce(current_case_manager(), "staff_id", output_field=BigIntegerField()),
    )
    return alerts_statement(
        kind="missed_appointment",
        data_class=DataClass.ATTENDANCE,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )


def appointments_missed_sweep(*, now: datetime.datetime | None = None) -> SweepOutcome:
    """Appointments recorded missed raise "missed_appointment", assigned to the case manager
    (who responds to it), else the staff member. Same 30-day lookback as the unrecorded sweep:
    an appointment recorded missed more than 30 days after it started raises nothing."""
    raised = alerts_raise(statement=appointments_missed_statement(now or timezone.now()))
    return SweepOutcome(alerts_raised=raised)


# ---------------------------------------------------------------------------------------------
# Repeated non-compliance

# Greedy, non-overlapping windows per participant. `walks` holds each participant's events in
# date order as arrays indexed by n = 1, 2, ..., read by a lateral aggregate once per person in
# the program (an index scan of drug_test_noncompliant_idx from their `since`): an aggregate
# cannot be flattened into a join, so no estimate can turn it into a nested loop over pairs of
# people and events. reach[n] = how many of their events fall
# before the end of a window anchored at event n. A window anchored at n covers [day, day +
# window_days) and holds reach[n] - n + 1 events; when that is events_needed or more it alerts
# and the next anchor is the first event on or after its end (n = reach[n] + 1), otherwise the
# next anchor is the next event (n + 1). `chain` walks the anchors on the arrays alone: a join
# in the recursive term would scan a CTE (no index) at every step.
NONCOMPLIANCE_WINDOWS_SQL = """
    WITH RECURSIVE walks AS (
        SELECT people.participant_id, people.events_needed, people.window_days,
               person.ids, person.days
        FROM ({people_sql}) AS people
        CROSS JOIN LATERAL (
            SELECT array_agg(e.id ORDER BY e.scheduled_for, e.id) AS ids,
                   array_agg(e.scheduled_for ORDER BY e.scheduled_for, e.id) AS days
            FROM ({events_sql}) AS e
            WHERE e.participant_id = people.participant_id AND e.scheduled_for >= people.since
        ) AS person
        WHERE person.ids IS NOT NULL
    ),
    reaches AS (
        SELECT walks.participant_id, walks.events_needed, walks.ids,
               ARRAY(
                   SELECT (
                       SELECT count(*) FROM unnest(walks.days) AS later
                       WHERE later < anchor.day + walks.window_days
                   )::integer
                   FROM unnest(walks.days) WITH ORDINALITY AS anchor(day, n)
                   ORDER BY anchor.n
               ) AS reach
        FROM walks
    ),
    chain AS (
        SELECT reaches.*, 1 AS n FROM reaches
        UNION ALL
        SELECT participant_id, events_needed, ids, reach,
               CASE WHEN reach[n] - n + 1 >= events_needed THEN reach[n] + 1 ELSE n + 1 END
        FROM chain
        WHERE n <= cardinality(ids)
    ),
    alerting AS (
        SELECT ids[n] AS id FROM chain
        WHERE n <= cardinality(ids) AND reach[n] - n + 1 >= events_needed
    )"""


def _noncompliance_people(now: datetime.datetime) -> QuerySet[Enrollment, dict[str, Any]]:
    """One row per participant in the program now, with their program's threshold in force
    today (events_needed within window_days) and `since`, the first day an event may anchor a
    window: the later of the lookback start and the end of their last alerted window (its key
    date + window_days); events before it were judged. "Today" is each current program's
    local date at `now`."""
    last_alert_key = (
        Alert.objects.filter(participant=OuterRef("participant"), kind="repeated_noncompliance")
        .order_by("-source_key")
        .values("source_key")[:1]
    )
    last_alert_on = Cast(
        Func(
            Subquery(last_alert_key),
            Value(len(NONCOMPLIANCE_KEY_PREFIX) + 1),
            function="substr",
            output_field=CharField(),
        ),
        DateField(),
    )
    enrollments = in_program_now(Enrollment.objects.filter(status__in=sorted(OPEN_STATUSES)))
    return (
        enrollments.annotate(
            events_needed=Coalesce(
                program_setting("noncompliance_events", now), NONCOMPLIANCE_EVENTS
            ),
            window_days=Coalesce(program_setting("noncompliance_days", now), NONCOMPLIANCE_DAYS),
            program_today=current_program_today(now),
        )
        .annotate(
            since=Greatest(
                ExpressionWrapper(
                    F("program_today") - NONCOMPLIANCE_LOOKBACK.days, output_field=DateField()
                ),
                ExpressionWrapper(last_alert_on + F("window_days"), output_field=DateField()),
            )
        )
        # Someone open in two programs has two rows; their thresholds are the same (the
        # current program's).
        .order_by("participant_id")
        .distinct("participant_id")
        .values("participant_id", "events_needed", "window_days", "since")
    )


def _noncompliance_events(now: datetime.datetime) -> QuerySet[DrugTest, dict[str, Any]]:
    """Tests of the lookback counting as positive: the policy in force on each test's day
    decides, and expected medication positives never count. Read per participant through
    drug_test_noncompliant_idx. The lookback here is only a prefilter wide enough for every
    zone (no local date is before the UTC date's day before); each person's `since` applies
    their program's own date."""
    earliest_local_day = now.astimezone(datetime.UTC).date() - datetime.timedelta(days=1)
    tests = DrugTest.objects.filter(
        status__in=sorted(NONCOMPLIANT_STATUSES),
        scheduled_for__gte=earliest_local_day - NONCOMPLIANCE_LOOKBACK,
    )
    return (
        with_counts_as_positive(tests)
        .filter(counts_as_positive=True)
        .order_by()
        .values("id", "participant_id", "scheduled_for")
    )


def noncompliance_statement(now: datetime.datetime) -> AlertStatement:
    """The repeated non-compliance sweep's one statement (see noncompliance_sweep); "today" is
    each current program's date at `now`."""
    people_sql, people_params = _noncompliance_people(now).query.sql_with_params()
    events_sql, events_params = _noncompliance_events(now).query.sql_with_params()
    window_days = Coalesce(program_setting("noncompliance_days", now), NONCOMPLIANCE_DAYS)
    events_needed = Coalesce(program_setting("noncompliance_events", now), NONCOMPLIANCE_EVENTS)
    rows = DrugTest.objects.filter(pk__in=RawSQL("SELECT id FROM alerting", ())).annotate(
        source_key=Concat(Value(NONCOMPLIANCE_KEY_PREFIX), _text("scheduled_for")),
        message=Concat(
            Value("At least "),
            _text(events_needed),
            Value(" tests counting as positive within "),
            _text(window_days),
            Value(" days from "),
            _text("scheduled_for"),
            output_field=CharField(),
        ),
        assigned_to_id=current_case_manager(),
    )
    return alerts_statement(
        kind="repeated_noncompliance",
        data_class=DataClass.DRUG_TESTS,
        severity=AlertSeverity.URGENT,
        rows=rows,
        with_sql=NONCOMPLIANCE_WINDOWS_SQL.format(people_sql=people_sql, events_sql=events_sql),
        with_params=[*people_params, *events_params],
    )


def noncompliance_sweep(*, now: datetime.datetime | None = None) -> SweepOutcome:
    """N or more tests counting as positive within D days (the program's noncompliance_events
    and noncompliance_days in force, defaults 2 and 14) raise "repeated_noncompliance", keyed
    by the date of the window's first event. Windows are greedy and do not overlap (see
    NONCOMPLIANCE_WINDOWS_SQL), so one run of bad results raises one alert and a new alert
    comes only from an event after that window has ended; the existing alerts are the state
    (anchors start after the last alerted window). Events are scanned over the last 90 days
    (NONCOMPLIANCE_LOOKBACK). One statement."""
    raised = alerts_raise(statement=noncompliance_statement(now or timezone.now()))
    return SweepOutcome(alerts_raised=raised)
