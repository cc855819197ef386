"""What the provider does during an episode: sessions, attendance, monthly reports."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import services as client_services
from tests.factories import consent_to_team
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services


@pytest.fixture
def episode(participant, provider, casemanager):
    referral = refer(participant, provider.organization, casemanager)
    return services.referral_accept(referral=referral, actor=provider)


def test_the_provider_schedules_sessions_and_records_attendance(provider, participant, episode):
    session = client_services.appointment_schedule(
        participant=participant,
        kind="treatment",
        actor=provider,
        scheduled_at=timezone.now() - datetime.timedelta(hours=1),
        staff=provider,
    )

    client_services.appointment_record_outcome(
        appointment=session, outcome="attended", actor=provider
    )
    with pytest.raises(ValidationError, match="already has an outcome"):
        client_services.appointment_record_outcome(
            appointment=session, outcome="missed", actor=provider
        )


def test_without_an_active_episode_attendance_pages_are_not_found(
    client, provider, participant, episode
):
    services.episode_discharge(
        episode=episode,
        reason="completed",
        summary="Done",
        discharged_on=timezone.localdate(),
        actor=provider,
    )
    client.force_login(provider)

    url = reverse("clients:appointment_new", args=[participant.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("consented", [True, False], ids=["consent", "no-consent"])
def test_a_monthly_report_shows_to_the_team_and_the_court_under_a_consent(
    client, provider, judge, casemanager, participant, episode, consented
):
    if consented:
        consent_to_team(participant)
    client.force_login(provider)
    client.post(
        reverse("treatment_plans:progress_report_new", args=[episode.pk]),
        {
            "month": timezone.localdate().strftime("%Y-%m"),
            "engagement": "engaged",
            "attendance_summary": "11 of 12 groups",
            "clinical_progress": "Uses coping skills; cravings down.",
            "recommendation": "Continue IOP.",
        },
    )
    detail = reverse("clients:participant_detail", args=[participant.pk])
    for user in (provider, casemanager):  # their own report; the treatment program's record
        client.force_login(user)
        assert "11 of 12 groups" in client.get(detail).content.decode()
    client.force_login(judge)

    page = client.get(detail).content.decode()

    assert ("11 of 12 groups" in page) is consented
    assert ("Continue IOP." in page) is consented
    assert ("Progress reports: not covered by consent" in page) is not consented


def test_one_report_per_month(provider, episode):
    fields = {
        "month": timezone.localdate(),
        "engagement": "partly",
        "attendance_summary": "8 of 12",
        "clinical_progress": "Mixed",
        "recommendation": "Continue",
        "actor": provider,
    }
    services.progress_report_write(episode=episode, **fields)

    with pytest.raises(ValidationError, match="already has a report"):
        services.progress_report_write(episode=episode, **fields)


def test_the_case_manager_does_not_write_provider_reports(casemanager, episode):
    with pytest.raises(ValidationError, match="Only the provider's staff"):
        services.progress_report_write(
            episode=episode,
            month=timezone.localdate(),
            engagement="engaged",
            attendance_summary="x",
            clinical_progress="x",
            recommendation="x",
            actor=casemanager,
        )
