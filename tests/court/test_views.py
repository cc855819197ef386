"""The court pages, per role: who sees which sessions, dockets and hearings, who records what
at a hearing (the session's judge or a clerk listed on it, nobody else: a refused POST leaves
the database unchanged), the warrants list, the participant's court section and the home
panels (the soonest dockets counted red, yellow, green); list pages cost the same queries at 1
and 20 rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from clients.access import DataClass
from clients.models import Appointment, AppointmentKind, AppointmentOutcome
from court.models import (
    APPEARANCE_OUTCOMES,
    Appearance,
    CourtSession,
    DocketEntry,
    Warrant,
    WarrantState,
)
from court.selectors import SESSIONS_WITH_COLOURS, DocketColours, bench_panel
from drugcourt.models import User
from drugcourt.selectors import program_today
from drugcourt.services import DEFAULT_PHASES
from tests.compliance.builders import an_appointment
from tests.conftest import enrolled, make_persona
from tests.factories import UserFactory, logged_classes, settings_since_2020

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# Builders: court rows written directly (the services have tests of their own)


def session_on(program, day, *, judge, clerks=(), courtroom="2A"):
    session = CourtSession.objects.create(
        program=program, held_on=day, courtroom=courtroom, judge=judge, created_by=judge
    )
    session.clerks.set(clerks)
    return session


def on_docket(session, participant, *, appearance="", note="", next_hearing_on=None):
    enrollment = participant.enrollments.get(program=session.program)
    appointment = Appointment.objects.create(
        participant=participant,
        kind=AppointmentKind.COURT,
        scheduled_at=session.starts_at,
        program=session.program,
        location=session.courtroom,
        staff=session.judge,
        created_by=session.judge,
        outcome=APPEARANCE_OUTCOMES[Appearance(appearance)] if appearance else "",
        outcome_reason=note,
    )
    return DocketEntry.objects.create(
        session=session,
        enrollment=enrollment,
        participant=participant,
        appointment=appointment,
        appearance=appearance,
        appearance_note=note,
        next_hearing_on=next_hearing_on,
        recorded_by=session.judge if appearance else None,
        recorded_at=timezone.now() if appearance else None,
        placed_by=session.judge,
    )


def warrant_for(entry, *, state=WarrantState.REQUESTED, reason="Failed to appear"):
    return Warrant.objects.create(
        enrollment=entry.enrollment,
        participant=entry.participant,
        entry=entry,
        state=state,
        reason=reason,
        requested_on=entry.session.held_on,
        requested_by=entry.session.judge,
        changed_by=entry.session.judge,
        changed_at=timezone.now(),
    )


@pytest.fixture(autouse=True)
def program_settings(program):
    return settings_since_2020(program)


@pytest.fixture
def today(program):
    return program_today(program)


@pytest.fixture
def clerk_elsewhere(organizations, program):
    """A clerk of the program listed on another session, not on `session`."""
    return UserFactory(
        username="clerk_elsewhere",
        roles=["clerk"],
        organization=organizations["court"],
        programs=[program],
    )


@pytest.fixture
def session(program, judge, clerk, today):
    return session_on(program, today, judge=judge, clerks=[clerk])


@pytest.fixture
def other_session(program, judge, clerk_elsewhere, today):
    return session_on(program, today, judge=judge, clerks=[clerk_elsewhere], courtroom="4C")


@pytest.fixture
def entry(session, participant):
    """`participant` (casemanager's, with defence_assigned on the team when asked for)."""
    return on_docket(session, participant)


@pytest.fixture
def entry2(session, participant2):
    """`participant2`, casemanager2's: not any assigned defence's."""
    return on_docket(session, participant2)


def _get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


# ---------------------------------------------------------------------------------------------
# The sessions list


@pytest.mark.parametrize(
    ("persona", "shown"),
    [
        ("coordinator", 2),
        ("judge", 2),
        ("clerk", 2),
        ("prosecutor", 2),
        ("defence_assigned", 1),
        ("casemanager", 1),
        ("casemanager2", 1),
    ],
)
def test_the_sessions_list_counts_the_entries_each_role_sees(
    client, request, entry, entry2, persona, shown
):
    response = _get(client, request.getfixturevalue(persona), "court:session_list")

    assert response.status_code == 200
    session = response.context["page"].object_list[0]
    assert (session.pk, session.entries_shown) == (entry.session_id, shown)


def test_a_defence_attorney_without_clients_on_a_docket_sees_no_session(
    client, defence, entry, entry2
):
    response = _get(client, defence, "court:session_list")

    assert response.status_code == 200
    assert list(response.context["page"]) == []


@pytest.mark.parametrize("persona", ["provider", "admin", "evaluator", "superuser"])
def test_who_never_reads_court_records_has_no_sessions_list(client, request, entry, persona):
    response = _get(client, request.getfixturevalue(persona), "court:session_list")

    assert response.status_code == 404


def test_past_sessions_are_listed_apart_latest_first(client, coordinator, program, judge, today):
    for days in (-14, -7, 7):
        session_on(program, today + datetime.timedelta(days=days), judge=judge)

    upcoming = _get(client, coordinator, "court:session_list").context["page"]
    past = _get(client, coordinator, "court:session_list", when="past").context["page"]

    assert [s.held_on for s in upcoming] == [today + datetime.timedelta(days=7)]
    assert [s.held_on for s in past] == [
        today - datetime.timedelta(days=7),
        today - datetime.timedelta(days=14),
    ]


def test_the_sessions_list_costs_the_same_queries_at_1_and_20_sessions(
    client, coordinator, program, judge, clerk, today, django_assert_num_queries
):
    client.force_login(coordinator)
    url = reverse("court:session_list")
    for count in (1, 20):
        CourtSession.objects.all().delete()
        for n in range(count):
            session_on(
                program,
                today + datetime.timedelta(days=n),
                judge=judge,
                clerks=[clerk],
                courtroom=f"Room {n}",
            )
        # 1 session 2 user 3 the user's programs 4 sees the whole docket (membership)
        # 5 coordinates (the set-up button) 6 works warrants (membership) 7 count the sessions
        # 8 the page of sessions with their counts 9 their clerks
        with django_assert_num_queries(9):
            page = client.get(url).content.decode()
        assert page.count("court/sessions/") >= count


# ---------------------------------------------------------------------------------------------
# The docket


@pytest.mark.parametrize(
    ("persona", "names"),
    [
        ("coordinator", {"Ada Moss", "Ben Okoye"}),
        ("judge", {"Ada Moss", "Ben Okoye"}),
        ("clerk", {"Ada Moss", "Ben Okoye"}),
        ("clerk_elsewhere", {"Ada Moss", "Ben Okoye"}),
        ("prosecutor", {"Ada Moss", "Ben Okoye"}),
        ("defence_assigned", {"Ada Moss"}),
        ("probation_assigned", {"Ada Moss"}),
        ("casemanager", {"Ada Moss"}),
        ("casemanager2", {"Ben Okoye"}),
    ],
)
def test_the_docket_shows_each_role_the_entries_it_may_see(
    client, request, entry, entry2, persona, names
):
    response = _get(client, request.getfixturevalue(persona), "court:docket", entry.session_id)

    assert response.status_code == 200
    page = response.content.decode()
    assert {name for name in ("Ada Moss", "Ben Okoye") if name in page} == names


@pytest.mark.parametrize(
    "persona", ["provider_treating", "provider", "admin", "evaluator", "defence", "superuser"]
)
def test_the_docket_is_not_found_for_who_sees_none_of_it(client, request, entry, persona):
    response = _get(client, request.getfixturevalue(persona), "court:docket", entry.session_id)

    assert response.status_code == 404


def test_the_docket_of_another_program_is_not_found(
    client, judge, other_program, foreign_participant
):
    settings_since_2020(other_program)
    outsider = UserFactory(roles=["judge"], programs=[other_program])
    session = session_on(other_program, program_today(other_program), judge=outsider)
    on_docket(session, foreign_participant)

    assert _get(client, judge, "court:docket", session.pk).status_code == 404


def test_the_docket_costs_the_same_queries_at_1_and_20_entries(
    client, coordinator, casemanager, program, session, django_assert_num_queries
):
    client.force_login(coordinator)
    url = reverse("court:docket", args=[session.pk])
    for count in (1, 20):
        DocketEntry.objects.all().delete()
        for _ in range(count):
            person = enrolled(program, creator=casemanager)
            on_docket(session, person, appearance=Appearance.APPEARED)
        # 1 session 2 user 3 the session 4 its clerks 5 sees the whole docket (membership)
        # 6 the entries with participant and enrollment 7 their responses 8 coordinates 9 acts
        # for the session (membership) 10 the access log's rows (one INSERT for the docket)
        with django_assert_num_queries(10):
            page = client.get(url).content.decode()
        assert page.count("court/hearings/") >= count


def test_the_printed_docket_ends_with_the_redisclosure_notice(client, judge, entry):
    page = _get(client, judge, "court:docket_print", entry.session_id).content.decode()

    assert "Ada Moss" in page
    notice = page.index("Notice of federal confidentiality rules (42 CFR part 2)")
    assert page.index("Ada Moss") < notice


# ---------------------------------------------------------------------------------------------
# The hearing page


@pytest.mark.parametrize("persona", ["judge", "clerk"])
def test_the_judge_and_a_clerk_of_the_session_get_the_hearing_forms(
    client, request, entry, persona
):
    response = _get(client, request.getfixturevalue(persona), "court:hearing", entry.pk)

    assert response.status_code == 200
    assert "outcome_form" in response.context
    assert reverse("court:hearing_outcome", args=[entry.pk]) in response.content.decode()


@pytest.mark.parametrize(
    "persona",
    [
        "clerk_elsewhere",
        "coordinator",
        "prosecutor",
        "defence_assigned",
        "casemanager",
        "judge_casemanager",
    ],
)
def test_others_who_see_the_entry_read_the_hearing_without_forms(client, request, entry, persona):
    response = _get(client, request.getfixturevalue(persona), "court:hearing", entry.pk)

    assert response.status_code == 200
    assert "outcome_form" not in response.context
    assert "Ada Moss" in response.content.decode()


@pytest.mark.parametrize(
    "persona", ["defence_assigned", "casemanager", "provider", "admin", "evaluator", "defence"]
)
def test_a_hearing_of_someone_else_is_not_found(client, request, entry2, persona):
    response = _get(client, request.getfixturevalue(persona), "court:hearing", entry2.pk)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "persona", ["clerk_elsewhere", "coordinator", "prosecutor", "judge_casemanager", "casemanager"]
)
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("court:hearing_outcome", {"appearance": "appeared"}),
        ("court:hearing_response", {"option": "1"}),
        ("court:hearing_phase", {"to_phase": "2", "reason": "Ninety days clean."}),
        (
            "court:hearing_completion",
            {
                "kind": "graduated",
                "case_disposition": "dismissed",
                "reason": "Done",
                "confirm": "on",
            },
        ),
    ],
)
def test_who_does_not_sit_on_the_session_records_nothing(
    client, request, entry, persona, name, data, other_session
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse(name, args=[entry.pk]), data)

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.appearance == ""
    assert not entry.responses.exists()
    assert not entry.phase_changes.exists()
    assert not hasattr(entry, "completion")


