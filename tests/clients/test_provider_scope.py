"""A treatment provider changes only their own agency's services (issue 12): the requests a
provider with an active episode would make to change what is not theirs."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from clients import selectors
from clients import services as client_services
from clients.access import DataClass
from clients.models import Alert, Appointment, Participant
from drugcourt.roles import OrganizationKind, Role
from tests.factories import (
    OrganizationFactory,
    UserFactory,
    assign,
    consent_to,
    consent_to_team,
    placed_on_docket,
)
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services as treatment_services

AN_HOUR_AGO = datetime.timedelta(hours=1)


@pytest.fixture
def episode(participant, provider, casemanager):
    referral = refer(participant, provider.organization, casemanager)
    return treatment_services.referral_accept(referral=referral, actor=provider)


@pytest.fixture
def other_provider(participant, casemanager, program):
    """Staff of another treatment agency, with an active episode on the same participant."""
    agency = OrganizationFactory(name="Hillside Recovery", kind=OrganizationKind.TREATMENT_AGENCY)
    other = UserFactory(
        username="other_provider",
        roles=[Role.TREATMENT_PROVIDER],
        organization=agency,
        programs=[program],
    )
    referral = refer(participant, agency, casemanager, reason="Hillside referral reason")
    treatment_services.referral_accept(referral=referral, actor=other)
    return other


def _schedule(participant, actor, kind, **fields):
    return client_services.appointment_schedule(
        participant=participant,
        kind=kind,
        scheduled_at=timezone.now() - AN_HOUR_AGO,
        actor=actor,
        **fields,
    )


@pytest.fixture
def hearing(participant, coordinator, judge):
    """The participant on today's docket in Courtroom 4 (court.services)."""
    return placed_on_docket(
        participant.enrollments.get(), coordinator=coordinator, judge=judge, courtroom="Courtroom 4"
    ).appointment


@pytest.fixture
def meeting(participant, casemanager):
    return _schedule(participant, casemanager, "case_manager")


@pytest.fixture
def own_session(participant, provider, episode):
    return _schedule(participant, provider, "treatment", staff=provider, location="Lakeview clinic")


@pytest.fixture
def other_session(participant, other_provider):
    return _schedule(
        participant, other_provider, "treatment", staff=other_provider, location="Hillside clinic"
    )


def _post_outcome(client, user, appointment, outcome="excused"):
    client.force_login(user)
    return client.post(
        reverse("clients:appointment_outcome", args=[appointment.participant_id, appointment.pk]),
        {"outcome": outcome, "reason": "Said they were ill"},
    )


def _outcome(appointment):
    appointment.refresh_from_db()
    return appointment.outcome


def test_a_provider_cannot_excuse_a_court_hearing(client, provider, episode, hearing):
    response = _post_outcome(client, provider, hearing)

    assert response.status_code == 404
    assert _outcome(hearing) == ""


def test_a_provider_cannot_record_a_case_manager_meeting(client, provider, episode, meeting):
    response = _post_outcome(client, provider, meeting, outcome="attended")

    assert response.status_code == 404
    assert _outcome(meeting) == ""


def test_a_provider_cannot_record_another_agencys_session(client, provider, episode, other_session):
    response = _post_outcome(client, provider, other_session, outcome="missed")

    assert response.status_code == 404
    assert _outcome(other_session) == ""


def test_a_provider_records_their_own_agencys_session(client, provider, own_session):
    response = _post_outcome(client, provider, own_session, outcome="attended")

    assert response.status_code == 302
    assert _outcome(own_session) == "attended"


def test_nor_does_the_case_manager_now_that_the_docket_records_it(client, casemanager, hearing):
    response = _post_outcome(client, casemanager, hearing)

    assert response.status_code == 404
    assert _outcome(hearing) == ""


def test_a_provider_cannot_schedule_a_court_hearing(client, provider, participant, episode):
    client.force_login(provider)
    client.post(
        reverse("clients:appointment_new", args=[participant.pk]),
        {"kind": "court", "scheduled_at": "2030-01-07 09:00", "duration_minutes": 60},
    )

    assert not Appointment.objects.filter(participant=participant).exists()


