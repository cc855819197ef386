"""Reads of participants, caseloads, teams, documents and alerts. Every read of participant
data starts from `access.participants_visible_to(user)`."""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pghistory.models
from django.core.paginator import Page, Paginator
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat, Lower, Substr
from django.db.models.lookups import Regex
from django.utils import timezone

from drugcourt.models import Organization, Phase, Program, ProgramSettings, User
from drugcourt.roles import Role
from drugcourt.selectors import (
    USABLE_DAYS,
    coordinators_of,
    program_today,
    program_today_sql,
    programs_coordinated_by,
    programs_of,
    site_today,
    user_today,
)

from . import access, registry
from .access import DataClass
from .models import (
    AccessLog,
    Addendum,
    Alert,
    AlertState,
    Appointment,
    CaseAssignment,
    Consent,
    ConsentRecipient,
    ConsentState,
    Contact,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    Incident,
    LifeDomainRecord,
    Participant,
    ParticipantIdentifier,
    SealingOrder,
    TeamRole,
)


def current_enrollment(participant: Participant) -> Enrollment | None:
    """The participant's latest enrollment (the current program, or the last one)."""
    return (
        participant.enrollments.select_related("program").order_by("-referral_date", "-id").first()
    )


def participant_today(participant: Participant) -> datetime.date:
    """Today for the participant: the local date of their current program."""
    enrollment = current_enrollment(participant)
    # A participant is created with an enrollment; none only mid-intake, before it exists.
    return program_today(enrollment.program) if enrollment else site_today()


def common_data_classes(user: User) -> frozenset[DataClass]:
    """Data classes every role of the user grants: what a list may show in a column for all
    its rows, whichever role brought each row into the list."""
    roles = [Role(role) for role in user.roles]
    if not roles:
        return frozenset()
    return frozenset.intersection(*(access.ROLE_DATA_CLASSES[role] for role in roles))


def _latest_enrollment(field: str, user: User) -> Subquery:
    """A field of the participant's newest enrollment among those the user sees."""
    return Subquery(
        Enrollment.objects.filter(access.enrollments_in_reach(user), participant=OuterRef("pk"))
        .order_by("-referral_date", "-id")
        .values(field)[:1]
    )


def caseload_for(
    user: User, *, search: str = "", status: str = "", phase: int | None = None
) -> QuerySet[Participant]:
    """The participants a user reaches, filtered and in list order, with only the columns the
    filters need. `caseload_page` shows a page of it."""
    participants = access.participants_visible_to(user)
    if search:
        # Case numbers are the legal record, matched only in enrollments the user sees.
        in_enrollment = Enrollment.objects.filter(
            Q(case_number__iexact=search) | Q(charges__court_case_number__iexact=search),
            access.enrollments_in_reach(user) if shows_case_numbers(user) else Q(pk__in=[]),
        ).values("participant")
        participants = participants.annotate(
            alias_text=Func(
                F("aliases"), Value(" "), function="array_to_string", output_field=CharField()
            )
        ).filter(
            Q(legal_last_name__icontains=search)
            | Q(legal_first_name__icontains=search)
            | Q(preferred_name__icontains=search)
            | Q(alias_text__icontains=search)
            | Q(pk__in=in_enrollment)
        )
    if status:
        participants = participants.annotate(enrollment_status=_latest_enrollment("status", user))
        participants = participants.filter(enrollment_status=status)
    if phase:
        participants = participants.annotate(enrollment_phase=_latest_enrollment("phase", user))
        participants = participants.filter(enrollment_phase=phase)
    return participants.order_by(Lower("legal_last_name"), Lower("legal_first_name"), "pk")


def caseload_page(
    user: User,
    *,
    page_number: str | int | None,
    per_page: int,
    search: str = "",
    status: str = "",
    phase: int | None = None,
) -> Page:
    """A page of the caseload: the page's ids are chosen first (no per-row subqueries for the
    rows an OFFSET skips), then only those rows get the latest enrollment and the registered
    facts the user may see. Two queries, a count and the rows, whatever the page."""
    participants = caseload_for(user, search=search, status=status, phase=phase)
    page = Paginator(participants.values("pk"), per_page).get_page(page_number)
    rows = participants.filter(pk__in=page.object_list).annotate(
        enrollment_status=_latest_enrollment("status", user),
        enrollment_phase=_latest_enrollment("phase", user),
        enrollment_entry_date=_latest_enrollment("entry_date", user),
        enrollment_exit_date=_latest_enrollment("exit_date", user),
        program_name=_latest_enrollment("program__name", user),
        program_today=program_today_sql(_latest_enrollment("program__time_zone", user)),
    )
    if shows_case_numbers(user):
        rows = rows.annotate(enrollment_case_number=_latest_enrollment("case_number", user))
    facts = visible_caseload_facts(user)
    for fact in facts:
        rows = fact.annotate(rows, user)
    found = list(rows)
    # What the list shows of each row, for the access log.
    shown = {DataClass.IDENTITY, DataClass.ENROLLMENT, *(fact.data_class for fact in facts)}
    if shows_case_numbers(user):
        shown.add(DataClass.COURT)
    access.note_shown(user, ((row.pk, data_class) for row in found for data_class in shown))
    return Page(found, page.number, page.paginator)


