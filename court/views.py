"""Court pages: a program's sessions, one session's docket (and its print), the hearing of one
docket entry with what the judge or a clerk of the session records at it, the warrants of a
program, and the hours worked towards community service.

Who sees what comes from court.selectors (clients.access underneath): a session or entry the
user may not see answers 404, like one that does not exist; so does a change the user may not
make. Writes go through court.services only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients import access
from clients.access import DataClass
from clients.selectors import participant_today
from drugcourt.forms import form_errors_from, int_or_none
from drugcourt.permissions import get_coordinated_program_or_404
from drugcourt.selectors import program_today
from drugcourt.views import PAGE_SIZE

from . import completion, selectors, services
from .forms import (
    AssessmentForm,
    CompletionForm,
    ConditionForm,
    ConditionLiftForm,
    ConditionViolationForm,
    EnrollmentCloseForm,
    OutcomeForm,
    PaymentForm,
    PhaseChangeForm,
    PlaceForm,
    ReasonForm,
    RecommendationForm,
    ResponseForm,
    ReversalForm,
    ServiceHoursForm,
    SessionForm,
    StaffingNoteForm,
    WaiverForm,
    WarrantChangeForm,
)
from .models import Appearance, CourtSession, LedgerEntryKind, WarrantState


def _chosen_program(request, programs: list):
    """The program asked for (`?program=`) among `programs`, or the first of them."""
    if not programs:
        raise Http404("You work in no court program.")
    chosen = int_or_none(request.GET.get("program"))
    return next((program for program in programs if program.pk == chosen), programs[0])


# ---------------------------------------------------------------------------------------------
# Sessions


@login_required
def session_list(request):
    """A program's court sessions the user sees, upcoming (soonest first) or past."""
    programs = list(selectors.court_programs_of(request.user))
    program = _chosen_program(request, programs)
    past = request.GET.get("when") == "past"
    sessions = selectors.sessions_of(request.user, program, past=past, today=program_today(program))
    return render(
        request,
        "court/session_list.html",
        {
            "program": program,
            "programs": programs,
            "past": past,
            "page": Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page")),
            "may_set_up": access.coordinates(request.user, program),
            "works_warrants": access.works_warrants(request.user, program),
        },
    )


def _session_form(request, program, *, session: CourtSession | None = None) -> SessionForm:
    initial = {}
    if session is not None:
        initial = {
            "held_on": session.held_on,
            "start_time": session.start_time,
            "courtroom": session.courtroom,
            "judge": session.judge,
            "clerks": list(session.clerks.all()),
        }
    return SessionForm(
        request.POST or None,
        initial=initial,
        judges=selectors.judges_of(program),
        clerks=selectors.clerks_of(program),
        editing=session is not None,
    )


@login_required
def session_create(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    form = _session_form(request, program)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            session = services.court_session_create(
                program=program, **form.cleaned_data, actor=request.user
            )
            messages.success(request, f"Court session of {session.held_on:%a %b %-d} set up.")
            return redirect("court:docket", pk=session.pk)
    return render(
        request, "court/session_form.html", {"program": program, "form": form, "session": None}
    )


def _coordinated_session(user, pk: int) -> CourtSession:
    session = get_object_or_404(CourtSession.objects.select_related("program", "judge"), pk=pk)
    if not access.coordinates(user, session.program):
        raise Http404("No such court session.")
    return session


@login_required
def session_update(request, pk: int):
    session = _coordinated_session(request.user, pk)
    form = _session_form(request, session.program, session=session)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form):
            services.court_session_update(
                session=session,
                start_time=data["start_time"],
                courtroom=data["courtroom"],
                judge=data["judge"],
                clerks=data["clerks"],
                actor=request.user,
            )
            messages.success(request, "Court session changed.")
            return redirect("court:docket", pk=session.pk)
    return render(
        request,
        "court/session_form.html",
        {"program": session.program, "form": form, "session": session},
    )


