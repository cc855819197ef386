"""Part 2 information on the pages, with and without a consent (issue 18): a whole Part 2 class
no consent covers says "not covered by consent" in its place; a row class (drug tests a
treatment program collected, treatment sessions, providers' staffing notes) shows its other
rows and counts the ones it leaves out. Never the data."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.services import need_record
from clients import services as client_services
from compliance.models import DrugTest, TestReason, TestStatus
from court import services as court_services
from drugcourt.roles import Role
from drugcourt.selectors import program_today
from tests.conftest import on_the_team
from tests.factories import assign, consent_to_team, placed_on_docket, settings_since_2020

NOT_COVERED = "not covered by consent"
CONSENT = pytest.mark.parametrize("consented", [True, False], ids=["consent", "no-consent"])


def text_of(client, user, name, *args):
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def treating(participant, provider, casemanager):
    """`provider` treats the participant (an active service episode at their agency)."""
    on_the_team(participant, {"provider_treating": provider}, referred_by=casemanager)
    return provider


@pytest.fixture
def tests_by_both(participant, program, casemanager, treating):
    """Today a test collected by the court's case manager and one collected at the treatment
    agency (Part 2: a treatment program collected it)."""
    settings_since_2020(program)
    today, now = program_today(program), timezone.now()
    return {
        who: DrugTest.objects.create(
            participant=participant,
            program=program,
            reason=TestReason.ORDERED,
            scheduled_for=today,
            status=status,
            collected_at=now,
            collected_by=collector,
            status_changed_at=now,
        )
        for who, collector, status in (
            ("court", casemanager, TestStatus.NEGATIVE),
            ("agency", treating, TestStatus.POSITIVE),
        )
    }


@CONSENT
def test_the_court_reads_a_test_a_treatment_program_collected_only_under_a_consent(
    client, judge, participant, tests_by_both, consented
):
    if consented:
        consent_to_team(participant)
    agency_test = tests_by_both["agency"]

    detail = text_of(client, judge, "clients:participant_detail", participant.pk)
    testing = text_of(client, judge, "compliance:participant_testing", participant.pk)
    test_page = text_of(client, judge, "compliance:test_detail", agency_test.pk)

    assert ("1 drug test " + NOT_COVERED in detail) is not consented
    assert ("1 drug test " + NOT_COVERED in testing) is not consented
    assert ("Tests, last 90 days (2)" in detail) is consented
    assert ("Tests, last 90 days (1)" in detail) is not consented
    assert (f"/tests/{agency_test.pk}/" in testing) is consented
    assert f"/tests/{tests_by_both['court'].pk}/" in testing
    assert ("Drug tests: " + NOT_COVERED in test_page) is not consented


def test_the_treatment_program_and_the_collecting_agency_read_every_test(
    client, casemanager, treating, participant, tests_by_both
):
    for user in (casemanager, treating):
        testing = text_of(client, user, "compliance:participant_testing", participant.pk)

        assert NOT_COVERED not in testing
        assert all(f"/tests/{test.pk}/" in testing for test in tests_by_both.values())


@CONSENT
def test_the_court_reads_treatment_sessions_only_under_a_consent(
    client, judge, participant, treating, consented
):
    if consented:
        consent_to_team(participant)
    for kind, location in (("treatment", "CLINIC-MARKER"), ("case_manager", "OFFICE-MARKER")):
        client_services.appointment_schedule(
            participant=participant,
            kind=kind,
            scheduled_at=timezone.now(),
            location=location,
            actor=treating if kind == "treatment" else participant.assignments.get().user,
        )
    start = program_today(participant.enrollments.get().program).isoformat()

    pages = [
        text_of(client, judge, "clients:participant_detail", participant.pk),
        text_of(client, judge, "clients:timeline", participant.pk),
        client.get(
            reverse("clients:participant_calendar", args=[participant.pk]), {"start": start}
        ).content.decode(),
    ]

    for text in pages:
        assert "OFFICE-MARKER" in text
        assert ("CLINIC-MARKER" in text) is consented
        assert ("1 treatment session " + NOT_COVERED in text) is not consented


@CONSENT
def test_the_bench_reads_a_providers_staffing_note_only_under_a_consent(
    client, coordinator, judge, casemanager, participant, treating, consented
):
    if consented:
        consent_to_team(participant)
    entry = placed_on_docket(participant.enrollments.get(), coordinator=coordinator, judge=judge)
    court_services.staffing_note_write(entry=entry, text="PROVIDER-NOTE", actor=treating)
    court_services.staffing_note_write(entry=entry, text="CASE-MANAGER-NOTE", actor=casemanager)

    staffing = text_of(client, judge, "court:staffing", entry.pk)

    assert "CASE-MANAGER-NOTE" in staffing
    assert ("PROVIDER-NOTE" in staffing) is consented
    assert ("1 treatment provider staffing note " + NOT_COVERED in staffing) is not consented
    for user in (casemanager, treating):  # the treatment program; the note's own agency
        assert "PROVIDER-NOTE" in text_of(client, user, "court:staffing", entry.pk)


@CONSENT
def test_a_provider_reads_the_assessment_only_under_a_consent(
    client, casemanager, participant, treating, consented
):
    if consented:
        consent_to_team(participant)
    need_record(
        participant=participant,
        domain="housing",
        priority="high",
        description="NEED-MARKER",
        identified_on=datetime.date(2026, 11, 2),
        actor=casemanager,
    )

    detail = text_of(client, treating, "clients:participant_detail", participant.pk)
    needs = text_of(client, treating, "assessments:needs", participant.pk)

    for text in (detail, needs):
        assert ("NEED-MARKER" in text) is consented
    assert ("Assessment summary: " + NOT_COVERED in detail) is not consented
    assert ("Assessment detail: " + NOT_COVERED in detail) is not consented
    assert ("Assessment summary: " + NOT_COVERED in needs) is not consented


@CONSENT
def test_probation_reads_a_supervisees_treatment_session_on_its_day_only_under_a_consent(
    client, probation, participant, treating, consented
):
    assign(participant, probation, Role.PROBATION_OFFICER)
    if consented:
        consent_to_team(participant)
    session = client_services.appointment_schedule(
        participant=participant,
        kind="treatment",
        scheduled_at=timezone.now(),
        location="CLINIC-MARKER",
        actor=treating,
    )
    client.force_login(probation)

    day = client.get(
        reverse("clients:my_calendar"), {"day": session.scheduled_at.date().isoformat()}
    ).content.decode()

    assert ("CLINIC-MARKER" in day) is consented
