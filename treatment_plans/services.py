"""Writes for referrals and service episodes. Accepting a referral opens an episode and grants
the provider organization's group access to the participant; discharge revokes it, in the
same transaction."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from assessments.models import Need, NeedStatus
from clients import access
from clients import services as client_services
from clients.models import AlertSeverity, AppointmentKind, AppointmentOutcome, Participant
from clients.selectors import participant_today
from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import Organization, User
from drugcourt.program_groups import organization_group
from drugcourt.roles import OrganizationKind, Role

from . import selectors
from .models import (
    PLAN_REVIEW_INTERVAL_DAYS,
    REFERRAL_TRANSITIONS,
    DischargeReason,
    Goal,
    NeedDeferral,
    Objective,
    PlannedService,
    PlanReview,
    PlanStatus,
    ProgressReport,
    Referral,
    ReferralState,
    ServiceEpisode,
    TreatmentPlan,
)


def referral_send(
    *,
    participant: Participant,
    provider: Organization,
    requested_service: str,
    reason: str,
    urgency: str,
    shared_information: str,
    actor: User,
) -> Referral:
    if not access.can_change(actor, participant, access.DataClass.PLAN_SUMMARY):
        raise ValidationError("You may not refer this participant.")
    errors = {}
    if provider.kind != OrganizationKind.TREATMENT_AGENCY or not provider.is_active:
        errors["provider"] = "Refer to an active treatment provider."
    for name, value in (("requested_service", requested_service), ("reason", reason)):
        if not value.strip():
            errors[name] = "This is needed for the provider to decide."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        return Referral.objects.create(
            participant=participant,
            provider=provider,
            requested_service=requested_service.strip(),
            reason=reason.strip(),
            urgency=urgency,
            shared_information=shared_information.strip(),
            sent_by=actor,
        )


def _check_provider(actor: User, referral: Referral) -> None:
    """Only staff of the provider organization answer its referrals."""
    if not selectors.is_agency_staff(actor, referral.provider_id):
        raise ValidationError("Only the provider's staff answer this referral.")


def _move(referral: Referral, to_state: str) -> None:
    """Every state change of a referral: checked on the locked row, inside the caller's
    transaction, so a second answer to the same referral waits and is then refused."""
    lock(referral)
    if to_state not in REFERRAL_TRANSITIONS[referral.state]:
        raise ValidationError(
            f"A referral that is {referral.get_state_display().lower()} cannot become "
            f"{ReferralState(to_state).label.lower()}."
        )
    referral.state = to_state


def referral_accept(*, referral: Referral, actor: User) -> ServiceEpisode:
    """Opens the service episode and gives the provider's staff access to the participant."""
    _check_provider(actor, referral)
    with audited_write(actor):
        _move(referral, ReferralState.ACCEPTED)
        referral.responded_by, referral.responded_at = actor, timezone.now()
        referral.save(update_fields=["state", "responded_by", "responded_at"])
        episode = ServiceEpisode.objects.create(
            referral=referral,
            participant=referral.participant,
            provider=referral.provider,
            started_on=participant_today(referral.participant),
        )
        access.grant_participant(
            organization_group(referral.provider), referral.participant, Role.TREATMENT_PROVIDER
        )
        return episode


def referral_decline(*, referral: Referral, reason: str, actor: User) -> Referral:
    _check_provider(actor, referral)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the referral is declined."})
    with audited_write(actor):
        _move(referral, ReferralState.DECLINED)
        referral.decline_reason = reason.strip()
        referral.responded_by, referral.responded_at = actor, timezone.now()
        referral.save(update_fields=["state", "decline_reason", "responded_by", "responded_at"])
        return referral


def referral_schedule_intake(
    *, referral: Referral, scheduled_at: datetime.datetime, location: str, actor: User
) -> Referral:
    """The provider books the intake; it is an appointment of the participant's calendar."""
    _check_provider(actor, referral)
    with audited_write(actor):
        _move(referral, ReferralState.INTAKE_SCHEDULED)
        referral.intake_appointment = client_services.appointment_schedule(
            participant=referral.participant,
            kind=AppointmentKind.TREATMENT,
            scheduled_at=scheduled_at,
            location=location,
            with_whom=f"{referral.provider} intake",
            staff=actor,
            organization=referral.provider,
            actor=actor,
        )
        referral.save(update_fields=["state", "intake_appointment"])
        return referral