# ---------------------------------------------------------------------------------------------
# The docket


def _session(user, pk: int) -> CourtSession:
    session = selectors.session_for(user, pk)
    if session is None:
        raise Http404("No such court session.")
    return session


def _docket_context(request, session: CourtSession) -> dict:
    entries = list(selectors.docket_for(request.user, session))
    # A docket names each participant on it and their hearing: for the access log.
    access.note_shown(
        request.user,
        (
            (entry.participant_id, data_class)
            for entry in entries
            for data_class in (DataClass.IDENTITY, DataClass.COURT)
        ),
    )
    return {
        "session": session,
        "program": session.program,
        "entries": entries,
        "today": program_today(session.program),
    }


@login_required
def docket(request, pk: int):
    session = _session(request.user, pk)
    context = _docket_context(request, session)
    context["may_place"] = access.coordinates(request.user, session.program)
    context["may_record"] = access.acts_for_session(request.user, session)
    # The bench's page during the session's day keeps its session alive (drugcourt.security).
    context["keep_alive"] = context["may_record"] and session.held_on == context["today"]
    return render(request, "court/docket.html", context)


@login_required
def docket_print(request, pk: int):
    """The docket as printed for the bench and counsel: entries only, the redisclosure notice
    at its foot."""
    session = _session(request.user, pk)
    return render(request, "court/docket_print.html", _docket_context(request, session))


@login_required
def summary(request, pk: int):
    """The judge's compliance summary of the session's docket: each participant the user sees
    on it since their previous hearing, with its colour and reasons; prints as the staffing
    packet (`?per_page=1`: a page per participant)."""
    session = _session(request.user, pk)
    today = program_today(session.program)
    return render(
        request,
        "court/summary.html",
        {
            "session": session,
            "program": session.program,
            "rows": selectors.compliance_summary(
                request.user, session, today=today, now=timezone.now()
            ),
            "today": today,
            "page_per_participant": request.GET.get("per_page") == "1",
        },
    )


@login_required
def docket_place(request, pk: int):
    """The coordinator places participants on the docket: those whose next hearing falls due
    by the session's day come checked; a search adds anyone else active in the program."""
    session = _coordinated_session(request.user, pk)
    search = request.GET.get("q", "").strip()
    suggested = list(selectors.docket_suggestions(session))
    placeable = selectors.placeable_enrollments(session)
    shown = {enrollment.pk for enrollment in suggested}
    found = (
        [e for e in selectors.placeable_enrollments(session, search=search) if e.pk not in shown]
        if search
        else []
    )
    form = PlaceForm(
        request.POST or None,
        placeable=placeable,
        initial={"enrollments": [enrollment.pk for enrollment in suggested]},
    )
    if request.method == "POST" and form.is_valid():
        placed, refused = [], []
        for enrollment in form.cleaned_data["enrollments"]:
            try:
                services.docket_place(session=session, enrollment=enrollment, actor=request.user)
                placed.append(str(enrollment.participant))
            except ValidationError as refusal:
                refused.append(f"{enrollment.participant}: {' '.join(refusal.messages)}")
        if placed:
            messages.success(request, f"Placed on the docket: {', '.join(placed)}.")
        for message in refused:
            messages.error(request, message)
        return redirect("court:docket", pk=session.pk)
    return render(
        request,
        "court/docket_place.html",
        {
            "session": session,
            "form": form,
            "suggested": suggested,
            "found": found,
            "search": search,
        },
    )


@login_required
def docket_remove(request, pk: int):
    """Takes an entry off the docket before its hearing (a confirmation page with the reason)."""
    entry = _entry(request.user, pk)
    if not access.coordinates(request.user, entry.session.program):
        raise Http404("No such hearing.")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.docket_remove(
                entry=entry, reason=form.cleaned_data["reason"], actor=request.user
            )
            messages.success(request, f"{entry.participant} taken off the docket.")
            return redirect("court:docket", pk=entry.session_id)
    return render(request, "court/docket_remove.html", {"entry": entry, "form": form})


