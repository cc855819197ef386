"""Reads of compliance data."""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate
from django.utils import timezone

from assessments.models import RiskNeedAssessment
from clients import access
from clients.access import DataClass
from clients.models import (
    Alert,
    AlertState,
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    Enrollment,
    EnrollmentStatus,
    Participant,
)
from clients.selectors import (
    alerts_of_programs_shown,
    appointments_visible,
    latest_enrollment_visible,
    participant_today,
)
from drugcourt.models import Phase, PolicyPositive, Program, ProgramSettings, User
from drugcourt.selectors import program_settings_in_force

from .models import (
    NONCOMPLIANT_STATUSES,
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    DrugTestResult,
    Prescription,
    SubstanceResult,
    TestingOrder,
    TestStatus,
)


@dataclass(frozen=True)
class TestingFrequency:
    tests_per_week: int
    source: str  # where the number came from, in words, for the participant page


def with_testing_frequency(enrollments: QuerySet[Enrollment], on: datetime.date) -> QuerySet:
    """Annotates `tests_per_week` (required random tests a week on `on`).

    A court testing order of the enrollment's participant and program in force on `on`
    (`order_tests_per_week`, `order_starts_on`, `order_ends_on`; the latest to start if
    several) decides it, never below the program minimum in force (`minimum_tests_per_week`).
    Without one: the more intensive of the supervision intensity accepted in the latest
    risk/need assessment of this enrollment (`assessed_tests_per_week`, `assessed_on`) and the
    default of the enrollment's phase in the program settings in force
    (`phase_tests_per_week`), unless the assessment documents an exception to the program
    minimum (`frequency_exception`): then its number stands. One statement for any number of
    rows; the order is found through `testing_order_idx`."""
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
    # (settings, number) is unique: no ordering needed (the model's default one costs a join).
    phase_default = (
        Phase.objects.filter(settings=Subquery(settings_in_force), number=OuterRef("phase"))
        .order_by()
        .values("tests_per_week")[:1]
    )
    minimum = (
        ProgramSettings.objects.filter(program=OuterRef("program"), effective_from__lte=on)
        .order_by("-effective_from")
        .values("minimum_tests_per_week")[:1]
    )
    order = TestingOrder.objects.filter(
        participant=OuterRef("participant"),
        program=OuterRef("program"),
        starts_on__lte=on,
        ends_on__gte=on,
    ).order_by("-starts_on", "-id")
    return enrollments.annotate(
        assessed_tests_per_week=Subquery(accepted.values("tests_per_week")[:1]),
        assessed_on=Subquery(accepted.values("assessed_on")[:1]),
        frequency_exception=Subquery(accepted.values("frequency_exception")[:1]),
        phase_tests_per_week=Subquery(phase_default, output_field=IntegerField()),
        order_tests_per_week=Subquery(order.values("tests_per_week")[:1]),
        order_starts_on=Subquery(order.values("starts_on")[:1]),
        order_ends_on=Subquery(order.values("ends_on")[:1]),
        minimum_tests_per_week=Subquery(minimum, output_field=IntegerField()),
    ).annotate(
        # GREATEST ignores NULLs: either number alone, when the other is missing.
        tests_per_week=Case(
            When(
                order_tests_per_week__isnull=False,
                then=Greatest("order_tests_per_week", "minimum_tests_per_week"),
            ),
            When(~Q(frequency_exception=""), then=F("assessed_tests_per_week")),
            default=Greatest("assessed_tests_per_week", "phase_tests_per_week"),
        ),
    )


def enrollments_to_test(program_id: int, on: datetime.date) -> QuerySet:
    """Active enrollments of a program with a phase on `on`, with their testing frequency."""
    enrollments = Enrollment.objects.filter(
        program_id=program_id, status=EnrollmentStatus.ACTIVE, phase__isnull=False
    )
    return with_testing_frequency(enrollments, on)


