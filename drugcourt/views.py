"""Pages for signing in, the role home pages, staff/program management and /healthz."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from . import health, security, selectors, services
from .forms import (
    AlertThresholdsChangeForm,
    AsamRuleChangeForm,
    FeeFormSet,
    LegalCriteriaChangeForm,
    NoteFormatChangeForm,
    OrganizationForm,
    PhaseFormSet,
    PhaseRequirementFormSet,
    ProgramForm,
    ResponseOptionFormSet,
    ResponseRuleFormSet,
    SettingsChangeForm,
    StaffForm,
    TestingPolicyChangeForm,
    TwoFactorCodeForm,
    form_errors_from,
    phase_requirement_rows,
)
from .home import panels_for
from .models import Organization, Program, User
from .permissions import get_coordinated_program_or_404, role_required
from .phase_requirements import requirement_kinds
from .roles import OrganizationKind, Role

PAGE_SIZE = 25
# The session key of the authenticator key being set up, until a code confirms it.
TWO_FACTOR_SETUP_KEY = "two_factor_setup_key"


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------------------------------------
# Signing in: the second factor (drugcourt.security sends every unverified session here) and
# the idle clock


def _two_factor_refused(request, form: TwoFactorCodeForm) -> HttpResponse | None:
    """Counts a wrong code as a failed sign-in for django-axes (per username and address, like
    a wrong password). Once that locks the account out, the half-signed-in session ends."""
    credentials = {"username": request.user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request)
    form.add_error(
        "code",
        "That code is not right, or it was used already. Enter the code your app shows now "
        "(wait a few seconds after a wrong one), or a backup code.",
    )
    return None


def _locked_out(request) -> HttpResponse:
    logout(request)
    messages.error(
        request,
        "Too many failed sign-in attempts: this account is locked for a while. Try again later "
        "or ask an administrator.",
    )
    return redirect("login")


def _is_locked_out(request) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": request.user.get_username()})


def _verified(request, device) -> None:
    """Records in the session that it passed its second factor with `device`, under a new
    session key (the session's privilege changes)."""
    otp_login(request, device)
    request.session.cycle_key()


def _with_next(request, name: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': security.safe_next(request)})}"


@never_cache
@login_required
def two_factor_verify(request):
    """The second step of signing in: an authenticator's code or a backup code."""
    if security.is_verified(request):
        return redirect(security.safe_next(request))
    if not selectors.two_factor_devices(request.user):
        return redirect(_with_next(request, "two_factor_setup"))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _is_locked_out(request):
            return _locked_out(request)
        device = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            return redirect(security.safe_next(request))
        if refusal := _two_factor_refused(request, form):
            return refusal
    context = {"form": form, "next": security.safe_next(request)}
    return render(request, "registration/two_factor_verify.html", context)


@never_cache
@login_required
def two_factor_setup(request):
    """First sign-in: the key for an authenticator app (as text, otpauth:// link and QR code);
    one code from the app confirms it, then the backup codes are shown, once."""
    if security.is_verified(request):
        return redirect(security.safe_next(request))
    if selectors.two_factor_devices(request.user):
        return redirect(_with_next(request, "two_factor_verify"))
    # Kept in the session until confirmed, so a reload shows the same key.
    key = request.session.setdefault(TWO_FACTOR_SETUP_KEY, random_hex(20))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _is_locked_out(request):
            return _locked_out(request)
        try:
            enrolment = services.two_factor_enrol(
                user=request.user, key=key, code=form.cleaned_data["code"]
            )
        except ValidationError:  # set up meanwhile (another tab): sign in with it
            return redirect(_with_next(request, "two_factor_verify"))
        if enrolment is not None:
            del request.session[TWO_FACTOR_SETUP_KEY]
            _verified(request, enrolment.device)
            return render(
                request,
                "registration/two_factor_backup_codes.html",
                {"codes": enrolment.backup_codes, "next": security.safe_next(request)},
            )
        if refusal := _two_factor_refused(request, form):
            return refusal
    device = TOTPDevice(user=request.user, key=key)
    uri = device.config_url
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "next": security.safe_next(request),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "uri": uri,
            "qr_code": segno.make(uri, error="m").svg_data_uri(scale=4),
        },
    )


@require_http_methods(["GET", "POST"])
def session_status(request):
    """The idle clock for the warning script: a GET reads the seconds left, a POST ("Stay signed
    in", the hearing pages' keep-alive) starts them again (drugcourt.security)."""
    return JsonResponse({"seconds_left": getattr(request, "idle_seconds_left", 0)})


