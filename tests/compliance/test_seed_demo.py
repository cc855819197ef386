"""`seed_demo` draws the last 90 days of random tests for the active demo participants, with
realistic results, medication, a blackout, and the alerts the sweeps raise (compliance/demo.py)."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from clients.models import Alert, CaseAssignment, Enrollment
from compliance import demo
from compliance.draw import ALGORITHM_VERSION, called_days, draws_audited
from compliance.models import (
    RESULT_STATUSES,
    BlackoutPeriod,
    DrugTest,
    DrugTestResult,
    Prescription,
    SubstanceResult,
    TestDraw,
)
from compliance.selectors import enrollments_to_test, with_counts_as_positive
from compliance.validity import ValidityMeasures, result_status
from drugcourt.demo import PROGRAM_NAME
from drugcourt.models import Program, User
from drugcourt.selectors import program_settings_in_force

# A Wednesday mid-morning in Chicago: today's call list is out, its windows still open.
NOW = datetime.datetime(2026, 3, 11, 15, 30, tzinfo=datetime.UTC)
SWEPT_KINDS = ("test_missed", "result_overdue", "repeated_noncompliance")


@pytest.fixture(autouse=True)
def program_settings():
    """seed_demo makes its own program and settings: none of the persona programs here."""


def seed():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo")
    return Program.objects.get(name=PROGRAM_NAME)


def counts():
    models = (TestDraw, DrugTest, DrugTestResult, SubstanceResult, Prescription, BlackoutPeriod)
    history = DrugTest.pgh_event_model
    return [model.objects.count() for model in (*models, history, Alert)]


def fingerprint():
    return list(
        DrugTest.objects.order_by(
            "participant", "scheduled_for", "current_result__findings__substance"
        ).values_list(
            "participant",
            "scheduled_for",
            "specimen_type",
            "status",
            "notified_at",
            "collected_at",
            "collected_by",
            "chain_of_custody_id",
            "admitted_use",
            "current_result__status",
            "current_result__creatinine_mg_dl",
            "current_result__findings__substance",
            "current_result__findings__level",
        )
    )


@pytest.fixture(scope="module")
def seeded_demo(module_db):
    """One seeding (several seconds) for the module's tests, at NOW (tests/conftest.py)."""
    return seed()


def test_seed_demo_tests_the_active_participants_with_realistic_results(db, seeded_demo):
    program = seeded_demo

    assert_every_active_participant_is_tested_for_90_days(program)
    assert_results_are_realistic_and_consistent(program)
    assert_medication_explains_expected_positives(program)
    assert_blackouts_are_respected_and_use_admitted(program)
    assert_sweeps_raised_a_few_open_alerts(program)


def assert_every_active_participant_is_tested_for_90_days(seeded):
    today = timezone.localdate(NOW, seeded.zone)
    first_day = today - datetime.timedelta(days=89)
    active = {
        enrollment.participant_id: enrollment
        for enrollment in enrollments_to_test(seeded.pk, today).filter(
            case_number__startswith="LV-DC-"
        )
    }
    tests = DrugTest.objects.filter(program=seeded)
    assert set(tests.values_list("participant", flat=True)) <= set(active)
    tested = Counter(
        tests.filter(scheduled_for__range=(first_day, today)).values_list("participant", flat=True)
    )
    for participant, enrollment in active.items():
        if enrollment.entry_date < today - datetime.timedelta(days=7):
            assert tested[participant] > 0, participant

    # Whole ISO weeks, each draw reproducible from its seed; everyone who had entered before
    # the week was called on exactly the days drawn for their group (but in a blackout).
    draws = list(TestDraw.objects.filter(program=seeded).order_by("iso_year", "iso_week"))
    mondays = [datetime.date.fromisocalendar(d.iso_year, d.iso_week, 1) for d in draws]
    assert mondays[0] <= first_day < mondays[0] + datetime.timedelta(days=7)
    assert mondays[-1] <= today < mondays[-1] + datetime.timedelta(days=7)
    assert len(draws) == (mondays[-1] - mondays[0]).days // 7 + 1
    called = {}
    for participant, draw, day in tests.values_list("participant", "draw", "scheduled_for"):
        called.setdefault((participant, draw), []).append(day)
    blacked_out = set(BlackoutPeriod.objects.values_list("participant", flat=True))
    audited = dict(draws_audited(draws, today + datetime.timedelta(days=7)))
    for draw, monday in zip(draws, mondays, strict=True):
        assert audited[draw]
        assert draw.algorithm_version == ALGORITHM_VERSION
        assert draw.tests_scheduled == draw.tests.count() > 0
        assert draw.drawn_at < datetime.datetime.combine(monday, datetime.time(), seeded.zone)
        for participant, enrollment in active.items():
            if enrollment.entry_date < monday and participant not in blacked_out:
                days = sorted(called.get((participant, draw.pk), []))
                assert days == called_days(
                    bytes.fromhex(draw.seed),
                    seeded.pk,
                    draw.iso_year,
                    draw.iso_week,
                    participant,
                    enrollment.tests_per_week,
                )
    assert not tests.filter(Q(draw=None) | ~Q(reason="random") | Q(test_group=None)).exists()
    # Nothing called before its day; the rest of this week is drawn but not yet called.
    assert not tests.filter(scheduled_for__gt=today).exclude(status="scheduled").exists()
    assert not tests.filter(scheduled_for__gt=today, notified_at__isnull=False).exists()
    assert (
        not tests.filter(scheduled_for__lt=today, notified_at=None)
        .exclude(status="excused")
        .exists()
    )


