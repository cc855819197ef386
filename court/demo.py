"""Demo court for `seed_demo`: the demo court's sessions over the demo history, with their
dockets, hearings, responses, warrants and decisions, and the next session with its docket
built from the suggestions.

The court sits every other Thursday at 9 in Courtroom 3B (clients.demo's court calendar), with
the demo judge and the demo clerk listed. The graduations and terminations are decided first:
clients.demo asks for each while it walks an enrollment through its lifecycle (before the
daily record, plans and tests, which follow the exit date), so the enrollment is closed by the
court's own decision, court.completion.completion_decide, at a hearing on its exit day
(decide_at_a_hearing); a withdrawal or neutral discharge by the demo coordinator
(court.completion.enrollment_close). The rest comes after the compliance demo (seed_demo_court).

Every participant who was ever admitted comes before the court by their hearing frequency
(court.selectors.with_hearing_interval) from their entry on: the first time one interval after
entry, then on the next hearing date set at each hearing (the next sitting on or after one
interval, with its reason when the interval is a week), up to their exit; an absconded
participant failed to appear on the day they absconded, and the warrant their failure to
appear requested was issued that day.

Most participants appear; the struggling ones (absconded, or many tests that were not
negative) now and then fail to appear, which, through hearing_record_outcome, alerts their case
manager and requests a bench warrant; they turned up within days and the judge recalled it, but
for a failure to appear at the last sitting (still requested). A participant whose enrollment
is closed now failed to appear at none of their hearings: the hearing service requests no
warrant for a closed enrollment, so their history could not be written through it. Responses
come from the catalogue in force on the day, about four incentives to a sanction (more
sanctions for the struggling ones); the sanctions with an effect go through response_record:
three orders of increased testing and one short jail stay before the compliance demo's test
history (its draws do not know about them), and three community service obligations with hours
logged, one still open. Two participants changed phase at the last sitting
(phase_change_decide). The coordinator adds each phase's requirements to advance from today
(DEMO_PHASE_REQUIREMENTS), so the participant pages and the next summary show checklists.

Past sessions cannot be set up through court_session_create nor their dockets through
docket_place (both refuse past days): sessions, entries and their hearing appointments, the
outcomes of the hearings the participant attended and the responses without an effect are
written in bulk with every field as the services fill them (the creation times corrected after
the insert and kept out of the history). Deterministic for a given day (a fixed random seed)
and idempotent (skipped once the program's dockets hold more than the demo's completion
hearings)."""

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pgtrigger
from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
)
from django.utils import timezone

from clients import services as client_services
from clients.demo import CASE_PREFIX, Clock, demo_case_managers, next_court_day
from clients.models import (
    Alert,
    Appointment,
    AppointmentKind,
    Enrollment,
    EnrollmentStatus,
    EntryType,
)
from clients.services import HEARING_MINUTES, alert_acknowledge, alert_resolve
from compliance.demo import HISTORY_DAYS as TEST_HISTORY_DAYS
from compliance.models import BlackoutPeriod, DrugTest, TestingOrder, TestStatus
from compliance.selectors import with_testing_frequency
from drugcourt import services as core_services
from drugcourt.audit import audited_write
from drugcourt.models import Program, ProgramSettings, ResponseCategory, ResponseOption, User
from drugcourt.selectors import fee_schedule_in_force, program_today

from . import selectors, services
from .completion import completion_decide, enrollment_close
from .models import (
    APPEARANCE_OUTCOME_REASONS,
    APPEARANCE_OUTCOMES,
    FAILURE_TO_APPEAR,
    HEARING_ALERT_SOURCE,
    HEARING_COMPLETIONS,
    Appearance,
    CaseDisposition,
    CommunityServiceObligation,
    CompletionDecision,
    CompletionKind,
    Condition,
    ConditionKind,
    CourtResponse,
    CourtSession,
    DocketEntry,
    LedgerEntry,
    Warrant,
)

COURTROOM = "Courtroom 3B"
# Entries of the next docket the team has staffed already (DemoCourt.staffing).
STAFFED_ENTRIES = 3
STARTS_AT = datetime.time(9, 0)
MINUTES_A_HEARING = 4  # the judge hears the docket in its order, one every few minutes
FORTNIGHT = datetime.timedelta(weeks=2)
PLACED_DAYS_BEFORE = 7  # the coordinator builds each docket a week ahead
CLERK_RECORDS_SHARE = 0.4

# Who struggles: those who absconded or were terminated, and those with at least this many
# tests that were not negative (the compliance demo's struggling participants).
STRUGGLING_TESTS = 10
NOT_NEGATIVE = (
    TestStatus.POSITIVE,
    TestStatus.MISSED,
    TestStatus.REFUSED,
    TestStatus.DILUTE,
    TestStatus.ADULTERATED,
    TestStatus.SUBSTITUTED,
)
FAILED_TO_APPEAR_SHARE = {False: 0.02, True: 0.15}  # by struggling; open enrollments only
EXCUSED_SHARE = 0.03
RECALLED_AFTER_DAYS = (1, 6)
# What is given at a hearing the participant attended (the rest of the time nothing is), by
# struggling; after a failure to appear the next hearing mostly brings a sanction.
RESPONSE_SHARES = {
    False: {ResponseCategory.INCENTIVE: 0.42, ResponseCategory.SANCTION: 0.03},
    True: {ResponseCategory.INCENTIVE: 0.3, ResponseCategory.SANCTION: 0.15},
}
THERAPEUTIC_SHARE = {False: 0.02, True: 0.15}
SANCTION_AFTER_ABSENCE_SHARE = 0.8

