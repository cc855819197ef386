"""Reads of the court: who is due in court and when, docket suggestions, the incentive to
sanction ratio, and what the court pages list (sessions, dockets, warrants, the participant's
court section). Access questions are clients.access's."""

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, Lower
from django.utils import timezone

from assessments.models import RiskNeedAssessment
from clients import access
from clients.access import DataClass
from clients.models import (
    OPEN_STATUSES,
    Alert,
    AlertState,
    CaseAssignment,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Incident,
    IncidentCategory,
    LifeDomain,
    LifeDomainRecord,
    Participant,
    TeamRole,
)
from clients.selectors import (
    alerts_for,
    life_domains_on,
    note_alerts_shown,
    participant_today,
)
from compliance.models import TestingOrder
from compliance.rules import Verdict, monitoring_verdict
from compliance.selectors import (
    Attendance,
    DrugTestFacts,
    MonitoringFacts,
    Sobriety,
    monitoring_facts,
)
from drugcourt.models import (
    MONEY_DIGITS,
    MONEY_PLACES,
    Behaviour,
    Phase,
    Program,
    ProgramSettings,
    ResponseCategory,
    ResponseEffect,
    ResponseOption,
    ResponseRule,
    Substance,
    User,
)
from drugcourt.phase_requirements import requirement_kind
from drugcourt.roles import Role
from drugcourt.selectors import (
    fee_schedule_in_force,
    phases_in_force,
    program_today,
    program_today_sql,
    programs_coordinated_by,
    programs_of,
    response_catalogue_in_force,
    response_matrix_in_force,
    suggested_response,
)
from treatment_plans.selectors import objectives_met_of

from .models import (
    COURT_ALERT_KINDS,
    OPEN_WARRANT_STATES,
    Appearance,
    CommunityServiceHours,
    CommunityServiceObligation,
    Condition,
    ConditionViolation,
    CourtResponse,
    CourtSession,
    DocketEntry,
    LedgerEntry,
    LedgerEntryKind,
    LedgerTotals,
    PhaseChange,
    StaffingNote,
    StaffingRecommendation,
    Warrant,
    WarrantState,
)
from .phase_requirements import (
    IN_SCHOOL_STATUSES,
    LEDGER,
    MONITORING,
    OBJECTIVES,
    OCCUPATIONS,
    OPEN_SANCTIONS,
    PHASE_SINCE,
    SERVICE_HOURS,
    WORKING_STATUSES,
    AttendanceRate,
    ChecklistItem,
    CourtRequirementKind,
    PhaseFacts,
)
from .rules import CourtFacts, ServiceProgress, behaviours_of, summary_verdict

# --- Hearings


def open_warrant(enrollment: Enrollment) -> Warrant | None:
    """The enrollment's requested or issued warrant (at most one)."""
    return Warrant.objects.filter(enrollment=enrollment, state__in=OPEN_WARRANT_STATES).first()


def case_manager_of(participant: Participant) -> User | None:
    """The participant's case manager now (the newest open case manager assignment)."""
    assignment = (
        CaseAssignment.objects.filter(
            participant=participant, team_role=TeamRole.CASE_MANAGER, ended_on__isnull=True
        )
        .select_related("user")
        .order_by("-started_on", "-id")
        .first()
    )
    return assignment.user if assignment else None


def docket_of(session: CourtSession) -> QuerySet[DocketEntry]:
    """The session's docket, in the order participants were placed on it."""
    return session.entries.select_related("participant", "enrollment", "appointment").order_by("id")


def hearing_rows() -> QuerySet[DocketEntry]:
    """Docket entries with their `program` (the session's), for the alerts about hearings
    (clients.registry.ProgramAlertSource "hearing")."""
    return DocketEntry.objects.annotate(program=F("session__program"))


def warrant_rows() -> QuerySet[Warrant]:
    """Warrants with their `program` (the enrollment's), for the alerts about them
    (clients.registry.ProgramAlertSource "warrant")."""
    return Warrant.objects.annotate(program=F("enrollment__program"))


# How many of the alerts for the court the bench's home panel lists (the rest: the alert list).
COURT_ALERTS_SHOWN = 10


def court_alerts_panel(user: User) -> dict:
    """A judge's or clerk's home panel: the open alerts meant for the court
    (COURT_ALERT_KINDS) about participants of their programs, newest first; not the
    operational ones (missed tests, unrecorded attendance), which the team answers."""
    alerts = alerts_for(user).filter(kind__in=COURT_ALERT_KINDS)
    shown = list(alerts[:COURT_ALERTS_SHOWN])
    note_alerts_shown(user, shown)
    return {"alerts": shown, "count": alerts.count()}


# --- Hearing frequency

# The appearances that mean the hearing took place for the participant (an entry taken off the
# docket, or not recorded yet, says nothing of when the next one is due).
HEARD = (Appearance.APPEARED, Appearance.FAILED_TO_APPEAR, Appearance.EXCUSED)


@dataclass(frozen=True)
class HearingInterval:
    weeks: int
    source: str  # where the number came from, in words, for the hearing and participant pages


@dataclass(frozen=True)
class NextHearing:
    """The participant's next hearing: their place on an upcoming docket, or (on none yet) the
    day it is due by their last hearing or their hearing frequency."""

    on: datetime.date
    entry: DocketEntry | None

    @property
    def is_scheduled(self) -> bool:
        return self.entry is not None


def with_hearing_interval(enrollments: QuerySet[Enrollment], on: datetime.date) -> QuerySet:
    """Annotates `hearing_interval_weeks` (a status hearing every this many weeks on `on`): the
    shorter of the court interval accepted in the latest risk/need assessment of this
    enrollment (`assessed_court_every_weeks`, `court_intensity_assessed_on`) and the default of
    the enrollment's phase in the program settings in force on `on`
    (`phase_hearing_interval_weeks`); either alone when the other is missing, NULL without
    both. One statement for any number of rows (as compliance.selectors.with_testing_frequency)."""
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
    phase_default = (
        Phase.objects.filter(settings=Subquery(settings_in_force), number=OuterRef("phase"))
        .order_by()
        .values("hearing_interval_weeks")[:1]
    )
    return enrollments.annotate(
        assessed_court_every_weeks=Subquery(accepted.values("court_every_weeks")[:1]),
        court_intensity_assessed_on=Subquery(accepted.values("assessed_on")[:1]),
        phase_hearing_interval_weeks=Subquery(phase_default, output_field=IntegerField()),
    ).annotate(
        # LEAST ignores NULLs: either number alone, when the other is missing.
        hearing_interval_weeks=Least("assessed_court_every_weeks", "phase_hearing_interval_weeks"),
    )


def _weeks_after(day: str) -> ExpressionWrapper:
    """The date `hearing_interval_weeks` weeks after the date column `day` (date + integer)."""
    return ExpressionWrapper(F(day) + F("hearing_interval_weeks") * 7, output_field=DateField())


def with_next_hearing_due(enrollments: QuerySet[Enrollment], on: datetime.date) -> QuerySet:
    """Annotates `next_hearing_due_on`: the next hearing date set at the latest hearing recorded
    for the enrollment (appeared, failed to appear or excused); when that hearing set none, one
    hearing interval after it; before any hearing, one interval after the entry date. The
    interval is the one in force on `on` (with_hearing_interval). One statement."""
    heard = DocketEntry.objects.filter(enrollment=OuterRef("pk"), appearance__in=HEARD).order_by(
        "-session__held_on", "-id"
    )
    return (
        with_hearing_interval(enrollments, on)
        .annotate(
            last_heard_on=Subquery(heard.values("session__held_on")[:1]),
            next_hearing_set_on=Subquery(heard.values("next_hearing_on")[:1]),
        )
        .annotate(
            next_hearing_due_on=Case(
                When(last_heard_on__isnull=True, then=_weeks_after("entry_date")),
                default=Coalesce("next_hearing_set_on", _weeks_after("last_heard_on")),
                output_field=DateField(),
            )
        )
    )


def hearing_interval_for(enrollment: Enrollment, on: datetime.date) -> HearingInterval | None:
    """How often the enrollment comes before the court on `on`, and why; None when neither its
    phase nor an accepted risk/need assessment says (e.g. not admitted yet)."""
    row = (
        with_hearing_interval(Enrollment.objects.filter(pk=enrollment.pk), on)
        .values(
            "phase",
            "hearing_interval_weeks",
            "assessed_court_every_weeks",
            "phase_hearing_interval_weeks",
            "court_intensity_assessed_on",
        )
        .first()
    )
    if row is None or row["hearing_interval_weeks"] is None:
        return None
    weeks = row["hearing_interval_weeks"]
    if row["phase_hearing_interval_weeks"] == weeks:
        source = f"Phase {row['phase']} default"
    else:
        source = (
            f"Supervision intensity accepted on {row['court_intensity_assessed_on']:%b %-d, %Y}"
        )
    return HearingInterval(weeks=weeks, source=source)


def next_hearing_default(entry: DocketEntry) -> datetime.date | None:
    """The next hearing after this docket entry by the hearing frequency: the session's day plus
    the participant's hearing interval in force on it (None without one)."""
    held_on = entry.session.held_on
    interval = hearing_interval_for(entry.enrollment, held_on)
    if interval is None:
        return None
    return held_on + datetime.timedelta(weeks=interval.weeks)