def assert_results_are_realistic_and_consistent(seeded):
    now, today = NOW, timezone.localdate(NOW, seeded.zone)
    settings = program_settings_in_force(seeded, today)
    tests = DrugTest.objects.filter(program=seeded).select_related("current_result")
    statuses = Counter(tests.values_list("status", flat=True))
    judged = sum(count for status, count in statuses.items() if status in RESULT_STATUSES)
    assert statuses["negative"] / judged > 0.75
    assert statuses["positive"] / judged > 0.04
    assert statuses["missed"] >= 10
    assert statuses["dilute"] >= 3
    assert {"oral_fluid", "urine"} == set(tests.values_list("specimen_type", flat=True))

    managers = dict(
        CaseAssignment.objects.filter(team_role="case_manager")
        .order_by("started_on", "pk")  # the last one: a closed enrollment's team has left
        .values_list("participant", "user")
    )
    coordinator = User.objects.get(username="coordinator")
    findings = {result: set(substances) for result, substances in _findings_by_result().items()}
    for test in tests:
        assert test.status_changed_at <= now
        if test.notified_at is not None:
            assert test.notified_at <= now
            assert test.collect_by - test.notified_at in (
                datetime.timedelta(hours=settings.urine_window_hours),
                datetime.timedelta(hours=settings.oral_fluid_window_hours),
            )
        if test.collected_at is None:
            assert test.current_result is None
            continue
        assert test.notified_at < test.collected_at <= min(test.collect_by, now)
        assert test.collected_by_id in (managers[test.participant_id], coordinator.pk)
        assert test.collection_site
        assert test.chain_of_custody_id
        assert test.panel == sorted(settings.testing_panel)
        result = test.current_result
        if result is None:
            assert test.status == "pending"
            continue
        assert (result.version, result.status) == (1, test.status)
        assert test.collected_at + datetime.timedelta(hours=20) <= result.resulted_at
        assert result.resulted_at <= test.collected_at + datetime.timedelta(hours=48)
        assert result.recorded_at == result.resulted_at == test.status_changed_at
        found = findings.get(result.pk, set())
        measures = ValidityMeasures(
            creatinine_mg_dl=result.creatinine_mg_dl,
            specific_gravity=result.specific_gravity,
            ph=result.ph,
            adulterant=result.adulterant,
            lab_invalid=result.lab_invalid,
        )
        measures.check_ranges()
        assert result_status(measures, has_findings=bool(found)) == result.status
        assert found <= set(test.panel)
        assert bool(found) == (result.status == "positive")
    chain_ids = list(tests.exclude(chain_of_custody_id="").values_list("chain_of_custody_id"))
    assert len(chain_ids) == len(set(chain_ids))
    for finding in SubstanceResult.objects.all():
        assert finding.level > finding.cutoff > 0

    # Work for the sweeps, which ran: specimens waiting over 48 hours for their result, and no
    # test left scheduled once its window closed.
    late = now - datetime.timedelta(hours=48)
    assert tests.filter(status="pending", collected_at__lt=late).exists()
    assert not tests.filter(status="scheduled", collect_by__lt=now).exists()


def assert_medication_explains_expected_positives(seeded):
    today = timezone.localdate(NOW, seeded.zone)
    prescriptions = Prescription.objects.filter(for_substance_use_disorder=True)
    assert 2 <= prescriptions.count() <= 3
    assert {tuple(p.explains) for p in prescriptions} <= {("BUP",), ("MTD",)}
    tests = with_counts_as_positive(DrugTest.objects.filter(program=seeded))
    expected = 0
    for prescription in prescriptions:
        assert prescription.starts_on <= today
        assert prescription.ends_on is None
        mine = tests.filter(participant=prescription.participant)
        on_medication = mine.filter(
            scheduled_for__gte=prescription.starts_on,
            status__in=["negative", "positive", "dilute"],
        )
        # Every usable specimen since the start finds the medication: positive, as expected.
        assert not on_medication.exclude(status="positive").exists()
        assert not on_medication.exclude(
            current_result__findings__substance=prescription.explains[0]
        ).exists()
        expected += on_medication.filter(counts_as_positive=False).count()
        assert not mine.filter(
            scheduled_for__lt=prescription.starts_on,
            current_result__findings__substance__in=["BUP", "MTD"],
        ).exists()
        if prescription.starts_on > today - datetime.timedelta(days=89):
            # Who started in the last 90 days was referred after a fentanyl positive.
            relapse = mine.get(current_result__findings__substance="FEN")
            assert relapse.scheduled_for < prescription.starts_on
            assert relapse.counts_as_positive
    assert expected > 20


