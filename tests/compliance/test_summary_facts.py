"""The set-based monitoring facts under the compliance summary (issue 16 "Speed and scale"):
each participant's drug tests, attendance and sobriety since their own date, against
hand-computed fixtures, in the same number of queries at 1 and 20 participants."""

import datetime

import pytest

from clients.models import AppointmentKind, EnrollmentStatus
from compliance import selectors
from compliance.models import BlackoutPeriod, BlackoutReason, Prescription, TestReason, TestStatus
from drugcourt.models import Substance
from tests.compliance.builders import a_test, an_appointment
from tests.factories import EnrollmentFactory, ParticipantFactory

TODAY = datetime.date(2026, 11, 23)
NOW = datetime.datetime(2026, 11, 23, 18, 0, tzinfo=datetime.UTC)  # noon in Chicago
LAST_HEARING = datetime.date(2026, 11, 9)
DAY = datetime.timedelta(days=1)


def facts(program, since):
    return selectors.monitoring_facts(program, since, today=TODAY, now=NOW)


# ---------------------------------------------------------------------------------------------
# Drug tests


def test_tests_since_the_last_hearing_leave_the_day_before_out(program, participant):
    a_test(participant, LAST_HEARING - DAY, TestStatus.POSITIVE, Substance.COCAINE)
    a_test(participant, LAST_HEARING, TestStatus.NEGATIVE)
    a_test(participant, LAST_HEARING + DAY, TestStatus.POSITIVE, Substance.COCAINE)
    a_test(participant, LAST_HEARING + 2 * DAY, TestStatus.POSITIVE, Substance.COCAINE)
    a_test(participant, LAST_HEARING + 3 * DAY, TestStatus.POSITIVE, Substance.FENTANYL,
           Substance.COCAINE)  # fmt: skip
    a_test(participant, LAST_HEARING + 4 * DAY, TestStatus.MISSED)
    a_test(participant, LAST_HEARING + 5 * DAY, TestStatus.REFUSED)
    a_test(participant, LAST_HEARING + 6 * DAY, TestStatus.DILUTE)
    a_test(participant, LAST_HEARING + 7 * DAY, TestStatus.ADULTERATED)
    a_test(participant, LAST_HEARING + 8 * DAY, TestStatus.SUBSTITUTED)
    a_test(participant, LAST_HEARING + 9 * DAY, TestStatus.PENDING)
    a_test(participant, TODAY + DAY, TestStatus.SCHEDULED)  # tomorrow: not yet
    # Drawn for today and not yet called: sealed, known to nobody.
    a_test(participant, TODAY, TestStatus.SCHEDULED, reason=TestReason.RANDOM, notified_at=None)

    found = facts(program, {participant.pk: LAST_HEARING})[participant.pk].drug_tests

    assert found == selectors.DrugTestFacts(
        since=LAST_HEARING,
        tests=10,
        negatives=1,
        positives=3,
        missed=1,
        refused=1,
        dilute=1,
        adulterated=1,
        substituted=1,
        pending=1,
        # Every policy outcome counts as positive in the test settings.
        counted_positive=8,
        positives_by_substance=((Substance.COCAINE, 3), (Substance.FENTANYL, 1)),
    )


