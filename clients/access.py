"""The one access mechanism: who may see or change what of which participant.

Reach (which participants) comes from guardian object-permission rows `reach_as_<role>`:
- per user on `Participant`, for team roles held through a `CaseAssignment`;
- per group on `Participant`, for a provider organization with an active service episode
  (registered by treatment_plans as an access source);
- per group on `Program`, for program-wide roles (coordinator, judge, clerk, prosecutor) through
  program membership (drugcourt.program_groups).
The services that change those sources grant and revoke the rows in the same transaction.
`access_reconcile` recomputes them from the sources.

What of a participant (data classes) follows from the roles through which the user reaches
them (ROLE_DATA_CLASSES, the table of DESIGN.md). Someone else's participant answers 404.
"""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Cast
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm

from drugcourt.models import Program, ProgramGroupObjectPermission, ProgramMembership, User
from drugcourt.roles import PROGRAM_WIDE_ROLES, OrganizationKind, Role
from drugcourt.selectors import program_today, program_today_sql

from .models import (
    CLOSED_STATUSES,
    PARTICIPANT_ROLES,
    Alert,
    Appointment,
    AppointmentKind,
    Consent,
    ConsentTrigger,
    Enrollment,
    Participant,
    ParticipantGroupObjectPermission,
    ParticipantUserObjectPermission,
)


class DataClass(models.TextChoices):
    IDENTITY = "identity", "Identity"
    CONTACT_DETAILS = "contact_details", "Contact details"
    ENROLLMENT = "enrollment", "Enrollment"
    CASE_NOTES = "case_notes", "Case notes"
    SUPERVISION_CONTACTS = "supervision_contacts", "Supervision contacts"
    ASSESSMENT_SUMMARY = "assessment_summary", "Assessment summary"
    ASSESSMENT_DETAIL = "assessment_detail", "Assessment detail"
    PLAN_SUMMARY = "plan_summary", "Plan summary"
    TREATMENT_DETAIL = "treatment_detail", "Treatment detail"
    PROGRESS_REPORTS = "progress_reports", "Progress reports"
    ATTENDANCE = "attendance", "Attendance"
    DRUG_TESTS = "drug_tests", "Drug tests"
    COURT = "court", "Court"
    COURT_INCIDENTS = "court_incidents", "Incidents reported to court"
    ALL_INCIDENTS = "all_incidents", "All incidents"
    DOCUMENTS = "documents", "Documents"
    CONSENTS = "consents", "Consents"
    # The supervision track and accepted intensity (court, tests, contacts a week), without the
    # risk and need items, quadrant or override reasoning behind them.
    SUPERVISION_LEVEL = "supervision_level", "Supervision level"
    # The team's staffing notes on a hearing and its one recommendation (court.models).
    STAFFING = "staffing", "Staffing"
    # Court orders and conditions of the enrollment and their violations (court.models).
    CONDITIONS = "conditions", "Conditions"
    # The fees, fines and restitution assessed, paid and waived, and the balance (court.models).
    LEDGER = "ledger", "Fees, fines and restitution"


ALL = frozenset(DataClass)
COURT_VIEW = frozenset(
    {
        DataClass.IDENTITY,
        DataClass.ENROLLMENT,
        DataClass.ATTENDANCE,
        DataClass.DRUG_TESTS,
        DataClass.COURT_INCIDENTS,
        DataClass.COURT,
        DataClass.PLAN_SUMMARY,
        DataClass.PROGRESS_REPORTS,
        DataClass.SUPERVISION_LEVEL,
        DataClass.CONDITIONS,
        DataClass.LEDGER,
    }
)
PROVIDER_VIEW = frozenset(
    {
        DataClass.IDENTITY,
        DataClass.ENROLLMENT,
        DataClass.ASSESSMENT_SUMMARY,
        DataClass.ASSESSMENT_DETAIL,
        # The accepted intensity is part of the assessment summary they see.
        DataClass.SUPERVISION_LEVEL,
        DataClass.PLAN_SUMMARY,
        DataClass.TREATMENT_DETAIL,
        DataClass.PROGRESS_REPORTS,
        DataClass.ATTENDANCE,
        DataClass.DRUG_TESTS,
    }
)

# The whole team of a participant reads the staffing notes of their hearings: those who write
# them and the bench (only the session's judge and its clerks: staffing_roles).
STAFFING = frozenset({DataClass.STAFFING})

# DESIGN.md "Roles and what each reaches": what each role sees of a participant it reaches.
ROLE_DATA_CLASSES: dict[Role, frozenset[DataClass]] = {
    Role.ADMINISTRATOR: frozenset(),
    Role.COORDINATOR: ALL,
    Role.CASE_MANAGER: ALL,
    Role.JUDGE: COURT_VIEW | STAFFING,
    Role.CLERK: COURT_VIEW | STAFFING,
    Role.PROSECUTOR: COURT_VIEW | STAFFING,
    Role.DEFENCE_ATTORNEY: COURT_VIEW | STAFFING,
    # Probation records incidents (ROLE_MAY_CHANGE), so it reads all of them too.
    Role.PROBATION_OFFICER: COURT_VIEW
    | STAFFING
    | {DataClass.SUPERVISION_CONTACTS, DataClass.ALL_INCIDENTS},
    Role.TREATMENT_PROVIDER: PROVIDER_VIEW | STAFFING,
    Role.EVALUATOR: frozenset(),
}

