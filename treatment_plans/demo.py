"""Demo referrals and service episodes for `seed_demo`, after the clients and assessments demos
(the participants' lifecycle, case managers and ASAM assessments are taken as they are).

Every admitted demo participant was referred to Harbor Light Recovery Services by their case
manager a few days after entry, for the service their ASAM level of care calls for. Harbor
Light accepted a day or two later (opening the service episode), booked the intake a few days
on, and the participant attended it: the loop is closed (engaged). Whoever entered in the last
few days is still waiting for an answer; whoever left the program (or absconded) before the
loop could close was never referred. The episodes of those who graduated, were terminated,
withdrew or were discharged are discharged (completed, against advice, administratively or
transferred, with a summary) by their exit date, and those of long-absconded participants a
few weeks after they absconded.

A few active participants have a second referral, for another service, in each open state
(two sent this week, two sent three weeks ago and still unanswered, so past the engagement
limit, two accepted, two with the intake booked for the coming days) and two declined.

Written in bulk with every field as the services fill it (sent_at, auto_now_add, corrected
after the insert and kept out of the history), and the provider organization's access
granted for every active episode exactly as `referral_accept` grants it, so access_reconcile
finds no drift. Deterministic (a fixed random seed for a given day) and idempotent (skipped
once the demo participants have referrals)."""

import datetime
import itertools
import random
from dataclasses import dataclass

import pgtrigger
from django.db import transaction
from django.utils import timezone

from assessments.models import AsamAssessment
from clients import access
from clients.demo import CASE_PREFIX, Clock
from clients.models import (
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    CaseAssignment,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    TeamRole,
)
from drugcourt.audit import audited_write
from drugcourt.demo import ORGANIZATIONS
from drugcourt.models import Organization, Program, User
from drugcourt.program_groups import organization_group
from drugcourt.roles import Role

from .models import DischargeReason, Referral, ReferralState, ServiceEpisode, Urgency

AGENCY_NAME = ORGANIZATIONS["agency"][0]  # Harbor Light Recovery Services

SENT_AFTER_ENTRY_DAYS = (1, 4)
ACCEPTED_AFTER_DAYS = (1, 2)
INTAKE_AFTER_ACCEPTANCE_DAYS = (2, 6)
INTAKE_MINUTES = 60
RECORDED_AFTER_INTAKE_MINUTES = (5, 60)
OFFICE_TIMES = ((9, 10), (9, 45), (10, 30), (11, 15), (13, 0), (14, 20), (15, 40))
INTAKE_TIMES = ((10, 0), (13, 30), (15, 0))
INTAKE_LOCATION = "Harbor Light Recovery Services, intake office"
# A participant who absconded this long ago was discharged by the provider (after outreach).
ABSCONDED_DISCHARGE_AFTER_DAYS = (14, 30)
# Second referrals go to participants whose first loop closed at least this long ago.
SECOND_REFERRAL_AFTER_DAYS = 45

# The service the ASAM level of care calls for: (requested service, urgency).
IOP = "Intensive outpatient (IOP), 3 sessions a week"
SERVICE_FOR_LEVEL = {
    "1": ("Outpatient counselling, weekly", Urgency.ROUTINE),
    "1.5": ("Outpatient counselling, weekly", Urgency.ROUTINE),
    "2.1": (IOP, Urgency.ROUTINE),
    "2.5": ("Partial hospitalization, 5 days a week, then IOP", Urgency.URGENT),
    "3.1": ("Recovery residence with IOP groups (ASAM 3.1)", Urgency.URGENT),
    "3.5": ("Residential treatment (ASAM 3.5), then step-down to IOP", Urgency.URGENT),
    "3.7": ("Medically monitored inpatient treatment (ASAM 3.7)", Urgency.URGENT),
}
MOUD = ("Medication for opioid use disorder, with IOP groups", Urgency.URGENT)

