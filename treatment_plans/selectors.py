"""Reads of referrals and service episodes."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
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
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from assessments.models import Need, NeedStatus
from clients import access
from clients.access import DataClass
from clients.models import OPEN_STATUSES, AppointmentOutcome, Enrollment, Participant
from drugcourt.models import Organization, ProgramSettings, User
from drugcourt.program_groups import organization_group_name
from drugcourt.roles import Role
from drugcourt.selectors import program_today_sql

from .models import (
    ENGAGEMENT_LIMIT_DAYS,
    OPEN_REFERRAL_STATES,
    PLAN_REVIEW_NOTICE_DAYS,
    DischargeReason,
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

# Alerts about a referral name it so (the referral sweep).
REFERRAL_ALERT_SOURCE = "referral"
# Alerts about a service episode (services.DISCHARGE_DUE_ALERT) are keyed "episode:<pk>".
EPISODE_ALERT_SOURCE = "episode"


def is_agency_staff(user: User, organization_id: int) -> bool:
    """The user works for this treatment agency as a provider: who answers its referrals,
    reports on its episodes and may discharge them."""
    return user.has_role(Role.TREATMENT_PROVIDER) and user.organization_id == organization_id


def referrals_of(user: User, participant: Participant) -> QuerySet[Referral]:
    """The participant's referrals the user may see: a provider only their own agency's (with
    its episode); another agency's reason, decline and discharge are not theirs to read."""
    referrals = Referral.objects.filter(participant=participant).select_related(
        "provider", "sent_by", "episode"
    )
    if access.agency_rows_only(user, participant, DataClass.PLAN_SUMMARY):
        referrals = referrals.filter(provider_id=user.organization_id)
    return with_engagement_limit(referrals)


def provider_referrals(user: User) -> QuerySet[Referral]:
    """Referrals addressed to the user's treatment agency: the referral packet only, which the
    provider reads before it reaches the participant (DESIGN.md, role table)."""
    if not (user.has_role(Role.TREATMENT_PROVIDER) and user.organization_id):
        return Referral.objects.none()
    referrals = (
        Referral.objects.filter(provider_id=user.organization_id)
        .select_related("participant", "sent_by", "intake_appointment", "episode")
        .order_by("-sent_at", "-pk")
    )
    return with_engagement_limit(referrals)


def active_episode_rows():
    """Access rows the active episodes call for (an access source of clients.access)."""
    groups = dict(Group.objects.filter(name__startswith="organization:").values_list("name", "pk"))
    active = ServiceEpisode.objects.filter(discharged_on__isnull=True).values_list(
        "provider_id", "participant_id"
    )
    for provider_id, participant_id in active:
        group_pk = groups.get(organization_group_name(provider_id))
        if group_pk is not None:
            yield ("group", group_pk, participant_id, Role.TREATMENT_PROVIDER)


def referral_for(user: User, pk: int, *, page: bool = False) -> Referral | None:
    """A referral the user may open: one addressed to their agency (the packet), or one of a
    participant whose plan they may see (through a role other than provider: another agency's
    referrals are not a provider's to read). For the referral's own page (`page`), one no
    consent covers raises access.WithheldError (the page says so); an action answers None."""
    referral = provider_referrals(user).filter(pk=pk).first()
    if referral is not None:
        return referral
    referral = (
        Referral.objects.select_related("participant", "provider", "sent_by", "intake_appointment")
        .filter(pk=pk, participant__in=access.participants_visible_to(user))
        .first()
    )
    if referral is None:
        return None
    if access.agency_rows_only(user, referral.participant, DataClass.PLAN_SUMMARY):
        return None  # their own agency's came from provider_referrals above
    sees = access.sees_or_withheld if page else access.can_see
    return referral if sees(user, referral.participant, DataClass.PLAN_SUMMARY) else None


# What the court view leaves out of a referral and its episode (clinical referral text).
REFERRAL_CLINICAL_FIELDS = ("reason", "shared_information", "decline_reason")
EPISODE_CLINICAL_FIELDS = ("discharge_summary",)