def referral_record_intake(
    *, referral: Referral, outcome: str, actor: User, reason: str = ""
) -> Referral:
    """Records the intake's attendance; attending it closes the loop (engaged)."""
    _check_provider(actor, referral)
    with audited_write(actor):
        lock(referral)  # before its appointment, as every referral write locks them
        if referral.intake_appointment is None:
            raise ValidationError("Schedule the intake first.")
        client_services.appointment_record_outcome(
            appointment=referral.intake_appointment, outcome=outcome, reason=reason, actor=actor
        )
        if outcome in (AppointmentOutcome.ATTENDED, AppointmentOutcome.LATE):
            _move(referral, ReferralState.ENGAGED)
            referral.engaged_at = timezone.now()
            referral.save(update_fields=["state", "engaged_at"])
        return referral


def _check_intake_not_held(actor: User, referral: Referral) -> None:
    """Inside the write's transaction: the referral is re-read locked, so a second reschedule
    or withdrawal of the same missed intake waits and is then refused."""
    if not access.can_change(actor, referral.participant, access.DataClass.PLAN_SUMMARY):
        raise ValidationError("Only the participant's case manager reschedules or withdraws.")
    lock(referral)
    if not selectors.intake_not_held(referral):
        raise ValidationError(
            "Only a referral whose intake was missed or excused is rescheduled or withdrawn."
        )


def _resolve_not_engaged_alert(referral: Referral, note: str, actor: User) -> None:
    """The loop the alert was about is over (a new intake starts a new one)."""
    client_services.alerts_resolve_events(
        participant=referral.participant,
        kind=REFERRAL_ALERT_KIND,
        source_keys=[referral_alert_key(referral)],
        note=note,
        actor=actor,
    )


def referral_reschedule_intake(
    *,
    referral: Referral,
    scheduled_at: datetime.datetime,
    location: str,
    actor: User,
) -> Referral:
    """A new intake appointment with the same provider after a missed or excused one. The
    loop starts again: the engagement limit counts from now, and the alert of the old loop is
    resolved (a new one follows the new appointment if it too is not engaged in time)."""
    if scheduled_at <= timezone.now():
        raise ValidationError({"scheduled_at": "Book the new intake in the future."})
    with audited_write(actor):
        _check_intake_not_held(actor, referral)
        _resolve_not_engaged_alert(referral, "Intake rescheduled.", actor)
        # The state stays intake scheduled (not a move): a first booking sent twice is refused
        # by the state machine, a rescheduling by the intake-not-held check above.
        missed = referral.intake_appointment
        referral.intake_appointment = client_services.appointment_schedule(
            participant=referral.participant,
            kind=AppointmentKind.TREATMENT,
            scheduled_at=scheduled_at,
            location=location,
            with_whom=f"{referral.provider} intake",
            staff=missed.staff if missed else None,
            organization=referral.provider,
            actor=actor,
        )
        referral.intake_rescheduled_at = timezone.now()
        referral.save(update_fields=["intake_appointment", "intake_rescheduled_at"])
        return referral


