"""Participant pages. Every participant-scoped view starts with `access.get_participant_or_404`;
someone else's participant answers 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from drugcourt.forms import form_errors_from, int_or_none
from drugcourt.models import Program, User
from drugcourt.permissions import role_required
from drugcourt.roles import Role
from drugcourt.selectors import event_actor_names, program_today, treatment_providers, user_today
from drugcourt.views import PAGE_SIZE

from . import access, consents, selectors, services
from .access import INTAKE_ROLES, REACHING_ROLES, DataClass
from .forms import (
    CONSENT_CLASS_CHOICES,
    CONTACT_FIELDS,
    AccessLogFilterForm,
    AddendumForm,
    AlertResolveForm,
    AppointmentForm,
    AssignmentForm,
    CaseloadTransferForm,
    ChargeFormSet,
    ConsentDispositionForm,
    ConsentForm,
    ConsentRevokeForm,
    ContactForm,
    DocumentForm,
    EnrollmentForm,
    EnteredInErrorForm,
    IncidentForm,
    LifeDomainForm,
    OutcomeForm,
    PersonForm,
    SealingOrderForm,
    StatusChangeForm,
    TimelineFilterForm,
)
from .models import (
    CRIMINAL_JUSTICE_REVOCATION_TERMS,
    REVOCATION_TERMS,
    TRIGGER_WORDS,
    Alert,
    AlertState,
    CaseAssignment,
    Document,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
)

# Who gets a "Log contact" button on list rows (the view itself checks each participant).
CONTACT_WRITING_ROLES = {Role.CASE_MANAGER, Role.COORDINATOR, Role.PROBATION_OFFICER}


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
        phase=int_or_none(phase),
    )
    return render(
        request,
        "clients/participant_list.html",
        {
            "page": page,
            "facts": selectors.visible_caseload_facts(request.user),
            "case_numbers": selectors.shows_case_numbers(request.user),
            "may_log_contacts": bool(CONTACT_WRITING_ROLES & set(request.user.roles)),
            "search": search,
            "status": status,
            "phase": phase,
            "phase_choices": selectors.caseload_phase_choices(request.user),
            "status_choices": EnrollmentStatus.choices,
        },
    )


@role_required(*INTAKE_ROLES)
def intake(request):
    programs = selectors.intake_programs_for(request.user)
    if not programs.exists():
        raise Http404("You do not do intakes in any program.")
    # The programs one user does intakes for belong to one court and share its zone.
    today = program_today(programs[0])
    person_form = PersonForm(request.POST or None, today=today)
    enrollment_form = EnrollmentForm(request.POST or None, programs=programs, today=today)
    charges = ChargeFormSet(request.POST or None, prefix="charges")
    duplicates = None
    forms_valid = request.method == "POST" and all(
        [person_form.is_valid(), enrollment_form.is_valid(), charges.is_valid()]
    )
    if forms_valid:
        duplicates = selectors.duplicate_check(
            request.user,
            legal_first_name=person_form.cleaned_data["legal_first_name"],
            legal_last_name=person_form.cleaned_data["legal_last_name"],
            date_of_birth=person_form.cleaned_data["date_of_birth"],
            identifier_values=[i.value for i in person_form.identifiers()],
        )
        if duplicates.found and not person_form.cleaned_data["confirm_new_person"]:
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
    return render(
        request,
        "clients/intake.html",
        {
            "form": person_form,
            "enrollment_form": enrollment_form,
            "charges": charges,
            "duplicates": duplicates,
        },
    )


@login_required
def enrollment_create(request, pk: int):
    """A readmission (or an enrollment in another program): a new episode of the same person."""
    participant = access.get_participant_or_404(request.user, pk, DataClass.ENROLLMENT, change=True)
    programs = selectors.intake_programs_for(request.user)
    enrollment_form = EnrollmentForm(
        request.POST or None, programs=programs, today=selectors.participant_today(participant)
    )
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
    sections = selectors.participant_sections(request.user, participant)
    return render(
        request,
        "clients/participant_detail.html",
        {
            "participant": participant,
            **selectors.participant_header(participant, request.user),
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
def participant_seal(request, pk: int):
    """Record a court order sealing the record (a coordinator of the participant's program):
    the page says what sealing does before the coordinator confirms."""
    participant = _participant_for_coordinator(request.user, pk)
    form = SealingOrderForm(request.POST or None, today=selectors.participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.sealing_order_record(
                participant=participant, **form.cleaned_data, actor=request.user
            )
            messages.success(request, "The sealing order is recorded: only coordinators open it.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request, "clients/participant_seal.html", {"participant": participant, "form": form}
    )


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
    try:
        services.assignment_end(assignment=assignment, actor=request.user)
        messages.success(request, f"{assignment.user} left the team.")
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    return redirect("clients:participant_team", pk=participant.pk)


@login_required
def enrollment_status(request, pk: int, enrollment_pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.ENROLLMENT, change=True)
    enrollment = get_object_or_404(Enrollment, pk=enrollment_pk, participant=participant)
    form = StatusChangeForm(request.POST or None, today=program_today(enrollment.program))
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
    page = Paginator(selectors.history_of(request.user, participant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
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
    page = Paginator(selectors.alerts_for(request.user, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    selectors.note_alerts_shown(request.user, page)
    return render(
        request,
        "clients/alert_list.html",
        {
            "page": page,
            "handleable": access.handleable_alerts(request.user, page),
            "state": state,
            "state_choices": AlertState.choices,
        },
    )


def _alert_to_handle(user, pk: int) -> Alert:
    """An alert the user sees and may act on (change its data class); 404 otherwise."""
    alert = selectors.alerts_for(user, state=None).filter(pk=pk).first()
    if alert is None or alert.pk not in access.handleable_alerts(user, [alert]):
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


# ---------------------------------------------------------------------------------------------
# The daily record


def _contact_form(
    request, participant, *, data=None, with_follow_up=True, initial=None, editing=None
):
    return ContactForm(
        data,
        initial=initial,
        note_format=services.note_format_for(participant, timezone.now()),
        team=selectors.team_members(participant),
        with_follow_up=with_follow_up,
        stays_shared=editing is not None and editing.shared_with_supervision,
    )


def _participant_for_contacts(user, pk: int):
    """A participant the user may write contacts for: case notes or supervision contacts."""
    participant = access.get_participant_or_404(user, pk)
    if not (
        access.can_change(user, participant, DataClass.CASE_NOTES)
        or access.can_change(user, participant, DataClass.SUPERVISION_CONTACTS)
    ):
        raise Http404("No such participant.")
    return participant


@login_required
def contact_log(request, pk: int):
    """Logs a contact. Through htmx (from the caseload or the participant page) it answers with
    the form again, blank after success, and the `contactLogged` event that refreshes the
    timeline and the caseload's last-contact cell; without htmx it is a plain page."""
    participant = _participant_for_contacts(request.user, pk)
    form = _contact_form(request, participant, data=request.POST or None)
    logged = None
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            logged = services.contact_log(
                participant=participant,
                data=form.contact_data(),
                follow_up=form.follow_up(),
                actor=request.user,
            )
            if not request.htmx:
                messages.success(request, "The contact is logged.")
                return redirect("clients:participant_detail", pk=participant.pk)
            form = _contact_form(request, participant)
    template = "clients/_contact_form.html" if request.htmx else "clients/contact_form.html"
    response = render(
        request, template, {"participant": participant, "form": form, "logged": logged}
    )
    if logged is not None:
        response["HX-Trigger"] = "contactLogged"
    return response


@login_required
def contact_detail(request, pk: int, contact_pk: int):
    participant = access.get_participant_or_404(request.user, pk)
    contact = selectors.contact_of(request.user, participant, contact_pk)
    if contact is None:
        raise Http404("No such contact.")
    editable = services.contact_is_editable(contact, request.user, timezone.now())
    edit_form = None
    if editable:
        edit_form = _contact_form(
            request,
            participant,
            with_follow_up=False,
            initial={name: getattr(contact, name) for name in CONTACT_FIELDS},
            editing=contact,
        )
    return render(
        request,
        "clients/contact_detail.html",
        {
            "participant": participant,
            "contact": contact,
            "edit_form": edit_form,
            "addendum_form": AddendumForm(),
            "error_form": EnteredInErrorForm(),
        },
    )


def _contact_to_change(user, pk: int, contact_pk: int):
    participant = _participant_for_contacts(user, pk)
    contact = selectors.contact_of(user, participant, contact_pk)
    if contact is None:
        raise Http404("No such contact.")
    return participant, contact


@require_POST
@login_required
def contact_edit(request, pk: int, contact_pk: int):
    participant, contact = _contact_to_change(request.user, pk, contact_pk)
    version = int_or_none(request.POST.get("version"))
    if version is None:
        messages.error(request, "The note was not saved: reload it and make the change again.")
        return redirect("clients:contact_detail", pk=participant.pk, contact_pk=contact.pk)
    form = _contact_form(
        request, participant, data=request.POST, with_follow_up=False, editing=contact
    )
    if form.is_valid():
        try:
            services.contact_edit(
                contact=contact,
                version=version,
                data=form.contact_data(),
                actor=request.user,
            )
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            messages.success(request, "The note is saved.")
    else:
        messages.error(request, "The note was not saved: " + form.errors.as_text())
    return redirect("clients:contact_detail", pk=participant.pk, contact_pk=contact.pk)


@require_POST
@login_required
def addendum_add(request, pk: int, contact_pk: int):
    participant, contact = _contact_to_change(request.user, pk, contact_pk)
    form = AddendumForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write the addendum.")
        services.addendum_add(contact=contact, text=form.cleaned_data["text"], actor=request.user)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, "The addendum is added.")
    return redirect("clients:contact_detail", pk=participant.pk, contact_pk=contact.pk)


