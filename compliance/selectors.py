"""Reads of compliance data."""

import datetime
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from assessments.models import RiskNeedAssessment
from clients.models import Enrollment, EnrollmentStatus, Participant
from drugcourt.models import Phase, ProgramSettings

from .models import DrugTest, Prescription, SubstanceResult, TestStatus


@dataclass(frozen=True)
class TestingFrequency:
    tests_per_week: int
    source: str  # where the number came from, in words, for the participant page


def with_testing_frequency(enrollments: QuerySet[Enrollment], on: datetime.date) -> QuerySet:
    """Annotates `tests_per_week` (required random tests a week on `on`), in order of
    precedence: the supervision intensity accepted in the latest risk/need assessment of this
    enrollment (`assessed_tests_per_week`, `assessed_on`), then the default of the enrollment's
    phase in the program settings in force (`phase_tests_per_week`). The court issue puts a
    sanction or order in force first in this Coalesce. One statement for any number of rows."""
    accepted = RiskNeedAssessment.objects.filter(
        participant=OuterRef("participant"),
        assessed_on__lte=on,
        assessed_on__gte=OuterRef("referral_date"),
    ).order_by("-assessed_on", "-id")
    settings_in_force = (
        ProgramSettings.objects.filter(
            program=OuterRef(OuterRef("program")), effective_from__lte=on
        )
        .order_by("-effective_from")
        .values("pk")[:1]
    )
    phase_default = Phase.objects.filter(
        settings=Subquery(settings_in_force), number=OuterRef("phase")
    ).values("tests_per_week")[:1]
    return enrollments.annotate(
        assessed_tests_per_week=Subquery(accepted.values("tests_per_week")[:1]),
        assessed_on=Subquery(accepted.values("assessed_on")[:1]),
        phase_tests_per_week=Subquery(phase_default, output_field=IntegerField()),
        tests_per_week=Coalesce("assessed_tests_per_week", "phase_tests_per_week"),
    )


def enrollments_to_test(program_id: int, on: datetime.date) -> QuerySet:
    """Active enrollments of a program with a phase on `on`, with their testing frequency."""
    enrollments = Enrollment.objects.filter(
        program_id=program_id, status=EnrollmentStatus.ACTIVE, phase__isnull=False
    )
    return with_testing_frequency(enrollments, on)


def testing_frequency_for(participant: Participant, on: datetime.date) -> TestingFrequency | None:
    """The participant's required tests per week on `on` and where the number comes from, or
    None when they are not in an active enrollment with a phase (nothing is required)."""
    enrollment = (
        with_testing_frequency(
            Enrollment.objects.filter(
                participant=participant, status=EnrollmentStatus.ACTIVE, phase__isnull=False
            ),
            on,
        )
        .order_by("-referral_date", "-id")
        .first()
    )
    if enrollment is None or enrollment.tests_per_week is None:
        return None
    if enrollment.assessed_tests_per_week is not None:
        source = (
            "Supervision intensity accepted in the risk and need assessment of "
            f"{enrollment.assessed_on:%b %-d, %Y}"
        )
    else:
        source = f"Default for phase {enrollment.phase} in the program settings"
    return TestingFrequency(tests_per_week=enrollment.tests_per_week, source=source)


def as_array(column: F) -> Func:
    """A one-element varchar array of a column, for ArrayField `contains` lookups."""
    return Func(
        column,
        template="ARRAY[%(expressions)s]::varchar[]",
        output_field=ArrayField(CharField()),
    )


def unexplained_findings() -> QuerySet[SubstanceResult]:
    """Findings of the outer test's current result that no prescription in force on the test's
    day explains (medication for substance use disorder included): those are violations, the
    rest are expected."""
    explaining = Prescription.objects.filter(
        participant=OuterRef(OuterRef("participant")),
        explains__contains=as_array(OuterRef("substance")),
        starts_on__lte=OuterRef(OuterRef("scheduled_for")),
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef(OuterRef("scheduled_for"))))
    return SubstanceResult.objects.filter(result=OuterRef("current_result")).exclude(
        Exists(explaining)
    )


def with_counts_as_positive(tests: QuerySet[DrugTest]) -> QuerySet[DrugTest]:
    """Annotates `counts_as_positive`: a positive result with an unexplained finding, or a
    status the program's testing policy in force on the test's day counts as positive (missed,
    refused, dilute, adulterated, substituted). One statement for any number of tests."""
    policy = (
        ProgramSettings.objects.filter(
            program=OuterRef("program"), effective_from__lte=OuterRef("scheduled_for")
        )
        .order_by("-effective_from")
        .values("policy_positive")[:1]
    )
    return tests.annotate(
        policy_positive=Subquery(policy, output_field=ArrayField(CharField())),
        has_unexplained_finding=Exists(unexplained_findings()),
    ).annotate(
        counts_as_positive=ExpressionWrapper(
            Q(status=TestStatus.POSITIVE, has_unexplained_finding=True)
            | Q(policy_positive__contains=as_array(F("status"))),
            output_field=BooleanField(),
        )
    )
