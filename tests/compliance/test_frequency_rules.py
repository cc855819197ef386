"""Issue 13's rules on how often, and what counts: the phase default and the risk/need
intensity combine as the more intensive; a frequency under the program minimum needs a
documented exception; months short of the minimum are listed for the coordinator; a stopped
prescription explains its positives for the substance's detection tail; sobriety counts within
the current enrollment."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import services as assessment_services
from assessments.services import Intensity
from clients.models import Enrollment, EnrollmentStatus
from compliance import selectors
from compliance.models import (
    DrugTest,
    DrugTestResult,
    Prescription,
    SubstanceResult,
    TestReason,
    TestStatus,
)
from drugcourt import services as core_services
from drugcourt.models import Substance, default_risk_need
from tests.factories import EnrollmentFactory

NOV_2 = datetime.date(2026, 11, 2)
NOW = datetime.datetime(2026, 12, 4, 18, 0, tzinfo=datetime.UTC)  # noon in Chicago


def assess(participant, actor, tests_per_week, **extra):
    config = default_risk_need()
    return assessment_services.risk_need_record(
        participant=participant,
        assessed_on=NOV_2,
        risk_answers=dict.fromkeys(config["risk_items"], True),
        need_answers=dict.fromkeys(config["need_items"], True),
        accepted=Intensity("Standard drug court", 2, tests_per_week, 2),
        override_reason="Works night shifts.",
        actor=actor,
        **extra,
    )


def frequency(participant) -> int:
    return selectors.testing_frequency_for(
        participant, datetime.date(2026, 11, 20), with_reasoning=True
    ).tests_per_week


# ---------------------------------------------------------------------------------------------
# Frequency


def test_the_more_intensive_of_phase_default_and_assessment_applies(
    participant, participant2, casemanager, casemanager2
):
    assess(participant, casemanager, 2)  # phase 1 says three a week
    Enrollment.objects.filter(participant=participant2).update(phase=5)  # once a week
    assess(participant2, casemanager2, 2)

    assert frequency(participant) == 3
    assert frequency(participant2) == 2
    found = selectors.testing_frequency_for(
        participant2, datetime.date(2026, 11, 20), with_reasoning=True
    )
    assert "risk and need assessment" in found.source


def test_a_frequency_under_the_program_minimum_needs_a_documented_exception(
    participant, casemanager
):
    with pytest.raises(ValidationError) as refused:
        assess(participant, casemanager, 1)
    assert "under the program minimum of 2" in str(refused.value)

    assess(participant, casemanager, 1, frequency_exception="Dialysis three days a week.")

    # The documented exception stands against the phase default (three a week).
    found = selectors.testing_frequency_for(
        participant, datetime.date(2026, 11, 20), with_reasoning=True
    )
    assert found.tests_per_week == 1
    assert (
        "exception in the risk and need assessment of Nov 2, 2026: Dialysis three days a week."
        in (found.source)
    )


def test_the_court_view_sees_an_exceptions_frequency_but_not_its_reasoning(
    client, participant, casemanager, judge
):
    assess(participant, casemanager, 1, frequency_exception="MARKER-EXCEPTION-Dialysis.")
    page = reverse("clients:participant_detail", args=[participant.pk])

    client.force_login(judge)
    seen_by_judge = client.get(page).content.decode()
    client.force_login(casemanager)
    seen_by_casemanager = client.get(page).content.decode()

    assert "1 a week" in seen_by_judge
    assert "documented exception" in seen_by_judge
    assert "MARKER-EXCEPTION" not in seen_by_judge
    assert "MARKER-EXCEPTION-Dialysis." in seen_by_casemanager


def test_the_minimum_does_not_apply_in_the_last_phase(participant, casemanager):
    Enrollment.objects.filter(participant=participant).update(phase=5)  # once a week

    assert assess(participant, casemanager, 1).frequency_exception == ""
    assert frequency(participant) == 1


def test_low_risk_low_need_recommends_two_tests_a_week():
    assert default_risk_need()["recommendations"]["low_low"]["tests_per_week"] == 2


def test_phases_before_the_last_cannot_test_under_the_minimum(program, coordinator):
    phases = [
        core_services.PhaseData("Stabilization", "", 1, 1),
        core_services.PhaseData("Continuing care", "", 1, 4),
    ]
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        core_services.program_settings_change_phases(
            program=program,
            effective_from=datetime.date(2026, 12, 7),
            phases=phases,
            change_note="Fewer tests.",
            actor=coordinator,
        )
    assert "Stabilization" in str(refused.value)
    assert "Continuing care" not in str(refused.value)

    phases[0] = core_services.PhaseData("Stabilization", "", 2, 1)
    with time_machine.travel(NOW, tick=False):
        version = core_services.program_settings_change_phases(
            program=program,
            effective_from=datetime.date(2026, 12, 7),
            phases=phases,
            change_note="Last phase once a week.",
            actor=coordinator,
        )
    assert version.minimum_tests_per_week == 2
    assert list(version.phases.values_list("tests_per_week", flat=True)) == [2, 1]


# ---------------------------------------------------------------------------------------------
# The monthly minimum


def november_tests(participant, count, *, status=TestStatus.NEGATIVE):
    program = participant.enrollments.get().program
    DrugTest.objects.bulk_create(
        DrugTest(
            participant=participant,
            program=program,
            reason=TestReason.RANDOM,
            scheduled_for=datetime.date(2026, 11, 1 + 3 * n),
            notified_at=datetime.datetime(2026, 11, 1 + 3 * n, 12, tzinfo=datetime.UTC),
            status=status,
            collected_at=(
                datetime.datetime(2026, 11, 1 + 3 * n, 13, tzinfo=datetime.UTC)
                if status == TestStatus.NEGATIVE
                else None
            ),
            status_changed_at=NOW,
        )
        for n in range(count)
    )


def test_participants_short_of_the_minimum_in_a_month_are_listed_for_the_coordinator(
    client, coordinator, program, participant, participant2
):
    november_tests(participant, 9)  # 9 in 30 days: 2.1 a week
    november_tests(participant2, 7)  # 1.6 a week
    november_tests(participant2, 3, status=TestStatus.EXCUSED)  # not tests given
    last_phase = EnrollmentFactory(program=program, phase=5).participant  # minimum not applied
    november_tests(last_phase, 1)

    short = selectors.monthly_shortfalls(program, datetime.date(2026, 11, 1))

    assert [(row.participant, row.tests) for row in short] == [(participant2, 7)]
    assert round(short[0].per_week, 1) == 1.6
    client.force_login(coordinator)
    with time_machine.travel(NOW, tick=False):
        client.force_login(coordinator)
        page = client.get(reverse("compliance:program_draws", args=[program.pk]))
    text = page.content.decode()
    assert "Short of the program minimum in November 2026" in text
    assert str(participant2) in text
    assert str(participant) not in text


def test_a_blackout_lowers_what_the_month_required(program, participant, casemanager):
    november_tests(participant, 5)  # 1.2 a week over 30 days
    participant.blackouts.create(
        reason="residential",
        starts_on=datetime.date(2026, 11, 16),
        ends_on=datetime.date(2026, 11, 30),
        recorded_by=casemanager,
    )

    # 5 tests in the 15 days outside it: 2.3 a week.
    assert selectors.monthly_shortfalls(program, datetime.date(2026, 11, 1)) == []


# ---------------------------------------------------------------------------------------------
# Medication tail and sobriety


def positive(participant, day, substance, recorded_by):
    program = participant.enrollments.get().program
    moment = datetime.datetime.combine(day, datetime.time(15), tzinfo=datetime.UTC)
    test = DrugTest.objects.create(
        participant=participant,
        program=program,
        reason=TestReason.ORDERED,
        scheduled_for=day,
        notified_at=moment,
        collected_at=moment,
        status=TestStatus.POSITIVE,
        status_changed_at=moment,
        panel=[substance],
    )
    result = DrugTestResult.objects.create(
        drug_test=test, version=1, resulted_at=moment, status="positive", recorded_by=recorded_by
    )
    SubstanceResult.objects.create(result=result, substance=substance)
    DrugTest.objects.filter(pk=test.pk).update(current_result=result)
    return test


def counts(test) -> bool:
    return (
        selectors.with_counts_as_positive(DrugTest.objects.filter(pk=test.pk))
        .get()
        .counts_as_positive
    )


def test_a_stopped_prescription_explains_positives_for_the_detection_tail(
    program_settings, participant, casemanager
):
    Prescription.objects.create(
        participant=participant,
        drug="Buprenorphine",
        dose="8 mg",
        prescriber="Dr. Lee",
        for_substance_use_disorder=True,
        starts_on=datetime.date(2026, 10, 1),
        ends_on=datetime.date(2026, 11, 10),
        explains=[Substance.BUPRENORPHINE],
        recorded_by=casemanager,
    )
    six_days_after = positive(
        participant, datetime.date(2026, 11, 16), Substance.BUPRENORPHINE, casemanager
    )
    eight_days_after = positive(
        participant, datetime.date(2026, 11, 18), Substance.BUPRENORPHINE, casemanager
    )

    assert program_settings.detection_tail_days[Substance.BUPRENORPHINE] == 7
    assert not counts(six_days_after)
    assert counts(eight_days_after)
    assert selectors.expected_substances(six_days_after) == {Substance.BUPRENORPHINE}
    assert selectors.expected_substances(eight_days_after) == set()

    program_settings.detection_tail_days = {Substance.BUPRENORPHINE: 3}
    program_settings.save(update_fields=["detection_tail_days"])
    assert counts(six_days_after)


def test_sobriety_counts_within_the_current_enrollment_only(program, participant, casemanager):
    old = participant.enrollments.get()
    old.entry_date = datetime.date(2025, 1, 10)
    old.status = EnrollmentStatus.TERMINATED
    old.save(update_fields=["entry_date", "status"])
    positive(participant, datetime.date(2025, 3, 1), Substance.COCAINE, casemanager)
    EnrollmentFactory(
        participant=participant,
        program=program,
        referral_date=datetime.date(2026, 9, 20),
        entry_date=datetime.date(2026, 10, 1),
    )

    assert selectors.days_sober(casemanager, participant, datetime.date(2026, 11, 1), now=NOW) == 31
