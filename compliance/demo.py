"""Demo drug testing for `seed_demo`, after the clients, assessments and treatment-plan demos:
the last 90 days (whole ISO weeks) of the weekly random draw and the tests it called.

Every week has its draw, made the Sunday evening before at the program's draw time with a
fixed seed per week and the draw's own algorithm, so `compliance.draw` reproduces it. Every
active participant with a phase who had entered by then was called on the days drawn for their
group (their tests per week today, from `enrollments_to_test`: the draw itself takes those in
force on the week's Monday, but the demo keeps no phase history). Past tests were collected at the
testing office within the window, or missed or refused; their results came from the laboratory
a day or two later: mostly negative, some positive (each struggling participant mostly for one
drug), a few dilute, and now and then adulterated, substituted or invalid, the status always as
`compliance.validity.result_status` gives it. Today's tests are still scheduled or just
collected; results of the last day or two are pending, and two specimens of the last week or so
still wait for theirs. Tests of the rest of this week are drawn but not yet called.

Participants referred for medication for opioid use disorder take buprenorphine (or methadone)
from the start of their treatment episode, and their tests find it, as expected; one who only
now started was referred after a fentanyl positive. One struggling participant spent ten days in
residential treatment (a blackout: the tests drawn before it was recorded are excused, later
draws skip them) and one often admitted use before the result.

Written in bulk with every field as the services fill it (created_at and recorded_at corrected
after the insert and kept out of the history). Then the monitoring sweeps run as beat runs them:
the tests missed on the last testing day become missed, and the alerts open (missed test, result
overdue, repeated non-compliance); the case managers have acknowledged last week's runs of
non-compliance and resolved the older ones. Deterministic for a given day and database (fixed
random seeds; the draw also depends on the program's id) and idempotent (skipped once the
program has a draw)."""

import datetime
import hashlib
import itertools
import random
from dataclasses import dataclass, field
from decimal import Decimal

import pgtrigger
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from clients.demo import CASE_PREFIX, Clock, demo_case_managers
from clients.models import Alert, AlertState
from clients.services import alert_acknowledge, alert_resolve
from drugcourt.audit import audited_write
from drugcourt.models import Program, ProgramSettings, Substance, User
from drugcourt.selectors import program_settings_in_force, program_today
from treatment_plans.demo import MOUD
from treatment_plans.models import Referral

from . import sweeps
from .draw import ALGORITHM_VERSION, called_days
from .models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    DrugTestResult,
    Prescription,
    SpecimenType,
    SubstanceResult,
    TestDraw,
    TestReason,
    TestStatus,
)
from .selectors import enrollments_to_test
from .services import collection_window
from .validity import ValidityMeasures, result_status

HISTORY_DAYS = 90
STRUGGLING_SHARE = 0.2
MEDICATED = 3  # participants on medication for opioid use disorder, at most
ORAL_FLUID_SHARE = 0.06
OBSERVED_SHARE = 0.95
COLLECTED_BY_MANAGER_SHARE = 0.8
ADMITTED_SHARE = 0.4
RESULT_AFTER_HOURS = (20, 46)
# Specimens from this many days ago that still have no result (the lab lost track of them).
OVERDUE_DAYS_AGO = (3, 10)
# How many tests are left for each of those two sweeps.
FORCED_OUTCOMES = 2
BLACKOUT_DAYS = 10
BLACKOUT_STARTED_DAYS_AGO = (40, 60)

