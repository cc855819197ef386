"""Court sessions, dockets, hearing outcomes and warrants (issue 15): who may do what, what each
writes (the hearing's appointment, one alert for a failure to appear, the warrant request, the
enrollment's status while a warrant is issued), and every refusal saves nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from clients import access
from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import (
    Alert,
    Appointment,
    AppointmentKind,
    EnrollmentStatus,
    EnrollmentStatusChange,
)
from compliance import selectors as compliance_selectors
from compliance import sweeps
from court import services
from court.completion import enrollment_close
from court.models import Appearance, CourtSession, DocketEntry, Warrant, WarrantState
from drugcourt.roles import Role
from tests.conftest import enrolled
from tests.factories import EnrollmentFactory, UserFactory, settings_since_2020

# Monday 23 November 2026, 09:00 in Chicago (the programs' time zone).
NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 23)
DAY = datetime.timedelta(days=1)
NINE = datetime.time(9, 0)


@pytest.fixture(autouse=True)
def _monday(time_machine):
    time_machine.move_to(NOW, tick=False)


def _session(program, coordinator, judge, *, held_on=TODAY, courtroom="Courtroom 3B", clerks=()):
    return services.court_session_create(
        program=program,
        held_on=held_on,
        start_time=NINE,
        courtroom=courtroom,
        judge=judge,
        clerks=clerks,
        actor=coordinator,
    )


@pytest.fixture
def session(program, coordinator, judge, clerk):
    """Today's session, with `judge` sitting and `clerk` acting for them."""
    return _session(program, coordinator, judge, clerks=[clerk])


@pytest.fixture
def enrollment(participant):
    return participant.enrollments.get()


@pytest.fixture
def entry(session, enrollment, coordinator):
    return services.docket_place(session=session, enrollment=enrollment, actor=coordinator)


def _record(entry, actor, appearance=Appearance.APPEARED, **fields):
    fields.setdefault(
        "next_hearing_on", None if appearance == Appearance.FAILED_TO_APPEAR else TODAY + 14 * DAY
    )
    return services.hearing_record_outcome(
        entry=entry, appearance=appearance, actor=actor, **fields
    )


def _unchanged(entry):
    entry.refresh_from_db()
    entry.appointment.refresh_from_db()
    return (entry.appearance, entry.recorded_by, entry.appointment.outcome) == ("", None, "")


# ---------------------------------------------------------------------------------------------
# Sessions


def test_a_coordinator_sets_up_a_session_with_its_judge_and_clerk(session, judge, clerk):
    session = CourtSession.objects.get(pk=session.pk)

    assert (session.held_on, session.start_time, session.courtroom) == (
        TODAY,
        NINE,
        "Courtroom 3B",
    )
    assert session.judge == judge
    assert list(session.clerks.all()) == [clerk]
    assert session.starts_at == NOW


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"actor": "judge"}, "Only the program's coordinators set up court sessions"),
        ({"held_on": TODAY - DAY}, "cannot be set up on a past day"),
        ({"courtroom": "  "}, "Name the courtroom"),
        ({"judge": None}, "Choose the judge"),
        ({"judge": "casemanager"}, "is not a judge of this program"),
        ({"judge": "outside_judge"}, "is not a judge of this program"),
        ({"clerks": ["prosecutor"]}, "Not a clerk of this program"),
        ({"clerks": ["outside_clerk"]}, "Not a clerk of this program"),
    ],
)
def test_a_session_is_refused(
    change, message, program, other_program, coordinator, judge, casemanager, prosecutor
):
    people = {
        "coordinator": coordinator,
        "judge": judge,
        "casemanager": casemanager,
        "prosecutor": prosecutor,
        "outside_judge": UserFactory(roles=[Role.JUDGE], programs=[other_program]),
        "outside_clerk": UserFactory(roles=[Role.CLERK], programs=[other_program]),
    }
    fields = {
        "program": program,
        "held_on": TODAY,
        "start_time": NINE,
        "courtroom": "Courtroom 3B",
        "judge": judge,
        "clerks": [],
        "actor": coordinator,
        **change,
    }
    for name in ("actor", "judge"):
        if isinstance(fields[name], str):
            fields[name] = people[fields[name]]
    fields["clerks"] = [people[name] for name in fields["clerks"]]

    with pytest.raises(ValidationError, match=message):
        services.court_session_create(**fields)

    assert not CourtSession.objects.exists()