def test_a_bad_outcome_is_shown_on_the_form_with_what_was_typed(client, clerk, entry):
    client.force_login(clerk)

    response = client.post(
        reverse("court:hearing_outcome", args=[entry.pk]),
        {"appearance": "excused", "note": "", "next_hearing_reason": "Judge on leave"},
    )

    assert response.status_code == 200
    form = response.context["outcome_form"]
    assert form.errors["note"] == ["Say why the participant was excused."]
    assert 'value="Judge on leave"' in response.content.decode()
    entry.refresh_from_db()
    assert entry.appearance == ""


# ---------------------------------------------------------------------------------------------
# Warrants


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("coordinator", 200),
        ("judge", 200),
        ("clerk", 200),
        ("prosecutor", 404),
        ("defence_assigned", 404),
        ("casemanager", 404),
        ("provider", 404),
        ("admin", 404),
    ],
)
def test_the_warrants_list_is_for_the_coordinators_and_the_bench(
    client, request, entry, persona, status
):
    warrant_for(entry, reason="Did not come to court")

    response = _get(client, request.getfixturevalue(persona), "court:warrant_list")

    assert response.status_code == status
    if status == 200:
        assert "Did not come to court" in response.content.decode()


def test_the_warrants_list_costs_the_same_queries_at_1_and_20_warrants(
    client, coordinator, casemanager, program, session, django_assert_num_queries
):
    client.force_login(coordinator)
    url = reverse("court:warrant_list")
    for count in (1, 20):
        Warrant.objects.all().delete()
        DocketEntry.objects.all().delete()
        for _ in range(count):
            warrant_for(on_docket(session, enrolled(program, creator=casemanager)))
        # 1 session 2 user 3 the user's programs 4 works warrants (membership, per program)
        # 5 count 6 may request and serve (coordinates; a coordinator sits in no court, which
        # takes no query) 7 the page with participant, enrollment and hearing 8 the access log's
        # rows (one INSERT)
        with django_assert_num_queries(8):
            page = client.get(url).content.decode()
        assert page.count("Failed to appear") == count