# Outcome weights per thousand tests: about 85% negative, 7% positive, 4% missed, 2% dilute
# over the caseload, with one participant in five struggling.
STEADY = {
    TestStatus.NEGATIVE: 930,
    TestStatus.POSITIVE: 30,
    TestStatus.MISSED: 20,
    TestStatus.DILUTE: 12,
    TestStatus.REFUSED: 2,
    TestStatus.ADULTERATED: 2,
    TestStatus.SUBSTITUTED: 1,
    TestStatus.INVALID: 3,
}
STRUGGLING = {
    TestStatus.NEGATIVE: 600,
    TestStatus.POSITIVE: 180,
    TestStatus.MISSED: 120,
    TestStatus.DILUTE: 50,
    TestStatus.REFUSED: 15,
    TestStatus.ADULTERATED: 15,
    TestStatus.SUBSTITUTED: 10,
    TestStatus.INVALID: 10,
}
DRUGS_OF_CHOICE = {
    Substance.CANNABINOIDS: 4,
    Substance.COCAINE: 2,
    Substance.METHAMPHETAMINE: 2,
    Substance.ALCOHOL_ETG: 2,
}
SLIPS = {Substance.CANNABINOIDS: 3, Substance.ALCOHOL_ETG: 2}
# Urine screening cutoff and the range of levels found above it, in ng/mL.
URINE_LEVELS = {
    Substance.CANNABINOIDS: (50, (60, 450)),
    Substance.COCAINE: (150, (180, 4000)),
    Substance.METHAMPHETAMINE: (500, (600, 9000)),
    Substance.ALCOHOL_ETG: (500, (550, 6000)),
    Substance.BUPRENORPHINE: (5, (15, 250)),
    Substance.METHADONE: (300, (400, 6000)),
    Substance.FENTANYL: (1, (2, 60)),
}
ADULTERANTS = ("Nitrite (620 µg/mL)", "Oxidant: pyridinium chlorochromate", "Glutaraldehyde")
REFUSALS = (
    "Came to the testing office but refused to give a specimen.",
    "Said on the phone they would not come in for the test.",
    "Left the testing office before giving a specimen.",
)
COLLECTION_SITES = {
    "Lakeview County Drug Court testing office": 6,
    "Harbor Light Recovery Services, collection room": 3,
    "Lakeview County Adult Probation, north office": 1,
}


@dataclass(frozen=True)
class Medication:
    drug: str
    dose: str
    prescriber: str
    substance: str


BUPRENORPHINE = Medication(
    "Buprenorphine/naloxone (Suboxone)",
    "16 mg/4 mg sublingual film, daily",
    "Dr. Anita Serrano, Harbor Light Recovery Services",
    Substance.BUPRENORPHINE,
)
METHADONE = Medication(
    "Methadone",
    "80 mg oral solution, daily (observed dosing)",
    "Dr. Colin Mercer, Lakeview Opioid Treatment Program",
    Substance.METHADONE,
)
# Non-compliance alerts whose run began this long ago were acknowledged, or resolved.
ACKNOWLEDGED_AFTER = datetime.timedelta(days=7)
RESOLVED_AFTER = datetime.timedelta(days=14)
RESOLUTIONS = (
    "Discussed at staffing; the judge responded at the next status hearing and the "
    "participant is back on track.",
    "Met with the participant, who acknowledged use; the provider stepped up treatment "
    "(an extra group a week).",
    "Reviewed at staffing; relapse prevention plan updated with the counsellor, testing "
    "frequency unchanged.",
)
BLACKOUT_NOTE = (
    "Admitted to residential treatment at Harbor Light after a run of positives; no testing "
    "by the program while there (the facility tests)."
)


@dataclass
class Case:
    """One participant to test, with what decides their results."""

    participant_id: int
    manager: User
    entry: datetime.date
    tests_per_week: int
    struggling: bool = False
    drug_of_choice: str = ""
    admits_use: bool = False
    admissions: int = 0  # positives where they said so before the result
    medication: Medication | None = None
    medication_from: datetime.date | None = None
    referred_for_medication_on: datetime.date | None = None
    relapse_on: datetime.date | None = None  # the positive test that led to the referral
    blackout: BlackoutPeriod | None = None
    blackout_recorded_at: datetime.datetime | None = None

    def blacked_out(self, day: datetime.date) -> bool:
        blackout = self.blackout
        return blackout is not None and blackout.starts_on <= day <= blackout.ends_on

    def on_medication(self, day: datetime.date) -> bool:
        return self.medication_from is not None and self.medication_from <= day


@dataclass
class Planned:
    """One test with its result and findings, before they are written."""

    case: Case
    test: DrugTest
    result: DrugTestResult | None = None
    findings: list[SubstanceResult] = field(default_factory=list)


