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
from drugcourt.forms import form_errors_from
from drugcourt.permissions import role_required
from drugcourt.roles import Role
from drugcourt.views import PAGE_SIZE

from . import selectors, services
from .forms import DeclineForm, DischargeForm, IntakeForm, IntakeOutcomeForm, ReferralForm


@login_required
def referral_new(request, pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.PLAN_SUMMARY, change=True
    )
    form = ReferralForm(request.POST or None, providers=selectors.treatment_providers())
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
    return render(request, "treatment_plans/my_referrals.html", {"page": page})


def _referral(user, pk: int):
    referral = selectors.referral_for(user, pk)
    if referral is None:
        raise Http404("No such referral.")
    return referral


@login_required
def referral_detail(request, pk: int):
    referral = _referral(request.user, pk)
    return render(
        request,
        "treatment_plans/referral_detail.html",
        {
            "referral": referral,
            "is_provider": request.user.organization_id == referral.provider_id
            and request.user.has_role(Role.TREATMENT_PROVIDER),
            "decline_form": DeclineForm(),
            "intake_form": IntakeForm(),
            "outcome_form": IntakeOutcomeForm(),
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


@require_POST
@login_required
def referral_schedule_intake(request, pk: int):
    referral = _referral(request.user, pk)
    form = IntakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date and time of the intake.")
        return redirect("treatment_plans:referral_detail", pk=pk)
    _act(
        request,
        referral,
        lambda r: services.referral_schedule_intake(
            referral=r, **form.cleaned_data, actor=request.user
        ),
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
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.episode_discharge(episode=episode, **form.cleaned_data, actor=request.user)
            messages.success(request, f"Discharged from {episode.provider}.")
            return redirect("treatment_plans:referral_detail", pk=episode.referral_id)
    return render(
        request, "treatment_plans/episode_discharge.html", {"episode": episode, "form": form}
    )