def test_the_warrants_list_logs_the_participants_it_names(
    client, coordinator, casemanager, program, session
):
    person = enrolled(program, creator=casemanager)
    warrant_for(on_docket(session, person))
    client.force_login(coordinator)
    client.get(reverse("court:warrant_list"))

    assert logged_classes(coordinator, person, "court:warrant_list") == {
        DataClass.IDENTITY,
        DataClass.COURT,
    }


# ---------------------------------------------------------------------------------------------
# The participant page and the home pages


def test_the_participant_page_has_a_court_section_for_the_court_view(
    client, judge, entry, other_session
):
    past = session_on(
        entry.session.program,
        entry.session.held_on - datetime.timedelta(days=14),
        judge=judge,
        courtroom="1A",
    )
    on_docket(
        past,
        entry.participant,
        appearance=Appearance.EXCUSED,
        note="Hospital stay",
        next_hearing_on=entry.session.held_on,
    )

    page = _get(client, judge, "clients:participant_detail", entry.participant_id)

    text = page.content.decode()
    assert 'id="section-court"' in text
    assert "Hospital stay" in text


def test_the_court_section_is_not_a_providers(client, provider_treating, entry):
    text = _get(
        client, provider_treating, "clients:participant_detail", entry.participant_id
    ).content.decode()

    assert 'id="section-court"' not in text


