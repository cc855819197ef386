"""Screening, admission and screens. Every participant page starts with clients.access."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from clients import access
from clients.access import DataClass
from clients.selectors import current_enrollment, participant_today
from drugcourt.forms import form_errors_from
from drugcourt.models import Program, default_legal_criteria
from drugcourt.selectors import program_settings_in_force, program_today

from . import selectors, services
from .forms import (
    SAFETY_FIELD,
    AdministrationForm,
    AdmissionForm,
    AsamForm,
    InstrumentBuilderForm,
    NeedForm,
    RiskNeedForm,
    ScreeningForm,
)
from .models import Administration, AsamEdition
from .scoring import max_score


def _enrollment_to_change(user, pk: int):
    participant = access.get_participant_or_404(user, pk, DataClass.ENROLLMENT, change=True)
    enrollment = current_enrollment(participant)
    if enrollment is None:
        raise Http404("No enrollment.")
    return participant, enrollment


@login_required
def screening(request, pk: int):
    participant, enrollment = _enrollment_to_change(request.user, pk)
    today = program_today(enrollment.program)
    settings_in_force = program_settings_in_force(enrollment.program, today)
    criteria = settings_in_force.legal_criteria if settings_in_force else default_legal_criteria()
    form = ScreeningForm(request.POST or None, criteria=criteria, today=today)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.screening_record(
                enrollment=enrollment, **form.screening_fields(), actor=request.user
            )
            messages.success(request, "The screening decision is recorded.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "assessments/screening.html",
        {
            "participant": participant,
            "enrollment": enrollment,
            "form": form,
            "screenings": selectors.screenings_of(enrollment),
        },
    )


@login_required
def admission(request, pk: int):
    participant, enrollment = _enrollment_to_change(request.user, pk)
    form = AdmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.admission_record(
                enrollment=enrollment, **form.cleaned_data, actor=request.user
            )
            messages.success(request, f"{participant} is admitted to phase 1.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "assessments/admission.html",
        {"participant": participant, "enrollment": enrollment, "form": form},
    )


@login_required
def screens(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.ASSESSMENT_DETAIL)
    return render(
        request,
        "assessments/screens.html",
        {
            "participant": participant,
            "versions": selectors.instrument_versions_for(participant),
            "administrations": selectors.administrations_of(participant),
            "may_give": access.can_change(request.user, participant, DataClass.ASSESSMENT_DETAIL),
        },
    )


@login_required
def administer(request, pk: int, version_pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.ASSESSMENT_DETAIL, change=True
    )
    version = get_object_or_404(selectors.instrument_versions_for(participant), pk=version_pk)
    form = AdministrationForm(
        request.POST or None, definition=version.definition, today=participant_today(participant)
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            administration = services.administration_record(
                participant=participant,
                instrument_version=version,
                administered_on=form.cleaned_data["administered_on"],
                answers=form.answers(),
                safety_action=form.cleaned_data[SAFETY_FIELD],
                actor=request.user,
            )
            messages.success(
                request,
                f"{version.instrument.code}: {administration.total_score} ({administration.band}).",
            )
            return redirect(
                "assessments:administration", pk=participant.pk, administration_pk=administration.pk
            )
    return render(
        request,
        "assessments/administer.html",
        {
            "participant": participant,
            "version": version,
            "form": form,
            "safety_step": SAFETY_FIELD in form.errors,
        },
    )


@login_required
def administration(request, pk: int, administration_pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.ASSESSMENT_DETAIL)
    shown = get_object_or_404(
        Administration.objects.select_related("instrument_version__instrument", "administered_by"),
        pk=administration_pk,
        participant=participant,
    )
    return render(
        request,
        "assessments/administration.html",
        {
            "participant": participant,
            "administration": shown,
            "answered": selectors.answered_items(shown),
            "trend": selectors.trend_of(participant, shown.instrument_version.instrument),
            "trend_points": selectors.trend_points(
                participant, shown.instrument_version.instrument
            ),
            "max_score": max_score(shown.instrument_version.definition),
        },
    )


@login_required
def program_screens(request, program_pk: int):
    program = get_object_or_404(Program, pk=program_pk)
    if not access.coordinates(request.user, program):
        raise Http404("No such program.")
    form = InstrumentBuilderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            version = services.instrument_create(
                program=program,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                definition=form.definition(),
                actor=request.user,
            )
            messages.success(request, f"{version} is ready to use.")
            return redirect("assessments:program_screens", program_pk=program.pk)
    return render(
        request,
        "assessments/program_screens.html",
        {"program": program, "form": form, "instruments": selectors.program_instruments(program)},
    )


@login_required
def risk_need(request, pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.ASSESSMENT_SUMMARY, change=True
    )
    today = participant_today(participant)
    config = services.risk_need_config_for(participant, today)
    form = RiskNeedForm(request.POST or None, config=config, today=today)
    if request.method == "POST" and form.is_valid():
        result = services.quadrant_for(config, form.answers("risk"), form.answers("need"))
        with form_errors_from(form):
            services.risk_need_record(
                participant=participant,
                assessed_on=form.cleaned_data["assessed_on"],
                risk_answers=form.answers("risk"),
                need_answers=form.answers("need"),
                accepted=services.Intensity(**form.accepted(result.recommended.as_dict())),
                override_reason=form.cleaned_data["override_reason"],
                frequency_exception=form.cleaned_data["frequency_exception"],
                actor=request.user,
            )
            messages.success(request, f"Recorded: {result.quadrant.label}.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "assessments/risk_need.html",
        {
            "participant": participant,
            "form": form,
            "config": config,
            "latest": selectors.risk_need_of(participant),
        },
    )


@login_required
def asam(request, pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.ASSESSMENT_SUMMARY, change=True
    )
    edition = AsamEdition.FOURTH if request.GET.get("edition") == "4" else AsamEdition.THIRD
    form = AsamForm(request.POST or None, edition=edition, today=participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.asam_record(
                participant=participant,
                assessed_on=form.cleaned_data["assessed_on"],
                edition=edition,
                ratings=form.ratings(),
                level_of_care=form.cleaned_data["level_of_care"],
                justification=form.cleaned_data["justification"],
                actor=request.user,
            )
            messages.success(request, "The ASAM ratings are recorded.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "assessments/asam.html",
        {
            "participant": participant,
            "form": form,
            "edition": edition,
            "editions": AsamEdition.choices,
            "history": selectors.asam_of(participant),
        },
    )


@login_required
def needs(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.ASSESSMENT_SUMMARY)
    may_change = access.can_change(request.user, participant, DataClass.ASSESSMENT_SUMMARY)
    form = (
        NeedForm(request.POST or None, today=participant_today(participant)) if may_change else None
    )
    if request.method == "POST":
        if form is None:
            raise Http404("No such participant.")
        if form.is_valid():
            with form_errors_from(form):
                services.need_record(
                    participant=participant, **form.cleaned_data, actor=request.user
                )
                messages.success(request, "The need is recorded.")
                return redirect("assessments:needs", pk=participant.pk)
    return render(
        request,
        "assessments/needs.html",
        {"participant": participant, "form": form, "needs": selectors.needs_of(participant)},
    )