def test_a_second_session_in_the_same_courtroom_that_day_is_refused(session, program, coordinator):
    with pytest.raises(
        ValidationError, match="already has a session in courtroom 3b on 2026-11-23"
    ):
        _session(program, coordinator, session.judge, courtroom="courtroom 3b")

    assert CourtSession.objects.count() == 1
    # Another courtroom, or another day, is another session.
    _session(program, coordinator, session.judge, courtroom="Courtroom 4")
    _session(program, coordinator, session.judge, held_on=TODAY + DAY)
    assert CourtSession.objects.count() == 3


def test_moving_a_session_moves_the_hearings_not_yet_held(
    program, coordinator, judge, clerk, enrollment, participant2
):
    tomorrow = _session(program, coordinator, judge, held_on=TODAY + DAY)
    first = services.docket_place(session=tomorrow, enrollment=enrollment, actor=coordinator)
    second = services.docket_place(
        session=tomorrow, enrollment=participant2.enrollments.get(), actor=coordinator
    )
    services.docket_remove(entry=second, reason="Moved to the Friday docket", actor=coordinator)
    other_judge = UserFactory(roles=[Role.JUDGE], programs=[program])

    services.court_session_update(
        session=tomorrow,
        start_time=datetime.time(13, 30),
        courtroom="Courtroom 4",
        judge=other_judge,
        clerks=[clerk],
        actor=coordinator,
    )

    moved, removed = (Appointment.objects.get(pk=e.appointment_id) for e in (first, second))
    assert (moved.scheduled_at, moved.location, moved.staff) == (
        NOW + DAY + datetime.timedelta(hours=4, minutes=30),
        "Courtroom 4",
        other_judge,
    )
    assert (removed.location, removed.staff, removed.outcome) == (
        "Courtroom 3B",
        judge,
        "cancelled",
    )
    assert list(CourtSession.objects.get(pk=tomorrow.pk).clerks.all()) == [clerk]


def test_a_past_session_keeps_its_time_and_courtroom_but_may_get_its_judge(
    session, coordinator, judge, time_machine
):
    time_machine.move_to(NOW + DAY, tick=False)
    other_judge = UserFactory(roles=[Role.JUDGE], programs=[session.program])

    with pytest.raises(ValidationError, match="past session keeps its time and courtroom"):
        services.court_session_update(
            session=session,
            start_time=NINE,
            courtroom="Courtroom 4",
            judge=judge,
            clerks=[],
            actor=coordinator,
        )
    assert CourtSession.objects.get(pk=session.pk).courtroom == "Courtroom 3B"
    assert CourtSession.objects.get(pk=session.pk).clerks.exists()

    services.court_session_update(
        session=session,
        start_time=NINE,
        courtroom="Courtroom 3B",
        judge=other_judge,
        clerks=[],
        actor=coordinator,
    )
    assert CourtSession.objects.get(pk=session.pk).judge == other_judge


# ---------------------------------------------------------------------------------------------
# Dockets


def test_placing_a_participant_on_the_docket_puts_the_hearing_on_their_calendar(
    entry, session, enrollment, coordinator, judge
):
    hearing = Appointment.objects.get(docket_entry=entry)

    assert (entry.enrollment, entry.participant, entry.placed_by) == (
        enrollment,
        enrollment.participant,
        coordinator,
    )
    assert (hearing.kind, hearing.program, hearing.scheduled_at) == (
        AppointmentKind.COURT,
        session.program,
        NOW,
    )
    assert (hearing.location, hearing.staff, hearing.created_by, hearing.outcome) == (
        "Courtroom 3B",
        judge,
        coordinator,
        "",
    )


