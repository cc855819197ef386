"""A double submit writes once (docs/decisions/0011-guarded-writes.md).

Each case sends the same write twice at the same time, as two requests would: two threads, each
with its own database connection and its own copy of the row, loaded before either write began
(as each view loads it). The first pauses inside its transaction right after taking its guard;
the second starts, and once PostgreSQL reports it waiting for the first's lock, the first
commits. The second must then be refused with a clear message, and the row changed once.
No sleeps: the pause is an Event, the wait is the row lock itself."""

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from assessments import services as assessment_services
from assessments.models import ScreeningDecision
from clients import services as client_services
from clients.access import DataClass
from clients.models import (
    Alert,
    CaseAssignment,
    Contact,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    Participant,
    TeamRole,
)
from compliance import services as compliance_services
from compliance.models import DrugTest
from court import services as court_services
from court.completion import completion_decide, enrollment_close
from court.models import (
    Appearance,
    CommunityServiceObligation,
    CompletionDecision,
    CourtSession,
    DocketEntry,
    PhaseChange,
    Warrant,
)
from court.services import community_service_log_hours, response_record
from drugcourt.models import NoteFormat, ProgramSettings, ResponseOption, Substance, User
from drugcourt.roles import Role
from drugcourt.services import (
    program_settings_change_alert_thresholds,
    program_settings_change_note_format,
    staff_deactivate,
)
from tests.compliance.test_services import LATER, NOW, TODAY, collection, result
from tests.court.builders import on_docket, session_on
from tests.factories import (
    EnrollmentFactory,
    UserFactory,
    assign,
    log_contact,
    placed_on_docket,
    settings_since_2020,
)
from tests.treatment_plans.test_plans import START, draft_with_objective
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services as plan_services
from treatment_plans.models import Referral, ServiceEpisode, TreatmentPlan

pytestmark = pytest.mark.django_db(transaction=True)

# Generous: only reached when a write never takes or never waits for a lock.
DEADLINE_SECONDS = 20


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None
    backend_pid: int | None = None


def _pause_after_guard(guarded: threading.Event, release: threading.Event) -> Callable:
    """An execute wrapper that holds the transaction open right after its first row lock
    (SELECT ... FOR UPDATE, or a conditional UPDATE) until `release` is set."""

    def wrapper(execute, sql, params, many, context):
        outcome = execute(sql, params, many, context)
        if not guarded.is_set() and ("FOR UPDATE" in sql or sql.startswith("UPDATE")):
            guarded.set()
            if not release.wait(DEADLINE_SECONDS):
                raise TimeoutError("the test never released the first write")
        return outcome

    return wrapper


def _run(call: Callable[[], Any], outcome: Outcome, *, wrapper=None, ready=None) -> None:
    try:
        connection.ensure_connection()
        outcome.backend_pid = connection.connection.get_backend_pid()
        if ready is not None:
            ready.set()
        if wrapper is None:
            outcome.value = call()
        else:
            with connection.execute_wrapper(wrapper):
                outcome.value = call()
    except BaseException as error:  # the main thread asserts on it
        outcome.error = error
    finally:
        connection.close()


def _blocked_by(waiting_pid: int, holder_pid: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [holder_pid, waiting_pid])
        return cursor.fetchone()[0]