def docket_suggestions(session: CourtSession) -> QuerySet[Enrollment]:
    """Who to place on the session's docket: the program's active enrollments whose next
    hearing is due on or before the session's day (with_next_hearing_due, annotated) and who
    are on no docket of that day or later (an entry taken off the docket does not count).
    Soonest due first, with the participant; one statement for any number of participants."""
    day = session.held_on
    on_a_docket_since = DocketEntry.objects.filter(
        enrollment=OuterRef("pk"), session__held_on__gte=day
    ).exclude(appearance=Appearance.REMOVED)
    active = Enrollment.objects.filter(
        program_id=session.program_id, status=EnrollmentStatus.ACTIVE
    )
    return (
        with_next_hearing_due(active, day)
        .filter(next_hearing_due_on__lte=day)
        .exclude(Exists(on_a_docket_since))
        .select_related("participant")
        .order_by(
            "next_hearing_due_on",
            "participant__legal_last_name",
            "participant__legal_first_name",
            "pk",
        )
    )


def next_hearing_for(
    enrollment: Enrollment, *, today: datetime.date | None = None
) -> NextHearing | None:
    """The enrollment's next hearing, for the participant page: the earliest docket entry of a
    session today or later not recorded yet; otherwise, while the enrollment is active, the day
    it is due (with_next_hearing_due, past days included: overdue). None when neither. Per
    enrollment, so a program's court roles see that program's hearings only."""
    today = today or program_today(enrollment.program)
    entry = (
        DocketEntry.objects.filter(
            enrollment=enrollment, appearance="", session__held_on__gte=today
        )
        .select_related("session")
        .order_by("session__held_on", "session__start_time", "id")
        .first()
    )
    if entry is not None:
        return NextHearing(on=entry.session.held_on, entry=entry)
    if enrollment.status != EnrollmentStatus.ACTIVE:
        return None
    due = (
        with_next_hearing_due(Enrollment.objects.filter(pk=enrollment.pk), today)
        .values_list("next_hearing_due_on", flat=True)
        .first()
    )
    return None if due is None else NextHearing(on=due, entry=None)


# --- Responses


@dataclass(frozen=True)
class ResponseRatio:
    """Incentives and sanctions given at hearings; therapeutic adjustments count as neither
    (treatment changes are never sanctions). The practice standard is about 4 : 1."""

    incentives: int
    sanctions: int

    @property
    def ratio(self) -> str:
        """ "4.0 : 1", or "no sanctions" (and "no responses" when there were none at all)."""
        if not self.sanctions:
            return "no sanctions" if self.incentives else "no responses"
        return f"{self.incentives / self.sanctions:.1f} : 1"

    def __str__(self) -> str:
        return self.ratio


_RATIO_COUNTS = {
    "incentives": Count("pk", filter=Q(option__category=ResponseCategory.INCENTIVE)),
    "sanctions": Count("pk", filter=Q(option__category=ResponseCategory.SANCTION)),
}


def _responses_given(
    program: Program | None, since: datetime.date | None, until: datetime.date | None
) -> QuerySet[CourtResponse]:
    responses = CourtResponse.objects.all()
    if program is not None:
        responses = responses.filter(entry__session__program=program)
    if since is not None:
        responses = responses.filter(given_on__gte=since)
    if until is not None:
        responses = responses.filter(given_on__lte=until)
    return responses


