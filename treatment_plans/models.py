"""Linking: referrals to treatment providers and the service episodes they open. (Plans,
goals, objectives and reviews come next; see the treatment plans issue.)"""

import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone

from clients.models import Appointment, Participant
from drugcourt.models import Organization


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent (within a week)"
    EMERGENCY = "emergency", "Emergency (today)"


class ReferralState(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    INTAKE_SCHEDULED = "intake_scheduled", "Intake scheduled"
    ENGAGED = "engaged", "Engaged (first appointment attended)"


# The referral loop: closed only when the participant attended the first appointment.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralState.SENT: frozenset({ReferralState.ACCEPTED, ReferralState.DECLINED}),
    ReferralState.ACCEPTED: frozenset({ReferralState.INTAKE_SCHEDULED}),
    ReferralState.INTAKE_SCHEDULED: frozenset({ReferralState.ENGAGED}),
    ReferralState.DECLINED: frozenset(),
    ReferralState.ENGAGED: frozenset(),
}
OPEN_REFERRAL_STATES = (
    ReferralState.SENT,
    ReferralState.ACCEPTED,
    ReferralState.INTAKE_SCHEDULED,
)
# A referral not engaged after this many days is highlighted and alerted on, unless the
# program's settings say otherwise (ProgramSettings.referral_engagement_days).
ENGAGEMENT_LIMIT_DAYS = 14


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Referral(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="referrals")
    provider = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="referrals_received"
    )
    requested_service = models.CharField(max_length=200)
    reason = models.TextField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    shared_information = models.TextField(
        help_text="What the provider may read before accepting (the referral packet)."
    )
    state = models.CharField(
        max_length=20, choices=ReferralState.choices, default=ReferralState.SENT
    )
    decline_reason = models.TextField(blank=True)
    intake_appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="referral"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    engaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["provider", "state"], name="referral_provider_state_idx"),
            models.Index(
                fields=["sent_at"],
                condition=models.Q(state__in=["sent", "accepted", "intake_scheduled"]),
                name="referral_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral to {self.provider} ({self.get_state_display()})"

    @property
    def days_open(self) -> int:
        return ((self.engaged_at or timezone.now()) - self.sent_at).days

    @property
    def is_overdue(self) -> bool:
        """Open for longer than its program allows (`limit_days` from the selectors)."""
        limit = getattr(self, "limit_days", ENGAGEMENT_LIMIT_DAYS)
        return self.state in OPEN_REFERRAL_STATES and self.days_open > limit


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Completed"
    TRANSFERRED = "transferred", "Transferred"
    LEFT_AGAINST_ADVICE = "left_against_advice", "Left against advice"
    ADMINISTRATIVE = "administrative", "Administrative"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class ServiceEpisode(models.Model):
    """Treatment at a provider, from accepting the referral to discharge. While active, the
    provider organization's staff reach the participant (an access source of clients.access)."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="episode")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="service_episodes"
    )
    provider = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="episodes")
    started_on = models.DateField()
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    discharge_summary = models.TextField(blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(
                fields=["provider", "participant"],
                condition=models.Q(discharged_on__isnull=True),
                name="episode_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode at {self.provider} from {self.started_on:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.discharged_on is None
