"""Hearing frequency: the shorter of the accepted risk/need court interval and the phase's
default in the settings in force; the next hearing due from the last one heard (or the entry
date); who the coordinator is offered for a session's docket, in one query."""

import dataclasses
import datetime

import pytest

from assessments.models import Quadrant, RiskNeedAssessment
from clients.models import Enrollment, EnrollmentStatus
from court import selectors
from court.selectors import HearingInterval
from drugcourt.models import Phase, ProgramSettings
from drugcourt.services import DEFAULT_PHASES
from tests.court.builders import on_docket, session_on
from tests.factories import EnrollmentFactory, settings_since_2020

# The default phases hold hearings every 1, 2, 2, 4 and 4 weeks.
ENTRY = datetime.date(2026, 1, 20)  # the factories' entry date
DAY = datetime.date(2026, 3, 3)  # a Tuesday: six weeks after entry


@pytest.fixture(autouse=True)
def program_settings(program, other_program):
    settings_since_2020(other_program)
    return settings_since_2020(program)


def enrollment_of(participant) -> Enrollment:
    return participant.enrollments.get()


def in_phase(participant, phase: int) -> Enrollment:
    Enrollment.objects.filter(participant=participant).update(phase=phase)
    return enrollment_of(participant)


def assess(participant, assessor, court_every_weeks: int, on=datetime.date(2026, 2, 2)):
    return RiskNeedAssessment.objects.create(
        participant=participant,
        assessed_on=on,
        risk_answers={},
        need_answers={},
        risk_score=1,
        need_score=1,
        quadrant=Quadrant.HIGH_HIGH,
        recommended={},
        track="Standard drug court",
        court_every_weeks=court_every_weeks,
        tests_per_week=3,
        contacts_per_week=1,
        assessed_by=assessor,
    )


# ---------------------------------------------------------------------------------------------
# The interval


def test_the_phase_default_applies_without_an_assessment(participant):
    assert selectors.hearing_interval_for(enrollment_of(participant), DAY) == HearingInterval(
        1, "Phase 1 default"
    )
    assert selectors.hearing_interval_for(in_phase(participant, 4), DAY) == HearingInterval(
        4, "Phase 4 default"
    )


def test_an_accepted_court_interval_shorter_than_the_phase_default_applies(
    participant, casemanager
):
    enrollment = in_phase(participant, 4)  # every 4 weeks
    assess(participant, casemanager, court_every_weeks=2)

    assert selectors.hearing_interval_for(enrollment, DAY) == HearingInterval(
        2, "Supervision intensity accepted on Feb 2, 2026"
    )


def test_a_phase_default_shorter_than_the_accepted_interval_applies(participant, casemanager):
    assess(participant, casemanager, court_every_weeks=2)  # phase 1: every week

    assert selectors.hearing_interval_for(enrollment_of(participant), DAY) == HearingInterval(
        1, "Phase 1 default"
    )


def test_only_an_assessment_of_this_enrollment_made_by_that_day_counts(participant, casemanager):
    enrollment = in_phase(participant, 4)
    assess(participant, casemanager, court_every_weeks=1, on=datetime.date(2025, 12, 1))
    assess(participant, casemanager, court_every_weeks=2, on=DAY + datetime.timedelta(days=1))

    assert selectors.hearing_interval_for(enrollment, DAY).weeks == 4
    assert selectors.hearing_interval_for(enrollment, DAY + datetime.timedelta(days=1)).weeks == 2


def test_the_phase_default_comes_from_the_settings_in_force_that_day(
    program, participant, coordinator
):
    enrollment = in_phase(participant, 2)
    changed_on = datetime.date(2026, 3, 1)
    version = ProgramSettings.objects.create(
        program=program,
        effective_from=changed_on,
        change_note="Phase 2 monthly",
        created_by=coordinator,
    )
    Phase.objects.bulk_create(
        Phase(
            settings=version,
            number=number,
            **dataclasses.replace(
                phase, hearing_interval_weeks=4 if number == 2 else 1
            ).as_fields(),
        )
        for number, phase in enumerate(DEFAULT_PHASES, start=1)
    )

    assert (
        selectors.hearing_interval_for(enrollment, changed_on - datetime.timedelta(days=1)).weeks
        == 2
    )
    assert selectors.hearing_interval_for(enrollment, changed_on).weeks == 4


def test_no_interval_before_admission_without_an_assessment(participant):
    Enrollment.objects.filter(participant=participant).update(
        status=EnrollmentStatus.SCREENING, phase=None, entry_date=None
    )

    assert selectors.hearing_interval_for(enrollment_of(participant), DAY) is None


def test_the_default_next_hearing_is_one_interval_after_the_session(program, participant, judge):
    enrollment = in_phase(participant, 2)
    entry = on_docket(session_on(program, DAY, judge=judge), enrollment)

    assert selectors.next_hearing_default(entry) == DAY + datetime.timedelta(weeks=2)