@pytest.fixture
def docket_cases(session, enrollment, judge, foreign_participant, program, casemanager):
    closed = enrolled(program, creator=casemanager)
    closed.enrollments.update(status=EnrollmentStatus.GRADUATED)
    referred = enrolled(program, creator=casemanager)
    referred.enrollments.update(status=EnrollmentStatus.REFERRED)
    return {
        "a judge": (judge, enrollment),
        "another program's participant": (None, foreign_participant.enrollments.get()),
        "a graduate": (None, closed.enrollments.get()),
        "someone only referred": (None, referred.enrollments.get()),
    }


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("a judge", "Only the program's coordinators place participants"),
        ("another program's participant", "Only a participant active or absconded in this"),
        ("a graduate", "Only a participant active or absconded in this program"),
        ("someone only referred", "Only a participant active or absconded in this program"),
    ],
)
def test_a_placement_is_refused(case, message, docket_cases, session, coordinator):
    actor, enrollment = docket_cases[case]

    with pytest.raises(ValidationError, match=message):
        services.docket_place(session=session, enrollment=enrollment, actor=actor or coordinator)

    assert not DocketEntry.objects.exists()
    assert not Appointment.objects.exists()


def test_an_absconded_participant_can_be_placed_on_the_docket(session, enrollment, coordinator):
    enrollment.status = EnrollmentStatus.ABSCONDED
    enrollment.save(update_fields=["status"])

    services.docket_place(session=session, enrollment=enrollment, actor=coordinator)

    assert DocketEntry.objects.filter(session=session, enrollment=enrollment).exists()


def test_a_participant_is_on_a_docket_once(entry, session, enrollment, coordinator):
    with pytest.raises(ValidationError, match="Ada Moss is already on this docket"):
        services.docket_place(session=session, enrollment=enrollment, actor=coordinator)

    assert DocketEntry.objects.count() == Appointment.objects.count() == 1


def test_a_past_sessions_docket_is_closed(session, enrollment, coordinator, time_machine):
    time_machine.move_to(NOW + DAY, tick=False)

    with pytest.raises(ValidationError, match="This session has passed"):
        services.docket_place(session=session, enrollment=enrollment, actor=coordinator)

    assert not DocketEntry.objects.exists()


def test_taking_a_participant_off_the_docket_cancels_the_hearing(entry, coordinator):
    services.docket_remove(entry=entry, reason="In residential treatment", actor=coordinator)

    entry.refresh_from_db()
    hearing = Appointment.objects.get(pk=entry.appointment_id)
    assert (entry.appearance, entry.appearance_note, entry.recorded_by) == (
        Appearance.REMOVED,
        "In residential treatment",
        coordinator,
    )
    # The reason is court data: the appointment, which providers see, says only what happened.
    assert (hearing.outcome, hearing.outcome_reason) == (
        "cancelled",
        "Taken off the docket before the hearing",
    )


def test_a_removal_is_refused(entry, coordinator, judge):
    with pytest.raises(ValidationError, match="Say why"):
        services.docket_remove(entry=entry, reason=" ", actor=coordinator)
    with pytest.raises(ValidationError, match="Only the program's coordinators take"):
        services.docket_remove(entry=entry, reason="Judge's call", actor=judge)
    assert _unchanged(entry)

    _record(entry, judge)
    with pytest.raises(ValidationError, match=r"already has an outcome \(appeared\)"):
        services.docket_remove(entry=entry, reason="Too late", actor=coordinator)
    entry.refresh_from_db()
    assert entry.appearance == Appearance.APPEARED


# ---------------------------------------------------------------------------------------------
# Hearing outcomes