# ... and what it may change.
ROLE_MAY_CHANGE: dict[Role, frozenset[DataClass]] = {
    Role.ADMINISTRATOR: frozenset(),
    Role.COORDINATOR: ALL,
    Role.CASE_MANAGER: ALL,
    Role.JUDGE: frozenset({DataClass.COURT}),
    Role.CLERK: frozenset({DataClass.COURT}),
    # Their own staffing notes (each writes only their own: court.services.staffing_note_write).
    Role.PROSECUTOR: STAFFING,
    Role.DEFENCE_ATTORNEY: STAFFING,
    # The ledger: assessments and payments (the court waives: waives_fees).
    Role.PROBATION_OFFICER: STAFFING
    | {
        DataClass.SUPERVISION_CONTACTS,
        DataClass.ALL_INCIDENTS,
        DataClass.CONDITIONS,
        DataClass.LEDGER,
    },
    Role.TREATMENT_PROVIDER: STAFFING
    | {DataClass.ATTENDANCE, DataClass.PROGRESS_REPORTS, DataClass.TREATMENT_DETAIL},
    Role.EVALUATOR: frozenset(),
}

# Roles that reach participants through their organization (service episodes). Through them a
# user sees and changes only their own organization's rows of the treatment record (referrals,
# episodes, progress reports, the agency's appointments), never another agency's.
AGENCY_ROLES = frozenset({Role.TREATMENT_PROVIDER})

# Roles that can reach participants at all (the rest never see participant data).
REACHING_ROLES = frozenset(role for role, classes in ROLE_DATA_CLASSES.items() if classes)
INTAKE_ROLES = frozenset({Role.COORDINATOR, Role.CASE_MANAGER})


def reach_codename(role: Role) -> str:
    return f"reach_as_{role.value}"


def _codenames(roles: Iterable[str]) -> list[str]:
    return [reach_codename(Role(role)) for role in roles]


# ---------------------------------------------------------------------------------------------
# Reading


# Court-view roles that reach a participant through a team assignment (their own client or
# supervisee) still work for one court program: they see that program's record, like the
# program-wide court roles, not the participant's enrollment in another program.
TEAM_COURT_ROLES = frozenset({Role.DEFENCE_ATTORNEY, Role.PROBATION_OFFICER})


def _reach_sources(
    user: User, *, only: Iterable[Role] | None = None, without: Iterable[Role] = ()
) -> tuple[list[QuerySet], QuerySet | None]:
    """The user's reach rows for roles they still hold (`only` those, `without` these):
    participant-id querysets of the per-participant rows, and a program-id queryset of the
    active programs of their program-wide roles (None when they hold none)."""
    if not user.is_authenticated or not user.is_active or not user.roles:
        return [], None
    roles = {Role(role) for role in user.roles} - set(without)
    if only is not None:
        roles &= set(only)
    groups = user.groups.all()
    per_participant: list[QuerySet] = []
    if held := sorted(reach_codename(role) for role in roles & set(PARTICIPANT_ROLES)):
        # A sealed record opens to coordinators only, a program-wide role.
        per_participant += [
            ParticipantUserObjectPermission.objects.filter(
                user=user, permission__codename__in=held, content_object__is_sealed=False
            ).values("content_object"),
            ParticipantGroupObjectPermission.objects.filter(
                group__in=groups, permission__codename__in=held, content_object__is_sealed=False
            ).values("content_object"),
        ]
    programs = None
    if held := sorted(reach_codename(role) for role in roles & set(PROGRAM_WIDE_ROLES)):
        # A deactivated program's groups reach nobody, whatever rows are left.
        programs = ProgramGroupObjectPermission.objects.filter(
            group__in=groups, permission__codename__in=held, content_object__is_active=True
        ).values("content_object")
    return per_participant, programs


def participants_visible_to(user: User) -> QuerySet[Participant]:
    """Every participant the user reaches through a role they still hold: one query,
    `pk IN (UNION of the reach branches the user's roles can match)`.

    Rows on Participant carry only participant roles and rows on Program only program-wide
    roles, so branches of roles the user does not hold are left out. The IN (UNION) plans as a
    semi-join driven from the user's own permission rows; an OR of EXISTS could only be a
    filter run on every participant (bench/caseload_explain.py: 266 ms → 0.6 ms for a
    caseload count over 50,000 participants)."""
    branches, programs = _reach_sources(user)
    if programs is not None:
        branches = [
            *branches,
            Enrollment.objects.filter(_unsealed_or_coordinated(user), program__in=programs)
            .order_by()
            .values("participant"),
        ]
    if not branches:
        return Participant.objects.none()
    first, *rest = branches
    return Participant.objects.filter(pk__in=first.union(*rest) if rest else first)


def enrollments_in_reach(user: User) -> Q:
    """A condition on Enrollment for lists: every enrollment of a participant the user reaches
    per participant (team, provider episode), and the enrollments in the programs of their
    program-wide roles, never a participant's enrollment in another program."""
    return program_rows_in_reach(user, program="program")


def program_rows_in_reach(user: User, *, program: str) -> Q:
    """`enrollments_in_reach` for any rows of a program with a `participant` field (`program`
    is the path to the row's program): those of a participant reached per participant (by the
    assigned defence and probation, only in the programs they are members of) and those of the
    programs of the user's program-wide roles."""
    branches, programs = _reach_sources(user, without=TEAM_COURT_ROLES)
    team_court, _ = _reach_sources(user, only=TEAM_COURT_ROLES)
    condition = Q(pk__in=[])
    if branches:
        condition |= Q(participant__in=_union(branches))
    if team_court:
        condition |= Q(
            participant__in=_union(team_court), **{f"{program}__in": _member_programs_query(user)}
        )
    if programs is not None:
        condition |= Q(**{f"{program}__in": programs}) & _unsealed_or_coordinated(user, program)
    return condition