PRAISE, CERTIFICATE, CALLED_EARLY = (
    "Praise from the bench",
    "Certificate of achievement",
    "Called early on the docket",
)
REDUCED_REPORTING, GIFT_CARD = "Reduced reporting", "Gift card"
WARNING, ESSAY, CURFEW = "Verbal warning", "Essay", "Curfew"
INCREASED_TESTING, COMMUNITY_SERVICE, JAIL = "Increased testing", "Community service", "Jail"
# Options picked at random, by weight; those with an effect through a service are chosen below.
PICKED = {
    ResponseCategory.INCENTIVE: {
        PRAISE: 10,
        CALLED_EARLY: 3,
        GIFT_CARD: 2,
        CERTIFICATE: 1,
        REDUCED_REPORTING: 1,
    },
    ResponseCategory.SANCTION: {WARNING: 6, ESSAY: 3, CURFEW: 2},
    ResponseCategory.THERAPEUTIC: {
        "Additional self-help meetings": 3,
        "Increased treatment": 2,
        "Additional case manager meetings": 2,
    },
}
NOTES = {
    ResponseCategory.INCENTIVE: (
        "Thirty days of negative tests.",
        "Attended every treatment group this month.",
        "Started a new job.",
        "Kept every curfew check.",
        "Finished the GED class.",
        "",
        "",
    ),
    ResponseCategory.SANCTION: (
        "Missed a test.",
        "Positive test last week.",
        "Missed two treatment groups.",
        "Out past curfew.",
        "Dilute specimen after a warning.",
    ),
    ResponseCategory.THERAPEUTIC: (
        "Relapse; the provider recommends more sessions.",
        "Struggling with cravings; more support meetings.",
        "",
    ),
}
AFTER_ABSENCE = "Failed to appear at the last hearing."
GIFT_CARD_AMOUNTS = (Decimal("10.00"), Decimal("15.00"), Decimal("25.00"))
EFFECT_WEEKS = 4  # of increased testing (two tests a week more), curfew and reduced reporting
INCREASED_TESTING_ORDERS = 3
COMMUNITY_SERVICE_HOURS = (16, 24, 12)  # the last one, at a recent hearing, still open
HOURS_A_DAY = Decimal(4)
JAIL_DAYS = 2
JAIL_REASON = "A third positive test after a verbal warning and an essay."

EXCUSES = (
    "In residential treatment this week; the provider sent a report.",
    "Work shift approved in advance by the team.",
    "In hospital; the case manager confirmed.",
)
NO_SHOW = "Called in the hallway three times; not in the courthouse."
RECALL_REASON = "Came to the courthouse on their own; given a new hearing date."
ABSCONDED_ISSUE_REASON = "Failed to appear; whereabouts unknown."
EVERY_OTHER_WEEK = "The court sits every other Thursday."
PHASE_REASONS = {
    2: "Met the phase 1 requirements: stable in treatment, ninety days of negative tests.",
    4: "Met the phase 3 requirements: employed, in aftercare, no sanctions for ninety days.",
}
DISPOSITIONS = {
    (CompletionKind.GRADUATED, EntryType.PRE_PLEA): CaseDisposition.DISMISSED,
    (CompletionKind.GRADUATED, EntryType.POST_PLEA): CaseDisposition.SENTENCE_COMPLETED,
    (CompletionKind.TERMINATED, EntryType.PRE_PLEA): CaseDisposition.RETURNED,
    (CompletionKind.TERMINATED, EntryType.POST_PLEA): CaseDisposition.SENTENCED,
}
# The statuses the demo's history ends in at a hearing: decided there (decide_at_a_hearing),
# or a failure to appear.
CLOSED_AT_HEARING = (*HEARING_COMPLETIONS, EnrollmentStatus.ABSCONDED)


@dataclass
class Case:
    """One demo enrollment that was admitted, with what decides its hearings."""

    enrollment: Enrollment
    manager: User
    interval: datetime.timedelta  # the hearing frequency
    struggling: bool
    last_day: datetime.date | None  # a closing hearing (graduated, terminated, absconded)
    until: datetime.date  # regular hearings before this day

    @property
    def is_open(self) -> bool:
        return self.enrollment.status in services.DOCKETABLE_STATUSES


@dataclass
class PlannedResponse:
    option: str
    category: str
    note: str = ""
    weeks: int | None = None
    amount: Decimal | None = None
    effect: str = ""  # given through response_record: "testing", "service" or "jail"


@dataclass
class Hearing:
    case: Case
    day: datetime.date
    appearance: str
    recorder: User
    note: str = ""
    next_hearing_on: datetime.date | None = None
    next_hearing_reason: str = ""
    closing: bool = False  # the hearing of the case's last day
    recorded_at: datetime.datetime | None = None
    responses: list[PlannedResponse] = field(default_factory=list)
    entry: DocketEntry | None = None


