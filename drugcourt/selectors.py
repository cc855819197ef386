"""Reads for staff, organizations, programs, program settings and the staff audit trail."""

import datetime
from collections.abc import Iterable

import pghistory.models
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    F,
    Func,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Lower
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import (
    Behaviour,
    Fee,
    Organization,
    Phase,
    Program,
    ProgramSettings,
    ResponseOption,
    ResponseRule,
    User,
)
from .roles import OrganizationKind, Role


def program_today(program: Program, now: datetime.datetime | None = None) -> datetime.date:
    """The program's local date now (or at `now`): the one "today" of everything that concerns
    a program or its participants. A Celery worker runs in UTC and a page in the user's zone,
    so neither may ask Django for "today" (ruff bans it, TID251; docs/decisions/0010)."""
    return timezone.localdate(now, timezone=program.zone)  # noqa: TID251


def program_today_sql(
    time_zone: str | Expression | Subquery, now: datetime.datetime | None = None
) -> Cast:
    """program_today in SQL, for set-based reads and sweeps over many programs: the date at
    `now` in the zone named by `time_zone` (a field path such as "program__time_zone", or an
    expression), i.e. `(now AT TIME ZONE program.time_zone)::date`, so each row gets its own
    program's day."""
    zone = F(time_zone) if isinstance(time_zone, str) else time_zone
    moment = Value(now or timezone.now(), output_field=DateTimeField())
    return Cast(Func(zone, moment, function="timezone", output_field=DateTimeField()), DateField())


def user_today(user: User, now: datetime.datetime | None = None) -> datetime.date:
    """Today on a staff member's own pages (their day, their calendar), which span their
    participants: the date of their first program, the zone their pages show times in
    (drugcourt.timezones); the site's for someone in no program."""
    program = user.programs.order_by("pk").first()
    return program_today(program, now) if program else site_today(now)


def site_today(now: datetime.datetime | None = None) -> datetime.date:
    """Today in the site's default zone (settings.TIME_ZONE), only for what belongs to no
    program at all (staff pages, the administrator's reports)."""
    return timezone.localtime(now, timezone=timezone.get_default_timezone()).date()


# The event models of the tables an administrator manages (the audit of staff/role events).
STAFF_AUDIT_CHOICES = (
    ("User", "Staff accounts"),
    ("Organization", "Organizations"),
    ("Program", "Programs"),
    ("ProgramMembership", "Program membership"),
)


# Days a user may name in a filter or a link: far enough from year 1 and 9999 that a week or
# a day either side still exists (date arithmetic past them is an OverflowError, a 500).
USABLE_DAYS = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))


def staff_list(*, search: str = "", role: str = "", status: str = "active") -> QuerySet[User]:
    users = User.objects.select_related("organization").prefetch_related(
        Prefetch("programs", queryset=Program.objects.only("id", "name"))
    )
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    if role:
        users = users.filter(roles__contains=[role])
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    return users.filter(is_superuser=False)


def staff_counts_by_role() -> dict[str, int]:
    """Active staff per role, for the administrator's home page (one query)."""
    aggregates = {role.value: Count("id", filter=Q(roles__contains=[role.value])) for role in Role}
    counts = User.objects.filter(is_active=True, is_superuser=False).aggregate(**aggregates)
    return {Role(role).label: count for role, count in counts.items()}


def organization_list(*, search: str = "", kind: str = "") -> QuerySet[Organization]:
    organizations = Organization.objects.annotate(
        staff_count=Count("staff", filter=Q(staff__is_active=True))
    ).order_by("name")
    if search:
        organizations = organizations.filter(name__icontains=search)
    if kind:
        organizations = organizations.filter(kind=kind)
    return organizations


def treatment_providers() -> QuerySet[Organization]:
    """The active treatment agencies: whom to refer to, and whose service a session is."""
    return Organization.objects.filter(kind=OrganizationKind.TREATMENT_AGENCY, is_active=True)


def program_list(*, search: str = "") -> QuerySet[Program]:
    programs = (
        Program.objects.select_related("court")
        .annotate(member_count=Count("memberships"))
        .order_by("name")
    )
    if search:
        programs = programs.filter(Q(name__icontains=search) | Q(jurisdiction__icontains=search))
    return programs


def programs_of(user: User) -> QuerySet[Program]:
    return Program.objects.filter(memberships__user=user, is_active=True).select_related("court")


def programs_coordinated_by(user: User) -> QuerySet[Program]:
    if not user.has_role(Role.COORDINATOR):
        return Program.objects.none()
    return programs_of(user)


def coordinators_of(program: Program) -> QuerySet[User]:
    """The program's active coordinators (members holding the coordinator role)."""
    return User.objects.filter(
        is_active=True, roles__contains=[Role.COORDINATOR], memberships__program=program
    ).order_by("last_name", "first_name")


def program_settings_in_force(program: Program, on: datetime.date) -> ProgramSettings | None:
    """The settings version in force on `on` (a program-local date), with its phases."""
    return (
        ProgramSettings.objects.filter(program=program, effective_from__lte=on)
        .select_related("created_by")
        .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("number")))
        .order_by("-effective_from")
        .first()
    )


def program_settings_history(program: Program) -> QuerySet[ProgramSettings]:
    return (
        ProgramSettings.objects.filter(program=program)
        .select_related("created_by")
        .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("number")))
        .annotate(response_count=Count("response_options"))
        .order_by("-effective_from")
    )


