"""A referral whose intake was missed or excused: the case manager books a new intake (the
loop and its alert follow the new appointment) or withdraws the referral with a reason."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients.models import Alert, AlertState, Appointment
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services
from treatment_plans.models import Referral

DAY = datetime.timedelta(days=1)


@pytest.fixture
def missed_intake(participant, provider, casemanager, time_machine):
    """Referred 20 days ago, accepted, intake missed: the sweep has flagged the open loop."""
    time_machine.move_to(timezone.now() - 20 * DAY, tick=False)
    referral = refer(participant, provider.organization, casemanager)
    services.referral_accept(referral=referral, actor=provider)
    services.referral_schedule_intake(
        referral=referral, scheduled_at=timezone.now() + DAY, location="Clinic", actor=provider
    )
    time_machine.move_to(timezone.now() + 20 * DAY, tick=False)
    services.referral_record_intake(referral=referral, outcome="missed", actor=provider)
    assert services.referral_sweep() == 1
    return referral


def reschedule(referral, actor, when=None):
    return services.referral_reschedule_intake(
        referral=referral,
        scheduled_at=when or timezone.now() + 2 * DAY,
        location="Clinic, room 2",
        actor=actor,
    )


def test_a_rescheduled_intake_starts_a_new_loop_that_the_sweep_follows(
    missed_intake, casemanager, time_machine
):
    missed = missed_intake.intake_appointment

    reschedule(missed_intake, casemanager)

    missed_intake.refresh_from_db()
    new = missed_intake.intake_appointment
    assert (missed_intake.state, new.outcome, new.location) == (
        "intake_scheduled",
        "",
        "Clinic, room 2",
    )
    assert Appointment.objects.get(pk=missed.pk).outcome == "missed"  # stays on the calendar
    old_alert = Alert.objects.get(kind="referral_not_engaged")
    assert old_alert.state == AlertState.RESOLVED
    # The new loop has its own 14 days.
    assert services.referral_sweep() == 0
    time_machine.move_to(timezone.now() + 15 * DAY, tick=False)
    assert services.referral_sweep() == 1
    new_alert = Alert.objects.get(kind="referral_not_engaged", state=AlertState.OPEN)
    assert new_alert.source_key == f"referral:{missed_intake.pk}:intake:{new.pk}"


def test_withdrawing_needs_a_reason_and_ends_the_episode_and_the_providers_access(
    missed_intake, casemanager, provider, client
):
    with pytest.raises(ValidationError, match="Say why"):
        services.referral_withdraw(referral=missed_intake, reason=" ", actor=casemanager)

    services.referral_withdraw(
        referral=missed_intake, reason="Moved to another county.", actor=casemanager
    )

    missed_intake.refresh_from_db()
    episode = missed_intake.episode
    assert (missed_intake.state, missed_intake.withdraw_reason) == (
        "withdrawn",
        "Moved to another county.",
    )
    assert (episode.discharged_on is not None, episode.discharge_reason) == (True, "administrative")
    assert Alert.objects.get(kind="referral_not_engaged").state == AlertState.RESOLVED
    client.force_login(provider)
    page = client.get(reverse("clients:participant_detail", args=[missed_intake.participant_id]))
    assert page.status_code == 404


def test_an_intake_not_missed_cannot_be_rescheduled_or_withdrawn(
    participant, provider, casemanager
):
    referral = refer(participant, provider.organization, casemanager)
    services.referral_accept(referral=referral, actor=provider)
    services.referral_schedule_intake(
        referral=referral, scheduled_at=timezone.now() + DAY, location="", actor=provider
    )

    with pytest.raises(ValidationError, match="missed or excused"):
        reschedule(referral, casemanager)
    with pytest.raises(ValidationError, match="missed or excused"):
        services.referral_withdraw(referral=referral, reason="No", actor=casemanager)


@pytest.mark.parametrize("url_name", ["referral_reschedule_intake", "referral_withdraw"])
def test_the_provider_cannot_reschedule_or_withdraw_through_the_page(
    client, missed_intake, provider, url_name
):
    client.force_login(provider)

    client.post(
        reverse(f"treatment_plans:{url_name}", args=[missed_intake.pk]),
        {"scheduled_at": "2030-01-02T10:00", "location": "x", "reason": "Not coming"},
    )

    referral = Referral.objects.get(pk=missed_intake.pk)
    assert (referral.state, referral.intake_appointment_id) == (
        "intake_scheduled",
        missed_intake.intake_appointment_id,
    )


def test_the_case_manager_reschedules_from_the_referral_page(client, missed_intake, casemanager):
    client.force_login(casemanager)
    url = reverse("treatment_plans:referral_detail", args=[missed_intake.pk])
    assert "Reschedule the intake" in client.get(url).content.decode()

    client.post(
        reverse("treatment_plans:referral_reschedule_intake", args=[missed_intake.pk]),
        {"scheduled_at": (timezone.localtime() + 3 * DAY).strftime("%Y-%m-%dT%H:%M")},
    )

    missed_intake.refresh_from_db()
    assert missed_intake.intake_rescheduled_at is not None
    assert "Reschedule the intake" not in client.get(url).content.decode()