def seed_demo_tests(program: Program, staff: dict[str, User]) -> None:
    if not _seed_tests(program, staff):
        return
    # As beat runs them: the last tests missed become missed, and the alerts open.
    now = timezone.now()
    sweeps.drug_tests_missed_sweep(now=now)
    sweeps.results_overdue_sweep(now=now)
    sweeps.noncompliance_sweep(now=now)
    _follow_up_alerts(program, now)


@transaction.atomic
def _seed_tests(program: Program, staff: dict[str, User]) -> bool:
    """Writes the draws and tests; False when there was nothing to do."""
    if TestDraw.objects.filter(program=program).exists():
        return False
    clock = Clock(program, timezone.now())
    settings = program_settings_in_force(program, clock.today)
    cases = _cases(program, clock.today)
    if settings is None or not cases:
        return False
    rng = random.Random(2031)  # noqa: S311  (demo data, not security)
    _prescribe(cases, clock)
    _choose_struggling(cases, clock.today, rng)
    _black_out(cases, clock, rng)
    seeding = Seeding(program, settings, clock, rng, staff["coordinator"])
    draws, schedule = seeding.draws(cases)
    _relapses(cases, schedule)
    seeding.sweep_from = max(
        (day for case, _, day in schedule if day < clock.today and case.medication is None),
        default=clock.today,
    )
    forced = _forced_outcomes(schedule, seeding.sweep_from, clock.today, rng)
    planned = [
        seeding.test(case, draw, day, number, forced.get(number))
        for number, (case, draw, day) in enumerate(schedule, start=1)
    ]
    _write(cases, draws, planned, clock)
    return True


def _cases(program: Program, today: datetime.date) -> list[Case]:
    enrollments = (
        enrollments_to_test(program.pk, today)
        .filter(case_number__startswith=CASE_PREFIX, tests_per_week__gt=0)
        .order_by("case_number")
    )
    managers = demo_case_managers(enrollments.values("participant"))
    return [
        Case(
            participant_id=enrollment.participant_id,
            manager=managers[enrollment.participant_id],
            entry=enrollment.entry_date,
            tests_per_week=enrollment.tests_per_week,
        )
        for enrollment in enrollments
    ]


def _choose_struggling(cases: list[Case], today: datetime.date, rng: random.Random) -> None:
    """One in five struggles, the newest first (earlier phases are where relapses are); each has
    a drug of choice, and the first one who has been in the program a while admits use."""
    unmedicated = [case for case in cases if case.medication is None]
    newest = sorted(unmedicated, key=lambda case: case.entry, reverse=True)[: len(cases) // 2]
    for case in rng.sample(newest, round(len(cases) * STRUGGLING_SHARE)):
        case.struggling = True
        case.drug_of_choice = _weighted(rng, DRUGS_OF_CHOICE)
    settled = [case for case in cases if case.struggling and _days_in(case, today) > 60]
    if settled:
        settled[0].admits_use = True


def _prescribe(cases: list[Case], clock: Clock) -> None:
    """Up to three of those referred for medication for opioid use disorder (the latest to
    start first) take it from the start of their first such treatment episode: buprenorphine as
    their plan says, methadone when referred for it later."""
    by_participant = {case.participant_id: case for case in cases}
    referrals = (
        Referral.objects.filter(
            participant__in=by_participant,
            requested_service__startswith="Medication for opioid use disorder",
            episode__isnull=False,
        )
        .select_related("episode")
        .order_by("sent_at", "pk")
    )
    first = {}
    for referral in referrals:
        first.setdefault(referral.participant_id, referral)
    latest = sorted(first.values(), key=lambda referral: referral.episode.started_on)
    for referral in latest[-MEDICATED:]:
        case = by_participant[referral.participant_id]
        case.medication = BUPRENORPHINE if referral.requested_service == MOUD[0] else METHADONE
        case.medication_from = referral.episode.started_on
        if clock.today - case.medication_from < datetime.timedelta(days=HISTORY_DAYS):
            case.referred_for_medication_on = clock.day_of(referral.sent_at)


def _black_out(cases: list[Case], clock: Clock, rng: random.Random) -> None:
    """One struggling participant, in the program a while, went to residential treatment."""
    eligible = [
        case
        for case in cases
        if case.struggling and not case.admits_use and _days_in(case, clock.today) > 100
    ]
    if not eligible:
        return
    case = rng.choice(eligible)
    starts_on = clock.today - datetime.timedelta(days=rng.randint(*BLACKOUT_STARTED_DAYS_AGO))
    case.blackout = BlackoutPeriod(
        participant_id=case.participant_id,
        reason=BlackoutReason.RESIDENTIAL,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=BLACKOUT_DAYS - 1),
        note=BLACKOUT_NOTE,
        recorded_by=case.manager,
    )
    case.blackout_recorded_at = clock.at(starts_on, 9, 40)


