"""Writes for referrals and service episodes. Accepting a referral opens an episode and grants
the provider organization's group access to the participant; discharge revokes it, in the
same transaction."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from clients import access
from clients import services as client_services
from clients.models import AlertSeverity, AppointmentKind, AppointmentOutcome, Participant
from drugcourt.audit import audited_write
from drugcourt.models import Organization, User
from drugcourt.program_groups import organization_group
from drugcourt.roles import OrganizationKind, Role

from . import selectors
from .models import (
    REFERRAL_TRANSITIONS,
    DischargeReason,
    Referral,
    ReferralState,
    ServiceEpisode,
)


def referral_send(
    *,
    participant: Participant,
    provider: Organization,
    requested_service: str,
    reason: str,
    urgency: str,
    shared_information: str,
    actor: User,
) -> Referral:
    if not access.can_change(actor, participant, access.DataClass.PLAN_SUMMARY):
        raise ValidationError("You may not refer this participant.")
    errors = {}
    if provider.kind != OrganizationKind.TREATMENT_AGENCY or not provider.is_active:
        errors["provider"] = "Refer to an active treatment provider."
    for name, value in (("requested_service", requested_service), ("reason", reason)):
        if not value.strip():
            errors[name] = "This is needed for the provider to decide."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        return Referral.objects.create(
            participant=participant,
            provider=provider,
            requested_service=requested_service.strip(),
            reason=reason.strip(),
            urgency=urgency,
            shared_information=shared_information.strip(),
            sent_by=actor,
        )


def _check_provider(actor: User, referral: Referral) -> None:
    """Only staff of the provider organization answer its referrals."""
    if not (
        actor.has_role(Role.TREATMENT_PROVIDER) and actor.organization_id == referral.provider_id
    ):
        raise ValidationError("Only the provider's staff answer this referral.")


def _move(referral: Referral, to_state: str) -> None:
    if to_state not in REFERRAL_TRANSITIONS[referral.state]:
        raise ValidationError(
            f"A referral that is {referral.get_state_display().lower()} cannot become "
            f"{ReferralState(to_state).label.lower()}."
        )
    referral.state = to_state


def referral_accept(*, referral: Referral, actor: User) -> ServiceEpisode:
    """Opens the service episode and gives the provider's staff access to the participant."""
    _check_provider(actor, referral)
    with audited_write(actor):
        _move(referral, ReferralState.ACCEPTED)
        referral.responded_by, referral.responded_at = actor, timezone.now()
        referral.save(update_fields=["state", "responded_by", "responded_at"])
        episode = ServiceEpisode.objects.create(
            referral=referral,
            participant=referral.participant,
            provider=referral.provider,
            started_on=timezone.localdate(),
        )
        access.grant_participant(
            organization_group(referral.provider), referral.participant, Role.TREATMENT_PROVIDER
        )
        return episode


def referral_decline(*, referral: Referral, reason: str, actor: User) -> Referral:
    _check_provider(actor, referral)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the referral is declined."})
    with audited_write(actor):
        _move(referral, ReferralState.DECLINED)
        referral.decline_reason = reason.strip()
        referral.responded_by, referral.responded_at = actor, timezone.now()
        referral.save(update_fields=["state", "decline_reason", "responded_by", "responded_at"])
        return referral


def referral_schedule_intake(
    *, referral: Referral, scheduled_at: datetime.datetime, location: str, actor: User
) -> Referral:
    """The provider books the intake; it is an appointment of the participant's calendar."""
    _check_provider(actor, referral)
    with audited_write(actor):
        _move(referral, ReferralState.INTAKE_SCHEDULED)
        referral.intake_appointment = client_services.appointment_schedule(
            participant=referral.participant,
            kind=AppointmentKind.TREATMENT,
            scheduled_at=scheduled_at,
            location=location,
            with_whom=f"{referral.provider} intake",
            staff=actor,
            actor=actor,
        )
        referral.save(update_fields=["state", "intake_appointment"])
        return referral


def referral_record_intake(
    *, referral: Referral, outcome: str, actor: User, reason: str = ""
) -> Referral:
    """Records the intake's attendance; attending it closes the loop (engaged)."""
    _check_provider(actor, referral)
    if referral.intake_appointment is None:
        raise ValidationError("Schedule the intake first.")
    with audited_write(actor):
        client_services.appointment_record_outcome(
            appointment=referral.intake_appointment, outcome=outcome, reason=reason, actor=actor
        )
        if outcome in (AppointmentOutcome.ATTENDED, AppointmentOutcome.LATE):
            _move(referral, ReferralState.ENGAGED)
            referral.engaged_at = timezone.now()
            referral.save(update_fields=["state", "engaged_at"])
        return referral


def episode_discharge(
    *,
    episode: ServiceEpisode,
    reason: DischargeReason,
    summary: str,
    discharged_on: datetime.date,
    actor: User,
) -> ServiceEpisode:
    """Ends the episode and, with it, the provider's access (unless another episode at the
    same provider is still active)."""
    is_provider = (
        actor.has_role(Role.TREATMENT_PROVIDER) and actor.organization_id == episode.provider_id
    )
    if not is_provider and not access.can_change(
        actor, episode.participant, access.DataClass.PLAN_SUMMARY
    ):
        raise ValidationError("You may not discharge this episode.")
    if not episode.is_active:
        raise ValidationError("This episode is already discharged.")
    if not summary.strip():
        raise ValidationError({"summary": "Write a discharge summary."})
    if discharged_on < episode.started_on or discharged_on > timezone.localdate():
        raise ValidationError(
            {"discharged_on": "The date must be between the episode's start and today."}
        )
    with audited_write(actor):
        episode.discharged_on, episode.discharge_reason = discharged_on, reason
        episode.discharge_summary, episode.discharged_by = summary.strip(), actor
        episode.save()
        still_active = ServiceEpisode.objects.filter(
            participant=episode.participant, provider=episode.provider, discharged_on__isnull=True
        ).exists()
        if not still_active:
            access.revoke_participant(
                organization_group(episode.provider), episode.participant, Role.TREATMENT_PROVIDER
            )
        return episode


def referral_sweep(*, now: datetime.datetime | None = None) -> int:
    """Raises one alert per open referral not engaged within its program's limit, in one
    set-based statement; running it again raises nothing twice. Returns the new alerts."""
    rows = selectors.referrals_not_engaged(now or timezone.now()).annotate(
        source_key=Concat(Value("referral:"), Cast("pk", CharField())),
        message=Concat(
            Value("Referral to "),
            F("provider__name"),
            Value(" not engaged after "),
            Cast("limit_days", CharField()),
            Value(" days"),
            output_field=CharField(),
        ),
        assigned_to_id=F("sent_by_id"),
    )
    return client_services.alerts_raise_from_query(
        kind="referral_not_engaged",
        data_class=access.DataClass.PLAN_SUMMARY,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )
