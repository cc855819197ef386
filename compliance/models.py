"""Monitoring: drug and alcohol tests (random draw, collection, results and validity),
prescriptions that explain positives, and blackout periods when nobody can be tested.

A test's `status` is written only by compliance services and sweeps (never by a form). The
indexes named `*_sweep_idx` serve exactly one sweep predicate each (compliance.sweeps).
"""

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models

from clients.models import Participant
from drugcourt.models import PolicyPositive, Program, Substance


class SpecimenType(models.TextChoices):
    URINE = "urine", "Urine"
    ORAL_FLUID = "oral_fluid", "Oral fluid"
    BREATH = "breath", "Breath"
    SWEAT_PATCH = "sweat_patch", "Sweat patch"
    BLOOD = "blood", "Blood"


class TestStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    MISSED = "missed", "Missed"
    REFUSED = "refused", "Refused"
    PENDING = "pending", "Pending result"
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    DILUTE = "dilute", "Dilute"
    ADULTERATED = "adulterated", "Adulterated"
    SUBSTITUTED = "substituted", "Substituted"
    INVALID = "invalid", "Invalid"
    EXCUSED = "excused", "Excused"


# Statuses that come from a lab result (the rest come from scheduling, collection or a sweep).
RESULT_STATUSES = frozenset(
    {
        TestStatus.NEGATIVE,
        TestStatus.POSITIVE,
        TestStatus.DILUTE,
        TestStatus.ADULTERATED,
        TestStatus.SUBSTITUTED,
        TestStatus.INVALID,
    }
)
# Statuses with a specimen in hand.
COLLECTED_STATUSES = RESULT_STATUSES | {TestStatus.PENDING}
# Statuses that may count against the participant (positive always; the rest by program policy).
NONCOMPLIANT_STATUSES = frozenset({TestStatus.POSITIVE, *PolicyPositive.values})


class TestReason(models.TextChoices):
    RANDOM = "random", "Random (drawn)"
    ORDERED = "ordered", "Ordered"


class TestDraw(models.Model):
    """One program's random draw for one ISO week: its secret seed and algorithm. Each test it
    scheduled is one call of one participant on one day, reproducible from `seed` with the
    algorithm of `algorithm_version` (compliance.draw), so an auditor can check it after the
    week. Weeks drawn with the retired per-group algorithm also keep its `group_days`."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="test_draws")
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    seed = models.CharField(max_length=64, help_text="Secret random seed, hexadecimal.")
    algorithm_version = models.CharField(max_length=40)
    group_days = models.JSONField(
        default=dict,
        blank=True,
        help_text='Algorithm v1 only: weekdays drawn per group (tests per week): {"2": [3, 6]}.',
    )
    tests_scheduled = models.PositiveIntegerField(default=0)
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["program", "-iso_year", "-iso_week"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "iso_year", "iso_week"], name="test_draw_one_per_week"
            ),
            models.CheckConstraint(
                condition=models.Q(iso_week__gte=1, iso_week__lte=53), name="test_draw_iso_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} draw {self.iso_year}-W{self.iso_week:02d}"


class _ProgramWeekStart(models.Func):
    """The Monday of the ISO week an instant falls in, in the time zone of the row's program:
    timezone(zone, instant) is the program's wall-clock time, date_trunc('week') its Monday."""

    template = "(date_trunc('week', timezone(%(expressions)s)))::date"
    output_field = models.DateField()


class DrugTestQuerySet(models.QuerySet):
    def revealed(self, now: datetime.datetime) -> "DrugTestQuerySet":
        """The tests anyone may know of at `now`: a drawn random test only once its notice has
        gone out or its ISO week (program-local) has ended, so nobody on the team learns a
        drawn day before the call (DOMAIN.md "Monitoring"). A drawn test excused before its
        call (a blackout recorded after the draw) stays sealed with the rest of its week.
        Ordered tests are not drawn: the team chose their day. Every read of tests goes
        through this filter (compliance.selectors)."""
        return self.filter(_revealed(now))

    def sealed(self, now: datetime.datetime) -> "DrugTestQuerySet":
        """The tests nobody may know of yet at `now` (the rest of `revealed`)."""
        return self.exclude(_revealed(now))