def testing_frequency_for(
    participant: Participant, on: datetime.date, *, with_reasoning: bool
) -> TestingFrequency | None:
    """The participant's required tests per week on `on` and where the number comes from (a
    court order in force first: "Court order of <date> until <date>"), or None when they are
    not in an active enrollment with a phase (nothing is required). The words of a documented
    exception are assessment reasoning: left out `with_reasoning=False` (the court view sees
    the intensity, not the reasons behind it)."""
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
    if enrollment.order_tests_per_week is not None:
        source = (
            f"Court order of {enrollment.order_starts_on:%b %-d, %Y} "
            f"until {enrollment.order_ends_on:%b %-d, %Y}"
        )
        if enrollment.order_tests_per_week < enrollment.tests_per_week:
            source += f", raised to the program minimum of {enrollment.tests_per_week} a week"
    elif enrollment.frequency_exception:
        source = (
            "A documented exception in the risk and need assessment of "
            f"{enrollment.assessed_on:%b %-d, %Y}"
        )
        if with_reasoning:
            source += f": {enrollment.frequency_exception}"
    elif enrollment.assessed_tests_per_week == enrollment.tests_per_week and (
        enrollment.phase_tests_per_week != enrollment.tests_per_week
    ):
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
    """Findings of the outer test's current result that no prescription (medication for
    substance use disorder included) explains on the test's day: in force then, or ended no
    longer ago than the substance's detection tail in the testing policy in force that day.
    Those are violations; the rest are expected."""
    tail_days = Coalesce(
        Cast(
            Func(
                Subquery(
                    ProgramSettings.objects.filter(
                        program=OuterRef(OuterRef(OuterRef("program"))),
                        effective_from__lte=OuterRef(OuterRef(OuterRef("scheduled_for"))),
                    )
                    .order_by("-effective_from")
                    .values("detection_tail_days")[:1]
                ),
                OuterRef("substance"),
                template="(%(expressions)s)",
                arg_joiner=" ->> ",
            ),
            IntegerField(),
        ),
        0,
    )
    explaining = (
        Prescription.objects.filter(
            participant=OuterRef(OuterRef("participant")),
            explains__contains=as_array(OuterRef("substance")),
            starts_on__lte=OuterRef(OuterRef("scheduled_for")),
        )
        .annotate(
            explains_until=Func(
                F("ends_on"),
                tail_days,
                arg_joiner=" + ",
                template="(%(expressions)s)",
                output_field=DateField(),
            )
        )
        .filter(
            Q(ends_on__isnull=True) | Q(explains_until__gte=OuterRef(OuterRef("scheduled_for")))
        )
    )
    return SubstanceResult.objects.filter(result=OuterRef("current_result")).exclude(
        Exists(explaining)
    )


def with_counts_as_positive(tests: QuerySet[DrugTest]) -> QuerySet:
    """Annotates `counts_as_positive`: a positive result with an unexplained finding, or a
    status the program's testing policy in force on the test's day counts as positive (missed,
    refused, dilute, adulterated, substituted). One statement for any number of tests.

    The status comes first in each condition (`Q(a) & Q(b)`; `Q(a=..., b=...)` sorts its
    arguments, the subquery first): PostgreSQL evaluates the AND of an aggregate's FILTER or an
    output column in order and stops at the first false, so the findings and the policy are
    looked up only for the tests whose status they can decide (bench/summary.py)."""
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
            Q(status=TestStatus.POSITIVE) & Q(has_unexplained_finding=True)
            | Q(status__in=sorted(PolicyPositive.values))
            & Q(policy_positive__contains=as_array(F("status"))),
            output_field=BooleanField(),
        )
    )


# ---------------------------------------------------------------------------------------------
# Pages

COMPLIANCE_WINDOW_DAYS = 90
# Alerts the compliance section lists (raised by compliance.sweeps).
# Alerts about a drug test name it "test:<pk>" (compliance.sweeps).
TEST_ALERT_SOURCE = "test"
TEST_ALERT_KINDS = ("test_missed", "result_overdue", "repeated_noncompliance")
ATTENDANCE_ALERT_KINDS = ("attendance_not_recorded", "missed_appointment")


def drug_tests_of(
    participant: Participant, *, now: datetime.datetime | None = None
) -> QuerySet[DrugTest]:
    """The participant's tests revealed at `now` (drawn ones sealed until called), newest
    first, with whether each counts as positive."""
    tests = DrugTest.objects.revealed(now or timezone.now()).filter(participant=participant)
    return with_counts_as_positive(tests.select_related("current_result")).order_by(
        "-scheduled_for", "-id"
    )