def caseload_phase_choices(user: User) -> list[tuple[int, str]]:
    """The phase filter's choices: the phases in force today in the programs the user works
    in (program settings), by number; two queries however many programs."""
    in_force = Q(pk__in=[])
    for program in programs_of(user):
        latest = (
            ProgramSettings.objects.filter(
                program=program, effective_from__lte=program_today(program)
            )
            .order_by("-effective_from")
            .values("pk")[:1]
        )
        in_force |= Q(settings__in=latest)
    names: dict[int, list[str]] = {}
    for number, name in (
        Phase.objects.filter(in_force).order_by("number", "name").values_list("number", "name")
    ):
        if name not in names.setdefault(number, []):
            names[number].append(name)
    return [(number, f"{number}. {' / '.join(labels)}") for number, labels in names.items()]


def shows_case_numbers(user: User) -> bool:
    """The case number column: the legal record, for lists whose every row shows it."""
    return DataClass.COURT in common_data_classes(user)


def participant_sections(
    user: User, participant: Participant
) -> list[tuple[registry.ParticipantSection, dict[str, Any] | None]]:
    """The sections of the participant page the user sees, each with its context. A section
    of a whole Part 2 class no consent covers comes with None: the page says "not covered by
    consent" in its place. A row class withheld (access.PART2_ROW_CLASSES) shows its other
    rows, and its section says how many it leaves out."""
    shown: list[tuple[registry.ParticipantSection, dict[str, Any] | None]] = []
    for section in registry.sections():
        answer = access.visibility(user, participant, section.data_class)
        if answer is access.Visibility.HIDDEN:
            continue
        if answer is access.Visibility.WITHHELD and section.data_class in access.PART2_CLASSES:
            shown.append((section, None))
        else:
            shown.append((section, section.context(participant, user)))
    return shown


def visible_caseload_facts(user: User) -> list[registry.CaseloadFact]:
    classes = common_data_classes(user)
    return [fact for fact in registry.caseload_facts() if fact.data_class in classes]


def annotate_open_alerts(participants: QuerySet, user: User) -> QuerySet:
    """The caseload fact: open alerts about what the user may see of each participant."""
    return participants.annotate(
        open_alerts=Subquery(
            _of_programs_in_reach(
                _of_own_agency(
                    Alert.objects.filter(
                        participant=OuterRef("pk"),
                        state=AlertState.OPEN,
                        data_class__in=common_data_classes(user),
                    ),
                    user,
                ),
                user,
            )
            .values("participant")
            .annotate(count=Count("pk"))
            .values("count")[:1]
        )
    )


def participant_header(participant: Participant, user: User) -> dict:
    """The header of the participant page: the latest enrollment the user sees, the team, and
    the orders sealing the record (only coordinators open a sealed record: clients.access)."""
    team = CaseAssignment.objects.filter(
        participant=participant, ended_on__isnull=True
    ).select_related("user")
    return {
        "enrollment": latest_enrollment_visible(user, participant),
        "team": list(team),
        "sealing_orders": list(participant.sealing_orders.all()) if participant.is_sealed else [],
    }


def possible_duplicates(
    *,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: datetime.date | None,
    identifier_values: list[str],
) -> QuerySet[Participant]:
    """Participants (in any program) with the same name and date of birth, or one of the same
    identifiers. Used at intake; only coordinators are shown who they are."""
    same_person = Q(
        legal_first_name__iexact=legal_first_name.strip(),
        legal_last_name__iexact=legal_last_name.strip(),
        date_of_birth=date_of_birth,
    )
    wanted = [value.strip().lower() for value in identifier_values if value.strip()]
    same_identifier = Q(
        pk__in=ParticipantIdentifier.objects.annotate(value_ci=Lower("value"))
        .filter(value_ci__in=wanted)
        .values("participant")
    )
    return Participant.objects.filter(same_person | same_identifier)


@dataclass(frozen=True)
class DuplicateElsewhere:
    """A possible match the user may not be shown: only whom to ask, and whether it is in one
    of the user's own programs (never which other program, nor who the person is)."""

    in_own_program: bool
    coordinators: list[str]


@dataclass(frozen=True)
class DuplicateCheck:
    found: bool
    shown: list[Participant]
    elsewhere: list[DuplicateElsewhere]


def duplicate_check(
    user: User,
    *,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: datetime.date | None,
    identifier_values: list[str],
) -> DuplicateCheck:
    """The intake's duplicate check as `user` may see it: who a match is only when it is
    enrolled in a program the user coordinates; for any other match, the coordinators of its
    program(s) to ask. A fixed number of queries plus one per program of hidden matches."""
    matches = possible_duplicates(
        legal_first_name=legal_first_name,
        legal_last_name=legal_last_name,
        date_of_birth=date_of_birth,
        identifier_values=identifier_values,
    )
    coordinated = programs_coordinated_by(user)
    shown = list(matches.filter(enrollments__program__in=coordinated).distinct().order_by("pk"))
    hidden = matches.exclude(pk__in=[participant.pk for participant in shown])
    own_programs = set(user.memberships.values_list("program_id", flat=True))
    elsewhere = [
        DuplicateElsewhere(
            in_own_program=program.pk in own_programs,
            coordinators=[str(coordinator) for coordinator in coordinators_of(program)],
        )
        for program in Program.objects.filter(enrollments__participant__in=hidden)
        .distinct()
        .order_by("pk")
    ]
    return DuplicateCheck(found=bool(shown) or hidden.exists(), shown=shown, elsewhere=elsewhere)


def team_for(participant: Participant) -> QuerySet[CaseAssignment]:
    return (
        CaseAssignment.objects.filter(participant=participant)
        .select_related("user", "assigned_by")
        .order_by(F("ended_on").desc(nulls_first=True), "team_role")
    )