def test_the_judge_home_lists_the_sessions_they_sit_on(client, judge, session, other_session):
    text = _get(client, judge, "home").content.decode()

    assert reverse("court:docket", args=[session.pk]) in text
    assert "Today" in text


def test_a_clerk_home_lists_only_the_sessions_they_are_listed_on(
    client, clerk, session, other_session
):
    text = _get(client, clerk, "home").content.decode()

    assert reverse("court:docket", args=[session.pk]) in text
    assert reverse("court:docket", args=[other_session.pk]) not in text


def test_the_coordinator_home_counts_the_warrant_requests_waiting(client, coordinator, entry):
    warrant_for(entry)

    text = _get(client, coordinator, "home").content.decode()

    assert "1 warrant request waiting" in text


def missed_meeting(participant, program, today):
    """A case-manager meeting missed yesterday: one missed is yellow on the summary."""
    return an_appointment(
        participant,
        today - datetime.timedelta(days=1),
        AppointmentKind.CASE_MANAGER,
        AppointmentOutcome.MISSED,
        program=program,
    )


@pytest.fixture
def docket_of_three(session, participant, participant2, program, casemanager, today):
    """On `session`'s docket: Ada red (an open warrant), Ben yellow (a missed case-manager
    meeting), Cy green (nothing to report)."""
    warrant_for(on_docket(session, participant))
    on_docket(session, participant2)
    missed_meeting(participant2, program, today)
    on_docket(session, enrolled(program, creator=casemanager, legal_first_name="Cy"))


