"""Screening and assessment: eligibility screenings and admissions, and validated screens
(instruments defined as data, see assessments/scoring.py) with their administrations."""

import pghistory
from django.conf import settings
from django.db import models

from clients.models import Enrollment, Participant
from drugcourt.models import Program


class Instrument(models.Model):
    """A screen such as PHQ-9. Standard ones (program empty) come from the versioned files in
    assessments/instruments/; a coordinator may add a program's own."""

    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="instruments"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(program=None), name="instrument_standard_code"
            ),
            models.UniqueConstraint(fields=["program", "code"], name="instrument_program_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    @property
    def is_standard(self) -> bool:
        return self.program_id is None


class InstrumentVersion(models.Model):
    """One version of a definition. Never changed once stored: administrations keep pointing at
    the version they were scored with, so old results display and score as they did."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveSmallIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["instrument", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "version"], name="instrument_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.version}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Administration(models.Model):
    """A screen given to a participant, item by item, and scored by the system."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="administrations"
    )
    instrument_version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="administrations"
    )
    administered_on = models.DateField()
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField()
    total_score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=100)
    safety_action = models.TextField(
        blank=True, help_text="The immediate step taken when a safety item was answered."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-administered_on", "-id"]
        indexes = [
            models.Index(
                fields=["participant", "instrument_version", "-administered_on"],
                name="administration_trend_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_version} on {self.administered_on:%Y-%m-%d}: {self.total_score}"


class ScreeningDecision(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    NEEDS_INFORMATION = "needs_information", "Needs more information"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class EligibilityScreening(models.Model):
    """Legal criteria (the program's checklist, as answered) and clinical criteria, and the
    decision with its reason. A decision of eligible or not eligible closes screening; "needs
    more information" may be followed by another screening."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="screenings")
    screened_on = models.DateField()
    legal_criteria = models.JSONField(help_text="{criterion: met?} for the program's checklist")
    substance_use_disorder_indicated = models.BooleanField()
    level_of_care_available = models.BooleanField()
    decision = models.CharField(max_length=20, choices=ScreeningDecision.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-screened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=~models.Q(decision="needs_information"),
                name="screening_one_final_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} on {self.screened_on:%Y-%m-%d}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Admission(models.Model):
    """The court's order or plea and the signed participation agreement that admit an eligible
    participant; the days from arrest and from referral to entry are performance measures."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="admission"
    )
    order_or_plea_date = models.DateField()
    agreement_signed_on = models.DateField()
    entry_date = models.DateField()
    days_from_arrest = models.PositiveIntegerField(null=True, blank=True)
    days_from_referral = models.PositiveIntegerField()
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Admitted {self.entry_date:%Y-%m-%d}"