def response_catalogue_in_force(program: Program, on: datetime.date) -> QuerySet[ResponseOption]:
    """The responses a hearing of the program on `on` (a program-local date) chooses from: the
    catalogue of the settings version in force that day, by category and name. One query."""
    in_force = (
        ProgramSettings.objects.filter(program=program, effective_from__lte=on)
        .order_by("-effective_from")
        .values("pk")[:1]
    )
    return ResponseOption.objects.filter(settings=Subquery(in_force)).order_by(
        "category", Lower("name")
    )


def _settings_in_force_pk(program: Program, on: datetime.date) -> Subquery:
    return Subquery(
        ProgramSettings.objects.filter(program=program, effective_from__lte=on)
        .order_by("-effective_from")
        .values("pk")[:1]
    )


def phases_in_force(program: Program, on: datetime.date) -> list[Phase]:
    """The phases of the settings version in force on `on`, by number. One query."""
    return list(
        Phase.objects.filter(settings=_settings_in_force_pk(program, on)).order_by("number")
    )


def response_matrix_in_force(program: Program, on: datetime.date) -> list[ResponseRule]:
    """The response matrix of the settings version in force on `on`, with each rule's response,
    in the order of Behaviour, then phase (any phase first) and prior occurrences. One query."""
    rules = ResponseRule.objects.filter(settings=_settings_in_force_pk(program, on)).select_related(
        "option"
    )
    order = {behaviour: index for index, behaviour in enumerate(Behaviour.values)}
    return sorted(rules, key=lambda r: (order[r.behaviour], r.phase or 0, r.occurrences_from))


def fee_schedule_in_force(program: Program, on: datetime.date) -> QuerySet[Fee]:
    """The fees of the settings version in force on `on` (a program-local date), by name: what
    a participant may be assessed that day. One query."""
    return Fee.objects.filter(settings=_settings_in_force_pk(program, on)).order_by(Lower("name"))


def response_suggestion(
    program: Program,
    on: datetime.date,
    behaviour: str,
    phase: int | None,
    prior_occurrences: int,
) -> ResponseOption | None:
    """The response the matrix in force on `on` suggests for `behaviour` in `phase` after
    `prior_occurrences` earlier occurrences of it, or None when no rule answers. One query."""
    return suggested_response(
        response_matrix_in_force(program, on), behaviour, phase, prior_occurrences
    )


def suggested_response(
    rules: Iterable[ResponseRule], behaviour: str, phase: int | None, prior_occurrences: int
) -> ResponseOption | None:
    """The response `rules` (one matrix, as response_matrix_in_force reads it) suggest for
    `behaviour` in `phase` after `prior_occurrences`, or None. The service refuses overlapping
    rules (a rule of any phase overlaps those of each phase), so at most one rule answers."""
    return next(
        (
            rule.option
            for rule in rules
            if rule.behaviour == behaviour
            and rule.phase in (None, phase)
            and rule.occurrences_from <= prior_occurrences
            and (rule.occurrences_to is None or prior_occurrences <= rule.occurrences_to)
        ),
        None,
    )


def staff_audit_events(*, model: str = "") -> QuerySet:
    """Who changed which staff account, organization, program or membership, newest first."""
    names = [name for name, _ in STAFF_AUDIT_CHOICES if not model or name == model]
    models = [f"drugcourt.{name}Event" for name in names or [""]]
    return pghistory.models.Events.objects.across(*models).order_by("-pgh_created_at")


def event_actor_names(events) -> dict[int, str]:
    """Display names of who made the changes on a page of pghistory events (one query)."""
    user_ids = {event.pgh_context.get("user") for event in events if event.pgh_context}
    users = User.objects.filter(pk__in=user_ids - {None})
    return {user.pk: f"{user} ({user.username})" for user in users}


# ---------------------------------------------------------------------------------------------
# Two factors (docs/decisions/0016)

# Devices seed_demo gives the demo accounts: their key and codes are printed by `make run`, so
# they verify nothing where demo data is not allowed (production settings).
DEMO_DEVICE_NAME = "Demo"


def two_factor_devices(user: User, *, for_verify: bool = False) -> list:
    """The confirmed devices `user` may sign in with: the authenticator first, then the backup
    codes. Locked for update when `for_verify` (in a transaction), so a code counts once."""
    devices: list = []
    for model in (TOTPDevice, StaticDevice):
        queryset = model.objects.filter(user=user, confirmed=True).order_by("pk")
        if not settings.DEMO_DATA_ALLOWED:
            queryset = queryset.exclude(name=DEMO_DEVICE_NAME)
        if for_verify:
            queryset = queryset.select_for_update()
        devices.extend(queryset)
    return devices


def two_factor_enrolled_at(user: User) -> datetime.datetime | None:
    """When `user` set up the authenticator they sign in with, or None if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device.created_at if device else None


def sign_in_locked_until(user: User) -> datetime.datetime | None:
    """Until when django-axes refuses `user`'s sign-in (too many failed passwords or codes from
    an address), or None. From its attempt rows, as the lockout counts them: per username and
    address, within the cool-off."""
    # settings.AXES_COOLOFF_TIME is set: a lockout always ends by itself.
    cool_off = get_cool_off() or datetime.timedelta(0)
    last = (
        AccessAttempt.objects.filter(
            username=user.get_username(),
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gt=timezone.now() - cool_off,
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return last + cool_off if last is not None else None