@pytest.mark.parametrize("recorder", ["judge", "clerk"])
def test_the_judge_or_a_listed_clerk_records_the_hearing(recorder, entry, request):
    actor = request.getfixturevalue(recorder)

    _record(entry, actor, next_hearing_reason="")

    entry.refresh_from_db()
    hearing = Appointment.objects.get(pk=entry.appointment_id)
    assert (entry.appearance, entry.next_hearing_on, entry.recorded_by, entry.recorded_at) == (
        Appearance.APPEARED,
        TODAY + 14 * DAY,
        actor,
        NOW,
    )
    assert (hearing.outcome, hearing.outcome_recorded_by) == ("attended", actor)
    assert not Alert.objects.exists()


def test_an_excused_participant_has_the_excuse_on_the_hearing(entry, judge):
    _record(entry, judge, Appearance.EXCUSED, note="In hospital")

    hearing = Appointment.objects.get(pk=entry.appointment_id)
    assert (hearing.outcome, hearing.outcome_reason) == ("excused", "Excused by the court")


@pytest.mark.parametrize(
    "who", ["coordinator", "casemanager", "prosecutor", "another_clerk", "another_judge"]
)
def test_nobody_else_records_a_hearing(who, entry, request, program, coordinator):
    if who == "another_clerk":  # a clerk of the program, listed on another session
        actor = UserFactory(roles=[Role.CLERK], programs=[program])
        _session(program, coordinator, entry.session.judge, courtroom="Courtroom 4", clerks=[actor])
    elif who == "another_judge":
        actor = UserFactory(roles=[Role.JUDGE], programs=[program])
    else:
        actor = request.getfixturevalue(who)

    with pytest.raises(ValidationError, match="Only the session's judge, or a clerk listed on it"):
        _record(entry, actor)

    assert _unchanged(entry)


def test_a_clerk_who_left_the_program_no_longer_records(entry, clerk, program):
    clerk.programs.remove(program)

    with pytest.raises(ValidationError, match="Only the session's judge"):
        _record(entry, clerk)

    assert _unchanged(entry)


def test_a_hearing_is_not_recorded_before_the_sessions_day(program, coordinator, judge, enrollment):
    tomorrow = _session(program, coordinator, judge, held_on=TODAY + DAY)
    entry = services.docket_place(session=tomorrow, enrollment=enrollment, actor=coordinator)

    with pytest.raises(ValidationError, match="cannot be recorded before the session's day"):
        _record(entry, judge)

    assert _unchanged(entry)


def test_a_hearing_recorded_late_still_needs_a_next_hearing_ahead(entry, judge, time_machine):
    time_machine.move_to(NOW + 3 * DAY, tick=False)

    with pytest.raises(ValidationError, match="next hearing cannot be in the past"):
        _record(entry, judge, next_hearing_on=TODAY + 2 * DAY)
    assert _unchanged(entry)

    _record(entry, judge, next_hearing_on=TODAY + 3 * DAY)
    entry.refresh_from_db()
    assert entry.recorded_at == NOW + 3 * DAY


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"appearance": Appearance.REMOVED}, "Choose appeared, failed to appear or excused"),
        ({"appearance": "late"}, "Choose appeared, failed to appear or excused"),
        ({"appearance": Appearance.EXCUSED, "note": " "}, "Say why the participant is excused"),
        ({"next_hearing_on": None}, "Set the date of the next hearing"),
        ({"appearance": Appearance.EXCUSED, "next_hearing_on": None, "note": "Ill"}, "Set the"),
        ({"next_hearing_on": TODAY - DAY}, "The next hearing cannot be in the past"),
        ({"next_hearing_on": TODAY}, "comes after this session's day"),
        (
            {"appearance": Appearance.FAILED_TO_APPEAR, "next_hearing_on": TODAY},
            "comes after this session's day",
        ),
    ],
)
def test_a_hearing_outcome_is_refused(fields, message, entry, judge):
    with pytest.raises(ValidationError, match=message):
        _record(entry, judge, **fields)

    assert _unchanged(entry)
    assert not Alert.objects.exists()
    assert not Warrant.objects.exists()


