"""Court selectors."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Least

from assessments.models import RiskNeedAssessment
from clients import access
from clients.models import CaseAssignment, Enrollment, EnrollmentStatus, Participant, TeamRole
from drugcourt.models import Phase, Program, ProgramSettings, ResponseCategory, User
from drugcourt.roles import Role
from drugcourt.selectors import program_today

from .models import (
    OPEN_WARRANT_STATES,
    Appearance,
    CourtResponse,
    CourtSession,
    DocketEntry,
    Warrant,
)

# --- Decisions (hearing frequency)

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


# --- Hearings

# The program-wide court roles that may change a participant's court record: they sit in (the
# judge) or act for (a clerk) the program's court. Whose hearings they record is narrower
# (clients.access.acts_for_session).
BENCH_ROLES = frozenset({Role.JUDGE, Role.CLERK})


def sits_in(user: User, program: Program) -> bool:
    """Whether `user` is a judge or clerk of the program's court (active, a member): who issues
    and recalls its warrants."""
    return (
        user.is_active
        and bool(BENCH_ROLES & set(user.roles))
        and user.memberships.filter(program=program).exists()
    )


def may_request_warrant(user: User, program: Program) -> bool:
    """The program's coordinators and its court (judge, clerks) request warrants and record
    that one was served."""
    return access.coordinates(user, program) or sits_in(user, program)


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