def drug_tests_visible(
    user: User, participant: Participant, *, now: datetime.datetime | None = None
) -> QuerySet:
    """`drug_tests_of` the programs whose tests the user sees: a program's court roles see the
    tests of that program, not those of the participant's enrollment elsewhere. Tests a
    treatment program collected are left out when no consent covers them (`drug_tests_withheld`)."""
    return access.without_withheld_rows(
        _drug_tests_of_programs_shown(user, participant, now=now),
        user,
        participant,
        DataClass.DRUG_TESTS,
    )


def drug_tests_withheld(
    user: User, participant: Participant, *, now: datetime.datetime | None = None
) -> QuerySet:
    """The tests `drug_tests_visible` leaves out for want of a consent (Part 2 rows)."""
    return access.withheld_rows(
        _drug_tests_of_programs_shown(user, participant, now=now),
        user,
        participant,
        DataClass.DRUG_TESTS,
    )


def _drug_tests_of_programs_shown(
    user: User, participant: Participant, *, now: datetime.datetime | None
) -> QuerySet:
    return access.rows_of_programs_shown(
        drug_tests_of(participant, now=now), user, participant, DataClass.DRUG_TESTS, "program"
    )


def drug_test_for(
    user: User, pk: int, *, change: bool = False, now: datetime.datetime | None = None
) -> DrugTest | None:
    """A revealed test of a participant whose drug tests the user may see (or record); a drawn
    test not yet called answers None like one that does not exist."""
    test = (
        with_counts_as_positive(DrugTest.objects.revealed(now or timezone.now()))
        .select_related("participant", "program", "collected_by", "ordered_by", "draw")
        .prefetch_related(
            Prefetch(
                "results",
                queryset=DrugTestResult.objects.select_related("recorded_by").prefetch_related(
                    "findings"
                ),
            )
        )
        .filter(pk=pk, participant__in=access.participants_visible_to(user))
        .first()
    )
    allowed = access.can_change if change else access.can_see
    if test is None or not allowed(user, test.participant, DataClass.DRUG_TESTS):
        return None
    programs = access.programs_showing(user, test.participant, DataClass.DRUG_TESTS)
    if programs is not None and test.program_id not in programs:
        return None
    if access.withholds_row(user, test.participant, DataClass.DRUG_TESTS, test):
        raise access.WithheldError(test.participant, DataClass.DRUG_TESTS)
    return test


def expected_substances(test: DrugTest) -> set[str]:
    """Substances that a prescription explains on the test's day: in force, or ended within
    the substance's detection tail (see `unexplained_findings`)."""
    settings = program_settings_in_force(test.program, test.scheduled_for)
    tails = settings.detection_tail_days if settings else {}
    prescriptions = Prescription.objects.filter(
        participant_id=test.participant_id, starts_on__lte=test.scheduled_for
    )
    return {
        code
        for prescription in prescriptions
        for code in prescription.explains
        if prescription.ends_on is None
        or prescription.ends_on + datetime.timedelta(days=tails.get(code, 0)) >= test.scheduled_for
    }


def prescriptions_visible(user: User, participant: Participant) -> QuerySet[Prescription] | None:
    """The participant's prescriptions (drug, dose, prescriber) for those who see treatment
    detail; None for the court view, which learns only that a positive was explained by
    prescribed medication (`expected_substances`)."""
    if not access.can_see(user, participant, DataClass.TREATMENT_DETAIL):
        return None
    return Prescription.objects.filter(participant=participant).order_by("-starts_on", "-id")


# Why a participant could not be tested, when the reason is treatment detail.
CLINICAL_BLACKOUT_REASONS = frozenset({BlackoutReason.HOSPITAL, BlackoutReason.RESIDENTIAL})


@dataclass(frozen=True)
class BlackoutShown:
    """A blackout period as the user may read it: `reason` is the label, empty when it is
    clinical and the user does not see treatment detail; `note` only with treatment detail."""

    pk: int
    starts_on: datetime.date
    ends_on: datetime.date | None
    reason: str
    note: str


def status_note_shown(user: User, test: DrugTest) -> str:
    """The test's status note as the user may read it: an excused test's note names its
    blackout's reason ("Blackout: Hospital", compliance.services and draw), which the court
    view reads only when it is not clinical."""
    clinical_notes = {
        f"Blackout: {BlackoutReason(reason).label}" for reason in CLINICAL_BLACKOUT_REASONS
    }
    if test.status_note in clinical_notes and not access.can_see(
        user, test.participant, DataClass.TREATMENT_DETAIL
    ):
        return "Blackout"
    return test.status_note


