"""The monitoring sweeps: each one set-based statement (plus one count of what it could not
judge), run twice to raise the same alerts exactly once, skipping people who left."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.conf import settings

from clients.models import (
    Alert,
    AlertSeverity,
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    EnrollmentStatus,
)
from compliance import services, sweeps, tasks
from compliance.models import (
    BlackoutReason,
    DrugTest,
    DrugTestResult,
    Prescription,
    SpecimenType,
    SubstanceResult,
    TestReason,
    TestStatus,
)
from compliance.sweeps import SweepOutcome
from drugcourt.celery import app
from drugcourt.models import PolicyPositive, ProgramSettings, Substance

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)  # 09:00 in Chicago
TODAY = datetime.date(2026, 11, 23)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def drug_test(participant, *, day=TODAY, status=TestStatus.SCHEDULED, notified_at=None, **fields):
    """A test as the draw and the services leave it; notified tests get the 8-hour window."""
    return DrugTest.objects.create(
        participant=participant,
        program=participant.enrollments.get().program,
        reason=TestReason.ORDERED,
        scheduled_for=day,
        notified_at=notified_at,
        collect_by=notified_at + 8 * HOUR if notified_at else None,
        status=status,
        status_changed_at=notified_at or NOW - 7 * DAY,
        **fields,
    )


def alerts(kind):
    return list(
        Alert.objects.filter(kind=kind)
        .order_by("participant", "source_key")
        .values_list("participant__legal_first_name", "source_key")
    )


@pytest.fixture
def left_program(participant2):
    """participant2 was terminated: the sweeps leave them alone."""
    participant2.enrollments.update(status=EnrollmentStatus.TERMINATED)
    return participant2


# ---------------------------------------------------------------------------------------------
# Missed tests


def test_a_test_past_its_window_becomes_missed_and_raises_one_alert(
    participant, casemanager, django_assert_num_queries
):
    overdue = drug_test(participant, day=TODAY - DAY, notified_at=NOW - DAY)
    oral = drug_test(participant, notified_at=NOW - 9 * HOUR, specimen_type=SpecimenType.ORAL_FLUID)
    still_open = drug_test(participant, notified_at=NOW - HOUR)

    with django_assert_num_queries(2):  # the sweep; the count of tests it could not judge
        first = sweeps.drug_tests_missed_sweep(now=NOW)
    second = sweeps.drug_tests_missed_sweep(now=NOW + 15 * datetime.timedelta(minutes=1))

    assert first == SweepOutcome(alerts_raised=2, rows_changed=2, rows_skipped=0)
    assert second == SweepOutcome(alerts_raised=0, rows_changed=0, rows_skipped=0)
    for test in (overdue, oral, still_open):
        test.refresh_from_db()
    assert (overdue.status, overdue.status_changed_at) == (TestStatus.MISSED, NOW)
    assert oral.status == TestStatus.MISSED
    assert still_open.status == TestStatus.SCHEDULED
    alert = Alert.objects.get(source_key=f"test:{overdue.pk}")
    assert alert.kind == "test_missed"
    assert alert.message == "Missed urine test due 2026-11-22"
    assert alert.assigned_to == casemanager
    assert (alert.data_class, alert.severity) == ("drug_tests", AlertSeverity.WARNING)
    assert Alert.objects.get(source_key=f"test:{oral.pk}").message == (
        "Missed oral fluid test due 2026-11-23"
    )


def test_a_test_never_published_is_left_counted_and_logged(participant, caplog):
    # 21:00 on Nov 23 in Chicago (already Nov 24 in UTC): Nov 23's test may still be called.
    evening = datetime.datetime(2026, 11, 24, 3, 0, tzinfo=datetime.UTC)
    yesterday = drug_test(participant, day=TODAY - DAY)
    today = drug_test(participant, day=TODAY)

    with caplog.at_level(logging.WARNING, logger="compliance.sweeps"):
        outcome = sweeps.drug_tests_missed_sweep(now=evening)

    assert outcome == SweepOutcome(alerts_raised=0, rows_changed=0, rows_skipped=1)
    assert "1 past their day but never published" in caplog.text
    assert {t.status for t in DrugTest.objects.filter(pk__in=[yesterday.pk, today.pk])} == {
        TestStatus.SCHEDULED
    }


def test_a_test_excused_for_a_blackout_never_turns_missed(participant, casemanager):
    test = drug_test(participant, day=TODAY - DAY, notified_at=NOW - DAY)
    services.blackout_record(
        participant=participant,
        reason=BlackoutReason.CUSTODY,
        starts_on=TODAY - DAY,
        ends_on=None,
        note="Held on a warrant",
        actor=casemanager,
        now=NOW - 20 * HOUR,
    )

    assert sweeps.drug_tests_missed_sweep(now=NOW) == SweepOutcome(0, 0, 0)
    test.refresh_from_db()
    assert test.status == TestStatus.EXCUSED
    assert not Alert.objects.exists()


def test_the_overdue_test_of_someone_who_left_is_left_scheduled_and_counted(left_program):
    test = drug_test(left_program, day=TODAY - DAY, notified_at=NOW - DAY)

    assert sweeps.drug_tests_missed_sweep(now=NOW) == SweepOutcome(0, 0, 1)
    test.refresh_from_db()
    assert test.status == TestStatus.SCHEDULED
    assert not Alert.objects.exists()


# ---------------------------------------------------------------------------------------------
# Results overdue


def collected(participant, hours_ago):
    collected_at = NOW - hours_ago * HOUR
    return drug_test(
        participant,
        day=collected_at.date(),
        status=TestStatus.PENDING,
        notified_at=collected_at - HOUR,
        collected_at=collected_at,
        panel=[Substance.COCAINE],
    )


def test_a_specimen_without_a_result_after_48_hours_raises_one_alert(
    participant, casemanager, django_assert_num_queries
):
    late = collected(participant, hours_ago=49)
    collected(participant, hours_ago=47)

    with django_assert_num_queries(1):
        first = sweeps.results_overdue_sweep(now=NOW)
    second = sweeps.results_overdue_sweep(now=NOW)
    later = sweeps.results_overdue_sweep(now=NOW + 2 * HOUR)

    assert (first, second, later) == (SweepOutcome(1), SweepOutcome(0), SweepOutcome(1))
    alert = Alert.objects.get(source_key=f"test:{late.pk}")
    assert alert.kind == "result_overdue"
    assert alert.message == "No result 48 hours after collection of the urine test of 2026-11-21"
    assert alert.assigned_to == casemanager


# ---------------------------------------------------------------------------------------------
# Appointments


def appointment(participant, *, started_ago, minutes=60, outcome="", staff=None):
    return Appointment.objects.create(
        participant=participant,
        kind=AppointmentKind.CASE_MANAGER,
        scheduled_at=NOW - started_ago,
        duration_minutes=minutes,
        staff=staff,
        outcome=outcome,
        created_by=participant.created_by,
    )


def test_an_appointment_past_its_end_without_an_outcome_raises_one_alert(
    participant, casemanager, probation, django_assert_num_queries
):
    with_staff = appointment(participant, started_ago=2 * HOUR, staff=probation)
    without_staff = appointment(participant, started_ago=29 * DAY)
    appointment(participant, started_ago=30 * datetime.timedelta(minutes=1))  # still going on
    appointment(participant, started_ago=2 * HOUR, outcome=AppointmentOutcome.ATTENDED)
    appointment(participant, started_ago=31 * DAY)  # before the lookback: alerted back then

    with django_assert_num_queries(1):
        first = sweeps.appointments_unrecorded_sweep(now=NOW)
    second = sweeps.appointments_unrecorded_sweep(now=NOW + HOUR)

    assert (first, second) == (SweepOutcome(2), SweepOutcome(1))  # + the one going on at NOW
    alert = Alert.objects.get(source_key=f"appointment:{with_staff.pk}")
    assert alert.kind == "attendance_not_recorded"
    assert alert.data_class == "attendance"
    assert alert.message == "Attendance not recorded: Case manager meeting, 2026-11-23 07:00"
    assert alert.assigned_to == probation  # who met the participant records it
    assert Alert.objects.get(source_key=f"appointment:{without_staff.pk}").assigned_to == (
        casemanager
    )
    assert sweeps.appointments_unrecorded_sweep(now=NOW + 2 * HOUR) == SweepOutcome(0)


def test_an_appointment_recorded_missed_raises_one_alert(
    participant, casemanager, probation, django_assert_num_queries
):
    missed = appointment(
        participant, started_ago=3 * DAY, staff=probation, outcome=AppointmentOutcome.MISSED
    )
    appointment(participant, started_ago=3 * DAY, outcome=AppointmentOutcome.ATTENDED)
    appointment(participant, started_ago=31 * DAY, outcome=AppointmentOutcome.MISSED)

    with django_assert_num_queries(1):
        first = sweeps.appointments_missed_sweep(now=NOW)
    second = sweeps.appointments_missed_sweep(now=NOW + HOUR)

    assert (first, second) == (SweepOutcome(1), SweepOutcome(0))
    alert = Alert.objects.get(kind="missed_appointment")
    assert alert.source_key == f"appointment:{missed.pk}"
    assert alert.message == "Missed appointment: Case manager meeting, 2026-11-20 09:00"
    assert alert.assigned_to == casemanager  # who responds to non-compliance


# ---------------------------------------------------------------------------------------------
# Repeated non-compliance

DAY_ONE = datetime.date(2026, 9, 1)


def on_day(number):
    return DAY_ONE + (number - 1) * DAY


def missed(participant, *days):
    for number in days:
        notified_at = datetime.datetime.combine(on_day(number), datetime.time(14), datetime.UTC)
        drug_test(
            participant, day=on_day(number), status=TestStatus.MISSED, notified_at=notified_at
        )


def positive(participant, day_number, substance, recorded_by):
    notified_at = datetime.datetime.combine(on_day(day_number), datetime.time(14), datetime.UTC)
    test = drug_test(
        participant,
        day=on_day(day_number),
        status=TestStatus.POSITIVE,
        notified_at=notified_at,
        collected_at=notified_at + HOUR,
        panel=[substance],
    )
    result = DrugTestResult.objects.create(
        drug_test=test,
        version=1,
        resulted_at=notified_at + DAY,
        status=TestStatus.POSITIVE,
        recorded_by=recorded_by,
    )
    SubstanceResult.objects.create(
        result=result, substance=substance, cutoff=Decimal("5"), level=Decimal("40")
    )
    test.current_result = result
    test.save(update_fields=["current_result"])
    return test


def sweep_on(day_number):
    """The sweep in the evening of a day of the scenario."""
    evening = datetime.datetime.combine(on_day(day_number), datetime.time(23), datetime.UTC)
    return sweeps.noncompliance_sweep(now=evening)


def noncompliance_keys():
    return sorted(
        key.removeprefix("noncompliance:")
        for key in Alert.objects.filter(kind="repeated_noncompliance").values_list(
            "source_key", flat=True
        )
    )


def test_windows_do_not_overlap_as_events_arrive_day_by_day(participant, casemanager):
    raised = {}
    for number in (1, 5, 10, 16, 20):
        missed(participant, number)
        raised[number] = sweep_on(number).alerts_raised

    assert raised == {1: 0, 5: 1, 10: 0, 16: 0, 20: 1}
    assert noncompliance_keys() == ["2026-09-01", "2026-09-16"]
    alert = Alert.objects.get(source_key="noncompliance:2026-09-01")
    assert alert.message == "At least 2 tests counting as positive within 14 days from 2026-09-01"
    assert (alert.severity, alert.data_class) == (AlertSeverity.URGENT, "drug_tests")
    assert alert.assigned_to == casemanager


def test_windows_do_not_overlap_when_judged_at_once_and_again(
    participant, django_assert_num_queries
):
    missed(participant, 1, 5, 10, 16, 20)

    with django_assert_num_queries(1):
        first = sweep_on(30)
    second = sweep_on(31)

    assert (first, second) == (SweepOutcome(2), SweepOutcome(0))
    assert noncompliance_keys() == ["2026-09-01", "2026-09-16"]


def test_a_window_is_14_days_from_its_first_event(participant, participant2):
    missed(participant, 1, 16)  # 15 days apart: each alone in its window
    missed(participant2, 1, 14)  # 13 days apart: together

    assert sweep_on(30) == SweepOutcome(1)
    assert alerts("repeated_noncompliance") == [("Ben", "noncompliance:2026-09-01")]


def test_a_failed_window_moves_to_the_next_event(participant):
    missed(participant, 1, 20, 25)

    assert sweep_on(30) == SweepOutcome(1)
    assert noncompliance_keys() == ["2026-09-20"]


def test_the_programs_threshold_decides(participant, program_settings):
    program_settings.noncompliance_events, program_settings.noncompliance_days = 3, 7
    program_settings.save()
    missed(participant, 1, 5, 20, 23, 26)

    assert sweep_on(30) == SweepOutcome(1)
    assert noncompliance_keys() == ["2026-09-20"]


def test_missed_tests_do_not_count_when_the_policy_says_so(
    participant, casemanager, program_settings
):
    program_settings.policy_positive = [PolicyPositive.REFUSED, PolicyPositive.DILUTE]
    program_settings.save()
    missed(participant, 1, 5)
    assert sweep_on(10) == SweepOutcome(0)

    positive(participant, 8, Substance.COCAINE, casemanager)
    assert sweep_on(10) == SweepOutcome(0)
    positive(participant, 9, Substance.COCAINE, casemanager)
    assert sweep_on(10) == SweepOutcome(1)
    assert noncompliance_keys() == ["2026-09-08"]


def test_expected_medication_positives_do_not_count(participant, casemanager):
    Prescription.objects.create(
        participant=participant,
        drug="Buprenorphine/naloxone",
        dose="8 mg daily",
        prescriber="Dr. Hale",
        for_substance_use_disorder=True,
        starts_on=on_day(1) - 30 * DAY,
        explains=[Substance.BUPRENORPHINE],
        recorded_by=casemanager,
    )
    positive(participant, 1, Substance.BUPRENORPHINE, casemanager)
    positive(participant, 3, Substance.BUPRENORPHINE, casemanager)
    assert sweep_on(10) == SweepOutcome(0)

    positive(participant, 5, Substance.COCAINE, casemanager)
    missed(participant, 6)
    assert sweep_on(10) == SweepOutcome(1)
    assert noncompliance_keys() == ["2026-09-05"]


def test_events_before_the_lookback_anchor_nothing(participant):
    missed(participant, 1, 5)

    assert sweep_on(1 + 91) == SweepOutcome(0)


# ---------------------------------------------------------------------------------------------
# Every sweep


def test_no_sweep_alerts_on_someone_who_left_the_program(left_program):
    drug_test(left_program, day=TODAY - DAY, notified_at=NOW - DAY)
    collected(left_program, hours_ago=49)
    appointment(left_program, started_ago=2 * HOUR)
    appointment(left_program, started_ago=2 * HOUR, outcome=AppointmentOutcome.MISSED)
    missed(left_program, 1, 5)

    sweeps.drug_tests_missed_sweep(now=NOW)
    sweeps.results_overdue_sweep(now=NOW)
    sweeps.appointments_unrecorded_sweep(now=NOW)
    sweeps.appointments_missed_sweep(now=NOW)
    sweep_on(10)

    assert not Alert.objects.exists()


def test_beat_runs_each_monitoring_task(db):
    monitoring = {
        name: entry
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"].startswith("compliance.tasks.")
    }

    assert {entry["task"].rsplit(".", 1)[1] for entry in monitoring.values()} == {
        "testing_tick_task",
        "drug_tests_missed_sweep_task",
        "results_overdue_sweep_task",
        "appointments_unrecorded_sweep_task",
        "appointments_missed_sweep_task",
        "noncompliance_sweep_task",
    }
    assert all(entry["task"] in app.tasks for entry in monitoring.values())
    assert tasks.drug_tests_missed_sweep_task() == {
        "alerts_raised": 0,
        "rows_changed": 0,
        "rows_skipped": 0,
    }
    assert tasks.noncompliance_sweep_task()["alerts_raised"] == 0


def test_the_threshold_in_force_is_the_one_of_the_programs_date_not_the_workers(
    participant, program, program_settings, time_machine
):
    """A lower threshold from day 10 does not apply at 23:30 on day 9 in Los Angeles, though
    the worker's clock (UTC, 07:30) already says day 10."""
    program.time_zone = "America/Los_Angeles"
    program.save()
    program_settings.noncompliance_events = 3
    program_settings.save()
    lower = ProgramSettings.objects.get(pk=program_settings.pk)
    lower.pk, lower.effective_from, lower.noncompliance_events = None, on_day(10), 2
    lower.save()
    missed(participant, 1, 5)
    eve = datetime.datetime.combine(on_day(9), datetime.time(23, 30), program.zone)

    time_machine.move_to(eve, tick=False)  # 23:30 on day 9 in Los Angeles, 06:30 UTC day 10
    assert tasks.noncompliance_sweep_task()["alerts_raised"] == 0
    time_machine.move_to(eve + HOUR, tick=False)  # 00:30 on day 10
    assert tasks.noncompliance_sweep_task()["alerts_raised"] == 1