def test_a_providers_session_is_their_agencys(client, provider, participant, episode):
    client.force_login(provider)
    client.post(
        reverse("clients:appointment_new", args=[participant.pk]),
        {"kind": "treatment", "scheduled_at": "2030-01-07 09:00", "duration_minutes": 60},
    )

    assert Appointment.objects.get(participant=participant).organization == provider.organization


def test_the_intake_is_the_referral_providers(provider, participant, episode):
    referral = episode.referral
    treatment_services.referral_schedule_intake(
        referral=referral,
        scheduled_at=timezone.now() + AN_HOUR_AGO,
        location="Main clinic",
        actor=provider,
    )

    assert referral.intake_appointment.organization == referral.provider


def test_a_provider_sees_outcome_buttons_only_for_their_agencys_sessions(
    client, provider, participant, hearing, own_session, other_session
):
    client.force_login(provider)
    page = client.get(
        reverse("clients:participant_calendar", args=[own_session.participant_id]),
        {"start": selectors.participant_today(participant).isoformat()},
    ).content.decode()

    def button(appointment):
        return reverse(
            "clients:appointment_outcome", args=[appointment.participant_id, appointment.pk]
        )

    assert button(own_session) in page
    assert button(hearing) not in page
    assert button(other_session) not in page


# ---------------------------------------------------------------------------------------------
# Alerts


def _alert(appointment, kind="missed_appointment", data_class=DataClass.ATTENDANCE):
    return client_services.alert_raise(
        participant=appointment.participant,
        kind=kind,
        source_key=f"appointment:{appointment.pk}",
        data_class=data_class,
        message=f"Missed appointment: {appointment} at {appointment.location or 'the office'}",
    )


def test_a_provider_cannot_acknowledge_a_missed_court_hearing(client, provider, episode, hearing):
    alert = _alert(hearing)
    client.force_login(provider)

    response = client.post(reverse("clients:alert_acknowledge", args=[alert.pk]))

    assert response.status_code == 404
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_a_provider_cannot_resolve_another_agencys_missed_session(
    client, provider, episode, other_session
):
    alert = _alert(other_session)
    client.force_login(provider)

    response = client.post(
        reverse("clients:alert_resolve", args=[alert.pk]), {"note": "Not ours but closed"}
    )

    assert response.status_code == 404
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_a_provider_resolves_the_alert_of_their_own_missed_session(client, provider, own_session):
    alert = _alert(own_session)
    client.force_login(provider)

    client.post(reverse("clients:alert_resolve", args=[alert.pk]), {"note": "Rescheduled"})

    assert Alert.objects.get(pk=alert.pk).state == "resolved"


def test_the_alert_list_shows_a_provider_buttons_only_for_alerts_they_may_answer(
    client, provider, participant, hearing, own_session
):
    own = _alert(own_session)
    own_unrecorded = _alert(own_session, kind="attendance_not_recorded")
    court = _alert(hearing)
    test = client_services.alert_raise(
        participant=participant,
        kind="test_missed",
        source_key="test:1",
        data_class=DataClass.DRUG_TESTS,
        message="Missed urine test",
    )
    # It names no test: it may speak of one a treatment agency collected, so it is listed to
    # the provider under a consent only (tests/clients/test_alerts_consent.py).
    consent_to(participant, provider.organization)
    client.force_login(provider)

    page = client.get(reverse("clients:alert_list")).content.decode()

    for answerable in (own, own_unrecorded):
        assert reverse("clients:alert_acknowledge", args=[answerable.pk]) in page
    assert "Missed urine test" in page
    for refused in (court, test):
        assert reverse("clients:alert_acknowledge", args=[refused.pk]) not in page
        assert reverse("clients:alert_resolve", args=[refused.pk]) not in page