def test_another_day_than_the_hearing_frequencys_needs_its_reason(entry, judge, program):
    """Phase 1 comes before the court every week (the default phases)."""
    settings_since_2020(program)

    with pytest.raises(ValidationError, match="the next hearing is on 2026-11-30; say why"):
        _record(entry, judge, next_hearing_on=TODAY + 14 * DAY)
    assert _unchanged(entry)

    _record(entry, judge, next_hearing_on=TODAY + 14 * DAY, next_hearing_reason="Thanksgiving")
    entry.refresh_from_db()
    assert (entry.next_hearing_on, entry.next_hearing_reason) == (TODAY + 14 * DAY, "Thanksgiving")


def test_the_hearing_frequencys_day_needs_no_reason(entry, judge, program):
    settings_since_2020(program)

    _record(entry, judge, next_hearing_on=TODAY + 7 * DAY)

    entry.refresh_from_db()
    assert (entry.next_hearing_on, entry.next_hearing_reason) == (TODAY + 7 * DAY, "")


def test_a_hearing_has_one_outcome(entry, judge, clerk):
    _record(entry, judge)

    with pytest.raises(ValidationError, match=r"already has an outcome \(appeared\)"):
        _record(entry, clerk, Appearance.FAILED_TO_APPEAR)

    entry.refresh_from_db()
    assert (entry.appearance, entry.recorded_by) == (Appearance.APPEARED, judge)
    assert not Alert.objects.exists()
    assert not Warrant.objects.exists()


def test_a_removed_participant_gets_no_outcome(entry, coordinator, judge):
    services.docket_remove(entry=entry, reason="In custody elsewhere", actor=coordinator)

    with pytest.raises(ValidationError, match="already taken off the docket"):
        _record(entry, judge)

    entry.refresh_from_db()
    assert entry.appearance == Appearance.REMOVED


# ---------------------------------------------------------------------------------------------
# A failure to appear


def test_a_failure_to_appear_raises_one_alert_and_requests_a_warrant(
    entry, clerk, casemanager, coordinator, judge, enrollment
):
    _record(entry, clerk, Appearance.FAILED_TO_APPEAR)

    alert = Alert.objects.get()
    assert (alert.kind, alert.source_key, alert.data_class, alert.assigned_to) == (
        "failure_to_appear",
        f"hearing:{entry.pk}",
        access.DataClass.COURT,
        casemanager,
    )
    assert alert.message == (
        "Failed to appear at the hearing of 2026-11-23 (Courtroom 3B); "
        "a bench warrant is requested."
    )
    warrant = Warrant.objects.get()
    assert (warrant.state, warrant.enrollment, warrant.entry, warrant.requested_by) == (
        WarrantState.REQUESTED,
        enrollment,
        entry,
        clerk,
    )
    assert warrant.requested_on == TODAY
    assert Appointment.objects.get(pk=entry.appointment_id).outcome == "missed"
    # The team and the judge see it; the enrollment stays active until a warrant is issued.
    for user in (casemanager, coordinator, judge):
        assert list(client_selectors.alerts_for(user)) == [alert]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_the_appointment_sweeps_leave_hearings_to_the_court(entry, clerk, participant2, session):
    unrecorded = services.docket_place(
        session=session, enrollment=participant2.enrollments.get(), actor=session.created_by
    )
    _record(entry, clerk, Appearance.FAILED_TO_APPEAR)
    later = NOW + datetime.timedelta(hours=3)

    for sweep in (sweeps.appointments_missed_sweep, sweeps.appointments_unrecorded_sweep):
        assert sweep(now=later).alerts_raised == 0

    assert list(Alert.objects.values_list("kind", flat=True)) == ["failure_to_appear"]
    assert unrecorded.appearance == ""


