"""Issue 13's rules on how often, and what counts: the phase default and the risk/need
intensity combine as the more intensive; a frequency under the program minimum needs a
documented exception; months short of the minimum are listed for the coordinator; a stopped
prescription explains its positives for the substance's detection tail; sobriety counts within
the current enrollment."""

import datetime
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.services import Intensity
from clients.models import Enrollment, EnrollmentStatus
from compliance import draw as draw_module
from compliance import selectors
from compliance import services as compliance_services
from compliance.models import (
    DrugTest,
    DrugTestResult,
    Prescription,
    SubstanceResult,
    TestingOrder,
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


# ---------------------------------------------------------------------------------------------
# Court testing orders (issue 15)

NOV_20 = datetime.date(2026, 11, 20)


def order(participant, judge, tests_per_week, starts_on, ends_on, *, program=None):
    return compliance_services.testing_order_create(
        participant=participant,
        program=program or participant.enrollments.get().program,
        tests_per_week=tests_per_week,
        starts_on=starts_on,
        ends_on=ends_on,
        reason="Sanction: increased testing.",
        actor=judge,
    )


def test_a_court_order_in_force_sets_the_frequency_over_phase_and_assessment(
    participant, casemanager, judge
):
    assess(participant, casemanager, 2)  # phase 1 says three a week
    order(participant, judge, 5, datetime.date(2026, 11, 16), datetime.date(2026, 11, 29))

    found = selectors.testing_frequency_for(participant, NOV_20, with_reasoning=False)

    assert found.tests_per_week == 5
    assert found.source == "Court order of Nov 16, 2026 until Nov 29, 2026"
    for day in (datetime.date(2026, 11, 16), datetime.date(2026, 11, 29)):
        assert selectors.testing_frequency_for(participant, day, with_reasoning=False) == found
    before = selectors.testing_frequency_for(
        participant, datetime.date(2026, 11, 15), with_reasoning=False
    )
    after = selectors.testing_frequency_for(
        participant, datetime.date(2026, 11, 30), with_reasoning=False
    )
    assert before.tests_per_week == after.tests_per_week == 3
    assert "Default for phase 1" in after.source


def test_a_court_order_overrides_a_documented_exception_but_not_the_minimum(
    participant, participant2, casemanager, casemanager2, judge
):
    assess(participant, casemanager, 1, frequency_exception="Dialysis three days a week.")
    order(participant, judge, 4, NOV_20, NOV_20)
    Enrollment.objects.filter(participant=participant2).update(phase=5)  # once a week
    order(participant2, judge, 1, NOV_20, NOV_20)  # under the program minimum of two

    assert frequency(participant) == 4
    found = selectors.testing_frequency_for(participant2, NOV_20, with_reasoning=True)
    assert found.tests_per_week == 2
    assert found.source == (
        "Court order of Nov 20, 2026 until Nov 20, 2026, raised to the program minimum of 2 a week"
    )


def test_the_latest_order_in_force_decides(participant, judge):
    order(participant, judge, 6, datetime.date(2026, 11, 2), datetime.date(2026, 11, 30))
    order(participant, judge, 4, datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))

    assert frequency(participant) == 4
    assert (
        selectors.testing_frequency_for(
            participant, datetime.date(2026, 11, 23), with_reasoning=True
        ).tests_per_week
        == 6
    )


def test_an_order_of_another_program_does_not_apply(
    participant, judge, other_program, foreign_participant
):
    EnrollmentFactory(participant=participant, program=other_program, phase=1)
    # Only the enrollment of the program that ordered it is tested more.
    order(participant, judge, 7, NOV_20, NOV_20, program=other_program)
    lakeview = participant.enrollments.get(program__name="Lakeview Adult Drug Court")

    rows = {
        row.program_id: row.tests_per_week
        for row in selectors.with_testing_frequency(participant.enrollments.all(), NOV_20)
    }
    assert rows == {lakeview.program_id: 3, other_program.pk: 7}
    assert frequency(foreign_participant) == 3


@pytest.mark.parametrize(
    ("tests_per_week", "starts_on", "ends_on", "reason", "message"),
    [
        (0, NOV_20, NOV_20, "x", "from 1 to 7"),
        (8, NOV_20, NOV_20, "x", "from 1 to 7"),
        (3, NOV_20, datetime.date(2026, 11, 19), "x", "ends before it starts"),
        (3, NOV_20, NOV_20 + datetime.timedelta(days=182), "x", "at most 26 weeks"),
        (3, NOV_20, NOV_20, "  ", "Say why"),
    ],
)
def test_a_bad_testing_order_is_refused_and_nothing_saved(
    participant, judge, tests_per_week, starts_on, ends_on, reason, message
):
    with pytest.raises(ValidationError, match=message):
        compliance_services.testing_order_create(
            participant=participant,
            program=participant.enrollments.get().program,
            tests_per_week=tests_per_week,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            actor=judge,
        )
    assert not TestingOrder.objects.exists()


def test_no_testing_order_for_a_program_the_participant_is_not_in(
    participant, judge, other_program
):
    with pytest.raises(ValidationError, match="not enrolled in this program"):
        order(participant, judge, 4, NOV_20, NOV_20, program=other_program)
    assert not TestingOrder.objects.exists()


def test_the_weekly_draw_calls_at_the_ordered_frequency(program, participant, judge):
    monday = datetime.date(2026, 11, 23)
    order(participant, judge, 7, monday, monday + datetime.timedelta(days=6))

    with time_machine.travel(datetime.datetime(2026, 11, 22, 12, tzinfo=datetime.UTC)):
        draw = draw_module.test_draw_make(
            program=program, iso_year=2026, iso_week=48, now=timezone.now()
        )

    assert draw.tests.filter(participant=participant).count() == 7


def test_the_order_is_found_through_its_index_for_every_enrollment(
    program, participant, casemanager, judge
):
    """The draw reads every active enrollment's frequency in one statement: the order of each is
    one index lookup on testing_order_idx (participant, program, starts_on), never a scan of
    all orders per enrollment."""
    people = [EnrollmentFactory(program=program, phase=1).participant for _ in range(30)]
    for person in people:
        order(person, judge, 4, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE compliance_testingorder")
    sql, params = selectors.enrollments_to_test(program.pk, NOV_20).query.sql_with_params()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    on_orders = [
        node
        for node in nodes(plan[0]["Plan"])
        if node.get("Relation Name") == "compliance_testingorder"
    ]
    assert on_orders
    assert {node.get("Index Name") for node in on_orders} == {"testing_order_idx"}