@require_POST
@login_required
def contact_mark_error(request, pk: int, contact_pk: int):
    participant, contact = _contact_to_change(request.user, pk, contact_pk)
    form = EnteredInErrorForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the note was entered in error.")
        services.contact_mark_entered_in_error(
            contact=contact, reason=form.cleaned_data["reason"], actor=request.user
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("clients:contact_detail", pk=participant.pk, contact_pk=contact.pk)
    messages.success(request, "The note is marked as entered in error; it stays in the history.")
    return redirect("clients:participant_detail", pk=participant.pk)


@login_required
def timeline(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk)
    form = TimelineFilterForm(
        request.GET or None, authors=selectors.timeline_authors(request.user, participant)
    )
    filters = selectors.TimelineFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.TimelineFilter(
            kinds=(data["kind"],) if data["kind"] else selectors.TIMELINE_KINDS,
            function=data["function"],
            author_id=data["author"].pk if data["author"] else None,
            start=data["start"],
            end=data["end"],
        )
    page = Paginator(
        selectors.timeline_rows(request.user, participant, filters), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    template = "clients/_timeline.html" if request.htmx else "clients/timeline.html"
    return render(
        request,
        template,
        {
            "participant": participant,
            "form": form,
            "page": page,
            "entries": selectors.timeline_entries(page.object_list),
            "withheld": selectors.appointments_withheld(request.user, participant).count(),
        },
    )


def _participant_for_attendance(user, pk: int):
    return access.get_participant_or_404(user, pk, DataClass.ATTENDANCE, change=True)


@login_required
def appointment_new(request, pk: int):
    participant = _participant_for_attendance(request.user, pk)
    form = AppointmentForm(
        request.POST or None,
        team=selectors.team_members(participant),
        kinds=access.schedulable_kinds(request.user, participant),
        agencies=None
        if access.agency_rows_only(request.user, participant, DataClass.ATTENDANCE, change=True)
        else treatment_providers(),
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.appointment_schedule(
                participant=participant, **form.cleaned_data, actor=request.user
            )
            messages.success(request, "The appointment is scheduled.")
            return redirect("clients:participant_calendar", pk=participant.pk)
    return render(
        request, "clients/appointment_form.html", {"participant": participant, "form": form}
    )


@require_POST
@login_required
def appointment_outcome(request, pk: int, appointment_pk: int):
    participant = _participant_for_attendance(request.user, pk)
    appointment = selectors.appointment_to_change(request.user, participant, appointment_pk)
    if appointment is None:
        raise Http404("No such appointment.")
    form = OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose an outcome.")
        services.appointment_record_outcome(
            appointment=appointment,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, f"Recorded: {appointment.get_outcome_display()}.")
    return redirect("clients:participant_calendar", pk=participant.pk)


@login_required
def participant_calendar(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.ATTENDANCE)
    week = selectors.calendar_week(
        request.GET.get("start"), today=selectors.participant_today(participant)
    )
    appointments = list(
        selectors.appointments_between(request.user, participant, week.start_at, week.end_at)
    )
    return render(
        request,
        "clients/participant_calendar.html",
        {
            "participant": participant,
            "week": week,
            "days": selectors.appointments_by_day(appointments, week),
            "withheld": selectors.appointments_withheld(
                request.user, participant, start=week.start_at, end=week.end_at
            ).count(),
            "may_schedule": bool(access.schedulable_kinds(request.user, participant)),
            "changeable": access.changeable_appointments(request.user, appointments),
            "outcome_form": OutcomeForm(),
        },
    )


@role_required(*REACHING_ROLES)
def my_calendar(request):
    day = selectors.parse_day(request.GET.get("day"), today=user_today(request.user))
    return render(
        request,
        "clients/my_calendar.html",
        {
            "day": day,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
            "appointments": selectors.calendar_of_day(request.user, day),
        },
    )


@login_required
def life_domains(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.CASE_NOTES)
    may_change = access.can_change(request.user, participant, DataClass.CASE_NOTES)
    form = LifeDomainForm(request.POST or None, today=selectors.participant_today(participant))
    if request.method == "POST":
        if not may_change:
            raise Http404("No such participant.")
        if form.is_valid():
            with form_errors_from(form):
                services.life_domain_record(
                    participant=participant, **form.cleaned_data, actor=request.user
                )
                messages.success(request, "Recorded.")
                return redirect("clients:life_domains", pk=participant.pk)
    return render(
        request,
        "clients/life_domains.html",
        {
            "participant": participant,
            "history": selectors.life_domain_history(participant),
            "form": form if may_change else None,
        },
    )


@login_required
def incident_new(request, pk: int):
    participant = access.get_participant_or_404(
        request.user, pk, DataClass.ALL_INCIDENTS, change=True
    )
    form = IncidentForm(request.POST or None, today=selectors.participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.incident_record(
                participant=participant, **form.cleaned_data, actor=request.user
            )
            messages.success(request, "The incident is recorded.")
            return redirect("clients:timeline", pk=participant.pk)
    return render(request, "clients/incident_form.html", {"participant": participant, "form": form})


@require_POST
@login_required
def follow_up_complete(request, pk: int):
    follow_up = get_object_or_404(
        FollowUp.objects.select_related("participant"), pk=pk, assigned_to=request.user
    )
    try:
        services.follow_up_complete(follow_up=follow_up, actor=request.user)
    except ValidationError as refusal:
        if request.htmx:
            # The swapped-in answer to a refusal says why and nothing of the participant.
            return render(request, "clients/_refused.html", {"message": " ".join(refusal.messages)})
        messages.error(request, " ".join(refusal.messages))
    if request.htmx:
        return render(request, "clients/_follow_up.html", {"follow_up": follow_up})
    return redirect("home")


# ---------------------------------------------------------------------------------------------
# 42 CFR Part 2 consents: recorded, read, revoked and printed by those who may change the
# participant's consents (case managers and coordinators); everyone else gets 404.


def _consent(user, pk: int, consent_pk: int, *, change: bool = False):
    participant = access.get_participant_or_404(user, pk, DataClass.CONSENTS, change=change)
    consent = get_object_or_404(selectors.consents_of(user, participant), pk=consent_pk)
    return participant, consent


@login_required
def consent_new(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.CONSENTS, change=True)
    form = ConsentForm(
        request.POST or None,
        request.FILES or None,
        today=selectors.participant_today(participant),
        participant=participant,
        enrollments=selectors.consent_enrollments(request.user, participant),
        organizations=selectors.consent_recipient_organizations(),
        staff=selectors.consent_recipient_staff(list(consents.RECIPIENT_ROLES)),
        recipient_roles=consents.RECIPIENT_ROLES,
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            consent = consents.consent_record(
                participant=participant, **form.consent_fields(), actor=request.user
            )
            messages.success(request, "The consent is recorded.")
            return redirect("clients:consent_detail", pk=participant.pk, consent_pk=consent.pk)
    return render(
        request,
        "clients/consent_form.html",
        {
            "participant": participant,
            "form": form,
            "revocation_terms": {
                "ordinary": REVOCATION_TERMS,
                "criminal_justice": CRIMINAL_JUSTICE_REVOCATION_TERMS,
            },
        },
    )


@login_required
def consent_detail(request, pk: int, consent_pk: int):
    participant, consent = _consent(request.user, pk, consent_pk)
    return render(
        request,
        "clients/consent_detail.html",
        {
            "participant": participant,
            "row": selectors.consent_row(consent),
            "may_change": access.can_change(request.user, participant, DataClass.CONSENTS),
        },
    )


@login_required
def consent_revoke(request, pk: int, consent_pk: int):
    """A confirmation page (GET) and the revocation (POST)."""
    participant, consent = _consent(request.user, pk, consent_pk, change=True)
    row = selectors.consent_row(consent)
    form = ConsentRevokeForm(request.POST or None, today=row.today)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            consents.consent_revoke(consent=consent, **form.cleaned_data, actor=request.user)
            messages.success(request, "The consent is revoked: it covers no disclosure from now.")
            return redirect("clients:consent_detail", pk=participant.pk, consent_pk=consent.pk)
    return render(
        request,
        "clients/consent_revoke.html",
        {"participant": participant, "row": row, "form": form},
    )


@login_required
def consent_disposition(request, pk: int, consent_pk: int):
    participant, consent = _consent(request.user, pk, consent_pk, change=True)
    row = selectors.consent_row(consent)
    form = ConsentDispositionForm(request.POST or None, today=row.today)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            consents.consent_record_disposition(
                consent=consent, **form.cleaned_data, actor=request.user
            )
            messages.success(request, "The final disposition is recorded on the consent.")
            return redirect("clients:consent_detail", pk=participant.pk, consent_pk=consent.pk)
    return render(
        request,
        "clients/consent_disposition.html",
        {"participant": participant, "row": row, "form": form},
    )


@login_required
def consent_print(request, pk: int, consent_pk: int):
    """The consent form generated from the record, to print (and give the participant)."""
    participant, consent = _consent(request.user, pk, consent_pk)
    return render(
        request,
        "clients/consent_print.html",
        {"participant": participant, "row": selectors.consent_row(consent)},
    )


@login_required
def consent_blank(request, pk: int):
    """A blank consent form to fill in and sign on paper (then uploaded when recorded)."""
    participant = access.get_participant_or_404(request.user, pk, DataClass.CONSENTS, change=True)
    return render(
        request,
        "clients/consent_blank.html",
        {
            "participant": participant,
            "today": selectors.participant_today(participant),
            "revocation_terms": REVOCATION_TERMS,
            "criminal_justice_terms": CRIMINAL_JUSTICE_REVOCATION_TERMS,
            "events": TRIGGER_WORDS.values(),
            "classes": [label for _, label in CONSENT_CLASS_CHOICES],
            "roles": [Role(role).label for role in consents.RECIPIENT_ROLES],
        },
    )


# ---------------------------------------------------------------------------------------------
# The access log and the accounting of disclosures (docs/decisions/0018)


@role_required(Role.COORDINATOR)
def access_log(request):
    """The coordinator's review of who read their program's participants."""
    form = AccessLogFilterForm(request.GET or None, staff=selectors.access_log_staff(request.user))
    page = selectors.access_log_page(request.user, form.filters(), older=request.GET.get("older"))
    return render(request, "clients/access_log.html", {"form": form, "page": page})


@role_required(Role.ADMINISTRATOR)
def access_log_metadata(request):
    """Administrators: who read how many participants when, through which page; never whom."""
    form = AccessLogFilterForm(
        request.GET or None,
        staff=User.objects.order_by("last_name", "first_name", "username"),
        with_participant=False,
    )
    page = selectors.access_log_metadata_page(form.filters(), older=request.GET.get("older"))
    return render(request, "clients/access_log_metadata.html", {"form": form, "page": page})


@login_required
def disclosures(request, pk: int):
    """The accounting of disclosures of one participant, for the program's coordinators."""
    participant = _participant_for_coordinator(request.user, pk)
    page = Paginator(selectors.disclosures_of(participant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "clients/disclosures.html",
        {
            "participant": participant,
            "page": page,
            "entries": selectors.disclosure_entries(page.object_list),
        },
    )


@login_required
def disclosures_print(request, pk: int):
    """The same, every entry, to print and hand to the participant on request."""
    participant = _participant_for_coordinator(request.user, pk)
    return render(
        request,
        "clients/disclosures_print.html",
        {
            "participant": participant,
            "entries": selectors.disclosure_entries(selectors.disclosures_of(participant)),
            "printed_on": user_today(request.user),
        },
    )