def submit_twice(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Outcome, Outcome]:
    """Runs `first` until it holds its guard, then `second` until PostgreSQL says it waits for
    the first's lock, then lets both finish and returns their outcomes."""
    guarded, release, second_ready, second_done = (threading.Event() for _ in range(4))
    one, two = Outcome(), Outcome()

    def run_second():
        _run(second, two, ready=second_ready)
        second_done.set()

    def run_first():
        _run(first, one, wrapper=_pause_after_guard(guarded, release))
        guarded.set()  # also when it finished without ever pausing

    first_thread = threading.Thread(target=run_first)
    second_thread = threading.Thread(target=run_second)
    waited = False
    first_thread.start()
    try:
        guarded.wait(DEADLINE_SECONDS)
        assert first_thread.is_alive(), f"the first write took no row lock ({one})"
        second_thread.start()
        assert second_ready.wait(DEADLINE_SECONDS)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and not second_done.is_set():
            if _blocked_by(two.backend_pid, one.backend_pid):
                waited = True
                break
            second_done.wait(0.005)  # wakes at once when the second write finished
    finally:
        release.set()
        first_thread.join(DEADLINE_SECONDS)
        if second_thread.is_alive():
            second_thread.join(DEADLINE_SECONDS)
    assert not first_thread.is_alive()
    assert not second_thread.is_alive()
    assert waited, f"the second write never waited for the first's lock ({two})"
    return one, two


def _updates(row) -> int:
    """How often the row was changed, from its history."""
    history = type(row).pgh_event_model.objects
    return history.filter(pgh_obj_id=row.pk, pgh_label="update").count()


@dataclass
class Case:
    """`make(world)` builds the row and returns (load, write): `load()` reads the row as a view
    would, `write(row)` calls the service on that copy. `count(row)` counts what the write
    writes: by default the row's own changes."""

    make: Callable[[dict], tuple[Callable[[], Any], Callable[[Any], Any]]]
    refusal: str
    count: Callable[[Any], int] = _updates


def _test(world, *, collected=False, resulted=None):
    test = compliance_services.drug_test_order(
        participant=world["participant"],
        scheduled_for=TODAY,
        specimen_type="urine",
        reason="Appeared impaired",
        actor=world["casemanager"],
        now=NOW,
    )
    actor = world["casemanager"]
    if collected:
        compliance_services.drug_test_record_collection(
            test=test, data=collection(), actor=actor, now=LATER
        )
    if resulted is not None:
        compliance_services.drug_test_record_result(
            test=test, data=resulted, actor=actor, now=LATER
        )
    return lambda: DrugTest.objects.get(pk=test.pk)


def collection_case(world):
    load = _test(world)
    return load, lambda test: compliance_services.drug_test_record_collection(
        test=test, data=collection(), actor=world["casemanager"], now=LATER
    )


def refusal_case(world):
    load = _test(world)
    return load, lambda test: compliance_services.drug_test_record_refusal(
        test=test, note="Walked out", actor=world["casemanager"], now=LATER
    )


def result_case(world):
    load = _test(world, collected=True)
    return load, lambda test: compliance_services.drug_test_record_result(
        test=test, data=result(), actor=world["casemanager"], now=LATER
    )


def correction_case(world):
    load = _test(world, collected=True, resulted=result(Substance.COCAINE))
    return load, lambda test: compliance_services.drug_test_correct_result(
        test=test,
        data=result(),
        reason="Wrong specimen",
        corrects_version=1,
        actor=world["casemanager"],
        now=LATER,
    )


def confirmation_case(world):
    load = _test(world, collected=True, resulted=result(Substance.COCAINE))
    return load, lambda test: compliance_services.drug_test_request_confirmation(
        test=test, actor=world["casemanager"], now=LATER
    )


def _enrollment(world, status=EnrollmentStatus.ACTIVE) -> Enrollment:
    """An enrollment of a participant of its own on the case manager's caseload."""
    enrollment = EnrollmentFactory(
        program=world["program"], status=status, participant__created_by=world["casemanager"]
    )
    assign(enrollment.participant, world["casemanager"])
    return enrollment


def enrollment_status_case(world):
    enrollment = _enrollment(world)
    return lambda: Enrollment.objects.get(
        pk=enrollment.pk
    ), lambda row: client_services.enrollment_change_status(
        enrollment=row,
        to_status=EnrollmentStatus.ABSCONDED,
        effective_date=TODAY,
        reason="Missed court and cannot be reached",
        actor=world["casemanager"],
    )