def assert_blackouts_are_respected_and_use_admitted(seeded):
    today = timezone.localdate(NOW, seeded.zone)
    # The court's demo adds a custody period of its own, before the tests (court.demo).
    blackout = BlackoutPeriod.objects.exclude(reason="custody").get()
    assert blackout.reason == "residential"
    assert blackout.ends_on - blackout.starts_on == datetime.timedelta(days=9)
    assert today - datetime.timedelta(days=89) <= blackout.starts_on <= blackout.ends_on < today
    inside = DrugTest.objects.filter(
        participant=blackout.participant,
        scheduled_for__range=(blackout.starts_on, blackout.ends_on),
    )
    assert not inside.exclude(status="excused").exists()
    assert set(inside.values_list("status_note", flat=True)) <= {"Blackout: Residential treatment"}
    assert DrugTest.objects.filter(
        participant=blackout.participant, scheduled_for__gt=blackout.ends_on
    ).exists()

    admitted = DrugTest.objects.exclude(admitted_use=[])
    assert admitted.count() >= 2
    assert admitted.values("participant").distinct().count() == 1
    for test in admitted:
        assert test.status == "positive"
        assert set(test.admitted_use) <= set(
            test.current_result.findings.values_list("substance", flat=True)
        )


def assert_sweeps_raised_a_few_open_alerts(seeded):
    today = timezone.localdate(NOW, seeded.zone)
    alerts = Alert.objects.filter(kind__in=SWEPT_KINDS)
    open_alerts = Counter(alerts.filter(state="open").values_list("kind", flat=True))
    assert open_alerts["test_missed"] >= 1
    assert open_alerts["result_overdue"] >= 1
    assert sum(open_alerts.values()) <= 15
    missed = DrugTest.objects.filter(
        pk__in=[int(key.removeprefix("test:")) for key in _keys(alerts, "test_missed")]
    )
    assert set(missed.values_list("status", flat=True)) == {"missed"}
    # Runs of non-compliance that began over two weeks ago were dealt with at staffing; the
    # later ones are acknowledged or still open.
    runs = alerts.filter(kind="repeated_noncompliance")
    assert runs.filter(state="resolved").exists()
    assert runs.exclude(state="resolved").count() <= 15
    for run in runs:
        began = datetime.date.fromisoformat(run.source_key.removeprefix("noncompliance:"))
        settled = began < today - datetime.timedelta(days=14)
        assert (run.state == "resolved") == settled
        assert bool(run.resolution_note) == settled
    assert set(alerts.filter(state="resolved").values_list("kind", flat=True)) == {
        "repeated_noncompliance"
    }
    # Everyone with an alert is an active participant with tests.
    assert not alerts.exclude(
        participant__in=Enrollment.objects.filter(status="active").values("participant")
    ).exists()


def test_seed_demo_tests_once_and_the_same_every_time(db, seeded_demo):
    seeded = seeded_demo
    first, tests = counts(), fingerprint()
    assert first[1] > 500

    with time_machine.travel(NOW + datetime.timedelta(minutes=5), tick=False):
        call_command("seed_demo")
    assert counts() == first
    assert fingerprint() == tests

    # Seeded again from nothing at the same moment, the tests come out the same.
    Alert.objects.filter(kind__in=SWEPT_KINDS).delete()
    DrugTest.objects.update(current_result=None)
    SubstanceResult.objects.all().delete()
    DrugTestResult.objects.all().delete()
    DrugTest.objects.all().delete()
    TestDraw.objects.all().delete()
    Prescription.objects.all().delete()
    BlackoutPeriod.objects.exclude(reason="custody").delete()  # the court's stays
    staff = {user.username: user for user in User.objects.all()}
    with time_machine.travel(NOW, tick=False):
        demo.seed_demo_tests(seeded, staff)
    assert fingerprint() == tests


def _findings_by_result():
    by_result = {}
    for result, substance in SubstanceResult.objects.values_list("result", "substance"):
        by_result.setdefault(result, []).append(substance)
    return by_result


def _keys(alerts, kind):
    return alerts.filter(kind=kind).values_list("source_key", flat=True)