@dataclass(frozen=True)
class EpisodeDates:
    pk: int
    started_on: datetime.date
    discharged_on: datetime.date | None
    discharge_reason: str

    def get_discharge_reason_display(self) -> str:
        return DischargeReason(self.discharge_reason).label if self.discharge_reason else ""


@dataclass(frozen=True)
class ReferralSummary:
    """A referral as the court view reads it: that it exists, to which provider and kind of
    service, its state and dates. It has no reason, packet, decline reason or discharge summary
    to give (they are not even read from the database)."""

    pk: int
    participant: Participant
    participant_id: int
    provider: Organization
    provider_id: int
    requested_service: str
    urgency: str
    state: str
    sent_at: datetime.datetime
    sent_by: User
    days_open: int
    is_overdue: bool
    intake_appointment: Any
    episode: EpisodeDates | None

    def get_urgency_display(self) -> str:
        return Urgency(self.urgency).label

    def get_state_display(self) -> str:
        return ReferralState(self.state).label


def sees_clinical_text(user: User, participant: Participant, provider_id: int) -> bool:
    """Whether the user reads a referral's clinical text: the agency it is addressed to, and
    those who see the participant's treatment detail."""
    return is_agency_staff(user, provider_id) or access.can_see(
        user, participant, DataClass.TREATMENT_DETAIL
    )


def referral_to_read(user: User, pk: int) -> Referral | ReferralSummary | None:
    """The referral page's read: the whole referral for those who read its clinical text, a
    ReferralSummary (read without the clinical columns) for everyone else who may open it."""
    referral = referral_for(user, pk, page=True)
    if referral is None or sees_clinical_text(user, referral.participant, referral.provider_id):
        return referral
    row = (
        with_engagement_limit(Referral.objects.filter(pk=pk))
        .select_related("participant", "provider", "sent_by", "intake_appointment")
        .defer(*REFERRAL_CLINICAL_FIELDS)
        .get()
    )
    episode = (
        ServiceEpisode.objects.filter(referral=row)
        .values("pk", "started_on", "discharged_on", "discharge_reason")
        .first()
    )
    return ReferralSummary(
        pk=row.pk,
        participant=row.participant,
        participant_id=row.participant_id,
        provider=row.provider,
        provider_id=row.provider_id,
        requested_service=row.requested_service,
        urgency=row.urgency,
        state=row.state,
        sent_at=row.sent_at,
        sent_by=row.sent_by,
        days_open=row.days_open,
        is_overdue=row.is_overdue,
        intake_appointment=row.intake_appointment,
        episode=EpisodeDates(**episode) if episode else None,
    )


def episode_for(user: User, pk: int) -> ServiceEpisode | None:
    """An active episode the user may discharge: their agency's, or one of a participant whose
    plan they may change."""
    episode = (
        ServiceEpisode.objects.select_related("participant", "provider")
        .filter(pk=pk, discharged_on__isnull=True)
        .first()
    )
    if episode is None or not may_discharge(user, episode.participant, episode.provider_id):
        return None
    return episode


def may_discharge(user: User, participant: Participant, provider_id: int) -> bool:
    """Whether the user may discharge the participant's episode at this provider: the agency's
    own staff, or someone who may change the participant's plan (the discharge button asks the
    same as the discharge page and service)."""
    return is_agency_staff(user, provider_id) or access.can_change(
        user, participant, DataClass.PLAN_SUMMARY
    )


def referrals_section(participant: Participant, user: User) -> dict:
    return {
        "referrals": referrals_of(user, participant),
        "may_refer": access.can_change(user, participant, DataClass.PLAN_SUMMARY),
    }


def program_setting(field: str, now: datetime.datetime) -> Subquery:
    """A settings value in force at `now` (on the program's own local date) for the current
    program of the row's participant (a subquery over OuterRef("participant"), for set-based
    sweeps and lists)."""
    current_program = (
        Enrollment.objects.filter(participant=OuterRef(OuterRef("participant")))
        .order_by("-referral_date", "-id")
        .values("program")[:1]
    )
    return Subquery(
        ProgramSettings.objects.filter(
            program=Subquery(current_program),
            effective_from__lte=program_today_sql("program__time_zone", now),
        )
        .order_by("-effective_from")
        .values(field)[:1]
    )