def _alert(world):
    alert = client_services.alert_raise(
        participant=world["participant"],
        kind="test_missed",
        source_key=f"test:{Alert.objects.count()}",
        data_class=DataClass.DRUG_TESTS,
        message="Missed a test",
    )
    return lambda: Alert.objects.get(pk=alert.pk)


def alert_acknowledge_case(world):
    return _alert(world), lambda row: client_services.alert_acknowledge(
        alert=row, actor=world["casemanager"]
    )


def alert_resolve_case(world):
    return _alert(world), lambda row: client_services.alert_resolve(
        alert=row, note="Excused by the judge", actor=world["casemanager"]
    )


def follow_up_case(world):
    actor = world["casemanager"]
    follow_up = FollowUp.objects.create(
        participant=world["participant"],
        description="Call the employer",
        due_on=TODAY,
        assigned_to=actor,
        created_by=actor,
    )
    return lambda: FollowUp.objects.get(
        pk=follow_up.pk
    ), lambda row: client_services.follow_up_complete(follow_up=row, actor=actor)


def assignment_end_case(world):
    assignment = client_services.assignment_create(
        participant=world["participant"],
        user=world["casemanager2"],
        team_role=TeamRole.CASE_MANAGER,
        actor=world["coordinator"],
    )
    return lambda: CaseAssignment.objects.get(
        pk=assignment.pk
    ), lambda row: client_services.assignment_end(assignment=row, actor=world["coordinator"])


def entered_in_error_case(world):
    contact = log_contact(world["participant"], world["casemanager"])
    return lambda: Contact.objects.get(
        pk=contact.pk
    ), lambda row: client_services.contact_mark_entered_in_error(
        contact=row, reason="Wrong participant", actor=world["casemanager"]
    )


def screening_case(world):
    enrollment = _enrollment(world, EnrollmentStatus.REFERRED)
    return lambda: Enrollment.objects.get(
        pk=enrollment.pk
    ), lambda row: assessment_services.screening_record(
        enrollment=row,
        screened_on=enrollment.referral_date,
        legal_criteria={"Eligible charge": True},
        substance_use_disorder_indicated=True,
        level_of_care_available=True,
        decision=ScreeningDecision.ELIGIBLE,
        reason="Meets every criterion",
        actor=world["casemanager"],
    )


def _referral(world, *, accepted=False, intake=False):
    provider = world["provider"]
    referral = refer(world["participant"], provider.organization, world["casemanager"])
    if accepted:
        plan_services.referral_accept(referral=referral, actor=provider)
    if intake:
        plan_services.referral_schedule_intake(
            referral=referral, scheduled_at=LATER, location="Main clinic", actor=provider
        )
    return referral


def referral_accept_case(world):
    referral = _referral(world)
    return lambda: Referral.objects.get(pk=referral.pk), lambda row: plan_services.referral_accept(
        referral=row, actor=world["provider"]
    )


def referral_intake_case(world):
    referral = _referral(world, accepted=True)
    return lambda: Referral.objects.get(
        pk=referral.pk
    ), lambda row: plan_services.referral_schedule_intake(
        referral=row, scheduled_at=LATER, location="Main clinic", actor=world["provider"]
    )


def referral_intake_outcome_case(world):
    referral = _referral(world, accepted=True, intake=True)
    return lambda: Referral.objects.get(
        pk=referral.pk
    ), lambda row: plan_services.referral_record_intake(
        referral=row, outcome="attended", actor=world["provider"]
    )


def episode_discharge_case(world):
    referral = _referral(world, accepted=True)
    episode = referral.episode
    return lambda: ServiceEpisode.objects.get(
        pk=episode.pk
    ), lambda row: plan_services.episode_discharge(
        episode=row,
        reason="completed",
        summary="Completed the programme",
        discharged_on=row.started_on,
        actor=world["provider"],
    )