def _revealed(now: datetime.datetime) -> models.Q:
    week_start = _ProgramWeekStart(
        models.F("program__time_zone"), models.Value(now, output_field=models.DateTimeField())
    )
    return (
        ~models.Q(reason=TestReason.RANDOM)
        | models.Q(notified_at__isnull=False)
        | models.Q(scheduled_for__lt=week_start)
    )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class DrugTest(models.Model):
    """One test of one participant: scheduled (drawn or ordered), then collected or missed or
    refused, then resulted. Per-substance rows exist only for non-negative results; the panel
    tested is kept here, so a negative needs no rows."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="drug_tests", db_index=False
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="drug_tests")
    reason = models.CharField(max_length=10, choices=TestReason.choices)
    draw = models.ForeignKey(
        TestDraw, on_delete=models.PROTECT, null=True, blank=True, related_name="tests"
    )
    test_group = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The tests per week the participant was drawn with."
    )
    scheduled_for = models.DateField(help_text="Program local date the specimen is due.")
    specimen_type = models.CharField(
        max_length=12, choices=SpecimenType.choices, default=SpecimenType.URINE
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    collect_by = models.DateTimeField(
        null=True, blank=True, help_text="End of the collection window after notification."
    )
    status = models.CharField(
        max_length=12, choices=TestStatus.choices, default=TestStatus.SCHEDULED
    )
    # Collection.
    collected_at = models.DateTimeField(null=True, blank=True)
    collection_site = models.CharField(max_length=200, blank=True)
    observed = models.BooleanField(null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chain_of_custody_id = models.CharField(max_length=60, blank=True)
    panel = ArrayField(
        models.CharField(max_length=8, choices=Substance.choices), default=list, blank=True
    )
    # What the participant said they had used, before any result was known.
    admitted_use = ArrayField(
        models.CharField(max_length=8, choices=Substance.choices), default=list, blank=True
    )
    # Why a refused or excused test was not collected (blackout, left the program, ...).
    status_note = models.CharField(max_length=300, blank=True)
    current_result = models.ForeignKey(
        "DrugTestResult",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The newest result version, which decides the status.",
    )
    confirmation_requested_at = models.DateTimeField(null=True, blank=True)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DrugTestQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [
            models.Index(fields=["participant", "scheduled_for"], name="drug_test_calendar_idx"),
            models.Index(fields=["program", "scheduled_for"], name="drug_test_call_list_idx"),
            # Missed-test sweep: scheduled tests whose collection window has closed.
            models.Index(
                fields=["collect_by"],
                condition=models.Q(status="scheduled"),
                name="drug_test_missed_sweep_idx",
            ),
            # Result-overdue sweep: specimens waiting for a result.
            models.Index(
                fields=["collected_at"],
                condition=models.Q(status="pending"),
                name="drug_test_overdue_sweep_idx",
            ),
            # Repeated non-compliance sweep: each participant's missed or non-negative tests.
            models.Index(
                fields=["participant", "scheduled_for"],
                condition=models.Q(status__in=sorted(NONCOMPLIANT_STATUSES)),
                name="drug_test_noncompliant_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TestStatus.values), name="drug_test_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(collected_at__isnull=True)
                | models.Q(status__in=sorted(COLLECTED_STATUSES)),
                name="drug_test_collected_status",
            ),
            models.CheckConstraint(
                condition=models.Q(collected_at__isnull=False)
                | ~models.Q(status__in=sorted(COLLECTED_STATUSES)),
                name="drug_test_status_has_collection",
            ),
            models.CheckConstraint(
                condition=models.Q(collect_by__isnull=True) | models.Q(notified_at__isnull=False),
                name="drug_test_window_after_notice",
            ),
            models.CheckConstraint(
                condition=models.Q(draw__isnull=True) | models.Q(reason="random"),
                name="drug_test_draw_is_random",
            ),
            # A draw schedules a participant at most once a day: re-running it adds nothing.
            models.UniqueConstraint(
                fields=["participant", "draw", "scheduled_for"],
                condition=models.Q(draw__isnull=False),
                name="drug_test_drawn_once_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_specimen_type_display()} test {self.scheduled_for:%Y-%m-%d}"


class DrugTestResult(models.Model):
    """One version of a test's result. A correction or a lab confirmation adds a version; earlier
    versions stay as they were. The newest version decides the test's status."""

    drug_test = models.ForeignKey(DrugTest, on_delete=models.PROTECT, related_name="results")
    version = models.PositiveSmallIntegerField()
    resulted_at = models.DateTimeField(help_text="When the laboratory or device gave the result.")
    # Validity measures (urine); blank when not measured.
    creatinine_mg_dl = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    specific_gravity = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    ph = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    adulterant = models.CharField(
        max_length=100, blank=True, help_text="The adulterant the laboratory found, if any."
    )
    lab_invalid = models.BooleanField(
        default=False, help_text="The laboratory could not obtain a valid result."
    )
    is_confirmation = models.BooleanField(
        default=False, help_text="A laboratory confirmation (GC/MS or LC/MS) of an earlier screen."
    )
    status = models.CharField(max_length=12, choices=TestStatus.choices)
    correction_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["drug_test", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["drug_test", "version"], name="result_version_unique"),
            models.CheckConstraint(
                condition=models.Q(version=1) | ~models.Q(correction_reason=""),
                name="result_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Result v{self.version}: {self.get_status_display()}"


class SubstanceResult(models.Model):
    """A non-negative finding of one substance in one result version."""

    result = models.ForeignKey(DrugTestResult, on_delete=models.CASCADE, related_name="findings")
    substance = models.CharField(max_length=8, choices=Substance.choices)
    cutoff = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    level = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=20, default="ng/mL")

    class Meta:
        ordering = ["result", "substance"]
        constraints = [
            models.UniqueConstraint(fields=["result", "substance"], name="finding_one_per_result"),
        ]

    def __str__(self) -> str:
        return self.get_substance_display()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Prescription(models.Model):
    """A prescribed medication, including medication for substance use disorder. Positives for
    the analytes it explains, collected while it is in force, are expected, never violations."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="prescriptions"
    )
    drug = models.CharField(max_length=100)
    dose = models.CharField(max_length=100)
    prescriber = models.CharField(max_length=200)
    for_substance_use_disorder = models.BooleanField(
        default=False, help_text="Medication for substance use disorder (e.g. buprenorphine)."
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    explains = ArrayField(
        models.CharField(max_length=8, choices=Substance.choices),
        help_text="The analytes a test may find because of it.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="prescription_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}"


class BlackoutReason(models.TextChoices):
    CUSTODY = "custody", "In custody"
    RESIDENTIAL = "residential", "Residential treatment"
    HOSPITAL = "hospital", "Hospital"
    TRAVEL = "travel", "Excused travel"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class BlackoutPeriod(models.Model):
    """Days (inclusive, program local dates) when the participant cannot be tested: nothing is
    drawn inside one and nothing scheduled inside one counts as missed. Open-ended while
    `ends_on` is blank."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="blackouts", db_index=False
    )
    reason = models.CharField(max_length=12, choices=BlackoutReason.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "-starts_on"]
        indexes = [models.Index(fields=["participant", "starts_on"], name="blackout_lookup_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="blackout_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} from {self.starts_on:%Y-%m-%d}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class TestingOrder(models.Model):
    """A court order setting the participant's random tests a week in one program from
    `starts_on` to `ends_on` (inclusive, program local dates): while in force it decides the
    frequency (never below the program minimum), in front of the phase default and the accepted
    intensity (with_testing_frequency). Written by the court's response service."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="testing_orders", db_index=False
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    tests_per_week = models.PositiveSmallIntegerField(validators=[MaxValueValidator(7)])
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=300)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "-starts_on", "-id"]
        indexes = [
            models.Index(fields=["participant", "program", "starts_on"], name="testing_order_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="testing_order_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(tests_per_week__gte=1, tests_per_week__lte=7),
                name="testing_order_tests_per_week_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tests_per_week} tests a week, {self.starts_on} to {self.ends_on}"