def _unsealed_or_coordinated(user: User, program: str = "program") -> Q:
    """A condition on rows of a program with a `participant` (`program` the path to it) reached
    through a program-wide role: a sealed record's rows only in the programs the user
    coordinates (clients.models.SealingOrder)."""
    unsealed = Q(participant__is_sealed=False)
    _, coordinated = _reach_sources(user, only={Role.COORDINATOR})
    return unsealed if coordinated is None else unsealed | Q(**{f"{program}__in": coordinated})


def _union(branches: list[QuerySet]) -> QuerySet:
    first, *rest = branches
    return first.union(*rest) if rest else first


# How a user reaches a participant: (role, None) through a per-participant row (team
# assignment, provider episode), (role, program id) through a program-wide role's program.
Reach = frozenset[tuple[Role, int | None]]


def reach(user: User, participant: Participant) -> Reach:
    """Each role through which `user` reaches `participant`, with the program it reaches them
    through (None for per-participant rows). One query, cached per request on the user."""
    return reach_of(user, [participant.pk])[participant.pk]


def reach_of(user: User, participant_ids: Iterable[int]) -> dict[int, Reach]:
    """`reach` for many participants at once (one query for those not cached yet)."""
    cache = user.__dict__.setdefault("_reach_roles", {})
    wanted = set(participant_ids)
    if missing := wanted - cache.keys():
        cache.update(_reach_query(user, missing))
    return {pk: cache[pk] for pk in wanted}


def reach_roles(user: User, participant: Participant) -> frozenset[Role]:
    """The roles through which `user` reaches `participant`."""
    return reach_roles_of(user, [participant.pk])[participant.pk]


def reach_roles_of(user: User, participant_ids: Iterable[int]) -> dict[int, frozenset[Role]]:
    """`reach_roles` for many participants at once, for the action buttons of a list."""
    return {
        pk: frozenset(role for role, _ in pairs)
        for pk, pairs in reach_of(user, participant_ids).items()
    }


def _reach_query(user: User, participant_ids: set[int]) -> dict[int, Reach]:
    found: dict[int, set[tuple[Role, int | None]]] = {pk: set() for pk in participant_ids}
    if user.is_authenticated and user.is_active and user.roles:
        codenames = _codenames(user.roles)
        groups = user.groups.all()
        no_program = Cast(Value(None), models.BigIntegerField())
        unsealed = Q(content_object__is_sealed=False)
        direct = ParticipantUserObjectPermission.objects.filter(
            unsealed,
            user=user,
            content_object__in=participant_ids,
            permission__codename__in=codenames,
        ).values_list("content_object", "permission__codename", no_program)
        through_group = ParticipantGroupObjectPermission.objects.filter(
            unsealed,
            group__in=groups,
            content_object__in=participant_ids,
            permission__codename__in=codenames,
        ).values_list("content_object", "permission__codename", no_program)
        # A deactivated program's groups reach nobody, whatever rows are left.
        # A sealed record opens to coordinators only.
        through_program = ProgramGroupObjectPermission.objects.filter(
            Q(content_object__enrollments__participant__is_sealed=False)
            | Q(permission__codename=reach_codename(Role.COORDINATOR)),
            group__in=groups,
            content_object__is_active=True,
            content_object__enrollments__participant__in=participant_ids,
            permission__codename__in=codenames,
        ).values_list(
            "content_object__enrollments__participant", "permission__codename", "content_object"
        )
        for pk, codename, program in direct.union(through_group, through_program):
            found[pk].add((Role(codename.removeprefix("reach_as_")), program))
    return {pk: frozenset(pairs) for pk, pairs in found.items()}


def programs_showing(
    user: User, participant: Participant, data_class: DataClass
) -> frozenset[int] | None:
    """Of which programs the user may see `data_class` rows of the participant (enrollments,
    charges, tests, hearings): None for every program, when a per-participant role grants the
    class; otherwise the programs through which a program-wide role grants it. A program's
    court roles see that program's record, not the participant's enrollment elsewhere."""
    return _programs_showing(user, reach(user, participant), data_class)


def participants_showing(
    user: User, participant_ids: Iterable[int], data_class: DataClass, program_id: int
) -> set[int]:
    """Of `participant_ids`, those whose `data_class` rows of the program the user sees
    (programs_showing for many at once: one query for their reach, cached). Noted as shown for
    the access log (the compliance summary reads its facts through it)."""
    showing = {
        pk
        for pk, pairs in reach_of(user, participant_ids).items()
        if (programs := _programs_showing(user, pairs, data_class)) is None
        or program_id in programs
    }
    note_shown(user, ((pk, data_class) for pk in showing))
    return showing


def _programs_showing(user: User, pairs: Reach, data_class: DataClass) -> frozenset[int] | None:
    programs: set[int] = set()
    for role, program in pairs:
        if data_class not in ROLE_DATA_CLASSES[role]:
            continue
        if program is not None:
            programs.add(program)
        elif role in TEAM_COURT_ROLES:
            programs |= _member_programs(user)
        else:
            return None
    return frozenset(programs)


def _member_programs_query(user: User) -> QuerySet:
    """The ids of the active programs the user is a member of."""
    return ProgramMembership.objects.filter(user=user, program__is_active=True).values_list(
        "program", flat=True
    )