@pytest.mark.parametrize("persona", ["judge", "clerk", "coordinator"])
def test_the_home_counts_the_docket_red_yellow_and_green_in_words(
    client, request, session, docket_of_three, persona
):
    page = _get(client, request.getfixturevalue(persona), "home").content.decode()

    summary = reverse("court:summary", args=[session.pk])
    assert f'<a class="small" href="{summary}">compliance summary: ' in page
    assert "compliance summary: 1 red · 1 yellow · 1 green" in strip_tags(page)


def test_a_clerk_of_another_session_sees_nothing_of_its_docket(
    client, clerk_elsewhere, session, other_session, docket_of_three
):
    page = _get(client, clerk_elsewhere, "home").content.decode()

    assert reverse("court:summary", args=[session.pk]) not in page
    assert reverse("court:summary", args=[other_session.pk]) in page
    assert "compliance summary: 0 red · 0 yellow · 0 green" in strip_tags(page)


def test_the_bench_panel_counts_the_soonest_dockets_at_the_same_queries_at_1_and_10_each(
    program, judge, clerk, casemanager, today
):
    sessions = [
        session_on(program, today + datetime.timedelta(days=n), judge=judge, clerks=[clerk])
        for n in range(SESSIONS_WITH_COLOURS + 1)
    ]
    queries = []
    for per_docket in (1, 10):
        for session in sessions:
            for n in range(per_docket - session.entries.count()):
                person = enrolled(program, creator=casemanager, legal_first_name=f"P{n}")
                missed_meeting(person, program, today)
                on_docket(session, person)
        judge = User.objects.get(pk=judge.pk)  # a request's user: nothing cached on it yet
        with CaptureQueriesContext(connection) as captured:
            panel = bench_panel(judge)
        queries.append(len(captured))

        # Today's and the next dockets are counted; the rest keep their plain line.
        assert [upcoming.colours for upcoming in panel["sessions"]] == [
            DocketColours(red=0, yellow=per_docket, green=0)
        ] * SESSIONS_WITH_COLOURS + [None]
    # The sessions, then each counted docket's compliance summary (test_summary.py names its
    # queries): 1 + SESSIONS_WITH_COLOURS times them, at 1 and at 10 a docket alike.
    assert queries[0] == queries[1]


def test_the_court_navigation_entry_is_for_court_roles_and_coordinators(
    client, judge, casemanager, provider
):
    url = reverse("court:session_list")
    assert url in _get(client, judge, "home").content.decode()
    assert url not in _get(client, provider, "home").content.decode()


def test_make_persona_is_usable_for_a_second_clerk(organizations, program):
    # Guards the fixture this module relies on: a clerk persona is a member of the program.
    assert (
        make_persona("clerk", organizations, program).memberships.filter(program=program).exists()
    )


# ---------------------------------------------------------------------------------------------
# The coordinator's pages


def test_the_session_form_offers_the_judges_and_clerks_of_the_program_only(
    client, coordinator, judge, clerk, program, other_program
):
    UserFactory(username="judge_elsewhere", roles=["judge"], programs=[other_program])

    form = _get(client, coordinator, "court:session_create", program.pk).context["form"]

    assert list(form.fields["judge"].queryset) == [judge]
    assert list(form.fields["clerks"].queryset) == [clerk]


@pytest.mark.parametrize("persona", ["judge", "clerk", "prosecutor", "casemanager"])
def test_only_a_coordinator_sets_up_sessions_and_places_participants(
    client, request, program, session, entry, persona
):
    user = request.getfixturevalue(persona)

    assert _get(client, user, "court:session_create", program.pk).status_code == 404
    assert _get(client, user, "court:session_update", session.pk).status_code == 404
    assert _get(client, user, "court:docket_place", session.pk).status_code == 404
    assert _get(client, user, "court:docket_remove", entry.pk).status_code == 404


