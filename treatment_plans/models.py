"""Linking: referrals to treatment providers and the service episodes they open. (Plans,
goals, objectives and reviews come next; see the treatment plans issue.)"""

import datetime

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
    WITHDRAWN = "withdrawn", "Withdrawn"


# The referral loop: closed only when the participant attended the first appointment. An
# intake missed or excused is rescheduled (a new intake, same state) or the case manager
# withdraws the referral. A referral no provider answered yet is withdrawn when the participant
# leaves the program (referrals_withdraw_unanswered).
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralState.SENT: frozenset(
        {ReferralState.ACCEPTED, ReferralState.DECLINED, ReferralState.WITHDRAWN}
    ),
    ReferralState.ACCEPTED: frozenset({ReferralState.INTAKE_SCHEDULED}),
    ReferralState.INTAKE_SCHEDULED: frozenset({ReferralState.ENGAGED, ReferralState.WITHDRAWN}),
    ReferralState.DECLINED: frozenset(),
    ReferralState.ENGAGED: frozenset(),
    ReferralState.WITHDRAWN: frozenset(),
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
    withdraw_reason = models.TextField(blank=True)
    # Set when the case manager books a new intake after a missed or excused one: the loop's
    # engagement limit counts from here (loop_started_at).
    intake_rescheduled_at = models.DateTimeField(null=True, blank=True)
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
    def loop_started_at(self) -> datetime.datetime:
        """When the current loop began: the referral, or the last rescheduled intake."""
        return self.intake_rescheduled_at or self.sent_at

    @property
    def is_overdue(self) -> bool:
        """The current loop is open for longer than its program allows (`limit_days` from the
        selectors)."""
        limit = getattr(self, "limit_days", ENGAGEMENT_LIMIT_DAYS)
        open_days = (timezone.now() - self.loop_started_at).days
        return self.state in OPEN_REFERRAL_STATES and open_days > limit


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


# ---------------------------------------------------------------------------------------------
# Treatment plans

PLAN_REVIEW_INTERVAL_DAYS = 90
# The plan-review sweep alerts this many days before a review falls due, unless the program's
# settings say otherwise (ProgramSettings.plan_review_notice_days).
PLAN_REVIEW_NOTICE_DAYS = 7


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class TreatmentPlan(models.Model):
    """One version of a participant's plan. Activating a draft supersedes the active version,
    which stays readable; the activation records the participant's acknowledgement and the
    case manager's signature."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="treatment_plans"
    )
    version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    starts_on = models.DateField()
    review_due_on = models.DateField(null=True, blank=True)
    acknowledged_on = models.DateField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "version"], name="plan_version_once"),
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status="active"),
                name="plan_one_active",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status="draft"),
                name="plan_one_draft",
            ),
        ]
        indexes = [
            models.Index(
                fields=["review_due_on"],
                condition=models.Q(status="active"),
                name="plan_review_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan v{self.version} ({self.get_status_display()})"


class Goal(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="goals")
    participant_words = models.TextField(help_text="The goal in the participant's own words.")
    clinical_terms = models.TextField()

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return self.clinical_terms[:60]


class Objective(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="objectives")
    description = models.CharField(max_length=300, help_text="Measurable: what, how much, by when.")
    target_date = models.DateField()
    need = models.ForeignKey(
        "assessments.Need",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
        help_text="The assessed need this objective answers.",
    )

    class Meta:
        ordering = ["goal", "target_date", "id"]

    def __str__(self) -> str:
        return self.description


class PlannedService(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="services")
    service = models.CharField(max_length=200)
    provider = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    frequency = models.CharField(max_length=100, help_text="e.g. 3 sessions a week")
    starts_on = models.DateField()

    class Meta:
        ordering = ["objective", "id"]

    def __str__(self) -> str:
        return f"{self.service}, {self.frequency}"


class NeedDeferral(models.Model):
    """An open need the plan consciously leaves for later, with the reason."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="deferrals")
    need = models.ForeignKey("assessments.Need", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "need"], name="need_deferred_once_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.need} deferred"


class ObjectiveProgress(models.TextChoices):
    MET = "met", "Met"
    PROGRESSING = "progressing", "Progressing"
    NOT_PROGRESSING = "not_progressing", "Not progressing"
    REVISED = "revised", "Revised"


@pghistory.track(pghistory.InsertEvent())
class PlanReview(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    progress = models.JSONField(help_text="{objective id: progress}")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review {self.reviewed_on:%Y-%m-%d}"


class Engagement(models.TextChoices):
    ENGAGED = "engaged", "Engaged"
    PARTLY = "partly", "Partly engaged"
    NOT_ENGAGED = "not_engaged", "Not engaged"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class ProgressReport(models.Model):
    """A provider's monthly report on an episode; the team and the court read it."""

    episode = models.ForeignKey(
        ServiceEpisode, on_delete=models.PROTECT, related_name="progress_reports"
    )
    month = models.DateField(help_text="The first day of the month reported on.")
    engagement = models.CharField(max_length=12, choices=Engagement.choices)
    attendance_summary = models.CharField(max_length=300)
    clinical_progress = models.TextField()
    recommendation = models.TextField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "month"], name="progress_report_monthly"),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="progress_report_month_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Progress {self.month:%Y-%m}"