def _member_programs(user: User) -> frozenset[int]:
    """`_member_programs_query`, run once and cached on the user."""
    if "_member_programs" not in user.__dict__:
        user.__dict__["_member_programs"] = frozenset(_member_programs_query(user))
    return user.__dict__["_member_programs"]


def rows_of_programs_shown(
    rows: QuerySet, user: User, participant: Participant, data_class: DataClass, field: str
) -> QuerySet:
    """`rows` of the participant narrowed to the programs whose `data_class` the user sees
    (`field` is the path to the row's program)."""
    programs = programs_showing(user, participant, data_class)
    return rows if programs is None else rows.filter(**{f"{field}__in": programs})


def _granting(roles: Iterable[Role], data_class: DataClass, *, change: bool) -> set[Role]:
    table = ROLE_MAY_CHANGE if change else ROLE_DATA_CLASSES
    return {role for role in roles if data_class in table[role]}


# ---------------------------------------------------------------------------------------------
# 42 CFR Part 2: the consent gate (docs/decisions/0017-part2-consent.md, DESIGN.md)


class Visibility(enum.Enum):
    """What `user` gets of a data class of a participant: shown; withheld (reached, but no
    consent covers the Part 2 information: pages say "not covered by consent" in its place);
    hidden (not reached, or the role never sees the class: pages answer 404)."""

    SHOWN = "shown"
    WITHHELD = "withheld"
    HIDDEN = "hidden"


# Part 2 records: what the treatment program and the providers record about diagnosis,
# treatment, assessment and progress. Court-generated records (identity, enrollment, charges,
# hearings, responses, conditions, the ledger, incidents) are not Part 2 and never gated.
PART2_CLASSES = frozenset(
    {
        DataClass.CASE_NOTES,
        DataClass.ASSESSMENT_SUMMARY,
        DataClass.ASSESSMENT_DETAIL,
        DataClass.PLAN_SUMMARY,
        DataClass.TREATMENT_DETAIL,
        DataClass.PROGRESS_REPORTS,
        DataClass.DOCUMENTS,
    }
)
# Classes of which only some rows are Part 2 (`part2_rows`): drug tests a treatment program
# collected, attendance at treatment sessions, staffing notes a provider wrote. Withheld, they
# show the rest of their rows.
PART2_ROW_CLASSES = frozenset({DataClass.DRUG_TESTS, DataClass.ATTENDANCE, DataClass.STAFFING})
GATED_CLASSES = PART2_CLASSES | PART2_ROW_CLASSES
# The treatment program, which records the Part 2 information and uses it inside the program
# (§2.12(c)(3)): its coordinators and case managers. Everyone else needs a consent.
TREATMENT_PROGRAM_ROLES = frozenset({Role.COORDINATOR, Role.CASE_MANAGER})
# What a provider records itself: never gated for that provider (they see their own rows only,
# agency_rows_only).
PROVIDER_OWN_CLASSES = frozenset(
    {DataClass.TREATMENT_DETAIL, DataClass.PROGRESS_REPORTS, DataClass.ATTENDANCE}
)


class WithheldError(Exception):
    """Raised by get_participant_or_404 for a page of a Part 2 class no consent covers for the
    user; clients.middleware answers with the "not covered by consent" page."""

    def __init__(self, participant: Participant, data_class: DataClass):
        super().__init__(f"{data_class.label} of participant {participant.pk} is withheld.")
        self.participant = participant
        self.data_class = data_class


def visibility(user: User, participant: Participant, data_class: DataClass) -> Visibility:
    return visibility_of(user, [participant.pk], data_class)[participant.pk]


def visibility_of(
    user: User, participant_ids: Iterable[int], data_class: DataClass
) -> dict[int, Visibility]:
    """`visibility` for many participants at once: their reach (one query, cached) and, when
    a consent must decide, their consents (two queries, cached for the request). Each answer
    shown is noted for the access log and the accounting of disclosures (`shown`)."""
    answers: dict[int, Visibility] = {}
    gated: dict[int, set[Role]] = {}
    for pk, roles in reach_roles_of(user, participant_ids).items():
        granting = _granting(roles, data_class, change=False)
        if not granting:
            answers[pk] = Visibility.HIDDEN
        elif (
            data_class not in GATED_CLASSES
            or granting & TREATMENT_PROGRAM_ROLES
            or (granting <= AGENCY_ROLES and data_class in PROVIDER_OWN_CLASSES)
        ):
            answers[pk] = Visibility.SHOWN
            _note_shown(user, pk, data_class, None)
        else:
            gated[pk] = granting
    if gated:
        consents = _consents_of(user, gated)
        for pk, granting in gated.items():
            consent = next(
                (c for c in consents[pk] if _covers(user, c, pk, data_class, granting)), None
            )
            if consent is not None:
                answers[pk] = Visibility.SHOWN
                _note_shown(user, pk, data_class, consent.pk)
            else:
                answers[pk] = Visibility.WITHHELD
                if data_class in PART2_ROW_CLASSES:  # the rows that are not Part 2 are shown
                    _note_shown(user, pk, data_class, None)
    return answers


def withholds_part2_rows(user: User, participant: Participant, data_class: DataClass) -> bool:
    """Whether the Part 2 rows of a row class (PART2_ROW_CLASSES) are withheld from the user:
    selectors then leave them out (`part2_rows`) and say how many were withheld."""
    return visibility(user, participant, data_class) is Visibility.WITHHELD


