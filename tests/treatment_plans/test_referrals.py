"""Referrals, their state machine, and the provider access a service episode carries."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients import access
from clients.access import DataClass
from clients.reconcile import access_drift
from drugcourt.roles import OrganizationKind, Role
from tests.factories import OrganizationFactory, UserFactory, logged_classes
from treatment_plans import services
from treatment_plans.models import Referral, ServiceEpisode


def refer(participant, provider_org, actor, **overrides):
    fields = {
        "requested_service": "Intensive outpatient, 3 sessions a week",
        "reason": "Moderate stimulant use disorder",
        "urgency": "routine",
        "shared_information": "Name, phone, case manager contact",
        **overrides,
    }
    return services.referral_send(
        participant=participant, provider=provider_org, **fields, actor=actor
    )


@pytest.fixture
def referral(participant, provider, casemanager):
    return refer(participant, provider.organization, casemanager)


def test_the_loop_closes_when_the_intake_is_attended(referral, provider, participant):
    services.referral_accept(referral=referral, actor=provider)
    services.referral_schedule_intake(
        referral=referral,
        scheduled_at=timezone.now() - datetime.timedelta(hours=1),
        location="Main clinic",
        actor=provider,
    )
    services.referral_record_intake(referral=referral, outcome="attended", actor=provider)

    referral.refresh_from_db()
    assert referral.state == "engaged"
    assert referral.intake_appointment.outcome == "attended"
    assert referral.engaged_at is not None


def test_a_missed_intake_leaves_the_loop_open(referral, provider):
    services.referral_accept(referral=referral, actor=provider)
    services.referral_schedule_intake(
        referral=referral,
        scheduled_at=timezone.now() - datetime.timedelta(hours=1),
        location="",
        actor=provider,
    )

    services.referral_record_intake(referral=referral, outcome="missed", actor=provider)

    referral.refresh_from_db()
    assert referral.state == "intake_scheduled"


def test_decline_needs_a_reason_and_ends_the_referral(referral, provider):
    with pytest.raises(ValidationError, match="Say why"):
        services.referral_decline(referral=referral, reason=" ", actor=provider)
    services.referral_decline(referral=referral, reason="No openings this month", actor=provider)

    with pytest.raises(ValidationError, match="declined cannot become accepted"):
        services.referral_accept(referral=referral, actor=provider)
    assert not ServiceEpisode.objects.exists()


def test_intake_cannot_be_scheduled_before_acceptance(referral, provider):
    with pytest.raises(ValidationError, match="sent cannot become intake scheduled"):
        services.referral_schedule_intake(
            referral=referral, scheduled_at=timezone.now(), location="", actor=provider
        )


def test_only_the_agencys_staff_answer(referral, casemanager):
    other_agency = UserFactory(
        roles=[Role.TREATMENT_PROVIDER],
        organization=OrganizationFactory(kind=OrganizationKind.TREATMENT_AGENCY),
    )

    for actor in (casemanager, other_agency):
        with pytest.raises(ValidationError, match="Only the provider's staff"):
            services.referral_accept(referral=referral, actor=actor)


def test_a_referral_to_an_organization_that_is_not_a_provider_is_refused(
    participant, casemanager, organizations
):
    with pytest.raises(ValidationError) as refusal:
        refer(participant, organizations[OrganizationKind.LAB], casemanager)

    assert "active treatment provider" in refusal.value.message_dict["provider"][0]
    assert not Referral.objects.exists()


def test_provider_access_runs_from_acceptance_to_discharge(
    client, referral, provider, casemanager, participant
):
    assert participant not in access.participants_visible_to(provider)

    episode = services.referral_accept(referral=referral, actor=provider)
    assert participant in access.participants_visible_to(provider)
    assert access.can_see(provider, participant, access.DataClass.ATTENDANCE)
    assert not access.can_see(provider, participant, access.DataClass.CASE_NOTES)
    assert access_drift().is_clean

    services.episode_discharge(
        episode=episode,
        reason="completed",
        summary="Completed IOP",
        discharged_on=timezone.localdate(),
        actor=provider,
    )
    provider.__dict__.pop("_reach_roles", None)
    client.force_login(provider)
    url = reverse("clients:participant_detail", args=[participant.pk])
    assert client.get(url).status_code == 404
    assert access_drift().is_clean


def test_new_staff_of_the_agency_inherit_its_episodes(referral, provider, participant):
    services.referral_accept(referral=referral, actor=provider)

    colleague = UserFactory(roles=[Role.TREATMENT_PROVIDER], organization=provider.organization)

    assert participant in access.participants_visible_to(colleague)


def test_discharge_refuses_a_date_before_the_episode(referral, provider):
    episode = services.referral_accept(referral=referral, actor=provider)

    with pytest.raises(ValidationError, match="between the episode's start and today"):
        services.episode_discharge(
            episode=episode,
            reason="administrative",
            summary="x",
            discharged_on=episode.started_on - datetime.timedelta(days=1),
            actor=provider,
        )


def test_provider_list_shows_the_packet_with_constant_queries(
    client, provider, casemanager, participant, django_assert_num_queries
):
    refer(participant, provider.organization, casemanager)
    client.force_login(provider)
    # session, user, count, page rows (participant, sender, intake, episode joined), the access
    # log's rows (one INSERT)
    with django_assert_num_queries(5):
        client.get(reverse("treatment_plans:my_referrals"))
    for n in range(19):
        refer(participant, provider.organization, casemanager, requested_service=f"Service {n}")
    with django_assert_num_queries(5):
        page = client.get(reverse("treatment_plans:my_referrals")).content.decode()

    assert "20 in all" in page


def test_provider_list_logs_the_participants_referred(client, provider, casemanager, participant):
    refer(participant, provider.organization, casemanager)
    client.force_login(provider)
    client.get(reverse("treatment_plans:my_referrals"))

    assert logged_classes(provider, participant, "treatment_plans:my_referrals") == {
        DataClass.IDENTITY,
        DataClass.PLAN_SUMMARY,
    }


def test_overdue_referrals_are_highlighted(
    client, casemanager, provider, participant, time_machine
):
    time_machine.move_to(timezone.now() - datetime.timedelta(days=20), tick=False)
    refer(participant, provider.organization, casemanager)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=20), tick=False)
    client.force_login(casemanager)

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content.decode()

    assert "not engaged" in page


def test_the_provider_accepts_on_the_page(client, provider, referral):
    client.force_login(provider)

    client.post(reverse("treatment_plans:referral_accept", args=[referral.pk]))

    referral.refresh_from_db()
    assert referral.state == "accepted"


def test_the_participant_pages_referral_list_has_constant_queries(
    client, casemanager, provider, participant
):
    refer(participant, provider.organization, casemanager)
    client.force_login(casemanager)
    url = reverse("clients:participant_detail", args=[participant.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(19):
        refer(participant, provider.organization, casemanager, requested_service=f"Service {n}")
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(url).content.decode()

    assert page.count("Service ") >= 19
    assert len(twenty.captured_queries) == len(one.captured_queries)