def test_without_a_case_manager_the_alert_goes_to_who_placed_them(
    session, coordinator, judge, program
):
    enrollment = EnrollmentFactory(program=program, participant__created_by=coordinator)
    entry = services.docket_place(session=session, enrollment=enrollment, actor=coordinator)

    _record(entry, judge, Appearance.FAILED_TO_APPEAR)

    assert Alert.objects.get().assigned_to == coordinator


def test_a_second_failure_to_appear_asks_for_no_second_warrant(
    entry, judge, coordinator, program, enrollment, time_machine
):
    _record(entry, judge, Appearance.FAILED_TO_APPEAR)
    next_week = _session(program, coordinator, judge, held_on=TODAY + 7 * DAY)
    again = services.docket_place(session=next_week, enrollment=enrollment, actor=coordinator)
    time_machine.move_to(NOW + 7 * DAY, tick=False)

    _record(again, judge, Appearance.FAILED_TO_APPEAR)

    assert Alert.objects.filter(kind="failure_to_appear").count() == 2
    assert Warrant.objects.get().entry == entry


def test_another_programs_court_does_not_see_the_alert(
    entry, judge, other_program, participant, casemanager
):
    """The participant is also in another program; its judge reaches them there, but the
    failure to appear is this program's."""
    EnrollmentFactory(participant=participant, program=other_program, case_number="ELSEWHERE-1")
    other_judge = UserFactory(roles=[Role.JUDGE], programs=[other_program])

    _record(entry, judge, Appearance.FAILED_TO_APPEAR)

    assert list(client_selectors.alerts_for(other_judge)) == []
    assert (
        client_selectors.alerts_of_programs_shown(
            Alert.objects.filter(participant=participant), other_judge, participant
        ).count()
        == 0
    )
    assert client_selectors.alerts_for(casemanager).count() == 1


# ---------------------------------------------------------------------------------------------
# Warrants


@pytest.fixture
def requested(enrollment, coordinator):
    return services.warrant_request(
        enrollment=enrollment, reason="Not seen for three weeks", actor=coordinator
    )


def _status(enrollment):
    enrollment.refresh_from_db()
    return enrollment.status


def test_an_issued_warrant_makes_the_participant_absconded_until_served(
    requested, enrollment, judge, coordinator
):
    services.warrant_issue(warrant=requested, on=TODAY, actor=judge, reason="No contact")

    assert _status(enrollment) == EnrollmentStatus.ABSCONDED
    change = EnrollmentStatusChange.objects.filter(enrollment=enrollment).latest("id")
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "active",
        "absconded",
        judge,
        "Bench warrant issued on 2026-11-23. No contact",
    )

    services.warrant_serve(warrant=requested, on=TODAY, actor=coordinator)

    warrant = Warrant.objects.get(pk=requested.pk)
    assert (warrant.state, warrant.issued_on, warrant.served_on, warrant.changed_by) == (
        WarrantState.SERVED,
        TODAY,
        TODAY,
        coordinator,
    )
    assert _status(enrollment) == EnrollmentStatus.ACTIVE
    change = EnrollmentStatusChange.objects.filter(enrollment=enrollment).latest("id")
    assert (change.to_status, change.reason) == ("active", "Bench warrant served on 2026-11-23.")


def test_recalling_an_issued_warrant_brings_the_participant_back(requested, enrollment, clerk):
    services.warrant_issue(warrant=requested, on=TODAY, actor=clerk)
    services.warrant_recall(warrant=requested, on=TODAY, actor=clerk, reason="Turned themself in")

    assert Warrant.objects.get(pk=requested.pk).recalled_on == TODAY
    assert _status(enrollment) == EnrollmentStatus.ACTIVE