def plan_activation_case(world):
    plan = draft_with_objective(world["participant"], world["casemanager"])
    return lambda: TreatmentPlan.objects.get(pk=plan.pk), lambda row: plan_services.plan_activate(
        plan=row, acknowledged_on=START + datetime.timedelta(days=1), actor=world["casemanager"]
    )


def _participant(world, participant=None):
    participant = participant or world["participant"]
    return lambda: Participant.objects.get(pk=participant.pk)


def need_case(world):
    return _participant(world), lambda row: assessment_services.need_record(
        participant=row,
        domain="housing",
        priority="high",
        description="Sleeping on a couch",
        identified_on=START,
        actor=world["casemanager"],
    )


def team_assignment_case(world):
    return _participant(world), lambda row: client_services.assignment_create(
        participant=row,
        user=world["probation"],
        team_role=TeamRole.PROBATION_OFFICER,
        actor=world["coordinator"],
    )


def readmission_case(world):
    graduated = _enrollment(world, EnrollmentStatus.GRADUATED).participant
    return _participant(world, graduated), lambda row: client_services.enrollment_create(
        participant=row,
        data=client_services.EnrollmentData(
            program=world["program"],
            case_number="DC-2026-9999",
            referral_date=TODAY,
            referral_source="defence",
        ),
        actor=world["coordinator"],
    )


def _heard(world):
    """The participant of an enrollment of their own appeared at a hearing today."""
    session = session_on(
        world["program"], TODAY, judge=world["judge"], courtroom=f"{Enrollment.objects.count()}"
    )
    entry = on_docket(session, _enrollment(world), appearance="appeared")
    return lambda: DocketEntry.objects.get(pk=entry.pk)


def phase_change_case(world):
    return _heard(world), lambda row: court_services.phase_change_decide(
        entry=row, to_phase=2, reason="Ninety days clean", actor=world["judge"]
    )


def completion_case(world):
    return _heard(world), lambda row: completion_decide(
        entry=row,
        kind="graduated",
        case_disposition="dismissed",
        reason="Completed every phase",
        actor=world["judge"],
    )


def withdrawal_case(world):
    enrollment = _enrollment(world)
    return lambda: Enrollment.objects.get(pk=enrollment.pk), lambda row: enrollment_close(
        enrollment=row,
        kind="withdrawn",
        effective_date=TODAY,
        reason="Moved out of state",
        actor=world["coordinator"],
    )


def _hearing(world, courtroom: str):
    """The world's participant heard today by the world's judge."""
    judge = world["judge"]
    session = session_on(world["program"], TODAY, judge=judge, courtroom=courtroom)
    entry = on_docket(session, world["participant"].enrollments.get(), appearance="appeared")
    return entry, judge


def _option(world, name: str) -> ResponseOption:
    return ResponseOption.objects.get(settings__program=world["program"], name=name)


def court_response_case(world):
    entry, judge = _hearing(world, "2A")
    return lambda: DocketEntry.objects.get(pk=entry.pk), lambda row: response_record(
        entry=row, option=_option(world, "Essay"), actor=judge, now=LATER
    )


def service_hours_case(world):
    entry, judge = _hearing(world, "2B")
    obligation = response_record(
        entry=entry, option=_option(world, "Community service"), actor=judge, hours=8, now=LATER
    ).obligation
    return lambda: CommunityServiceObligation.objects.get(
        pk=obligation.pk
    ), lambda row: community_service_log_hours(
        obligation=row, worked_on=TODAY, hours=Decimal(5), actor=world["casemanager"]
    )


def _docket_entry(world) -> DocketEntry:
    """A participant of its own on today's docket."""
    return placed_on_docket(
        _enrollment(world), coordinator=world["coordinator"], judge=world["judge"]
    )


def docket_place_case(world):
    session = _docket_entry(world).session
    enrollment = _enrollment(world)
    return lambda: CourtSession.objects.get(pk=session.pk), lambda row: court_services.docket_place(
        session=row, enrollment=enrollment, actor=world["coordinator"]
    )