def current_program_today(now: datetime.datetime) -> Cast:
    """The local date at `now` in the current program of the row's participant (SQL over
    OuterRef("participant")): each row gets its own program's day."""
    return program_today_sql(
        Subquery(
            Enrollment.objects.filter(participant=OuterRef("participant"))
            .order_by("-referral_date", "-id")
            .values("program__time_zone")[:1]
        ),
        now,
    )


def in_program_now(rows: QuerySet) -> QuerySet:
    """Keeps rows whose participant's current enrollment is open: sweeps skip people who left."""
    current_status = (
        Enrollment.objects.filter(participant=OuterRef("participant"))
        .order_by("-referral_date", "-id")
        .values("status")[:1]
    )
    return rows.annotate(current_status=Subquery(current_status)).filter(
        current_status__in=sorted(OPEN_STATUSES)
    )


# An intake that did not happen leaves the loop open: the case manager books a new one or
# withdraws the referral.
INTAKE_NOT_HELD = (AppointmentOutcome.MISSED, AppointmentOutcome.EXCUSED)


def intake_not_held(referral: "Referral | ReferralSummary") -> bool:
    """The referral waits on an intake that was missed or excused."""
    intake = referral.intake_appointment
    return (
        referral.state == ReferralState.INTAKE_SCHEDULED
        and intake is not None
        and intake.outcome in INTAKE_NOT_HELD
    )


def may_reschedule_or_withdraw(user: User, referral: "Referral | ReferralSummary") -> bool:
    return intake_not_held(referral) and access.can_change(
        user, referral.participant, DataClass.PLAN_SUMMARY
    )


def with_engagement_limit(
    referrals: QuerySet[Referral], now: datetime.datetime | None = None
) -> QuerySet[Referral]:
    """Adds `limit_days`: after how many days the referral counts as not engaged (default 14),
    as the program's settings in force at `now` (default: now) say."""
    return referrals.annotate(
        limit_days=Coalesce(
            program_setting("referral_engagement_days", now or timezone.now()),
            Value(ENGAGEMENT_LIMIT_DAYS),
        )
    )


def referrals_not_engaged(now: datetime.datetime) -> QuerySet[Referral]:
    """Open referrals older than their program's limit: what the referral sweep alerts on."""
    since_limit = ExpressionWrapper(
        Value(now) - Func(F("limit_days"), template="make_interval(days => %(expressions)s)"),
        output_field=DateTimeField(),
    )
    open_referrals = in_program_now(Referral.objects.filter(state__in=OPEN_REFERRAL_STATES))
    # A rescheduled intake starts the loop again (Referral.loop_started_at); sent_at stays in
    # the filter for the partial index on open referrals (a reschedule is always later).
    loop_open_too_long = Q(intake_rescheduled_at__isnull=True) | Q(
        intake_rescheduled_at__lt=since_limit
    )
    return with_engagement_limit(open_referrals, now).filter(
        loop_open_too_long, sent_at__lt=since_limit
    )


def plans_of(participant: Participant) -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.filter(participant=participant).select_related("signed_by")


def plan_for(user: User, pk: int, *, change: bool = False) -> TreatmentPlan | None:
    """A plan of a participant whose plan the user may see (or change), with its goals,
    objectives and services. Which need an objective answers is assessment detail: it is read
    only for those who see that (the court view reads the goals, not the needs)."""
    plan = (
        TreatmentPlan.objects.select_related("participant", "signed_by")
        .filter(pk=pk, participant__in=access.participants_visible_to(user))
        .first()
    )
    # Its page says when no consent covers it (access.WithheldError); a change answers None.
    allowed = access.can_change if change else access.sees_or_withheld
    if plan is None or not allowed(user, plan.participant, DataClass.PLAN_SUMMARY):
        return None
    objectives = Objective.objects.prefetch_related(
        Prefetch("services", queryset=PlannedService.objects.select_related("provider"))
    )
    if access.can_see(user, plan.participant, DataClass.ASSESSMENT_DETAIL):
        objectives = objectives.select_related("need")
    else:
        objectives = objectives.defer("need")
    prefetch_related_objects(
        [plan],
        Prefetch(
            "goals", queryset=Goal.objects.prefetch_related(Prefetch("objectives", objectives))
        ),
    )
    return plan