def blackouts_visible(user: User, participant: Participant) -> list[BlackoutShown]:
    """The participant's blackout periods: everyone who sees the tests sees that one exists and
    its dates; a clinical reason (hospital, residential treatment) and the note, which may speak
    of treatment, only those who see treatment detail (not read from the database otherwise)."""
    rows = BlackoutPeriod.objects.filter(participant=participant).order_by("-starts_on", "-id")
    if access.can_see(user, participant, DataClass.TREATMENT_DETAIL):
        rows = rows.annotate(shown_reason=F("reason"), shown_note=F("note"))
    else:
        rows = rows.annotate(
            shown_reason=Case(
                When(reason__in=CLINICAL_BLACKOUT_REASONS, then=Value("")), default=F("reason")
            ),
            shown_note=Value(""),
        )
    labels = {"": "", **dict(BlackoutReason.choices)}
    return [
        BlackoutShown(
            pk=row["pk"],
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            reason=labels[row["shown_reason"]],
            note=row["shown_note"],
        )
        for row in rows.values("pk", "starts_on", "ends_on", "shown_reason", "shown_note")
    ]


def days_sober(
    user: User,
    participant: Participant,
    today: datetime.date,
    *,
    now: datetime.datetime | None = None,
) -> int | None:
    """Days of continuous sobriety within the current enrollment (`Sobriety`). The enrollment
    and tests are those the user sees (a program's roles: their own program's)."""
    enrollment = latest_enrollment_visible(user, participant)
    if enrollment is None:
        return None
    last_positive = (
        _with_last_positive(
            Enrollment.objects.filter(pk=enrollment.pk),
            drug_tests_visible(user, participant, now=now),
            today,
        )
        .values_list("last_positive", flat=True)
        .get()
    )
    return _sobriety(enrollment.entry_date, last_positive, today).days


# Attendance at what the participant attends for treatment and supervision, and apart from it
# their appearances in court (a hearing is not a treatment session).
ATTENDANCE_KINDS = tuple(kind for kind in AppointmentKind if kind != AppointmentKind.COURT)
COURT_KINDS = (AppointmentKind.COURT,)


def attendance_rate(
    user: User,
    participant: Participant,
    since: datetime.date,
    *,
    kinds: Iterable[str] | None = None,
) -> int | None:
    """Per cent of the appointments of `kinds` (None: of every kind) the user sees since
    `since` attended (`Attendance`). None when there were none to attend."""
    attendance = _attendance_of(
        appointments_visible(user, participant), {participant.pk: since}, {"rate": kinds}
    )
    return attendance[participant.pk]["rate"].rate


# ---------------------------------------------------------------------------------------------
# Set-based facts: the figures of a set of participants, each since their own date (the day of
# their last hearing), in a fixed number of queries whatever the number of participants. The
# participant page reads the same figures for one participant (`days_sober`,
# `attendance_rate`): each figure has one definition, here.


@dataclass(frozen=True)
class DrugTestFacts:
    """A participant's revealed tests scheduled from `since` to `today`. `tests` are those due
    and not excused (collected, missed or refused); `pending` of them await a result.
    `positives` are positive tests with a finding no prescription explains (violations); a
    positive whose every finding a prescription explains is `explained` apart. By substance:
    how many tests found it, unexplained and explained by prescribed medication."""

    since: datetime.date
    tests: int = 0
    negatives: int = 0
    positives: int = 0
    explained: int = 0
    missed: int = 0
    refused: int = 0
    dilute: int = 0
    adulterated: int = 0
    substituted: int = 0
    invalid: int = 0
    pending: int = 0
    excused: int = 0
    # Tests the program's testing policy counts as positive (unexplained positives, and the
    # statuses of `ProgramSettings.policy_positive`): those reset sobriety.
    counted_positive: int = 0
    positives_by_substance: tuple[tuple[str, int], ...] = ()
    explained_by_substance: tuple[tuple[str, int], ...] = ()
    # Tests due (as `tests` counts them) that the reader may not see, left out of every other
    # figure: Part 2 tests no consent covers for them (`monitoring_facts(tests_withheld=)`).
    withheld: int = 0