def test_recalling_a_requested_warrant_changes_no_status(requested, enrollment, judge):
    services.warrant_recall(warrant=requested, on=TODAY, actor=judge, reason="Came in on Monday")

    warrant = Warrant.objects.get(pk=requested.pk)
    # The reason is kept on the warrant (no status change carries it here).
    assert (warrant.state, warrant.change_reason) == (WarrantState.RECALLED, "Came in on Monday")
    assert not EnrollmentStatusChange.objects.filter(enrollment=enrollment).exists()


@pytest.mark.parametrize(
    ("path", "refused", "message"),
    [
        ([], services.warrant_serve, "A warrant that is requested cannot become served"),
        ([services.warrant_recall], services.warrant_issue, "recalled cannot become issued"),
        ([services.warrant_issue], services.warrant_issue, "issued cannot become issued"),
        (
            [services.warrant_issue, services.warrant_serve],
            services.warrant_recall,
            "A warrant that is served cannot become recalled",
        ),
    ],
)
def test_a_warrant_moves_only_as_allowed(path, refused, message, requested, judge, enrollment):
    for step in path:
        step(warrant=requested, on=TODAY, actor=judge)
    before = Warrant.objects.filter(pk=requested.pk).values().get()
    status = _status(enrollment)

    with pytest.raises(ValidationError, match=message):
        refused(warrant=Warrant.objects.get(pk=requested.pk), on=TODAY, actor=judge)

    assert Warrant.objects.filter(pk=requested.pk).values().get() == before
    assert _status(enrollment) == status


@pytest.mark.parametrize(
    ("move", "who", "message"),
    [
        ("issue", "coordinator", "Only a judge or clerk of the program issues"),
        ("issue", "casemanager", "Only a judge or clerk of the program issues"),
        ("issue", "prosecutor", "Only a judge or clerk of the program issues"),
        ("recall", "coordinator", "Only a judge or clerk of the program recalls"),
        ("serve", "casemanager", "Only the program's coordinators, judges and clerks record"),
    ],
)
def test_who_moves_a_warrant(move, who, message, requested, request, enrollment):
    actor = request.getfixturevalue(who)

    with pytest.raises(ValidationError, match=message):
        getattr(services, f"warrant_{move}")(warrant=requested, on=TODAY, actor=actor)

    assert Warrant.objects.get(pk=requested.pk).state == WarrantState.REQUESTED
    assert _status(enrollment) == EnrollmentStatus.ACTIVE


def test_a_judge_of_another_program_issues_nothing_here(requested, other_program, enrollment):
    outsider = UserFactory(roles=[Role.JUDGE], programs=[other_program])

    with pytest.raises(ValidationError, match="Only a judge or clerk of the program issues"):
        services.warrant_issue(warrant=requested, on=TODAY, actor=outsider)

    assert _status(enrollment) == EnrollmentStatus.ACTIVE


def test_a_warrant_date_is_neither_ahead_nor_before_its_request(requested, judge, enrollment):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.warrant_issue(warrant=requested, on=TODAY + DAY, actor=judge)
    with pytest.raises(ValidationError, match=r"before the warrant was requested \(2026-11-23\)"):
        services.warrant_issue(warrant=requested, on=TODAY - DAY, actor=judge)

    assert Warrant.objects.get(pk=requested.pk).state == WarrantState.REQUESTED
    assert _status(enrollment) == EnrollmentStatus.ACTIVE


def test_one_open_warrant_per_enrollment(requested, enrollment, judge):
    with pytest.raises(ValidationError, match="already has an open warrant"):
        services.warrant_request(enrollment=enrollment, reason="Again", actor=judge)
    assert Warrant.objects.count() == 1

    services.warrant_recall(warrant=requested, on=TODAY, actor=judge)
    services.warrant_request(enrollment=enrollment, reason="Missed curfew checks", actor=judge)
    assert Warrant.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "reason", "message"),
    [
        ("casemanager", "Gone", "Only the program's coordinators, judges and clerks request"),
        ("prosecutor", "Gone", "Only the program's coordinators, judges and clerks request"),
        ("coordinator", " ", "Say why the warrant is requested"),
    ],
)
def test_a_warrant_request_is_refused(who, reason, message, request, enrollment):
    with pytest.raises(ValidationError, match=message):
        services.warrant_request(
            enrollment=enrollment, reason=reason, actor=request.getfixturevalue(who)
        )

    assert not Warrant.objects.exists()