# ---------------------------------------------------------------------------------------------
# Docket suggestions


def suggested(session) -> list:
    return [enrollment.participant for enrollment in selectors.docket_suggestions(session)]


def test_everyone_whose_next_hearing_is_due_by_the_session_is_suggested(
    program, participant, participant2, judge
):
    """Neither has been heard: due one interval after entry (phase 1: Jan 27; phase 5: Feb 17,
    after a session on Feb 10)."""
    in_phase(participant2, 5)
    session = session_on(program, datetime.date(2026, 2, 10), judge=judge)

    found = list(selectors.docket_suggestions(session))

    assert [enrollment.participant for enrollment in found] == [participant]
    assert found[0].next_hearing_due_on == ENTRY + datetime.timedelta(weeks=1)
    assert suggested(session_on(program, datetime.date(2026, 2, 17), judge=judge)) == [
        participant,
        participant2,
    ]


def test_the_next_hearing_set_at_the_last_hearing_decides(
    program, participant, participant2, judge
):
    earlier = session_on(program, DAY - datetime.timedelta(weeks=1), judge=judge)
    on_docket(earlier, enrollment_of(participant), appearance="appeared", next_hearing_on=DAY)
    on_docket(
        earlier,
        enrollment_of(participant2),
        appearance="appeared",
        next_hearing_on=DAY + datetime.timedelta(weeks=1),
    )

    assert suggested(session_on(program, DAY, judge=judge)) == [participant]


def test_a_hearing_that_set_no_date_is_followed_one_interval_later(
    program, participant, participant2, judge
):
    """participant2 failed to appear (no next date): due a week later, on the session's day;
    participant was heard and excused on the session's day itself."""
    earlier = session_on(program, DAY - datetime.timedelta(weeks=1), judge=judge)
    on_docket(earlier, enrollment_of(participant2), appearance="failed_to_appear")
    same_day = session_on(program, DAY, judge=judge, courtroom="3B")
    on_docket(same_day, enrollment_of(participant), appearance="excused")

    assert suggested(session_on(program, DAY, judge=judge)) == [participant2]


def test_who_is_on_a_docket_that_day_or_later_is_not_suggested_again(
    program, participant, participant2, judge
):
    session = session_on(program, DAY, judge=judge)
    later = session_on(program, DAY + datetime.timedelta(days=7), judge=judge)
    on_docket(session, enrollment_of(participant))
    taken_off = on_docket(
        later, enrollment_of(participant2), appearance="removed", note="In hospital"
    )

    assert suggested(session) == [taken_off.participant]


def test_only_active_enrollments_of_the_sessions_program_are_suggested(
    program, participant, participant2, foreign_participant, judge
):
    Enrollment.objects.filter(participant=participant2).update(status=EnrollmentStatus.ABSCONDED)

    assert suggested(session_on(program, DAY, judge=judge)) == [participant]


@pytest.mark.parametrize("participants", [1, 20])
def test_suggestions_take_one_query_for_any_number_of_participants(
    program, casemanager, judge, casemanager2, django_assert_num_queries, participants
):
    for number in range(participants):
        enrollment = EnrollmentFactory(program=program, participant__created_by=casemanager)
        assess(enrollment.participant, casemanager2, court_every_weeks=1 + number % 3)
    session = session_on(program, DAY, judge=judge)

    # One statement: the enrollments with their interval, last hearing and participant.
    with django_assert_num_queries(1):
        names = [enrollment.participant.legal_last_name for enrollment in suggested_rows(session)]

    assert len(names) == participants


def suggested_rows(session):
    return list(selectors.docket_suggestions(session))


# ---------------------------------------------------------------------------------------------
# The participant's next hearing


def test_the_next_hearing_is_the_upcoming_docket_entry(program, participant, judge):
    enrollment = enrollment_of(participant)
    entry = on_docket(session_on(program, DAY, judge=judge), enrollment)

    found = selectors.next_hearing_for(enrollment, today=DAY - datetime.timedelta(days=3))

    assert (found.on, found.entry, found.is_scheduled) == (DAY, entry, True)


def test_without_an_upcoming_entry_the_next_hearing_is_when_it_is_due(program, participant, judge):
    enrollment = in_phase(participant, 2)
    on_docket(
        session_on(program, DAY - datetime.timedelta(weeks=2), judge=judge),
        enrollment,
        appearance="appeared",
    )

    found = selectors.next_hearing_for(enrollment, today=DAY + datetime.timedelta(days=1))

    assert (found.on, found.is_scheduled) == (DAY, False)  # due yesterday: overdue


def test_a_closed_enrollment_has_no_next_hearing(participant):
    Enrollment.objects.filter(participant=participant).update(status=EnrollmentStatus.GRADUATED)

    assert selectors.next_hearing_for(enrollment_of(participant), today=DAY) is None