# ---------------------------------------------------------------------------------------------
# Existing rows


def test_the_migration_gives_provider_sessions_and_intakes_their_agency(
    provider, participant, episode, hearing, own_session
):
    referral = episode.referral
    treatment_services.referral_schedule_intake(
        referral=referral, scheduled_at=timezone.now(), location="Clinic", actor=provider
    )
    Appointment.objects.update(organization=None)

    for module, function in (
        ("clients.migrations.0007_appointment_organization", "own_sessions_to_their_agency"),
        (
            "treatment_plans.migrations.0005_intake_appointment_organization",
            "intakes_to_the_referral_provider",
        ),
    ):
        getattr(importlib.import_module(module), function)(apps, None)

    agency = provider.organization
    assert Appointment.objects.get(pk=own_session.pk).organization == agency
    assert Appointment.objects.get(referral=referral).organization == agency
    assert Appointment.objects.get(pk=hearing.pk).organization is None


# ---------------------------------------------------------------------------------------------
# Another agency's treatment record is not shown to a provider


@pytest.fixture
def other_agency_record(participant, other_provider):
    """Hillside's episode on the participant, with a monthly report, and a referral Hillside
    declined."""
    episode = other_provider.organization.episodes.get(participant=participant)
    treatment_services.progress_report_write(
        episode=episode,
        month=timezone.localdate(),
        engagement="partly",
        attendance_summary="Hillside: 3 of 8 groups",
        clinical_progress="Hillside clinical progress text",
        recommendation="Hillside recommends residential",
        actor=other_provider,
    )
    declined = refer(
        participant,
        other_provider.organization,
        episode.referral.sent_by,
        reason="Hillside second referral reason",
    )
    treatment_services.referral_decline(
        referral=declined, reason="Hillside decline reason", actor=other_provider
    )
    return {"episode": episode, "declined": declined}


def _participant_page(client, user, participant):
    client.force_login(user)
    return client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()


def test_a_provider_sees_no_other_agencys_referral_or_report_on_the_participant_page(
    client, provider, participant, episode, other_agency_record
):
    consent_to_team(participant)  # the referrals are Part 2 (plan summary) to a provider
    page = _participant_page(client, provider, participant)

    assert "Lakeview Treatment agency" in page  # their own referral
    for marker in ("Hillside Recovery", "Hillside: 3 of 8", "Hillside clinical progress text"):
        assert marker not in page


def test_the_case_manager_and_the_court_still_see_every_agency(
    client, casemanager, judge, participant, episode, other_agency_record
):
    consent_to_team(participant)  # the judge reads Part 2 information under a consent
    for user in (casemanager, judge):
        page = _participant_page(client, user, participant)

        assert "Hillside Recovery" in page
        assert "Hillside: 3 of 8 groups" in page


def test_a_provider_cannot_open_another_agencys_referral(
    client, provider, episode, other_agency_record
):
    client.force_login(provider)

    for referral in (other_agency_record["declined"], other_agency_record["episode"].referral):
        response = client.get(reverse("treatment_plans:referral_detail", args=[referral.pk]))

        assert response.status_code == 404


def test_a_provider_cannot_read_another_agencys_discharge_summary(
    client, provider, participant, episode, other_provider, other_agency_record
):
    hillside = other_agency_record["episode"]
    treatment_services.episode_discharge(
        episode=hillside,
        reason="transferred",
        summary="Hillside discharge summary",
        discharged_on=timezone.localdate(),
        actor=other_provider,
    )
    client.force_login(provider)

    response = client.get(reverse("treatment_plans:referral_detail", args=[hillside.referral_id]))

    assert response.status_code == 404
    assert "Hillside discharge summary" not in _participant_page(client, provider, participant)