# Second referrals: (state, sent days ago, requested service, reason, decline reason).
SECOND_REFERRALS = (
    (
        ReferralState.SENT,
        1,
        "Medication for opioid use disorder",
        "Reports strong opioid cravings since a friend's overdose; wants to start buprenorphine.",
        "",
    ),
    (
        ReferralState.SENT,
        3,
        "Trauma-focused counselling, weekly",
        "Nightmares and panic since an assault last year came up in IOP groups; the group "
        "counselor recommends trauma-focused work.",
        "",
    ),
    (
        ReferralState.SENT,
        22,
        "Family counselling, every other week",
        "Conflict at home is the main relapse trigger; the partner is willing to take part.",
        "",
    ),
    (
        ReferralState.SENT,
        27,
        "Psychiatric evaluation and medication management",
        "Low mood for months despite steady attendance; PHQ-9 rising. Asks for an evaluation.",
        "",
    ),
    (
        ReferralState.ACCEPTED,
        5,
        "Relapse prevention group, weekly",
        "Finished IOP; a weekly group to keep the gains while working full time.",
        "",
    ),
    (
        ReferralState.ACCEPTED,
        8,
        "Medication for opioid use disorder",
        "Positive test for fentanyl after eight months clean; agrees to start medication.",
        "",
    ),
    (
        ReferralState.INTAKE_SCHEDULED,
        6,
        "Trauma-focused counselling, weekly",
        "Disclosed childhood abuse in a session; wants to work on it with a specialist.",
        "",
    ),
    (
        ReferralState.INTAKE_SCHEDULED,
        10,
        "Psychiatric evaluation and medication management",
        "Panic attacks at work; stopped the old prescription a year ago and asks to restart.",
        "",
    ),
    (
        ReferralState.DECLINED,
        12,
        "Residential treatment, 28 days",
        "Two relapses this month despite IOP; the team recommends a step up to residential care.",
        "No opening for residential care this month; on the waiting list for the 1st.",
    ),
    (
        ReferralState.DECLINED,
        33,
        "Psychiatric evaluation and medication management",
        "Poor sleep and low mood since the move; no prescriber yet.",
        "No psychiatrist here is taking new patients until spring; please refer to Lakeview "
        "Behavioral Health.",
    ),
)
SECOND_SHARED_INFORMATION = "Name, date of birth and phone; current treatment at Harbor Light."

# How the episodes of participants who left ended, by status: (reason, summary) in turn.
DISCHARGES = {
    EnrollmentStatus.GRADUATED: (
        (
            DischargeReason.COMPLETED,
            "Completed treatment: attended {attended} of {sessions} sessions, negative tests "
            "for the last {clean} days. Continuing care: the weekly alumni group and a sponsor.",
        ),
    ),
    EnrollmentStatus.TERMINATED: (
        (
            DischargeReason.LEFT_AGAINST_ADVICE,
            "Stopped attending groups; three outreach calls and a letter went unanswered. "
            "Discharged against advice; welcome to return.",
        ),
        (
            DischargeReason.ADMINISTRATIVE,
            "Discharged when the court ended drug court participation; attended {attended} of "
            "{sessions} sessions. Referred to the jail's treatment program.",
        ),
    ),
    EnrollmentStatus.WITHDRAWN: (
        (
            DischargeReason.ADMINISTRATIVE,
            "Left the drug court program and chose not to continue treatment here; attended "
            "{attended} of {sessions} sessions.",
        ),
    ),
    EnrollmentStatus.NEUTRAL_DISCHARGE: (
        (
            DischargeReason.TRANSFERRED,
            "Moved out of state for family reasons; with the participant's consent, records sent "
            "to a provider near the family, where the intake is booked.",
        ),
    ),
    EnrollmentStatus.ABSCONDED: (
        (
            DischargeReason.LEFT_AGAINST_ADVICE,
            "No attendance since the warrant; outreach calls and a letter went unanswered. "
            "Discharged against advice; will re-admit on a new referral.",
        ),
    ),
}


@dataclass(frozen=True)
class DemoCase:
    enrollment: Enrollment
    manager: User
    absconded: datetime.date | None
    asam: AsamAssessment | None

    @property
    def left_on(self) -> datetime.date | None:
        """The last day the participant took part: the exit or the absconding."""
        return self.enrollment.exit_date or self.absconded