# ---------------------------------------------------------------------------------------------
# A hearing


def _entry(user, pk: int):
    entry = selectors.entry_for(user, pk)
    if entry is None:
        raise Http404("No such hearing.")
    return entry


def _acting_entry(user, pk: int):
    """An entry whose hearing the user records: the session's judge or a clerk listed on it."""
    entry = _entry(user, pk)
    if not access.acts_for_session(user, entry.session):
        raise Http404("No such hearing.")
    return entry


def _hearing_page(request, entry, **forms):
    """The hearing page; `forms` are bound forms sent back with their errors."""
    may_record = access.acts_for_session(request.user, entry.session)
    open_hearing = entry.appearance != Appearance.REMOVED
    context = {
        "entry": entry,
        "session": entry.session,
        "participant": entry.participant,
        "completion": selectors.completion_of(entry),
        "may_record": may_record,
        "may_remove": not entry.appearance
        and access.coordinates(request.user, entry.session.program),
        "default_next": None,
    }
    today = program_today(entry.session.program)
    # The bench's page during the session's day keeps its session alive (drugcourt.security).
    context["keep_alive"] = may_record and entry.session.held_on == today
    summary = selectors.compliance_summary(
        request.user, entry.session, today=today, now=timezone.now(), entry_pk=entry.pk
    )
    row = summary[0] if summary else None
    suggestion = row.suggestion if row else None
    context["row"] = row
    staffing = selectors.staffing_of(request.user, entry)
    context.update(_staffing_context(entry, staffing, suggestion=suggestion))
    if may_record and open_hearing:
        default_next = selectors.next_hearing_default(entry)
        context["default_next"] = default_next
        if not entry.appearance:
            context["outcome_form"] = forms.get("outcome_form") or OutcomeForm(default=default_next)
        # The response form starts from the team's recommendation, else the matrix's suggestion
        # (with the behaviour it answers when that is the response chosen).
        recommended = staffing.recommendation if staffing else None
        initial = {}
        if recommended:
            initial["option"] = recommended.option_id
        elif suggestion:
            initial["option"] = suggestion.option.pk
        if suggestion and initial["option"] == suggestion.option.pk:
            initial["behaviour"] = suggestion.behaviour
        context["response_form"] = forms.get("response_form") or ResponseForm(
            options=selectors.response_options_for(entry.session), initial=initial
        )
        # Decisions are taken at a hearing the participant appeared at (a termination also
        # after a failure to appear): court.services.phase_change_decide, completion_decide.
        if entry.appearance == Appearance.APPEARED:
            context["phase_form"] = forms.get("phase_form") or PhaseChangeForm(
                phases=selectors.phases_for(entry.session), current=entry.enrollment.phase
            )
        context["may_decide_completion"] = entry.appearance in (
            Appearance.APPEARED,
            Appearance.FAILED_TO_APPEAR,
        )
    status = 200
    return render(request, "court/hearing.html", context, status=status)


@login_required
def hearing(request, pk: int):
    return _hearing_page(request, _entry(request.user, pk))


@require_POST
@login_required
def hearing_outcome(request, pk: int):
    entry = _acting_entry(request.user, pk)
    form = OutcomeForm(request.POST, default=selectors.next_hearing_default(entry))
    if form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form):
            services.hearing_record_outcome(
                entry=entry,
                appearance=data["appearance"],
                next_hearing_on=data["next_hearing_on"],
                note=data["note"],
                next_hearing_reason=data["next_hearing_reason"],
                actor=request.user,
            )
            messages.success(request, f"Hearing of {entry.participant} recorded.")
            return redirect("court:hearing", pk=entry.pk)
    return _hearing_page(request, entry, outcome_form=form)