def plan_needs(user: User, plan: TreatmentPlan) -> dict:
    """The needs the plan answers or defers and the reasons for deferring: assessment detail.
    None (not read) for the court view, which sees the plan's goals only."""
    if not access.can_see(user, plan.participant, DataClass.ASSESSMENT_DETAIL):
        return {"needs": None, "deferrals": None}
    deferrals = list(NeedDeferral.objects.filter(plan=plan).select_related("need"))
    return {"needs": needs_to_answer(plan, deferrals), "deferrals": deferrals}


def needs_to_answer(plan: TreatmentPlan, deferrals: list[NeedDeferral]) -> list:
    """Open needs of the participant, each with whether this plan answers or defers it."""
    answered = {
        objective.need_id for goal in plan.goals.all() for objective in goal.objectives.all()
    }
    deferred = {deferral.need_id for deferral in deferrals}
    return [
        (need, need.pk in answered, need.pk in deferred)
        for need in Need.objects.filter(participant=plan.participant, status=NeedStatus.OPEN)
    ]


def plan_section(participant: Participant, user: User) -> dict:
    return {
        "active": plans_of(participant).filter(status="active").prefetch_related("goals").first(),
        "draft": plans_of(participant).filter(status="draft").first(),
        "may_plan": access.can_change(user, participant, DataClass.PLAN_SUMMARY),
    }


def plans_due_for_review(now: datetime.datetime) -> QuerySet[TreatmentPlan]:
    """Plans in force whose review falls due within the program's notice (or is overdue), on
    each program's own local date at `now`."""
    notice = Coalesce(
        program_setting("plan_review_notice_days", now), Value(PLAN_REVIEW_NOTICE_DAYS)
    )
    plans = TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE, review_due_on__isnull=False)
    return (
        in_program_now(plans)
        .annotate(notice_days=notice, program_today=current_program_today(now))
        .filter(
            review_due_on__lte=ExpressionWrapper(
                F("program_today") + F("notice_days"), output_field=DateField()
            )
        )
    )


def progress_reports_of(user: User, participant: Participant) -> QuerySet[ProgressReport]:
    """The participant's progress reports the user may read: a provider only their own
    agency's."""
    reports = ProgressReport.objects.filter(episode__participant=participant)
    if access.agency_rows_only(user, participant, DataClass.PROGRESS_REPORTS):
        reports = reports.filter(episode__provider_id=user.organization_id)
    return reports.select_related("episode__provider", "written_by")


def treatment_section(participant: Participant, user: User) -> dict:
    return {"reports": progress_reports_of(user, participant)[:6]}


@dataclass(frozen=True)
class ObjectivesMet:
    """Of the objectives of a participant's plan in force, how many its latest review recorded
    met (`reviewed_on` None: never reviewed, so none counts met)."""

    met: int
    total: int
    reviewed_on: datetime.date | None

    @property
    def percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


def objectives_met_of(participant_ids: list[int]) -> dict[int, ObjectivesMet]:
    """participant id → ObjectivesMet of their plan in force (none in force: left out). One
    query for any number of participants."""
    latest_review = PlanReview.objects.filter(plan=OuterRef("pk")).order_by("-reviewed_on", "-id")
    objectives = (
        Objective.objects.filter(goal__plan=OuterRef("pk"))
        .order_by()
        .values("goal__plan")
        .annotate(count=Count("pk"))
        .values("count")
    )
    plans = (
        TreatmentPlan.objects.filter(participant_id__in=participant_ids, status=PlanStatus.ACTIVE)
        .annotate(
            objective_count=Coalesce(Subquery(objectives, output_field=IntegerField()), Value(0)),
            reviewed_on=Subquery(latest_review.values("reviewed_on")[:1]),
            progress=Subquery(latest_review.values("progress")[:1]),
        )
        .values("participant_id", "objective_count", "reviewed_on", "progress")
    )
    return {
        plan["participant_id"]: ObjectivesMet(
            met=sum(
                progress == ObjectiveProgress.MET for progress in (plan["progress"] or {}).values()
            ),
            total=plan["objective_count"],
            reviewed_on=plan["reviewed_on"],
        )
        for plan in plans
    }