@dataclass
class Planned:
    """One referral with its intake appointment and episode, before they are written."""

    case: DemoCase
    referral: Referral
    sent_at: datetime.datetime
    intake: Appointment | None = None
    intake_booked_at: datetime.datetime | None = None  # the intake's created_at
    episode: ServiceEpisode | None = None


@transaction.atomic
def seed_demo_referrals(program: Program, staff: dict[str, User]) -> None:
    enrollments = Enrollment.objects.filter(
        program=program, case_number__startswith=CASE_PREFIX, entry_date__isnull=False
    )
    if (
        not enrollments.exists()
        or Referral.objects.filter(participant__in=enrollments.values("participant")).exists()
    ):
        return
    rng = random.Random(2029)  # noqa: S311  (demo data, not security)
    clock = Clock(program.zone, timezone.now())
    provider = staff["provider"]
    agency = Organization.objects.get(name=AGENCY_NAME)
    cases = _demo_cases(enrollments)
    planned = []
    discharges = {status: itertools.cycle(steps) for status, steps in DISCHARGES.items()}
    for case in cases:
        first = _first_referral(case, agency, provider, clock, rng)
        if first is None:
            continue
        if first.episode is not None:
            _discharge(first, discharges, provider, clock, rng)
        planned.append(first)
    planned += _second_referrals(planned, agency, provider, clock, rng)
    _write(planned, provider)
    _grant_provider_access(planned, agency, provider)


def _demo_cases(enrollments) -> list[DemoCase]:
    participants = enrollments.values("participant")
    managers = {
        assignment.participant_id: assignment.user
        for assignment in CaseAssignment.objects.filter(
            participant__in=participants, team_role=TeamRole.CASE_MANAGER, ended_on=None
        ).select_related("user")
    }
    absconded = dict(
        EnrollmentStatusChange.objects.filter(
            enrollment__in=enrollments.filter(status=EnrollmentStatus.ABSCONDED),
            to_status=EnrollmentStatus.ABSCONDED,
        ).values_list("enrollment", "effective_date")
    )
    asams = {}
    for asam in AsamAssessment.objects.filter(participant__in=participants).order_by(
        "assessed_on", "id"
    ):
        asams.setdefault(asam.participant_id, asam)
    return [
        DemoCase(
            enrollment=enrollment,
            manager=managers[enrollment.participant_id],
            absconded=absconded.get(enrollment.pk),
            asam=asams.get(enrollment.participant_id),
        )
        for enrollment in enrollments.select_related("participant").order_by("case_number")
    ]


# The first referral: to treatment, a few days after entry


def _first_referral(
    case: DemoCase, agency: Organization, provider: User, clock: Clock, rng: random.Random
) -> Planned | None:
    """As far as the loop has come by now; none if the participant left before it closed."""
    entry = case.enrollment.entry_date
    sent_day = min(_weekday_from(entry + _days(rng, SENT_AFTER_ENTRY_DAYS)), clock.today)
    accepted_day = _weekday_from(sent_day + _days(rng, ACCEPTED_AFTER_DAYS))
    intake_day = _weekday_from(accepted_day + _days(rng, INTAKE_AFTER_ACCEPTANCE_DAYS))
    sent_at = min(clock.at(sent_day, *rng.choice(OFFICE_TIMES)), clock.now)
    accepted_at = clock.at(accepted_day, *rng.choice(OFFICE_TIMES))
    intake_at = clock.at(intake_day, *rng.choice(INTAKE_TIMES))
    recorded_at = intake_at + datetime.timedelta(
        minutes=INTAKE_MINUTES + rng.randint(*RECORDED_AFTER_INTAKE_MINUTES)
    )
    left_on = case.left_on
    if left_on is not None and (recorded_at > clock.now or recorded_at.date() > left_on):
        return None
    service, urgency = _service(case)
    referral = Referral(
        participant_id=case.enrollment.participant_id,
        provider=agency,
        requested_service=service,
        reason=_reason(case),
        urgency=urgency,
        shared_information=(
            "Name, date of birth and phone; the charges; the ASAM assessment and level of care; "
            f"case manager {case.manager.get_full_name()} ({case.manager.email})."
        ),
        state=ReferralState.SENT,
        sent_by=case.manager,
    )
    planned = Planned(case, referral, sent_at)
    if accepted_at > clock.now:
        return planned
    _accept(planned, provider, accepted_at)
    planned.intake, planned.intake_booked_at = _intake(case, provider, intake_at), accepted_at
    referral.state = ReferralState.INTAKE_SCHEDULED
    if recorded_at <= clock.now:
        planned.intake.outcome = AppointmentOutcome.ATTENDED
        planned.intake.outcome_recorded_at = recorded_at
        planned.intake.outcome_recorded_by = provider
        referral.state, referral.engaged_at = ReferralState.ENGAGED, recorded_at
    return planned