def test_placing_suggests_who_is_due_and_finds_anyone_else_active(
    client, coordinator, casemanager, program, session, today
):
    due = enrolled(program, creator=casemanager, legal_first_name="Dee", legal_last_name="Due")
    due_enrollment = due.enrollments.get()
    due_enrollment.entry_date = today - datetime.timedelta(weeks=8)
    due_enrollment.save()
    later = enrolled(program, creator=casemanager, legal_first_name="Lou", legal_last_name="Later")
    later.enrollments.update(entry_date=today)

    page = _get(client, coordinator, "court:docket_place", session.pk)
    found = _get(client, coordinator, "court:docket_place", session.pk, q="Later")

    assert [e.participant for e in page.context["suggested"]] == [due]
    assert "checked" in page.content.decode()
    assert [e.participant for e in found.context["found"]] == [later]


def test_the_court_section_says_when_the_next_hearing_is_due_and_why(
    client, judge, participant, today
):
    participant.enrollments.update(entry_date=today - datetime.timedelta(days=3))

    text = _get(client, judge, "clients:participant_detail", participant.pk).content.decode()

    assert "Next hearing due" in text
    assert "Phase 1 default" in text


# ---------------------------------------------------------------------------------------------
# Recording at the hearing (services landed: court.services)


def _option(program_settings, name):
    return program_settings.response_options.get(name=name)


@pytest.fixture
def heard(session, participant):
    """`participant` appeared at today's hearing."""
    return on_docket(session, participant, appearance=Appearance.APPEARED)