@require_POST
@login_required
def hearing_response(request, pk: int):
    entry = _acting_entry(request.user, pk)
    form = ResponseForm(request.POST, options=selectors.response_options_for(entry.session))
    if form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form):
            response = services.response_record(entry=entry, actor=request.user, **data)
            messages.success(request, f"{response.option} recorded.")
            return redirect("court:hearing", pk=entry.pk)
    return _hearing_page(request, entry, response_form=form)


@require_POST
@login_required
def hearing_phase(request, pk: int):
    entry = _acting_entry(request.user, pk)
    form = PhaseChangeForm(
        request.POST,
        phases=selectors.phases_for(entry.session),
        current=entry.enrollment.phase,
    )
    if form.is_valid():
        with form_errors_from(form):
            change = services.phase_change_decide(
                entry=entry, actor=request.user, **form.cleaned_data
            )
            messages.success(request, f"Moved to phase {change.to_phase}.")
            return redirect("court:hearing", pk=entry.pk)
    return _hearing_page(request, entry, phase_form=form)


def _note_completion_shown(user, participant_id: int) -> None:
    """The completion pages name the participant, their enrollment and court record, and the
    obligations still open (community service, testing orders, conditions, fees): for the
    access log."""
    access.note_shown(
        user,
        (
            (participant_id, data_class)
            for data_class in (
                DataClass.IDENTITY,
                DataClass.ENROLLMENT,
                DataClass.COURT,
                DataClass.CONDITIONS,
                DataClass.LEDGER,
            )
        ),
    )


@login_required
def hearing_completion(request, pk: int):
    """Graduation or termination, decided at the hearing (a page of its own, confirmed), with a
    decision on each obligation still open."""
    entry = _acting_entry(request.user, pk)
    obligations = completion.open_obligations(
        entry.enrollment, program_today(entry.session.program)
    )
    form = CompletionForm(request.POST or None, obligations=obligations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form):
            decision = completion.completion_decide(
                entry=entry,
                kind=data["kind"],
                case_disposition=data["case_disposition"],
                disposition=data["disposition"],
                ceremony_on=data["ceremony_on"],
                reason=data["reason"],
                decisions=form.decisions(),
                actor=request.user,
            )
            messages.success(
                request, f"{entry.participant}: {decision.get_kind_display().lower()}."
            )
            return redirect("court:hearing", pk=entry.pk)
    _note_completion_shown(request.user, entry.participant_id)
    return render(request, "court/hearing_completion.html", {"entry": entry, "form": form})