@transaction.atomic
def seed_demo_court(program: Program, staff: dict[str, User]) -> None:
    # The graduations and terminations were decided at hearings already (decide_at_a_hearing);
    # any other docket entry is this step's.
    if DocketEntry.objects.filter(session__program=program, completion__isnull=True).exists():
        return
    clock = Clock(program, timezone.now())
    _phase_requirements(program, staff["coordinator"], clock.today)
    cases = _cases(program, clock.today)
    if not cases:
        return
    court = DemoCourt(program, staff, clock, random.Random(2041))  # noqa: S311  (demo data)
    hearings = [hearing for case in cases for hearing in court.hearings(case)]
    hearings.sort(key=lambda hearing: (hearing.day, hearing.case.enrollment.case_number))
    court.choose_effects(hearings)
    court.write(hearings)
    court.upcoming_session()


# What the demo program asks to advance from each phase (to graduate, from the last), added by
# its coordinator today: the hearings of the demo history were held before, without them.
DEMO_PHASE_REQUIREMENTS = {
    1: [
        {"kind": "days_in_phase", "params": {"days": 30}},
        {"kind": "sober_days", "params": {"days": 30}},
        {"kind": "attendance_rate", "params": {"percent": 90, "days": 30}},
    ],
    2: [
        {"kind": "days_in_phase", "params": {"days": 60}},
        {"kind": "sober_days", "params": {"days": 60}},
        {"kind": "attendance_rate", "params": {"percent": 90, "days": 60}},
        {"kind": "plan_objectives_met", "params": {"percent": 50}},
    ],
    3: [
        {"kind": "days_in_phase", "params": {"days": 90}},
        {"kind": "sober_days", "params": {"days": 90}},
        {"kind": "no_open_sanctions", "params": {}},
        {"kind": "work_school_or_service", "params": {"hours": 40}},
    ],
    4: [
        {"kind": "days_in_phase", "params": {"days": 90}},
        {"kind": "sober_days", "params": {"days": 120}},
        {"kind": "no_open_sanctions", "params": {}},
        {"kind": "work_school_or_service", "params": {"hours": 40}},
    ],
    5: [
        {"kind": "days_in_phase", "params": {"days": 90}},
        {"kind": "sober_days", "params": {"days": 180}},
        {"kind": "plan_objectives_met", "params": {"percent": 100}},
        {"kind": "no_open_sanctions", "params": {}},
        {"kind": "fees_paid", "params": {"percent": 100}},
    ],
}


def _phase_requirements(program: Program, coordinator: User, today: datetime.date) -> None:
    core_services.program_settings_change_phase_requirements(
        program=program,
        effective_from=today,
        requirements=DEMO_PHASE_REQUIREMENTS,
        change_note="Requirements to advance from each phase, from the participant handbook.",
        actor=coordinator,
    )


def _cases(program: Program, today: datetime.date) -> list[Case]:
    enrollments = selectors.with_hearing_interval(
        Enrollment.objects.filter(
            program=program, case_number__startswith=CASE_PREFIX, entry_date__isnull=False
        ),
        today,
    ).order_by("case_number")
    managers = demo_case_managers(enrollments.values("participant"))
    not_negative = dict(
        DrugTest.objects.filter(program=program, status__in=NOT_NEGATIVE)
        .values("participant")
        .annotate(count=Count("pk"))
        .values_list("participant", "count")
    )
    upcoming = next_court_day(today)
    cases = []
    for enrollment in enrollments:
        status = enrollment.status
        closing = status in CLOSED_AT_HEARING
        if status == EnrollmentStatus.ABSCONDED:
            absconded = enrollment.status_changes.filter(to_status=status).latest("pk")
            last_day = absconded.effective_date
        else:
            last_day = enrollment.exit_date if closing else None
        cases.append(
            Case(
                enrollment=enrollment,
                manager=managers[enrollment.participant_id],
                interval=datetime.timedelta(weeks=enrollment.hearing_interval_weeks or 2),
                struggling=status in (EnrollmentStatus.ABSCONDED, EnrollmentStatus.TERMINATED)
                or not_negative.get(enrollment.participant_id, 0) >= STRUGGLING_TESTS,
                last_day=last_day,
                until=last_day or enrollment.exit_date or upcoming,
            )
        )
    return cases