def without_withheld_rows(
    rows: QuerySet, user: User, participant: Participant, data_class: DataClass
) -> QuerySet:
    """`rows` of the participant (a row class, PART2_ROW_CLASSES) less their Part 2 rows when
    no consent covers them for the user."""
    if withholds_part2_rows(user, participant, data_class):
        return rows.exclude(part2_rows(user, data_class))
    return rows


def withheld_rows(
    rows: QuerySet, user: User, participant: Participant, data_class: DataClass
) -> QuerySet:
    """The Part 2 rows of `rows` no consent covers for the user (none when one does): what a
    page counts as "not covered by consent"."""
    if withholds_part2_rows(user, participant, data_class):
        return rows.filter(part2_rows(user, data_class))
    return rows.none()


def withholds_row(user: User, participant: Participant, data_class: DataClass, row) -> bool:
    """Whether `row` (of a row class) is a Part 2 row no consent covers for the user: its page
    says so (WithheldError)."""
    return (
        withholds_part2_rows(user, participant, data_class)
        and type(row)._default_manager.filter(part2_rows(user, data_class), pk=row.pk).exists()
    )


def part2_rows(user: User, data_class: DataClass) -> Q:
    """The condition selecting the Part 2 rows of a row class, for `user` (their own agency's
    rows are never Part 2 to them): drug tests collected by a treatment agency's staff,
    treatment sessions' appointments, staffing notes written as a treatment provider."""
    own = user.organization_id
    if data_class == DataClass.DRUG_TESTS:
        # The collectors in a subquery, not a join: a join kept the tests' newest-first index
        # scans (sobriety's last positive) from stopping at the first row (bench/summary.py).
        collectors = User.objects.filter(organization__kind=OrganizationKind.TREATMENT_AGENCY)
        return Q(collected_by__in=collectors.exclude(organization=own) if own else collectors)
    if data_class == DataClass.ATTENDANCE:
        rows = Q(kind=AppointmentKind.TREATMENT)
        return rows & ~Q(organization=own) if own else rows
    if data_class == DataClass.STAFFING:
        rows = Q(role=Role.TREATMENT_PROVIDER)
        return rows & ~Q(author__organization=own) if own else rows
    raise ValueError(f"{data_class} has no Part 2 row rule.")


def _consents_of(user: User, participant_ids: Iterable[int]) -> dict[int, list[Consent]]:
    """The unrevoked consents of the participants with their recipients and program (cached
    per request on the user; expiry is decided at read time by `_covers`)."""
    cache = user.__dict__.setdefault("_consents", {})
    if missing := set(participant_ids) - cache.keys():
        for pk in missing:
            cache[pk] = []
        for consent in (
            Consent.objects.filter(participant__in=missing, revoked_on__isnull=True)
            .select_related("enrollment__program")
            .prefetch_related("recipients")
        ):
            cache[consent.participant_id].append(consent)
    return {pk: cache[pk] for pk in participant_ids}


def _covers(
    user: User, consent: Consent, participant_id: int, data_class: DataClass, granting: set[Role]
) -> bool:
    """Whether `consent` is in force today (its program's date) and names `data_class` and the
    user as a recipient: by name, by organization, or by a (program, role) pair through which
    the user reaches the participant with a role granting the class."""
    if data_class not in consent.data_classes:
        return False
    if not consent.is_active(program_today(consent.enrollment.program)):
        return False
    pairs = reach_of(user, [participant_id])[participant_id]
    for recipient in consent.recipients.all():
        if recipient.user_id is not None and recipient.user_id == user.pk:
            return True
        if (
            recipient.organization_id is not None
            and recipient.organization_id == user.organization_id
        ):
            return True
        role = Role(recipient.role) if recipient.role else None
        if role in granting and (
            (role, recipient.program_id) in pairs
            or ((role, None) in pairs and recipient.program_id in _member_programs(user))
        ):
            return True
    return False


def part2_listed(user: User, data_class: DataClass) -> Q:
    """For lists of rows with a `participant` (alerts): the rows of participants whose
    `data_class` Part 2 information the user may see: reached through a role that needs no
    consent for it (the treatment program; a provider for its own records), or named by a
    consent in force today (its program's date) for the class. The SQL form of
    `visibility_of`, which pages use; a (program, role) recipient counts for a user holding the
    role and a member of the program."""
    free = TREATMENT_PROGRAM_ROLES | (AGENCY_ROLES if data_class in PROVIDER_OWN_CLASSES else set())
    condition = Q(pk__in=[])
    branches, programs = _reach_sources(user, only=free)
    if branches:
        condition |= Q(participant__in=_union(branches))
    if programs is not None:
        condition |= Q(
            participant__in=Enrollment.objects.filter(program__in=programs).values("participant")
        )
    today = program_today_sql("enrollment__program__time_zone")
    named = Q(recipients__user=user) | Q(
        recipients__role__in=list(user.roles),
        recipients__program__in=_member_programs_query(user),
    )
    if user.organization_id is not None:
        named |= Q(recipients__organization=user.organization_id)
    in_force = (
        Consent.objects.annotate(today=today)
        .filter(
            named,
            data_classes__contains=[data_class],
            revoked_on__isnull=True,
            signed_on__lte=models.F("today"),
        )
        .exclude(expires_on__lt=models.F("today"))
        .exclude(
            expiry_event=ConsentTrigger.ENROLLMENT_CLOSED,
            enrollment__status__in=sorted(CLOSED_STATUSES),
        )
        .exclude(
            expiry_event=ConsentTrigger.FINAL_DISPOSITION,
            final_disposition_on__lte=models.F("today"),
        )
    )
    return condition | Q(participant__in=in_force.values("participant"))