def referral_withdraw(*, referral: Referral, reason: str, actor: User) -> Referral:
    """The case manager ends a referral whose intake did not happen: the loop is closed
    without engagement, the episode the acceptance opened is discharged (administrative) and
    the provider's access ends with it."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the referral is withdrawn."})
    with audited_write(actor):
        _check_intake_not_held(actor, referral)
        _resolve_not_engaged_alert(referral, f"Referral withdrawn: {reason.strip()}", actor)
        _move(referral, ReferralState.WITHDRAWN)
        referral.withdraw_reason = reason.strip()
        referral.save(update_fields=["state", "withdraw_reason"])
        episode = ServiceEpisode.objects.filter(referral=referral, discharged_on=None).first()
        if episode is not None:
            episode_discharge(
                episode=episode,
                reason=DischargeReason.ADMINISTRATIVE,
                discharged_on=participant_today(referral.participant),
                summary=f"Referral withdrawn: {reason.strip()}",
                actor=actor,
            )
        return referral


def episode_discharge(
    *,
    episode: ServiceEpisode,
    reason: DischargeReason,
    summary: str,
    discharged_on: datetime.date,
    actor: User,
) -> ServiceEpisode:
    """Ends the episode and, with it, the provider's access (unless another episode at the
    same provider is still active)."""
    if not selectors.may_discharge(actor, episode.participant, episode.provider_id):
        raise ValidationError("You may not discharge this episode.")
    if not summary.strip():
        raise ValidationError({"summary": "Write a discharge summary."})
    with audited_write(actor):
        # Every episode of the participant at this provider, locked in one order: whether the
        # provider keeps access (below) must see a sibling discharged at the same moment.
        list(
            ServiceEpisode.objects.select_for_update()
            .filter(participant=episode.participant_id, provider=episode.provider_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        lock(episode)
        if not episode.is_active:
            raise ValidationError("This episode is already discharged.")
        today = participant_today(episode.participant)
        if discharged_on < episode.started_on or discharged_on > today:
            raise ValidationError(
                {"discharged_on": "The date must be between the episode's start and today."}
            )
        episode.discharged_on, episode.discharge_reason = discharged_on, reason
        episode.discharge_summary, episode.discharged_by = summary.strip(), actor
        episode.save(
            update_fields=[
                "discharged_on",
                "discharge_reason",
                "discharge_summary",
                "discharged_by",
            ]
        )
        client_services.alerts_resolve_events(
            participant=episode.participant,
            kind=DISCHARGE_DUE_ALERT,
            source_keys=[episode_alert_key(episode)],
            note=f"Discharged on {discharged_on:%Y-%m-%d}.",
            actor=actor,
        )
        still_active = ServiceEpisode.objects.filter(
            participant=episode.participant, provider=episode.provider, discharged_on__isnull=True
        ).exists()
        if not still_active:
            access.revoke_participant(
                organization_group(episode.provider), episode.participant, Role.TREATMENT_PROVIDER
            )
        return episode


# When the participant leaves the program: treatment often goes on, and discharge is the
# provider's act, so each provider with an open episode is told once to decide (only that
# agency's staff see it: the "episode" agency alert source). Discharge resolves it.
DISCHARGE_DUE_ALERT = "discharge_due"


def episode_alert_key(episode: ServiceEpisode) -> str:
    return f"{selectors.EPISODE_ALERT_SOURCE}:{episode.pk}"


def episodes_alert_discharge(*, participant: Participant, message: str) -> int:
    """Only court.completion calls this, in its transaction, when the participant's enrollment
    closes: one alert per open episode of the participant (once per episode), for its provider
    to discharge it. Returns how many were raised."""
    raised = 0
    for episode in ServiceEpisode.objects.filter(participant=participant, discharged_on=None):
        raised += (
            client_services.alert_raise(
                participant=participant,
                kind=DISCHARGE_DUE_ALERT,
                source_key=episode_alert_key(episode),
                data_class=access.DataClass.TREATMENT_DETAIL,
                message=message[:300],
                severity=AlertSeverity.WARNING,
            )
            is not None
        )
    return raised


def referrals_withdraw_unanswered(*, participant: Participant, reason: str, actor: User) -> int:
    """Only court.completion calls this, in its transaction, when the participant's enrollment
    closes: the referrals no provider has answered yet are withdrawn with `reason` (an accepted
    one has an episode, which its provider discharges). Returns how many."""
    withdrawn = 0
    with audited_write(actor):
        for referral in Referral.objects.filter(participant=participant, state=ReferralState.SENT):
            _move(referral, ReferralState.WITHDRAWN)  # on the locked row: answered meanwhile?
            referral.withdraw_reason = reason.strip()
            referral.save(update_fields=["state", "withdraw_reason"])
            _resolve_not_engaged_alert(referral, f"Referral withdrawn: {reason.strip()}", actor)
            withdrawn += 1
    return withdrawn


REFERRAL_ALERT_KIND = "referral_not_engaged"


def referral_alert_key(referral: Referral) -> str:
    """The alert's event: the referral's loop, a rescheduled one named by its new intake."""
    key = f"{selectors.REFERRAL_ALERT_SOURCE}:{referral.pk}"
    if referral.intake_rescheduled_at is None:
        return key
    return f"{key}:intake:{referral.intake_appointment_id}"


def referral_sweep_statement(now: datetime.datetime) -> client_services.AlertStatement:
    """The referral sweep's one statement: an alert per open referral loop not engaged within
    its program's limit, counted from the referral or from the rescheduled intake
    (selectors.referrals_not_engaged), keyed as referral_alert_key."""
    rows = selectors.referrals_not_engaged(now).annotate(
        source_key=Concat(
            Value(f"{selectors.REFERRAL_ALERT_SOURCE}:"),
            Cast("pk", CharField()),
            Case(
                When(
                    intake_rescheduled_at__isnull=False,
                    then=Concat(Value(":intake:"), Cast("intake_appointment_id", CharField())),
                ),
                default=Value(""),
            ),
            output_field=CharField(),
        ),
        message=Concat(
            Value("Referral to "),
            F("provider__name"),
            Value(" not engaged after "),
            Cast("limit_days", CharField()),
            Value(" days"),
            output_field=CharField(),
        ),
        assigned_to_id=F("sent_by_id"),
    )
    return client_services.alerts_statement(
        kind=REFERRAL_ALERT_KIND,
        data_class=access.DataClass.PLAN_SUMMARY,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )


def referral_sweep(*, now: datetime.datetime | None = None) -> int:
    """Raises one alert per open referral not engaged within its program's limit, in one
    set-based statement; running it again raises nothing twice. Returns the new alerts."""
    return client_services.alerts_raise(statement=referral_sweep_statement(now or timezone.now()))


# ---------------------------------------------------------------------------------------------
# Treatment plans


def _check_may_plan(actor: User, participant: Participant) -> None:
    if not access.can_change(actor, participant, access.DataClass.PLAN_SUMMARY):
        raise ValidationError("You may not change this participant's plan.")


def _check_draft(plan: TreatmentPlan) -> None:
    """Checked on the locked plan, inside the caller's transaction: nothing is added to a
    draft that another request is activating."""
    lock(plan)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError("Only a draft plan can be changed; start a new version.")


def plan_start_draft(
    *, participant: Participant, starts_on: datetime.date, actor: User
) -> TreatmentPlan:
    """A new version, starting from a copy of the active plan's goals, objectives and
    services (or empty for the first plan)."""
    _check_may_plan(actor, participant)
    with audited_write(actor):
        lock(participant)  # the participant's plan versions are numbered one at a time
        if TreatmentPlan.objects.filter(participant=participant, status=PlanStatus.DRAFT).exists():
            raise ValidationError("A draft already exists; finish or change that one.")
        plans = TreatmentPlan.objects.filter(participant=participant)
        active = plans.filter(status=PlanStatus.ACTIVE).first()
        latest = plans.order_by("-version").first()
        draft = TreatmentPlan.objects.create(
            participant=participant,
            version=latest.version + 1 if latest else 1,
            starts_on=starts_on,
            created_by=actor,
        )
        if active is not None:
            _copy_contents(active, draft)
        return draft


def _copy_contents(source: TreatmentPlan, target: TreatmentPlan) -> None:
    for goal in source.goals.prefetch_related("objectives__services"):
        copy = Goal.objects.create(
            plan=target,
            participant_words=goal.participant_words,
            clinical_terms=goal.clinical_terms,
        )
        for objective in goal.objectives.all():
            new_objective = Objective.objects.create(
                goal=copy,
                description=objective.description,
                target_date=objective.target_date,
                need=objective.need,
            )
            PlannedService.objects.bulk_create(
                PlannedService(
                    objective=new_objective,
                    service=service.service,
                    provider=service.provider,
                    frequency=service.frequency,
                    starts_on=service.starts_on,
                )
                for service in objective.services.all()
            )


def goal_add(
    *, plan: TreatmentPlan, participant_words: str, clinical_terms: str, actor: User
) -> Goal:
    _check_may_plan(actor, plan.participant)
    if not clinical_terms.strip() or not participant_words.strip():
        raise ValidationError("Write the goal in the participant's words and in clinical terms.")
    with audited_write(actor):
        _check_draft(plan)
        return Goal.objects.create(
            plan=plan,
            participant_words=participant_words.strip(),
            clinical_terms=clinical_terms.strip(),
        )


def objective_add(
    *,
    goal: Goal,
    description: str,
    target_date: datetime.date | None,
    need: Need | None,
    actor: User,
) -> Objective:
    plan = goal.plan
    _check_may_plan(actor, plan.participant)
    if target_date is None:
        raise ValidationError({"target_date": "A measurable objective needs a target date."})
    if target_date < plan.starts_on:
        raise ValidationError({"target_date": "The target date is before the plan starts."})
    if need is not None and need.participant_id != plan.participant_id:
        raise ValidationError({"need": "That need is another participant's."})
    with audited_write(actor):
        _check_draft(plan)
        return Objective.objects.create(
            goal=goal, description=description.strip(), target_date=target_date, need=need
        )


def service_add(
    *,
    objective: Objective,
    service: str,
    provider: Organization | None,
    frequency: str,
    starts_on: datetime.date,
    actor: User,
) -> PlannedService:
    _check_may_plan(actor, objective.goal.plan.participant)
    if provider is not None and provider.kind != OrganizationKind.TREATMENT_AGENCY:
        raise ValidationError({"provider": "Choose a treatment provider."})
    with audited_write(actor):
        _check_draft(objective.goal.plan)
        return PlannedService.objects.create(
            objective=objective,
            service=service.strip(),
            provider=provider,
            frequency=frequency.strip(),
            starts_on=starts_on,
        )


def need_defer(*, plan: TreatmentPlan, need: Need, reason: str, actor: User) -> NeedDeferral:
    _check_may_plan(actor, plan.participant)
    if need.participant_id != plan.participant_id:
        raise ValidationError({"need": "That need is another participant's."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the need waits."})
    with audited_write(actor):
        _check_draft(plan)
        deferral, _ = NeedDeferral.objects.update_or_create(
            plan=plan, need=need, defaults={"reason": reason.strip()}
        )
        return deferral


def plan_activate(
    *, plan: TreatmentPlan, acknowledged_on: datetime.date | None, actor: User
) -> TreatmentPlan:
    """Makes the draft the plan in force: every open need must be answered by an objective or
    deferred with a reason; the participant's acknowledgement and the signature are recorded,
    the previous version is superseded and a review falls due in 90 days."""
    _check_may_plan(actor, plan.participant)
    if acknowledged_on is None:
        raise ValidationError({"acknowledged_on": "Record when the participant acknowledged it."})
    with audited_write(actor):
        _check_draft(plan)
        objectives = Objective.objects.filter(goal__plan=plan)
        if not objectives.exists():
            raise ValidationError("A plan needs at least one goal with an objective.")
        answered = set(objectives.exclude(need=None).values_list("need_id", flat=True))
        deferred = set(plan.deferrals.values_list("need_id", flat=True))
        open_needs = Need.objects.filter(participant=plan.participant, status=NeedStatus.OPEN)
        unanswered = [need for need in open_needs if need.pk not in answered | deferred]
        if unanswered:
            names = ", ".join(need.get_domain_display().lower() for need in unanswered)
            raise ValidationError(f"Answer or defer every open need first: {names}.")
        TreatmentPlan.objects.filter(participant=plan.participant, status=PlanStatus.ACTIVE).update(
            status=PlanStatus.SUPERSEDED
        )
        plan.status, plan.acknowledged_on = PlanStatus.ACTIVE, acknowledged_on
        plan.signed_by, plan.signed_at = actor, timezone.now()
        plan.review_due_on = plan.starts_on + datetime.timedelta(days=PLAN_REVIEW_INTERVAL_DAYS)
        plan.save(
            update_fields=["status", "acknowledged_on", "signed_by", "signed_at", "review_due_on"]
        )
        open_needs.filter(pk__in=answered).update(status=NeedStatus.ADDRESSED)
        open_needs.filter(pk__in=deferred - answered).update(status=NeedStatus.DEFERRED)
        return plan


def plan_review_record(
    *,
    plan: TreatmentPlan,
    reviewed_on: datetime.date,
    progress: dict[int, str],
    note: str,
    actor: User,
) -> PlanReview:
    """Progress per objective of the plan in force; the next review falls due in 90 days.
    One review a day: the same review sent twice is recorded once."""
    _check_may_plan(actor, plan.participant)
    with audited_write(actor):
        lock(plan)
        if plan.status != PlanStatus.ACTIVE:
            raise ValidationError("Only the plan in force is reviewed.")
        if plan.reviews.filter(reviewed_on=reviewed_on).exists():
            raise ValidationError({"reviewed_on": "This plan already has a review on that day."})
        objective_ids = set(Objective.objects.filter(goal__plan=plan).values_list("pk", flat=True))
        if set(progress) != objective_ids:
            raise ValidationError("Record progress for every objective.")
        if reviewed_on > participant_today(plan.participant) or reviewed_on < plan.starts_on:
            raise ValidationError(
                {"reviewed_on": "The date must be between the plan start and today."}
            )
        review = PlanReview.objects.create(
            plan=plan,
            reviewed_on=reviewed_on,
            reviewed_by=actor,
            progress={str(k): v for k, v in progress.items()},
            note=note.strip(),
        )
        plan.review_due_on = reviewed_on + datetime.timedelta(days=PLAN_REVIEW_INTERVAL_DAYS)
        plan.save(update_fields=["review_due_on"])
        return review


def plan_review_due_at_phase_change(
    *, participant: Participant, changed_on: datetime.date, actor: User
) -> TreatmentPlan | None:
    """A phase change makes the review of the participant's plan in force due (a review is
    due every 90 days and at each phase change): its due date moves to the day of the change
    unless it already falls due earlier; the plan review sweep then alerts its case manager.
    Court.services.phase_change_decide calls it in its transaction, for the acting judge or
    clerk. None when no plan is in force."""
    with audited_write(actor):
        plan = (
            TreatmentPlan.objects.select_for_update()
            .filter(participant=participant, status=PlanStatus.ACTIVE)
            .first()
        )
        if plan is None:
            return None
        if plan.review_due_on is None or plan.review_due_on > changed_on:
            plan.review_due_on = changed_on
            plan.save(update_fields=["review_due_on"])
        return plan


def plan_review_sweep_statement(now: datetime.datetime) -> client_services.AlertStatement:
    """The plan review sweep's one statement: an alert per plan in force whose review is due
    within the program's notice or overdue on its program's own date at `now`
    (selectors.plans_due_for_review), keyed by the due date, to the case manager who signed
    it."""
    rows = selectors.plans_due_for_review(now).annotate(
        source_key=Concat(
            Value("plan:"), Cast("pk", CharField()), Value(":"), Cast("review_due_on", CharField())
        ),
        message=Concat(
            Value("Treatment plan review due "),
            Cast("review_due_on", CharField()),
            output_field=CharField(),
        ),
        assigned_to_id=F("signed_by_id"),
    )
    return client_services.alerts_statement(
        kind="plan_review_due",
        data_class=access.DataClass.PLAN_SUMMARY,
        severity=AlertSeverity.WARNING,
        rows=rows,
    )


def plan_review_sweep(*, now: datetime.datetime | None = None) -> int:
    """One alert per plan in force whose review is due within the program's notice or overdue
    (on each program's local date); a new due date raises a new alert. One statement."""
    statement = plan_review_sweep_statement(now or timezone.now())
    return client_services.alerts_raise(statement=statement)


# ---------------------------------------------------------------------------------------------
# Progress reports


def progress_report_write(
    *,
    episode: ServiceEpisode,
    month: datetime.date,
    engagement: str,
    attendance_summary: str,
    clinical_progress: str,
    recommendation: str,
    actor: User,
) -> ProgressReport:
    """The provider's monthly report on an active episode (one per month)."""
    if not selectors.is_agency_staff(actor, episode.provider_id):
        raise ValidationError("Only the provider's staff report on an active episode.")
    if not clinical_progress.strip() or not recommendation.strip():
        raise ValidationError("Write the clinical progress and a recommendation.")
    first_of_month = month.replace(day=1)
    with audited_write(actor):
        lock(episode)
        if not episode.is_active:
            raise ValidationError("Only the provider's staff report on an active episode.")
        this_month = participant_today(episode.participant).replace(day=1)
        if first_of_month > this_month or first_of_month < episode.started_on.replace(day=1):
            raise ValidationError({"month": "Report on a month of the episode, up to this one."})
        if episode.progress_reports.filter(month=first_of_month).exists():
            raise ValidationError({"month": "This month already has a report."})
        return ProgressReport.objects.create(
            episode=episode,
            month=first_of_month,
            engagement=engagement,
            attendance_summary=attendance_summary.strip(),
            clinical_progress=clinical_progress.strip(),
            recommendation=recommendation.strip(),
            written_by=actor,
        )