# The draws and the tests


class Seeding:
    """The program's settings in force today, the clock and the random numbers, for the draws
    and the tests."""

    def __init__(
        self,
        program: Program,
        settings: ProgramSettings,
        clock: Clock,
        rng: random.Random,
        coordinator: User,
    ) -> None:
        self.program, self.settings, self.clock, self.rng = program, settings, clock, rng
        self.coordinator = coordinator
        # Tests missed on this day or later are left to the missed-test sweep (which alerts).
        self.sweep_from = clock.today
        self.windows = {
            specimen: collection_window(settings, specimen)
            for specimen in (SpecimenType.URINE, SpecimenType.ORAL_FLUID)
        }

    def draws(self, cases: list[Case]) -> tuple[list[TestDraw], list[tuple]]:
        """Every ISO week from the one 90 days back to this one: its draw, and (case, draw,
        day) for each test it called, by day."""
        monday = _monday(self.clock.today - datetime.timedelta(days=HISTORY_DAYS - 1))
        draws, schedule = [], []
        while monday <= self.clock.today:
            draw = self._draw(monday)
            called = [
                (case, draw, day)
                for case in cases
                if case.entry < monday
                for day in self._days_drawn(draw, case)
            ]
            draw.tests_scheduled = len(called)
            draws.append(draw)
            schedule.extend(called)
            monday += datetime.timedelta(days=7)
        schedule.sort(key=lambda row: (row[2], row[0].participant_id))
        return draws, schedule

    def _draw(self, monday: datetime.date) -> TestDraw:
        """Made the Sunday before at the draw time (the first beat tick after it), with a fixed
        seed per week."""
        iso_year, iso_week, _ = monday.isocalendar()
        seed = hashlib.sha256(f"lakeview-demo-{iso_year}-W{iso_week:02d}".encode()).hexdigest()
        sunday = monday - datetime.timedelta(days=1)
        return TestDraw(
            program=self.program,
            iso_year=iso_year,
            iso_week=iso_week,
            seed=seed,
            algorithm_version=ALGORITHM_VERSION,
            drawn_at=self._moment(sunday, self.settings.draw_time)
            + datetime.timedelta(minutes=self.rng.randint(1, 14)),
        )

    def _moment(self, day: datetime.date, at: datetime.time) -> datetime.datetime:
        """A program-local wall-clock time, in UTC: hours added to it are hours elapsed, also
        across a DST change."""
        return datetime.datetime.combine(day, at, tzinfo=self.clock.zone).astimezone(datetime.UTC)

    def _days_drawn(self, draw: TestDraw, case: Case):
        days = called_days(
            bytes.fromhex(draw.seed),
            self.program.pk,
            draw.iso_year,
            draw.iso_week,
            case.participant_id,
            case.tests_per_week,
        )
        for day in days:
            # Draws made after the blackout was recorded skip its days.
            if not (case.blacked_out(day) and case.blackout_recorded_at < draw.drawn_at):
                yield day

    def test(
        self, case: Case, draw: TestDraw, day: datetime.date, number: int, forced: str | None
    ) -> Planned:
        """The test as it stands now: called or not yet, then collected (its result back
        after a day or two), missed or refused. A `forced` outcome of PENDING is a specimen
        whose result never came."""
        clock, rng = self.clock, self.rng
        outcome = forced or _outcome(case, day, rng)
        specimen = SpecimenType.URINE
        if outcome == TestStatus.NEGATIVE and case.medication is None:
            specimen = SpecimenType.ORAL_FLUID if rng.random() < ORAL_FLUID_SHARE else specimen
        test = DrugTest(
            participant_id=case.participant_id,
            program=self.program,
            reason=TestReason.RANDOM,
            draw=draw,
            test_group=case.tests_per_week,
            scheduled_for=day,
            specimen_type=specimen,
            status=TestStatus.SCHEDULED,
            status_changed_at=draw.drawn_at,
        )
        planned = Planned(case, test)
        # The call list goes out at the first beat tick after its time.
        call_list_at = self._moment(day, self.settings.call_list_time)
        notified_at = call_list_at + datetime.timedelta(minutes=day.toordinal() % 15)
        if notified_at > clock.now:
            return planned
        window = self.windows[specimen]
        if case.blacked_out(day):
            # Drawn before the blackout was recorded, which excused it.
            test.status, test.status_changed_at = TestStatus.EXCUSED, case.blackout_recorded_at
            test.status_note = f"Blackout: {case.blackout.get_reason_display()}"
            if notified_at < case.blackout_recorded_at:
                test.notified_at, test.collect_by = notified_at, notified_at + window
            return planned
        test.notified_at, test.collect_by = notified_at, notified_at + window
        window_minutes = int(window.total_seconds() // 60)
        acted_at = notified_at + datetime.timedelta(minutes=rng.randint(30, window_minutes - 10))
        if outcome == TestStatus.MISSED:
            if day < self.sweep_from:
                missed_at = test.collect_by + datetime.timedelta(minutes=rng.randint(1, 14))
                test.status, test.status_changed_at = TestStatus.MISSED, missed_at
        elif acted_at > clock.now:
            pass  # Not collected yet.
        elif outcome == TestStatus.REFUSED:
            test.status, test.status_changed_at = TestStatus.REFUSED, acted_at
            test.status_note = rng.choice(REFUSALS)
        else:
            self._collect(planned, acted_at, number)
            hours = rng.randint(*RESULT_AFTER_HOURS)
            resulted_at = acted_at + datetime.timedelta(hours=hours, minutes=rng.randint(0, 59))
            if resulted_at <= clock.now and outcome != TestStatus.PENDING:
                self._result(planned, outcome, resulted_at)
        return planned

    def _collect(self, planned: Planned, collected_at: datetime.datetime, number: int) -> None:
        test, rng = planned.test, self.rng
        by_manager = rng.random() < COLLECTED_BY_MANAGER_SHARE
        test.status, test.status_changed_at = TestStatus.PENDING, collected_at
        test.collected_at = collected_at
        test.collection_site = _weighted(rng, COLLECTION_SITES)
        test.observed = test.specimen_type == SpecimenType.ORAL_FLUID or (
            rng.random() < OBSERVED_SHARE
        )
        test.collected_by = planned.case.manager if by_manager else self.coordinator
        test.chain_of_custody_id = f"GLT-{test.scheduled_for:%y%m%d}-{number:05d}"
        test.panel = sorted(self.settings.testing_panel)

    def _result(self, planned: Planned, outcome: str, resulted_at: datetime.datetime) -> None:
        """Validity measures and findings that give the outcome, and the status the services
        would derive from them."""
        test, case, rng = planned.test, planned.case, self.rng
        measures = _measures(outcome, test.specimen_type, rng)
        substances = []
        if case.medication is not None and case.on_medication(test.scheduled_for):
            substances.append(case.medication.substance)
        if outcome == TestStatus.POSITIVE:
            substances.append(_substance_found(case, test.scheduled_for, rng))
            if case.admits_use and (case.admissions < 2 or rng.random() < ADMITTED_SHARE):
                test.admitted_use = substances[-1:]
                case.admissions += 1
        # A substituted, adulterated or invalid specimen has no drug result.
        usable = outcome in (TestStatus.NEGATIVE, TestStatus.POSITIVE, TestStatus.DILUTE)
        substances = sorted(set(substances) & set(test.panel)) if usable else []
        status = result_status(measures, has_findings=bool(substances))
        result = DrugTestResult(
            drug_test=test,
            version=1,
            resulted_at=resulted_at,
            creatinine_mg_dl=measures.creatinine_mg_dl,
            specific_gravity=measures.specific_gravity,
            ph=measures.ph,
            adulterant=measures.adulterant,
            lab_invalid=measures.lab_invalid,
            status=status,
            recorded_by=self.coordinator,
        )
        planned.result = result
        planned.findings = [_finding(result, substance, rng) for substance in substances]
        test.status, test.status_changed_at = status, resulted_at


def _relapses(cases: list[Case], schedule) -> None:
    """The last test before a referral for medication found fentanyl."""
    for case in cases:
        referred = case.referred_for_medication_on
        if referred is not None:
            case.relapse_on = max(
                (day for of, _, day in schedule if of is case and day < referred), default=None
            )


def _forced_outcomes(schedule, sweep_from: datetime.date, today: datetime.date, rng) -> dict:
    """By test number (1-based): two specimens of the last week whose result never came, and two
    tests of the last day before today missed (struggling participants first), so each sweep
    has work. Participants on medication are left as they are."""
    earliest, latest = (
        today - datetime.timedelta(days=days) for days in reversed(OVERDUE_DAYS_AGO)
    )
    unmedicated = [
        (number, case, day)
        for number, (case, _, day) in enumerate(schedule, start=1)
        if case.medication is None
    ]
    waiting = [
        number
        for number, case, day in unmedicated
        if earliest <= day <= latest and not case.struggling
    ]
    last_day = [(number, case) for number, case, day in unmedicated if day == sweep_from]
    rng.shuffle(last_day)
    last_day.sort(key=lambda row: not row[1].struggling)
    return {
        **dict.fromkeys(
            rng.sample(waiting, min(FORCED_OUTCOMES, len(waiting))), TestStatus.PENDING
        ),
        **dict.fromkeys((number for number, _ in last_day[:FORCED_OUTCOMES]), TestStatus.MISSED),
    }


def _outcome(case: Case, day: datetime.date, rng: random.Random) -> str:
    if day == case.relapse_on:
        return TestStatus.POSITIVE
    return _weighted(rng, STRUGGLING if case.struggling else STEADY)


def _substance_found(case: Case, day: datetime.date, rng: random.Random) -> str:
    if day == case.relapse_on:
        return Substance.FENTANYL
    if case.struggling and rng.random() < 0.8:
        return case.drug_of_choice
    return _weighted(rng, DRUGS_OF_CHOICE if case.struggling else SLIPS)


def _measures(outcome: str, specimen: str, rng: random.Random) -> ValidityMeasures:
    """Urine validity measures that give `outcome` (oral fluid has none)."""
    if specimen != SpecimenType.URINE:
        return ValidityMeasures()
    creatinine = _decimal(rng, (40, 260), 2)
    gravity = 1 + _decimal(rng, (0.0050, 0.0300), 4)
    ph = _decimal(rng, (5.0, 8.0), 1)
    adulterant, lab_invalid = "", False
    if outcome == TestStatus.DILUTE:
        creatinine, gravity = _decimal(rng, (3, 19.5), 2), 1 + _decimal(rng, (0.0012, 0.0028), 4)
    elif outcome == TestStatus.SUBSTITUTED:
        creatinine, gravity = _decimal(rng, (0.2, 1.8), 2), 1 + _decimal(rng, (0, 0.0010), 4)
    elif outcome == TestStatus.ADULTERATED:
        adulterant = rng.choice(ADULTERANTS)
    elif outcome == TestStatus.INVALID:
        if rng.random() < 0.5:
            lab_invalid = True
        else:
            ph = _decimal(rng, (9.1, 9.8), 1)
    return ValidityMeasures(creatinine, gravity, ph, adulterant, lab_invalid)


def _finding(result: DrugTestResult, substance: str, rng: random.Random) -> SubstanceResult:
    cutoff, levels = URINE_LEVELS[substance]
    return SubstanceResult(
        result=result, substance=substance, cutoff=Decimal(cutoff), level=_decimal(rng, levels, 1)
    )


# Alerts


def _follow_up_alerts(program: Program, now: datetime.datetime) -> None:
    """The case managers have taken up the runs of non-compliance: those that began more than
    two weeks ago were dealt with at staffing and their alerts resolved; those of last week are
    acknowledged, waiting for this week's staffing. This week's are still open."""
    today = program_today(program, now)
    alerts = Alert.objects.filter(
        kind="repeated_noncompliance",
        state=AlertState.OPEN,
        participant__enrollments__program=program,
        participant__enrollments__case_number__startswith=CASE_PREFIX,
    ).order_by("participant", "source_key")
    notes = itertools.cycle(RESOLUTIONS)
    for alert in alerts.select_related("assigned_to"):
        began = datetime.date.fromisoformat(
            alert.source_key.removeprefix(sweeps.NONCOMPLIANCE_KEY_PREFIX)
        )
        if began < today - RESOLVED_AFTER:
            alert_resolve(alert=alert, note=next(notes), actor=alert.assigned_to)
        elif began < today - ACKNOWLEDGED_AFTER:
            alert_acknowledge(alert=alert, actor=alert.assigned_to)


# Writing


def _write(cases: list[Case], draws, planned: list[Planned], clock: Clock) -> None:
    records = []  # (row, when its case manager recorded it)
    for case in cases:
        if case.medication is not None:
            prescribed_at = min(clock.at(case.medication_from, 11, 30), clock.now)
            records.append((_prescription(case), prescribed_at))
        if case.blackout is not None:
            records.append((case.blackout, case.blackout_recorded_at))
    for row, _ in records:
        with audited_write(row.recorded_by):
            row.save()
    TestDraw.objects.bulk_create(draws)
    # Written as the draw writes its tests (no actor); who collected and resulted each is in
    # its fields.
    with audited_write(None):
        DrugTest.objects.bulk_create(row.test for row in planned)
    resulted = [row for row in planned if row.result is not None]
    DrugTestResult.objects.bulk_create(row.result for row in resulted)
    SubstanceResult.objects.bulk_create(finding for row in resulted for finding in row.findings)
    # Results were recorded as the laboratory sent them.
    DrugTestResult.objects.filter(drug_test__draw__in=draws).update(recorded_at=F("resulted_at"))
    # The insert times are those of the seeding; the seed's correction to when each row was
    # made is no change of it, so it is kept out of the history. So is the current result: the
    # test was written with its result's status.
    with pgtrigger.ignore(
        "compliance.DrugTest:update_update",
        "compliance.Prescription:update_update",
        "compliance.BlackoutPeriod:update_update",
    ):
        DrugTest.objects.filter(draw__in=draws).update(
            created_at=Subquery(TestDraw.objects.filter(pk=OuterRef("draw")).values("drawn_at")),
            current_result=Subquery(
                DrugTestResult.objects.filter(drug_test=OuterRef("pk"), version=1).values("pk")
            ),
        )
        for row, recorded_at in records:
            type(row).objects.filter(pk=row.pk).update(created_at=recorded_at)


def _prescription(case: Case) -> Prescription:
    medication = case.medication
    return Prescription(
        participant_id=case.participant_id,
        drug=medication.drug,
        dose=medication.dose,
        prescriber=medication.prescriber,
        for_substance_use_disorder=True,
        starts_on=case.medication_from,
        explains=[medication.substance],
        recorded_by=case.manager,
    )


def _days_in(case: Case, today: datetime.date) -> int:
    return (today - case.entry).days


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _decimal(rng: random.Random, bounds, places: int) -> Decimal:
    scale = 10**places
    low, high = (round(bound * scale) for bound in bounds)
    return Decimal(rng.randint(low, high)) / scale


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