def alerts_for(user: User, *, state: str | None = AlertState.OPEN) -> QuerySet[Alert]:
    """Alerts about participants the user reaches, of data classes every role of theirs sees;
    `state=None` for alerts in any state. Like the data classes, the agency row rule applies
    to the whole list of someone holding an agency role: no alert about another agency's
    session or referral."""
    classes = common_data_classes(user)
    alerts = _without_withheld(
        _of_programs_in_reach(
            _of_own_agency(
                Alert.objects.filter(
                    participant__in=access.participants_visible_to(user), data_class__in=classes
                ),
                user,
            ),
            user,
        ),
        user,
        classes,
    )
    if state:
        alerts = alerts.filter(state=state)
    return alerts.select_related("participant", "assigned_to").order_by("-created_at", "-id")


def _without_withheld(
    alerts: QuerySet[Alert], user: User, classes: Iterable[DataClass]
) -> QuerySet[Alert]:
    """Leaves out alerts carrying Part 2 information no consent covers for the user (42 CFR
    Part 2): of each gated class among `classes`, only those of participants it is shown of
    (access.part2_listed), and of a row class also those naming a row of it that is not Part 2
    (a test the court collected, a case-manager meeting)."""
    for data_class in access.GATED_CLASSES.intersection(classes):
        shown = ~Q(data_class=data_class) | access.part2_listed(user, data_class)
        for source in registry.program_alert_sources():
            if source.part2_class == data_class:
                rows = source.rows().exclude(access.part2_rows(user, data_class))
                shown |= Q(alert_names_row(rows, source.prefix))
        alerts = alerts.filter(shown)
    return alerts


def _of_own_agency(alerts: QuerySet[Alert], user: User) -> QuerySet[Alert]:
    """Leaves out, for someone holding an agency role, alerts about another agency's rows."""
    if access.AGENCY_ROLES & set(user.roles):
        for source in registry.agency_alert_sources():
            alerts = alerts.exclude(_about_another_agency(source, user.organization_id))
    return alerts


def _alert_key(prefix: str) -> Concat:
    """The `source_key` alerts give a row of a registered source: "<prefix>:<pk>"."""
    return Concat(Value(f"{prefix}:"), Cast("pk", CharField()))


def _named_row(prefix: str) -> Case:
    """For a subquery over a registered source's rows: the pk that the outer alert's
    `source_key` names when it is "<prefix>:<pk>", else null. Comparing a row's pk with it is an
    index probe; comparing the key with each row's own (`_alert_key`) read all of the
    participant's rows of the source for every alert (a docket's alerts since the previous
    hearing took seconds: bench/summary.py)."""
    key = OuterRef("source_key")
    return Case(
        When(
            Regex(key, rf"^{re.escape(prefix)}:[1-9][0-9]{{0,17}}$"),
            then=Cast(Substr(key, len(prefix) + 2), BigIntegerField()),
        ),
        output_field=BigIntegerField(),
    )


def alert_names_row(rows: QuerySet, prefix: str) -> Exists:
    """For an annotation of alerts: whether the alert's `source_key` names one of `rows` (of a
    source whose alerts are keyed "<prefix>:<pk>") of its participant; an index probe."""
    return Exists(rows.filter(participant=OuterRef("participant"), pk=_named_row(prefix)))