def test_a_provider_sees_no_other_agencys_sessions_on_the_calendar_or_the_record(
    client, provider, participant, hearing, own_session, other_session
):
    client.force_login(provider)
    calendar = client.get(
        reverse("clients:participant_calendar", args=[participant.pk]),
        {"start": selectors.participant_today(participant).isoformat()},
    ).content.decode()
    timeline = client.get(reverse("clients:timeline", args=[participant.pk])).content.decode()

    for page in (calendar, timeline):
        assert "Lakeview clinic" in page
        assert "Courtroom 4" in page
        assert "Hillside clinic" not in page


def test_a_provider_lists_no_alert_about_another_agencys_session_or_referral(
    client, provider, casemanager, participant, own_session, other_session, other_provider
):
    hillside_referral = other_provider.organization.referrals_received.get()
    _alert(own_session, kind="attendance_not_recorded")
    _alert(other_session, kind="attendance_not_recorded")
    client_services.alert_raise(
        participant=participant,
        kind="referral_not_engaged",
        source_key=f"referral:{hillside_referral.pk}",
        data_class=DataClass.PLAN_SUMMARY,
        message="Referral to Hillside Recovery not engaged after 14 days",
    )
    client.force_login(provider)

    page = client.get(reverse("clients:alert_list")).content.decode()

    assert "Lakeview clinic" in page
    assert "Hillside clinic" not in page
    assert "Hillside Recovery" not in page
    client.force_login(casemanager)
    page = client.get(reverse("clients:alert_list")).content.decode()
    assert "Hillside clinic" in page
    assert "Hillside Recovery" in page
    # The caseload's "open alerts" column counts the same alerts as the list.
    counts = {
        user: selectors.annotate_open_alerts(Participant.objects.filter(pk=participant.pk), user)
        .get()
        .open_alerts
        for user in (provider, casemanager)
    }
    assert counts == {provider: 1, casemanager: 3}


def test_a_provider_who_is_also_the_case_manager_records_the_meeting(
    client, provider, participant, episode, meeting
):
    """Two roles: the case manager role grants every appointment (but hearings, which the
    docket records), so the agency rule does not narrow it."""
    provider.roles = [Role.TREATMENT_PROVIDER, Role.CASE_MANAGER]
    provider.save(update_fields=["roles"])
    assign(participant, provider)

    _post_outcome(client, provider, meeting)

    assert _outcome(meeting) == "excused"


def test_the_case_manager_books_a_session_of_an_agency_whose_provider_records_it(
    client, casemanager, provider, participant, episode
):
    client.force_login(casemanager)
    client.post(
        reverse("clients:appointment_new", args=[participant.pk]),
        {
            "kind": "treatment",
            "scheduled_at": (timezone.localtime() - AN_HOUR_AGO).strftime("%Y-%m-%d %H:%M"),
            "duration_minutes": 30,
            "organization": provider.organization.pk,
        },
    )
    session = Appointment.objects.get(participant=participant)

    _post_outcome(client, provider, session, outcome="attended")

    assert session.organization == provider.organization
    assert _outcome(session) == "attended"


def test_a_meeting_belongs_to_no_agency(client, casemanager, provider, participant):
    client.force_login(casemanager)
    response = client.post(
        reverse("clients:appointment_new", args=[participant.pk]),
        {
            "kind": "case_manager",
            "scheduled_at": "2030-01-07 09:00",
            "duration_minutes": 30,
            "organization": provider.organization.pk,
        },
    )

    assert "Only a treatment session belongs to a treatment agency." in response.content.decode()
    assert not Appointment.objects.filter(participant=participant).exists()


def test_the_appointment_form_offers_no_court_hearing(client, casemanager, participant):
    """Hearings are scheduled by placing the participant on a docket (court.services)."""
    client.force_login(casemanager)
    url = reverse("clients:appointment_new", args=[participant.pk])

    form = client.get(url).content.decode()
    response = client.post(
        url, {"kind": "court", "scheduled_at": "2030-01-07 09:00", "duration_minutes": 30}
    )

    assert "Court hearing" not in form
    assert "Case manager meeting" in form
    assert "Select a valid choice" in response.content.decode()
    assert not Appointment.objects.filter(participant=participant).exists()
