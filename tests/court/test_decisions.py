"""Decisions taken at a hearing: a phase change, graduation and termination. Only the session's
judge or a clerk listed on it records them, on or after the hearing's day, for a participant
the hearing heard; every refusal leaves the record as it was."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clients.models import Enrollment, EnrollmentStatus, EnrollmentStatusChange
from court import completion as completions
from court import services
from court.models import CompletionDecision, PhaseChange
from drugcourt.models import Phase, ProgramSettings
from drugcourt.roles import Role
from tests.court.builders import on_docket, session_on
from tests.factories import UserFactory, settings_since_2020

DAY = datetime.date(2026, 3, 3)
# Noon in Chicago on the hearing's day.
pytestmark = pytest.mark.usefixtures("_on_the_hearing_day")


@pytest.fixture
def _on_the_hearing_day():
    with time_machine.travel(datetime.datetime(2026, 3, 3, 18, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def program_settings(program):
    return settings_since_2020(program)


@pytest.fixture
def session(program, judge, clerk):
    return session_on(program, DAY, judge=judge, clerks=[clerk])


@pytest.fixture
def entry(session, participant):
    """The participant (active, phase 1) appeared at the hearing."""
    return on_docket(session, participant.enrollments.get(), appearance="appeared")


def enrollment_of(entry) -> Enrollment:
    return Enrollment.objects.get(pk=entry.enrollment_id)


def phase_change(
    entry, actor, *, to_phase=2, reason="Ninety days clean; attending groups.", **decision
):
    return services.phase_change_decide(
        entry=entry, to_phase=to_phase, reason=reason, actor=actor, **decision
    )


DISPOSITION = {"graduated": "dismissed", "terminated": "sentenced"}


def completion(entry, actor, *, kind="graduated", **fields):
    return completions.completion_decide(
        entry=entry,
        kind=kind,
        case_disposition=fields.pop("case_disposition", DISPOSITION.get(kind, "")),
        reason=fields.pop("reason", "Completed every phase."),
        actor=actor,
        **fields,
    )


def refused(call, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        call()
    assert message in " ".join(error.value.messages)


# ---------------------------------------------------------------------------------------------
# Phase changes


def test_the_judge_moves_a_participant_to_the_next_phase(entry, judge):
    change = phase_change(entry, judge)

    assert (change.from_phase, change.to_phase, change.decided_on, change.decided_by) == (
        1,
        2,
        DAY,
        judge,
    )
    assert change.reason == "Ninety days clean; attending groups."
    assert enrollment_of(entry).phase == 2


def test_a_clerk_listed_on_the_session_records_a_phase_change(entry, clerk):
    phase_change(entry, clerk, to_phase=2)

    assert enrollment_of(entry).phase == 2


def no_phase_change(entry, phase: int = 1) -> None:
    assert not PhaseChange.objects.exists()
    assert enrollment_of(entry).phase == phase


@pytest.mark.parametrize("who", ["coordinator", "prosecutor", "casemanager", "other_clerk"])
def test_only_the_sessions_judge_or_its_clerks_change_a_phase(entry, who, request, program):
    actor = (
        UserFactory(roles=[Role.CLERK], programs=[program])
        if who == "other_clerk"
        else request.getfixturevalue(who)
    )

    refused(lambda: phase_change(entry, actor), "Only the session's judge, or a clerk listed")
    no_phase_change(entry)


def test_a_phase_change_is_not_recorded_before_the_hearing(entry, judge):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 18, tzinfo=datetime.UTC), tick=False):
        refused(lambda: phase_change(entry, judge), "its decisions are recorded on that day")
    no_phase_change(entry)


@pytest.mark.parametrize(
    ("appearance", "message"),
    [
        ("", "Record whether the participant appeared first"),
        ("failed_to_appear", "failed to appear at this hearing: a phase change is decided at"),
        ("excused", "excused from appearing at this hearing"),
        ("removed", "taken off this docket"),
    ],
)
def test_a_phase_change_needs_a_hearing_the_participant_appeared_at(
    session, participant, judge, appearance, message
):
    entry = on_docket(session, participant.enrollments.get(), appearance=appearance, note="Ill")

    refused(lambda: phase_change(entry, judge), message)
    no_phase_change(entry)


def test_only_an_active_enrollment_changes_phase(entry, judge):
    Enrollment.objects.filter(pk=entry.enrollment_id).update(status=EnrollmentStatus.ABSCONDED)

    refused(lambda: phase_change(entry, judge), "this one is absconded")
    no_phase_change(entry)


def test_the_phase_must_be_in_the_list_in_force_on_the_hearing_day(entry, judge, program):
    """A sixth phase from the next day on does not exist yet at this hearing."""
    later = ProgramSettings.objects.create(
        program=program,
        effective_from=DAY + datetime.timedelta(days=1),
        change_note="A sixth phase",
        created_by=judge,
    )
    Phase.objects.bulk_create(
        Phase(
            settings=later,
            number=number,
            name=f"Phase {number}",
            tests_per_week=2,
            hearing_interval_weeks=2,
        )
        for number in range(1, 7)
    )

    refused(
        lambda: phase_change(entry, judge, to_phase=6),
        "The program has no phase 6 in the settings in force on Mar 3, 2026.",
    )
    no_phase_change(entry)


def test_a_phase_change_changes_the_phase(entry, judge):
    refused(lambda: phase_change(entry, judge, to_phase=1), "already in phase 1")
    no_phase_change(entry)


def test_a_phase_change_needs_its_reason(entry, judge):
    refused(lambda: phase_change(entry, judge, reason="  "), "Say why the phase changes.")
    no_phase_change(entry)


def test_a_phase_can_go_back_at_another_hearing(entry, judge, participant, program):
    phase_change(entry, judge, to_phase=2)
    afternoon = session_on(program, DAY, judge=judge, courtroom="3B")
    second = on_docket(afternoon, participant.enrollments.get(), appearance="appeared")

    phase_change(
        second,
        judge,
        to_phase=1,
        reason="Relapse; back to stabilization.",
        remedial_plan_note="Daily meetings for two weeks; relapse prevention group.",
    )

    assert list(PhaseChange.objects.values_list("from_phase", "to_phase")) == [(1, 2), (2, 1)]
    assert enrollment_of(entry).phase == 1


# ---------------------------------------------------------------------------------------------
# Graduation and termination


def test_the_judge_graduates_a_participant_at_the_hearing(entry, judge):
    decision = completion(entry, judge)

    assert (
        decision.kind,
        decision.case_disposition,
        decision.decided_on,
        decision.decided_by,
        decision.entry,
    ) == ("graduated", "dismissed", DAY, judge, entry)
    enrollment = enrollment_of(entry)
    assert (enrollment.status, enrollment.exit_date, enrollment.exit_reason) == (
        EnrollmentStatus.GRADUATED,
        DAY,
        "Completed every phase.",
    )
    change = EnrollmentStatusChange.objects.filter(enrollment=enrollment).get()
    assert (change.from_status, change.to_status, change.effective_date, change.changed_by) == (
        "active",
        "graduated",
        DAY,
        judge,
    )
    assert change.reason == "Completed every phase."


def test_an_absconded_participant_who_failed_to_appear_may_be_terminated(
    session, participant, clerk
):
    Enrollment.objects.filter(participant=participant).update(status=EnrollmentStatus.ABSCONDED)
    entry = on_docket(session, participant.enrollments.get(), appearance="failed_to_appear")

    completion(
        entry,
        clerk,
        kind="terminated",
        case_disposition="sentenced",
        disposition="Two years in the department of corrections.",
        reason="Absconded for four months; new arrest.",
    )

    enrollment = enrollment_of(entry)
    assert (enrollment.status, enrollment.exit_date) == (EnrollmentStatus.TERMINATED, DAY)
    decision = CompletionDecision.objects.get()
    assert (decision.case_disposition, decision.disposition) == (
        "sentenced",
        "Two years in the department of corrections.",
    )


def no_completion(entry, status=EnrollmentStatus.ACTIVE) -> None:
    assert not CompletionDecision.objects.exists()
    enrollment = enrollment_of(entry)
    assert (enrollment.status, enrollment.exit_date) == (status, None)
    assert not EnrollmentStatusChange.objects.filter(enrollment=enrollment).exists()


@pytest.mark.parametrize("who", ["coordinator", "casemanager", "defence"])
def test_only_the_sessions_judge_or_its_clerks_graduate(entry, who, request):
    refused(
        lambda: completion(entry, request.getfixturevalue(who)),
        "Only the session's judge, or a clerk listed",
    )
    no_completion(entry)


def test_a_judge_of_another_session_does_not_decide_this_ones_hearings(entry, program):
    other_judge = UserFactory(roles=[Role.JUDGE], programs=[program])

    refused(lambda: completion(entry, other_judge), "Only the session's judge")
    no_completion(entry)


def test_graduation_is_not_recorded_before_the_hearing(entry, judge):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 18, tzinfo=datetime.UTC), tick=False):
        refused(lambda: completion(entry, judge), "its decisions are recorded on that day")
    no_completion(entry)


@pytest.mark.parametrize(
    ("kind", "appearance", "message"),
    [
        ("graduated", "failed_to_appear", "graduation is decided at a hearing they attend"),
        ("graduated", "", "Record whether the participant appeared first"),
        ("terminated", "excused", "excused from appearing at this hearing: termination is"),
        ("terminated", "removed", "taken off this docket"),
    ],
)
def test_a_completion_needs_the_participant_heard(
    session, participant, judge, kind, appearance, message
):
    entry = on_docket(session, participant.enrollments.get(), appearance=appearance, note="Ill")

    refused(lambda: completion(entry, judge, kind=kind), message)
    no_completion(entry)


def test_an_absconded_participant_is_not_graduated(session, participant, judge):
    Enrollment.objects.filter(participant=participant).update(status=EnrollmentStatus.ABSCONDED)
    entry = on_docket(session, participant.enrollments.get(), appearance="appeared")

    refused(
        lambda: completion(entry, judge),
        "Only an active enrollment can be graduated; this one is absconded.",
    )
    no_completion(entry, EnrollmentStatus.ABSCONDED)


def test_a_closed_enrollment_is_not_terminated(entry, judge):
    Enrollment.objects.filter(pk=entry.enrollment_id).update(status=EnrollmentStatus.WITHDRAWN)

    refused(
        lambda: completion(entry, judge, kind="terminated"),
        "Only an active or absconded enrollment can be terminated; this one is withdrawn.",
    )
    no_completion(entry, EnrollmentStatus.WITHDRAWN)


def test_an_enrollment_is_completed_once(entry, judge, program, participant):
    completion(entry, judge)
    later = session_on(program, DAY, judge=judge, courtroom="3B")
    second = on_docket(later, participant.enrollments.get(), appearance="appeared")

    refused(
        lambda: completion(second, judge, kind="terminated"),
        "Graduated was already recorded for this enrollment on Mar 3, 2026.",
    )
    assert CompletionDecision.objects.count() == 1
    assert enrollment_of(entry).status == EnrollmentStatus.GRADUATED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"case_disposition": ""}, "Choose the disposition of a graduated participant's case"),
        ({"case_disposition": "sentenced"}, "Charges dismissed; Charges reduced; Sentence"),
        (
            {"kind": "terminated", "case_disposition": "dismissed"},
            "Sentenced on the original charge; Returned to the regular docket.",
        ),
        ({"reason": ""}, "Say why the participant is graduated."),
        ({"kind": "withdrawn"}, "Choose graduation or termination."),
        (
            {"kind": "terminated", "case_disposition": "sentenced", "ceremony_on": DAY},
            "Only a graduation has a ceremony.",
        ),
        (
            {"ceremony_on": DAY - datetime.timedelta(days=1)},
            "The ceremony cannot be before the hearing.",
        ),
    ],
)
def test_a_completion_needs_its_kind_disposition_and_reason(entry, judge, fields, message):
    refused(lambda: completion(entry, judge, **fields), message)
    no_completion(entry)