def _note_shown(
    user: User, participant_id: int, data_class: DataClass, consent: int | None
) -> None:
    classes = user.__dict__.setdefault("_shown", {}).setdefault(participant_id, {})
    # A consent noted once in the request stays: a later answer without one (a list's note,
    # the rows of a row class that are not Part 2) does not undo the disclosure.
    if consent is not None or data_class not in classes:
        classes[data_class] = consent


def note_shown(user: User, shown: Iterable[tuple[int, DataClass]]) -> None:
    """Notes for the access log what a list showed without asking `visibility` for each of its
    participants: (participant id, data class) pairs of classes the list's own reach rules
    decide (identity, enrollment, the court record, an alert's class). Never a disclosure:
    Part 2 information is shown only through `visibility`, which notes its consent."""
    for participant_id, data_class in shown:
        _note_shown(user, participant_id, data_class, None)


def shown(user: User) -> dict[int, dict[DataClass, int | None]]:
    """What this request showed the user: participant id → data class → the consent under which
    Part 2 information of it was disclosed (None when none was needed). For the access log."""
    return user.__dict__.get("_shown", {})


def can_see(user: User, participant: Participant, data_class: DataClass) -> bool:
    """Whether the user sees `data_class` of the participant: shown, or (for a row class) its
    rows that are not Part 2. Pages of a whole Part 2 class that is withheld say so instead
    (`visibility`, `WithheldError`)."""
    answer = visibility(user, participant, data_class)
    return answer is Visibility.SHOWN or (
        answer is Visibility.WITHHELD and data_class in PART2_ROW_CLASSES
    )


def sees_or_withheld(user: User, participant: Participant, data_class: DataClass) -> bool:
    """`can_see` for a page (or a row of a page) of `data_class`: a whole Part 2 class no consent
    covers raises `WithheldError`, so the page says "not covered by consent" instead of
    answering as for a participant that does not exist."""
    answer = visibility(user, participant, data_class)
    if answer is Visibility.WITHHELD and data_class in PART2_CLASSES:
        raise WithheldError(participant, data_class)
    return answer is not Visibility.HIDDEN


def can_change(user: User, participant: Participant, data_class: DataClass) -> bool:
    return bool(_granting(reach_roles(user, participant), data_class, change=True))


def _agency_only(roles: Iterable[Role], data_class: DataClass, *, change: bool) -> bool:
    granting = _granting(roles, data_class, change=change)
    return bool(granting) and granting <= AGENCY_ROLES


def agency_rows_only(
    user: User, participant: Participant, data_class: DataClass, *, change: bool = False
) -> bool:
    """Whether the user sees (with change=True, changes) `data_class` of the participant only
    through an agency role: then only the rows of their own organization (`user.organization`)
    are theirs, and selectors filter the rest out. Someone who also reaches the participant
    through a role granting that class (a case manager, the court) gets every row."""
    return _agency_only(reach_roles(user, participant), data_class, change=change)


def _may_change_appointment(user: User, roles: frozenset[Role], appointment: Appointment) -> bool:
    if appointment.kind == AppointmentKind.COURT:  # the hearing's, on the court's docket
        return False
    if not _granting(roles, DataClass.ATTENDANCE, change=True):
        return False
    if not _agency_only(roles, DataClass.ATTENDANCE, change=True):
        return True
    return (
        appointment.kind == AppointmentKind.TREATMENT
        and user.organization_id is not None
        and appointment.organization_id == user.organization_id
    )


def can_change_appointment(user: User, appointment: Appointment) -> bool:
    """Whether the user may schedule (an unsaved) or record the outcome of this appointment:
    whoever may change the participant's attendance, but a provider only their own agency's
    treatment sessions: never case manager meetings or another agency's. Nobody does a court
    hearing's here: the court's docket schedules and records hearings (court.services)."""
    roles = reach_roles_of(user, [appointment.participant_id])[appointment.participant_id]
    return _may_change_appointment(user, roles, appointment)


def changeable_appointments(user: User, appointments: Iterable[Appointment]) -> set[int]:
    """The pks of those appointments whose outcome the user may record (for the buttons)."""
    appointments = list(appointments)
    roles = reach_roles_of(user, {appointment.participant_id for appointment in appointments})
    return {
        appointment.pk
        for appointment in appointments
        if _may_change_appointment(user, roles[appointment.participant_id], appointment)
    }


def schedulable_kinds(user: User, participant: Participant) -> list[AppointmentKind]:
    """What the user may schedule for the participant: a provider only treatment sessions;
    nobody court hearings (placing the participant on a docket schedules them)."""
    if not can_change(user, participant, DataClass.ATTENDANCE):
        return []
    if agency_rows_only(user, participant, DataClass.ATTENDANCE, change=True):
        return [AppointmentKind.TREATMENT]
    return [kind for kind in AppointmentKind if kind != AppointmentKind.COURT]


# Alerts about an appointment name it so (compliance.sweeps, the attendance sweeps).
APPOINTMENT_ALERT_SOURCE = "appointment"