def _service(case: DemoCase) -> tuple[str, str]:
    """What the ASAM level of care calls for (medication when opioid use was noted)."""
    if case.asam is None:
        return IOP, Urgency.ROUTINE
    if any("opioid" in rating["notes"] for rating in case.asam.ratings):
        return MOUD
    return SERVICE_FOR_LEVEL.get(case.asam.level_of_care, (IOP, Urgency.ROUTINE))


def _reason(case: DemoCase) -> str:
    admitted = f"Admitted to drug court on {case.enrollment.entry_date:%B %-d, %Y}."
    if case.asam is None:
        return f"{admitted} Substance use disorder; treatment is a condition of participation."
    return (
        f"{admitted} ASAM assessment of {case.asam.assessed_on:%B %-d}: {case.asam.justification}"
    )


def _accept(planned: Planned, provider: User, accepted_at: datetime.datetime) -> None:
    """As referral_accept: answered by the provider, the episode opened that day."""
    referral = planned.referral
    referral.state = ReferralState.ACCEPTED
    referral.responded_by, referral.responded_at = provider, accepted_at
    planned.episode = ServiceEpisode(
        referral=referral,
        participant_id=referral.participant_id,
        provider=referral.provider,
        started_on=accepted_at.date(),
    )


def _intake(case: DemoCase, provider: User, scheduled_at: datetime.datetime) -> Appointment:
    """As referral_schedule_intake books it: a treatment appointment with the provider."""
    return Appointment(
        participant_id=case.enrollment.participant_id,
        kind=AppointmentKind.TREATMENT,
        scheduled_at=scheduled_at,
        duration_minutes=INTAKE_MINUTES,
        location=INTAKE_LOCATION,
        with_whom=f"{AGENCY_NAME} intake",
        staff=provider,
        created_by=provider,
    )