@dataclass(frozen=True)
class Attendance:
    """Appointments from `since` attended (late counts as attended) and missed; excused and
    cancelled ones are left out, as are those without an outcome yet."""

    since: datetime.date
    attended: int = 0
    missed: int = 0

    @property
    def expected(self) -> int:
        return self.attended + self.missed

    @property
    def rate(self) -> int | None:
        """Per cent attended, None when there was nothing to attend."""
        return round(100 * self.attended / self.expected) if self.expected else None


@dataclass(frozen=True)
class Sobriety:
    """Continuous sobriety within the current enrollment: since its last test that counts as
    positive (policy included) up to `today`, or else since its entry into the program. `days`
    is None before entry (a readmission starts again from its own entry)."""

    entry_date: datetime.date | None = None
    last_positive: datetime.date | None = None
    days: int | None = None


@dataclass(frozen=True)
class MonitoringFacts:
    """What the court reads of a participant's monitoring since `since` (their date, never
    before the entry of their current enrollment in the program)."""

    participant_id: int
    since: datetime.date
    drug_tests: DrugTestFacts
    treatment: Attendance
    case_management: Attendance
    sobriety: Sobriety


TREATMENT_KINDS = (AppointmentKind.TREATMENT,)
CASE_MANAGEMENT_KINDS = (AppointmentKind.CASE_MANAGER,)


