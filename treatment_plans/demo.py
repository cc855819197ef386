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
once the demo participants have referrals).

Then every admitted participant gets a treatment plan signed by their case manager a few days
after entry (about ten a version 2 after a review rewrote version 1), whose objectives answer
every open need but one or two deferred ones, the needs then addressed or deferred as
plan_activate leaves them; reviews every 90 days (a few overdue or due this week); and the
provider's monthly progress reports on the last full months of every episode. Skipped once the
demo participants have plans."""

import datetime
import itertools
import random
from dataclasses import dataclass

import pgtrigger
from django.db import transaction
from django.utils import timezone

from assessments.models import AsamAssessment, Need, NeedStatus
from clients import access
from clients.demo import CASE_PREFIX, Clock, demo_case_managers
from clients.models import (
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
)
from drugcourt.audit import audited_write
from drugcourt.demo import ORGANIZATIONS
from drugcourt.models import Organization, Program, User
from drugcourt.program_groups import organization_group
from drugcourt.roles import Role

from .models import (
    PLAN_REVIEW_INTERVAL_DAYS,
    DischargeReason,
    Engagement,
    Goal,
    NeedDeferral,
    Objective,
    ObjectiveProgress,
    PlannedService,
    PlanReview,
    PlanStatus,
    ProgressReport,
    Referral,
    ReferralState,
    ServiceEpisode,
    TreatmentPlan,
    Urgency,
)

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

# Second referrals: (state, sent days ago, requested service, reason, decline or withdraw
# reason).
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
    (
        ReferralState.WITHDRAWN,
        30,
        "Anger management group, weekly",
        "Two arguments at work ended in warnings; wants help before it costs the job.",
        "Missed the intake; the employer's program covers the same group, so the case manager "
        "withdrew the referral.",
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


def seed_demo_referrals(program: Program, staff: dict[str, User]) -> None:
    """The demo step: referrals and episodes, then treatment plans and progress reports (each
    skipped once written)."""
    _seed_referrals(program, staff)
    seed_demo_plans(program, staff)


@transaction.atomic
def _seed_referrals(program: Program, staff: dict[str, User]) -> None:
    enrollments = Enrollment.objects.filter(
        program=program, case_number__startswith=CASE_PREFIX, entry_date__isnull=False
    )
    if (
        not enrollments.exists()
        or Referral.objects.filter(participant__in=enrollments.values("participant")).exists()
    ):
        return
    rng = random.Random(2029)  # noqa: S311  (demo data, not security)
    clock = Clock(program, timezone.now())
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
    managers = demo_case_managers(participants)
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
        organization=provider.organization,
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
        elif state in (
            ReferralState.ACCEPTED,
            ReferralState.INTAKE_SCHEDULED,
            ReferralState.WITHDRAWN,
        ):
            _accept(second, provider, answered_at)
        if state == ReferralState.INTAKE_SCHEDULED:
            intake_day = _weekday_from(clock.today + _days(rng, INTAKE_AFTER_ACCEPTANCE_DAYS))
            intake_at = clock.at(intake_day, *rng.choice(INTAKE_TIMES))
            second.intake, second.intake_booked_at = _intake(case, provider, intake_at), answered_at
            referral.state = state
        if state == ReferralState.WITHDRAWN:
            _withdraw(second, declined, provider, answered_day, clock, rng)
        seconds.append(second)
    return seconds


def _withdraw(planned, reason: str, provider: User, answered_day, clock: Clock, rng) -> None:
    """As referral_withdraw after a missed intake: the intake a few days after acceptance was
    missed, and a week later the case manager withdrew the referral; the episode is
    discharged as administrative."""
    intake_day = _weekday_from(answered_day + datetime.timedelta(days=3))
    intake_at = clock.at(intake_day, *rng.choice(INTAKE_TIMES))
    intake = _intake(planned.case, provider, intake_at)
    intake.outcome, intake.outcome_recorded_at = AppointmentOutcome.MISSED, intake_at
    intake.outcome_recorded_by = provider
    planned.intake, planned.intake_booked_at = intake, planned.referral.responded_at
    planned.referral.state, planned.referral.withdraw_reason = ReferralState.WITHDRAWN, reason
    episode = planned.episode
    episode.discharged_on = min(intake_day + datetime.timedelta(days=7), clock.today)
    episode.discharge_reason = DischargeReason.ADMINISTRATIVE
    episode.discharge_summary = f"Referral withdrawn: {reason}"
    episode.discharged_by = planned.case.manager


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


# ---------------------------------------------------------------------------------------------
# Treatment plans and progress reports

# The plan is signed a few days after entry, once the assessment's needs are known.
PLAN_AFTER_ENTRY_DAYS = (3, 10)
DRAFT_BEFORE_SIGNING_DAYS = (1, 3)
# Reviews are recorded on the due date or up to this many days before it.
REVIEW_EARLY_DAYS = (0, 10)
REVISED_PLANS = 10  # participants with a superseded version 1 and an active version 2
NEW_VERSION_AFTER_REVIEW_DAYS = (1, 4)
OVERDUE_REVIEWS = 3  # active participants whose last review was not recorded in time
DUE_SOON_REVIEWS = 2  # and whose review falls due in the coming days
DEFERRALS = 2
REPORT_MONTHS = 4  # the last full months of each episode a provider reported on

RECOVERY_GOALS = (
    (
        "I want to stay clean and be there for my kids.",
        "Sustained abstinence from alcohol and drugs; build relapse-prevention skills.",
    ),
    (
        "I don't want to end up back in jail because of using.",
        "Abstinence and full compliance with treatment and testing; reduce recidivism risk.",
    ),
    (
        "I want my life back, without needing to get high to get through the day.",
        "Remission of substance use disorder; coping skills for cravings and stress.",
    ),
    (
        "Stay sober one day at a time and keep my family's trust.",
        "Sustained abstinence; engagement in treatment and a recovery support network.",
    ),
)
# The treatment service the referral asked for, as a planned service: (service, frequency).
TREATMENT_SERVICES = {
    IOP: ("Intensive outpatient program (IOP)", "3 sessions a week"),
    "Outpatient counselling, weekly": ("Individual counselling", "Weekly"),
    "Partial hospitalization, 5 days a week, then IOP": (
        "Partial hospitalization, then IOP",
        "5 days a week, then 3 sessions a week",
    ),
    "Recovery residence with IOP groups (ASAM 3.1)": (
        "Recovery residence with IOP groups",
        "Residence daily; 3 groups a week",
    ),
    "Residential treatment (ASAM 3.5), then step-down to IOP": (
        "Residential treatment, then step-down to IOP",
        "Daily, then 3 sessions a week",
    ),
    "Medically monitored inpatient treatment (ASAM 3.7)": (
        "Medically monitored inpatient treatment",
        "Daily",
    ),
}
MOUD_SERVICE = ("Medication for opioid use disorder (buprenorphine)", "Daily dose; weekly visit")
COUNSELLING = ("Individual counselling", "Weekly")
TESTING = ("Random drug testing (color line)", "2 to 3 times a week")
RELAPSE_GROUP = ("Relapse prevention group", "Weekly")

# What a plan does about a need, by domain: (participant's words, clinical terms, objective,
# (service, frequency, by the treatment agency) ...).
NEED_PLANS = {
    "housing": (
        "I need a safe place to live that isn't around people using.",
        "Stable, substance-free housing.",
        "Move into a recovery residence or other stable, substance-free housing; address "
        "verified by the case manager.",
        (("Recovery residence placement (application and deposit assistance)", "Weekly", False),),
    ),
    "mental_health": (
        "I want to stop feeling so down and on edge all the time.",
        "Co-occurring depression and anxiety: evaluation and treatment.",
        "Complete a psychiatric evaluation and attend at least 3 of 4 monthly medication visits; "
        "PHQ-9 below 10 by the target date.",
        (
            ("Psychiatric evaluation and medication management", "Monthly", True),
            ("Individual counselling (CBT)", "Weekly", True),
        ),
    ),
    "employment": (
        "I want a steady job so I can pay my own way.",
        "Stable, lawful employment.",
        "Register with the county workforce center and submit at least 5 job applications a "
        "week until employed; pay stubs verified.",
        (("Job readiness and placement, county workforce center", "Weekly", False),),
    ),
    "education": (
        "Get a certificate so I can get a better job.",
        "Vocational training.",
        "Enroll in a job-training certificate program and attend every class for 8 weeks.",
        (("Vocational counselling", "Every other week", False),),
    ),
    "transportation": (
        "Get to treatment and testing without begging for rides.",
        "Reliable transportation to treatment and testing.",
        "Obtain a monthly bus pass; miss no session or test for lack of transport for 8 weeks.",
        (("Bus pass (program transportation assistance)", "Monthly", False),),
    ),
    "benefits": (
        "Get insurance so my treatment gets paid for.",
        "Health coverage (Medicaid enrollment).",
        "Submit a Medicaid application within 30 days; coverage confirmed by the target date.",
        (("Benefits enrollment assistance", "Two appointments", False),),
    ),
    "legal": (
        "Get my license back.",
        "Resolve the license suspension and outstanding fines.",
        "Set up a payment plan for the unpaid fines and apply for license reinstatement.",
        (("Legal aid clinic", "As scheduled", False),),
    ),
    "medical": (
        "See a doctor and get my teeth fixed.",
        "Primary and dental care.",
        "Establish care with a primary care doctor and attend a dental appointment.",
        (("Primary care, community health center", "Initial visit, then as needed", False),),
    ),
    "family": (
        "Fix things at home so we stop fighting.",
        "Family conflict as a relapse trigger; family involvement in recovery.",
        "Attend family counselling with the partner at least twice a month for 3 months.",
        (("Family counselling", "Every other week", True),),
    ),
    "childcare": (
        "Have someone to watch my kids while I'm at group.",
        "Childcare during treatment hours.",
        "Arrange approved childcare covering every IOP session within 30 days.",
        (("Childcare subsidy application", "Once", False),),
    ),
}
DEFERRABLE = {
    "education": "Waits until IOP is completed; class hours clash with the groups.",
    "employment": "The job search waits until phase 2; treatment and housing come first.",
    "legal": "The fines wait until the participant is employed; no hearing is pending.",
    "transportation": "Family drives to treatment for now; revisit at the first review.",
    "medical": "Not urgent; revisit at the first review once treatment is steady.",
    "benefits": "Treatment is covered by the drug court grant for now; revisit at review.",
    "childcare": "The children stay with the grandmother during groups for now.",
}
REVIEW_NOTES = (
    "Reviewed with the participant at the staffing; steady progress, plan continues.",
    "Reviewed with the participant and the Harbor Light counselor; plan continues as written.",
    "Quarterly review: attendance good, some objectives still open; targets kept.",
    "Reviewed with the participant; one slip discussed, objectives kept.",
)
REVISION_NOTE = (
    "Reviewed with the participant; objectives past their target date rewritten in a new "
    "version of the plan."
)
REPORT_TEXTS = {
    "engaged": (
        "Attended {attended} of {sessions} scheduled sessions; all drug tests negative.",
        (
            "Participates actively in groups and completes the assignments. Identifies triggers "
            "and uses the coping plan; cravings reported as rare.",
            "Engaged and open in sessions; has started to share in group and to support peers. "
            "Working on a relapse-prevention plan for the holidays.",
            "Consistent attendance and honest check-ins. Reports better sleep and mood; "
            "practising refusal skills at work.",
        ),
        (
            "Continue the current level of care.",
            "Continue as planned; consider step-down to weekly outpatient next month.",
            "Continue treatment; no change recommended.",
        ),
    ),
    "partly": (
        "Attended {attended} of {sessions} scheduled sessions; {missed} unexcused absences and "
        "one positive test (alcohol).",
        (
            "Attends most sessions but arrives late and shares little. Admits to drinking at a "
            "family gathering; ambivalent about the goals.",
            "Engagement uneven this month: missed sessions during a housing move. Motivation "
            "fair; cravings increased under stress.",
        ),
        (
            "Continue IOP with an added individual session a week; the team may want to discuss "
            "attendance at the next staffing.",
            "Continue treatment; review the relapse-prevention plan with the case manager.",
        ),
    ),
    "not_engaged": (
        "Attended {attended} of {sessions} scheduled sessions; outreach calls unanswered.",
        (
            "Stopped attending in the second week; not reachable by phone. No clinical contact "
            "since the last group attended.",
            "Minimal engagement; left two groups early and missed the rest. Reports use and "
            "does not want to change treatment now.",
        ),
        (
            "Recommend the team address non-attendance; re-engagement session offered.",
            "Recommend a higher level of care if the participant returns.",
        ),
    ),
}


@dataclass
class PlanDraft:
    """One plan version with its contents and reviews, before they are written."""

    case: DemoCase
    plan: TreatmentPlan
    goals: list[tuple[Goal, list[tuple[Objective, list[PlannedService]]]]]
    deferrals: list[NeedDeferral]
    reviews: list[datetime.date]
    revised_at_last_review: bool = False

    @property
    def objectives(self) -> list[Objective]:
        return [objective for _, rows in self.goals for objective, _ in rows]


@transaction.atomic
def seed_demo_plans(program: Program, staff: dict[str, User]) -> None:
    enrollments = Enrollment.objects.filter(
        program=program, case_number__startswith=CASE_PREFIX, entry_date__isnull=False
    )
    participants = enrollments.values("participant")
    if (
        not enrollments.exists()
        or TreatmentPlan.objects.filter(participant__in=participants).exists()
    ):
        return
    rng = random.Random(2031)  # noqa: S311  (demo data, not security)
    clock = Clock(program, timezone.now())
    agency = Organization.objects.get(name=AGENCY_NAME)
    cases = _demo_cases(enrollments)
    needs: dict[int, list[Need]] = {}
    for need in Need.objects.filter(participant__in=participants, status=NeedStatus.OPEN).order_by(
        "identified_on", "id"
    ):
        needs.setdefault(need.participant_id, []).append(need)
    deferred = _deferred_needs(cases, needs, rng)
    drafts = []
    for case in cases:
        draft = _first_plan(
            case, needs.get(case.enrollment.participant_id, []), deferred, agency, clock, rng
        )
        draft.reviews = _review_days(draft.plan.starts_on, _plan_end(case, clock), rng)
        drafts.append(draft)
    drafts += _revise(drafts, clock, rng)
    _late_reviews(drafts, clock, rng)
    _write_plans(drafts, needs, clock, rng)
    _write_progress_reports(enrollments, staff["provider"], clock, rng)


def _plan_end(case: DemoCase, clock: Clock) -> datetime.date:
    return min(case.left_on or clock.today, clock.today)


def _deferred_needs(cases: list[DemoCase], needs: dict[int, list[Need]], rng) -> set[int]:
    """One or two needs that can wait, of participants with others to work on."""
    candidates = []
    for case in cases:
        rows = needs.get(case.enrollment.participant_id, [])
        waiting = [need for need in rows if need.domain in DEFERRABLE and need.priority != "high"]
        if len(rows) > 1 and waiting:
            candidates.append(waiting[-1])
    return {need.pk for need in rng.sample(candidates, min(DEFERRALS, len(candidates)))}


def _first_plan(
    case: DemoCase, needs: list[Need], deferred: set[int], agency, clock: Clock, rng
) -> PlanDraft:
    entry = case.enrollment.entry_date
    starts_on = min(
        _weekday_from(entry + _days(rng, PLAN_AFTER_ENTRY_DAYS)), _plan_end(case, clock)
    )
    plan = _plan(case, 1, starts_on, clock, rng)
    words, terms = rng.choice(RECOVERY_GOALS)
    service, _ = _service(case)
    treatment = (
        [MOUD_SERVICE, TREATMENT_SERVICES[IOP]]
        if service == MOUD[0]
        else [TREATMENT_SERVICES.get(service, TREATMENT_SERVICES[IOP])]
    )
    if len(treatment) == 1 and rng.random() < 0.5:
        treatment.append(COUNSELLING)
    recovery = [
        (
            Objective(
                description="Attend at least 90% of scheduled treatment sessions for 12 weeks, "
                "verified by Harbor Light attendance records.",
                target_date=starts_on + datetime.timedelta(days=84),
            ),
            [_planned(name, frequency, agency, starts_on) for name, frequency in treatment],
        )
    ]
    if rng.random() < 0.6:
        recovery.append(
            (
                Objective(
                    description="Provide negative drug tests for 60 consecutive days.",
                    target_date=starts_on + _days(rng, (75, 100)),
                ),
                [
                    _planned(*TESTING, None, starts_on),
                    *([_planned(*RELAPSE_GROUP, agency, starts_on)] if rng.random() < 0.5 else []),
                ],
            )
        )
    goals = [(Goal(plan=plan, participant_words=words, clinical_terms=terms), recovery)]
    answered = [need for need in needs if need.pk not in deferred]
    # One goal per need, the third need sharing the second's goal (at most three goals).
    groups = [answered[:1], answered[1:]] if len(answered) == 3 else [[need] for need in answered]
    for group in filter(None, groups):
        words, terms, _, _ = NEED_PLANS[group[0].domain]
        rows = []
        for need in group:
            _, _, description, services = NEED_PLANS[need.domain]
            rows.append(
                (
                    Objective(
                        description=description,
                        target_date=starts_on + _days(rng, (30, 120)),
                        need=need,
                    ),
                    [
                        _planned(name, frequency, agency if ours else None, starts_on)
                        for name, frequency, ours in services
                    ],
                )
            )
        goals.append((Goal(plan=plan, participant_words=words, clinical_terms=terms), rows))
    deferrals = [
        NeedDeferral(plan=plan, need=need, reason=DEFERRABLE[need.domain])
        for need in needs
        if need.pk in deferred
    ]
    return PlanDraft(case, plan, goals, deferrals, [])


def _plan(
    case: DemoCase,
    version: int,
    starts_on: datetime.date,
    clock: Clock,
    rng,
    not_before: datetime.date | None = None,
) -> TreatmentPlan:
    """Signed by the case manager on the day it starts (or a day or two before, not before
    the review that asked for it), the participant acknowledging it at the signing."""
    not_before = not_before or case.enrollment.entry_date
    signed_on = max(starts_on - _days(rng, (0, 2)), not_before)
    signed_at = min(clock.at(signed_on, *rng.choice(OFFICE_TIMES)), clock.now)
    plan = TreatmentPlan(
        participant_id=case.enrollment.participant_id,
        version=version,
        status=PlanStatus.ACTIVE,
        starts_on=starts_on,
        acknowledged_on=clock.day_of(signed_at),
        signed_by=case.manager,
        signed_at=signed_at,
        created_by=case.manager,
    )
    plan.created_at = max(
        signed_at - _days(rng, DRAFT_BEFORE_SIGNING_DAYS),
        min(clock.at(not_before, 8), signed_at),
    )
    return plan


def _planned(service: str, frequency: str, provider, starts_on: datetime.date) -> PlannedService:
    return PlannedService(
        service=service, frequency=frequency, provider=provider, starts_on=starts_on
    )


def _review_days(starts_on: datetime.date, end: datetime.date, rng) -> list[datetime.date]:
    """Every 90 days from the start (a few days early at times), up to the end."""
    days, anchor = [], starts_on
    while (due := anchor + datetime.timedelta(days=PLAN_REVIEW_INTERVAL_DAYS)) <= end:
        anchor = _weekday_before(due - _days(rng, REVIEW_EARLY_DAYS))
        days.append(anchor)
    return days


def _revise(drafts: list[PlanDraft], clock: Clock, rng) -> list[PlanDraft]:
    """About ten plans were rewritten at a review: version 1 is superseded by a version 2
    starting days later, with the objectives past their target date given new ones."""
    eligible = [
        draft
        for draft in drafts
        if draft.reviews
        and draft.reviews[0] + datetime.timedelta(days=NEW_VERSION_AFTER_REVIEW_DAYS[1])
        <= _plan_end(draft.case, clock)
    ]
    revised = []
    for first in rng.sample(eligible, min(REVISED_PLANS, len(eligible))):
        case = first.case
        at = rng.randrange(len(first.reviews))
        latest = _plan_end(case, clock) - datetime.timedelta(days=NEW_VERSION_AFTER_REVIEW_DAYS[1])
        while first.reviews[at] > latest:
            at -= 1
        first.reviews = first.reviews[: at + 1]
        first.revised_at_last_review = True
        first.plan.status = PlanStatus.SUPERSEDED
        starts_on = min(
            _weekday_from(first.reviews[-1] + _days(rng, NEW_VERSION_AFTER_REVIEW_DAYS)),
            _plan_end(case, clock),
        )
        plan = _plan(case, 2, starts_on, clock, rng, not_before=first.reviews[-1])
        goals = []
        for goal, rows in first.goals:
            copy = Goal(
                plan=plan,
                participant_words=goal.participant_words,
                clinical_terms=goal.clinical_terms,
            )
            new_rows = []
            for objective, services in rows:
                target = objective.target_date
                if target <= starts_on + datetime.timedelta(days=14):
                    target = starts_on + _days(rng, (45, 120))
                new_rows.append(
                    (
                        Objective(
                            description=objective.description,
                            target_date=target,
                            need=objective.need,
                        ),
                        [
                            _planned(
                                service.service, service.frequency, service.provider, starts_on
                            )
                            for service in services
                        ],
                    )
                )
            goals.append((copy, new_rows))
        deferrals = [
            NeedDeferral(plan=plan, need=deferral.need, reason=deferral.reason)
            for deferral in first.deferrals
        ]
        second = PlanDraft(case, plan, goals, deferrals, [])
        second.reviews = _review_days(starts_on, _plan_end(case, clock), rng)
        revised.append(second)
    return revised


def _late_reviews(drafts: list[PlanDraft], clock: Clock, rng) -> None:
    """A few active participants' reviews are overdue (the last one not recorded) and a few
    fall due in the coming week, so the daily sweep has work."""
    today = clock.today
    in_force = [
        draft
        for draft in drafts
        if draft.plan.status == PlanStatus.ACTIVE
        and draft.case.enrollment.status == EnrollmentStatus.ACTIVE
        and draft.reviews
    ]
    overdue = rng.sample(in_force, min(OVERDUE_REVIEWS, len(in_force)))
    for draft in overdue:
        draft.reviews.pop()
    due_soon = []
    for draft in in_force:
        if draft in overdue or len(due_soon) == DUE_SOON_REVIEWS:
            continue
        shifted = _weekday_before(
            today - datetime.timedelta(days=PLAN_REVIEW_INTERVAL_DAYS - rng.randint(2, 6))
        )
        previous = draft.reviews[-2] if len(draft.reviews) > 1 else draft.plan.starts_on
        if shifted >= previous + datetime.timedelta(days=45):
            draft.reviews[-1] = shifted
            due_soon.append(draft)


def _progress(draft: PlanDraft, day: datetime.date, revising: bool, rng) -> dict[str, str]:
    struggling = draft.case.enrollment.status in (
        EnrollmentStatus.TERMINATED,
        EnrollmentStatus.ABSCONDED,
    )
    progress = {}
    for objective in draft.objectives:
        if revising and objective.target_date <= day + datetime.timedelta(days=30):
            value = ObjectiveProgress.REVISED
        elif objective.target_date <= day:
            value = rng.choices(
                (
                    ObjectiveProgress.MET,
                    ObjectiveProgress.NOT_PROGRESSING,
                    ObjectiveProgress.REVISED,
                ),
                (3, 3, 1) if struggling else (8, 1, 1),
            )[0]
        else:
            value = rng.choices(
                (ObjectiveProgress.PROGRESSING, ObjectiveProgress.NOT_PROGRESSING),
                (1, 1) if struggling else (5, 1),
            )[0]
        progress[str(objective.pk)] = value
    return progress


def _write_plans(drafts: list[PlanDraft], needs: dict[int, list[Need]], clock: Clock, rng) -> None:
    for draft in drafts:
        plan = draft.plan
        last = draft.reviews[-1] if draft.reviews else plan.starts_on
        plan.review_due_on = last + datetime.timedelta(days=PLAN_REVIEW_INTERVAL_DAYS)
    plans = [draft.plan for draft in drafts]
    created = {id(plan): plan.created_at for plan in plans}
    managers = dict.fromkeys(draft.case.manager for draft in drafts)
    for manager in managers:
        with audited_write(manager):
            TreatmentPlan.objects.bulk_create(
                draft.plan for draft in drafts if draft.case.manager == manager
            )
    goals = [goal for draft in drafts for goal, _ in draft.goals]
    Goal.objects.bulk_create(goals)
    rows = [row for draft in drafts for _, rows in draft.goals for row in rows]
    for draft in drafts:
        for goal, goal_rows in draft.goals:
            for objective, services in goal_rows:
                objective.goal = goal
                for service in services:
                    service.objective = objective
    Objective.objects.bulk_create(objective for objective, _ in rows)
    PlannedService.objects.bulk_create(service for _, services in rows for service in services)
    NeedDeferral.objects.bulk_create(deferral for draft in drafts for deferral in draft.deferrals)
    for manager in managers:
        reviews = [
            PlanReview(
                plan=draft.plan,
                reviewed_on=day,
                reviewed_by=manager,
                progress=_progress(
                    draft, day, draft.revised_at_last_review and day == draft.reviews[-1], rng
                ),
                note=REVISION_NOTE
                if draft.revised_at_last_review and day == draft.reviews[-1]
                else rng.choice(REVIEW_NOTES),
            )
            for draft in drafts
            if draft.case.manager == manager
            for day in draft.reviews
        ]
        mine = {
            draft.case.enrollment.participant_id
            for draft in drafts
            if draft.case.manager == manager
        }
        addressed = {
            objective.need_id
            for draft in drafts
            if draft.case.manager == manager
            for objective in draft.objectives
            if objective.need_id
        }
        deferred = {
            deferral.need_id
            for draft in drafts
            if draft.case.manager == manager
            for deferral in draft.deferrals
        } - addressed
        with audited_write(manager):
            PlanReview.objects.bulk_create(reviews)
            # As plan_activate: the needs the plan answers are addressed, the others deferred.
            open_needs = Need.objects.filter(participant__in=mine, status=NeedStatus.OPEN)
            open_needs.filter(pk__in=addressed).update(status=NeedStatus.ADDRESSED)
            open_needs.filter(pk__in=deferred).update(status=NeedStatus.DEFERRED)
    for plan in plans:
        plan.created_at = created[id(plan)]
    # created_at is set on insert; the seed's correction is not a change of the plan.
    with pgtrigger.ignore("treatment_plans.TreatmentPlan:update_update"):
        TreatmentPlan.objects.bulk_update(plans, ["created_at"])


def _write_progress_reports(enrollments, provider: User, clock: Clock, rng) -> None:
    """The provider's monthly reports on every episode: the last full months, at most four."""
    statuses = dict(enrollments.values_list("participant", "status"))
    reports = []
    episodes = ServiceEpisode.objects.filter(participant__in=statuses).select_related("referral")
    for episode in episodes.order_by("pk"):
        months = _full_months(episode.started_on, episode.discharged_on or clock.today)
        months = months[-REPORT_MONTHS:]
        struggling = episode.discharge_reason == DischargeReason.LEFT_AGAINST_ADVICE or statuses[
            episode.participant_id
        ] in (EnrollmentStatus.TERMINATED, EnrollmentStatus.ABSCONDED)
        sessions = _monthly_sessions(episode.referral.requested_service)
        for index, month in enumerate(months):
            from_end = len(months) - index
            if struggling and from_end == 1:
                engagement = Engagement.NOT_ENGAGED
            elif (struggling and from_end == 2) or rng.random() < 0.15:
                engagement = Engagement.PARTLY
            else:
                engagement = Engagement.ENGAGED
            attended = {
                Engagement.ENGAGED: sessions - rng.randint(0, 1),
                Engagement.PARTLY: round(sessions * rng.uniform(0.55, 0.8)),
                Engagement.NOT_ENGAGED: rng.randint(0, max(1, sessions // 4)),
            }[engagement]
            attendance, progress, recommendation = REPORT_TEXTS[engagement]
            written = clock.at(
                _weekday_from(_next_month(month) + _days(rng, (1, 6))), *rng.choice(OFFICE_TIMES)
            )
            if episode.discharged_on is not None:
                written = min(written, clock.at(episode.discharged_on, 16, 30))
            report = ProgressReport(
                episode=episode,
                month=month,
                engagement=engagement,
                attendance_summary=attendance.format(
                    attended=attended, sessions=sessions, missed=sessions - attended
                ),
                clinical_progress=rng.choice(progress),
                recommendation=rng.choice(recommendation),
                written_by=provider,
            )
            report.written = min(written, clock.now)
            reports.append(report)
    with audited_write(provider):
        ProgressReport.objects.bulk_create(reports)
    for report in reports:
        report.written_at = report.written
    # written_at is set on insert; the seed's correction is not a change of the report.
    with pgtrigger.ignore("treatment_plans.ProgressReport:update_update"):
        ProgressReport.objects.bulk_update(reports, ["written_at"])


def _full_months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months wholly within start..end."""
    month = start if start.day == 1 else _next_month(start)
    months = []
    while _next_month(month) - datetime.timedelta(days=1) <= end:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _monthly_sessions(service: str) -> int:
    service = service.lower()
    if "every other week" in service:
        return 2
    if "weekly" in service and "iop" not in service:
        return 4
    if "5 days" in service or "residential" in service or "inpatient" in service:
        return 20
    return 13
