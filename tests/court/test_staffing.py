"""Staffing (issue 16): before the hearing each member of the participant's team writes their
own short note as their role; the team, the session's judge and its clerks read them; the case
manager or a coordinator records the team's one recommendation from the catalogue in force,
which the hearing's response form starts from. Refusals save nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from compliance.models import TestStatus
from court import selectors
from court.models import Appearance, StaffingNote, StaffingRecommendation
from court.services import staffing_note_write, staffing_recommend
from drugcourt.models import ResponseOption
from drugcourt.selectors import program_today
from tests.compliance.builders import a_test
from tests.court.builders import on_docket, session_on
from tests.factories import UserFactory, settings_since_2020

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 16)
NOW = datetime.datetime(2026, 11, 13, 18, 0, tzinfo=datetime.UTC)  # the Friday before

# persona → the role their note is written as.
WRITERS = {
    "casemanager": "case_manager",
    "probation_assigned": "probation_officer",
    "provider_treating": "treatment_provider",
    "prosecutor": "prosecutor",
    "defence_assigned": "defence_attorney",
    "coordinator": "coordinator",
}
# Read the team's notes without writing one: the session's judge and the clerk listed on it.
BENCH = ("judge", "clerk")
# Not on `participant`'s team, or never reading staffing: refused and shown nothing.
OUTSIDERS = (
    "casemanager2",  # another caseload
    "probation",  # not assigned to the participant
    "defence",  # not the participant's counsel
    "provider",  # no service episode on the participant
    "judge_casemanager",  # a judge of the program, not of this session
    "evaluator",
    "admin",
)


@pytest.fixture(autouse=True)
def program_settings(program, other_program):
    settings_since_2020(other_program)
    return settings_since_2020(program)


@pytest.fixture
def session(program, judge, clerk):
    return session_on(program, DAY, judge=judge, clerks=[clerk])


@pytest.fixture
def entry(session, participant):
    return on_docket(session, participant.enrollments.get())


def option(program, name="Verbal warning"):
    return ResponseOption.objects.get(settings__program=program, name=name)


def write(entry, user, text="Doing well; two meetings a week."):
    return staffing_note_write(entry=entry, text=text, actor=user, now=NOW)


# ---------------------------------------------------------------------------------------------
# Notes: who writes, as what, only their own


@pytest.mark.parametrize(("persona", "role"), WRITERS.items())
def test_each_team_member_writes_their_note_as_their_role(request, entry, persona, role):
    user = request.getfixturevalue(persona)

    note = write(entry, user)

    assert (note.author, note.role, note.text) == (user, role, "Doing well; two meetings a week.")
    assert note.written_at == note.updated_at == NOW


@pytest.mark.parametrize("persona", [*BENCH, *OUTSIDERS])
def test_someone_not_writing_for_the_team_is_refused_and_nothing_is_saved(request, entry, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(ValidationError, match="team writes staffing notes"):
        write(entry, user)

    assert not StaffingNote.objects.exists()


def test_a_clerk_of_the_program_not_listed_on_the_session_writes_and_reads_nothing(entry, program):
    other_clerk = UserFactory(username="other_clerk", roles=["clerk"], programs=[program])

    with pytest.raises(ValidationError):
        write(entry, other_clerk)
    assert selectors.staffing_of(other_clerk, entry) is None


def test_each_author_has_one_note_they_rewrite_and_nobody_else_changes_it(
    entry, casemanager, prosecutor
):
    theirs = write(entry, prosecutor, "Asks for jail.")
    first = write(entry, casemanager, "First draft.")

    again = staffing_note_write(
        entry=entry, text="Second draft.", actor=casemanager, now=NOW + datetime.timedelta(hours=1)
    )

    assert again.pk == first.pk
    assert StaffingNote.objects.count() == 2
    again.refresh_from_db()
    assert (again.text, again.written_at) == ("Second draft.", NOW)
    assert again.updated_at == NOW + datetime.timedelta(hours=1)
    theirs.refresh_from_db()
    assert (theirs.author, theirs.text) == (prosecutor, "Asks for jail.")


def test_a_member_of_another_program_writes_no_note_on_this_programs_hearing(entry, other_program):
    elsewhere = UserFactory(username="far_away", roles=["prosecutor"], programs=[other_program])

    with pytest.raises(ValidationError):
        write(entry, elsewhere)
    assert selectors.staffing_of(elsewhere, entry) is None


@pytest.mark.parametrize("text", ["", "   \n "])
def test_an_empty_note_is_refused(entry, casemanager, text):
    with pytest.raises(ValidationError, match="empty staffing note"):
        write(entry, casemanager, text)

    assert not StaffingNote.objects.exists()


def test_a_note_is_trimmed_and_kept_short(entry, casemanager):
    assert write(entry, casemanager, "  On track.  ").text == "On track."

    with pytest.raises(ValidationError, match="at most 1000"):
        write(entry, casemanager, "x" * 1001)
    assert StaffingNote.objects.get().text == "On track."


@pytest.mark.parametrize(
    "appearance", [Appearance.APPEARED, Appearance.FAILED_TO_APPEAR, Appearance.REMOVED]
)
def test_no_note_is_written_or_changed_after_the_outcome(
    session, participant, casemanager, prosecutor, appearance
):
    entry = on_docket(session, participant.enrollments.get())
    note = write(entry, casemanager, "Before the hearing.")
    entry.appearance = appearance
    entry.appearance_note = "Moved away." if appearance == Appearance.REMOVED else ""
    entry.save()

    with pytest.raises(ValidationError):
        write(entry, casemanager, "After it.")
    with pytest.raises(ValidationError):
        write(entry, prosecutor, "After it.")

    note.refresh_from_db()
    assert note.text == "Before the hearing."
    assert StaffingNote.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Who reads them


@pytest.mark.parametrize("persona", [*WRITERS, "provider_elsewhere", *BENCH])
def test_the_team_and_the_sessions_bench_read_every_note(request, entry, casemanager, persona):
    write(entry, casemanager, "Case manager's view.")
    user = request.getfixturevalue(persona)

    staffing = selectors.staffing_of(user, entry)

    assert [note.text for note in staffing.notes] == ["Case manager's view."]
    assert (staffing.writes_as is None) == (persona in BENCH)


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_read_no_staffing(request, client, entry, casemanager, persona):
    write(entry, casemanager, "Case manager's view.")
    user = request.getfixturevalue(persona)

    assert selectors.staffing_of(user, entry) is None
    client.force_login(user)
    assert client.get(reverse("court:staffing", args=[entry.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------
# The recommendation


@pytest.mark.parametrize("persona", ["casemanager", "coordinator"])
def test_the_case_manager_or_a_coordinator_records_the_recommendation(
    request, entry, program, persona
):
    user = request.getfixturevalue(persona)

    recommendation = staffing_recommend(
        entry=entry, option=option(program), reason="First slip in 90 days.", actor=user, now=NOW
    )

    assert (recommendation.option, recommendation.recorded_by) == (option(program), user)
    assert recommendation.reason == "First slip in 90 days."


def test_a_second_recommendation_replaces_the_first(entry, program, casemanager, coordinator):
    staffing_recommend(
        entry=entry, option=option(program), reason="A warning.", actor=casemanager, now=NOW
    )
    praise = option(program, "Praise from the bench")

    staffing_recommend(
        entry=entry, option=praise, reason="Ninety days clean.", actor=coordinator, now=NOW
    )

    recommendation = StaffingRecommendation.objects.get()
    assert (recommendation.option, recommendation.reason) == (praise, "Ninety days clean.")
    assert recommendation.recorded_by == coordinator


@pytest.mark.parametrize(
    "persona",
    ["prosecutor", "defence_assigned", "probation_assigned", "provider_treating", *BENCH],
)
def test_the_rest_of_the_team_does_not_record_the_recommendation(request, entry, program, persona):
    with pytest.raises(ValidationError, match="record the team's recommendation"):
        staffing_recommend(
            entry=entry,
            option=option(program),
            reason="Our view.",
            actor=request.getfixturevalue(persona),
            now=NOW,
        )

    assert not StaffingRecommendation.objects.exists()


def test_a_recommendation_outside_the_catalogue_is_refused(entry, other_program, casemanager):
    with pytest.raises(ValidationError, match="not in the program's response catalogue"):
        staffing_recommend(
            entry=entry,
            option=option(other_program),
            reason="A warning.",
            actor=casemanager,
            now=NOW,
        )

    assert not StaffingRecommendation.objects.exists()


def test_a_recommendation_needs_its_reason(entry, program, casemanager):
    with pytest.raises(ValidationError, match="Say why"):
        staffing_recommend(
            entry=entry, option=option(program), reason="  ", actor=casemanager, now=NOW
        )

    assert not StaffingRecommendation.objects.exists()


def test_no_recommendation_after_the_outcome(entry, program, casemanager):
    entry.appearance = Appearance.APPEARED
    entry.save()

    with pytest.raises(ValidationError, match="outcome is recorded"):
        staffing_recommend(
            entry=entry, option=option(program), reason="Late.", actor=casemanager, now=NOW
        )

    assert not StaffingRecommendation.objects.exists()


# ---------------------------------------------------------------------------------------------
# The pages


def test_the_team_writes_on_the_hearing_page_and_the_judge_reads_it(
    client, entry, program, casemanager, prosecutor, judge
):
    client.force_login(prosecutor)
    response = client.post(
        reverse("court:staffing_note", args=[entry.pk]), {"text": "Asks for a sanction."}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("court:hearing", args=[entry.pk]))
    client.force_login(casemanager)
    client.post(
        reverse("court:staffing_recommend", args=[entry.pk]),
        {"option": option(program).pk, "reason": "A first slip."},
    )

    client.force_login(judge)
    page = client.get(reverse("court:hearing", args=[entry.pk]))

    text = page.content.decode()
    assert "Asks for a sanction." in text
    assert "A first slip." in text
    assert "note_form" not in page.context  # the judge reads, writes no note
    assert page.context["response_form"]["option"].value() == option(program).pk


def test_the_response_form_starts_empty_without_a_recommendation(client, entry, judge):
    client.force_login(judge)

    page = client.get(reverse("court:hearing", args=[entry.pk]))

    assert page.context["response_form"]["option"].value() is None


def test_without_a_recommendation_the_forms_start_from_the_matrix(
    client, entry, judge, casemanager, participant, program
):
    # A missed test since entry: the default matrix answers a first one with a verbal warning.
    a_test(participant, DAY - datetime.timedelta(days=3), TestStatus.MISSED)
    warning = option(program, "Verbal warning")

    client.force_login(casemanager)
    staffing = client.get(reverse("court:hearing", args=[entry.pk]))
    client.force_login(judge)
    hearing = client.get(reverse("court:hearing", args=[entry.pk]))

    assert staffing.context["recommendation_form"]["option"].value() == warning.pk
    form = hearing.context["response_form"]
    assert (form["option"].value(), form["behaviour"].value()) == (warning.pk, "missed_test")
    assert "Missed or refused test (0 prior): <strong>Verbal warning</strong>" in (
        hearing.content.decode()
    )


def test_a_treating_provider_staffs_on_the_staffing_page_only(client, entry, provider_treating):
    client.force_login(provider_treating)
    staffing_url = reverse("court:staffing", args=[entry.pk])

    response = client.post(
        reverse("court:staffing_note", args=[entry.pk]), {"text": "Attends every group."}
    )

    assert response["Location"] == staffing_url
    assert "Attends every group." in client.get(staffing_url).content.decode()
    assert client.get(reverse("court:hearing", args=[entry.pk])).status_code == 404
    assert StaffingNote.objects.get().role == "treatment_provider"


def test_an_empty_note_on_the_page_says_why_and_saves_nothing(client, entry, casemanager):
    client.force_login(casemanager)

    response = client.post(reverse("court:staffing_note", args=[entry.pk]), {"text": " "})

    assert response.status_code == 200
    assert "empty staffing note" in response.content.decode()
    assert not StaffingNote.objects.exists()


def test_a_reader_who_writes_no_note_is_refused_by_the_page(client, entry, judge):
    client.force_login(judge)

    response = client.post(reverse("court:staffing_note", args=[entry.pk]), {"text": "Hm."})

    assert response.status_code == 404
    assert not StaffingNote.objects.exists()


def test_the_participant_page_links_a_provider_to_the_staffing(
    client, program, judge, participant, provider_treating
):
    next_week = program_today(program) + datetime.timedelta(days=7)
    entry = on_docket(session_on(program, next_week, judge=judge), participant.enrollments.get())
    client.force_login(provider_treating)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk]))

    assert reverse("court:staffing", args=[entry.pk]) in page.content.decode()
