"""Referrals (linking) and service episodes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clients import access
from clients.access import DataClass
from clients.selectors import participant_today
from drugcourt.forms import form_errors_from
from drugcourt.permissions import role_required
from drugcourt.roles import Role
from drugcourt.selectors import treatment_providers
from drugcourt.views import PAGE_SIZE

from . import selectors, services
from .forms import (
    ActivateForm,
    DeclineForm,
    DeferralForm,
    DischargeForm,
    GoalForm,
    IntakeForm,
    IntakeOutcomeForm,
    ObjectiveForm,
    PlanStartForm,
    ProgressReportForm,
    ReferralForm,
    ReviewForm,
    ServiceForm,
    WithdrawForm,
)
from .models import Objective, PlanStatus


@login_required
def referral_new(request, pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.PLAN_SUMMARY, change=True
    )
    form = ReferralForm(request.POST or None, providers=treatment_providers())
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            referral = services.referral_send(
                participant=participant, **form.cleaned_data, actor=request.user
            )
            messages.success(request, f"Referred to {referral.provider}.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request, "treatment_plans/referral_form.html", {"participant": participant, "form": form}
    )


@role_required(Role.TREATMENT_PROVIDER)
def my_referrals(request):
    page = Paginator(selectors.provider_referrals(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Each referral names its participant and carries the plan's packet: for the access log.
    access.note_shown(
        request.user,
        (
            (referral.participant_id, data_class)
            for referral in page
            for data_class in (DataClass.IDENTITY, DataClass.PLAN_SUMMARY)
        ),
    )
    return render(request, "treatment_plans/my_referrals.html", {"page": page})


def _referral(user, pk: int):
    referral = selectors.referral_for(user, pk)
    if referral is None:
        raise Http404("No such referral.")
    return referral


@login_required
def referral_detail(request, pk: int):
    referral = selectors.referral_to_read(request.user, pk)
    if referral is None:
        raise Http404("No such referral.")
    return render(
        request,
        "treatment_plans/referral_detail.html",
        {
            "referral": referral,
            "is_provider": selectors.is_agency_staff(request.user, referral.provider_id),
            "may_discharge": selectors.may_discharge(
                request.user, referral.participant, referral.provider_id
            ),
            "decline_form": DeclineForm(),
            "intake_form": IntakeForm(),
            "outcome_form": IntakeOutcomeForm(),
            "may_reschedule": selectors.may_reschedule_or_withdraw(request.user, referral),
            "withdraw_form": WithdrawForm(),
        },
    )


def _act(request, referral, action) -> None:
    """Runs a provider action on a referral; a refusal becomes a message on the referral."""
    try:
        action(referral)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))


@require_POST
@login_required
def referral_accept(request, pk: int):
    _act(
        request,
        _referral(request.user, pk),
        lambda r: services.referral_accept(referral=r, actor=request.user),
    )
    return redirect("treatment_plans:referral_detail", pk=pk)


@require_POST
@login_required
def referral_decline(request, pk: int):
    referral = _referral(request.user, pk)
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _act(
        request,
        referral,
        lambda r: services.referral_decline(referral=r, reason=reason, actor=request.user),
    )
    return redirect("treatment_plans:referral_detail", pk=pk)


def _book_intake(request, pk: int, book, missing_time: str):
    """Books an intake with the service `book` (a first one or a new one after a miss)."""
    referral = _referral(request.user, pk)
    form = IntakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, missing_time)
        return redirect("treatment_plans:referral_detail", pk=pk)
    _act(request, referral, lambda r: book(referral=r, **form.cleaned_data, actor=request.user))
    return redirect("treatment_plans:referral_detail", pk=pk)


@require_POST
@login_required
def referral_schedule_intake(request, pk: int):
    return _book_intake(
        request, pk, services.referral_schedule_intake, "Give the date and time of the intake."
    )


@require_POST
@login_required
def referral_reschedule_intake(request, pk: int):
    return _book_intake(
        request,
        pk,
        services.referral_reschedule_intake,
        "Give the date and time of the new intake.",
    )


@require_POST
@login_required
def referral_withdraw(request, pk: int):
    referral = _referral(request.user, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _act(
        request,
        referral,
        lambda r: services.referral_withdraw(referral=r, reason=reason, actor=request.user),
    )
    return redirect("treatment_plans:referral_detail", pk=pk)


@require_POST
@login_required
def referral_intake_outcome(request, pk: int):
    referral = _referral(request.user, pk)
    form = IntakeOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened at the intake.")
        return redirect("treatment_plans:referral_detail", pk=pk)
    _act(
        request,
        referral,
        lambda r: services.referral_record_intake(
            referral=r, **form.cleaned_data, actor=request.user
        ),
    )
    return redirect("treatment_plans:referral_detail", pk=pk)


@login_required
def episode_discharge(request, pk: int):
    episode = selectors.episode_for(request.user, pk)
    if episode is None:
        raise Http404("No such episode.")
    form = DischargeForm(request.POST or None, today=participant_today(episode.participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.episode_discharge(episode=episode, **form.cleaned_data, actor=request.user)
            messages.success(request, f"Discharged from {episode.provider}.")
            return redirect("treatment_plans:referral_detail", pk=episode.referral_id)
    return render(
        request, "treatment_plans/episode_discharge.html", {"episode": episode, "form": form}
    )


# ---------------------------------------------------------------------------------------------
# Treatment plans


@login_required
def plan_start(request, pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.PLAN_SUMMARY, change=True
    )
    form = PlanStartForm(request.POST or None, today=participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            plan = services.plan_start_draft(
                participant=participant, **form.cleaned_data, actor=request.user
            )
            return redirect("treatment_plans:plan_detail", pk=plan.pk)
    return render(
        request, "treatment_plans/plan_start.html", {"participant": participant, "form": form}
    )


def _plan(user, pk: int, *, change: bool = False):
    plan = selectors.plan_for(user, pk, change=change)
    if plan is None:
        raise Http404("No such plan.")
    return plan


@login_required
def plan_detail(request, pk: int):
    plan = _plan(request.user, pk)
    editable = plan.status == PlanStatus.DRAFT and access.can_change(
        request.user, plan.participant, DataClass.PLAN_SUMMARY
    )
    context = {"plan": plan, "editable": editable, **selectors.plan_needs(request.user, plan)}
    if editable:
        context |= {
            "goal_form": GoalForm(),
            "objective_form": ObjectiveForm(plan=plan),
            "service_form": ServiceForm(
                plan=plan,
                providers=treatment_providers(),
                today=participant_today(plan.participant),
            ),
            "deferral_form": DeferralForm(plan=plan),
            "activate_form": ActivateForm(),
        }
    return render(request, "treatment_plans/plan_detail.html", context)


def _plan_change(request, form, write) -> None:
    """A change to a draft plan from one of its small forms; refusals become messages."""
    if not form.is_valid():
        messages.error(request, "Not saved: " + form.errors.as_text())
        return
    try:
        write(form.cleaned_data)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))


@require_POST
@login_required
def plan_goal_add(request, pk: int):
    plan = _plan(request.user, pk, change=True)
    _plan_change(
        request,
        GoalForm(request.POST),
        lambda data: services.goal_add(plan=plan, **data, actor=request.user),
    )
    return redirect("treatment_plans:plan_detail", pk=pk)


@require_POST
@login_required
def plan_objective_add(request, pk: int):
    plan = _plan(request.user, pk, change=True)
    _plan_change(
        request,
        ObjectiveForm(request.POST, plan=plan),
        lambda data: services.objective_add(**data, actor=request.user),
    )
    return redirect("treatment_plans:plan_detail", pk=pk)


@require_POST
@login_required
def plan_service_add(request, pk: int):
    plan = _plan(request.user, pk, change=True)
    form = ServiceForm(request.POST, plan=plan, providers=treatment_providers())
    _plan_change(request, form, lambda data: services.service_add(**data, actor=request.user))
    return redirect("treatment_plans:plan_detail", pk=pk)


@require_POST
@login_required
def plan_need_defer(request, pk: int):
    plan = _plan(request.user, pk, change=True)
    _plan_change(
        request,
        DeferralForm(request.POST, plan=plan),
        lambda data: services.need_defer(plan=plan, **data, actor=request.user),
    )
    return redirect("treatment_plans:plan_detail", pk=pk)


@require_POST
@login_required
def plan_activate(request, pk: int):
    plan = _plan(request.user, pk, change=True)
    _plan_change(
        request,
        ActivateForm(request.POST),
        lambda data: services.plan_activate(plan=plan, **data, actor=request.user),
    )
    return redirect("treatment_plans:plan_detail", pk=pk)


@login_required
def plan_review(request, pk: int):
    plan = _plan(request.user, pk, change=True)
    objectives = Objective.objects.filter(goal__plan=plan)
    form = ReviewForm(
        request.POST or None, objectives=objectives, today=participant_today(plan.participant)
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.plan_review_record(
                plan=plan,
                reviewed_on=form.cleaned_data["reviewed_on"],
                progress=form.progress(),
                note=form.cleaned_data["note"],
                actor=request.user,
            )
            messages.success(request, "The review is recorded; the next one is due in 90 days.")
            return redirect("treatment_plans:plan_detail", pk=plan.pk)
    return render(request, "treatment_plans/plan_review.html", {"plan": plan, "form": form})


@login_required
def progress_report_new(request, pk: int):
    episode = selectors.episode_for(request.user, pk)
    if episode is None or not selectors.is_agency_staff(request.user, episode.provider_id):
        raise Http404("No such episode.")
    form = ProgressReportForm(request.POST or None, today=participant_today(episode.participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.progress_report_write(episode=episode, **form.cleaned_data, actor=request.user)
            messages.success(request, "The progress report is filed.")
            return redirect("treatment_plans:referral_detail", pk=episode.referral_id)
    return render(
        request, "treatment_plans/progress_report_form.html", {"episode": episode, "form": form}
    )