# ---------------------------------------------------------------------------------------------
# Home


@login_required
def home(request):
    if not request.user.roles:
        return render(request, "drugcourt/home_no_role.html")
    return home_for_role(request, request.user.roles[0])


@login_required
def home_for_role(request, role: str):
    if role not in request.user.roles:
        raise Http404("You do not hold this role.")
    panels = [(panel, panel.context(request.user)) for panel in panels_for(Role(role))]
    return render(
        request,
        "drugcourt/home.html",
        {"role": Role(role), "roles": [Role(r) for r in request.user.roles], "panels": panels},
    )


# ---------------------------------------------------------------------------------------------
# Health


@require_GET
@never_cache
def healthz(request):
    report = health.report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


# ---------------------------------------------------------------------------------------------
# Staff (administrators)


@role_required(Role.ADMINISTRATOR)
def staff_list(request):
    search = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    status = request.GET.get("status", "active")
    staff = selectors.staff_list(search=search, role=role, status=status)
    return render(
        request,
        "drugcourt/staff_list.html",
        {
            "page": _page(request, staff),
            "search": search,
            "role": role,
            "status": status,
            "role_choices": Role.choices,
        },
    )


@role_required(Role.ADMINISTRATOR)
def staff_create(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            user = services.staff_create(**form.cleaned_data, actor=request.user)
            messages.success(
                request, f"Staff account {user.username} created. Give them a set-password link."
            )
            return redirect("core:staff_detail", pk=user.pk)
    return render(request, "drugcourt/staff_form.html", {"form": form})


def _staff_member(pk: int) -> User:
    return get_object_or_404(User.objects.filter(is_superuser=False), pk=pk)


def _staff_detail_context(member: User) -> dict:
    return {
        "member": member,
        "programs": member.programs.all(),
        "two_factor_since": selectors.two_factor_enrolled_at(member),
        "locked_until": selectors.sign_in_locked_until(member),
    }


@role_required(Role.ADMINISTRATOR)
def staff_detail(request, pk: int):
    member = _staff_member(pk)
    return render(request, "drugcourt/staff_detail.html", _staff_detail_context(member))


@role_required(Role.ADMINISTRATOR)
def staff_update(request, pk: int):
    member = _staff_member(pk)
    initial = {
        "username": member.username,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "organization": member.organization,
        "roles": member.roles,
        "programs": member.programs.all(),
    }
    form = StaffForm(
        request.POST or None, initial=initial, editing=True, own=member.pk == request.user.pk
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "username"}
        with form_errors_from(form):
            services.staff_update(user=member, **fields, actor=request.user)
            messages.success(request, f"Saved the changes to {member}.")
            if member.email.lower() != fields["email"].lower():
                messages.info(
                    request,
                    f"The new e-mail address takes effect once {member} confirms it from a "
                    f"link sent to {member.email}.",
                )
            return redirect("core:staff_detail", pk=member.pk)
    return render(request, "drugcourt/staff_form.html", {"form": form, "member": member})


@role_required(Role.ADMINISTRATOR)
def staff_deactivate(request, pk: int):
    member = _staff_member(pk)
    error = None
    if request.method == "POST":
        try:
            services.staff_deactivate(user=member, actor=request.user)
        except ValidationError as refusal:
            error = refusal.messages[0]
        else:
            messages.success(request, f"{member} is deactivated; their sessions have ended.")
            return redirect("core:staff_detail", pk=member.pk)
    return render(
        request, "drugcourt/staff_confirm_deactivate.html", {"member": member, "error": error}
    )


@require_POST
@role_required(Role.ADMINISTRATOR)
def staff_reactivate(request, pk: int):
    member = _staff_member(pk)
    services.staff_reactivate(user=member, actor=request.user)
    messages.success(request, f"{member} is active again.")
    return redirect("core:staff_detail", pk=member.pk)


@require_POST
@role_required(Role.ADMINISTRATOR)
def staff_set_password_link(request, pk: int):
    member = _staff_member(pk)
    link = None
    try:
        link = request.build_absolute_uri(services.staff_set_password_link_for_screen(user=member))
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    return render(
        request,
        "drugcourt/staff_detail.html",
        {**_staff_detail_context(member), "set_password_link": link},
    )


@require_POST
@role_required(Role.ADMINISTRATOR)
def staff_send_set_password(request, pk: int):
    member = _staff_member(pk)
    try:
        services.staff_send_set_password_email(user=member, actor=request.user)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    else:
        messages.success(request, f"A set-password link is on its way to {member.email}.")
    return redirect("core:staff_detail", pk=member.pk)


@role_required(Role.ADMINISTRATOR)
def staff_two_factor_reset(request, pk: int):
    """A lost phone: the person's authenticator and backup codes go, their sessions end, and
    they set up a new one at their next sign-in."""
    member = _staff_member(pk)
    error = None
    if request.method == "POST":
        try:
            services.two_factor_reset(user=member, actor=request.user)
        except ValidationError as refusal:
            error = refusal.messages[0]
        else:
            messages.success(
                request,
                f"{member}'s two-factor sign-in is reset and their sessions have ended; they set "
                "it up again at their next sign-in.",
            )
            return redirect("core:staff_detail", pk=member.pk)
    return render(
        request, "drugcourt/staff_confirm_two_factor_reset.html", {"member": member, "error": error}
    )


@require_POST
@role_required(Role.ADMINISTRATOR)
def staff_unlock_sign_in(request, pk: int):
    member = _staff_member(pk)
    services.staff_unlock_sign_in(user=member, actor=request.user)
    messages.success(request, f"{member} can sign in again.")
    return redirect("core:staff_detail", pk=member.pk)


def staff_email_change_confirm(request, token: str):
    """The link e-mailed to an account's old address: confirming applies the new one. Public
    (the person may not be signed in); the signed token is the whole authority."""
    error = None
    if request.method == "POST":
        try:
            user = services.staff_confirm_email_change(token=token)
        except ValidationError as refusal:
            error = refusal.messages[0]
        else:
            messages.success(request, f"Your e-mail address is now {user.email}.")
            return redirect("home")
    return render(request, "drugcourt/staff_email_change_confirm.html", {"error": error})


@role_required(Role.ADMINISTRATOR)
def staff_audit(request):
    model = request.GET.get("model", "")
    page = _page(request, selectors.staff_audit_events(model=model))
    actors = selectors.event_actor_names(page)
    return render(
        request,
        "drugcourt/staff_audit.html",
        {
            "page": page,
            "actors": actors,
            "model": model,
            "model_choices": selectors.STAFF_AUDIT_CHOICES,
        },
    )


# ---------------------------------------------------------------------------------------------
# Organizations and programs (administrators)


@role_required(Role.ADMINISTRATOR)
def organization_list(request):
    search = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    organizations = selectors.organization_list(search=search, kind=kind)
    return render(
        request,
        "drugcourt/organization_list.html",
        {
            "page": _page(request, organizations),
            "search": search,
            "kind": kind,
            "kind_choices": OrganizationKind.choices,
        },
    )


@role_required(Role.ADMINISTRATOR)
def organization_create(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            organization = services.organization_create(
                name=form.cleaned_data["name"], kind=form.cleaned_data["kind"], actor=request.user
            )
            messages.success(request, f"Organization {organization} created.")
            return redirect("core:organization_list")
    return render(request, "drugcourt/organization_form.html", {"form": form})


@role_required(Role.ADMINISTRATOR)
def organization_update(request, pk: int):
    organization = get_object_or_404(Organization, pk=pk)
    initial = {
        "name": organization.name,
        "kind": organization.kind,
        "is_active": organization.is_active,
    }
    form = OrganizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.organization_update(
                organization=organization, **form.cleaned_data, actor=request.user
            )
            messages.success(request, f"Saved the changes to {organization}.")
            return redirect("core:organization_list")
    return render(
        request, "drugcourt/organization_form.html", {"form": form, "organization": organization}
    )


@role_required(Role.ADMINISTRATOR)
def program_list(request):
    search = request.GET.get("q", "").strip()
    programs = selectors.program_list(search=search)
    return render(
        request,
        "drugcourt/program_list.html",
        {"page": _page(request, programs), "search": search},
    )


@role_required(Role.ADMINISTRATOR)
def program_create(request):
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "is_active"}
        with form_errors_from(form):
            program = services.program_create(**fields, actor=request.user)
            messages.success(request, f"Program {program} created with five default phases.")
            return redirect("core:program_list")
    return render(request, "drugcourt/program_form.html", {"form": form})


@role_required(Role.ADMINISTRATOR)
def program_update(request, pk: int):
    program = get_object_or_404(Program, pk=pk)
    initial = {
        "name": program.name,
        "court": program.court,
        "jurisdiction": program.jurisdiction,
        "time_zone": program.time_zone,
        "is_active": program.is_active,
    }
    form = ProgramForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            services.program_update(program=program, **form.cleaned_data, actor=request.user)
            messages.success(request, f"Saved the changes to {program}.")
            return redirect("core:program_list")
    return render(request, "drugcourt/program_form.html", {"form": form, "program": program})


# ---------------------------------------------------------------------------------------------
# Program settings (coordinators of the program)


@role_required(Role.COORDINATOR)
def program_settings(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    today = selectors.program_today(program)
    return render(
        request,
        "drugcourt/program_settings.html",
        {
            "program": program,
            "today": today,
            "in_force": selectors.program_settings_in_force(program, today),
            "responses": selectors.response_catalogue_in_force(program, today),
            "matrix": selectors.response_matrix_in_force(program, today),
            "fees": selectors.fee_schedule_in_force(program, today),
            "history": selectors.program_settings_history(program),
        },
    )


@role_required(Role.COORDINATOR)
def program_settings_phases(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    in_force = selectors.program_settings_in_force(program, selectors.program_today(program))
    initial_phases = [
        {
            "name": phase.name,
            "description": phase.description,
            "tests_per_week": phase.tests_per_week,
            "hearing_interval_weeks": phase.hearing_interval_weeks,
            "requirements": phase.requirements,
            "ORDER": phase.number,
        }
        for phase in (in_force.phases.all() if in_force else [])
    ]
    formset = PhaseFormSet(request.POST or None, initial=initial_phases, prefix="phases")
    return _program_settings_rows_topic(
        request,
        program,
        formset=formset,
        save=lambda **change: services.program_settings_change_phases(
            program=program, phases=formset.phases(), **change, actor=request.user
        ),
        saved="The phase list is saved.",
        template="drugcourt/program_settings_phases.html",
    )


@role_required(Role.COORDINATOR)
def program_settings_phase_requirements(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    in_force = selectors.program_settings_in_force(program, selectors.program_today(program))
    phases = list(in_force.phases.all()) if in_force else []
    formset = PhaseRequirementFormSet(
        request.POST or None,
        initial=phase_requirement_rows(phases),
        prefix="requirements",
        form_kwargs={"phase_choices": [(phase.number, str(phase)) for phase in phases]},
    )
    return _program_settings_rows_topic(
        request,
        program,
        formset=formset,
        save=lambda **change: services.program_settings_change_phase_requirements(
            program=program, requirements=formset.requirements(), **change, actor=request.user
        ),
        saved="The phase requirements are saved.",
        template="drugcourt/program_settings_phase_requirements.html",
        context={"kinds": requirement_kinds()},
    )


@role_required(Role.COORDINATOR)
def program_settings_response_catalogue(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    initial_options = [
        {
            "name": option.name,
            "category": option.category,
            "effect": option.effect,
            "description": option.description,
        }
        for option in selectors.response_catalogue_in_force(
            program, selectors.program_today(program)
        )
    ]
    formset = ResponseOptionFormSet(request.POST or None, initial=initial_options, prefix="options")
    return _program_settings_rows_topic(
        request,
        program,
        formset=formset,
        save=lambda **change: services.program_settings_change_response_catalogue(
            program=program, options=formset.options(), **change, actor=request.user
        ),
        saved="The response catalogue is saved.",
        template="drugcourt/program_settings_responses.html",
    )


@role_required(Role.COORDINATOR)
def program_settings_response_matrix(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    today = selectors.program_today(program)
    in_force = selectors.program_settings_in_force(program, today)
    initial_rules = [
        {
            "behaviour": rule.behaviour,
            "phase": rule.phase or "",
            "occurrences_from": rule.occurrences_from,
            "occurrences_to": rule.occurrences_to,
            "option": rule.option.name,
        }
        for rule in selectors.response_matrix_in_force(program, today)
    ]
    choices = {
        "phase_choices": [
            (phase.number, f"{phase.number}: {phase.name}")
            for phase in (in_force.phases.all() if in_force else [])
        ],
        "option_choices": [
            (option.name, f"{option.name} ({option.get_category_display().lower()})")
            for option in selectors.response_catalogue_in_force(program, today)
        ],
    }
    formset = ResponseRuleFormSet(
        request.POST or None, initial=initial_rules, prefix="rules", form_kwargs=choices
    )
    return _program_settings_rows_topic(
        request,
        program,
        formset=formset,
        save=lambda **change: services.program_settings_change_response_matrix(
            program=program, rules=formset.rules(), **change, actor=request.user
        ),
        saved="The response matrix is saved.",
        template="drugcourt/program_settings_matrix.html",
    )


@role_required(Role.COORDINATOR)
def program_settings_fee_schedule(request, pk: int):
    program = get_coordinated_program_or_404(request.user, pk)
    initial_fees = [
        {"name": fee.name, "amount": fee.amount, "description": fee.description}
        for fee in selectors.fee_schedule_in_force(program, selectors.program_today(program))
    ]
    formset = FeeFormSet(request.POST or None, initial=initial_fees, prefix="fees")
    return _program_settings_rows_topic(
        request,
        program,
        formset=formset,
        save=lambda **change: services.program_settings_change_fee_schedule(
            program=program, fees=formset.fees(), **change, actor=request.user
        ),
        saved="The fee schedule is saved.",
        template="drugcourt/program_settings_fees.html",
    )


def _program_settings_rows_topic(
    request, program, *, formset, save, saved: str, template: str, context: dict | None = None
):
    """A settings topic edited as rows (phases, their requirements, responses, matrix rules,
    fees): `formset` holds the rows in force today, `save(effective_from=..., change_note=...)`
    records them from the date the user picks (today or later)."""
    today = selectors.program_today(program)
    change_form = SettingsChangeForm(request.POST or None, initial={"effective_from": today})
    if request.method == "POST" and change_form.is_valid() and formset.is_valid():
        with form_errors_from(change_form):
            save(**change_form.cleaned_data)
            messages.success(request, saved)
            return redirect("core:program_settings", pk=program.pk)
    return render(
        request,
        template,
        {"program": program, "change_form": change_form, "formset": formset, **(context or {})},
    )


@role_required(Role.COORDINATOR)
def program_settings_note_format(request, pk: int):
    return _program_settings_topic(
        request,
        pk,
        form_class=NoteFormatChangeForm,
        initial=lambda in_force: {"note_format": in_force.note_format},
        change=services.program_settings_change_note_format,
        title="Case note format",
    )


@role_required(Role.COORDINATOR)
def program_settings_legal_criteria(request, pk: int):
    return _program_settings_topic(
        request,
        pk,
        form_class=LegalCriteriaChangeForm,
        initial=lambda in_force: {"legal_criteria": "\n".join(in_force.legal_criteria)},
        change=services.program_settings_change_legal_criteria,
        title="Eligibility criteria",
    )


@role_required(Role.COORDINATOR)
def program_settings_asam_rule(request, pk: int):
    return _program_settings_topic(
        request,
        pk,
        form_class=AsamRuleChangeForm,
        initial=lambda in_force: {
            "asam_rule": "\n".join(
                f"{edition}: " + " ".join(f"{r}={level}" for r, level in levels.items())
                for edition, levels in in_force.asam_rule.items()
            )
        },
        change=services.program_settings_change_asam_rule,
        title="ASAM program rule",
    )


@role_required(Role.COORDINATOR)
def program_settings_alert_thresholds(request, pk: int):
    return _program_settings_topic(
        request,
        pk,
        form_class=AlertThresholdsChangeForm,
        initial=lambda in_force: {
            "referral_engagement_days": in_force.referral_engagement_days,
            "plan_review_notice_days": in_force.plan_review_notice_days,
        },
        change=services.program_settings_change_alert_thresholds,
        title="Alert thresholds",
    )


@role_required(Role.COORDINATOR)
def program_settings_testing_policy(request, pk: int):
    return _program_settings_topic(
        request,
        pk,
        form_class=TestingPolicyChangeForm,
        initial=lambda in_force: {
            name: getattr(in_force, name) for name in services.TESTING_POLICY_FIELDS
        },
        change=services.program_settings_change_testing_policy,
        title="Drug testing policy",
    )


def _program_settings_topic(request, pk: int, *, form_class, initial, change, title: str):
    """One settings topic's change page: the values in force today, a date to apply from."""
    program = get_coordinated_program_or_404(request.user, pk)
    today = selectors.program_today(program)
    in_force = selectors.program_settings_in_force(program, today)
    form = form_class(
        request.POST or None,
        initial={"effective_from": today, **(initial(in_force) if in_force else {})},
    )
    if request.method == "POST" and form.is_valid():
        with form_errors_from(form):
            change(program=program, **form.cleaned_data, actor=request.user)
            messages.success(request, f"{title}: saved.")
            return redirect("core:program_settings", pk=program.pk)
    return render(
        request,
        "drugcourt/program_settings_topic.html",
        {"program": program, "form": form, "title": title},
    )
