"""Participant pages. Every participant-scoped view starts with `access.get_participant_or_404`;
someone else's participant answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from drugcourt.forms import form_errors_from
from drugcourt.models import Program
from drugcourt.permissions import role_required
from drugcourt.selectors import event_actor_names
from drugcourt.views import PAGE_SIZE

from . import access, registry, selectors, services
from .access import INTAKE_ROLES, REACHING_ROLES, DataClass
from .forms import (
    AlertResolveForm,
    AssignmentForm,
    CaseloadTransferForm,
    ChargeFormSet,
    DocumentForm,
    EnrollmentForm,
    PersonForm,
    StatusChangeForm,
)
from .models import Alert, AlertState, CaseAssignment, Document, Enrollment, EnrollmentStatus


@role_required(*REACHING_ROLES)
def participant_list(request):
    search = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    phase = request.GET.get("phase", "")
    page = selectors.caseload_page(
        request.user,
        page_number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        search=search,
        status=status,
        phase=int(phase) if phase.isdigit() else None,
    )
    return render(
        request,
        "clients/participant_list.html",
        {
            "page": page,
            "facts": selectors.visible_caseload_facts(request.user),
            "search": search,
            "status": status,
            "phase": phase,
            "status_choices": EnrollmentStatus.choices,
        },
    )


@role_required(*INTAKE_ROLES)
def intake(request):
    programs = selectors.intake_programs_for(request.user)
    if not programs.exists():
        raise Http404("You do not do intakes in any program.")
    person_form = PersonForm(request.POST or None)
    enrollment_form = EnrollmentForm(request.POST or None, programs=programs)
    charges = ChargeFormSet(request.POST or None, prefix="charges")
    duplicates = None
    forms_valid = request.method == "POST" and all(
        [person_form.is_valid(), enrollment_form.is_valid(), charges.is_valid()]
    )
    if forms_valid:
        duplicates = selectors.possible_duplicates(
            legal_first_name=person_form.cleaned_data["legal_first_name"],
            legal_last_name=person_form.cleaned_data["legal_last_name"],
            date_of_birth=person_form.cleaned_data["date_of_birth"],
            identifier_values=[i.value for i in person_form.identifiers()],
        )
        if duplicates.exists() and not person_form.cleaned_data["confirm_new_person"]:
            person_form.add_error("confirm_new_person", "A possible duplicate exists; see above.")
        else:
            with form_errors_from(enrollment_form):
                participant = services.participant_intake(
                    person=person_form.person(),
                    enrollment=enrollment_form.enrollment(charges.charges()),
                    identifiers=person_form.identifiers(),
                    emergency_contacts=person_form.emergency_contacts(),
                    actor=request.user,
                )
                messages.success(request, f"{participant} is referred.")
                return redirect("clients:participant_detail", pk=participant.pk)
    coordinator_sees = forms_valid and access.coordinates(
        request.user, enrollment_form.cleaned_data["program"]
    )
    return render(
        request,
        "clients/intake.html",
        {
            "form": person_form,
            "enrollment_form": enrollment_form,
            "charges": charges,
            "has_duplicates": duplicates is not None and duplicates.exists(),
            "duplicates": duplicates if coordinator_sees else None,
        },
    )


@login_required
def enrollment_create(request, pk: int):
    """A readmission (or an enrollment in another program): a new episode of the same person."""
    participant = access.get_participant_or_404(request.user, pk, DataClass.ENROLLMENT, change=True)
    programs = selectors.intake_programs_for(request.user)
    enrollment_form = EnrollmentForm(request.POST or None, programs=programs)
    charges = ChargeFormSet(request.POST or None, prefix="charges")
    if request.method == "POST" and enrollment_form.is_valid() and charges.is_valid():
        with form_errors_from(enrollment_form):
            services.enrollment_create(
                participant=participant,
                data=enrollment_form.enrollment(charges.charges()),
                actor=request.user,
            )
            messages.success(request, f"New enrollment recorded for {participant}.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "clients/enrollment_create.html",
        {"participant": participant, "enrollment_form": enrollment_form, "charges": charges},
    )


@login_required
def participant_detail(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk)
    visible = access.visible_data_classes(request.user, participant)
    sections = [
        (section, section.context(participant, request.user))
        for section in registry.sections()
        if section.data_class in visible
    ]
    return render(
        request,
        "clients/participant_detail.html",
        {
            "participant": participant,
            **selectors.participant_header(participant),
            "sections": sections,
            "may_change_enrollment": access.can_change(
                request.user, participant, DataClass.ENROLLMENT
            ),
            "may_upload": access.can_change(request.user, participant, DataClass.DOCUMENTS),
            "coordinates": _coordinates_participant(request.user, participant),
        },
    )


def _coordinates_participant(user, participant) -> bool:
    programs = Program.objects.filter(enrollments__participant=participant)
    return any(access.coordinates(user, program) for program in programs)


def _participant_for_coordinator(user, pk: int):
    participant = access.get_participant_or_404(user, pk, DataClass.ENROLLMENT, change=True)
    if not _coordinates_participant(user, participant):
        raise Http404("Only the program's coordinators manage the team.")
    return participant


@login_required
def participant_team(request, pk: int):
    participant = _participant_for_coordinator(request.user, pk)
    form = AssignmentForm(
        request.POST or None, program_staff=selectors.team_candidates(participant)
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.assignment_create(
                participant=participant,
                user=form.cleaned_data["user"],
                team_role=form.cleaned_data["team_role"],
                actor=request.user,
            )
            messages.success(request, f"{form.cleaned_data['user']} joined the team.")
            return redirect("clients:participant_team", pk=participant.pk)
    return render(
        request,
        "clients/participant_team.html",
        {"participant": participant, "team": selectors.team_for(participant), "form": form},
    )


@require_POST
@login_required
def assignment_end(request, pk: int, assignment_pk: int):
    participant = _participant_for_coordinator(request.user, pk)
    assignment = get_object_or_404(
        CaseAssignment, pk=assignment_pk, participant=participant, ended_on__isnull=True
    )
    services.assignment_end(assignment=assignment, actor=request.user)
    messages.success(request, f"{assignment.user} left the team.")
    return redirect("clients:participant_team", pk=participant.pk)


@login_required
def enrollment_status(request, pk: int, enrollment_pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.ENROLLMENT, change=True)
    enrollment = get_object_or_404(Enrollment, pk=enrollment_pk, participant=participant)
    form = StatusChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.enrollment_change_status(
                enrollment=enrollment, **form.cleaned_data, actor=request.user
            )
            messages.success(request, f"The enrollment is now {enrollment.get_status_display()}.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "clients/enrollment_status.html",
        {"participant": participant, "enrollment": enrollment, "form": form},
    )


@login_required
def document_upload(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.DOCUMENTS, change=True)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.document_upload(
                participant=participant,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                uploaded_file=form.cleaned_data["file"],
                actor=request.user,
            )
            messages.success(request, "The document is uploaded.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request, "clients/document_upload.html", {"participant": participant, "form": form}
    )


@login_required
def document_download(request, pk: int, document_pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.DOCUMENTS)
    document = get_object_or_404(Document, pk=document_pk, participant=participant)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=document.content_type == "application/pdf",
        filename=document.original_name,
        content_type=document.content_type,
    )


@login_required
def participant_photo(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.IDENTITY)
    if participant.photo is None:
        raise Http404("No photo.")
    photo = participant.photo
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


@login_required
def participant_history(request, pk: int):
    participant = _participant_for_coordinator(request.user, pk)
    page = Paginator(selectors.history_of(participant), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "clients/participant_history.html",
        {
            "participant": participant,
            "page": page,
            "actors": event_actor_names(page),
        },
    )


@role_required(*REACHING_ROLES)
def alert_list(request):
    state = request.GET.get("state", AlertState.OPEN)
    alerts = selectors.alerts_for(request.user, state=state)
    return render(
        request,
        "clients/alert_list.html",
        {
            "page": Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page")),
            "state": state,
            "state_choices": AlertState.choices,
        },
    )


def _alert_to_handle(user, pk: int) -> Alert:
    """An alert the user sees and may act on (change its data class); 404 otherwise."""
    alert = selectors.alerts_for(user, state=None).filter(pk=pk).first()
    if alert is None or not access.can_change(user, alert.participant, alert.data_class):
        raise Http404("No such alert.")
    return alert


@require_POST
@login_required
def alert_acknowledge(request, pk: int):
    alert = _alert_to_handle(request.user, pk)
    try:
        services.alert_acknowledge(alert=alert, actor=request.user)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    return redirect("clients:alert_list")


@require_POST
@login_required
def alert_resolve(request, pk: int):
    alert = _alert_to_handle(request.user, pk)
    form = AlertResolveForm(request.POST)
    if form.is_valid():
        try:
            services.alert_resolve(alert=alert, note=form.cleaned_data["note"], actor=request.user)
        except ValidationError as refusal:
            messages.error(request, refusal.messages[0])
    else:
        messages.error(request, "Say how the alert was resolved.")
    return redirect("clients:alert_list")


@login_required
def caseload_transfer(request, program_pk: int):
    program = get_object_or_404(Program, pk=program_pk)
    if not access.coordinates(request.user, program):
        raise Http404("No such program.")
    form = CaseloadTransferForm(
        request.POST or None, case_managers=selectors.case_managers_in(program)
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            moved = services.caseload_transfer(
                program=program, **form.cleaned_data, actor=request.user
            )
            messages.success(
                request,
                f"Moved {moved} participant{'s' if moved != 1 else ''} from "
                f"{form.cleaned_data['from_user']} to {form.cleaned_data['to_user']}.",
            )
            return redirect("clients:caseload_transfer", program_pk=program.pk)
    return render(request, "clients/caseload_transfer.html", {"program": program, "form": form})