def handleable_alerts(user: User, alerts: Iterable[Alert]) -> set[int]:
    """The pks of those alerts the user may acknowledge or resolve: those whose data class they
    may change of the participant. A provider only answers alerts about their own agency's
    appointments: a missed court hearing, a missed drug test or another agency's session is
    someone else's to answer. At most two queries for a list."""
    alerts = list(alerts)
    roles = reach_roles_of(user, {alert.participant_id for alert in alerts})
    handleable: set[int] = set()
    agency_only: dict[int, list[Alert]] = {}  # appointment pk: the alerts about it
    for alert in alerts:
        data_class = DataClass(alert.data_class)
        if not _granting(roles[alert.participant_id], data_class, change=True):
            continue
        if not _agency_only(roles[alert.participant_id], data_class, change=True):
            handleable.add(alert.pk)
            continue
        source, _, source_pk = alert.source_key.partition(":")
        if source == APPOINTMENT_ALERT_SOURCE and source_pk.isdigit():
            agency_only.setdefault(int(source_pk), []).append(alert)
    if agency_only:
        for appointment in Appointment.objects.filter(pk__in=agency_only):
            handleable.update(
                alert.pk
                for alert in agency_only[appointment.pk]
                if appointment.participant_id == alert.participant_id
                and _may_change_appointment(user, roles[alert.participant_id], appointment)
            )
    return handleable


def visible_data_classes(user: User, participant: Participant) -> frozenset[DataClass]:
    """The data classes the user sees of the participant (`can_see`)."""
    return frozenset(
        data_class
        for data_class in reached_data_classes(user, participant)
        if can_see(user, participant, data_class)
    )


def reached_data_classes(user: User, participant: Participant) -> frozenset[DataClass]:
    """The data classes the roles of the user reach of the participant, consent or not."""
    roles = reach_roles(user, participant)
    return frozenset().union(*(ROLE_DATA_CLASSES[role] for role in roles))


def get_participant_or_404(
    user: User, pk: int, data_class: DataClass = DataClass.IDENTITY, *, change: bool = False
) -> Participant:
    """The participant, if `user` reaches them and their roles may see (or with change=True,
    change) `data_class`; 404 otherwise, the same answer as for a participant that does not
    exist. A whole Part 2 class no consent covers raises `WithheldError` (the page says so)."""
    participant = participants_visible_to(user).filter(pk=pk).first()
    if participant is None:
        raise Http404("No such participant.")
    if change and not can_change(user, participant, data_class):
        raise Http404("No such participant.")
    if not sees_or_withheld(user, participant, data_class):
        raise Http404("No such participant.")
    return participant


def may_intake(user: User, program: Program) -> bool:
    """Coordinators and case managers who are members of the program do referral intakes."""
    held = set(user.roles) & INTAKE_ROLES
    return bool(held) and user.is_active and user.memberships.filter(program=program).exists()


def participants_coordinated_by(user: User) -> QuerySet:
    """The ids of the participants enrolled in the active programs the user coordinates, sealed
    records included: whose access log and accounting of disclosures they review."""
    _, programs = _reach_sources(user, only={Role.COORDINATOR})
    if programs is None:
        return Enrollment.objects.none().values("participant")
    return Enrollment.objects.filter(program__in=programs).order_by().values("participant")


def coordinates(user: User, program: Program) -> bool:
    return (
        user.is_active
        and user.has_role(Role.COORDINATOR)
        and user.memberships.filter(program=program).exists()
    )


# ---------------------------------------------------------------------------------------------
# The court's own rows (court.models: sessions, warrants, community service)

# Members of a program in these roles see all its court sessions and every entry of them; the
# rest see a session through the entries of their own participants (program_rows_in_reach).
WHOLE_DOCKET_ROLES = frozenset(PROGRAM_WIDE_ROLES)
# The program's court: the judges and the clerks who act for them.
BENCH_ROLES = frozenset({Role.JUDGE, Role.CLERK})
# Who works a program's warrants: its coordinators and its court.
WARRANT_ROLES = BENCH_ROLES | {Role.COORDINATOR}
# Who logs community service hours: the participant's case managers and the program's
# coordinators, who follow up with the service site. Not the judge or a clerk (who may change
# court records): they order the hours at a hearing and read what was worked.
SERVICE_HOURS_ROLES = frozenset({Role.COORDINATOR, Role.CASE_MANAGER})


def sees_court(user: User) -> bool:
    """Whether a role of the user reads court records at all (administrators, evaluators and
    treatment providers do not)."""
    return (
        user.is_authenticated
        and user.is_active
        and any(DataClass.COURT in ROLE_DATA_CLASSES[Role(role)] for role in user.roles)
    )


def _holds_in(user: User, roles: frozenset[Role], program: Program) -> bool:
    """Whether the user holds one of `roles` and is a member of the (active) program."""
    return (
        user.is_active
        and program.is_active
        and bool(roles & set(user.roles))
        and user.memberships.filter(program=program).exists()
    )


def sees_whole_docket(user: User, program: Program) -> bool:
    """The program's coordinators, judges, clerks and prosecutors see all its dockets."""
    return _holds_in(user, WHOLE_DOCKET_ROLES, program)


def sits_in(user: User, program: Program) -> bool:
    """A judge or clerk of the program's court: who issues and recalls its warrants."""
    return _holds_in(user, BENCH_ROLES, program)


def works_warrants(user: User, program: Program) -> bool:
    """The program's coordinators, judges and clerks: who see its warrants, request them and
    record that one was served."""
    return _holds_in(user, WARRANT_ROLES, program)


