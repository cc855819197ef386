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


class Quadrant(models.TextChoices):
    HIGH_HIGH = "high_high", "High risk / high need"
    HIGH_LOW = "high_low", "High risk / low need"
    LOW_HIGH = "low_high", "Low risk / high need"
    LOW_LOW = "low_low", "Low risk / low need"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class RiskNeedAssessment(models.Model):
    """Criminogenic risk and clinical need items as the program configures them, the quadrant
    they give, what it recommends, and the intensity the team accepted (an override needs a
    reason). The accepted intensity is what monitoring and the court use."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="risk_need_assessments"
    )
    assessed_on = models.DateField()
    risk_answers = models.JSONField()
    need_answers = models.JSONField()
    risk_score = models.PositiveSmallIntegerField()
    need_score = models.PositiveSmallIntegerField()
    quadrant = models.CharField(max_length=10, choices=Quadrant.choices)
    recommended = models.JSONField(help_text="The quadrant's recommendation when assessed.")
    track = models.CharField(max_length=100)
    court_every_weeks = models.PositiveSmallIntegerField()
    tests_per_week = models.PositiveSmallIntegerField()
    contacts_per_week = models.PositiveSmallIntegerField()
    override_reason = models.TextField(blank=True)
    # Why the accepted tests per week may stay under the program minimum (empty: it may not).
    frequency_exception = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tests_per_week__lte=7), name="risk_need_tests_per_week_range"
            ),
            models.CheckConstraint(
                condition=models.Q(court_every_weeks__gte=1), name="risk_need_court_interval"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_quadrant_display()} on {self.assessed_on:%Y-%m-%d}"

    @property
    def is_override(self) -> bool:
        accepted = {
            "track": self.track,
            "court_every_weeks": self.court_every_weeks,
            "tests_per_week": self.tests_per_week,
            "contacts_per_week": self.contacts_per_week,
        }
        return accepted != self.recommended


class AsamEdition(models.IntegerChoices):
    THIRD = 3, "3rd edition (2013)"
    FOURTH = 4, "4th edition (2023)"


# The dimensions and levels of care of each edition (DOMAIN.md). The placement logic itself is
# licensed: the assessor chooses the level and justifies it; nothing here computes one.
ASAM_DIMENSIONS: dict[int, tuple[str, ...]] = {
    AsamEdition.THIRD: (
        "Acute intoxication and/or withdrawal potential",
        "Biomedical conditions and complications",
        "Emotional, behavioral, or cognitive conditions and complications",
        "Readiness to change",
        "Relapse, continued use, or continued problem potential",
        "Recovery/living environment",
    ),
    AsamEdition.FOURTH: (
        "Intoxication, withdrawal, and addiction medications",
        "Biomedical conditions",
        "Psychiatric and cognitive conditions",
        "Substance use-related risks",
        "Recovery environment interactions",
        "Person-centered considerations",
    ),
}
ASAM_LEVELS: dict[int, tuple[str, ...]] = {
    # The 3rd edition adds opioid treatment services (opioid treatment program, office-based
    # opioid treatment) and the withdrawal management levels to its nine levels.
    AsamEdition.THIRD: (
        *("0.5", "1", "2.1", "2.5", "3.1", "3.3", "3.5", "3.7", "4"),
        *("OTP", "OBOT"),
        *("1-WM", "2-WM", "3.2-WM", "3.7-WM", "4-WM"),
    ),
    AsamEdition.FOURTH: ("1.0", "1.5", "1.7", "2.1", "2.5", "2.7", "3.1", "3.5", "3.7", "4"),
}
ASAM_RISK_RATINGS = (
    (0, "0 – none"),
    (1, "1 – mild"),
    (2, "2 – moderate"),
    (3, "3 – significant"),
    (4, "4 – severe"),
)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class AsamAssessment(models.Model):
    """ASAM criteria as the assessor rated them: a risk rating (0–4) and notes per dimension,
    and the level of care chosen with its justification."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="asam_assessments"
    )
    assessed_on = models.DateField()
    edition = models.PositiveSmallIntegerField(choices=AsamEdition.choices)
    ratings = models.JSONField(help_text="[{rating, notes}] in dimension order")
    level_of_care = models.CharField(max_length=10)
    program_rule_level = models.CharField(
        max_length=10, blank=True, help_text="What the program's own rule suggested, if it has one."
    )
    justification = models.TextField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]

    def __str__(self) -> str:
        return f"ASAM ({self.get_edition_display()}) level {self.level_of_care}"

    @property
    def rated_dimensions(self) -> list[tuple[str, dict]]:
        return list(zip(ASAM_DIMENSIONS[self.edition], self.ratings, strict=True))


class NeedDomain(models.TextChoices):
    HOUSING = "housing", "Housing"
    EMPLOYMENT = "employment", "Employment"
    EDUCATION = "education", "Education"
    MENTAL_HEALTH = "mental_health", "Mental health"
    MEDICAL = "medical", "Medical"
    TRANSPORTATION = "transportation", "Transportation"
    CHILDCARE = "childcare", "Childcare"
    BENEFITS = "benefits", "Benefits"
    FAMILY = "family", "Family"
    LEGAL = "legal", "Legal"


class NeedPriority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class NeedStatus(models.TextChoices):
    OPEN = "open", "Open"
    ADDRESSED = "addressed", "Addressed by the plan"
    DEFERRED = "deferred", "Deferred"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Need(models.Model):
    """A need the assessment found; open until a plan objective addresses it (or it is
    deferred with a reason), which the treatment plan issue links."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="needs")
    domain = models.CharField(max_length=20, choices=NeedDomain.choices)
    priority = models.CharField(max_length=10, choices=NeedPriority.choices)
    description = models.CharField(max_length=300)
    identified_on = models.DateField()
    identified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)

    class Meta:
        ordering = ["status", "priority", "domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "domain"],
                condition=models.Q(status="open"),
                name="need_one_open_per_domain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_domain_display()} ({self.get_priority_display()})"
