"""Drug testing pages: a participant's tests, prescriptions and blackouts; one test with its
collection and result versions."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients import access
from clients.access import DataClass
from clients.selectors import participant_today
from drugcourt.forms import form_errors_from, int_or_none
from drugcourt.permissions import get_coordinated_program_or_404, role_required
from drugcourt.roles import Role
from drugcourt.selectors import program_settings_in_force, program_today, programs_of
from drugcourt.views import PAGE_SIZE

from . import draw, selectors, services
from .forms import (
    BlackoutForm,
    CollectionForm,
    CorrectionForm,
    EndDateForm,
    OrderTestForm,
    PrescriptionForm,
    RefusalForm,
    ResultForm,
    findings_formset,
    result_data,
)
from .models import BlackoutPeriod, Prescription, TestStatus


@login_required
def participant_testing(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.DRUG_TESTS)
    status = request.GET.get("status", "")
    tests = selectors.drug_tests_visible(request.user, participant)
    if status in TestStatus.values:
        tests = tests.filter(status=status)
    return render(
        request,
        "compliance/participant_testing.html",
        {
            "participant": participant,
            "page": Paginator(tests, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "statuses": TestStatus.choices,
            "withheld": selectors.drug_tests_withheld(request.user, participant).count(),
            "prescriptions": selectors.prescriptions_visible(request.user, participant),
            "blackouts": selectors.blackouts_visible(request.user, participant),
            "may_record": access.can_change(request.user, participant, DataClass.DRUG_TESTS),
            "end_form": EndDateForm(today=participant_today(participant)),
        },
    )


def _participant_form(request, pk: int, form_class, heading: str, save) -> object:
    """A form page about one participant whose drug tests the user may record: `save(form,
    participant)` calls the service; a refusal is shown on the form."""
    participant = access.get_participant_or_404(request.user, pk, DataClass.DRUG_TESTS, change=True)
    form = form_class(request.POST or None, today=participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            message = save(form, participant)
            messages.success(request, message)
            return redirect("compliance:participant_testing", pk=participant.pk)
    return render(
        request,
        "compliance/participant_form.html",
        {"participant": participant, "form": form, "heading": heading},
    )


@login_required
def test_order(request, pk: int):
    def save(form, participant):
        test = services.drug_test_order(
            participant=participant,
            scheduled_for=form.cleaned_data["scheduled_for"],
            specimen_type=form.cleaned_data["specimen_type"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        return f"Test ordered for {test.scheduled_for:%b %-d}."

    return _participant_form(request, pk, OrderTestForm, "Order a drug test", save)


@login_required
def prescription_new(request, pk: int):
    def save(form, participant):
        prescription = services.prescription_record(
            participant=participant,
            data=services.PrescriptionData(**form.cleaned_data),
            actor=request.user,
        )
        return f"Prescription of {prescription.drug} recorded."

    return _participant_form(request, pk, PrescriptionForm, "Record a prescription", save)


@login_required
def blackout_new(request, pk: int):
    def save(form, participant):
        blackout = services.blackout_record(
            participant=participant, **form.cleaned_data, actor=request.user
        )
        return f"Blackout recorded: {blackout}."

    return _participant_form(request, pk, BlackoutForm, "Record a blackout period", save)


def _end(request, model, pk: int, end) -> object:
    """Ends a prescription or blackout of a participant the user may record tests for."""
    record = get_object_or_404(model.objects.select_related("participant"), pk=pk)
    participant = access.get_participant_or_404(
        request.user, record.participant_id, DataClass.DRUG_TESTS, change=True
    )
    form = EndDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the end date.")
    else:
        try:
            end(record, form.cleaned_data["ends_on"])
            messages.success(request, f"{record} ends on {form.cleaned_data['ends_on']:%b %-d}.")
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
    return redirect("compliance:participant_testing", pk=participant.pk)


@require_POST
@login_required
def prescription_end(request, pk: int):
    return _end(
        request,
        Prescription,
        pk,
        lambda record, ends_on: services.prescription_end(
            prescription=record, ends_on=ends_on, actor=request.user
        ),
    )


@require_POST
@login_required
def blackout_end(request, pk: int):
    return _end(
        request,
        BlackoutPeriod,
        pk,
        lambda record, ends_on: services.blackout_end(
            blackout=record, ends_on=ends_on, actor=request.user
        ),
    )


def _test(user, pk: int, *, change: bool = False):
    test = selectors.drug_test_for(user, pk, change=change)
    if test is None:
        raise Http404("No such test.")
    return test


def _panel(test) -> list[str]:
    """The substances a collection may list: the program's panel on the test's day."""
    settings = program_settings_in_force(test.program, test.scheduled_for)
    return list(settings.testing_panel) if settings else []


@login_required
def test_detail(request, pk: int):
    test = _test(request.user, pk)
    return render(
        request,
        "compliance/test_detail.html",
        {
            "test": test,
            "participant": test.participant,
            "expected": selectors.expected_substances(test),
            "status_note": selectors.status_note_shown(request.user, test),
            "may_record": access.can_change(request.user, test.participant, DataClass.DRUG_TESTS),
            "refusal_form": RefusalForm(),
        },
    )


@login_required
def test_collect(request, pk: int):
    test = _test(request.user, pk, change=True)
    form = CollectionForm(
        request.POST or None,
        panel=_panel(test),
        initial={
            "collected_at": timezone.now(),
            "specimen_type": test.specimen_type,
            "observed": True,
        },
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.drug_test_record_collection(
                test=test, data=services.CollectionData(**form.cleaned_data), actor=request.user
            )
            messages.success(request, "Collection recorded; the test waits for its result.")
            return redirect("compliance:test_detail", pk=test.pk)
    return render(request, "compliance/test_collect.html", {"test": test, "form": form})


def _result_page(request, test, form_class, record, heading: str, **initial):
    form = form_class(request.POST or None, initial={"resulted_at": timezone.now(), **initial})
    findings = findings_formset(request.POST or None, test.panel)
    if request.method == "POST" and form.is_valid() and findings.is_valid():
        with form_errors_from(form):
            record(form, result_data(form, findings))
            messages.success(request, "Result recorded.")
            return redirect("compliance:test_detail", pk=test.pk)
    return render(
        request,
        "compliance/test_result.html",
        {"test": test, "form": form, "findings": findings, "heading": heading},
    )


@login_required
def test_result(request, pk: int):
    test = _test(request.user, pk, change=True)
    return _result_page(
        request,
        test,
        ResultForm,
        lambda form, data: services.drug_test_record_result(
            test=test, data=data, actor=request.user
        ),
        "Record the result",
    )


@login_required
def test_correct(request, pk: int):
    test = _test(request.user, pk, change=True)
    return _result_page(
        request,
        test,
        CorrectionForm,
        lambda form, data: services.drug_test_correct_result(
            test=test,
            data=data,
            reason=form.cleaned_data["reason"],
            corrects_version=form.cleaned_data["corrects_version"],
            actor=request.user,
        ),
        "Correct the result",
        corrects_version=test.current_result.version if test.current_result else 0,
    )


def _test_action(request, pk: int, action) -> object:
    test = _test(request.user, pk, change=True)
    try:
        message = action(test)
        messages.success(request, message)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    return redirect("compliance:test_detail", pk=test.pk)


@require_POST
@login_required
def test_refuse(request, pk: int):
    form = RefusalForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""

    def refuse(test):
        services.drug_test_record_refusal(test=test, note=note, actor=request.user)
        return "Recorded as refused."

    return _test_action(request, pk, refuse)


@require_POST
@login_required
def test_request_confirmation(request, pk: int):
    def request_confirmation(test):
        services.drug_test_request_confirmation(test=test, actor=request.user)
        return "Laboratory confirmation requested."

    return _test_action(request, pk, request_confirmation)


# ---------------------------------------------------------------------------------------------
# The day's call list and the draw audit


@role_required(Role.COORDINATOR, Role.CASE_MANAGER)
def call_list(request):
    """Today's published call list of a program the user works in, limited to the
    participants the user reaches."""
    programs = programs_of(request.user)
    program = (
        programs.filter(pk=int_or_none(request.GET.get("program"))).first() or programs.first()
    )
    if program is None:
        raise Http404("You are not a member of any program.")
    now = timezone.now()
    today = program_today(program, now)
    tests = list(
        draw.call_list_for(program=program, day=today, now=now).filter(
            participant__in=access.participants_visible_to(request.user)
        )
    )
    # The call list names each participant called to test today: for the access log.
    access.note_shown(
        request.user,
        (
            (test.participant_id, data_class)
            for test in tests
            for data_class in (DataClass.IDENTITY, DataClass.DRUG_TESTS)
        ),
    )
    return render(
        request,
        "compliance/call_list.html",
        {
            "program": program,
            "programs": programs,
            "today": today,
            "tests": tests,
            "may_audit": access.coordinates(request.user, program),
        },
    )


@role_required(Role.COORDINATOR)
def program_draws(request, pk: int):
    """The audit of a program's weekly draws (seeds, counts and verification once a week is
    over; until then the week stays sealed) and who fell short of the program minimum last
    month."""
    program = get_coordinated_program_or_404(request.user, pk)
    page = Paginator(draw.draws_of(program), PAGE_SIZE).get_page(request.GET.get("page"))
    today = program_today(program)
    rows = draw.draws_audited(page, today)
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return render(
        request,
        "compliance/program_draws.html",
        {
            "program": program,
            "page": page,
            "rows": rows,
            "algorithm": draw.ALGORITHM_VERSION,
            "month": last_month,
            "shortfalls": selectors.monthly_shortfalls(program, last_month),
        },
    )