@login_required
def enrollment_close(request, pk: int):
    """A coordinator records an admitted participant's withdrawal or neutral discharge, with
    its reason and a decision on each obligation still open (confirmed: it closes everything
    with the enrollment). Another program's enrollment answers 404."""
    enrollment = selectors.closable_enrollment(request.user, pk)
    if enrollment is None:
        raise Http404("No such enrollment.")
    today = program_today(enrollment.program)
    obligations = completion.open_obligations(enrollment, today)
    form = EnrollmentCloseForm(request.POST or None, obligations=obligations, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with form_errors_from(form):
            decision = completion.enrollment_close(
                enrollment=enrollment,
                kind=data["kind"],
                effective_date=data["effective_date"],
                reason=data["reason"],
                decisions=form.decisions(),
                actor=request.user,
            )
            messages.success(
                request,
                f"{enrollment.participant}: {decision.get_kind_display().lower()}; everything "
                "that closes with the enrollment is closed.",
            )
            return redirect("clients:participant_detail", pk=enrollment.participant_id)
    _note_completion_shown(request.user, enrollment.participant_id)
    return render(request, "court/enrollment_close.html", {"enrollment": enrollment, "form": form})


# ---------------------------------------------------------------------------------------------
# Staffing: the team's notes and recommendation before a hearing. Its own page serves the
# treating providers, who write and read staffing but see no other court record; the hearing
# page shows the same section to the rest.


def _staffing_context(entry, staffing, *, suggestion=None, **forms) -> dict:
    """The staffing section's context: nothing when the user does not read it. The
    recommendation form starts from the recorded one, else from the matrix's `suggestion`."""
    if staffing is None:
        return {"staffing": None}
    context = {"staffing": staffing}
    if staffing.writes_as:
        context["note_form"] = forms.get("note_form") or StaffingNoteForm(
            initial={"text": staffing.own_note.text} if staffing.own_note else None
        )
    if staffing.recommends:
        recommended = staffing.recommendation
        if recommended:
            initial = {"option": recommended.option_id, "reason": recommended.reason}
        elif suggestion:
            initial = {"option": suggestion.option.pk}
        else:
            initial = {}
        context["recommendation_form"] = forms.get("recommendation_form") or RecommendationForm(
            options=selectors.response_options_for(entry.session), initial=initial
        )
    return context


def _staffing_entry(user, pk: int):
    entry = selectors.staffing_entry_for(user, pk)
    if entry is None:
        raise Http404("No such hearing.")
    return entry


def _staffing_page(request, entry, **forms):
    staffing = selectors.staffing_of(request.user, entry)
    context = {
        "entry": entry,
        "session": entry.session,
        "participant": entry.participant,
        # Those who see the court record go on to the hearing page.
        "sees_hearing": selectors.sees_hearing(request.user, entry),
        **_staffing_context(entry, staffing, **forms),
    }
    return render(request, "court/staffing.html", context)


def _after_staffing(user, entry):
    if selectors.sees_hearing(user, entry):
        return redirect(f"{reverse('court:hearing', args=[entry.pk])}#staffing-heading")
    return redirect("court:staffing", pk=entry.pk)


@login_required
def staffing(request, pk: int):
    return _staffing_page(request, _staffing_entry(request.user, pk))


@require_POST
@login_required
def staffing_note(request, pk: int):
    """The user's own note on the hearing, as their role on the participant's team."""
    entry = _staffing_entry(request.user, pk)
    if access.staffing_note_role(request.user, entry) is None:
        raise Http404("No such hearing.")
    form = StaffingNoteForm(request.POST)
    if form.is_valid():
        with form_errors_from(form):
            services.staffing_note_write(
                entry=entry, text=form.cleaned_data["text"], actor=request.user
            )
            messages.success(request, f"Your staffing note on {entry.participant} is saved.")
            return _after_staffing(request.user, entry)
    return _staffing_page(request, entry, note_form=form)


@require_POST
@login_required
def staffing_recommend(request, pk: int):
    """The team's recommendation (the participant's case manager or a coordinator)."""
    entry = _staffing_entry(request.user, pk)
    if not access.recommends(request.user, entry):
        raise Http404("No such hearing.")
    form = RecommendationForm(request.POST, options=selectors.response_options_for(entry.session))
    if form.is_valid():
        with form_errors_from(form):
            recommendation = services.staffing_recommend(
                entry=entry,
                option=form.cleaned_data["option"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            messages.success(request, f"The team recommends: {recommendation.option}.")
            return _after_staffing(request.user, entry)
    return _staffing_page(request, entry, recommendation_form=form)


# ---------------------------------------------------------------------------------------------
# Warrants


@login_required
def warrant_list(request):
    """A program's warrants (open ones by default) for its coordinators, judges and clerks."""
    programs = [
        program
        for program in selectors.court_programs_of(request.user)
        if access.works_warrants(request.user, program)
    ]
    program = _chosen_program(request, programs)
    state = request.GET.get("state", "")
    warrants = selectors.warrants_of(program, state=state)
    page = Paginator(warrants, PAGE_SIZE).get_page(request.GET.get("page"))
    # Each warrant names its participant and their court record: for the access log.
    access.note_shown(
        request.user,
        (
            (warrant.participant_id, data_class)
            for warrant in page
            for data_class in (DataClass.IDENTITY, DataClass.COURT)
        ),
    )
    return render(
        request,
        "court/warrant_list.html",
        {
            "program": program,
            "programs": programs,
            "state": state if state in WarrantState.values else "",
            "states": WarrantState.choices,
            "page": page,
            "today": program_today(program),
            "may_issue": access.sits_in(request.user, program),
            "may_serve": access.works_warrants(request.user, program),
        },
    )


def _warrant(user, pk: int):
    warrant = selectors.warrant_for(user, pk)
    if warrant is None:
        raise Http404("No such warrant.")
    return warrant


def _warrant_change(request, pk: int, action: str, *, verb: str, template: str | None):
    """Issue, serve or recall (court.services.warrant_<action>): a confirmation page
    (`template`) with the date and reason, or (serve) a button posting the date."""
    warrant = _warrant(request.user, pk)
    program = warrant.enrollment.program
    form = WarrantChangeForm(request.POST or None, today=program_today(program))
    if request.method == "POST":
        if form.is_valid():
            try:
                getattr(services, f"warrant_{action}")(
                    warrant=warrant,
                    on=form.cleaned_data["on"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                messages.success(request, f"Warrant for {warrant.participant} {verb}.")
                return redirect(_warrants_url(program))
            except ValidationError as refusal:
                if template is None:
                    messages.error(request, " ".join(refusal.messages))
                    return redirect(_warrants_url(program))
                form.add_error(None, refusal)
        elif template is None:
            messages.error(request, "Give the date the warrant was served.")
            return redirect(_warrants_url(program))
    if template is None:
        raise Http404("Serve a warrant from the warrants list.")
    return render(request, template, {"warrant": warrant, "form": form, "verb": verb})


def _warrants_url(program) -> str:
    return f"{reverse('court:warrant_list')}?program={program.pk}"


@login_required
def warrant_issue(request, pk: int):
    return _warrant_change(
        request, pk, "issue", verb="issued", template="court/warrant_confirm.html"
    )


@login_required
def warrant_recall(request, pk: int):
    return _warrant_change(
        request, pk, "recall", verb="recalled", template="court/warrant_confirm.html"
    )


@require_POST
@login_required
def warrant_serve(request, pk: int):
    return _warrant_change(request, pk, "serve", verb="served", template=None)


# ---------------------------------------------------------------------------------------------
# Community service


@login_required
def service_hours_log(request, pk: int):
    """Hours worked towards a community service obligation, by whoever may change the
    participant's court record (the service says who logs them)."""
    obligation = selectors.obligation_for(request.user, pk)
    if obligation is None:
        raise Http404("No such obligation.")
    participant = obligation.participant
    program = obligation.response.entry.session.program
    form = ServiceHoursForm(request.POST or None, today=program_today(program))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.community_service_log_hours(
                obligation=obligation, **form.cleaned_data, actor=request.user
            )
            messages.success(request, "Community service hours logged.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "court/service_hours.html",
        {"obligation": obligation, "participant": participant, "form": form},
    )


# ---------------------------------------------------------------------------------------------
# Conditions: recorded from the participant page's Conditions section by whoever changes the
# participant's conditions (case manager, assigned probation officer, coordinator).


@login_required
def condition_add(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.CONDITIONS, change=True)
    enrollments = selectors.conditions_enrollments(participant, request.user)
    if not enrollments:
        raise Http404("No open enrollment to record conditions of.")
    form = ConditionForm(
        request.POST or None, enrollments=enrollments, today=participant_today(participant)
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            condition = services.condition_record(**form.cleaned_data, actor=request.user)
            messages.success(request, f"{condition.get_kind_display()} recorded.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(request, "court/condition_form.html", {"participant": participant, "form": form})


def _condition(user, pk: int):
    condition = selectors.condition_for(user, pk)
    if condition is None:
        raise Http404("No such condition.")
    return condition


@login_required
def condition_lift(request, pk: int):
    """Lifting a condition early: a confirmation page with the day and the reason."""
    condition = _condition(request.user, pk)
    participant = condition.participant
    form = ConditionLiftForm(request.POST or None, today=participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.condition_lift(condition=condition, **form.cleaned_data, actor=request.user)
            messages.success(request, f"{condition.get_kind_display()} lifted.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "court/condition_lift.html",
        {"condition": condition, "participant": participant, "form": form},
    )


@login_required
def condition_violation(request, pk: int):
    condition = _condition(request.user, pk)
    participant = condition.participant
    form = ConditionViolationForm(request.POST or None, today=participant_today(participant))
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.condition_violation_record(
                condition=condition, **form.cleaned_data, actor=request.user
            )
            messages.success(request, "Violation recorded.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "court/condition_violation.html",
        {"condition": condition, "participant": participant, "form": form},
    )


# ---------------------------------------------------------------------------------------------
# Fees, fines and restitution: from the participant page's Ledger section. Whoever changes the
# participant's ledger assesses and records payments (each payment opens its receipt); the
# program's court waives or reduces; a mistaken entry is reversed, never edited.


def _ledger_form_page(request, participant, *, purpose: str, form_class, record, form_kwargs=None):
    """A ledger entry's form page; `form_kwargs(enrollments)` gives the form more choices."""
    enrollments = selectors.ledger_enrollments(participant, request.user, purpose=purpose)
    if not enrollments:
        raise Http404("No ledger to record in.")
    form = form_class(
        request.POST or None,
        enrollments=enrollments,
        today=participant_today(participant),
        **(form_kwargs(enrollments) if form_kwargs else {}),
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            entry = record(**form.cleaned_data, actor=request.user)
            messages.success(request, f"{entry.get_kind_display()}: ${entry.amount:,}.")
            if entry.kind == LedgerEntryKind.PAYMENT:
                return redirect("court:ledger_receipt", pk=entry.pk)
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "court/ledger_form.html",
        {"participant": participant, "form": form, "purpose": purpose},
    )


@login_required
def ledger_assess(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.LEDGER, change=True)
    return _ledger_form_page(
        request,
        participant,
        purpose="assess",
        form_class=AssessmentForm,
        record=services.ledger_assess,
        form_kwargs=lambda enrollments: {"fees": selectors.ledger_fee_choices(enrollments)},
    )


@login_required
def ledger_pay(request, pk: int):
    participant = access.get_participant_or_404(request.user, pk, DataClass.LEDGER, change=True)
    return _ledger_form_page(
        request,
        participant,
        purpose="pay",
        form_class=PaymentForm,
        record=services.ledger_pay,
    )


@login_required
def ledger_waive(request, pk: int):
    """The court (a judge or a clerk of the program) waives or reduces what is owed."""
    participant = access.get_participant_or_404(request.user, pk, DataClass.LEDGER)
    return _ledger_form_page(
        request,
        participant,
        purpose="waive",
        form_class=WaiverForm,
        record=services.ledger_waive,
    )


@login_required
def ledger_reverse(request, pk: int):
    """Reversing a mistaken entry: a confirmation page with the reason."""
    entry = selectors.ledger_entry_for(request.user, pk)
    if entry is None or not selectors.may_reverse(request.user, entry):
        raise Http404("No such entry.")
    participant = entry.participant
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.ledger_reverse(entry=entry, **form.cleaned_data, actor=request.user)
            messages.success(request, "The entry is reversed.")
            return redirect("clients:participant_detail", pk=participant.pk)
    return render(
        request,
        "court/ledger_reverse.html",
        {"entry": entry, "participant": participant, "form": form},
    )


@login_required
def ledger_receipt(request, pk: int):
    """A payment's receipt, printable (docs/decisions/0015-fee-ledger.md: no §2.32 notice)."""
    entry = selectors.ledger_entry_for(request.user, pk)
    if entry is None or entry.receipt_number is None:
        raise Http404("No such receipt.")
    return render(
        request,
        "court/ledger_receipt.html",
        {
            "entry": entry,
            "participant": entry.participant,
            "totals": selectors.ledger_totals_after(entry),
        },
    )