def _discharge(planned: Planned, discharges, provider: User, clock: Clock, rng) -> None:
    """Ends the episodes of participants who left, by their exit (and of those who absconded
    weeks ago); the rest stay active."""
    case, episode = planned.case, planned.episode
    status = case.enrollment.status
    if status not in DISCHARGES:
        return
    reason, summary = next(discharges[status])
    if status == EnrollmentStatus.ABSCONDED:
        day = case.absconded + _days(rng, ABSCONDED_DISCHARGE_AFTER_DAYS)
        if day > clock.today:
            return
    elif reason == DischargeReason.COMPLETED:
        day = case.enrollment.exit_date - _days(rng, (0, 14))
    elif reason == DischargeReason.LEFT_AGAINST_ADVICE:
        day = case.enrollment.exit_date - _days(rng, (7, 21))
    else:
        day = case.enrollment.exit_date
    # Not before the intake, which was attended.
    day = max(day, planned.intake.scheduled_at.date())
    weeks = max(1, (day - episode.started_on).days // 7)
    sessions = weeks * 3
    episode.discharged_on, episode.discharge_reason = day, reason
    episode.discharge_summary = summary.format(
        sessions=sessions,
        attended=sessions - rng.randint(0, max(1, sessions // 8)),
        clean=rng.randint(60, 120),
    )
    episode.discharged_by = provider


# Second referrals: one in each open state (twice) and two declined, for active participants


def _second_referrals(
    planned: list[Planned], agency: Organization, provider: User, clock: Clock, rng
) -> list[Planned]:
    settled = clock.today - datetime.timedelta(days=SECOND_REFERRAL_AFTER_DAYS)
    eligible = [
        first
        for first in planned
        if first.case.enrollment.status == EnrollmentStatus.ACTIVE
        and first.referral.state == ReferralState.ENGAGED
        and first.intake.scheduled_at.date() <= settled
    ]
    chosen = rng.sample(eligible, min(len(SECOND_REFERRALS), len(eligible)))
    seconds = []
    for first, (state, days_ago, service, reason, declined) in zip(
        chosen, SECOND_REFERRALS, strict=False
    ):
        case = first.case
        sent_day = _weekday_before(clock.today - datetime.timedelta(days=days_ago))
        answered_day = _weekday_from(sent_day + _days(rng, ACCEPTED_AFTER_DAYS))
        referral = Referral(
            participant_id=case.enrollment.participant_id,
            provider=agency,
            requested_service=service,
            reason=reason,
            urgency=Urgency.ROUTINE,
            shared_information=SECOND_SHARED_INFORMATION,
            state=ReferralState.SENT,
            sent_by=case.manager,
        )
        second = Planned(case, referral, clock.at(sent_day, *rng.choice(OFFICE_TIMES)))
        answered_at = min(clock.at(answered_day, *rng.choice(OFFICE_TIMES)), clock.now)
        if state == ReferralState.DECLINED:
            referral.state, referral.decline_reason = state, declined
            referral.responded_by, referral.responded_at = provider, answered_at
        elif state in (ReferralState.ACCEPTED, ReferralState.INTAKE_SCHEDULED):
            _accept(second, provider, answered_at)
        if state == ReferralState.INTAKE_SCHEDULED:
            intake_day = _weekday_from(clock.today + _days(rng, INTAKE_AFTER_ACCEPTANCE_DAYS))
            intake_at = clock.at(intake_day, *rng.choice(INTAKE_TIMES))
            second.intake, second.intake_booked_at = _intake(case, provider, intake_at), answered_at
            referral.state = state
        seconds.append(second)
    return seconds


# Writing


def _write(planned: list[Planned], provider: User) -> None:
    intakes = [row.intake for row in planned if row.intake is not None]
    with audited_write(provider):
        Appointment.objects.bulk_create(intakes)
    for row in planned:
        row.referral.intake_appointment = row.intake
    for manager in dict.fromkeys(row.case.manager for row in planned):
        with audited_write(manager):
            Referral.objects.bulk_create(
                row.referral for row in planned if row.case.manager == manager
            )
    referrals = [row.referral for row in planned]
    for row in planned:
        row.referral.sent_at = row.sent_at
        if row.intake is not None:
            row.intake.created_at = row.intake_booked_at
    # sent_at and created_at are set on insert; the seed's correction is not a change, so it is
    # kept out of the history.
    with pgtrigger.ignore("treatment_plans.Referral:update_update"):
        Referral.objects.bulk_update(referrals, ["sent_at"])
    Appointment.objects.bulk_update(intakes, ["created_at"])
    with audited_write(provider):
        ServiceEpisode.objects.bulk_create(row.episode for row in planned if row.episode)


def _grant_provider_access(planned: list[Planned], agency: Organization, provider: User) -> None:
    """As referral_accept grants it: the agency's group reaches every participant with an
    active episode (discharged ones were revoked by episode_discharge)."""
    group = organization_group(agency)
    participants = {
        row.case.enrollment.participant_id: row.case.enrollment.participant
        for row in planned
        if row.episode is not None and row.episode.discharged_on is None
    }
    with audited_write(provider):
        for participant in participants.values():
            access.grant_participant(group, participant, Role.TREATMENT_PROVIDER)


def _days(rng: random.Random, bounds: tuple[int, int]) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(*bounds))


def _weekday_from(day: datetime.date) -> datetime.date:
    """The day itself, or the Monday after a weekend."""
    if day.weekday() > 4:
        return day + datetime.timedelta(days=7 - day.weekday())
    return day


def _weekday_before(day: datetime.date) -> datetime.date:
    """The day itself, or the Friday before a weekend."""
    if day.weekday() > 4:
        return day - datetime.timedelta(days=day.weekday() - 4)
    return day