def test_positives_explained_by_prescribed_medication_are_apart(program, participant, casemanager):
    Prescription.objects.create(
        participant=participant,
        drug="Buprenorphine/naloxone",
        dose="8 mg",
        prescriber="Dr Lee",
        for_substance_use_disorder=True,
        starts_on=datetime.date(2026, 10, 1),
        explains=[Substance.BUPRENORPHINE],
        recorded_by=casemanager,
    )
    a_test(participant, LAST_HEARING + DAY, TestStatus.POSITIVE, Substance.BUPRENORPHINE)
    a_test(participant, LAST_HEARING + 2 * DAY, TestStatus.POSITIVE, Substance.BUPRENORPHINE)
    # Expected buprenorphine, unexplained cocaine: a violation, its buprenorphine apart.
    a_test(participant, LAST_HEARING + 3 * DAY, TestStatus.POSITIVE, Substance.BUPRENORPHINE,
           Substance.COCAINE)  # fmt: skip

    found = facts(program, {participant.pk: LAST_HEARING})[participant.pk]

    assert (found.drug_tests.tests, found.drug_tests.positives) == (3, 1)
    assert found.drug_tests.explained == 2
    assert found.drug_tests.positives_by_substance == ((Substance.COCAINE, 1),)
    assert found.drug_tests.explained_by_substance == ((Substance.BUPRENORPHINE, 3),)
    assert found.sobriety.last_positive == LAST_HEARING + 3 * DAY


def test_sobriety_runs_from_the_last_positive_or_else_from_entry(
    program, participant, participant2, casemanager
):
    a_test(participant, datetime.date(2026, 6, 1), TestStatus.POSITIVE, Substance.COCAINE)
    a_test(participant, datetime.date(2026, 11, 3), TestStatus.POSITIVE, Substance.COCAINE)
    a_test(participant, datetime.date(2026, 11, 10), TestStatus.NEGATIVE)
    a_test(participant2, datetime.date(2026, 11, 10), TestStatus.NEGATIVE)

    found = facts(program, {participant.pk: LAST_HEARING, participant2.pk: LAST_HEARING})

    # The positive before the last hearing still ends the run of sobriety.
    assert found[participant.pk].sobriety == selectors.Sobriety(
        entry_date=datetime.date(2026, 1, 20),
        last_positive=datetime.date(2026, 11, 3),
        days=20,
    )
    assert found[participant.pk].drug_tests.positives == 0
    # No positive: from entry on January 20.
    assert found[participant2.pk].sobriety.days == 307
    # The participant page reads the same figure.
    assert selectors.days_sober(casemanager, participant, TODAY, now=NOW) == 20


def test_a_participant_in_custody_has_excused_tests_not_misses(program, participant, casemanager):
    BlackoutPeriod.objects.create(
        participant=participant,
        reason=BlackoutReason.CUSTODY,
        starts_on=LAST_HEARING + 2 * DAY,
        recorded_by=casemanager,
    )
    a_test(participant, LAST_HEARING + DAY, TestStatus.NEGATIVE)
    for offset in (3, 5, 8):
        a_test(participant, LAST_HEARING + offset * DAY, TestStatus.EXCUSED)

    found = facts(program, {participant.pk: LAST_HEARING})[participant.pk]

    assert found.drug_tests == selectors.DrugTestFacts(
        since=LAST_HEARING, tests=1, negatives=1, excused=3
    )
    assert found.sobriety.days == (TODAY - datetime.date(2026, 1, 20)).days


def test_a_readmitted_participant_counts_only_the_current_enrollment_of_the_program(
    program, other_program, participant
):
    old = participant.enrollments.get()
    old.status = EnrollmentStatus.TERMINATED
    old.save(update_fields=["status"])
    a_test(participant, datetime.date(2026, 10, 20), TestStatus.POSITIVE, Substance.COCAINE)
    an_appointment(participant, datetime.date(2026, 10, 21), AppointmentKind.TREATMENT, "missed")
    EnrollmentFactory(
        participant=participant,
        program=program,
        referral_date=datetime.date(2026, 10, 25),
        entry_date=datetime.date(2026, 11, 1),
    )
    # A test of the participant in another program is not this program's record.
    a_test(
        participant,
        datetime.date(2026, 11, 5),
        TestStatus.POSITIVE,
        Substance.COCAINE,
        program=other_program,
    )
    a_test(participant, datetime.date(2026, 11, 6), TestStatus.NEGATIVE, program=program)
    an_appointment(participant, datetime.date(2026, 11, 6), AppointmentKind.TREATMENT, "attended")

    # Asked since a day of the old enrollment: counted from the new entry.
    found = facts(program, {participant.pk: datetime.date(2026, 10, 1)})[participant.pk]

    assert found.since == datetime.date(2026, 11, 1)
    assert (found.drug_tests.tests, found.drug_tests.positives) == (1, 0)
    assert found.treatment == selectors.Attendance(since=found.since, attended=1, missed=0)
    assert found.sobriety.days == (TODAY - datetime.date(2026, 11, 1)).days