class OwnDate(Func):
    """Each row's participant's own date of `dates` (participant id → date), looked up in two
    parallel array parameters: `dates[array_position(ids, participant_id)]`. Two parameters
    whatever the number of participants: a CASE of a branch per participant took Django about
    0.4 ms a participant to build, more than the query took to run."""

    output_field = DateField()

    def __init__(self, dates: Mapping[int, datetime.date], participant: str = "participant_id"):
        super().__init__(
            Value(list(dates.values()), output_field=ArrayField(DateField())),
            Value(list(dates), output_field=ArrayField(BigIntegerField())),
            F(participant),
        )

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        (days, day_params), (ids, id_params), (participant, participant_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = f"(({days})::date[])[array_position(({ids})::bigint[], {participant})]"
        return sql, (*day_params, *id_params, *participant_params)


def _per_participant(
    rows: QuerySet, dates: Mapping[int, datetime.date], day: F | Func, earliest: Q
) -> QuerySet:
    """`rows` of the participants of `dates` whose `day` is on or after the participant's own
    date, ordered by nothing for the aggregates that follow. `earliest` (rows from the earliest
    of the dates on, written so an index can serve it) narrows them first; `OwnDate` then gives
    each their own date, so one statement serves them all."""
    if not dates:
        return rows.none()
    return (
        rows.filter(earliest, participant_id__in=list(dates))
        .alias(fact_day=day, fact_since=OwnDate(dates))
        .filter(fact_day__gte=F("fact_since"))
        .order_by()
    )


def _sobriety(
    entry_date: datetime.date | None, last_positive: datetime.date | None, today: datetime.date
) -> Sobriety:
    if entry_date is None or entry_date > today:
        return Sobriety(entry_date=entry_date)
    return Sobriety(
        entry_date=entry_date,
        last_positive=last_positive,
        days=(today - (last_positive or entry_date)).days,
    )


def _with_last_positive(
    enrollments: QuerySet[Enrollment], tests: QuerySet, today: datetime.date
) -> QuerySet:
    """Annotates each enrollment with `last_positive`: the day of the newest of `tests`
    (annotated by `with_counts_as_positive`) of its participant from its entry to `today` that
    counts as positive. Only a missed or non-negative test may count, so each participant's are
    read newest first through drug_test_noncompliant_idx, stopping at the first that counts."""
    newest_positive = (
        tests.filter(
            participant=OuterRef("participant_id"),
            status__in=sorted(NONCOMPLIANT_STATUSES),
            scheduled_for__gte=OuterRef("entry_date"),
            scheduled_for__lte=today,
            counts_as_positive=True,
        )
        .order_by("-scheduled_for")
        .values("scheduled_for")[:1]
    )
    return enrollments.annotate(last_positive=Subquery(newest_positive))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _attendance_of(
    appointments: QuerySet,
    since: Mapping[int, datetime.date],
    kinds: Mapping[str, Iterable[str] | None],
) -> dict[int, dict[str, Attendance]]:
    """`Attendance` of each participant of `since` over `appointments`, for each group of
    `kinds` (name → appointment kinds, None for every kind). One query."""
    attended = Q(outcome__in=[AppointmentOutcome.ATTENDED, AppointmentOutcome.LATE])
    missed = Q(outcome=AppointmentOutcome.MISSED)
    of_kinds = {
        name: Q() if group is None else Q(kind__in=list(group)) for name, group in kinds.items()
    }
    # From midnight (current time zone, as `__date` reads it) of the earliest date: indexed.
    first_day = min(since.values(), default=datetime.date.max)
    earliest = Q(scheduled_at__gte=_start_of(first_day)) if since else Q()
    counts = {
        row.pop("participant_id"): row
        for row in _per_participant(appointments, since, TruncDate("scheduled_at"), earliest)
        .values("participant_id")
        .annotate(
            **{
                f"{name}__attended": Count("pk", filter=of_kind & attended)
                for name, of_kind in of_kinds.items()
            },
            **{
                f"{name}__missed": Count("pk", filter=of_kind & missed)
                for name, of_kind in of_kinds.items()
            },
        )
    }
    return {
        pk: {
            name: Attendance(
                since=day,
                attended=counts.get(pk, {}).get(f"{name}__attended", 0),
                missed=counts.get(pk, {}).get(f"{name}__missed", 0),
            )
            for name in kinds
        }
        for pk, day in since.items()
    }


# DrugTestFacts fields counted straight from a status.
_STATUS_FIELDS = {
    "negatives": TestStatus.NEGATIVE,
    "missed": TestStatus.MISSED,
    "refused": TestStatus.REFUSED,
    "dilute": TestStatus.DILUTE,
    "adulterated": TestStatus.ADULTERATED,
    "substituted": TestStatus.SUBSTITUTED,
    "invalid": TestStatus.INVALID,
    "pending": TestStatus.PENDING,
    "excused": TestStatus.EXCUSED,
}


def _drug_test_facts_of(
    tests: QuerySet,
    since: Mapping[int, datetime.date],
    today: datetime.date,
    withheld: Q | None = None,
) -> dict[int, DrugTestFacts]:
    """`DrugTestFacts` of each participant of `since` over `tests` (revealed, annotated by
    `with_counts_as_positive`); those matching `withheld` are only counted as withheld. Two
    queries: the counts by status, and the findings of the positives by substance, each finding
    unexplained or explained by a prescription."""
    window = _per_participant(
        tests,
        since,
        F("scheduled_for"),
        Q(scheduled_for__gte=min(since.values(), default=today), scheduled_for__lte=today),
    )
    due = ~Q(status__in=[TestStatus.SCHEDULED, TestStatus.EXCUSED])
    shown = Q() if withheld is None else ~withheld
    counts = {
        row["participant_id"]: row
        for row in window.values("participant_id").annotate(
            tests=Count("pk", filter=shown & due),
            # The status first, as in with_counts_as_positive.
            positives=Count(
                "pk",
                filter=shown & Q(status=TestStatus.POSITIVE) & Q(has_unexplained_finding=True),
            ),
            explained=Count(
                "pk",
                filter=shown & Q(status=TestStatus.POSITIVE) & Q(has_unexplained_finding=False),
            ),
            counted_positive=Count("pk", filter=shown & Q(counts_as_positive=True)),
            **{
                field: Count("pk", filter=shown & Q(status=status))
                for field, status in _STATUS_FIELDS.items()
            },
            **({} if withheld is None else {"withheld": Count("pk", filter=withheld & due)}),
        )
    }
    findings = (
        window.filter(shown, status=TestStatus.POSITIVE)
        .annotate(
            substance=F("current_result__findings__substance"),
            unexplained=Exists(unexplained_findings().filter(substance=OuterRef("substance"))),
        )
        .filter(substance__isnull=False)
        .values("participant_id", "substance", "unexplained")
        .annotate(tests_found=Count("pk", distinct=True))
        .order_by("participant_id", "substance")
    )
    by_substance: dict[tuple[int, bool], list[tuple[str, int]]] = {}
    for row in findings:
        key = (row["participant_id"], row["unexplained"])
        by_substance.setdefault(key, []).append((row["substance"], row["tests_found"]))
    return {
        pk: DrugTestFacts(
            since=day,
            **{
                field: value
                for field, value in counts.get(pk, {}).items()
                if field != "participant_id"
            },
            positives_by_substance=tuple(by_substance.get((pk, True), ())),
            explained_by_substance=tuple(by_substance.get((pk, False), ())),
        )
        for pk, day in since.items()
    }


def monitoring_facts(
    program: Program,
    since: Mapping[int, datetime.date],
    *,
    today: datetime.date,
    now: datetime.datetime | None = None,
    tests_withheld: Q | None = None,
    appointments_withheld: Q | None = None,
) -> dict[int, MonitoringFacts]:
    """The monitoring facts of the program's record for each participant of `since`
    (participant id → the first day counted, e.g. the day of their last hearing): drug tests,
    attendance at treatment and at case management, and continuous sobriety.

    Only the participant's current enrollment in `program` counts (their newest, as on the
    participant page): rows of the program (tests; appointments of the program or of none),
    from their date but never before that enrollment's entry, so a readmission starts afresh.
    Tests are read through `DrugTest.objects.revealed(now)`. Four queries whatever the number of
    participants: the enrollments with their last positive, the attendance, the test counts by
    status, the findings of the positives by substance. Access is the caller's: give only
    participants whose drug tests and attendance in `program` the user sees.

    `tests_withheld` and `appointments_withheld` are conditions on the tests and appointments
    the user may not see (clients.access.part2_rows of the participants whose Part 2 rows no
    consent covers for them): every fact, sobriety included, is computed without those rows,
    so no figure or colour says anything of them; the tests are counted as withheld."""
    now = now or timezone.now()
    tests = with_counts_as_positive(DrugTest.objects.revealed(now).filter(program=program))
    enrollments = {
        enrollment.participant_id: enrollment
        for enrollment in _with_last_positive(
            Enrollment.objects.filter(program=program, participant_id__in=list(since))
            .order_by("participant_id", "-referral_date", "-id")
            .distinct("participant_id")
            .only("participant_id", "entry_date"),
            tests if tests_withheld is None else tests.exclude(tests_withheld),
            today,
        )
    }
    counted_from = {
        pk: max(day, getattr(enrollments.get(pk), "entry_date", None) or day)
        for pk, day in since.items()
    }
    appointments = Appointment.objects.filter(Q(program__isnull=True) | Q(program=program))
    attendance = _attendance_of(
        appointments
        if appointments_withheld is None
        else appointments.exclude(appointments_withheld),
        counted_from,
        {"treatment": TREATMENT_KINDS, "case_management": CASE_MANAGEMENT_KINDS},
    )
    drug_tests = _drug_test_facts_of(tests, counted_from, today, tests_withheld)
    return {
        pk: MonitoringFacts(
            participant_id=pk,
            since=day,
            drug_tests=drug_tests[pk],
            treatment=attendance[pk]["treatment"],
            case_management=attendance[pk]["case_management"],
            sobriety=_sobriety(
                getattr(enrollments.get(pk), "entry_date", None),
                getattr(enrollments.get(pk), "last_positive", None),
                today,
            ),
        )
        for pk, day in counted_from.items()
    }


def calendar_strip(
    tests: list[DrugTest], first_day: datetime.date, last_day: datetime.date
) -> list[tuple[datetime.date, list[DrugTest]]]:
    """Every day from first_day to last_day with that day's tests (most days have none)."""
    by_day: dict[datetime.date, list[DrugTest]] = {}
    for test in tests:
        by_day.setdefault(test.scheduled_for, []).append(test)
    days = (last_day - first_day).days + 1
    return [
        (day, by_day.get(day, []))
        for day in (first_day + datetime.timedelta(days=n) for n in range(days))
    ]


def compliance_section(participant: Participant, user: User) -> dict:
    """The participant page's compliance section: a 90-day strip of tests, attendance at
    treatment and meetings and, apart, appearances in court, days of continuous sobriety, the
    current testing frequency and open monitoring alerts."""
    now = timezone.now()
    today = participant_today(participant)
    first_day = today - datetime.timedelta(days=COMPLIANCE_WINDOW_DAYS - 1)
    recent = list(
        drug_tests_visible(user, participant, now=now).filter(
            scheduled_for__range=(first_day, today)
        )
    )
    alert_kinds = list(TEST_ALERT_KINDS)
    if access.can_see(user, participant, DataClass.ATTENDANCE):
        alert_kinds += ATTENDANCE_ALERT_KINDS
    return {
        "strip": calendar_strip(recent, first_day, today),
        "tests_in_window": len(recent),
        "tests_withheld": drug_tests_withheld(user, participant, now=now)
        .filter(scheduled_for__range=(first_day, today))
        .count(),
        "attendance_rate": attendance_rate(user, participant, first_day, kinds=ATTENDANCE_KINDS),
        "court_appearance_rate": attendance_rate(user, participant, first_day, kinds=COURT_KINDS),
        "days_sober": days_sober(user, participant, today, now=now),
        "frequency": testing_frequency_for(
            participant,
            today,
            with_reasoning=access.can_see(user, participant, DataClass.ASSESSMENT_SUMMARY),
        ),
        "alerts": alerts_of_programs_shown(
            Alert.objects.filter(
                participant=participant, state=AlertState.OPEN, kind__in=alert_kinds
            ),
            user,
            participant,
        ).order_by("-created_at"),
        "may_record": access.can_change(user, participant, DataClass.DRUG_TESTS),
        "window_days": COMPLIANCE_WINDOW_DAYS,
    }


# ---------------------------------------------------------------------------------------------
# The program minimum, on a month's mean


@dataclass(frozen=True)
class MonthlyShortfall:
    participant: Participant
    tests: int
    days: int  # days of the month in the program and outside blackouts

    @property
    def per_week(self) -> float:
        return 7 * self.tests / self.days


def monthly_shortfalls(
    program: Program, first_day: datetime.date, *, now: datetime.datetime | None = None
) -> list[MonthlyShortfall]:
    """Participants active in the program before its last phase whose tests called in the
    calendar month from `first_day` (excused ones left out), per week over the month's days
    they were in the program outside blackouts, fell under the program minimum in force on the
    month's last day. A list for the coordinator: the draw never tops a month up, which would
    make its last days predictable. Four queries for any number of participants."""
    last_day = (first_day + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
    settings = program_settings_in_force(program, last_day)
    if settings is None or not settings.minimum_tests_per_week:
        return []
    last_phase = max((phase.number for phase in settings.phases.all()), default=0)
    tests = (
        DrugTest.objects.revealed(now or timezone.now())
        .filter(
            participant=OuterRef("participant"),
            program=program,
            scheduled_for__range=(first_day, last_day),
        )
        .exclude(status=TestStatus.EXCUSED)
        .order_by()
        .values("participant")
        .annotate(count=Count("pk"))
        .values("count")
    )
    enrollments = list(
        Enrollment.objects.filter(
            program=program,
            status=EnrollmentStatus.ACTIVE,
            phase__lt=last_phase,
            entry_date__lte=last_day,
        )
        .annotate(tests=Coalesce(Subquery(tests, output_field=IntegerField()), 0))
        .select_related("participant")
    )
    blackouts = BlackoutPeriod.objects.filter(
        participant__in=[enrollment.participant_id for enrollment in enrollments],
        starts_on__lte=last_day,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first_day))
    blacked_out: dict[int, set[datetime.date]] = {}
    for blackout in blackouts:
        start, end = max(blackout.starts_on, first_day), min(blackout.ends_on or last_day, last_day)
        blacked_out.setdefault(blackout.participant_id, set()).update(
            start + datetime.timedelta(days=n) for n in range((end - start).days + 1)
        )
    short = []
    for enrollment in enrollments:
        # entry_date__lte=last_day above: never None here.
        entered = max(enrollment.entry_date or first_day, first_day)
        away = {day for day in blacked_out.get(enrollment.participant_id, ()) if day >= entered}
        days = (last_day - entered).days + 1 - len(away)
        if days > 0 and 7 * enrollment.tests < settings.minimum_tests_per_week * days:
            short.append(MonthlyShortfall(enrollment.participant, enrollment.tests, days))
    return sorted(short, key=lambda row: (row.participant.legal_last_name, row.participant.pk))