def hearing_outcome_case(world):
    entry = _docket_entry(world)
    return lambda: DocketEntry.objects.get(
        pk=entry.pk
    ), lambda row: court_services.hearing_record_outcome(
        entry=row,
        appearance=Appearance.APPEARED,
        next_hearing_on=row.session.held_on + datetime.timedelta(weeks=2),
        next_hearing_reason="The judge is away next week",
        actor=world["judge"],
    )


def docket_remove_case(world):
    entry = _docket_entry(world)
    return lambda: DocketEntry.objects.get(pk=entry.pk), lambda row: court_services.docket_remove(
        entry=row, reason="In residential treatment", actor=world["coordinator"]
    )


def warrant_request_case(world):
    enrollment = _enrollment(world)
    return lambda: Enrollment.objects.get(
        pk=enrollment.pk
    ), lambda row: court_services.warrant_request(
        enrollment=row, reason="Not seen for three weeks", actor=world["coordinator"]
    )


def _warrant(world, *, issued=False) -> Warrant:
    warrant = court_services.warrant_request(
        enrollment=_enrollment(world), reason="Not seen for three weeks", actor=world["judge"]
    )
    if issued:
        court_services.warrant_issue(warrant=warrant, on=warrant.requested_on, actor=world["judge"])
    return warrant


def warrant_issue_case(world):
    warrant = _warrant(world)
    return lambda: Warrant.objects.get(pk=warrant.pk), lambda row: court_services.warrant_issue(
        warrant=row, on=row.requested_on, actor=world["judge"]
    )


def warrant_serve_case(world):
    warrant = _warrant(world, issued=True)
    return lambda: Warrant.objects.get(pk=warrant.pk), lambda row: court_services.warrant_serve(
        warrant=row, on=row.requested_on, actor=world["coordinator"]
    )


CASES = {
    "drug test collection": Case(collection_case, "Only a scheduled test can be collected"),
    "drug test refusal": Case(refusal_case, "Only a scheduled test can be refused"),
    "drug test result": Case(result_case, "only be recorded for a collected specimen"),
    "drug test correction": Case(correction_case, "version 2 was recorded after you opened"),
    "confirmation request": Case(confirmation_case, "Confirmation was already requested"),
    "enrollment status change": Case(
        enrollment_status_case, "An enrollment that is absconded cannot become absconded"
    ),
    "alert acknowledgement": Case(
        alert_acknowledge_case, "Only an open alert can be acknowledged; this one is acknowledged"
    ),
    "alert resolution": Case(alert_resolve_case, "This alert is already resolved"),
    "follow-up completion": Case(follow_up_case, "This follow-up is already done"),
    "end of a team assignment": Case(assignment_end_case, "already left the team"),
    "note entered in error": Case(entered_in_error_case, "already marked as entered in error"),
    "screening decision": Case(screening_case, "already has a screening decision"),
    "referral acceptance": Case(
        referral_accept_case, "A referral that is accepted cannot become accepted"
    ),
    "referral intake booking": Case(referral_intake_case, "cannot become intake scheduled"),
    "referral intake outcome": Case(
        referral_intake_outcome_case, "This appointment already has an outcome"
    ),
    "episode discharge": Case(episode_discharge_case, "This episode is already discharged"),
    "plan activation": Case(plan_activation_case, "Only a draft plan can be changed"),
    "need": Case(need_case, "This need is already open", count=lambda row: row.needs.count()),
    "team assignment": Case(
        team_assignment_case,
        "is already on the team",
        count=lambda row: row.assignments.filter(ended_on=None).count(),
    ),
    "readmission": Case(
        readmission_case,
        "This case number is already used in this program",
        count=lambda row: row.enrollments.count(),
    ),
    "phase change": Case(
        phase_change_case,
        "The participant is already in phase 2",
        count=lambda row: PhaseChange.objects.filter(entry=row).count(),
    ),
    "graduation or termination": Case(
        completion_case,
        "Graduated was already recorded for this enrollment",
        count=lambda row: CompletionDecision.objects.filter(entry=row).count(),
    ),
    "withdrawal": Case(
        withdrawal_case,
        "Withdrawn was already recorded for this enrollment",
        count=lambda row: CompletionDecision.objects.filter(enrollment=row).count(),
    ),
    "court response": Case(
        court_response_case,
        "“Essay” is already recorded at this hearing",
        count=lambda row: row.responses.count(),
    ),
    "community service hours": Case(
        service_hours_case,
        "Only 3 of the 8 hours ordered are left to log",
        count=lambda row: row.hours_worked.count(),
    ),
    "docket placement": Case(
        docket_place_case, "is already on this docket", count=lambda row: row.entries.count()
    ),
    "hearing outcome": Case(hearing_outcome_case, "This hearing already has an outcome"),
    "docket removal": Case(docket_remove_case, "already taken off the docket"),
    "warrant request": Case(
        warrant_request_case,
        "already has an open warrant",
        count=lambda row: Warrant.objects.filter(enrollment=row).count(),
    ),
    "warrant issue": Case(warrant_issue_case, "A warrant that is issued cannot become issued"),
    "warrant service": Case(warrant_serve_case, "A warrant that is served cannot become served"),
}