def test_no_warrant_for_someone_who_left_the_program(enrollment, coordinator):
    enrollment.status = EnrollmentStatus.TERMINATED
    enrollment.save(update_fields=["status"])

    with pytest.raises(ValidationError, match="only for a participant active or absconded"):
        services.warrant_request(enrollment=enrollment, reason="Gone", actor=coordinator)

    assert not Warrant.objects.exists()


def test_a_warrant_for_someone_terminated_since_is_recalled_not_issued(
    requested, enrollment, judge
):
    enrollment.status = EnrollmentStatus.TERMINATED
    enrollment.save(update_fields=["status"])

    with pytest.raises(ValidationError, match="no longer in the program: recall the warrant"):
        services.warrant_issue(warrant=requested, on=TODAY, actor=judge)

    assert Warrant.objects.get(pk=requested.pk).state == WarrantState.REQUESTED


def test_serving_leaves_a_status_set_since_alone(requested, enrollment, judge, coordinator):
    """Issued while active (absconded), then withdrawn by the coordinator: the served warrant
    does not reopen the enrollment."""
    services.warrant_issue(warrant=requested, on=TODAY, actor=judge)
    enrollment_close(
        enrollment=enrollment,
        kind=EnrollmentStatus.WITHDRAWN,
        effective_date=TODAY,
        reason="Moved out of state",
        actor=coordinator,
    )

    services.warrant_serve(warrant=requested, on=TODAY, actor=coordinator)

    assert _status(enrollment) == EnrollmentStatus.WITHDRAWN


# ---------------------------------------------------------------------------------------------
# The generic appointment services leave hearings to the court


def test_the_generic_services_refuse_court_hearings(entry, casemanager, coordinator, participant):
    with pytest.raises(ValidationError, match="scheduled by placing the participant on a court"):
        client_services.appointment_schedule(
            participant=participant, kind="court", scheduled_at=NOW, actor=coordinator
        )
    for actor in (casemanager, coordinator):
        with pytest.raises(ValidationError, match="recorded on the session's docket"):
            client_services.appointment_record_outcome(
                appointment=entry.appointment, outcome="attended", actor=actor, now=NOW
            )

    assert Appointment.objects.count() == 1
    assert _unchanged(entry)
    assert AppointmentKind.COURT not in access.schedulable_kinds(casemanager, participant)
    assert access.changeable_appointments(casemanager, [entry.appointment]) == set()


def test_attendance_keeps_hearings_apart_from_treatment(entry, judge, casemanager, participant):
    _record(entry, judge, Appearance.FAILED_TO_APPEAR)
    for outcome in ("attended", "attended", "late", "missed"):
        meeting = client_services.appointment_schedule(
            participant=participant,
            kind="case_manager",
            scheduled_at=NOW - DAY,
            actor=casemanager,
        )
        client_services.appointment_record_outcome(
            appointment=meeting, outcome=outcome, actor=casemanager, now=NOW
        )
    since = TODAY - 7 * DAY

    def rate(kinds):
        return compliance_selectors.attendance_rate(casemanager, participant, since, kinds=kinds)

    assert rate(compliance_selectors.ATTENDANCE_KINDS) == 75
    assert rate(compliance_selectors.COURT_KINDS) == 0
    assert rate(None) == 60
    section = compliance_selectors.compliance_section(participant, casemanager)
    assert (section["attendance_rate"], section["court_appearance_rate"]) == (75, 0)