def acts_for_session(user: User, session) -> bool:
    """Whether `user` records the hearings of a court session (court.models.CourtSession): its
    judge, or a clerk listed on it, while they hold that role and are a member of its program.
    Nobody else, not another session's clerk nor a coordinator, records hearing outcomes,
    responses or the decisions taken at a hearing."""
    if not user.is_active or not user.memberships.filter(program_id=session.program_id).exists():
        return False
    if user.has_role(Role.JUDGE) and session.judge_id == user.pk:
        return True
    return user.has_role(Role.CLERK) and session.clerks.filter(pk=user.pk).exists()


def waives_fees(user: User, participant: Participant, program: Program) -> bool:
    """Whether `user` rules on waivers and reductions of the participant's fees, fines and
    restitution in `program` (court.models.LedgerEntry): a judge or a clerk of the program's
    court, who sees the participant's ledger there. Not those who record payments (case
    managers, probation, coordinators): waiving is the court's decision."""
    programs = programs_showing(user, participant, DataClass.LEDGER)
    return (programs is None or program.pk in programs) and sits_in(user, program)


def logs_service_hours(user: User, participant: Participant) -> bool:
    """The participant's case managers and the coordinators log their community service."""
    return bool(reach_roles(user, participant) & SERVICE_HOURS_ROLES)


# Staffing (court.models.StaffingNote, StaffingRecommendation). The roles a team member writes
# their note as, the first they hold of these (someone who is both a coordinator and the
# participant's case manager writes as the case manager, the closer of the two).
STAFFING_NOTE_ROLES = (
    Role.CASE_MANAGER,
    Role.PROBATION_OFFICER,
    Role.TREATMENT_PROVIDER,
    Role.PROSECUTOR,
    Role.DEFENCE_ATTORNEY,
    Role.COORDINATOR,
)
# Who records the team's one recommendation for a hearing: the participant's case manager, who
# gathers the team's notes, and the program's coordinators, who run staffing. Not the bench
# (it decides at the hearing) nor the parties (prosecutor, defence), whose notes argue theirs.
RECOMMENDING_ROLES = frozenset({Role.COORDINATOR, Role.CASE_MANAGER})


def staffing_roles(user: User, entry, *, change: bool = False) -> frozenset[Role]:
    """The roles through which `user` reads (with change=True, writes) the staffing of a docket
    entry (court.models.DocketEntry): the participant's team in the session's program. A
    program-wide role counts in that program only, an assigned defence attorney or probation
    officer in the programs they are members of. The bench reads the staffing of its own
    session only: its judge and the clerks listed on it (acts_for_session)."""
    return _staffing_roles(user, entry, change=change, acting=None)


def _staffing_roles(user: User, entry, *, change: bool, acting: bool | None) -> frozenset[Role]:
    """staffing_roles; `acting` is acts_for_session(user, entry.session) when known."""
    table = ROLE_MAY_CHANGE if change else ROLE_DATA_CLASSES
    program = entry.session.program_id
    roles = set()
    for role, through in reach_of(user, [entry.participant_id])[entry.participant_id]:
        if DataClass.STAFFING not in table[role]:
            continue
        if through is not None and through != program:
            continue
        if through is None and role in TEAM_COURT_ROLES and program not in _member_programs(user):
            continue
        roles.add(role)
    if roles & BENCH_ROLES:
        if acting is None:
            acting = acts_for_session(user, entry.session)
        if not acting:
            roles -= BENCH_ROLES
    return frozenset(roles)


def staffing_readers(user: User, session, entries: Iterable) -> set[int]:
    """The ids of the entries of one session's docket whose staffing `user` reads
    (reads_staffing of each, with the session's bench asked once)."""
    entries = list(entries)
    reach_of(user, [entry.participant_id for entry in entries])
    acting = acts_for_session(user, session) if set(user.roles) & BENCH_ROLES else False
    return {
        entry.pk for entry in entries if _staffing_roles(user, entry, change=False, acting=acting)
    }


def reads_staffing(user: User, entry) -> bool:
    return bool(staffing_roles(user, entry))


def staffing_note_role(user: User, entry) -> Role | None:
    """The role `user` writes their staffing note on `entry` as; None when they write none."""
    roles = staffing_roles(user, entry, change=True)
    return next((role for role in STAFFING_NOTE_ROLES if role in roles), None)


def recommends(user: User, entry) -> bool:
    """Whether `user` records the team's recommendation for the hearing of `entry`."""
    return bool(staffing_roles(user, entry, change=True) & RECOMMENDING_ROLES)


# ---------------------------------------------------------------------------------------------
# Writing: called only by the services that change the sources of truth, in their transaction


def grant_participant(holder: User | Group, participant: Participant, role: Role) -> None:
    assign_perm(f"clients.{reach_codename(role)}", holder, participant)


def revoke_participant(holder: User | Group, participant: Participant, role: Role) -> None:
    remove_perm(f"clients.{reach_codename(role)}", holder, participant)


# ---------------------------------------------------------------------------------------------
# Sources of participant access, for access_reconcile


@dataclass(frozen=True)
class AccessSource:
    """A source of truth for per-participant rows: `expected()` yields
    (holder kind "user" or "group", holder id, participant id, role) for every row that should
    exist. Later apps register theirs (e.g. provider service episodes)."""

    name: str
    expected: Callable[[], Iterable[tuple[str, int, int, Role]]]


_sources: dict[str, AccessSource] = {}


def register_access_source(source: AccessSource) -> None:
    if source.name in _sources:
        raise ValueError(f"An access source named {source.name!r} is already registered.")
    _sources[source.name] = source


def access_sources() -> list[AccessSource]:
    return list(_sources.values())