@pytest.fixture
def world(program, participant, casemanager, casemanager2, coordinator, provider, probation, judge):
    settings_since_2020(program)
    return {
        "judge": judge,
        "program": program,
        "participant": participant,
        "casemanager": casemanager,
        "casemanager2": casemanager2,
        "coordinator": coordinator,
        "provider": provider,
        "probation": probation,
    }


def test_a_double_submit_writes_once_and_tells_the_second_why(world):
    # One test for every case: each transactional test costs a flush of the whole database.
    observed, expected = {}, {}
    for name, case in CASES.items():
        load, write = case.make(world)
        copies = load(), load()  # both requests loaded the row before either wrote
        written_before = case.count(copies[0])

        one, two = submit_twice(partial(write, copies[0]), partial(write, copies[1]))

        refusal = " ".join(two.error.messages) if isinstance(two.error, ValidationError) else ""
        observed[name] = {
            "first": one.error or "written",
            "second": two.error if case.refusal not in refusal else "refused",
            "changes": case.count(load()) - written_before,
        }
        expected[name] = {"first": "written", "second": "refused", "changes": 1}
    assert observed == expected


def test_two_administrators_cannot_deactivate_each_other_at_once(admin):
    other = UserFactory(username="admin2", roles=[Role.ADMINISTRATOR])

    one, two = submit_twice(
        lambda: staff_deactivate(user=other, actor=admin),
        lambda: staff_deactivate(user=admin, actor=other),
    )

    assert one.error is None
    assert isinstance(two.error, ValidationError)
    assert "the last active administrator" in two.error.messages[0]
    assert User.objects.filter(is_active=True, roles__contains=[Role.ADMINISTRATOR]).count() == 1


def test_two_settings_changes_for_the_same_new_date_go_into_one_version(program, coordinator):
    settings_since_2020(program)
    day = datetime.date(2030, 1, 7)

    one, two = submit_twice(
        lambda: program_settings_change_note_format(
            program=program,
            effective_from=day,
            note_format=NoteFormat.DAP,
            change_note="DAP notes from January",
            actor=coordinator,
        ),
        lambda: program_settings_change_alert_thresholds(
            program=program,
            effective_from=day,
            referral_engagement_days=10,
            plan_review_notice_days=7,
            change_note="Shorter engagement limit",
            actor=coordinator,
        ),
    )

    assert (one.error, two.error) == (None, None)
    version = ProgramSettings.objects.get(program=program, effective_from=day)
    assert (version.note_format, version.referral_engagement_days) == (NoteFormat.DAP, 10)