def _with_source_program(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Annotates `source_program`: the program of the test or hearing the alert speaks of
    (registry.ProgramAlertSource), null when its source belongs to no program."""
    programs = [
        Subquery(
            source.rows()
            .filter(participant=OuterRef("participant"), pk=_named_row(source.prefix))
            .values("program")[:1]
        )
        for source in registry.program_alert_sources()
    ]
    if not programs:
        return alerts.annotate(source_program=Value(None, output_field=BigIntegerField()))
    # Sources give their program as a foreign key or (annotated through a join) its id.
    return alerts.annotate(
        source_program=Coalesce(*programs, output_field=BigIntegerField())
        if len(programs) > 1
        else programs[0]
    )


def _of_programs_in_reach(alerts: QuerySet[Alert], user: User) -> QuerySet[Alert]:
    """Leaves out of a list alerts about a test or hearing of a program whose record the user
    does not see (the list form of `alerts_of_programs_shown`, like enrollments_in_reach)."""
    return _with_source_program(alerts).filter(
        Q(source_program__isnull=True)
        | access.program_rows_in_reach(user, program="source_program")
    )


def alerts_of_programs_shown(
    alerts: QuerySet[Alert], user: User, participant: Participant
) -> QuerySet[Alert]:
    """The participant's `alerts` narrowed to those about rows of programs the user sees of
    the alert's data class (access.programs_showing): a program's court roles and coordinators
    do not see alerts about another program's tests or hearings."""
    shown = Q(source_program__isnull=True)
    classes = access.visible_data_classes(user, participant)
    for data_class in classes:
        programs = access.programs_showing(user, participant, data_class)
        in_programs = Q() if programs is None else Q(source_program__in=programs)
        shown |= Q(data_class=data_class) & in_programs
    withheld = {
        data_class
        for data_class in access.GATED_CLASSES.intersection(classes)
        if access.visibility(user, participant, data_class) is access.Visibility.WITHHELD
    }
    return _without_withheld(_with_source_program(alerts).filter(shown), user, withheld)


def _about_another_agency(source: registry.AgencyAlertSource, organization_id: int | None):
    """The alert speaks of a row of this source that belongs to another agency (one EXISTS,
    the row by its pk)."""
    agency = source.organization_field
    return Exists(
        source.rows()
        .filter(participant=OuterRef("participant"), **{f"{agency}__isnull": False})
        .exclude(**{agency: organization_id})
        .filter(pk=_named_row(source.prefix))
    )


def current_case_manager(participant: str = "participant") -> Subquery:
    """The user id of the participant's case manager now (the newest open case manager
    assignment), as a subquery over OuterRef(participant) for set-based rows such as sweeps."""
    return Subquery(
        CaseAssignment.objects.filter(
            participant=OuterRef(participant),
            team_role=TeamRole.CASE_MANAGER,
            ended_on__isnull=True,
        )
        .order_by("-started_on", "-id")
        .values("user")[:1]
    )


def case_managers_in(program) -> QuerySet[User]:
    """Case managers of a program, deactivated ones included (their caseload may need moving)."""
    return User.objects.filter(
        memberships__program=program, roles__contains=[Role.CASE_MANAGER]
    ).order_by("last_name", "first_name")


def team_candidates(participant: Participant) -> QuerySet[User]:
    """Active staff of the participant's programs who hold a team role."""
    team_roles = [Role.CASE_MANAGER, Role.PROBATION_OFFICER, Role.DEFENCE_ATTORNEY]
    return (
        User.objects.filter(
            is_active=True,
            memberships__program__enrollments__participant=participant,
            roles__overlap=team_roles,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


@dataclass(frozen=True)
class EnrollmentDates:
    """An enrollment as those without the legal record (providers) read it: program, status,
    phase and dates; no case number, charges, arrest data or reasons for status changes."""

    pk: int
    program: str
    status: str
    phase: int | None
    referral_date: datetime.date
    entry_date: datetime.date | None
    exit_date: datetime.date | None

    def get_status_display(self) -> str:
        return EnrollmentStatus(self.status).label


def _enrollments_in_reach(
    user: User, participant: Participant, data_class: DataClass = DataClass.ENROLLMENT
) -> QuerySet[Enrollment]:
    """The participant's enrollments of the programs whose `data_class` the user sees."""
    return access.rows_of_programs_shown(
        participant.enrollments.select_related("program").order_by("-referral_date", "-id"),
        user,
        participant,
        data_class,
        "program",
    )


def _as_read(
    enrollments: list[Enrollment], legal: frozenset[int] | None
) -> list[Enrollment | EnrollmentDates]:
    """Each enrollment whole where the user sees its legal record, else its dates only."""
    return [
        enrollment
        if legal is None or enrollment.program_id in legal
        else EnrollmentDates(
            pk=enrollment.pk,
            program=enrollment.program.name,
            status=enrollment.status,
            phase=enrollment.phase,
            referral_date=enrollment.referral_date,
            entry_date=enrollment.entry_date,
            exit_date=enrollment.exit_date,
        )
        for enrollment in enrollments
    ]


def enrollments_visible(user: User, participant: Participant) -> list[Enrollment | EnrollmentDates]:
    """The participant's enrollments the user sees, newest first: of every program for their
    team and providers, of their own programs only for program-wide roles (a program's court
    roles see that program's record). An enrollment whose legal record (DataClass.COURT) the
    user does not see is handed out as EnrollmentDates; the others with charges and status
    changes."""
    legal = access.programs_showing(user, participant, DataClass.COURT)
    rows = _as_read(list(_enrollments_in_reach(user, participant)), legal)
    prefetch_related_objects(
        [row for row in rows if isinstance(row, Enrollment)],
        "charges",
        "status_changes__changed_by",
    )
    return rows


def latest_enrollment_visible(
    user: User, participant: Participant
) -> Enrollment | EnrollmentDates | None:
    """The newest enrollment the user sees (the page header), read as `enrollments_visible`."""
    latest = _enrollments_in_reach(user, participant)[:1]
    rows = _as_read(list(latest), access.programs_showing(user, participant, DataClass.COURT))
    return rows[0] if rows else None


def documents_of(participant: Participant):
    return participant.documents.select_related("uploaded_by")


def intake_programs_for(user: User) -> QuerySet[Program]:
    """Programs where the user may do a referral intake (coordinators and case managers)."""
    if not {Role.COORDINATOR, Role.CASE_MANAGER} & set(user.roles):
        return Program.objects.none()
    return programs_of(user)


def history_of(
    user: User, participant: Participant, *, now: datetime.datetime | None = None
) -> QuerySet:
    """Every recorded change to the participant and the rows that point at them (enrollments,
    team, identifiers, contacts, documents, alerts), but of the rows of a program (enrollments,
    tests, hearings) only those of the programs whose record the user sees
    (access.programs_showing): a program's coordinator does not read the participant's
    enrollment elsewhere in its history either. Sealed rows (a drawn test before its call) are
    left out until `now` reveals them."""
    events = pghistory.models.Events.objects.references(participant)
    # Nor, to anyone, the rows nobody may know of yet (registry.SealedRows).
    for sealed in registry.sealed_rows():
        keys = sealed.rows(participant, now or timezone.now()).annotate(
            history_key=Cast("pk", TextField())
        )
        events = events.exclude(
            pgh_obj_model=sealed.model, pgh_obj_id__in=keys.values("history_key")
        )
    programs = access.programs_showing(user, participant, DataClass.ENROLLMENT)
    if programs is not None:
        events = events.filter(
            ~Q(pgh_data__has_key="program_id")
            | Q(pgh_data__program_id=None)
            | Q(pgh_data__program_id__in=sorted(programs))
        ).alias(alert_source=KeyTextTransform("source_key", "pgh_data"))
        # Nor the alerts about those rows (registry.ProgramAlertSource).
        for source in registry.program_alert_sources():
            hidden = (
                source.rows()
                .filter(participant=participant, program__isnull=False)
                .exclude(program__in=programs)
                .annotate(alert_key=_alert_key(source.prefix))
                .values("alert_key")
            )
            events = events.exclude(pgh_obj_model="clients.Alert", alert_source__in=hidden)
    return events.order_by("-pgh_created_at")


# ---------------------------------------------------------------------------------------------
# The daily record


def contacts_visible(user: User, participant: Participant) -> QuerySet[Contact]:
    """Contacts of the participant the user may read: all case notes for those who see case
    notes, the ones shared with supervision for probation, none for anyone else. Notes entered
    in error are left out (they stay in the history)."""
    classes = access.visible_data_classes(user, participant)
    contacts = Contact.objects.filter(participant=participant, entered_in_error=False)
    if DataClass.CASE_NOTES in classes:
        return contacts
    if DataClass.SUPERVISION_CONTACTS in classes:
        return contacts.filter(shared_with_supervision=True)
    return contacts.none()


def incidents_visible(user: User, participant: Participant) -> QuerySet[Incident]:
    classes = access.visible_data_classes(user, participant)
    incidents = Incident.objects.filter(participant=participant)
    if DataClass.ALL_INCIDENTS in classes:
        return incidents
    if DataClass.COURT_INCIDENTS in classes:
        return incidents.filter(reported_to_court=True)
    return incidents.none()


def appointments_visible(user: User, participant: Participant) -> QuerySet[Appointment]:
    """The participant's appointments the user may see: a provider sees hearings and meetings
    (attendance) but of treatment sessions only their own agency's; a program-wide role sees
    the hearings of its own programs only. Treatment sessions are left out when no consent
    covers them (`appointments_withheld`)."""
    return access.without_withheld_rows(
        _appointments_reached(user, participant), user, participant, DataClass.ATTENDANCE
    )


def appointments_withheld(
    user: User,
    participant: Participant,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> QuerySet[Appointment]:
    """The treatment sessions `appointments_visible` leaves out for want of a consent
    (scheduled from `start` and before `end`, when given)."""
    withheld = access.withheld_rows(
        _appointments_reached(user, participant), user, participant, DataClass.ATTENDANCE
    )
    if start is not None:
        withheld = withheld.filter(scheduled_at__gte=start)
    if end is not None:
        withheld = withheld.filter(scheduled_at__lt=end)
    return withheld


def _appointments_reached(user: User, participant: Participant) -> QuerySet[Appointment]:
    if not access.can_see(user, participant, DataClass.ATTENDANCE):
        return Appointment.objects.none()
    appointments = Appointment.objects.filter(participant=participant)
    if access.agency_rows_only(user, participant, DataClass.ATTENDANCE):
        appointments = appointments.filter(
            Q(organization__isnull=True) | Q(organization_id=user.organization_id)
        )
    # A program's court roles see that program's hearings, not another program's.
    programs = access.programs_showing(user, participant, DataClass.ATTENDANCE)
    if programs is not None:
        appointments = appointments.filter(Q(program__isnull=True) | Q(program__in=programs))
    return appointments


def appointment_to_change(user: User, participant: Participant, pk: int) -> Appointment | None:
    """An appointment of the participant whose outcome the user may record (None for one they
    may not: a provider asking for a court hearing gets the answer of a missing one)."""
    appointment = appointments_visible(user, participant).filter(pk=pk).first()
    if appointment is None or not access.can_change_appointment(user, appointment):
        return None
    return appointment


TIMELINE_KINDS = ("contact", "addendum", "appointment", "incident")


@dataclass(frozen=True)
class TimelineFilter:
    kinds: tuple[str, ...] = TIMELINE_KINDS
    function: str = ""
    author_id: int | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None


def _timeline_sources(user: User, participant: Participant) -> dict[str, QuerySet]:
    """What the user may read of each timeline kind, with its time (`at`) and author (`by`)."""
    return {
        "contact": contacts_visible(user, participant).annotate(
            at=F("occurred_at"), by=F("author")
        ),
        "addendum": Addendum.objects.filter(
            contact__in=contacts_visible(user, participant)
        ).annotate(at=F("created_at"), by=F("author")),
        "appointment": appointments_visible(user, participant).annotate(
            at=F("scheduled_at"), by=F("created_by")
        ),
        "incident": incidents_visible(user, participant).annotate(
            at=Cast("occurred_on", DateTimeField()), by=F("recorded_by")
        ),
    }


def timeline_rows(user: User, participant: Participant, filters: TimelineFilter) -> QuerySet:
    """One chronological list of what the user may see: contacts, addenda, appointments and
    incidents, as (kind, entry_id, at) rows of a UNION ALL, newest first. Paginate it, then
    `timeline_entries` loads a page's objects with one query per kind. (entry_kind, pk, at)."""
    sources = _timeline_sources(user, participant)
    kinds = [kind for kind in filters.kinds if kind in sources]
    if filters.function:
        kinds = [kind for kind in kinds if kind == "contact"]
    parts = []
    for kind in kinds:
        rows = sources[kind]
        if kind == "contact" and filters.function:
            rows = rows.filter(
                Q(primary_function=filters.function)
                | Q(other_functions__contains=[filters.function])
            )
        if filters.author_id:
            rows = rows.filter(by=filters.author_id)
        if filters.start:
            rows = rows.filter(at__date__gte=filters.start)
        if filters.end:
            rows = rows.filter(at__date__lte=filters.end)
        parts.append(
            rows.annotate(entry_kind=Value(kind, output_field=CharField()))
            .values("entry_kind", "pk", "at")
            .order_by()
        )
    if not parts:
        return Contact.objects.none().values("pk")
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-at", "-pk")


TIMELINE_MODELS: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "contact": (Contact, ("author",)),
    "addendum": (Addendum, ("author", "contact")),
    "appointment": (Appointment, ("created_by", "outcome_recorded_by", "staff")),
    "incident": (Incident, ("recorded_by",)),
}


def timeline_entries(rows) -> list[tuple[str, Any]]:
    """The objects behind a page of timeline rows, in the page's order (one query per kind)."""
    ids: dict[str, list[int]] = {}
    for row in rows:
        ids.setdefault(row["entry_kind"], []).append(row["pk"])
    loaded = {
        kind: TIMELINE_MODELS[kind][0]
        ._default_manager.select_related(*TIMELINE_MODELS[kind][1])
        .in_bulk(pks)
        for kind, pks in ids.items()
    }
    return [(row["entry_kind"], loaded[row["entry_kind"]][row["pk"]]) for row in rows]


def annotate_last_contact(participants: QuerySet, user: User) -> QuerySet:
    """The caseload fact: when the participant was last contacted (notes in error left out)."""
    return participants.annotate(
        last_contact=Subquery(
            Contact.objects.filter(participant=OuterRef("pk"), entered_in_error=False)
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
    )


def follow_ups_due(user: User, today: datetime.date) -> QuerySet[FollowUp]:
    """Open follow-ups assigned to the user, due today or overdue, of participants they reach."""
    return (
        FollowUp.objects.filter(
            assigned_to=user,
            completed_at__isnull=True,
            due_on__lte=today,
            participant__in=access.participants_visible_to(user),
        )
        .select_related("participant")
        .annotate(is_overdue=ExpressionWrapper(Q(due_on__lt=today), output_field=BooleanField()))
    )


def appointments_of_day(user: User, day: datetime.date) -> QuerySet[Appointment]:
    """The user's calendar of the day: appointments with them, and those of participants on
    their caseload (team assignments), in time order; of court hearings only those of programs
    whose record the user sees (a client's hearing in another program is not theirs)."""
    caseload = CaseAssignment.objects.filter(user=user, ended_on__isnull=True).values("participant")
    appointments = (
        Appointment.objects.filter(Q(staff=user) | Q(participant__in=caseload))
        .filter(scheduled_at__date=day, participant__in=access.participants_visible_to(user))
        .filter(Q(program__isnull=True) | access.program_rows_in_reach(user, program="program"))
        .select_related("participant", "staff")
        .order_by("scheduled_at", "pk")
    )
    # Nor treatment sessions no consent covers (a probation officer's supervisees').
    if set(user.roles) - access.TREATMENT_PROGRAM_ROLES:
        people = set(appointments.values_list("participant", flat=True))
        withheld = [
            pk
            for pk, answer in access.visibility_of(user, people, DataClass.ATTENDANCE).items()
            if answer is access.Visibility.WITHHELD
        ]
        if withheld:
            appointments = appointments.exclude(
                Q(participant__in=withheld) & access.part2_rows(user, DataClass.ATTENDANCE)
            )
    return appointments


def calendar_of_day(user: User, day: datetime.date) -> list[Appointment]:
    """`appointments_of_day` read, each row noted for the access log: it names its participant
    and tells of their attendance."""
    appointments = list(appointments_of_day(user, day))
    access.note_shown(
        user,
        (
            (appointment.participant_id, data_class)
            for appointment in appointments
            for data_class in (DataClass.IDENTITY, DataClass.ATTENDANCE)
        ),
    )
    return appointments


def life_domain_history(participant: Participant) -> QuerySet[LifeDomainRecord]:
    return participant.life_domains.select_related("recorded_by").order_by(
        "domain", "-effective_from", "-pk"
    )


def appointments_between(
    user: User, participant: Participant, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Appointment]:
    return (
        appointments_visible(user, participant)
        .filter(scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("staff", "outcome_recorded_by")
        .order_by("scheduled_at", "pk")
    )


def team_members(participant: Participant) -> QuerySet[User]:
    """Staff currently on the participant's team (for follow-ups and appointments)."""
    return (
        User.objects.filter(
            assignments__participant=participant, assignments__ended_on__isnull=True, is_active=True
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def timeline_authors(user: User, participant: Participant) -> QuerySet[User]:
    """Authors of the timeline entries `user` may read (the filter's choices): the author of
    a note one may not read is itself something of that note."""
    first, *rest = [
        rows.order_by().values("by") for rows in _timeline_sources(user, participant).values()
    ]
    return User.objects.filter(pk__in=first.union(*rest)).order_by("last_name", "first_name")


def contact_of(user: User, participant: Participant, pk: int) -> Contact | None:
    """A contact of the participant the user may read, with its addenda."""
    return (
        contacts_visible(user, participant)
        .select_related("author")
        .prefetch_related("addenda__author", "follow_ups__assigned_to")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class CalendarWeek:
    start: datetime.date  # a Monday

    @property
    def days(self) -> list[datetime.date]:
        return [self.start + datetime.timedelta(days=n) for n in range(7)]

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_at(self) -> datetime.datetime:
        return self.start_at + datetime.timedelta(days=7)

    @property
    def previous(self) -> datetime.date:
        return self.start - datetime.timedelta(days=7)

    @property
    def next(self) -> datetime.date:
        return self.start + datetime.timedelta(days=7)


def parse_day(value: str | None, *, today: datetime.date) -> datetime.date:
    """A day from a query string (YYYY-MM-DD); `today` otherwise, also for a date so far out
    that the week around it does not exist (year 1 or 9999)."""
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return today
    first, last = USABLE_DAYS
    return day if first <= day <= last else today


def calendar_week(value: str | None, *, today: datetime.date) -> CalendarWeek:
    day = parse_day(value, today=today)
    return CalendarWeek(start=day - datetime.timedelta(days=day.weekday()))


def appointments_by_day(
    appointments, week: CalendarWeek
) -> list[tuple[datetime.date, list[Appointment]]]:
    by_day: dict[datetime.date, list[Appointment]] = {day: [] for day in week.days}
    for appointment in appointments:
        by_day[timezone.localtime(appointment.scheduled_at).date()].append(appointment)
    return list(by_day.items())


TIMELINE_PREVIEW = 10


def timeline_section(participant: Participant, user: User) -> dict:
    """The participant page's record section: the latest entries and what the user may add."""
    rows = timeline_rows(user, participant, TimelineFilter())
    page = Paginator(rows, TIMELINE_PREVIEW).get_page(1)
    return {
        "page": page,
        "entries": timeline_entries(page.object_list),
        "sessions_withheld": appointments_withheld(user, participant).count(),
        "may_log": access.can_change(user, participant, DataClass.CASE_NOTES)
        or access.can_change(user, participant, DataClass.SUPERVISION_CONTACTS),
        "may_schedule": access.can_change(user, participant, DataClass.ATTENDANCE),
        "may_record_incident": access.can_change(user, participant, DataClass.ALL_INCIDENTS),
    }


def current_life_domains(participant: Participant) -> QuerySet[LifeDomainRecord]:
    """The record in force in each domain (the latest by effective date)."""
    return participant.life_domains.order_by("domain", "-effective_from", "-pk").distinct("domain")


def life_domains_on(
    participant_ids: list[int], domains: list[str], on: datetime.date
) -> dict[int, dict[str, LifeDomainRecord]]:
    """participant id → domain → the record in force on `on` (the latest effective by then), of
    `domains`. One query for any number of participants."""
    found: dict[int, dict[str, LifeDomainRecord]] = {}
    for record in (
        LifeDomainRecord.objects.filter(
            participant_id__in=participant_ids, domain__in=domains, effective_from__lte=on
        )
        .order_by("participant_id", "domain", "-effective_from", "-pk")
        .distinct("participant_id", "domain")
    ):
        found.setdefault(record.participant_id, {})[record.domain] = record
    return found


def note_alerts_shown(user: User, alerts: Iterable[Alert]) -> None:
    """Each alert shown names its participant and tells of its data class: for the access
    log."""
    access.note_shown(
        user,
        (
            (alert.participant_id, data_class)
            for alert in alerts
            for data_class in (DataClass.IDENTITY, DataClass(alert.data_class))
        ),
    )


def my_day(user: User) -> dict:
    """The case manager's home page: today's appointments, follow-ups due, open alerts."""
    today = user_today(user)
    follow_ups = list(follow_ups_due(user, today))
    alerts = list(alerts_for(user)[:5])
    # A follow-up comes from a case note: for the access log.
    access.note_shown(
        user,
        (
            (follow_up.participant_id, data_class)
            for follow_up in follow_ups
            for data_class in (DataClass.IDENTITY, DataClass.CASE_NOTES)
        ),
    )
    note_alerts_shown(user, alerts)
    return {
        "appointments": calendar_of_day(user, today),
        "follow_ups": follow_ups,
        "alerts": alerts,
    }


# ---------------------------------------------------------------------------------------------
# 42 CFR Part 2 consents (written by clients.consents, read at every disclosure by access)


@dataclass(frozen=True)
class ConsentRow:
    """A consent as its pages show it on its program's `today`."""

    consent: Consent
    today: datetime.date
    state: str  # a ConsentState
    irrevocable: bool
    data_class_labels: list[str]

    @property
    def state_label(self) -> str:
        return ConsentState(self.state).label


def consents_of(user: User, participant: Participant) -> QuerySet[Consent]:
    """The participant's consents the user sees (of the programs whose consents they see),
    newest first, with what their pages show: program, recipients, signed form."""
    return access.rows_of_programs_shown(
        participant.consents.select_related(
            "enrollment__program", "signed_form", "recorded_by", "revoked_by"
        ).prefetch_related(
            Prefetch(
                "recipients",
                ConsentRecipient.objects.select_related("program", "organization", "user"),
            )
        ),
        user,
        participant,
        DataClass.CONSENTS,
        "enrollment__program",
    )


def consent_row(consent: Consent) -> ConsentRow:
    today = program_today(consent.enrollment.program)
    return ConsentRow(
        consent=consent,
        today=today,
        state=consent.state(today),
        irrevocable=consent.revoked_on is None and consent.is_irrevocable(today),
        data_class_labels=[DataClass(value).label for value in consent.data_classes],
    )


def consents_section(participant: Participant, user: User) -> dict[str, Any]:
    """The participant page's Consents section: each consent with its state today."""
    return {
        "consents": [consent_row(consent) for consent in consents_of(user, participant)],
        "may_record": access.can_change(user, participant, DataClass.CONSENTS),
    }


def consent_enrollments(user: User, participant: Participant) -> QuerySet[Enrollment]:
    """The enrollments a consent may be recorded for: those whose consents the user sees."""
    return _enrollments_in_reach(user, participant, DataClass.CONSENTS)


def consent_recipient_organizations() -> QuerySet[Organization]:
    return Organization.objects.filter(is_active=True).order_by("name")


def consent_recipient_staff(roles: list[str]) -> QuerySet[User]:
    """Staff a consent may name: active users holding a role outside the treatment program."""
    return User.objects.filter(is_active=True, roles__overlap=roles).order_by(
        "last_name", "first_name", "pk"
    )


def sealed_out_of_reports() -> QuerySet:
    """The ids of participants whose record a sealing order removes from reports and extracts
    (clients.models.SealingOrder.excludes_from_reports), for their WHERE clauses."""
    return SealingOrder.objects.filter(excludes_from_reports=True).values("participant")


# ---------------------------------------------------------------------------------------------
# The access log and the accounting of disclosures (docs/decisions/0018)

ACCESS_LOG_PAGE_SIZE = 50
# Labels of the data classes a log row names (a class renamed since keeps its stored value).
DATA_CLASS_LABELS = dict(DataClass.choices)


@dataclass(frozen=True)
class AccessLogFilter:
    participant_id: int | None = None
    user_id: int | None = None
    since: datetime.datetime | None = None  # from this moment on
    until: datetime.datetime | None = None  # before this moment


@dataclass(frozen=True)
class LogPage:
    """A page of the access log, newest first, and the cursor of the next (older) page: the
    log grows by some 200,000 rows a day, so pages go by (at, id), never by OFFSET or COUNT."""

    rows: list
    older: str | None


def _filtered(rows: QuerySet, filters: AccessLogFilter) -> QuerySet:
    if filters.participant_id is not None:
        rows = rows.filter(participant_id=filters.participant_id)
    if filters.user_id is not None:
        rows = rows.filter(user_id=filters.user_id)
    if filters.since is not None:
        rows = rows.filter(at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(at__lt=filters.until)
    return rows


def _cursor(at: datetime.datetime, key: int) -> str:
    return f"{at.isoformat()}~{key}"


def _after_cursor(cursor: str | None) -> tuple[datetime.datetime, int] | None:
    """(at, key) of a cursor from `_cursor`; None for no cursor or a broken one (page one)."""
    at, _, key = (cursor or "").partition("~")
    try:
        return datetime.datetime.fromisoformat(at), int(key)
    except ValueError:
        return None


def access_log_page(user: User, filters: AccessLogFilter, *, older: str | None = None) -> LogPage:
    """What the program's coordinator reviews: the log rows of the participants of the programs
    they coordinate (access.participants_coordinated_by), with who read and who was read. One
    query (a backward walk of each month's primary key, (at, id))."""
    rows = _filtered(
        AccessLog.objects.filter(participant_id__in=access.participants_coordinated_by(user)),
        filters,
    ).select_related("user", "participant")
    if position := _after_cursor(older):
        at, key = position
        rows = rows.filter(Q(at__lt=at) | Q(at=at, id__lt=key))
    found = list(rows.order_by("-at", "-id")[: ACCESS_LOG_PAGE_SIZE + 1])
    more = len(found) > ACCESS_LOG_PAGE_SIZE
    found = found[:ACCESS_LOG_PAGE_SIZE]
    return LogPage(found, _cursor(found[-1].at, found[-1].pk) if more else None)


def access_log_metadata_page(filters: AccessLogFilter, *, older: str | None = None) -> LogPage:
    """What administrators see of the log: per request, who, when, the route, from where and
    how many participants it showed; never who they were nor what of them (no participant,
    path or data classes). One query."""
    requests = (
        _filtered(AccessLog.objects.all(), filters)
        .values("at", "user_id", "route", "ip")
        .annotate(
            participants=Count("id"),
            username=Max("user__username"),
            first_name=Max("user__first_name"),
            last_name=Max("user__last_name"),
        )
    )
    if position := _after_cursor(older):
        at, key = position
        requests = requests.filter(Q(at__lt=at) | Q(at=at, user_id__lt=key))
    found = list(requests.order_by("-at", "-user_id")[: ACCESS_LOG_PAGE_SIZE + 1])
    more = len(found) > ACCESS_LOG_PAGE_SIZE
    found = found[:ACCESS_LOG_PAGE_SIZE]
    return LogPage(found, _cursor(found[-1]["at"], found[-1]["user_id"]) if more else None)


def access_log_staff(user: User) -> QuerySet[User]:
    """Whom a coordinator may pick in the log's staff filter: the members of the programs they
    coordinate and the treatment providers (who reach through their agency, not membership)."""
    return (
        User.objects.filter(
            Q(memberships__program__in=programs_coordinated_by(user))
            | Q(roles__contains=[Role.TREATMENT_PROVIDER])
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class Disclosure:
    """One entry of a participant's accounting of disclosures: who received which Part 2 data
    classes, when, under which consent."""

    at: datetime.datetime
    recipient: User
    data_classes: list[tuple[str, Consent | None]]  # (label, consent)


def disclosures_of(participant: Participant) -> QuerySet[AccessLog]:
    """The access log rows of the participant that disclosed Part 2 information (42 CFR Part 2
    accounting of disclosures), newest first (the partial index accesslog_disclosure_idx)."""
    return (
        AccessLog.objects.filter(participant=participant, disclosures__isnull=False)
        .select_related("user__organization")
        .order_by("-at", "-id")
    )


def disclosure_entries(rows) -> list[Disclosure]:
    """`disclosures_of` rows as entries, with their consents (one query for all of them)."""
    rows = list(rows)
    consent_ids = {consent for row in rows for consent in row.disclosures.values()}
    consents = Consent.objects.in_bulk(consent_ids)
    return [
        Disclosure(
            at=row.at,
            recipient=row.user,
            data_classes=[
                (DATA_CLASS_LABELS.get(data_class, data_class), consents.get(consent))
                for data_class, consent in row.disclosures.items()
            ],
        )
        for row in rows
    ]