class DemoCourt:
    def __init__(
        self, program: Program, staff: dict[str, User], clock: Clock, rng: random.Random
    ) -> None:
        self.program, self.clock, self.rng = program, clock, rng
        self.judge, self.clerk = staff["judge"], staff["clerk"]
        self.coordinator = staff["coordinator"]
        self.upcoming = next_court_day(clock.today)
        self.options = _options_by_day(program)
        self.service_orders = 0

    def sitting_on_or_after(self, day: datetime.date) -> datetime.date:
        """The first regular sitting on or after `day`."""
        return self.upcoming - FORTNIGHT * ((self.upcoming - day).days // FORTNIGHT.days)

    # Planning

    def hearings(self, case: Case):
        """The case's hearings by its frequency, then its closing hearing."""
        day = self.sitting_on_or_after(case.enrollment.entry_date + case.interval)
        absent_before = False
        while day < case.until:
            hearing = self._hearing(case, day, absent_before)
            yield hearing
            absent_before = hearing.appearance == Appearance.FAILED_TO_APPEAR
            day = hearing.next_hearing_on or day + FORTNIGHT
        if case.last_day is not None:
            yield self._closing_hearing(case)

    def _hearing(self, case: Case, day: datetime.date, absent_before: bool) -> Hearing:
        rng = self.rng
        recorder = self.clerk if rng.random() < CLERK_RECORDS_SHARE else self.judge
        if case.is_open and rng.random() < FAILED_TO_APPEAR_SHARE[case.struggling]:
            return Hearing(case, day, Appearance.FAILED_TO_APPEAR, recorder, note=NO_SHOW)
        default = day + case.interval
        next_hearing_on = self.sitting_on_or_after(default)
        hearing = Hearing(
            case,
            day,
            Appearance.APPEARED,
            recorder,
            next_hearing_on=next_hearing_on,
            next_hearing_reason=EVERY_OTHER_WEEK if next_hearing_on != default else "",
        )
        if rng.random() < EXCUSED_SHARE:
            hearing.appearance, hearing.note = Appearance.EXCUSED, rng.choice(EXCUSES)
        else:
            hearing.responses = self._responses(case, absent_before)
        return hearing

    def _responses(self, case: Case, absent_before: bool) -> list[PlannedResponse]:
        rng, shares = self.rng, RESPONSE_SHARES[case.struggling]
        draw = rng.random()
        if absent_before and rng.random() < SANCTION_AFTER_ABSENCE_SHARE:
            category, note = ResponseCategory.SANCTION, AFTER_ABSENCE
        elif draw < shares[ResponseCategory.INCENTIVE]:
            category, note = ResponseCategory.INCENTIVE, ""
        elif draw < shares[ResponseCategory.INCENTIVE] + shares[ResponseCategory.SANCTION]:
            category, note = ResponseCategory.SANCTION, ""
        else:
            category = None
        responses = []
        if category is not None:
            responses.append(self._response(category, note))
        if rng.random() < THERAPEUTIC_SHARE[case.struggling]:
            responses.append(self._response(ResponseCategory.THERAPEUTIC, ""))
        return responses

    def _response(self, category: str, note: str) -> PlannedResponse:
        rng = self.rng
        weights = PICKED[category]
        option = rng.choices(list(weights), weights=list(weights.values()))[0]
        response = PlannedResponse(option, category, note or rng.choice(NOTES[category]))
        if option in (REDUCED_REPORTING, CURFEW):
            response.weeks = EFFECT_WEEKS
        elif option == GIFT_CARD:
            response.amount = rng.choice(GIFT_CARD_AMOUNTS)
        return response

    def _closing_hearing(self, case: Case) -> Hearing:
        day = case.last_day
        if case.enrollment.status == EnrollmentStatus.ABSCONDED:
            return Hearing(
                case, day, Appearance.FAILED_TO_APPEAR, self.judge, note=NO_SHOW, closing=True
            )
        hearing = Hearing(case, day, Appearance.APPEARED, self.judge, closing=True)
        if case.enrollment.status == EnrollmentStatus.GRADUATED:
            hearing.responses = [
                PlannedResponse(CERTIFICATE, ResponseCategory.INCENTIVE, "Graduation.")
            ]
        return hearing

    def choose_effects(self, hearings: list[Hearing]) -> None:
        """Turns a few sanctions into those with an effect: increased testing and a short jail
        for struggling participants before the compliance demo's test history, and community
        service (two long done, the last at a recent hearing)."""
        testing_history = self.clock.today - datetime.timedelta(days=TEST_HISTORY_DAYS + 7)
        before_tests = testing_history - datetime.timedelta(weeks=EFFECT_WEEKS)
        sanctions = [
            (hearing, response)
            for hearing in hearings
            if not hearing.closing
            for response in hearing.responses
            if response.category == ResponseCategory.SANCTION
        ]
        early = [
            pair
            for pair in sanctions
            if pair[0].case.struggling and pair[0].day < before_tests and pair[1].weeks is None
        ]
        chosen = self.rng.sample(early, min(len(early), INCREASED_TESTING_ORDERS + 1))
        for number, (_, response) in enumerate(chosen):
            response.effect = "jail" if number == INCREASED_TESTING_ORDERS else "testing"
            response.option = JAIL if response.effect == "jail" else INCREASED_TESTING
        left = [pair for pair in sanctions if not pair[1].effect and pair[1].weeks is None]
        long_done = [pair for pair in left if pair[0].day < testing_history]
        service = self.rng.sample(long_done, min(len(long_done), 2)) + left[-1:]
        for _, response in service:
            response.effect, response.option = "service", COMMUNITY_SERVICE

    # Writing

    def write(self, hearings: list[Hearing]) -> None:
        sessions = self._sessions(sorted({hearing.day for hearing in hearings}))
        self._entries(hearings, sessions)
        self._responses_in_bulk(hearings)
        for hearing in hearings:
            if hearing.appearance == Appearance.FAILED_TO_APPEAR:
                self._failure_to_appear(hearing)
            for response in hearing.responses:
                if response.effect:
                    self._response_with_effect(hearing, response)
        self._phase_changes(hearings)
        self._date_back()

    def _sessions(self, days: list[datetime.date]) -> dict[datetime.date, CourtSession]:
        """The sessions of those days, with the demo clerk listed; those of the graduations
        and terminations are there already."""
        held = {
            session.held_on: session
            for session in CourtSession.objects.filter(program=self.program, held_on__in=days)
        }
        with audited_write(self.coordinator):
            sessions = CourtSession.objects.bulk_create(
                CourtSession(
                    program=self.program,
                    held_on=day,
                    start_time=STARTS_AT,
                    courtroom=COURTROOM,
                    judge=self.judge,
                    created_by=self.coordinator,
                )
                for day in days
                if day not in held
            )
            CourtSession.clerks.through.objects.bulk_create(
                CourtSession.clerks.through(courtsession_id=session.pk, user_id=self.clerk.pk)
                for session in sessions
            )
        return {**held, **{session.held_on: session for session in sessions}}

    def _entries(self, hearings: list[Hearing], sessions: dict) -> None:
        """The hearing appointments and docket entries, with the outcome of every hearing but
        the failures to appear (hearing_record_outcome records those). A graduation or
        termination has its entry already."""
        decided = {
            (entry.enrollment_id, entry.session.held_on): entry
            for entry in DocketEntry.objects.filter(
                session__program=self.program, completion__isnull=False
            ).select_related("session")
        }
        places = Counter()
        rows = []
        for hearing in hearings:
            session = sessions[hearing.day]
            hearing.entry = decided.get((hearing.case.enrollment.pk, hearing.day))
            if hearing.entry is not None:
                hearing.recorded_at = hearing.entry.recorded_at
                continue
            recorded = hearing.appearance != Appearance.FAILED_TO_APPEAR
            recorded_at = session.starts_at + datetime.timedelta(
                minutes=MINUTES_A_HEARING * places[hearing.day]
            )
            places[hearing.day] += 1
            hearing.recorded_at = recorded_at
            appointment = Appointment(
                participant_id=hearing.case.enrollment.participant_id,
                program=self.program,
                kind=AppointmentKind.COURT,
                scheduled_at=session.starts_at,
                duration_minutes=HEARING_MINUTES,
                location=session.courtroom,
                staff=self.judge,
                created_by=self.coordinator,
            )
            entry = DocketEntry(
                session=session,
                enrollment=hearing.case.enrollment,
                participant_id=hearing.case.enrollment.participant_id,
                placed_by=self.coordinator,
            )
            if recorded:
                appearance = Appearance(hearing.appearance)
                appointment.outcome = APPEARANCE_OUTCOMES[appearance]
                appointment.outcome_reason = APPEARANCE_OUTCOME_REASONS.get(appearance, "")
                appointment.outcome_recorded_at = recorded_at
                appointment.outcome_recorded_by = hearing.recorder
                entry.appearance, entry.appearance_note = hearing.appearance, hearing.note
                entry.next_hearing_on = hearing.next_hearing_on
                entry.next_hearing_reason = hearing.next_hearing_reason
                entry.recorded_by, entry.recorded_at = hearing.recorder, recorded_at
            hearing.entry = entry
            rows.append((appointment, entry))
        with audited_write(self.judge):
            Appointment.objects.bulk_create(appointment for appointment, _ in rows)
            for appointment, entry in rows:
                entry.appointment = appointment
            DocketEntry.objects.bulk_create(entry for _, entry in rows)

    def _responses_in_bulk(self, hearings: list[Hearing]) -> None:
        """The responses without an effect, as response_record writes them."""
        rows = []
        for hearing in hearings:
            options = self.options(hearing.day)
            for response in hearing.responses:
                if response.effect:
                    continue
                rows.append(
                    CourtResponse(
                        entry=hearing.entry,
                        participant_id=hearing.entry.participant_id,
                        option=options[response.option],
                        given_on=hearing.day,
                        weeks=response.weeks,
                        amount=response.amount,
                        note=response.note,
                        recorded_by=hearing.recorder,
                    )
                )
        with audited_write(self.judge):
            CourtResponse.objects.bulk_create(rows)

    def _failure_to_appear(self, hearing: Hearing) -> None:
        """Through the hearing service (the alert and the warrant request); the judge recalls
        the warrant when the participant turns up within days, or issues it for one who
        absconded. A failure to appear at the last sitting is still being followed up."""
        entry, recorded_at = hearing.entry, hearing.recorded_at
        services.hearing_record_outcome(
            entry=entry,
            appearance=Appearance.FAILED_TO_APPEAR,
            next_hearing_on=None,
            note=hearing.note,
            actor=hearing.recorder,
            now=recorded_at,
        )
        alert = Alert.objects.get(
            kind=FAILURE_TO_APPEAR,
            source_key=f"{HEARING_ALERT_SOURCE}:{entry.pk}",
        )
        with pgtrigger.ignore("clients.Alert:update_update"):
            Alert.objects.filter(pk=alert.pk).update(created_at=recorded_at, updated_at=recorded_at)
        warrant = selectors.open_warrant(hearing.case.enrollment)
        if warrant is None:
            return
        if hearing.closing:
            services.warrant_issue(
                warrant=warrant, on=hearing.day, actor=self.judge, reason=ABSCONDED_ISSUE_REASON
            )
            self._warrant_changed(warrant, hearing.day)
            if hearing.day < self.clock.today - FORTNIGHT:
                alert_acknowledge(alert=alert, actor=hearing.case.manager)
            return
        turned_up = hearing.day + datetime.timedelta(days=self.rng.randint(*RECALLED_AFTER_DAYS))
        if hearing.day == self.upcoming - FORTNIGHT or turned_up >= self.clock.today:
            return
        services.warrant_recall(
            warrant=warrant, on=turned_up, actor=self.judge, reason=RECALL_REASON
        )
        self._warrant_changed(warrant, turned_up)
        alert_resolve(
            alert=alert,
            note=f"Came to the courthouse on {turned_up:%b %-d, %Y}; the warrant was recalled.",
            actor=hearing.case.manager,
        )

    def _warrant_changed(self, warrant: Warrant, day: datetime.date) -> None:
        with pgtrigger.ignore("court.Warrant:update_update"):
            Warrant.objects.filter(pk=warrant.pk).update(changed_at=self.clock.at(day, 11, 30))

    def _response_with_effect(self, hearing: Hearing, response: PlannedResponse) -> None:
        entry, option = hearing.entry, self.options(hearing.day)[response.option]
        details = {}
        if response.effect == "testing":
            current = (
                with_testing_frequency(
                    Enrollment.objects.filter(pk=entry.enrollment_id), hearing.day
                )
                .values_list("tests_per_week", flat=True)
                .get()
            )
            details = {"tests_per_week": min(7, (current or 0) + 2), "weeks": EFFECT_WEEKS}
        elif response.effect == "jail":
            details = {
                "days": JAIL_DAYS,
                "jail_reason": JAIL_REASON,
                "counsel_present": True,
                "hearing_given": True,
            }
        elif response.effect == "service":
            details = {"hours": COMMUNITY_SERVICE_HOURS[self.service_orders]}
            self.service_orders += 1
        recorded = services.response_record(
            entry=entry,
            option=option,
            actor=hearing.recorder,
            note=response.note,
            now=hearing.recorded_at,
            **details,
        )
        if response.effect == "service":
            # A closed enrollment's team left with it: its coordinator logs the past hours.
            case = hearing.case
            self._log_hours(recorded, case.manager if case.is_open else self.coordinator)

    def _log_hours(self, response: CourtResponse, logger: User) -> None:
        """Saturdays of four hours from the week after the hearing, until the hours are done
        (or today)."""
        obligation = CommunityServiceObligation.objects.get(response=response)
        left = Decimal(obligation.hours_ordered)
        saturday = response.given_on + datetime.timedelta(
            days=(5 - response.given_on.weekday()) % 7
        )
        while left > 0 and saturday <= self.clock.today:
            hours = min(HOURS_A_DAY, left)
            services.community_service_log_hours(
                obligation=obligation, worked_on=saturday, hours=hours, actor=logger
            )
            left -= hours
            saturday += datetime.timedelta(weeks=1)

    def _phase_changes(self, hearings: list[Hearing]) -> None:
        """At the last sitting, the longest in phase 1 and in phase 3 who appeared move on."""
        last = self.upcoming - FORTNIGHT
        attended = [
            hearing
            for hearing in hearings
            if hearing.day == last
            and hearing.appearance == Appearance.APPEARED
            and hearing.case.enrollment.status == EnrollmentStatus.ACTIVE
        ]
        attended.sort(key=lambda hearing: hearing.case.enrollment.entry_date)
        for to_phase, reason in PHASE_REASONS.items():
            hearing = next((h for h in attended if h.case.enrollment.phase == to_phase - 1), None)
            if hearing is not None:
                services.phase_change_decide(
                    entry=hearing.entry, to_phase=to_phase, reason=reason, actor=self.judge
                )

    def _date_back(self) -> None:
        """The rows were made when the court made them, not now: sessions set up three weeks
        ahead (one afternoon), dockets built one week ahead, responses, orders and decisions
        recorded at the hearing. A correction of the seeding, kept out of the history."""
        program = self.program
        entries = DocketEntry.objects.filter(session__program=program)
        responses = CourtResponse.objects.filter(entry__session__program=program)
        entry_recorded = Subquery(
            DocketEntry.objects.filter(pk=OuterRef("entry")).values("recorded_at")
        )
        response_recorded = CourtResponse.objects.filter(pk=OuterRef("response")).values(
            "recorded_at"
        )
        with pgtrigger.ignore(
            "court.CourtSession:update_update",
            "court.DocketEntry:update_update",
            "court.CourtResponse:update_update",
            "court.CommunityServiceObligation:update_update",
            "compliance.TestingOrder:update_update",
            "compliance.BlackoutPeriod:update_update",
        ):
            CourtSession.objects.filter(program=program).update(
                created_at=_days_before("held_on", PLACED_DAYS_BEFORE * 3, self.clock)
            )
            entries.update(
                placed_at=ExpressionWrapper(
                    Subquery(
                        CourtSession.objects.filter(pk=OuterRef("session")).values("created_at")
                    )
                    + datetime.timedelta(days=PLACED_DAYS_BEFORE * 2),
                    output_field=DateTimeField(),
                )
            )
            responses.update(recorded_at=entry_recorded)
            CompletionDecision.objects.filter(entry__in=entries).update(decided_at=entry_recorded)
            CommunityServiceObligation.objects.filter(response__in=responses).update(
                created_at=Subquery(response_recorded)
            )
            TestingOrder.objects.filter(response__in=responses).update(
                created_at=Subquery(
                    CourtResponse.objects.filter(testing_order=OuterRef("pk")).values("recorded_at")
                )
            )
            BlackoutPeriod.objects.filter(response__in=responses).update(
                created_at=Subquery(
                    CourtResponse.objects.filter(custody=OuterRef("pk")).values("recorded_at")
                )
            )

    # The next session

    def upcoming_session(self) -> None:
        """The next sitting, set up by the coordinator, with everyone the docket suggests."""
        session = services.court_session_create(
            program=self.program,
            held_on=self.upcoming,
            start_time=STARTS_AT,
            courtroom=COURTROOM,
            judge=self.judge,
            clerks=[self.clerk],
            actor=self.coordinator,
        )
        entries = [
            services.docket_place(session=session, enrollment=enrollment, actor=self.coordinator)
            for enrollment in selectors.docket_suggestions(session)
        ]
        self.staffing(entries[:STAFFED_ENTRIES])

    def staffing(self, entries: list[DocketEntry]) -> None:
        """The first entries of the next docket are staffed already: the participant's case
        manager wrote a note and recorded the team's recommendation, and the coordinator a
        note too."""
        options = _options_by_day(self.program)(self.upcoming)
        for entry in entries:
            manager = selectors.case_manager_of(entry.participant)
            if manager is None:
                continue
            services.staffing_note_write(
                entry=entry,
                text="Attending groups and case management; negative tests since last time.",
                actor=manager,
            )
            services.staffing_note_write(
                entry=entry, text="Agree with the case manager.", actor=self.coordinator
            )
            services.staffing_recommend(
                entry=entry,
                option=options[PRAISE],
                reason="Steady progress since the last hearing.",
                actor=manager,
            )


def _options_by_day(program: Program):
    """`options(day)`: the response catalogue in force on `day`, by name (one query per
    settings version)."""
    versions = list(
        ProgramSettings.objects.filter(program=program)
        .order_by("-effective_from")
        .values_list("pk", "effective_from")
    )
    catalogues: dict[int, dict[str, ResponseOption]] = {}

    def options(day: datetime.date) -> dict[str, ResponseOption]:
        pk = next(pk for pk, effective_from in versions if effective_from <= day)
        if pk not in catalogues:
            catalogues[pk] = {
                option.name: option for option in ResponseOption.objects.filter(settings=pk)
            }
        return catalogues[pk]

    return options


def _days_before(day: str, days: int, clock: Clock) -> ExpressionWrapper:
    """Three in the afternoon (program time, roughly) `days` before the date column `day`."""
    afternoon = datetime.timedelta(hours=15) - clock.now.astimezone(clock.zone).utcoffset()
    return ExpressionWrapper(
        F(day) - datetime.timedelta(days=days) + afternoon, output_field=DateTimeField()
    )


# The completions, while clients.demo walks the lifecycle


def complete(
    *,
    enrollment: Enrollment,
    kind: str,
    day: datetime.date,
    reason: str,
    staff: dict[str, User],
) -> CompletionDecision:
    """Graduation and termination at a hearing of the demo court on `day`
    (decide_at_a_hearing), withdrawal and neutral discharge by the demo coordinator."""
    if kind in HEARING_COMPLETIONS:
        return decide_at_a_hearing(
            enrollment=enrollment, kind=kind, day=day, reason=reason, staff=staff
        )
    return enrollment_close(
        enrollment=enrollment,
        kind=kind,
        effective_date=day,
        reason=reason,
        actor=staff["coordinator"],
    )


def decide_at_a_hearing(
    *,
    enrollment: Enrollment,
    kind: str,
    day: datetime.date,
    reason: str,
    staff: dict[str, User],
) -> CompletionDecision:
    """The participant appeared before the demo judge at the program's session on `day`, which
    decided their graduation or termination."""
    judge, coordinator = staff["judge"], staff["coordinator"]
    program = enrollment.program
    with audited_write(coordinator):
        session = _session_on(program, day, staff=staff)
        appointment = client_services.hearing_appointment_create(
            participant=enrollment.participant,
            program=program,
            scheduled_at=session.starts_at,
            location=session.courtroom,
            staff=judge,
            actor=coordinator,
        )
        entry = DocketEntry.objects.create(
            session=session,
            enrollment=enrollment,
            participant=enrollment.participant,
            appointment=appointment,
            placed_by=coordinator,
        )
    heard_at = min(session.starts_at + datetime.timedelta(minutes=30), timezone.now())
    with audited_write(judge):
        entry.appearance = Appearance.APPEARED
        entry.recorded_by, entry.recorded_at = judge, heard_at
        entry.save(update_fields=["appearance", "recorded_by", "recorded_at"])
        client_services.hearing_appointment_set_outcome(
            appointment=appointment,
            outcome=APPEARANCE_OUTCOMES[Appearance.APPEARED],
            actor=judge,
            now=heard_at,
        )
    completion = CompletionKind(kind)
    return completion_decide(
        entry=entry,
        kind=completion,
        case_disposition=DISPOSITIONS[(completion, EntryType(enrollment.entry_type))],
        reason=reason,
        actor=judge,
    )


def _session_on(program: Program, day: datetime.date, *, staff: dict[str, User]) -> CourtSession:
    """The demo court sits at 9:00, with the demo clerk listed; a session of today, seeded
    before then, sat earlier (the hearing the decision was taken at is over)."""
    start = STARTS_AT
    now = timezone.localtime(timezone=program.zone)
    if day == program_today(program) and now.time() < datetime.time(9, 30):
        earlier = (now - datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
        start = earlier.time() if earlier.date() == day else datetime.time(0, 0)
    session, created = CourtSession.objects.get_or_create(
        program=program,
        held_on=day,
        courtroom=COURTROOM,
        defaults={
            "start_time": start,
            "judge": staff["judge"],
            "created_by": staff["coordinator"],
        },
    )
    if created:
        session.clerks.set([staff["clerk"]])
    return session


# Conditions (issue 17): every admitted participant signed the participation agreement on
# entry; every third open one has a curfew from their last hearing on, and one of those
# violated it (reported to the court); every fifth has a no-contact order.
CURFEW_TERMS = "At home from 22:00 to 06:00 unless at work or treatment."
NO_CONTACT_TERMS = "No contact with the co-defendant in the original case."
AGREEMENT_TERMS = "The program's participation agreement, signed with counsel."


@transaction.atomic
def seed_demo_conditions(program: Program, staff: dict[str, User]) -> None:
    if Condition.objects.filter(enrollment__program=program).exists():
        return
    coordinator = staff["coordinator"]
    today = Clock(program, timezone.now()).today
    enrollments = Enrollment.objects.filter(
        program=program,
        case_number__startswith=CASE_PREFIX,
        status__in=services.DOCKETABLE_STATUSES,
        entry_date__isnull=False,
    ).order_by("case_number")
    violated = False
    for n, enrollment in enumerate(enrollments):
        services.condition_record(
            enrollment=enrollment,
            kind=ConditionKind.PARTICIPATION_AGREEMENT,
            terms=AGREEMENT_TERMS,
            starts_on=enrollment.entry_date,
            actor=coordinator,
        )
        if n % 3 == 0:
            starts_on = max(enrollment.entry_date, today - datetime.timedelta(weeks=3))
            curfew = services.condition_record(
                enrollment=enrollment,
                kind=ConditionKind.CURFEW,
                terms=CURFEW_TERMS,
                starts_on=starts_on,
                ends_on=starts_on + datetime.timedelta(weeks=8),
                actor=coordinator,
            )
            if not violated and starts_on < today:
                services.condition_violation_record(
                    condition=curfew,
                    occurred_on=today - datetime.timedelta(days=1),
                    description="Not at home at the 23:00 check.",
                    severity="low",
                    reported_to_court=True,
                    actor=coordinator,
                )
                violated = True
        if n % 5 == 0:
            services.condition_record(
                enrollment=enrollment,
                kind=ConditionKind.NO_CONTACT,
                terms=NO_CONTACT_TERMS,
                starts_on=enrollment.entry_date,
                actor=coordinator,
            )


# Fees, fines and restitution (issue 17): every admitted participant was assessed the
# enrollment fee on entry and the program fee each month since (at most six); every fifth owes
# restitution too. Of every four, one paid everything, one about half, one was found unable to
# pay by the court (the balance waived), one nothing yet; the first payment was a check that
# came back, reversed and paid again in cash.
RESTITUTION = Decimal("250.00")
MONTHS_OF_FEES = 6


@transaction.atomic
def seed_demo_ledgers(program: Program, staff: dict[str, User]) -> None:
    if LedgerEntry.objects.filter(program=program).exists():
        return
    coordinator, judge = staff["coordinator"], staff["judge"]
    today = Clock(program, timezone.now()).today
    fees = {fee.name for fee in fee_schedule_in_force(program, today)}
    enrollments = Enrollment.objects.filter(
        program=program,
        case_number__startswith=CASE_PREFIX,
        status__in=services.DOCKETABLE_STATUSES,
        entry_date__isnull=False,
    ).order_by("case_number")
    for n, enrollment in enumerate(enrollments):
        entered = enrollment.entry_date
        assessed = [
            ("Enrollment fee", entered),
            *(
                ("Program fee", day)
                for month in range(1, MONTHS_OF_FEES + 1)
                if (day := entered + datetime.timedelta(days=30 * month)) <= today
            ),
        ]
        for fee, day in assessed:
            if fee in fees:
                services.ledger_assess(
                    enrollment=enrollment, charge="fee", fee=fee, assessed_on=day, actor=coordinator
                )
        if n % 5 == 0:
            services.ledger_assess(
                enrollment=enrollment,
                charge="restitution",
                amount=RESTITUTION,
                description="To the owner of the damaged shop window (original case).",
                assessed_on=entered,
                actor=coordinator,
            )
        owed = selectors.ledger_totals([enrollment.pk])[enrollment.pk]
        if not owed.assessed:
            continue
        paid_on = min(today, entered + datetime.timedelta(days=14))
        if n == 0:
            returned = services.ledger_pay(
                enrollment=enrollment,
                amount=owed.balance,
                paid_on=paid_on,
                method="check",
                actor=coordinator,
            )
            services.ledger_reverse(
                entry=returned, reason="The check came back unpaid.", actor=coordinator
            )
        if n % 4 in (0, 1):
            amount = owed.balance if n % 4 == 0 else (owed.balance / 2).quantize(Decimal("0.01"))
            services.ledger_pay(
                enrollment=enrollment,
                amount=amount,
                paid_on=paid_on,
                method="cash",
                actor=coordinator,
            )
        elif n % 4 == 2:
            services.ledger_waive(
                enrollment=enrollment,
                amount=owed.balance,
                waived_on=today,
                reason="No income; the court finds the participant unable to pay.",
                inability_to_pay=True,
                actor=judge,
            )