def test_a_clerk_of_the_session_records_a_response(client, clerk, entry, program_settings):
    client.force_login(clerk)
    warning = _option(program_settings, "Verbal warning")

    response = client.post(
        reverse("court:hearing_response", args=[entry.pk]),
        {"option": warning.pk, "note": "Late twice"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("court:hearing", args=[entry.pk])
    assert [(r.option, r.note) for r in entry.responses.all()] == [(warning, "Late twice")]
    assert "Verbal warning recorded." in response.content.decode()


def test_a_response_missing_its_details_is_refused_on_the_form(
    client, judge, entry, program_settings
):
    client.force_login(judge)
    service = _option(program_settings, "Community service")

    response = client.post(
        reverse("court:hearing_response", args=[entry.pk]),
        {"option": service.pk, "note": "Park clean-up"},
    )

    assert response.status_code == 200
    form = response.context["response_form"]
    assert form.errors
    assert 'value="Park clean-up"' in response.content.decode()
    assert not entry.responses.exists()


def test_the_judge_moves_a_participant_who_appeared_to_the_next_phase(client, judge, heard):
    client.force_login(judge)

    response = client.post(
        reverse("court:hearing_phase", args=[heard.pk]),
        {"to_phase": "2", "reason": "Ninety days without a positive test."},
    )

    assert response.status_code == 302
    heard.enrollment.refresh_from_db()
    assert heard.enrollment.phase == 2
    assert heard.phase_changes.get().reason == "Ninety days without a positive test."


def test_no_phase_form_before_the_appearance_is_recorded(client, judge, entry):
    response = _get(client, judge, "court:hearing", entry.pk)

    assert "phase_form" not in response.context
    assert "Record the appearance first" in response.content.decode()


def test_graduation_needs_its_confirmation(client, judge, heard):
    client.force_login(judge)
    url = reverse("court:hearing_completion", args=[heard.pk])
    data = {
        "kind": "graduated",
        "case_disposition": "dismissed",
        "disposition": "Charges dismissed with prejudice",
        "reason": "All phases done",
    }

    unconfirmed = client.post(url, data)
    confirmed = client.post(url, {**data, "confirm": "on"})

    assert unconfirmed.status_code == 200
    assert unconfirmed.context["form"].errors["confirm"]
    assert confirmed.status_code == 302
    heard.refresh_from_db()
    assert (heard.completion.case_disposition, heard.completion.disposition) == (
        "dismissed",
        "Charges dismissed with prejudice",
    )


# ---------------------------------------------------------------------------------------------
# Community service


@pytest.fixture
def obligation(clerk, heard, program_settings):
    from court import services

    response = services.response_record(
        entry=heard, option=_option(program_settings, "Community service"), hours=10, actor=clerk
    )
    return response.obligation


def test_the_case_manager_logs_service_hours_and_the_section_counts_them(
    client, casemanager, obligation, today
):
    client.force_login(casemanager)

    response = client.post(
        reverse("court:service_hours_log", args=[obligation.pk]),
        {"worked_on": today.isoformat(), "hours": "2.5"},
        follow=True,
    )

    assert "2.5 of 10 hours completed" in response.content.decode()


@pytest.mark.parametrize("persona", ["judge", "clerk", "prosecutor", "defence_assigned"])
def test_the_court_does_not_log_service_hours(client, request, obligation, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = client.post(
        reverse("court:service_hours_log", args=[obligation.pk]), {"hours": "2", "worked_on": ""}
    )

    assert response.status_code == 404
    assert not obligation.hours_worked.exists()


# ---------------------------------------------------------------------------------------------
# Setting up sessions, the docket and recording hearings through the pages


def test_the_coordinator_sets_up_a_session_and_a_past_day_is_refused_on_the_form(
    client, coordinator, judge, clerk, program, today
):
    client.force_login(coordinator)
    url = reverse("court:session_create", args=[program.pk])
    data = {"start_time": "09:00", "courtroom": "2B", "judge": judge.pk, "clerks": [clerk.pk]}

    refused = client.post(url, {**data, "held_on": (today - datetime.timedelta(days=1))})
    created = client.post(url, {**data, "held_on": today.isoformat()})

    assert refused.status_code == 200
    assert refused.context["form"].errors["held_on"] == [
        "A court session cannot be set up on a past day."
    ]
    session = CourtSession.objects.get()
    assert created["Location"] == reverse("court:docket", args=[session.pk])
    assert (session.held_on, session.judge, list(session.clerks.all())) == (today, judge, [clerk])


def test_the_coordinator_changes_a_session_but_not_its_day(
    client, coordinator, judge, clerk, clerk_elsewhere, session, today
):
    client.force_login(coordinator)

    client.post(
        reverse("court:session_update", args=[session.pk]),
        {
            "held_on": (today + datetime.timedelta(days=3)).isoformat(),
            "start_time": "13:30",
            "courtroom": "5A",
            "judge": judge.pk,
            "clerks": [clerk_elsewhere.pk],
        },
    )

    session.refresh_from_db()
    assert (session.held_on, session.courtroom, list(session.clerks.all())) == (
        today,
        "5A",
        [clerk_elsewhere],
    )


def test_the_coordinator_places_the_chosen_participants(
    client, coordinator, session, participant, participant2
):
    client.force_login(coordinator)
    enrollments = [participant.enrollments.get(), participant2.enrollments.get()]

    response = client.post(
        reverse("court:docket_place", args=[session.pk]),
        {"enrollments": [enrollment.pk for enrollment in enrollments]},
        follow=True,
    )

    assert {entry.participant for entry in session.entries.all()} == {participant, participant2}
    assert "Placed on the docket: " in response.content.decode()


def test_taking_an_entry_off_needs_a_reason(client, coordinator, entry):
    client.force_login(coordinator)
    url = reverse("court:docket_remove", args=[entry.pk])

    refused = client.post(url, {"reason": ""})
    removed = client.post(url, {"reason": "In residential treatment"})

    assert refused.status_code == 200
    assert removed.status_code == 302
    entry.refresh_from_db()
    assert entry.appearance == Appearance.REMOVED


def test_the_next_hearing_starts_at_the_hearing_frequency(client, judge, entry, today):
    form = _get(client, judge, "court:hearing", entry.pk).context["outcome_form"]

    weeks = DEFAULT_PHASES[0].hearing_interval_weeks  # phase 1 of the default settings
    assert form.fields["next_hearing_on"].initial == today + datetime.timedelta(weeks=weeks)


def test_the_judge_records_an_appearance_at_the_default_next_hearing(client, judge, entry, today):
    client.force_login(judge)
    default = today + datetime.timedelta(weeks=DEFAULT_PHASES[0].hearing_interval_weeks)

    response = client.post(
        reverse("court:hearing_outcome", args=[entry.pk]),
        {"appearance": "appeared", "next_hearing_on": default.isoformat()},
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.appearance, entry.next_hearing_on) == (Appearance.APPEARED, default)


def test_another_next_hearing_date_needs_its_reason(client, judge, entry, today):
    client.force_login(judge)
    other = today + datetime.timedelta(weeks=DEFAULT_PHASES[0].hearing_interval_weeks, days=2)
    url = reverse("court:hearing_outcome", args=[entry.pk])

    refused = client.post(url, {"appearance": "appeared", "next_hearing_on": other.isoformat()})
    recorded = client.post(
        url,
        {
            "appearance": "appeared",
            "next_hearing_on": other.isoformat(),
            "next_hearing_reason": "Sooner after a positive test",
        },
    )

    assert "next_hearing_reason" in refused.context["outcome_form"].errors
    assert recorded.status_code == 302
    entry.refresh_from_db()
    assert entry.next_hearing_reason == "Sooner after a positive test"


def test_a_failure_to_appear_puts_a_warrant_request_before_the_coordinator(
    client, clerk, coordinator, entry
):
    client.force_login(clerk)
    client.post(
        reverse("court:hearing_outcome", args=[entry.pk]), {"appearance": "failed_to_appear"}
    )

    requests = _get(client, coordinator, "court:warrant_list", state="requested")
    home = _get(client, coordinator, "home")

    assert [w.entry for w in requests.context["page"]] == [entry]
    assert "1 warrant request waiting" in home.content.decode()


# ---------------------------------------------------------------------------------------------
# Warrant transitions


def test_the_judge_issues_a_requested_warrant_after_confirming(client, judge, entry, today):
    warrant = warrant_for(entry)
    client.force_login(judge)
    url = reverse("court:warrant_issue", args=[warrant.pk])

    confirmation = client.get(url)
    response = client.post(url, {"on": today.isoformat()})

    assert "Issue the warrant" in confirmation.content.decode()
    assert response.status_code == 302
    warrant.refresh_from_db()
    entry.enrollment.refresh_from_db()
    assert (warrant.state, entry.enrollment.status) == (WarrantState.ISSUED, "absconded")


def test_a_coordinator_may_not_issue_a_warrant(client, coordinator, entry, today):
    warrant = warrant_for(entry)
    client.force_login(coordinator)

    response = client.post(
        reverse("court:warrant_issue", args=[warrant.pk]), {"on": today.isoformat()}
    )

    assert response.status_code == 200
    assert "Only a judge or clerk of the program issues bench warrants." in (
        response.content.decode()
    )
    warrant.refresh_from_db()
    assert warrant.state == WarrantState.REQUESTED


def test_a_coordinator_records_an_issued_warrant_served(client, coordinator, entry, today):
    warrant = warrant_for(entry, state=WarrantState.ISSUED)
    client.force_login(coordinator)

    response = client.post(
        reverse("court:warrant_serve", args=[warrant.pk]), {"on": today.isoformat()}, follow=True
    )

    warrant.refresh_from_db()
    assert (warrant.state, warrant.served_on) == (WarrantState.SERVED, today)
    assert "served" in response.content.decode()


def test_a_warrant_cannot_be_served_before_it_is_issued(client, coordinator, entry, today):
    warrant = warrant_for(entry)
    client.force_login(coordinator)

    response = client.post(
        reverse("court:warrant_serve", args=[warrant.pk]), {"on": today.isoformat()}, follow=True
    )

    assert "cannot become served" in response.content.decode()
    warrant.refresh_from_db()
    assert warrant.state == WarrantState.REQUESTED


def test_the_clerk_recalls_a_warrant_with_its_reason(client, clerk, entry, today):
    warrant = warrant_for(entry)
    client.force_login(clerk)

    client.post(
        reverse("court:warrant_recall", args=[warrant.pk]),
        {"on": today.isoformat(), "reason": "Came to court the next morning"},
    )

    warrant.refresh_from_db()
    assert (warrant.state, warrant.recalled_on) == (WarrantState.RECALLED, today)
    listed = client.get(reverse("court:warrant_list"), {"state": "recalled"}).content.decode()
    assert "Recalled: Came to court the next morning" in listed
