"""The compliance summary, its print packet and the hearing page under the 42 CFR Part 2 gate
(issue 18): for a judge and a prosecutor, with no consent, one in force, expired, revoked, and a
§2.35 consent irrevocable before its event, what no consent covers is left out of every figure,
the colour, the suggestions, the checklist, the alerts and the staffing notes, and the page says
"not covered by consent" in its place; the same number of queries at 1 and 20 entries, some of
them consented and some not.

Ada, since her previous hearing a fortnight ago: a negative test probation collected, a cocaine
positive her treatment agency collected, a missed treatment session (with its alert), a
case-manager meeting attended and one whose attendance is not recorded yet (with its alert)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import (
    Alert,
    AlertSeverity,
    AppointmentKind,
    AppointmentOutcome,
    Consent,
    ConsentTrigger,
)
from compliance.models import TestStatus
from compliance.rules import Colour
from court.models import Appearance, StaffingNote
from court.phase_requirements import PlanObjectivesMet, SoberDays
from drugcourt.models import Behaviour, Phase, Substance
from drugcourt.roles import Role
from drugcourt.selectors import program_today
from tests.compliance.builders import a_test, an_appointment
from tests.conftest import enrolled
from tests.court.builders import on_docket, session_on
from tests.factories import consent_to, settings_since_2020

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
FORTNIGHT = datetime.timedelta(days=14)
MISSED_SESSION = "Missed group at Northside Recovery"
UNRECORDED_MEETING = "Attendance at the case-manager meeting not recorded"
PROVIDER_NOTE = "Relapsed on cocaine; asks for evening groups."
CASE_MANAGER_NOTE = "Back at work since Monday."

# Consent states, and whether a consent in that state covers today.
STATES = {
    "none": False,
    "in_force": True,
    "expired": False,
    "revoked": False,
    "irrevocable_before_event": True,
}


def consent_in_state(state, participant, *recipients):
    """A consent of the participant's enrollment to every gated class naming `recipients`, in
    `state` (None for "none")."""
    if state == "none":
        return None
    today = program_today(participant.enrollments.get().program)
    fields = {
        "in_force": {},
        "expired": {"expires_on": today - DAY},
        "revoked": {"revoked_on": today - DAY, "revocation_received_how": "Letter"},
        "irrevocable_before_event": {
            "criminal_justice": True,
            "irrevocable_until_event": ConsentTrigger.FINAL_DISPOSITION,
        },
    }[state]
    return consent_to(participant, *recipients, **fields)


@pytest.fixture
def program_settings(program):
    version = settings_since_2020(program)
    # Phase 1 asks for sober days and plan objectives: one read from the tests, one from the
    # plan (a whole Part 2 class).
    Phase.objects.filter(settings=version, number=1).update(
        requirements=[
            {"kind": SoberDays.key, "params": {"days": 1}},
            {"kind": PlanObjectivesMet.key, "params": {"percent": 50}},
        ]
    )
    return version


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
def ada(participant, previous_session, session, probation, provider, casemanager):
    heard = previous_session.held_on
    enrollment = participant.enrollments.get()
    on_docket(previous_session, enrollment, appearance=Appearance.APPEARED)
    a_test(participant, heard + DAY, TestStatus.NEGATIVE, collected_by=probation)
    a_test(participant, heard + 2 * DAY, TestStatus.POSITIVE, Substance.COCAINE,
           collected_by=provider)  # fmt: skip
    missed = an_appointment(participant, heard + 3 * DAY, AppointmentKind.TREATMENT, "missed")
    an_appointment(participant, heard + 4 * DAY, AppointmentKind.CASE_MANAGER, "attended")
    unrecorded = an_appointment(participant, heard + 5 * DAY, AppointmentKind.CASE_MANAGER, "")
    for appointment, kind, message in (
        (missed, "missed_appointment", MISSED_SESSION),
        (unrecorded, "attendance_not_recorded", UNRECORDED_MEETING),
    ):
        Alert.objects.create(
            participant=participant,
            kind=kind,
            source_key=f"appointment:{appointment.pk}",
            data_class="attendance",
            severity=AlertSeverity.WARNING,
            message=message,
        )
    entry = on_docket(session, enrollment)
    for author, role, text in (
        (provider, Role.TREATMENT_PROVIDER, PROVIDER_NOTE),
        (casemanager, Role.CASE_MANAGER, CASE_MANAGER_NOTE),
    ):
        StaffingNote.objects.create(
            entry=entry,
            author=author,
            role=role,
            text=text,
            written_at=timezone.now(),
            updated_at=timezone.now(),
        )
    return entry


def _get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


PERSONAS = [("judge", Role.JUDGE), ("prosecutor", Role.PROSECUTOR)]


@pytest.mark.parametrize(("state", "covered"), STATES.items())
@pytest.mark.parametrize(("persona", "role"), PERSONAS)
@pytest.mark.parametrize("per_page", ["", "1"], ids=["summary", "print_packet"])
def test_the_summary_withholds_what_no_consent_covers(
    client, request, program, session, ada, persona, role, state, covered, per_page
):
    user = request.getfixturevalue(persona)
    consent_in_state(state, ada.participant, (program, role))

    response = _get(client, user, "court:summary", session.pk, per_page=per_page)

    assert response.status_code == 200
    (row,) = response.context["rows"]
    page = response.content.decode()
    tests = row.facts.drug_tests
    checklist = {item.requirement: item.figure for item in row.checklist.items}
    behaviours = {suggestion.behaviour for suggestion in row.suggestions}
    assert UNRECORDED_MEETING in page  # a case-manager meeting is never Part 2
    assert (row.facts.case_management.attended, row.facts.case_management.missed) == (1, 0)
    if covered:
        assert not row.withheld
        assert (tests.tests, tests.negatives, tests.positives, tests.withheld) == (2, 1, 1, 0)
        assert (row.facts.treatment.attended, row.facts.treatment.missed) == (0, 1)
        assert row.verdict.colour == Colour.RED
        assert "Cocaine 1" in page
        assert behaviours == {Behaviour.POSITIVE_TEST, Behaviour.MISSED_TREATMENT}
        assert row.facts.sobriety.days == 12  # since the positive
        assert checklist["At least 50 % of the treatment plan's objectives met"] == (
            "no plan in force"
        )
        assert MISSED_SESSION in page
        assert "not covered by consent" not in page
    else:
        assert row.tests_withheld
        assert row.attendance_withheld
        # Only the test probation collected: the treatment agency's is counted as withheld.
        assert (tests.tests, tests.negatives, tests.positives, tests.withheld) == (1, 1, 0, 1)
        assert "1 treatment-collected test not covered by consent" in page
        assert "Cocaine" not in page
        # The treatment session: the notice in its place, nothing of it in the colour.
        assert (row.facts.treatment.attended, row.facts.treatment.missed) == (0, 0)
        assert 'data-withheld="attendance"' in page
        assert "Attendance: not covered by consent." in page
        assert row.verdict.colour == Colour.GREEN
        assert row.verdict.reasons == ()
        # Nothing suggested from what is withheld, and no "every test negative" claimed.
        assert behaviours == set()
        # Sober since entry, as far as the tests the user may see go.
        assert row.facts.sobriety.days == (session.held_on - row.facts.sobriety.entry_date).days
        assert checklist["At least 50 % of the treatment plan's objectives met"] == (
            "not covered by consent"
        )
        assert checklist["At least 1 days of continuous sobriety"].endswith(
            "(without the treatment-collected tests not covered by consent)"
        )
        assert MISSED_SESSION not in page
    if per_page:
        assert page.count("42 CFR part 2") >= 1


@pytest.mark.parametrize(("state", "covered"), STATES.items())
@pytest.mark.parametrize(("persona", "role"), PERSONAS)
def test_the_hearing_page_withholds_the_providers_staffing_note(
    client, request, program, session, ada, persona, role, state, covered
):
    user = request.getfixturevalue(persona)
    consent_in_state(state, ada.participant, (program, role))

    response = _get(client, user, "court:hearing", ada.pk)

    assert response.status_code == 200
    page = response.content.decode()
    assert CASE_MANAGER_NOTE in page
    assert (PROVIDER_NOTE in page) == covered
    assert ("1 treatment provider staffing note not covered by consent" in page) == (not covered)
    assert ("Cocaine" in page) == covered


def test_a_consent_naming_another_role_covers_nobody_else(
    client, program, judge, prosecutor, session, ada
):
    consent_in_state("in_force", ada.participant, (program, Role.JUDGE))

    judge_page = _get(client, judge, "court:summary", session.pk).content.decode()
    prosecutor_page = _get(client, prosecutor, "court:summary", session.pk).content.decode()

    assert "Cocaine 1" in judge_page
    assert "Cocaine" not in prosecutor_page
    assert "1 treatment-collected test not covered by consent" in prosecutor_page


def test_the_treatment_program_needs_no_consent(client, coordinator, casemanager, session, ada):
    for user in (coordinator, casemanager):
        response = _get(client, user, "court:summary", session.pk)
        (row,) = response.context["rows"]
        assert not row.withheld
        assert "Cocaine 1" in response.content.decode()


@pytest.mark.parametrize(("state", "covered"), STATES.items())
def test_the_docket_print_carries_no_part2_information(
    client, program, judge, session, ada, state, covered
):
    consent_in_state(state, ada.participant, (program, Role.JUDGE))

    response = _get(client, judge, "court:docket_print", session.pk)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ada Moss" in page
    for part2 in ("Cocaine", PROVIDER_NOTE, MISSED_SESSION, "not covered by consent"):
        assert part2 not in page


def test_the_summary_costs_the_same_queries_at_1_and_20_entries_some_consented(
    client, judge, program, casemanager, probation, provider, session, previous_session,
    django_assert_num_queries,
):  # fmt: skip
    client.force_login(judge)
    url = reverse("court:summary", args=[session.pk])
    for count in (1, 20):
        for n in range(count - session.entries.count()):
            person = enrolled(program, creator=casemanager, legal_first_name=f"P{n}")
            enrollment = person.enrollments.get()
            on_docket(previous_session, enrollment, appearance="appeared")
            a_test(person, previous_session.held_on + DAY, TestStatus.NEGATIVE,
                   collected_by=probation)  # fmt: skip
            a_test(person, previous_session.held_on + 2 * DAY, TestStatus.POSITIVE,
                   Substance.COCAINE, collected_by=provider)  # fmt: skip
            an_appointment(person, previous_session.held_on + DAY,
                           AppointmentKind.TREATMENT, AppointmentOutcome.MISSED)  # fmt: skip
            # The first has a consent naming the judges; of the rest, every other one.
            consent_in_state("none" if n % 2 else "in_force", person, (program, Role.JUDGE))
            on_docket(session, enrollment)
        # 1 session 2 user 3 the session 4 its clerks 5 sees the whole docket (membership)
        # 6 the entries with participant and enrollment 7 their previous hearings 8 the
        # responses given there 9 the user's reach of the participants 10 their consents
        # 11 the consents' recipients; the phase checklists: 12 the phases in force 13-16 the
        # monitoring facts over the phase's window (none asked: since the phase's start)
        # 17 the plans' objectives; 18-21 the monitoring facts since the previous hearing
        # 22 open warrants 23 last phase changes 24 acts for the session (membership) 25 the
        # recommendations 26 incidents reported to court 27 alerts 28 status changes
        # 29 conditions in force 30 prior responses to each behaviour 31 the response matrix
        # in force 32 the ledgers' totals on the session's day 33 the access log's rows (one
        # INSERT for the docket, with each consented participant's disclosures)
        with django_assert_num_queries(33):
            page = client.get(url).content.decode()
        consented = Consent.objects.count()
        assert page.count("(Cocaine 1)</li>") == consented
        assert page.count("1 treatment-collected test not covered by consent") == (
            count - consented
        )