def incentive_sanction_ratio(
    *,
    participant: Participant | None = None,
    program: Program | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> ResponseRatio:
    """The incentives and sanctions given to a participant (in every program, or in `program`
    only: a program's court roles see their own program's), or in a whole program (no
    participant), on the days from `since` to `until` (inclusive, either open). One query.
    The compliance summary and the reports read the ratio here and nowhere else."""
    if participant is None and program is None:
        raise TypeError("Give a participant, a program or both.")
    responses = _responses_given(program, since, until)
    if participant is not None:
        responses = responses.filter(participant=participant)
    return ResponseRatio(**responses.aggregate(**_RATIO_COUNTS))


def incentive_sanction_ratios(
    participant_ids: list[int],
    *,
    program: Program | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> dict[int, ResponseRatio]:
    """incentive_sanction_ratio of many participants at once (a docket's summary, a report's
    rows): one query for any number; a participant given nothing gets "no responses"."""
    rows = (
        _responses_given(program, since, until)
        .filter(participant_id__in=participant_ids)
        .order_by()
        .values("participant_id")
        .annotate(**_RATIO_COUNTS)
    )
    counts = {row.pop("participant_id"): row for row in rows}
    return {
        pk: ResponseRatio(**counts.get(pk, {"incentives": 0, "sanctions": 0}))
        for pk in participant_ids
    }


# --- 42 CFR Part 2: what a court-side reader may not see without a consent


@dataclass(frozen=True)
class Withheld:
    """Of some participants, those whose Part 2 information of each class asked about is
    withheld from `user` (clients.access.visibility_of: reached, but no consent covers it)."""

    user: User | None = None
    participants: Mapping[DataClass, frozenset[int]] = field(default_factory=dict)

    def of(self, participant_id: int) -> frozenset[DataClass]:
        """The classes withheld of the participant."""
        return frozenset(
            data_class for data_class, ids in self.participants.items() if participant_id in ids
        )

    def rows(self, data_class: DataClass) -> Q | None:
        """The rows of a row class (PART2_ROW_CLASSES, with a `participant`) withheld from the
        user: the Part 2 rows (access.part2_rows) of the participants it is withheld of. None
        when there are none."""
        ids = self.participants.get(data_class)
        if not ids or self.user is None:
            return None
        return Q(participant_id__in=sorted(ids)) & access.part2_rows(self.user, data_class)

    def monitoring_facts(
        self,
        program: Program,
        since: Mapping[int, datetime.date],
        *,
        today: datetime.date,
        now: datetime.datetime | None,
    ) -> dict[int, MonitoringFacts]:
        """compliance.selectors.monitoring_facts without the rows withheld from the user."""
        return monitoring_facts(
            program,
            since,
            today=today,
            now=now,
            tests_withheld=self.rows(DataClass.DRUG_TESTS),
            appointments_withheld=self.rows(DataClass.ATTENDANCE),
        )


def _withheld_of(
    user: User | None, participant_ids: Iterable[int], data_classes: Iterable[DataClass]
) -> Withheld:
    """`Withheld` of the participants for `user` (None: the whole record, nothing withheld).
    Queries only when a consent must decide (the participants' consents, cached)."""
    if user is None:
        return Withheld()
    ids = list(participant_ids)
    return Withheld(
        user,
        {
            data_class: _withheld_ids(user, ids, data_class)
            for data_class in dict.fromkeys(data_classes)
        },
    )


def _withheld_ids(
    user: User, participant_ids: Iterable[int], data_class: DataClass
) -> frozenset[int]:
    return frozenset(
        pk
        for pk, answer in access.visibility_of(user, participant_ids, data_class).items()
        if answer is access.Visibility.WITHHELD
    )


# --- Phase requirements (the kinds: court/phase_requirements.py)


@dataclass(frozen=True)
class PhaseChecklist:
    """An enrollment's requirements to advance from its phase (`phase`) to the next
    (`next_phase`; None from the last phase, where they are the requirements to graduate), each
    met or not with the figure behind it, from the recorded data."""

    phase: Phase
    next_phase: Phase | None
    items: tuple[ChecklistItem, ...]

    @property
    def all_met(self) -> bool:
        """Every requirement met (a phase without requirements asks nothing)."""
        return all(item.met for item in self.items)

    @property
    def unmet(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if not item.met)

    @property
    def unmet_blocking(self) -> tuple[ChecklistItem, ...]:
        """The unmet requirements an advance needs an override for (fees never block)."""
        return tuple(item for item in self.unmet if item.blocks)

    @property
    def ready_to_advance(self) -> bool:
        """There is a next phase, the phase asks something that blocks, and all of that is met
        (the achievement the response matrix answers: Behaviour.PHASE_REQUIREMENTS_MET)."""
        return (
            self.next_phase is not None
            and any(item.blocks for item in self.items)
            and not self.unmet_blocking
        )


def phase_checklists(
    program: Program,
    enrollments: list[Enrollment],
    *,
    today: datetime.date,
    now: datetime.datetime | None = None,
    reader: User | None = None,
) -> dict[int, PhaseChecklist]:
    """enrollment pk → its checklist on `today`, for those of `enrollments` (of `program`, one
    per participant) in a phase of the phase list in force that day. Access is the caller's:
    give only enrollments whose court record the user sees in `program`. With a `reader`, the
    checklist as they may read it: the Part 2 information no consent covers for them (42 CFR
    Part 2) is left out of the facts, and a requirement read from it is not met for them
    (PhaseFacts.withheld).

    Only the facts the phases' requirements read are loaded (CourtRequirementKind.reads): the
    phases in force, then at most the last phase changes, the monitoring facts (4), the plans'
    objectives, the open sanctions, the life domains, the community service hours and the
    ledgers' totals: at most 11 queries for any number of enrollments."""
    phases = {phase.number: phase for phase in phases_in_force(program, today)}
    staged = [
        (enrollment, phases[enrollment.phase])
        for enrollment in enrollments
        if enrollment.phase in phases
    ]
    kinds: dict[str, CourtRequirementKind] = {
        requirement["kind"]: kind
        for _, phase in staged
        for requirement in phase.requirements
        if isinstance(kind := requirement_kind(requirement["kind"]), CourtRequirementKind)
    }
    reads = frozenset().union(*(kind.reads for kind in kinds.values()))
    withheld = _withheld_of(
        reader,
        [enrollment.participant_id for enrollment, _ in staged],
        [data_class for fact in reads for data_class in PART2_FACTS.get(fact, ())],
    )
    facts = _phase_facts(program, staged, reads, withheld, today=today, now=now)
    return {
        enrollment.pk: PhaseChecklist(
            phase=phase,
            next_phase=phases.get(phase.number + 1),
            items=tuple(
                kinds[requirement["kind"]].item(requirement["params"], facts[enrollment.pk])
                for requirement in phase.requirements
                if requirement["kind"] in kinds
            ),
        )
        for enrollment, phase in staged
    }


# The Part 2 classes each fact of PhaseFacts reads (the rest are court records, never gated).
PART2_FACTS = {
    MONITORING: (DataClass.DRUG_TESTS, DataClass.ATTENDANCE),
    OBJECTIVES: (DataClass.PLAN_SUMMARY,),
}


def _phase_facts(
    program: Program,
    staged: list[tuple[Enrollment, Phase]],
    reads: frozenset[str],
    withheld: Withheld,
    *,
    today: datetime.date,
    now: datetime.datetime | None,
) -> dict[int, PhaseFacts]:
    """enrollment pk → the PhaseFacts `reads` names (the rest left at their defaults), without
    the Part 2 information `withheld` from the reader."""
    if not reads or not staged:
        return {enrollment.pk: PhaseFacts(today=today) for enrollment, _ in staged}
    enrollment_ids = [enrollment.pk for enrollment, _ in staged]
    participant_ids = [enrollment.participant_id for enrollment, _ in staged]
    facts: dict[str, Mapping[int, Any]] = {}
    phase_since: dict[int, datetime.date | None] = {}
    if reads & {PHASE_SINCE, SERVICE_HOURS}:
        changed = dict(
            PhaseChange.objects.filter(enrollment_id__in=enrollment_ids, decided_on__lte=today)
            .order_by()
            .values_list("enrollment_id")
            .annotate(last=Max("decided_on"))
        )
        phase_since = {
            enrollment.pk: changed.get(enrollment.pk, enrollment.entry_date)
            for enrollment, _ in staged
        }
        facts[PHASE_SINCE] = dict(phase_since)
    if MONITORING in reads:
        since = {
            enrollment.participant_id: today - datetime.timedelta(days=_window_days(phase))
            for enrollment, phase in staged
        }
        monitored = withheld.monitoring_facts(program, since, today=today, now=now)
        facts[MONITORING] = {
            enrollment.pk: monitored.get(enrollment.participant_id) for enrollment, _ in staged
        }
    if OBJECTIVES in reads:
        objectives = objectives_met_of(participant_ids)
        facts[OBJECTIVES] = {
            enrollment.pk: objectives.get(enrollment.participant_id) for enrollment, _ in staged
        }
    if OPEN_SANCTIONS in reads:
        facts[OPEN_SANCTIONS] = _open_sanctions(enrollment_ids, today)
    if OCCUPATIONS in reads:
        domains = life_domains_on(
            participant_ids, [LifeDomain.EMPLOYMENT, LifeDomain.EDUCATION], today
        )
        facts[OCCUPATIONS] = {
            enrollment.pk: _occupations(domains.get(enrollment.participant_id, {}))
            for enrollment, _ in staged
        }
    if SERVICE_HOURS in reads:
        facts[SERVICE_HOURS] = _service_hours_since(phase_since, today)
    if LEDGER in reads:
        facts[LEDGER] = ledger_totals(enrollment_ids, on=today)
    return {
        enrollment.pk: PhaseFacts(
            today=today,
            withheld=withheld.of(enrollment.participant_id),
            **{
                name: by_enrollment[enrollment.pk]
                for name, by_enrollment in facts.items()
                if enrollment.pk in by_enrollment
            },
        )
        for enrollment, _ in staged
    }


def _window_days(phase: Phase) -> int:
    """The days the phase's attendance requirement counts over (0 without one)."""
    return next(
        (
            requirement["params"]["days"]
            for requirement in phase.requirements
            if requirement["kind"] == AttendanceRate.key
        ),
        0,
    )


def _occupations(domains: dict[str, LifeDomainRecord]) -> tuple[str, ...]:
    employment, education = domains.get(LifeDomain.EMPLOYMENT), domains.get(LifeDomain.EDUCATION)
    return tuple(
        words
        for words, record, statuses in (
            ("working", employment, WORKING_STATUSES),
            ("in school", education, IN_SCHOOL_STATUSES),
        )
        if record is not None and record.status in statuses
    )


def _open_sanctions(enrollment_ids: list[int], today: datetime.date) -> dict[int, tuple[str, ...]]:
    """enrollment pk → its sanctions not done yet on `today`, in words: community service with
    hours left, increased testing not ended, a curfew not over, custody not ended. One query."""
    found: dict[int, list[str]] = {}
    for response in _with_service_hours_worked(
        CourtResponse.objects.filter(
            entry__enrollment_id__in=enrollment_ids,
            option__category=ResponseCategory.SANCTION,
            given_on__lte=today,
        ).select_related("entry", "option", "testing_order", "custody", "obligation")
    ).order_by("given_on", "id"):
        if words := _still_open(response, today):
            found.setdefault(response.entry.enrollment_id, []).append(words)
    return {pk: tuple(words) for pk, words in found.items()}


def _still_open(response: CourtResponse, today: datetime.date) -> str:
    """What of a sanction is still to be done on `today`, in words ("" when nothing)."""
    name = response.option.name
    # A response without an obligation raises RelatedObjectDoesNotExist, an AttributeError.
    obligation = getattr(response, "obligation", None)
    worked = response.service_hours_worked  # type: ignore[attr-defined]
    if obligation is not None and worked < obligation.hours_ordered:
        return f"{name}: {worked.normalize():f} of {obligation.hours_ordered} hours worked"
    order = response.testing_order
    if order is not None and order.ends_on >= today:
        return f"{name}: increased testing until {order.ends_on:%b %-d, %Y}"
    curfew_until = _curfew_until(response)
    if curfew_until is not None and curfew_until >= today:
        return f"{name}: curfew until {curfew_until:%b %-d, %Y}"
    custody = response.custody
    if custody is not None and (custody.ends_on is None or custody.ends_on >= today):
        ends = f"until {custody.ends_on:%b %-d, %Y}" if custody.ends_on else "not ended"
        return f"{name}: custody {ends}"
    return ""


def _service_hours_since(
    since: dict[int, datetime.date | None], today: datetime.date
) -> dict[int, Decimal]:
    """enrollment pk → the community service hours worked in it from its date to `today`. One
    query."""
    days = [day for day in since.values() if day is not None]
    hours: dict[int, Decimal] = dict.fromkeys(since, Decimal(0))
    if not days:
        return hours
    for row in (
        CommunityServiceHours.objects.filter(
            obligation__response__entry__enrollment_id__in=list(since),
            worked_on__gte=min(days),
            worked_on__lte=today,
        )
        .order_by()
        .values("obligation__response__entry__enrollment_id", "worked_on")
        .annotate(total=Sum("hours"))
    ):
        pk = row["obligation__response__entry__enrollment_id"]
        if since[pk] is not None and row["worked_on"] >= since[pk]:
            hours[pk] += row["total"]
    return hours


# --- Pages (court.views: lists, the docket, the hearing page, the participant's section)


def court_programs_of(user: User) -> QuerySet[Program]:
    """The active programs whose court pages the user may open (their own, by membership)."""
    return programs_of(user) if access.sees_court(user) else Program.objects.none()


def entries_visible_to(user: User) -> QuerySet[DocketEntry]:
    """Docket entries the user sees: every entry of a program of their program-wide roles, the
    entries of their own clients (assigned defence, probation: in their member programs) and
    their caseload's (case managers). Nothing for the roles that never read court records."""
    if not access.sees_court(user):
        return DocketEntry.objects.none()
    return DocketEntry.objects.filter(
        access.program_rows_in_reach(user, program="session__program")
    )


def _count_of(rows: QuerySet, field: str) -> Coalesce:
    """The number of `rows` per outer row (`field` refers to it), as a subquery."""
    counted = (
        rows.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def sessions_of(
    user: User, program: Program, *, past: bool, today: datetime.date
) -> QuerySet[CourtSession]:
    """The program's sessions the user sees, from today on (soonest first) or before today
    (latest first), each with `entries_shown` (entries on its docket the user sees, those
    taken off left out) and `entries_recorded` (of them, whose outcome is recorded). One query
    for a page of them (and one for their clerks)."""
    sessions = CourtSession.objects.filter(program=program)
    visible = entries_visible_to(user).exclude(appearance=Appearance.REMOVED)
    if not access.sees_whole_docket(user, program):
        sessions = sessions.filter(Exists(visible.filter(session=OuterRef("pk"))))
    if past:
        sessions = sessions.filter(held_on__lt=today).order_by("-held_on", "-start_time", "pk")
    else:
        sessions = sessions.filter(held_on__gte=today).order_by("held_on", "start_time", "pk")
    return (
        sessions.select_related("judge")
        .prefetch_related(Prefetch("clerks", queryset=User.objects.order_by("last_name")))
        .annotate(
            entries_shown=_count_of(visible, "session"),
            entries_recorded=_count_of(visible.exclude(appearance=""), "session"),
        )
    )


def session_for(user: User, pk: int) -> CourtSession | None:
    """A session the user sees (its program's court roles and coordinators, or someone with a
    participant of their own on its docket); None otherwise, like one that does not exist."""
    session = (
        CourtSession.objects.select_related("program", "judge")
        .prefetch_related(Prefetch("clerks", queryset=User.objects.order_by("last_name")))
        .filter(pk=pk)
        .first()
    )
    if session is None or not access.sees_court(user):
        return None
    if access.sees_whole_docket(user, session.program):
        return session
    if entries_visible_to(user).filter(session=session).exists():
        return session
    return None


def _responses() -> Prefetch:
    return Prefetch(
        "responses", queryset=CourtResponse.objects.select_related("option").order_by("id")
    )


def docket_for(user: User, session: CourtSession) -> QuerySet[DocketEntry]:
    """The entries of the session's docket the user sees, in the order they were placed, with
    the participant, their enrollment (case number, phase) and the responses given. Two
    queries for any number of entries."""
    return (
        entries_visible_to(user)
        .filter(session=session)
        .select_related("participant", "enrollment")
        .prefetch_related(_responses())
        .order_by("id")
    )


def sees_hearing(user: User, entry: DocketEntry) -> bool:
    """Whether the user sees the entry's hearing page (the court record), not only its
    staffing (a treating provider)."""
    return entries_visible_to(user).filter(pk=entry.pk).exists()


def entry_for(user: User, pk: int) -> DocketEntry | None:
    """A docket entry (a hearing) the user sees, with its session; None otherwise."""
    return (
        entries_visible_to(user)
        .select_related(
            "session__program", "session__judge", "participant", "enrollment", "recorded_by"
        )
        .prefetch_related(
            Prefetch("session__clerks", queryset=User.objects.order_by("last_name")),
            _responses(),
            Prefetch("phase_changes", queryset=PhaseChange.objects.select_related("decided_by")),
            Prefetch("warrants", queryset=Warrant.objects.order_by("-requested_on", "-id")),
        )
        .filter(pk=pk)
        .first()
    )


def completion_of(entry: DocketEntry):
    """The graduation or termination decided at this hearing, if any."""
    try:
        return entry.completion
    except DocketEntry.completion.RelatedObjectDoesNotExist:
        return None


def response_options_for(session: CourtSession) -> list[ResponseOption]:
    """The program's response catalogue in force on the session's day, by category and name."""
    return list(response_catalogue_in_force(session.program, session.held_on))


def phases_for(session: CourtSession) -> list[Phase]:
    """The program's phases in force on the session's day."""
    return phases_in_force(session.program, session.held_on)


def judges_of(program: Program) -> QuerySet[User]:
    """The program's active judges (members holding the judge role)."""
    return _members_holding(program, Role.JUDGE)


def clerks_of(program: Program) -> QuerySet[User]:
    """The program's active clerks."""
    return _members_holding(program, Role.CLERK)


def _members_holding(program: Program, role: Role) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, roles__contains=[role], memberships__program=program
    ).order_by("last_name", "first_name", "pk")


def placeable_enrollments(session: CourtSession, *, search: str = "") -> QuerySet[Enrollment]:
    """Active enrollments of the session's program not on its docket (an entry taken off it
    counts as on it: the service decides whether it may come back), matching `search` (names
    or case number) when given."""
    enrollments = Enrollment.objects.filter(
        program_id=session.program_id, status=EnrollmentStatus.ACTIVE
    ).exclude(Exists(DocketEntry.objects.filter(session=session, enrollment=OuterRef("pk"))))
    if search:
        enrollments = enrollments.filter(
            Q(case_number__iexact=search)
            | Q(participant__legal_last_name__icontains=search)
            | Q(participant__legal_first_name__icontains=search)
            | Q(participant__preferred_name__icontains=search)
        )
    return enrollments.select_related("participant").order_by(
        Lower("participant__legal_last_name"), Lower("participant__legal_first_name"), "pk"
    )


def warrants_of(program: Program, *, state: str = "") -> QuerySet[Warrant]:
    """The program's warrants in `state` (by default the open ones: requested or issued),
    newest request first, with the participant, case and hearing they came from."""
    states = [state] if state in WarrantState.values else list(OPEN_WARRANT_STATES)
    return (
        Warrant.objects.filter(enrollment__program=program, state__in=states)
        .select_related("participant", "enrollment", "entry__session", "requested_by")
        .order_by("-requested_on", "-id")
    )


def warrant_for(user: User, pk: int) -> Warrant | None:
    """A warrant of a program whose warrants the user works; None otherwise."""
    warrant = (
        Warrant.objects.select_related("participant", "enrollment__program", "entry__session")
        .filter(pk=pk)
        .first()
    )
    if warrant is None or not access.works_warrants(user, warrant.enrollment.program):
        return None
    return warrant


def obligation_for(user: User, pk: int) -> CommunityServiceObligation | None:
    """An obligation whose hours the user logs (access.logs_service_hours), in a program whose court
    record they see; None otherwise."""
    obligation = (
        obligations_of(CommunityServiceObligation.objects.filter(pk=pk))
        .select_related("participant", "response__option", "response__entry__session__program")
        .first()
    )
    if obligation is None:
        return None
    participant = obligation.participant
    if not access.logs_service_hours(user, participant):
        return None
    programs = access.programs_showing(user, participant, DataClass.COURT)
    if programs is not None and obligation.response.entry.session.program_id not in programs:
        return None
    return obligation


# The participant page's court section


@dataclass(frozen=True)
class CourtStanding:
    """One open enrollment's hearing schedule, for the participant page."""

    enrollment: Enrollment
    next_hearing: NextHearing | None
    interval: HearingInterval | None
    ratio: ResponseRatio
    checklist: PhaseChecklist | None


def _shown(rows: QuerySet, user: User, participant: Participant, field: str) -> QuerySet:
    return access.rows_of_programs_shown(rows, user, participant, DataClass.COURT, field)


def obligations_of(rows: QuerySet[CommunityServiceObligation]) -> QuerySet:
    """Obligations with `hours_completed` (the hours logged against each)."""
    return rows.annotate(
        hours_completed=Coalesce(
            Sum("hours_worked__hours"),
            Value(0),
            output_field=DecimalField(max_digits=6, decimal_places=1),
        )
    ).order_by("-created_at", "-id")


PAST_HEARINGS_SHOWN = 10


def court_section(participant: Participant, user: User) -> dict:
    """The participant page's court section, for the programs whose court record the user
    sees: the upcoming hearing, the last hearings with appearance and responses, open
    warrants, testing orders in force, custody periods, community service obligations, when the
    next hearing is due and why, the checklist to advance from the phase, the phase history."""
    entries = _shown(
        DocketEntry.objects.filter(participant=participant), user, participant, "session__program"
    ).select_related("session")
    enrollments = list(
        _shown(
            participant.enrollments.filter(status__in=OPEN_STATUSES).select_related("program"),
            user,
            participant,
            "program",
        )
    )
    today = participant_today(participant)
    responses = _shown(
        CourtResponse.objects.filter(participant=participant),
        user,
        participant,
        "entry__session__program",
    )
    return {
        "upcoming": list(
            entries.filter(appearance="", session__held_on__gte=today).order_by(
                "session__held_on", "session__start_time", "id"
            )
        ),
        "past": list(
            entries.exclude(appearance="")
            .prefetch_related(_responses())
            .order_by("-session__held_on", "-id")[:PAST_HEARINGS_SHOWN]
        ),
        "warrants": list(
            _shown(
                Warrant.objects.filter(participant=participant, state__in=OPEN_WARRANT_STATES),
                user,
                participant,
                "enrollment__program",
            ).order_by("-requested_on")
        ),
        "testing_orders": list(
            _shown(
                TestingOrder.objects.filter(
                    participant=participant, starts_on__lte=today, ends_on__gte=today
                ),
                user,
                participant,
                "program",
            )
        ),
        "custody": list(
            responses.filter(custody__isnull=False)
            .select_related("custody", "option")
            .order_by("-custody__starts_on")
        ),
        "obligations": list(
            obligations_of(
                CommunityServiceObligation.objects.filter(response__in=responses)
            ).select_related("response__option")
        ),
        "standings": [
            CourtStanding(
                enrollment=enrollment,
                next_hearing=next_hearing_for(enrollment),
                interval=hearing_interval_for(enrollment, program_today(enrollment.program)),
                ratio=incentive_sanction_ratio(participant=participant, program=enrollment.program),
                checklist=phase_checklists(
                    enrollment.program,
                    [enrollment],
                    today=program_today(enrollment.program),
                    reader=user,
                ).get(enrollment.pk),
            )
            for enrollment in enrollments
        ],
        "phase_changes": list(
            _shown(
                PhaseChange.objects.filter(enrollment__participant=participant),
                user,
                participant,
                "enrollment__program",
            )
            .select_related("enrollment__program", "decided_by")
            .order_by("-decided_on", "-id")
        ),
        "today": today,
        "may_log_hours": access.logs_service_hours(user, participant),
        # Admitted enrollments a coordinator of their program may withdraw or discharge
        # (court.completion.enrollment_close).
        "closable": [
            enrollment
            for enrollment in enrollments
            if enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED)
            and access.coordinates(user, enrollment.program)
        ],
    }


# --- Conditions (issue 17)


def _conditions_shown(rows: QuerySet[Condition], user: User, participant: Participant) -> QuerySet:
    return access.rows_of_programs_shown(
        rows, user, participant, DataClass.CONDITIONS, "enrollment__program"
    )


def conditions_section(participant: Participant, user: User) -> dict:
    """The participant page's conditions section: the court orders and conditions of the
    enrollments whose conditions the user sees, in force first, with their violations."""
    today = participant_today(participant)
    conditions = list(
        _conditions_shown(Condition.objects.filter(participant=participant), user, participant)
        .select_related("enrollment__program")
        .prefetch_related(
            Prefetch(
                "violations",
                queryset=ConditionViolation.objects.select_related("incident").order_by(
                    "incident__occurred_on", "id"
                ),
            )
        )
        .order_by("-starts_on", "-id")
    )
    return {
        "in_force": [c for c in conditions if c.in_force_on(today)],
        "other": [c for c in conditions if not c.in_force_on(today)],
        "today": today,
        "may_change": access.can_change(user, participant, DataClass.CONDITIONS),
        "enrollments": conditions_enrollments(participant, user),
    }


def conditions_enrollments(participant: Participant, user: User) -> list[Enrollment]:
    """The open enrollments the user records conditions of."""
    if not access.can_change(user, participant, DataClass.CONDITIONS):
        return []
    return list(
        access.rows_of_programs_shown(
            participant.enrollments.filter(status__in=OPEN_STATUSES),
            user,
            participant,
            DataClass.CONDITIONS,
            "program",
        ).select_related("program")
    )


def condition_for(user: User, pk: int) -> Condition | None:
    """A condition the user records for (its violations, lifting it): one of a participant whose
    conditions they change, in a program whose conditions they see; None otherwise."""
    condition = Condition.objects.filter(pk=pk).select_related("participant", "enrollment").first()
    if condition is None or not access.can_change(
        user, condition.participant, DataClass.CONDITIONS
    ):
        return None
    programs = access.programs_showing(user, condition.participant, DataClass.CONDITIONS)
    if programs is not None and condition.enrollment.program_id not in programs:
        return None
    return condition


# Home panels


UPCOMING_SESSIONS_SHOWN = 8
# Of them, the soonest (today's and the next dockets) show how many on each docket are red,
# yellow and green: each costs a compliance summary's queries (a dozen or so, the same for any
# number on the docket), so the rest keep their plain line.
SESSIONS_WITH_COLOURS = 3


@dataclass(frozen=True)
class DocketColours:
    """How many participants of a docket its compliance summary colours red, yellow, green."""

    red: int
    yellow: int
    green: int


@dataclass(frozen=True)
class UpcomingSession:
    """A line of a home panel's upcoming sessions; `colours` None: not counted."""

    session: CourtSession
    colours: DocketColours | None


def docket_colours(
    user: User, sessions: Iterable[CourtSession], *, now: datetime.datetime
) -> dict[int, DocketColours]:
    """The colours of each session's docket (by its pk) as `user` sees them on its compliance
    summary on the program's day at `now`: the entries they do not see are not counted. A
    compliance summary per session: its queries, whatever the number on the dockets."""
    counted = {}
    for session in sessions:
        rows = compliance_summary(user, session, today=program_today(session.program, now), now=now)
        colours = Counter(row.colour for row in rows)
        counted[session.pk] = DocketColours(
            red=colours["red"], yellow=colours["yellow"], green=colours["green"]
        )
    return counted


def _upcoming(user: User, sessions: QuerySet[CourtSession]) -> list[UpcomingSession]:
    """Sessions from their program's today on, soonest first, with `is_today` and
    `entries_shown` (the entries on the docket, those taken off left out); the first
    SESSIONS_WITH_COLOURS with their docket's colours as `user` sees them."""
    now = timezone.now()
    today = program_today_sql("program__time_zone", now)
    upcoming = list(
        sessions.filter(program__is_active=True, held_on__gte=today)
        .annotate(
            is_today=ExpressionWrapper(Q(held_on=today), output_field=BooleanField()),
            entries_shown=_count_of(
                DocketEntry.objects.exclude(appearance=Appearance.REMOVED), "session"
            ),
        )
        .select_related("program")
        .order_by("held_on", "start_time", "pk")[:UPCOMING_SESSIONS_SHOWN]
    )
    colours = docket_colours(user, upcoming[:SESSIONS_WITH_COLOURS], now=now)
    return [UpcomingSession(session, colours.get(session.pk)) for session in upcoming]


def bench_panel(user: User) -> dict:
    """A judge's or clerk's home panel: the sessions they sit on (the judge) or are listed on
    (a clerk), today's and the next ones, in the programs they are a member of; the soonest
    with how many on the docket are red, yellow and green."""
    sessions = CourtSession.objects.filter(
        Q(judge=user)
        | Q(pk__in=CourtSession.clerks.through.objects.filter(user=user).values("courtsession")),
        program__in=programs_of(user),
    )
    return {"sessions": _upcoming(user, sessions)}


def coordinator_panel(user: User) -> dict:
    """A coordinator's court panel: warrant requests waiting in each program they coordinate,
    and the next court sessions (the soonest with their docket's colours, like the bench's)."""
    programs = list(programs_coordinated_by(user))
    waiting = dict(
        Warrant.objects.filter(enrollment__program__in=programs, state=WarrantState.REQUESTED)
        .order_by()
        .values_list("enrollment__program")
        .annotate(count=Count("pk"))
    )
    return {
        "programs": [
            {"program": program, "warrant_requests": waiting.get(program.pk, 0)}
            for program in programs
        ],
        "sessions": _upcoming(user, CourtSession.objects.filter(program__in=programs)),
    }


# --- Staffing


def staffing_entry_for(user: User, pk: int) -> DocketEntry | None:
    """A docket entry whose staffing the user reads (clients.access.reads_staffing: the
    participant's team, including treating providers, who see no other court record, and the
    session's judge and clerks); None otherwise, like one that does not exist."""
    entry = (
        DocketEntry.objects.select_related("session__program", "participant", "enrollment")
        .filter(pk=pk)
        .first()
    )
    if entry is None or not access.reads_staffing(user, entry):
        return None
    return entry


def recommendation_of(entry: DocketEntry) -> StaffingRecommendation | None:
    return (
        StaffingRecommendation.objects.select_related("option", "recorded_by")
        .filter(entry=entry)
        .first()
    )


@dataclass(frozen=True)
class Staffing:
    """What the staffing section shows `user` of a hearing: the notes and the recommendation
    (when they read staffing), their own note, and what they may write."""

    notes: list[StaffingNote]
    recommendation: StaffingRecommendation | None
    withheld: int  # providers' notes no consent covers for the user (42 CFR Part 2)
    own_note: StaffingNote | None
    writes_as: Role | None  # the role they write their note as, while staffing is open
    recommends: bool  # whether they record the recommendation, while staffing is open
    is_open: bool  # before the hearing's outcome


def staffing_of(user: User, entry: DocketEntry) -> Staffing | None:
    """The staffing of the hearing of `entry` as `user` sees it; None when they do not read
    it. Two queries (the notes with their authors, the recommendation) after the access ones."""
    if not access.reads_staffing(user, entry):
        return None
    rows = StaffingNote.objects.filter(entry=entry).select_related("author")
    if access.withholds_part2_rows(user, entry.participant, DataClass.STAFFING):
        # A provider's note is Part 2: counted, never read, without a consent.
        rows = rows.annotate(
            is_withheld=Case(
                When(access.part2_rows(user, DataClass.STAFFING), then=True),
                default=False,
                output_field=BooleanField(),
            )
        )
    notes = list(rows.order_by("written_at", "id"))
    withheld = sum(getattr(note, "is_withheld", False) for note in notes)
    notes = [note for note in notes if not getattr(note, "is_withheld", False)]
    is_open = not entry.appearance
    writes_as = access.staffing_note_role(user, entry) if is_open else None
    return Staffing(
        notes=notes,
        recommendation=recommendation_of(entry),
        withheld=withheld,
        own_note=next((note for note in notes if note.author_id == user.pk), None),
        writes_as=writes_as,
        recommends=is_open and access.recommends(user, entry),
        is_open=is_open,
    )


def staffing_section(participant: Participant, user: User) -> dict:
    """The participant page's staffing section: their hearings still to be heard whose staffing
    the user reads (the treating providers find their way to staffing here), soonest first."""
    entries = (
        DocketEntry.objects.filter(
            participant=participant,
            appearance="",
            session__held_on__gte=participant_today(participant),
        )
        .select_related("session__program")
        .order_by("session__held_on", "session__start_time", "id")
    )
    return {"hearings": [entry for entry in entries if access.reads_staffing(user, entry)]}


# --- The compliance summary (issue 16): one page per docket


@dataclass(frozen=True)
class ResponseFollowUp:
    """A response given at the participant's previous hearing and whether it was carried out:
    the community service hours worked of those ordered, an increased testing order still in
    force or ended."""

    response: CourtResponse
    service: ServiceProgress | None
    testing_in_force: bool | None  # None: no testing order
    # A curfew: its last day, whether it is still in force, and the curfew violations reported
    # to the court since the hearing that ordered it.
    curfew_until: datetime.date | None = None
    curfew_in_force: bool | None = None
    curfew_violations: int = 0

    @property
    def completed(self) -> bool | None:
        """Whether it is done: None when the response sets nothing to follow up. A curfew is
        completed once over without a violation reported to the court."""
        if self.service is not None:
            return self.service.is_complete
        if self.testing_in_force is not None:
            return not self.testing_in_force
        if self.curfew_in_force is not None:
            return not self.curfew_in_force and not self.curfew_violations
        return None


@dataclass(frozen=True)
class Suggestion:
    """What the response matrix in force on the hearing's day suggests for a behaviour after
    the participant's prior occurrences of it (their earlier responses to it in this
    enrollment); `option` is None when no rule of the matrix answers."""

    behaviour: Behaviour
    prior_occurrences: int
    option: ResponseOption | None


@dataclass(frozen=True)
class SummaryRow:
    """One docket entry on the summary, as `user` may see it. `facts` is None when the user
    sees neither the drug tests nor the attendance of the participant; the one they do not see
    is left out of the facts and of the colour (`sees_tests`, `sees_attendance`)."""

    entry: DocketEntry
    since: datetime.date
    previous: DocketEntry | None
    facts: MonitoringFacts | None
    sees_tests: bool
    sees_attendance: bool
    open_warrant: Warrant | None
    follow_ups: tuple[ResponseFollowUp, ...]
    last_phase_change: datetime.date | None
    reads_staffing: bool
    recommendation: StaffingRecommendation | None
    verdict: Verdict
    # Incidents reported to court since their date (when the user sees them), and the open
    # alerts meant for the court (COURT_ALERT_KINDS) about them.
    incidents: tuple[Incident, ...] = ()
    court_alerts: tuple[Alert, ...] = ()
    # The response matrix's suggestions, one per behaviour since their date (violations first).
    suggestions: tuple[Suggestion, ...] = ()
    # The requirements to advance from their phase (None: the user does not see their court
    # record, or they are in no phase of the list in force).
    checklist: PhaseChecklist | None = None
    # What changed since their date, besides the facts above: status changes, and alerts the
    # user sees raised or resolved.
    status_changes: tuple[EnrollmentStatusChange, ...] = ()
    alerts_raised: tuple[Alert, ...] = ()
    alerts_resolved: tuple[Alert, ...] = ()
    # The court orders and conditions in force on the hearing's day (when the user sees them).
    conditions: tuple[Condition, ...] = ()
    # The fees, fines and restitution ledger on the hearing's day (None: the user does not see
    # it).
    ledger: LedgerTotals | None = None
    # The Part 2 classes withheld from the user (42 CFR Part 2: no consent covers them): the
    # treatment-collected tests and the treatment sessions are left out of `facts`, the colour
    # and the suggestions, and the page says so in their place.
    withheld: frozenset[DataClass] = frozenset()

    @property
    def tests_withheld(self) -> bool:
        return DataClass.DRUG_TESTS in self.withheld

    @property
    def attendance_withheld(self) -> DataClass | None:
        """The class whose notice replaces the treatment sessions (None: they are shown)."""
        return DataClass.ATTENDANCE if DataClass.ATTENDANCE in self.withheld else None

    @property
    def suggestion(self) -> Suggestion | None:
        """The matrix's answer to the first behaviour it answers (violations come first)."""
        return next((s for s in self.suggestions if s.option is not None), None)

    @property
    def has_changes(self) -> bool:
        """Whether anything on the summary's defined list of changes happened since their date:
        new positives or misses, new incidents, a phase or status change, alerts raised or
        resolved."""
        tests = self.facts.drug_tests if self.facts else DrugTestFacts(since=self.since)
        missed_appointments = (
            self.facts.treatment.missed + self.facts.case_management.missed if self.facts else 0
        )
        return bool(
            tests.positives
            or tests.missed
            or tests.refused
            or missed_appointments
            or self.incidents
            or self.phase_changed_since
            or self.status_changes
            or self.alerts_raised
            or self.alerts_resolved
        )

    @property
    def colour(self) -> str:
        """green, yellow or red (the page's CSS classes)."""
        return self.verdict.colour.name.lower()

    @property
    def positives_by_substance(self) -> str:
        return _by_substance(self.facts.drug_tests.positives_by_substance if self.facts else ())

    @property
    def explained_by_substance(self) -> str:
        return _by_substance(self.facts.drug_tests.explained_by_substance if self.facts else ())

    @property
    def phase_changed_since(self) -> bool:
        """Whether the phase changed at or after their previous hearing (what changed)."""
        return self.last_phase_change is not None and self.last_phase_change >= self.since

    @property
    def days_in_phase(self) -> int | None:
        if self.last_phase_change is None:
            return None
        return (self.entry.session.held_on - self.last_phase_change).days


def _by_substance(counts: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{Substance(code).label} {count}" for code, count in counts)


def _previous_hearings(
    session: CourtSession, participant_ids: list[int], today: datetime.date
) -> dict[int, DocketEntry]:
    """Each participant's latest docket entry in the session's program before its day (one
    taken off the docket left out, and one of a session still to come, which is not a hearing
    yet: the summary of a later docket counts from the last hearing held), with the responses
    given there and what they set in motion. Two queries."""
    responses = _with_service_hours_worked(
        CourtResponse.objects.select_related("option", "testing_order", "obligation")
    ).order_by("id")
    previous = (
        DocketEntry.objects.filter(
            session__program_id=session.program_id,
            participant_id__in=participant_ids,
            session__held_on__lt=session.held_on,
            session__held_on__lte=today,
        )
        .exclude(appearance=Appearance.REMOVED)
        .select_related("session")
        .prefetch_related(Prefetch("responses", queryset=responses))
        .order_by("participant_id", "-session__held_on", "-session__start_time", "-id")
        .distinct("participant_id")
    )
    return {entry.participant_id: entry for entry in previous}


def _with_service_hours_worked(responses: QuerySet[CourtResponse]) -> QuerySet:
    """Responses with `service_hours_worked`: the hours logged against their community service
    obligation (0 without one)."""
    hours_worked = (
        CommunityServiceHours.objects.filter(obligation__response=OuterRef("pk"))
        .order_by()
        .values("obligation")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    return responses.annotate(
        service_hours_worked=Coalesce(
            Subquery(hours_worked),
            Value(0),
            output_field=DecimalField(max_digits=6, decimal_places=1),
        )
    )


def _curfew_until(response: CourtResponse) -> datetime.date | None:
    """The last day of a curfew response (None: not a curfew, or without its weeks)."""
    if response.option.effect == ResponseEffect.CURFEW and response.weeks:
        return response.given_on + datetime.timedelta(weeks=response.weeks, days=-1)
    return None


def _follow_up(
    response: CourtResponse, today: datetime.date, curfew_violations: tuple[datetime.date, ...]
) -> ResponseFollowUp:
    # A response without an obligation raises RelatedObjectDoesNotExist, an AttributeError.
    obligation = getattr(response, "obligation", None)
    service = None
    if obligation is not None:
        service = ServiceProgress(
            hours_ordered=obligation.hours_ordered,
            hours_worked=response.service_hours_worked,  # type: ignore[attr-defined]
            due_on=obligation.due_on,
        )
    order = response.testing_order
    curfew_until = _curfew_until(response)
    return ResponseFollowUp(
        response=response,
        service=service,
        testing_in_force=None if order is None else order.starts_on <= today <= order.ends_on,
        curfew_until=curfew_until,
        curfew_in_force=None if curfew_until is None else today <= curfew_until,
        curfew_violations=sum(response.given_on <= day <= curfew_until for day in curfew_violations)
        if curfew_until
        else 0,
    )


def _hidden(facts: MonitoringFacts, *, tests: bool, attendance: bool) -> MonitoringFacts:
    """`facts` without the parts the user may not see (so the colour says nothing of them)."""
    return replace(
        facts,
        drug_tests=facts.drug_tests if tests else DrugTestFacts(since=facts.since),
        treatment=facts.treatment if attendance else Attendance(since=facts.since),
        case_management=facts.case_management if attendance else Attendance(since=facts.since),
        sobriety=facts.sobriety if tests else Sobriety(),
    )


def compliance_summary(
    user: User,
    session: CourtSession,
    *,
    today: datetime.date,
    now: datetime.datetime,
    entry_pk: int | None = None,
) -> list[SummaryRow]:
    """The compliance summary of the session's docket as `user` sees it (of the one entry
    `entry_pk`, for the hearing page): for each entry they see (those taken off the docket left
    out), since the participant's previous hearing in the program (else their entry date): the
    monitoring facts their data classes allow, phase and the checklist to advance from it (when
    they see the court record), open warrant, the previous hearing's
    responses with whether they were carried out, the staffing recommendation (when they read
    staffing), the colour with its reasons, the response matrix's suggestions and what changed.

    The same number of queries for any number of entries: the entries, the previous hearings
    and their responses, the user's reach (clients.access, cached), the monitoring facts (4),
    the phase checklists (phase_checklists: up to 10), open warrants, last phase changes,
    recommendations, the bench check of staffing, incidents, alerts, status changes, conditions
    in force, the prior responses to each behaviour, the response matrix and the ledgers'
    totals."""
    entries_seen = (
        entries_visible_to(user).filter(session=session).exclude(appearance=Appearance.REMOVED)
    )
    if entry_pk is not None:
        entries_seen = entries_seen.filter(pk=entry_pk)
    entries = list(entries_seen.select_related("participant", "enrollment").order_by("id"))
    if not entries:
        return []
    for entry in entries:
        entry.session = session  # the page's session: no query per entry
    ids = [entry.participant_id for entry in entries]
    enrollment_ids = [entry.enrollment_id for entry in entries]
    program = session.program
    previous = _previous_hearings(session, ids, today)
    sees_tests = access.participants_showing(user, ids, DataClass.DRUG_TESTS, program.pk)
    sees_attendance = access.participants_showing(user, ids, DataClass.ATTENDANCE, program.pk)
    sees_court = access.participants_showing(user, ids, DataClass.COURT, program.pk)
    # 42 CFR Part 2: the treatment-collected tests and the treatment sessions no consent covers
    # for the user are left out of every figure, the colour and the suggestions.
    withheld = Withheld(
        user,
        {
            DataClass.DRUG_TESTS: _withheld_ids(user, sees_tests, DataClass.DRUG_TESTS),
            DataClass.ATTENDANCE: _withheld_ids(user, sees_attendance, DataClass.ATTENDANCE),
        },
    )
    checklists = phase_checklists(
        program,
        [entry.enrollment for entry in entries if entry.participant_id in sees_court],
        today=today,
        now=now,
        reader=user,
    )
    since = {
        entry.participant_id: (
            previous[entry.participant_id].session.held_on
            if entry.participant_id in previous
            else entry.enrollment.entry_date or entry.enrollment.referral_date
        )
        for entry in entries
    }
    earliest = min(since.values())
    monitored = {pk: day for pk, day in since.items() if pk in sees_tests | sees_attendance}
    facts = withheld.monitoring_facts(program, monitored, today=today, now=now) if monitored else {}
    warrants = {
        warrant.enrollment_id: warrant
        for warrant in Warrant.objects.filter(
            enrollment_id__in=enrollment_ids, state__in=OPEN_WARRANT_STATES
        ).order_by("enrollment_id", "-requested_on", "-id")
    }
    phase_changes = dict(
        PhaseChange.objects.filter(enrollment_id__in=enrollment_ids)
        .order_by()
        .values_list("enrollment_id")
        .annotate(last=Max("decided_on"))
    )
    readers = access.staffing_readers(user, session, entries)
    recommendations = (
        {
            recommendation.entry_id: recommendation
            for recommendation in StaffingRecommendation.objects.filter(
                entry_id__in=readers
            ).select_related("option")
        }
        if readers
        else {}
    )
    incidents = _incidents_reported(user, program, since, today)
    alerts = _alerts_since(user, program, since)
    status_changes: dict[int, list[EnrollmentStatusChange]] = {}
    for change in EnrollmentStatusChange.objects.filter(
        enrollment_id__in=enrollment_ids, effective_date__gte=earliest
    ).order_by("effective_date", "id"):
        status_changes.setdefault(change.enrollment_id, []).append(change)
    conditions = _conditions_in_force(user, session, entries)
    prior = _prior_responses(entries, session.held_on)
    rules = response_matrix_in_force(program, session.held_on)
    ledgers = _ledgers_seen(user, session, entries)
    rows = []
    for entry in entries:
        pk = entry.participant_id
        before = previous.get(pk)
        reported = incidents.get(pk, ())
        curfew_violations = _days_of(reported, IncidentCategory.CURFEW_VIOLATION)
        follow_ups = (
            tuple(_follow_up(r, today, curfew_violations) for r in before.responses.all())
            if before
            else ()
        )
        shown = (
            _hidden(facts[pk], tests=pk in sees_tests, attendance=pk in sees_attendance)
            if pk in facts
            else None
        )
        checklist = checklists.get(entry.enrollment_id)
        court = CourtFacts(
            open_warrant=entry.enrollment_id in warrants,
            failed_to_appear=before is not None
            and before.appearance == Appearance.FAILED_TO_APPEAR,
            new_arrests=_days_of(reported, IncidentCategory.NEW_ARREST),
            curfew_violations=curfew_violations,
            condition_violations=_days_of(reported, IncidentCategory.CONDITION_VIOLATION),
            service=tuple(f.service for f in follow_ups if f.service is not None),
            phase_requirements_met=checklist is not None and checklist.ready_to_advance,
        )
        monitoring = monitoring_verdict(shown) if shown is not None else Verdict()
        raised, resolved, for_court = alerts.get(pk, ((), (), ()))
        withheld_classes = withheld.of(pk)
        rows.append(
            SummaryRow(
                entry=entry,
                since=since[pk],
                previous=before,
                facts=shown,
                sees_tests=pk in sees_tests,
                sees_attendance=pk in sees_attendance,
                open_warrant=warrants.get(entry.enrollment_id),
                follow_ups=follow_ups,
                last_phase_change=phase_changes.get(entry.enrollment_id),
                checklist=checklist,
                reads_staffing=entry.pk in readers,
                recommendation=recommendations.get(entry.pk),
                verdict=summary_verdict(monitoring, court, today=today),
                incidents=tuple(reported),
                court_alerts=for_court,
                suggestions=_suggestions(
                    entry, _claimable(behaviours_of(shown, court), withheld_classes), prior, rules
                ),
                status_changes=tuple(
                    change
                    for change in status_changes.get(entry.enrollment_id, ())
                    if change.effective_date >= since[pk]
                ),
                alerts_raised=raised,
                alerts_resolved=resolved,
                conditions=tuple(conditions.get(entry.enrollment_id, ())),
                ledger=ledgers.get(entry.enrollment_id),
                withheld=withheld_classes,
            )
        )
    return rows


# Achievements that claim something of every test or every appointment: not claimed from the
# rows a reader may see when some are withheld from them.
WHOLE_RECORD_ACHIEVEMENTS = {
    DataClass.DRUG_TESTS: Behaviour.NEGATIVE_TESTS,
    DataClass.ATTENDANCE: Behaviour.FULL_ATTENDANCE,
}


def _claimable(
    behaviours: tuple[Behaviour, ...], withheld: frozenset[DataClass]
) -> tuple[Behaviour, ...]:
    """`behaviours` without the achievements that would speak for rows withheld (a negative
    test record or full attendance the treatment rows not covered by consent might belie)."""
    unclaimed = {WHOLE_RECORD_ACHIEVEMENTS[c] for c in withheld if c in WHOLE_RECORD_ACHIEVEMENTS}
    return tuple(behaviour for behaviour in behaviours if behaviour not in unclaimed)


def _ledgers_seen(
    user: User, session: CourtSession, entries: list[DocketEntry]
) -> dict[int, LedgerTotals]:
    """Enrollment id → its ledger's totals on the session's day, of the participants whose
    ledger the user sees. One query (after the access ones)."""
    sees = access.participants_showing(
        user, [entry.participant_id for entry in entries], DataClass.LEDGER, session.program_id
    )
    shown = [entry.enrollment_id for entry in entries if entry.participant_id in sees]
    if not shown:
        return {}
    return ledger_totals(shown, on=session.held_on)


def _conditions_in_force(
    user: User, session: CourtSession, entries: list[DocketEntry]
) -> dict[int, list[Condition]]:
    """Enrollment id → the conditions in force on the session's day, of the participants whose
    conditions the user sees. One query (after the access ones)."""
    ids = [entry.participant_id for entry in entries]
    sees = access.participants_showing(user, ids, DataClass.CONDITIONS, session.program_id)
    found: dict[int, list[Condition]] = {}
    if not sees:
        return found
    day = session.held_on
    for condition in (
        Condition.objects.filter(
            enrollment_id__in=[e.enrollment_id for e in entries if e.participant_id in sees],
            starts_on__lte=day,
        )
        .exclude(ends_on__lt=day)
        .exclude(lifted_on__lte=day)
        .order_by("starts_on", "id")
    ):
        found.setdefault(condition.enrollment_id, []).append(condition)
    return found


def _days_of(incidents, category: str) -> tuple[datetime.date, ...]:
    return tuple(incident.occurred_on for incident in incidents if incident.category == category)


def _incidents_reported(
    user: User, program: Program, since: dict[int, datetime.date], today: datetime.date
) -> dict[int, list[Incident]]:
    """The incidents reported to court from each participant's date to `today`, of those whose
    court incidents the user sees. One query (after the access ones)."""
    sees = access.participants_showing(user, list(since), DataClass.COURT_INCIDENTS, program.pk)
    incidents: dict[int, list[Incident]] = {}
    if not sees:
        return incidents
    for incident in Incident.objects.filter(
        participant_id__in=sees,
        reported_to_court=True,
        occurred_on__gte=min(since[pk] for pk in sees),
        occurred_on__lte=today,
    ).order_by("occurred_on", "id"):
        if incident.occurred_on >= since[incident.participant_id]:
            incidents.setdefault(incident.participant_id, []).append(incident)
    return incidents


def _alerts_since(
    user: User, program: Program, since: dict[int, datetime.date]
) -> dict[int, tuple[tuple[Alert, ...], tuple[Alert, ...], tuple[Alert, ...]]]:
    """For each participant, of the alerts the user sees: those raised since their date, those
    resolved since then, and the open ones meant for the court (COURT_ALERT_KINDS). Dates are
    the program's local ones. None carries Part 2 information no consent covers for the user
    (alerts_for leaves those out). One query."""
    start = datetime.datetime.combine(min(since.values()), datetime.time(), tzinfo=program.zone)
    alerts = alerts_for(user, state=None).filter(
        Q(state=AlertState.OPEN, kind__in=COURT_ALERT_KINDS)
        | Q(created_at__gte=start)
        | Q(state=AlertState.RESOLVED, updated_at__gte=start),
        participant_id__in=list(since),
    )
    read = list(alerts.order_by("created_at", "id"))
    found: dict[int, tuple[list[Alert], list[Alert], list[Alert]]] = {}
    for alert in read:
        raised, resolved, for_court = found.setdefault(alert.participant_id, ([], [], []))
        day = since[alert.participant_id]
        if program_today(program, alert.created_at) >= day:
            raised.append(alert)
        if alert.state == AlertState.RESOLVED and program_today(program, alert.updated_at) >= day:
            resolved.append(alert)
        if alert.state == AlertState.OPEN and alert.kind in COURT_ALERT_KINDS:
            for_court.append(alert)
    return {pk: (tuple(a), tuple(b), tuple(c)) for pk, (a, b, c) in found.items()}


def _prior_responses(
    entries: list[DocketEntry], before: datetime.date
) -> dict[tuple[int, str], int]:
    """(enrollment id, behaviour) → how many responses given before `before` answered it: the
    prior occurrences the response matrix counts. One query, from the participants' responses
    (court_response_participant_idx) rather than from all their docket entries."""
    return {
        (row["entry__enrollment_id"], row["behaviour"]): row["count"]
        for row in CourtResponse.objects.filter(
            participant_id__in=[entry.participant_id for entry in entries],
            entry__enrollment_id__in=[entry.enrollment_id for entry in entries],
            given_on__lt=before,
        )
        .exclude(behaviour="")
        .order_by()
        .values("entry__enrollment_id", "behaviour")
        .annotate(count=Count("pk"))
    }


def _suggestions(
    entry: DocketEntry,
    behaviours: tuple[Behaviour, ...],
    prior: dict[tuple[int, str], int],
    rules: list[ResponseRule],
) -> tuple[Suggestion, ...]:
    suggestions = []
    for behaviour in behaviours:
        occurrences = prior.get((entry.enrollment_id, behaviour), 0)
        option = suggested_response(rules, behaviour, entry.enrollment.phase, occurrences)
        suggestions.append(Suggestion(behaviour, occurrences, option))
    return tuple(suggestions)


# --- Fees, fines and restitution (issue 17)


def _sum_of(kind: str) -> Coalesce:
    return Coalesce(
        Sum("amount", filter=Q(kind=kind)),
        Value(Decimal("0.00")),
        output_field=DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES),
    )


def ledger_totals(
    enrollment_ids: Iterable[int], *, on: datetime.date | None = None
) -> dict[int, LedgerTotals]:
    """Enrollment id → its ledger's totals (on the day `on`, else with every entry), for each of
    `enrollment_ids` (zero without entries). One query, for any number of enrollments."""
    ids = list(enrollment_ids)
    entries = LedgerEntry.objects.filter(enrollment_id__in=ids)
    if on is not None:
        entries = entries.filter(entry_date__lte=on)
    rows = (
        entries.order_by()
        .values("enrollment_id")
        .annotate(
            assessed=_sum_of(LedgerEntryKind.ASSESSMENT),
            paid=_sum_of(LedgerEntryKind.PAYMENT),
            waived=_sum_of(LedgerEntryKind.WAIVER),
            unable=Count(
                "pk",
                filter=Q(kind=LedgerEntryKind.WAIVER, inability_to_pay=True, reversal__isnull=True),
            ),
        )
    )
    return {pk: LedgerTotals() for pk in ids} | {
        row["enrollment_id"]: LedgerTotals(
            assessed=row["assessed"],
            paid=row["paid"],
            waived=row["waived"],
            inability_to_pay=row["unable"] > 0,
        )
        for row in rows
    }


@dataclass(frozen=True)
class Ledger:
    """One enrollment's ledger as the participant page shows it to a user: its totals, its
    entries (newest first, each with its reversal), and what the user may record in it."""

    enrollment: Enrollment
    totals: LedgerTotals
    entries: tuple[LedgerEntry, ...]
    may_record: bool  # assessments (while the enrollment is open) and payments
    may_waive: bool
    reversible: frozenset[int]  # the pks of the entries the user may reverse


def _ledger_enrollments(participant: Participant, user: User) -> QuerySet[Enrollment]:
    """The participant's enrollments whose ledger the user sees: the open ones and those with
    entries."""
    return access.rows_of_programs_shown(
        participant.enrollments.filter(
            Q(status__in=OPEN_STATUSES) | Q(ledger_entries__isnull=False)
        ).distinct(),
        user,
        participant,
        DataClass.LEDGER,
        "program",
    ).select_related("program")


def ledger_section(participant: Participant, user: User) -> dict:
    """The participant page's ledger section: a ledger for each enrollment whose ledger the user
    sees, with what the user may record in it."""
    enrollments = list(_ledger_enrollments(participant, user).order_by("-referral_date", "-pk"))
    totals = ledger_totals(enrollment.pk for enrollment in enrollments)
    entries: dict[int, list[LedgerEntry]] = {}
    for entry in (
        LedgerEntry.objects.filter(enrollment__in=enrollments)
        .select_related("reversal", "recorded_by")
        .order_by("-entry_date", "-id")
    ):
        entries.setdefault(entry.enrollment_id, []).append(entry)
    records = access.can_change(user, participant, DataClass.LEDGER)
    ledgers = []
    for enrollment in enrollments:
        waives = access.waives_fees(user, participant, enrollment.program)
        rows = tuple(entries.get(enrollment.pk, ()))
        ledgers.append(
            Ledger(
                enrollment=enrollment,
                totals=totals[enrollment.pk],
                entries=rows,
                may_record=records,
                may_waive=waives,
                reversible=frozenset(
                    entry.pk
                    for entry in rows
                    if _reversible(entry)
                    and (waives if entry.kind == LedgerEntryKind.WAIVER else records)
                ),
            )
        )
    return {
        "ledgers": ledgers,
        "may_assess": records and any(e.is_open for e in enrollments),
        "may_pay": records and bool(enrollments),
        "may_waive": any(ledger.may_waive for ledger in ledgers),
    }


def _reversible(entry: LedgerEntry) -> bool:
    """Neither a reversal nor reversed already (`reversal` selected with it: no query)."""
    return not entry.is_reversal and not hasattr(entry, "reversal")


def ledger_enrollments(participant: Participant, user: User, *, purpose: str) -> list[Enrollment]:
    """The enrollments in whose ledger the user records for `purpose`: "assess" (open ones,
    whoever records the participant's ledger), "pay" (any with a ledger, likewise) or "waive"
    (those of the programs whose court the user sits in)."""
    enrollments = list(_ledger_enrollments(participant, user).order_by("-referral_date", "-pk"))
    if purpose == "waive":
        return [e for e in enrollments if access.waives_fees(user, participant, e.program)]
    if not access.can_change(user, participant, DataClass.LEDGER):
        return []
    if purpose == "assess":
        return [e for e in enrollments if e.is_open]
    return enrollments


def ledger_entry_for(user: User, pk: int) -> LedgerEntry | None:
    """An entry of a ledger the user sees (its receipt), or None."""
    entry = (
        LedgerEntry.objects.filter(pk=pk)
        .select_related("participant", "enrollment__program", "program", "recorded_by")
        .first()
    )
    if entry is None or not access.can_see(user, entry.participant, DataClass.LEDGER):
        return None
    programs = access.programs_showing(user, entry.participant, DataClass.LEDGER)
    if programs is not None and entry.program_id not in programs:
        return None
    return entry


def may_reverse(user: User, entry: LedgerEntry) -> bool:
    """Whether the user reverses `entry` (seen through ledger_entry_for): a waiver the court
    that waives, another entry whoever records the participant's ledger."""
    if entry.kind == LedgerEntryKind.WAIVER:
        return access.waives_fees(user, entry.participant, entry.program)
    return access.can_change(user, entry.participant, DataClass.LEDGER)


def ledger_fee_choices(enrollments: list[Enrollment]) -> list[tuple[str, str]]:
    """The fees of the schedules in force today in the enrollments' programs, as choices (the
    service takes the amount from the schedule of the enrollment's program)."""
    choices: dict[str, str] = {}
    for program in {enrollment.program for enrollment in enrollments}:
        for fee in fee_schedule_in_force(program, program_today(program)):
            choices.setdefault(fee.name, f"{fee.name} (${fee.amount:,})")
    return sorted(choices.items())


def ledger_totals_after(entry: LedgerEntry) -> LedgerTotals:
    """The totals of the entry's ledger once it was recorded (for its receipt)."""
    totals = LedgerEntry.objects.filter(
        enrollment_id=entry.enrollment_id, pk__lte=entry.pk
    ).aggregate(
        assessed=_sum_of(LedgerEntryKind.ASSESSMENT),
        paid=_sum_of(LedgerEntryKind.PAYMENT),
        waived=_sum_of(LedgerEntryKind.WAIVER),
    )
    return LedgerTotals(totals["assessed"], totals["paid"], totals["waived"])


# --- Completion: what is still open when an enrollment closes (court.completion)


def unfinished_service(enrollment: Enrollment) -> list[tuple[int, Decimal, int]]:
    """The community service ordered at the enrollment's hearings, not closed and with hours
    still to work: (obligation pk, hours worked, hours ordered)."""
    return list(
        CommunityServiceObligation.objects.filter(
            response__entry__enrollment=enrollment, closed_on__isnull=True
        )
        .annotate(worked=Coalesce(Sum("hours_worked__hours"), Value(Decimal(0))))
        .filter(worked__lt=F("hours_ordered"))
        .order_by("created_at", "pk")
        .values_list("pk", "worked", "hours_ordered")
    )


def testing_orders_in_force(enrollment: Enrollment, today: datetime.date) -> QuerySet[TestingOrder]:
    """The court testing orders of the enrollment's program still in force on `today` or
    later."""
    return TestingOrder.objects.filter(
        participant=enrollment.participant_id, program=enrollment.program_id, ends_on__gte=today
    ).order_by("starts_on", "pk")


def conditions_not_over(enrollment: Enrollment, today: datetime.date) -> QuerySet[Condition]:
    """The enrollment's conditions still in force on `today` or later (not lifted, not
    ended)."""
    return (
        Condition.objects.filter(enrollment=enrollment, lifted_on__isnull=True)
        .exclude(ends_on__lt=today)
        .order_by("starts_on", "pk")
    )


def future_hearings(enrollment: Enrollment, now: datetime.datetime) -> QuerySet[DocketEntry]:
    """The enrollment's hearings still to come at `now`, without an outcome."""
    return DocketEntry.objects.filter(
        enrollment=enrollment, appearance="", appointment__scheduled_at__gt=now
    ).order_by("pk")


def closable_enrollment(user: User, pk: int) -> Enrollment | None:
    """An admitted enrollment (active or absconded) of a program the user coordinates; None
    otherwise."""
    return (
        Enrollment.objects.filter(
            pk=pk,
            program__in=programs_coordinated_by(user),
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED],
        )
        .select_related("participant", "program")
        .first()
    )
