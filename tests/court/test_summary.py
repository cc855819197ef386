"""The judge's compliance summary of a docket (issue 16): each participant since their previous
hearing, with hand-computed figures across the hearing boundary, the colour and its reasons
(the monitoring rules and the court's own: open warrant, failure to appear, community service
behind), the previous hearing's responses and whether they were carried out, per role what
they may see, and the same number of queries at 1 and 20 entries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import (
    Alert,
    AppointmentKind,
    AppointmentOutcome,
    EnrollmentStatusChange,
    Incident,
    IncidentCategory,
    IncidentSeverity,
)
from compliance.models import TestingOrder, TestStatus
from compliance.rules import Colour
from compliance.selectors import Attendance, DrugTestFacts, MonitoringFacts, Sobriety
from court.models import (
    FAILURE_TO_APPEAR,
    HEARING_ALERT_SOURCE,
    Appearance,
    CommunityServiceHours,
    CommunityServiceObligation,
    CourtResponse,
    LedgerEntry,
    LedgerEntryKind,
    PhaseChange,
    StaffingRecommendation,
    Warrant,
    WarrantState,
)
from court.phase_requirements import KINDS
from court.rules import CourtFacts, ServiceProgress, behaviours_of, court_verdict
from drugcourt.models import Behaviour, Phase, ResponseEffect, ResponseOption, Substance
from drugcourt.selectors import program_today
from tests.compliance.builders import a_test, an_appointment
from tests.conftest import enrolled
from tests.court.builders import on_docket, session_on
from tests.factories import consent_to_team, settings_since_2020

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
FORTNIGHT = datetime.timedelta(days=14)


# ---------------------------------------------------------------------------------------------
# Builders


def named(program_settings, name):
    return ResponseOption.objects.get(settings=program_settings, name=name)


def option(program_settings, effect):
    return (
        ResponseOption.objects.filter(settings=program_settings, effect=effect)
        .order_by("id")
        .first()
    )


def a_response(entry, chosen, **fields):
    return CourtResponse.objects.create(
        entry=entry,
        participant=entry.participant,
        option=chosen,
        given_on=entry.session.held_on,
        recorded_by=entry.session.judge,
        **fields,
    )


def community_service(entry, program_settings, *, ordered, worked, due_on):
    response = a_response(
        entry, option(program_settings, ResponseEffect.COMMUNITY_SERVICE), hours=ordered
    )
    obligation = CommunityServiceObligation.objects.create(
        response=response, participant=entry.participant, hours_ordered=ordered, due_on=due_on
    )
    if worked:
        CommunityServiceHours.objects.create(
            obligation=obligation,
            worked_on=entry.session.held_on + DAY,
            hours=worked,
            recorded_by=entry.session.judge,
        )
    return response


def open_warrant(entry):
    return Warrant.objects.create(
        enrollment=entry.enrollment,
        participant=entry.participant,
        entry=entry,
        state=WarrantState.REQUESTED,
        reason="Failed to appear",
        requested_on=entry.session.held_on,
        requested_by=entry.session.judge,
        changed_by=entry.session.judge,
        changed_at=timezone.now(),
    )


# ---------------------------------------------------------------------------------------------
# Fixtures: a session today, the previous one a fortnight ago


@pytest.fixture
def program_settings(program):
    return settings_since_2020(program)


@pytest.fixture
def today(program, program_settings):
    return program_today(program)


@pytest.fixture
def previous_session(program, judge, clerk, today):
    return session_on(program, today - FORTNIGHT, judge=judge, clerks=[clerk], courtroom="1B")


@pytest.fixture
def session(program, judge, clerk, today):
    return session_on(program, today, judge=judge, clerks=[clerk])


@pytest.fixture
def ada(program, participant, previous_session, session, today):
    """Ada (casemanager's): appeared at the previous hearing. Since it: a negative, a cocaine
    positive, a missed test; treatment 1 of 2; case management 1 of 1. The day before it, a
    positive that is not counted."""
    heard = previous_session.held_on
    on_docket(previous_session, participant.enrollments.get(), appearance=Appearance.APPEARED)
    a_test(participant, heard - DAY, TestStatus.POSITIVE, Substance.FENTANYL)
    a_test(participant, heard, TestStatus.NEGATIVE)
    a_test(participant, heard + 2 * DAY, TestStatus.POSITIVE, Substance.COCAINE)
    a_test(participant, heard + 3 * DAY, TestStatus.MISSED)
    an_appointment(participant, heard - DAY, AppointmentKind.TREATMENT, "missed")
    an_appointment(participant, heard + DAY, AppointmentKind.TREATMENT, "attended")
    an_appointment(participant, heard + 4 * DAY, AppointmentKind.TREATMENT, "missed")
    an_appointment(participant, heard + 2 * DAY, AppointmentKind.CASE_MANAGER, "attended")
    # The court reads her treatment sessions under her consent (tests/court/
    # test_summary_consent.py: without one).
    consent_to_team(participant)
    return on_docket(session, participant.enrollments.get())


@pytest.fixture
def ben(program, participant2, previous_session, session):
    """Ben (casemanager2's): failed to appear at the previous hearing, a warrant requested.
    Since it: one negative test."""
    heard = previous_session.held_on
    missed = on_docket(
        previous_session, participant2.enrollments.get(), appearance=Appearance.FAILED_TO_APPEAR
    )
    open_warrant(missed)
    a_test(participant2, heard + DAY, TestStatus.NEGATIVE)
    consent_to_team(participant2)
    return on_docket(session, participant2.enrollments.get())


def _get(client, user, session, **query):
    client.force_login(user)
    return client.get(reverse("court:summary", args=[session.pk]), query)


def _rows(response):
    return {row.entry.participant.legal_first_name: row for row in response.context["rows"]}


# ---------------------------------------------------------------------------------------------
# Figures, colour and reasons


def test_figures_count_from_the_previous_hearing_not_the_day_before(
    client, judge, session, previous_session, ada, ben
):
    response = _get(client, judge, session)

    assert response.status_code == 200
    row = _rows(response)["Ada"]
    assert row.since == previous_session.held_on
    tests = row.facts.drug_tests
    # The fentanyl positive the day before the previous hearing is left out.
    assert (tests.tests, tests.negatives, tests.positives, tests.missed) == (3, 1, 1, 1)
    assert tests.positives_by_substance == ((Substance.COCAINE, 1),)
    assert (row.facts.treatment.attended, row.facts.treatment.missed) == (1, 1)
    assert row.facts.treatment.rate == 50
    assert (row.facts.case_management.attended, row.facts.case_management.missed) == (1, 0)
    # Sober since the missed test three days after the previous hearing (the test program_settings'
    # policy counts a miss as positive): 14 - 3 days.
    assert row.facts.sobriety.days == 11
    assert row.verdict.colour == Colour.RED
    assert row.verdict.reasons == (
        "1 positive test not explained by prescribed medication (Cocaine 1)",
        "Missed 1 test",
        "Missed 1 of 2 treatment sessions (attended 50 %)",
    )
    page = response.content.decode()
    assert "3 tests: 1 negative, 1 positive (Cocaine 1), 1 missed, 0 refused" in page
    assert "attended 1 of 2 (50 %), missed 1" in page


def test_court_findings_an_open_warrant_and_a_failure_to_appear_are_red(
    client, judge, session, ada, ben
):
    row = _rows(_get(client, judge, session))["Ben"]

    assert (row.facts.drug_tests.tests, row.facts.drug_tests.negatives) == (1, 1)
    assert row.open_warrant is not None
    assert row.verdict.colour == Colour.RED
    assert row.verdict.reasons == (
        "An open warrant",
        "Failed to appear at the previous hearing",
    )


def test_incidents_reported_to_court_since_the_previous_hearing_and_court_alerts(
    client, judge, casemanager, session, previous_session, ada, ben
):
    heard = previous_session.held_on
    for day, category, reported in (
        (heard - DAY, IncidentCategory.POLICE_CONTACT, True),  # before: not counted
        (heard + DAY, IncidentCategory.NEW_ARREST, True),
        (heard + 2 * DAY, IncidentCategory.CURFEW_VIOLATION, False),  # not reported to court
    ):
        Incident.objects.create(
            participant=ada.participant,
            occurred_on=day,
            category=category,
            description="What happened.",
            reported_to_court=reported,
            severity=IncidentSeverity.HIGH,
            recorded_by=casemanager,
        )
    failed = previous_session.entries.get(participant=ben.participant)
    Alert.objects.create(
        participant=ben.participant,
        kind=FAILURE_TO_APPEAR,
        source_key=f"{HEARING_ALERT_SOURCE}:{failed.pk}",
        data_class="court",
        message="Failed to appear at the previous hearing; a bench warrant is requested.",
    )

    response = _get(client, judge, session)

    rows = _rows(response)
    assert [i.category for i in rows["Ada"].incidents] == [IncidentCategory.NEW_ARREST]
    assert f"New arrest on {heard + DAY:%b %-d}" in [f.reason for f in rows["Ada"].verdict.findings]
    assert rows["Ada"].court_alerts == ()
    assert [a.kind for a in rows["Ben"].court_alerts] == [FAILURE_TO_APPEAR]
    page = response.content.decode()
    assert f"{heard + DAY:%Y-%m-%d} New arrest (high)" in page
    assert "Police contact" not in page
    assert "a bench warrant is requested." in page


def test_a_phase_change_at_the_previous_hearing_shows_as_changed(
    client, judge, session, previous_session, ada
):
    PhaseChange.objects.create(
        enrollment=ada.enrollment,
        entry=previous_session.entries.get(participant=ada.participant),
        from_phase=1,
        to_phase=2,
        decided_on=previous_session.held_on,
        reason="Ninety days sober.",
        decided_by=previous_session.judge,
    )

    response = _get(client, judge, session)

    row = _rows(response)["Ada"]
    assert row.days_in_phase == 14
    assert row.phase_changed_since is True
    assert "14 days since the last phase change" in response.content.decode()


def test_a_later_docket_counts_from_the_last_hearing_held_not_one_to_come(
    client, judge, program, session, ada, today
):
    """Ada is on today's docket (`session`), next week's and the one after: the summary of
    the last counts from today's hearing, not from next week's, which has not been held."""
    next_week = session_on(program, today + 7 * DAY, judge=judge, courtroom="4")
    in_a_fortnight = session_on(program, today + FORTNIGHT, judge=judge, courtroom="4")
    on_docket(next_week, ada.enrollment)
    on_docket(in_a_fortnight, ada.enrollment)

    row = _rows(_get(client, judge, in_a_fortnight))["Ada"]

    assert (row.since, row.previous.session) == (today, session)


def test_without_a_previous_hearing_the_summary_counts_from_entry(
    client, judge, program, session, casemanager
):
    person = enrolled(program, creator=casemanager, legal_first_name="Cy")
    entry = on_docket(session, person.enrollments.get())

    row = _rows(_get(client, judge, session))["Cy"]

    assert row.previous is None
    assert row.since == entry.enrollment.entry_date
    assert row.verdict.colour == Colour.GREEN
    assert row.verdict.reasons == ()


def test_the_previous_responses_say_whether_they_were_carried_out(
    client, judge, program_settings, session, previous_session, ada, today
):
    previous = previous_session.entries.get(participant=ada.participant)
    community_service(previous, program_settings, ordered=10, worked=Decimal(4), due_on=today - DAY)
    order = TestingOrder.objects.create(
        participant=ada.participant,
        program=previous_session.program,
        tests_per_week=3,
        starts_on=previous_session.held_on,
        ends_on=today + 7 * DAY,
        reason="Increased testing",
        ordered_by=previous_session.judge,
    )
    a_response(
        previous,
        option(program_settings, ResponseEffect.INCREASED_TESTING),
        tests_per_week=3,
        weeks=3,
        testing_order=order,
    )

    response = _get(client, judge, session)

    row = _rows(response)["Ada"]
    service, testing = row.follow_ups
    assert (service.service.hours_worked, service.service.hours_ordered) == (4, 10)
    assert service.completed is False
    assert testing.testing_in_force is True
    assert testing.completed is False
    assert "Community service behind: 4 of 10 hours worked" in " ".join(row.verdict.reasons)
    page = response.content.decode()
    assert "4 of 10 hours worked" in page
    assert "increased testing in force until" in page


def test_community_service_behind_alone_is_yellow(
    client, judge, program, program_settings, session, previous_session, casemanager, today
):
    person = enrolled(program, creator=casemanager, legal_first_name="Di")
    previous = on_docket(previous_session, person.enrollments.get(), appearance="appeared")
    community_service(previous, program_settings, ordered=8, worked=None, due_on=today - DAY)
    on_docket(session, person.enrollments.get())

    row = _rows(_get(client, judge, session))["Di"]

    assert row.verdict.colour == Colour.YELLOW
    assert row.verdict.reasons == (
        f"Community service behind: 0 of 8 hours worked, due {today - DAY:%b %-d}",
    )


def _service(worked: str, due_on: datetime.date | None) -> CourtFacts:
    return CourtFacts(service=(ServiceProgress(8, Decimal(worked), due_on),))


@pytest.mark.parametrize(
    ("facts", "colour"),
    [
        (CourtFacts(), Colour.GREEN),
        (CourtFacts(open_warrant=True), Colour.RED),
        (CourtFacts(failed_to_appear=True), Colour.RED),
        (CourtFacts(new_arrests=(datetime.date(2026, 12, 1),)), Colour.RED),
        # Due tomorrow, done, or without a due day: no finding; due yesterday, short: yellow.
        (_service("0", datetime.date(2026, 12, 6)), Colour.GREEN),
        (_service("8", datetime.date(2026, 12, 4)), Colour.GREEN),
        (_service("0", None), Colour.GREEN),
        (_service("7.5", datetime.date(2026, 12, 4)), Colour.YELLOW),
        # Due today: not behind yet.
        (_service("0", datetime.date(2026, 12, 5)), Colour.GREEN),
    ],
)
def test_the_court_rules_at_each_boundary(facts, colour):
    assert court_verdict(facts, today=datetime.date(2026, 12, 5)).colour == colour


def test_the_staffing_recommendation_shows_to_the_judge_of_the_session(
    client, judge, program_settings, session, ada, casemanager
):
    StaffingRecommendation.objects.create(
        entry=ada,
        option=option(program_settings, ResponseEffect.INCREASED_TESTING),
        reason="Two misses since the last hearing.",
        recorded_by=casemanager,
        recorded_at=timezone.now(),
    )

    response = _get(client, judge, session)

    assert _rows(response)["Ada"].recommendation is not None
    assert "Two misses since the last hearing." in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Printing


def test_the_summary_prints_with_its_date_and_the_redisclosure_notice(
    client, judge, session, ada, ben, today
):
    page = _get(client, judge, session).content.decode()

    assert f"Printed {today:%B %-d, %Y}" in page
    notice = page.index("Notice of federal confidentiality rules (42 CFR part 2)")
    assert page.index("Ada Moss") < notice
    assert "summary-page-per-participant" not in page
    assert page.count("Notice of federal confidentiality rules") == 1
    per_page = _get(client, judge, session, per_page="1").content.decode()
    assert "summary-page-per-participant" in per_page
    # Each participant's page carries the notice (a page may be handed out on its own).
    assert per_page.count("Notice of federal confidentiality rules") == 2


def test_the_docket_and_the_judges_home_link_to_the_summary(client, judge, session, ada):
    url = reverse("court:summary", args=[session.pk])
    client.force_login(judge)

    assert url in client.get(reverse("court:docket", args=[session.pk])).content.decode()
    assert url in client.get(reverse("home")).content.decode()


# ---------------------------------------------------------------------------------------------
# Access


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("judge", {"Ada", "Ben"}),
        ("clerk", {"Ada", "Ben"}),
        ("prosecutor", {"Ada", "Ben"}),
        ("coordinator", {"Ada", "Ben"}),
        ("defence_assigned", {"Ada"}),
        ("casemanager", {"Ada"}),
    ],
)
def test_each_role_sees_the_rows_it_may(client, request, session, ada, ben, persona, names):
    response = _get(client, request.getfixturevalue(persona), session)

    assert response.status_code == 200
    rows = _rows(response)
    assert set(rows) == names
    # The court view reads tests and attendance.
    assert all(row.sees_tests and row.sees_attendance for row in rows.values())
    page = response.content.decode()
    assert ("Okoye" in page) == ("Ben" in names)


@pytest.mark.parametrize("persona", ["provider", "admin", "evaluator", "superuser"])
def test_who_does_not_see_the_docket_gets_404(client, request, session, ada, persona):
    assert _get(client, request.getfixturevalue(persona), session).status_code == 404


# ---------------------------------------------------------------------------------------------
# Queries


def test_the_summary_costs_the_same_queries_at_1_and_20_entries(
    client, judge, program, program_settings, session, previous_session, casemanager, today,
    django_assert_num_queries,
):  # fmt: skip
    # A requirement of every kind on phase 1, so the checklist reads every fact it can.
    Phase.objects.filter(settings=program_settings, number=1).update(requirements=[
        {"kind": kind.key, "params": {param.name: 1 for param in kind.params()}}
        for kind in KINDS
    ])  # fmt: skip
    client.force_login(judge)
    url = reverse("court:summary", args=[session.pk])
    for count in (1, 20):
        for n in range(count - session.entries.count()):
            person = enrolled(program, creator=casemanager, legal_first_name=f"P{n}")
            enrollment = person.enrollments.get()
            previous = on_docket(previous_session, enrollment, appearance="appeared")
            community_service(
                previous, program_settings, ordered=8, worked=Decimal(2), due_on=today
            )
            a_test(person, previous_session.held_on + DAY, TestStatus.POSITIVE,
                   Substance.COCAINE)  # fmt: skip
            an_appointment(person, previous_session.held_on + DAY,
                           AppointmentKind.TREATMENT, AppointmentOutcome.MISSED)  # fmt: skip
            LedgerEntry.objects.create(
                enrollment=enrollment, participant=person, program=program,
                kind=LedgerEntryKind.ASSESSMENT, amount=Decimal("25.50"), charge="fine",
                description="Fine.", entry_date=previous_session.held_on, recorded_by=casemanager,
            )  # fmt: skip
            consent_to_team(person)
            on_docket(session, enrollment)
        # 1 session 2 user 3 the session 4 its clerks 5 sees the whole docket (membership)
        # 6 the entries with participant and enrollment 7 their previous hearings 8 the
        # responses given there (option, testing order, obligation, hours worked) 9 the user's
        # reach of the participants 10 their consents 11 the consents' recipients; the phase
        # checklists: 12 the phases in force 13 their last phase changes 14-17 the monitoring
        # facts over the attendance window 18 the plans' objectives 19 open sanctions 20 life
        # domains 21 community service hours in the phase 22 the ledgers' totals today; 23-26
        # the monitoring facts since the previous hearing (enrollments with last positive,
        # attendance, test counts, positives by substance) 27 open warrants 28 last phase
        # changes 29 acts for the session (membership) 30 the recommendations 31 incidents
        # reported to court 32 alerts (raised or resolved since, open for the court) 33 status
        # changes 34 conditions in force 35 prior responses to each behaviour 36 the response
        # matrix in force 37 the ledgers' totals on the session's day 38 the access log's rows
        # (one INSERT for the docket)
        with django_assert_num_queries(38):
            page = client.get(url).content.decode()
        # Each row: the previous response's follow-up, and the checklist's open sanction.
        assert page.count("2 of 8 hours worked") == 2 * count
        assert page.count("Community service: 2 of 8 hours worked") == count
        assert page.count("balance $25.50") == count


# ---------------------------------------------------------------------------------------------
# The response matrix's suggestions (tests.factories gives the default matrix)


def test_the_matrix_answers_each_behaviour_since_the_previous_hearing(
    client, judge, session, ada, ben
):
    rows = _rows(_get(client, judge, session))

    assert [(s.behaviour, s.prior_occurrences, s.option.name) for s in rows["Ada"].suggestions] == [
        (Behaviour.POSITIVE_TEST, 0, "Additional case manager meetings"),
        (Behaviour.MISSED_TEST, 0, "Verbal warning"),
        (Behaviour.MISSED_TREATMENT, 0, "Verbal warning"),
    ]
    # Violations come before achievements: the failure to appear, then the negative test.
    assert [(s.behaviour, s.option.name) for s in rows["Ben"].suggestions] == [
        (Behaviour.FAILURE_TO_APPEAR, "Community service"),
        (Behaviour.NEGATIVE_TESTS, "Praise from the bench"),
    ]
    assert rows["Ben"].suggestion.option.name == "Community service"


def test_prior_occurrences_are_earlier_responses_to_the_behaviour_in_the_enrollment(
    client, judge, program, program_settings, session, previous_session, ada, today
):
    positive = Behaviour.POSITIVE_TEST
    older = session_on(program, today - 4 * FORTNIGHT, judge=judge)
    earlier = on_docket(older, ada.enrollment, appearance=Appearance.APPEARED)
    a_response(earlier, named(program_settings, "Essay"), behaviour=positive)
    previous = previous_session.entries.get(participant=ada.participant)
    a_response(previous, named(program_settings, "Verbal warning"), behaviour=positive)
    a_response(previous, named(program_settings, "Praise from the bench"))  # answers nothing
    # Given at this very hearing: not prior.
    a_response(ada, named(program_settings, "Jail"), days=1, behaviour=positive)

    row = _rows(_get(client, judge, session))["Ada"]

    assert (row.suggestion.behaviour, row.suggestion.prior_occurrences) == (positive, 2)
    assert row.suggestion.option.name == "Increased testing"  # 2 or more prior
    missed = next(s for s in row.suggestions if s.behaviour == Behaviour.MISSED_TEST)
    assert (missed.prior_occurrences, missed.option.name) == (0, "Verbal warning")


def test_a_behaviour_no_rule_answers_is_named_without_a_response(
    client, judge, program_settings, session, ada
):
    program_settings.response_rules.filter(behaviour=Behaviour.POSITIVE_TEST).delete()

    response = _get(client, judge, session)

    row = _rows(response)["Ada"]
    assert (row.suggestions[0].behaviour, row.suggestions[0].option) == (
        Behaviour.POSITIVE_TEST,
        None,
    )
    assert row.suggestion.behaviour == Behaviour.MISSED_TEST  # the first one answered
    page = response.content.decode()
    assert 'Positive drug or alcohol test (0 prior): <span class="text-muted">no rule' in page
    assert "Missed or refused test (0 prior): <strong>Verbal warning</strong>" in page


_SINCE = datetime.date(2026, 11, 21)


def _facts(tests=None, treatment=(0, 0), case_management=(0, 0)) -> MonitoringFacts:
    return MonitoringFacts(
        participant_id=1,
        since=_SINCE,
        drug_tests=tests or DrugTestFacts(since=_SINCE),
        treatment=Attendance(_SINCE, *treatment),
        case_management=Attendance(_SINCE, *case_management),
        sobriety=Sobriety(),
    )


@pytest.mark.parametrize(
    ("facts", "court", "behaviours"),
    [
        (None, CourtFacts(), ()),
        (_facts(), CourtFacts(), ()),  # nothing due: no achievement either
        # Every test negative (one explained by medication counts as negative).
        (
            _facts(DrugTestFacts(_SINCE, tests=2, negatives=1, explained=1)),
            CourtFacts(),
            (Behaviour.NEGATIVE_TESTS,),
        ),
        # A result still pending: not (yet) every test negative.
        (_facts(DrugTestFacts(_SINCE, tests=2, negatives=1, pending=1)), CourtFacts(), ()),
        (
            _facts(DrugTestFacts(_SINCE, tests=2, negatives=1, refused=1)),
            CourtFacts(),
            (Behaviour.MISSED_TEST,),
        ),
        (
            _facts(DrugTestFacts(_SINCE, tests=1, dilute=1)),
            CourtFacts(),
            (Behaviour.TAMPERED_SPECIMEN,),
        ),
        (
            _facts(treatment=(3, 0), case_management=(1, 0)),
            CourtFacts(),
            (Behaviour.FULL_ATTENDANCE,),
        ),
        # A missed case-management meeting spoils full attendance without being a behaviour.
        (_facts(treatment=(3, 0), case_management=(1, 1)), CourtFacts(), ()),
        (_facts(treatment=(2, 1)), CourtFacts(), (Behaviour.MISSED_TREATMENT,)),
        (
            None,
            CourtFacts(
                failed_to_appear=True,
                new_arrests=(_SINCE,),
                curfew_violations=(_SINCE,),
                open_warrant=True,
            ),
            (Behaviour.FAILURE_TO_APPEAR, Behaviour.NEW_ARREST, Behaviour.CURFEW_VIOLATION),
        ),
        # Every requirement to advance to the next phase met (court.selectors.PhaseChecklist).
        (None, CourtFacts(phase_requirements_met=True), (Behaviour.PHASE_REQUIREMENTS_MET,)),
    ],
)
def test_the_behaviours_the_matrix_answers(facts, court, behaviours):
    assert behaviours_of(facts, court) == behaviours


# ---------------------------------------------------------------------------------------------
# What changed since the previous hearing


def test_what_changed_lists_status_changes_and_alerts_raised_or_resolved(
    client, judge, casemanager, session, previous_session, ada, ben
):
    heard = previous_session.held_on
    enrollment = ben.enrollment
    for effective, to_status in ((heard - DAY, "active"), (heard + DAY, "absconded")):
        EnrollmentStatusChange.objects.create(
            enrollment=enrollment,
            from_status="active" if to_status == "absconded" else "accepted",
            to_status=to_status,
            effective_date=effective,
            reason="Recorded.",
            changed_by=casemanager,
        )
    old, _raised, resolved = (
        Alert.objects.create(
            participant=ben.participant,
            kind="missed_test",
            source_key=f"test:{n}",
            data_class="drug_tests",
            message=message,
        )
        for n, message in enumerate(("Old alert", "Raised alert", "Resolved alert"))
    )
    before = timezone.now() - 3 * FORTNIGHT
    Alert.objects.filter(pk__in=[old.pk, resolved.pk]).update(created_at=before)
    Alert.objects.filter(pk=resolved.pk).update(state="resolved", resolution_note="Done.")

    response = _get(client, judge, session)

    row = _rows(response)["Ben"]
    assert [change.to_status for change in row.status_changes] == ["absconded"]
    assert [alert.message for alert in row.alerts_raised] == ["Raised alert"]
    assert [alert.message for alert in row.alerts_resolved] == ["Resolved alert"]
    assert row.has_changes is True
    page = response.content.decode()
    assert f"Status active → absconded on {heard + DAY:%Y-%m-%d}" in page
    assert "Alert raised: Raised alert" in page
    assert "Alert resolved: Resolved alert" in page
    assert "Old alert" not in page


def test_nothing_new_for_a_participant_without_changes(
    client, judge, program, session, casemanager
):
    person = enrolled(program, creator=casemanager, legal_first_name="Cy")
    on_docket(session, person.enrollments.get())

    response = _get(client, judge, session)

    assert _rows(response)["Cy"].has_changes is False
    assert "nothing new" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# A curfew ordered at the previous hearing


@pytest.mark.parametrize(
    ("weeks", "violation_after", "in_force", "completed"),
    [
        (1, None, False, True),  # over after a week, kept
        (1, 3, False, False),  # a violation reported on its fourth day
        (1, 8, False, True),  # a violation after it ended does not count against it
        (4, None, True, False),  # still in force
    ],
)
def test_a_curfew_is_completed_once_over_without_a_violation(
    client, judge, casemanager, program_settings, session, previous_session, ada,
    weeks, violation_after, in_force, completed,
):  # fmt: skip
    previous = previous_session.entries.get(participant=ada.participant)
    a_response(previous, named(program_settings, "Curfew"), weeks=weeks)
    if violation_after is not None:
        Incident.objects.create(
            participant=ada.participant,
            occurred_on=previous_session.held_on + violation_after * DAY,
            category=IncidentCategory.CURFEW_VIOLATION,
            description="Out after ten.",
            reported_to_court=True,
            severity=IncidentSeverity.LOW,
            recorded_by=casemanager,
        )

    response = _get(client, judge, session)

    (curfew,) = _rows(response)["Ada"].follow_ups
    until = previous_session.held_on + datetime.timedelta(weeks=weeks) - DAY
    assert (curfew.curfew_until, curfew.curfew_in_force, curfew.completed) == (
        until,
        in_force,
        completed,
    )
    state = "in force until" if in_force else "ended"
    assert f"curfew {state} {until:%Y-%m-%d}" in response.content.decode()