# ---------------------------------------------------------------------------------------------
# Attendance


def test_attendance_at_treatment_and_case_management_apart(program, participant, casemanager):
    an_appointment(participant, LAST_HEARING - DAY, AppointmentKind.TREATMENT, "missed")
    for outcome in ("attended", "late", "missed", "excused", "cancelled", ""):
        an_appointment(participant, LAST_HEARING + DAY, AppointmentKind.TREATMENT, outcome)
    for outcome in ("attended", "attended", "attended", "missed"):
        an_appointment(participant, LAST_HEARING + 2 * DAY, AppointmentKind.CASE_MANAGER, outcome)
    an_appointment(
        participant, LAST_HEARING + 2 * DAY, AppointmentKind.COURT, "missed", program=program
    )

    found = facts(program, {participant.pk: LAST_HEARING})[participant.pk]

    assert found.treatment == selectors.Attendance(since=LAST_HEARING, attended=2, missed=1)
    assert found.treatment.rate == 67
    assert found.case_management == selectors.Attendance(since=LAST_HEARING, attended=3, missed=1)
    assert found.case_management.rate == 75
    # The participant page's figure is the same definition.
    assert (
        selectors.attendance_rate(
            casemanager, participant, LAST_HEARING, kinds=selectors.CASE_MANAGEMENT_KINDS
        )
        == 75
    )


def test_nothing_to_attend_has_no_rate(program, participant):
    found = facts(program, {participant.pk: LAST_HEARING})[participant.pk]
    assert found.treatment.rate is None
    assert found.drug_tests == selectors.DrugTestFacts(since=LAST_HEARING)


# ---------------------------------------------------------------------------------------------
# Scale


def _participants_with_history(program, count):
    since = {}
    for n in range(count):
        person = EnrollmentFactory(program=program).participant
        a_test(person, LAST_HEARING + DAY, TestStatus.POSITIVE, Substance.COCAINE)
        a_test(person, LAST_HEARING + 2 * DAY, TestStatus.NEGATIVE)
        an_appointment(person, LAST_HEARING + DAY, AppointmentKind.TREATMENT, "attended")
        an_appointment(person, LAST_HEARING + DAY, AppointmentKind.CASE_MANAGER, "missed")
        since[person.pk] = LAST_HEARING - n * DAY
    return since


@pytest.mark.parametrize("count", [1, 20])
def test_the_query_count_is_the_same_at_1_and_20_participants(
    program, count, django_assert_num_queries
):
    since = _participants_with_history(program, count)
    # 1 the newest enrollment of each in the program with its last positive, 2 attendance at
    # treatment and at case management, 3 the tests by status, 4 their findings by substance.
    with django_assert_num_queries(4):
        found = facts(program, since)
    assert len(found) == count
    assert {row.drug_tests.positives for row in found.values()} == {1}
    assert {row.case_management.missed for row in found.values()} == {1}


def test_no_participants_no_facts(program):
    assert facts(program, {}) == {}


def test_a_participant_without_an_enrollment_in_the_program_has_no_sobriety(program):
    stranger = ParticipantFactory()
    found = facts(program, {stranger.pk: LAST_HEARING})[stranger.pk]
    assert found.sobriety == selectors.Sobriety()
    assert found.since == LAST_HEARING


def test_days_sober_of_a_participant_whose_enrollment_the_user_does_not_see(
    judge, foreign_participant
):
    assert selectors.days_sober(judge, foreign_participant, TODAY, now=NOW) is None
