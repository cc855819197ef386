"""Writes for participants, enrollments, teams, documents and alerts."""

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.db.models import QuerySet, Subquery
from django.utils import timezone

from drugcourt.audit import audited_task, audited_write
from drugcourt.guards import lock
from drugcourt.models import NoteFormat, Organization, Program, ProgramSettings, User
from drugcourt.roles import ROLE_ORGANIZATION_KINDS, OrganizationKind, Role
from drugcourt.selectors import program_today, program_today_sql

from . import access
from .models import (
    CLOSED_STATUSES,
    LIFE_DOMAIN_STATUSES,
    NEW_ARREST_ALERT,
    AccessLog,
    Addendum,
    Alert,
    AlertSeverity,
    AlertState,
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    CaseAssignment,
    Charge,
    Contact,
    Document,
    DocumentKind,
    EmergencyContact,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    FollowUp,
    Incident,
    IncidentCategory,
    LifeDomain,
    LifeDomainRecord,
    Participant,
    ParticipantIdentifier,
    SealingOrder,
    TeamRole,
    data_class_bits,
)
from .selectors import participant_today

# ---------------------------------------------------------------------------------------------
# Intake


@dataclass(frozen=True)
class ChargeData:
    statute: str
    description: str
    offense_date: datetime.date | None = None
    arrest_date: datetime.date | None = None
    court_case_number: str = ""


@dataclass(frozen=True)
class IdentifierData:
    kind: str
    value: str


@dataclass(frozen=True)
class EmergencyContactData:
    name: str
    phone: str
    relationship: str = ""


@dataclass(frozen=True)
class EnrollmentData:
    program: Program
    case_number: str
    referral_date: datetime.date
    referral_source: str
    referring_agency: str = ""
    entry_type: str = ""
    status: str = EnrollmentStatus.REFERRED
    charges: list[ChargeData] = field(default_factory=list)


def participant_intake(
    *,
    person: dict,
    enrollment: EnrollmentData,
    identifiers: list[IdentifierData],
    emergency_contacts: list[EmergencyContactData],
    actor: User,
) -> Participant:
    """A referral intake: the person, their identifiers and contacts, the first enrollment and
    its charges. A case manager doing the intake joins the team at once (and so reaches the
    participant); everything happens in one transaction."""
    program = enrollment.program
    if not access.may_intake(actor, program):
        raise ValidationError("Only the program's coordinators and case managers do intakes.")
    _check_person(person, today=program_today(program))
    with audited_write(actor):
        _check_identifiers_free(identifiers)
        participant = Participant(**person, created_by=actor)
        participant.full_clean(exclude=["photo"])
        participant.save()
        ParticipantIdentifier.objects.bulk_create(
            ParticipantIdentifier(participant=participant, kind=i.kind, value=i.value.strip())
            for i in identifiers
        )
        EmergencyContact.objects.bulk_create(
            EmergencyContact(participant=participant, **vars(contact))
            for contact in emergency_contacts
        )
        enrollment_create(participant=participant, data=enrollment, actor=actor)
        if actor.has_role(Role.CASE_MANAGER):
            assignment_create(
                participant=participant, user=actor, team_role=TeamRole.CASE_MANAGER, actor=actor
            )
        return participant


def _check_person(person: dict, *, today: datetime.date) -> None:
    errors = {}
    for name in ("legal_first_name", "legal_last_name"):
        if not (person.get(name) or "").strip():
            errors[name] = "Enter the legal name as on the court record."
    date_of_birth = person.get("date_of_birth")
    if date_of_birth and date_of_birth >= today:
        errors["date_of_birth"] = "The date of birth must be in the past."
    if errors:
        raise ValidationError(errors)


def _check_identifiers_free(identifiers: list[IdentifierData]) -> None:
    for identifier in identifiers:
        taken = ParticipantIdentifier.objects.filter(
            kind=identifier.kind, value__iexact=identifier.value.strip()
        )
        if taken.exists():
            raise ValidationError(
                {
                    "identifiers": "This identifier is already recorded for a participant; "
                    "ask the coordinator before going on."
                }
            )


def enrollment_create(*, participant: Participant, data: EnrollmentData, actor: User) -> Enrollment:
    """A new episode of the participant in a program (an intake's first, or a readmission).
    The participant's row is locked first, so a readmission sent twice opens one enrollment."""
    with audited_write(actor):
        lock(participant)
        if Enrollment.objects.filter(
            program=data.program, case_number__iexact=data.case_number.strip()
        ).exists():
            raise ValidationError(
                {"case_number": "This case number is already used in this program."}
            )
        if (
            participant.enrollments.filter(program=data.program)
            .exclude(status__in=CLOSED_STATUSES)
            .exists()
        ):
            raise ValidationError(
                "This participant already has an open enrollment in this program."
            )
        if data.status not in (EnrollmentStatus.REFERRED, EnrollmentStatus.SCREENING):
            raise ValidationError(
                {"status": "A new enrollment starts as referred or in screening."}
            )
        enrollment = Enrollment.objects.create(
            participant=participant,
            program=data.program,
            case_number=data.case_number.strip(),
            status=data.status,
            entry_type=data.entry_type,
            referral_date=data.referral_date,
            referral_source=data.referral_source,
            referring_agency=data.referring_agency,
            status_changed_at=timezone.now(),
        )
        EnrollmentStatusChange.objects.create(
            enrollment=enrollment,
            from_status="",
            to_status=data.status,
            effective_date=data.referral_date,
            reason="Referral received.",
            changed_by=actor,
        )
        Charge.objects.bulk_create(
            Charge(enrollment=enrollment, **vars(charge)) for charge in data.charges
        )
        return enrollment


# ---------------------------------------------------------------------------------------------
# Lifecycle

# What the generic status change may do. Screening → active is admission, which only the
# admission record does (enrollment_admit, after an eligible screening decision); absconded →
# active stays here: a served warrant brings the participant back. Closing an admitted
# enrollment is a completion (COMPLETION_TRANSITIONS), never a generic change.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrollmentStatus.REFERRED: frozenset(
        {EnrollmentStatus.SCREENING, EnrollmentStatus.DECLINED, EnrollmentStatus.WITHDRAWN}
    ),
    EnrollmentStatus.SCREENING: frozenset({EnrollmentStatus.DECLINED, EnrollmentStatus.WITHDRAWN}),
    EnrollmentStatus.ACTIVE: frozenset({EnrollmentStatus.ABSCONDED}),
    EnrollmentStatus.ABSCONDED: frozenset({EnrollmentStatus.ACTIVE}),
    **{status: frozenset() for status in CLOSED_STATUSES},
}

ADMISSION_FROM: dict[str, frozenset[str]] = {
    EnrollmentStatus.SCREENING: frozenset({EnrollmentStatus.ACTIVE})
}

# How an admitted enrollment closes: graduation or termination decided by the court at a
# hearing, withdrawal or neutral discharge recorded by a coordinator, each carried out by
# court.completion with everything that closes with the enrollment (enrollment_complete).
COMPLETION_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrollmentStatus.ACTIVE: frozenset(
        {
            EnrollmentStatus.GRADUATED,
            EnrollmentStatus.TERMINATED,
            EnrollmentStatus.WITHDRAWN,
            EnrollmentStatus.NEUTRAL_DISCHARGE,
        }
    ),
    EnrollmentStatus.ABSCONDED: frozenset(
        {
            EnrollmentStatus.TERMINATED,
            EnrollmentStatus.WITHDRAWN,
            EnrollmentStatus.NEUTRAL_DISCHARGE,
        }
    ),
}

# Decided by the court at a hearing and recorded on its docket (court.completion), never by the
# generic status change.
HEARING_DECISIONS = frozenset({EnrollmentStatus.GRADUATED, EnrollmentStatus.TERMINATED})


def enrollment_change_status(
    *,
    enrollment: Enrollment,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
) -> Enrollment:
    """A status change other than admission and completion: records who, when and why,
    refuses impossible transitions and keeps the exit date consistent. A referral or screening
    may still be withdrawn here; an admitted participant's enrollment closes by completion."""
    if to_status in HEARING_DECISIONS:
        raise ValidationError(
            {
                "to_status": "Graduation and termination are decided at a hearing and recorded "
                "on the docket."
            }
        )
    if enrollment.status in COMPLETION_TRANSITIONS and to_status in CLOSED_STATUSES:
        raise ValidationError(
            {
                "to_status": "An admitted participant's withdrawal or neutral discharge is "
                "recorded by a coordinator on the enrollment's completion page, which closes "
                "everything with it."
            }
        )
    return _change_status(
        enrollment=enrollment,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        actor=actor,
    )


def enrollment_complete(
    *,
    enrollment: Enrollment,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
) -> Enrollment:
    """Closes an admitted enrollment by graduation, termination, withdrawal or neutral
    discharge. Only court.completion calls this, inside its transaction, after checking who
    acts (the session's judge or clerk for a hearing decision, a coordinator of the program for
    the rest); the transition is checked on the locked enrollment as every status change."""
    return _write_status(
        enrollment=enrollment,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        actor=actor,
        transitions=COMPLETION_TRANSITIONS,
    )


def enrollment_set_phase(*, enrollment: Enrollment, phase: int, actor: User) -> Enrollment:
    """Moves an active enrollment to `phase`. Only court.services calls this
    (phase_change_decide: a phase change is decided at a hearing), inside its audited_write,
    after locking the enrollment and checking the phase exists; saves the phase alone."""
    if enrollment.status != EnrollmentStatus.ACTIVE:
        raise ValidationError("Only an active enrollment changes phase.")
    enrollment.phase = phase
    enrollment.save(update_fields=["phase"])
    return enrollment


def enrollment_admit(
    *,
    enrollment: Enrollment,
    effective_date: datetime.date,
    entry_type: str,
    reason: str,
    actor: User,
) -> Enrollment:
    """Screening → active in phase 1, with the entry type and date. Only the admission record
    (assessments.services.admission_record) calls it, after an eligible screening decision."""
    if not entry_type:
        raise ValidationError(
            {"entry_type": "Record the entry type (pre-plea or post-plea) on admission."}
        )
    return _change_status(
        enrollment=enrollment,
        to_status=EnrollmentStatus.ACTIVE,
        effective_date=effective_date,
        reason=reason,
        actor=actor,
        entry_type=entry_type,
    )


def _change_status(
    *,
    enrollment: Enrollment,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
    entry_type: str = "",
) -> Enrollment:
    """A status change by whoever may change the enrollment; an entry type means admission."""
    if not access.can_change(actor, enrollment.participant, access.DataClass.ENROLLMENT):
        raise ValidationError("You may not change this enrollment.")
    return _write_status(
        enrollment=enrollment,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        actor=actor,
        transitions=ADMISSION_FROM if entry_type else ALLOWED_TRANSITIONS,
        entry_type=entry_type,
    )


# What a bench warrant does to the enrollment (enrollment_warrant_status_change).
WARRANT_STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrollmentStatus.ACTIVE: frozenset({EnrollmentStatus.ABSCONDED}),
    EnrollmentStatus.ABSCONDED: frozenset({EnrollmentStatus.ACTIVE}),
}


def enrollment_warrant_status_change(
    *,
    enrollment: Enrollment,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
) -> Enrollment:
    """Only court.services calls this: an issued bench warrant sets an active enrollment
    absconded, and its service or recall sets an absconded one active again. The court checks
    who acts (a judge or clerk of the program, who may not change the enrollment otherwise);
    the change is recorded like every other, with who, when and why."""
    return _write_status(
        enrollment=enrollment,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        actor=actor,
        transitions=WARRANT_STATUS_TRANSITIONS,
    )


def _write_status(
    *,
    enrollment: Enrollment,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
    transitions: dict[str, frozenset[str]],
    entry_type: str = "",
) -> Enrollment:
    """The one place an enrollment's status is written. The transition is checked on the
    locked row against `transitions` and only the fields it changes are saved."""
    with audited_write(actor):
        lock(enrollment)
        from_status = enrollment.status
        if to_status not in transitions.get(from_status, frozenset()):
            raise ValidationError(
                {
                    "to_status": "An enrollment that is "
                    f"{EnrollmentStatus(from_status).label.lower()} cannot become "
                    f"{EnrollmentStatus(to_status).label.lower()}."
                }
            )
        if not reason.strip():
            raise ValidationError({"reason": "Say why the status changes."})
        if effective_date > program_today(enrollment.program):
            raise ValidationError({"effective_date": "The date cannot be in the future."})
        changed = ["status", "status_changed_at"]
        if entry_type:
            enrollment.entry_type, enrollment.entry_date, enrollment.phase = (
                entry_type,
                effective_date,
                1,
            )
            changed += ["entry_type", "entry_date", "phase"]
        if to_status in CLOSED_STATUSES:
            enrollment.exit_date, enrollment.exit_reason = effective_date, reason.strip()
            changed += ["exit_date", "exit_reason"]
        enrollment.status = to_status
        enrollment.status_changed_at = timezone.now()
        enrollment.save(update_fields=changed)
        EnrollmentStatusChange.objects.create(
            enrollment=enrollment,
            from_status=from_status,
            to_status=to_status,
            effective_date=effective_date,
            reason=reason.strip(),
            changed_by=actor,
        )
        return enrollment


# ---------------------------------------------------------------------------------------------
# Team


def assignment_create(
    *,
    participant: Participant,
    user: User,
    team_role: str,
    actor: User,
    started_on: datetime.date | None = None,
) -> CaseAssignment:
    """Puts a staff member on the participant's team and grants their access, together."""
    role = Role(team_role)
    programs = Program.objects.filter(enrollments__participant=participant)
    errors = []
    if not user.is_active:
        errors.append(f"{user} is deactivated.")
    if not user.has_role(role):
        errors.append(f"{user} does not hold the role {role.label}.")
    if user.organization and user.organization.kind not in ROLE_ORGANIZATION_KINDS[role]:
        errors.append(
            f"{user} works for a {user.organization.get_kind_display().lower()}, which cannot "
            f"hold the role {role.label}."
        )
    if not user.memberships.filter(program__in=programs).exists():
        errors.append(f"{user} is not a member of this participant's program.")
    if errors:
        raise ValidationError({"user": errors})
    with audited_write(actor):
        lock(participant)  # the same assignment sent twice is made once
        if CaseAssignment.objects.filter(
            participant=participant, user=user, team_role=role, ended_on__isnull=True
        ).exists():
            raise ValidationError({"user": f"{user} is already on the team as {role.label}."})
        assignment = CaseAssignment.objects.create(
            participant=participant,
            user=user,
            team_role=role,
            started_on=started_on or participant_today(participant),
            assigned_by=actor,
        )
        access.grant_participant(user, participant, role)
        return assignment


def assignment_end(
    *, assignment: CaseAssignment, actor: User, ended_on: datetime.date | None = None
) -> CaseAssignment:
    with audited_write(actor):
        lock(assignment)
        if assignment.ended_on is not None:
            raise ValidationError(f"{assignment.user} already left the team.")
        assignment.ended_on = ended_on or participant_today(assignment.participant)
        assignment.save(update_fields=["ended_on"])
        access.revoke_participant(
            assignment.user, assignment.participant, Role(assignment.team_role)
        )
        return assignment


def caseload_transfer(*, program: Program, from_user: User, to_user: User, actor: User) -> int:
    """Moves every participant a case manager carries in `program` to another case manager,
    in one transaction (e.g. when the first leaves). Returns how many moved."""
    if from_user == to_user:
        raise ValidationError({"to_user": "Choose a different case manager."})
    with audited_write(actor):
        assignments = (
            CaseAssignment.objects.filter(
                user=from_user,
                team_role=TeamRole.CASE_MANAGER,
                ended_on__isnull=True,
                participant__enrollments__program=program,
            )
            .select_related("participant", "user")
            .distinct()
        )
        moved = 0
        for assignment in assignments:
            assignment_end(assignment=assignment, actor=actor)
            already = CaseAssignment.objects.filter(
                participant=assignment.participant,
                user=to_user,
                team_role=TeamRole.CASE_MANAGER,
                ended_on__isnull=True,
            ).exists()
            if not already:
                assignment_create(
                    participant=assignment.participant,
                    user=to_user,
                    team_role=TeamRole.CASE_MANAGER,
                    actor=actor,
                )
            moved += 1
        return moved


# ---------------------------------------------------------------------------------------------
# Documents

# Magic numbers of the file types we accept; the browser's claimed content type is not trusted.
ALLOWED_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def document_upload(
    *,
    participant: Participant,
    kind: str,
    title: str,
    uploaded_file: UploadedFile,
    actor: User,
) -> Document:
    limit = settings.DOCUMENT_MAX_BYTES
    size, name = uploaded_file.size or 0, uploaded_file.name or "upload"
    if size > limit:
        raise ValidationError(
            {"file": f"The file is larger than the limit of {limit // (1024 * 1024)} MB."}
        )
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    content_type = next(
        (mime for magic, mime in ALLOWED_SIGNATURES.items() if head.startswith(magic)), None
    )
    if content_type is None:
        raise ValidationError({"file": "Upload a PDF, PNG or JPEG file."})
    if kind == DocumentKind.PHOTO and not content_type.startswith("image/"):
        raise ValidationError({"file": "A photo must be a PNG or JPEG image."})
    with audited_write(actor):
        document = Document(
            participant=participant,
            kind=kind,
            title=title.strip() or name,
            token=secrets.token_urlsafe(32),
            original_name=name[:255],
            content_type=content_type,
            size=size,
            uploaded_by=actor,
        )
        document.file.save(document.token, uploaded_file, save=False)
        document.save()
        if kind == DocumentKind.PHOTO:
            participant.photo = document
            participant.save(update_fields=["photo"])
        return document


# ---------------------------------------------------------------------------------------------
# Alerts


def alert_raise(
    *,
    participant: Participant,
    kind: str,
    source_key: str,
    data_class: access.DataClass,
    message: str,
    severity: str = AlertSeverity.WARNING,
    assigned_to: User | None = None,
) -> Alert | None:
    """Raises one alert for an event; None when that event already raised it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO clients_alert
                (participant_id, kind, source_key, data_class, severity, message, state,
                 assigned_to_id, resolution_note, created_at, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, 'open', %s, '', now(), now())
            ON CONFLICT (participant_id, kind, source_key) DO NOTHING
            RETURNING id
            """,
            [
                participant.pk,
                kind,
                source_key,
                data_class,
                severity,
                message,
                getattr(assigned_to, "pk", None),
            ],
        )
        row = cursor.fetchone()
    return Alert.objects.get(pk=row[0]) if row else None


# The columns a set of alert rows has, in order (alerts_statement).
ALERT_ROW_COLUMNS = ("participant_id", "source_key", "message", "assigned_to_id")


@dataclass(frozen=True)
class AlertStatement:
    """One set-based statement raising many alerts (built by alerts_statement), which
    alerts_raise runs and tests and the bench EXPLAIN."""

    kind: str
    sql: str
    params: list[Any]


def alerts_statement(
    *,
    kind: str,
    data_class: access.DataClass,
    severity: str,
    rows: QuerySet,
    with_sql: str = "",
    with_params: Sequence[Any] = (),
) -> AlertStatement:
    """`INSERT INTO clients_alert ... SELECT ... ON CONFLICT (participant, kind, source_key) DO
    NOTHING` of `rows`, a queryset whose `.values()` are exactly participant_id, source_key,
    message and assigned_to_id. `with_sql` ("WITH [RECURSIVE] ...", with `with_params`) goes at
    the top of the statement, where PostgreSQL allows data-modifying CTEs, so a sweep can change
    its rows (`WITH marked AS (UPDATE ... RETURNING ...)`) and alert on them in the same
    statement; `rows` may name its CTEs. An event already raised is skipped, so running a
    sweep twice raises nothing twice."""
    rows_sql, params = rows.order_by().values(*ALERT_ROW_COLUMNS).query.sql_with_params()
    sql = f"""
        {with_sql}
        INSERT INTO clients_alert
            (participant_id, kind, source_key, data_class, severity, message, state,
             assigned_to_id, resolution_note, created_at, updated_at)
        SELECT q.participant_id, %s, q.source_key, %s, %s, q.message, 'open',
               q.assigned_to_id::bigint, '', now(), now()
        FROM ({rows_sql}) AS q
        ON CONFLICT (participant_id, kind, source_key) DO NOTHING
        """  # noqa: S608  (callers compose the SQL from the ORM and constants, with parameters)
    return AlertStatement(
        kind=kind, sql=sql, params=[*with_params, kind, data_class, severity, *params]
    )


def alerts_raise(*, statement: AlertStatement) -> int:
    """Runs an alerts_statement in a history context named after its kind. Returns how many
    alerts are new."""
    with audited_task(f"alerts:{statement.kind}"), connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        return cursor.rowcount


def alerts_resolve_events(
    *, participant: Participant, kind: str, source_keys: list[str], note: str, actor: User
) -> int:
    """Resolves the unresolved alerts of these events (e.g. missed tests later excused), with
    the same note on each; the caller's transaction and history context apply. Returns how
    many were resolved."""
    return Alert.objects.filter(
        participant=participant,
        kind=kind,
        source_key__in=source_keys,
        state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED],
    ).update(state=AlertState.RESOLVED, resolution_note=note, updated_by=actor)


def alert_acknowledge(*, alert: Alert, actor: User) -> Alert:
    with audited_write(actor):
        lock(alert)
        if alert.state != AlertState.OPEN:
            raise ValidationError(
                "Only an open alert can be acknowledged; this one is "
                f"{alert.get_state_display().lower()}."
            )
        alert.state, alert.updated_by = AlertState.ACKNOWLEDGED, actor
        alert.save(update_fields=["state", "updated_by", "updated_at"])
        return alert


def alert_resolve(*, alert: Alert, note: str, actor: User) -> Alert:
    if not note.strip():
        raise ValidationError({"note": "Say how the alert was resolved."})
    with audited_write(actor):
        lock(alert)
        if alert.state == AlertState.RESOLVED:
            raise ValidationError("This alert is already resolved.")
        alert.state, alert.resolution_note, alert.updated_by = (
            AlertState.RESOLVED,
            note.strip(),
            actor,
        )
        alert.save(update_fields=["state", "resolution_note", "updated_by", "updated_at"])
        return alert


# ---------------------------------------------------------------------------------------------
# The daily record: contacts, addenda, follow-ups, appointments, life domains, incidents

NOTE_EDIT_WINDOW = datetime.timedelta(hours=24)
FUTURE_CONTACT_TOLERANCE = datetime.timedelta(minutes=15)
MAX_CONTACT_MINUTES = 24 * 60


@dataclass(frozen=True)
class FollowUpData:
    description: str
    due_on: datetime.date
    assigned_to: User


@dataclass(frozen=True)
class ContactData:
    occurred_at: datetime.datetime
    kind: str
    duration_minutes: int
    primary_function: str
    other_functions: list[str] = field(default_factory=list)
    people_present: str = ""
    location: str = ""
    narrative: str = ""
    dap_data: str = ""
    dap_assessment: str = ""
    dap_plan: str = ""
    shared_with_supervision: bool = False


def _contact_data_class(actor: User, participant: Participant) -> access.DataClass:
    """Case managers and coordinators write case notes; a probation officer's contacts are
    supervision contacts (shared with supervision by nature)."""
    if access.can_change(actor, participant, access.DataClass.CASE_NOTES):
        return access.DataClass.CASE_NOTES
    if access.can_change(actor, participant, access.DataClass.SUPERVISION_CONTACTS):
        return access.DataClass.SUPERVISION_CONTACTS
    raise ValidationError("You may not record contacts for this participant.")


def _check_contact(data: ContactData, note_format: str, now: datetime.datetime) -> None:
    errors: dict[str, str] = {}
    if data.occurred_at > now + FUTURE_CONTACT_TOLERANCE:
        errors["occurred_at"] = "A contact cannot be more than 15 minutes in the future."
    if not 0 <= data.duration_minutes <= MAX_CONTACT_MINUTES:
        errors["duration_minutes"] = "The duration must be between 0 and 1440 minutes (24 hours)."
    if not data.primary_function:
        errors["primary_function"] = "Choose the case management function this contact served."
    if note_format == NoteFormat.DAP:
        for name in ("dap_data", "dap_assessment", "dap_plan"):
            if not getattr(data, name).strip():
                errors[name] = "Write this part of the DAP note."
    elif not data.narrative.strip():
        errors["narrative"] = "Write the narrative of the contact."
    if errors:
        raise ValidationError(errors)


def contact_log(
    *,
    participant: Participant,
    data: ContactData,
    actor: User,
    follow_up: FollowUpData | None = None,
    now: datetime.datetime | None = None,
) -> Contact:
    """Logs a contact and its note in the format the program has in force, with an optional
    follow-up. The primary function gets the minutes; further functions count as units."""
    now = now or timezone.now()
    data_class = _contact_data_class(actor, participant)
    note_format = note_format_for(participant, now)
    _check_contact(data, note_format, now)
    if follow_up is not None:
        _check_follow_up(participant, follow_up)
    with audited_write(actor):
        contact = Contact.objects.create(
            participant=participant,
            **{
                **vars(data),
                "other_functions": sorted(set(data.other_functions) - {data.primary_function}),
                "shared_with_supervision": data.shared_with_supervision
                or data_class == access.DataClass.SUPERVISION_CONTACTS,
            },
            note_format=note_format,
            author=actor,
        )
        if follow_up is not None:
            FollowUp.objects.create(
                participant=participant, contact=contact, created_by=actor, **vars(follow_up)
            )
        return contact


def note_format_for(participant: Participant, now: datetime.datetime) -> str:
    """The case note format in force for the participant's current program (one query,
    remembered on the participant object for the rest of the request)."""
    cached = participant.__dict__.get("_note_format")
    if cached is None:
        current_program = (
            Enrollment.objects.filter(participant=participant)
            .order_by("-referral_date", "-id")
            .values("program")[:1]
        )
        version = (
            ProgramSettings.objects.filter(
                program=Subquery(current_program),
                effective_from__lte=program_today_sql("program__time_zone", now),
            )
            .order_by("-effective_from")
            .values_list("note_format", flat=True)
            .first()
        )
        cached = participant.__dict__["_note_format"] = version or NoteFormat.FREE_TEXT
    return cached


def contact_is_editable(contact: Contact, user: User, now: datetime.datetime) -> bool:
    return (
        contact.author_id == user.pk
        and not contact.entered_in_error
        and now - contact.created_at < NOTE_EDIT_WINDOW
    )


def contact_edit(
    *,
    contact: Contact,
    version: int,
    data: ContactData,
    actor: User,
    now: datetime.datetime | None = None,
) -> Contact:
    """Changes a note within 24 hours of writing it, by its author only. `version` is the one
    the author opened: if someone saved in between, this save is refused, not merged."""
    now = now or timezone.now()
    if not contact_is_editable(contact, actor, now):
        raise ValidationError(
            "This note is locked: only its author may change it, within 24 hours. "
            "Add an addendum instead."
        )
    if contact.shared_with_supervision and not data.shared_with_supervision:
        raise ValidationError(
            {
                "shared_with_supervision": "A contact shared with supervision stays shared: "
                "probation may already have read it. Add an addendum to correct it."
            }
        )
    _check_contact(data, contact.note_format, now)
    fields = {
        **vars(data),
        "other_functions": sorted(set(data.other_functions) - {data.primary_function}),
    }
    with audited_write(actor):
        changed = Contact.objects.filter(pk=contact.pk, version=version).update(
            **fields, version=version + 1, updated_at=now
        )
        if not changed:
            raise ValidationError(
                "Someone saved this note after you opened it. Reload it to see their change."
            )
        contact.refresh_from_db()
        return contact


def addendum_add(*, contact: Contact, text: str, actor: User) -> Addendum:
    """Those who may change case notes annotate any contact they read; probation annotates
    only its own supervision contacts, never a case manager's note shared with it."""
    if not access.can_change(actor, contact.participant, access.DataClass.CASE_NOTES) and not (
        contact.author_id == actor.pk
        and access.can_change(actor, contact.participant, access.DataClass.SUPERVISION_CONTACTS)
    ):
        raise ValidationError("You may add addenda only to notes you may change.")
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    with audited_write(actor):
        return Addendum.objects.create(contact=contact, author=actor, text=text.strip())


def contact_mark_entered_in_error(*, contact: Contact, reason: str, actor: User) -> Contact:
    """Hides a note written on the wrong participant from summaries; it stays in the history.
    Its author or a coordinator of the participant's program may do it."""
    is_coordinator = any(
        access.coordinates(actor, enrollment.program)
        for enrollment in contact.participant.enrollments.select_related("program")
    )
    if contact.author_id != actor.pk and not is_coordinator:
        raise ValidationError("Only the note's author or a coordinator may mark it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the note was entered in error."})
    with audited_write(actor):
        lock(contact)
        if contact.entered_in_error:
            raise ValidationError("This note is already marked as entered in error.")
        contact.entered_in_error, contact.error_reason = True, reason.strip()
        contact.version += 1
        contact.save(update_fields=["entered_in_error", "error_reason", "version", "updated_at"])
        return contact


def _check_follow_up(participant: Participant, follow_up: FollowUpData) -> None:
    if not follow_up.description.strip():
        raise ValidationError({"follow_up_description": "Say what needs to be done."})
    if not access.participants_visible_to(follow_up.assigned_to).filter(pk=participant.pk).exists():
        raise ValidationError(
            {"follow_up_assigned_to": f"{follow_up.assigned_to} is not on this participant's team."}
        )


def follow_up_complete(*, follow_up: FollowUp, actor: User) -> FollowUp:
    if not access.participants_visible_to(actor).filter(pk=follow_up.participant_id).exists():
        raise ValidationError("You may not complete this follow-up.")
    with audited_write(actor):
        lock(follow_up)
        if follow_up.completed_at is not None:
            raise ValidationError("This follow-up is already done.")
        follow_up.completed_at, follow_up.completed_by = timezone.now(), actor
        follow_up.save(update_fields=["completed_at", "completed_by"])
        return follow_up


COURT_HEARING_SCHEDULED_BY_DOCKET = (
    "Court hearings are scheduled by placing the participant on a court session's docket."
)
COURT_HEARING_RECORDED_AT_HEARING = (
    "A court hearing's outcome is recorded on the session's docket, by its judge or clerk."
)


def appointment_schedule(
    *,
    participant: Participant,
    kind: str,
    scheduled_at: datetime.datetime,
    actor: User,
    duration_minutes: int = 60,
    location: str = "",
    with_whom: str = "",
    staff: User | None = None,
    organization: Organization | None = None,
) -> Appointment:
    """Schedules an appointment; `organization` is the treatment agency whose service it is. A
    provider schedules only their own agency's treatment sessions (that is the default). Court
    hearings are not scheduled here: placing the participant on a docket does
    (court.services.docket_place)."""
    if kind == AppointmentKind.COURT:
        raise ValidationError({"kind": COURT_HEARING_SCHEDULED_BY_DOCKET})
    if organization is None and access.agency_rows_only(
        actor, participant, access.DataClass.ATTENDANCE, change=True
    ):
        organization = actor.organization
    appointment = Appointment(
        participant=participant,
        kind=kind,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        location=location,
        with_whom=with_whom,
        staff=staff,
        organization=organization,
        created_by=actor,
    )
    if not access.can_change_appointment(actor, appointment):
        raise ValidationError("You may not schedule this appointment for this participant.")
    if organization is not None and (
        kind != AppointmentKind.TREATMENT or organization.kind != OrganizationKind.TREATMENT_AGENCY
    ):
        raise ValidationError(
            {"organization": "Only a treatment session belongs to a treatment agency."}
        )
    if not 0 < duration_minutes <= MAX_CONTACT_MINUTES:
        raise ValidationError({"duration_minutes": "Give a duration between 1 and 1440 minutes."})
    with audited_write(actor):
        appointment.save()
        return appointment


def appointment_record_outcome(
    *,
    appointment: Appointment,
    outcome: str,
    actor: User,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Appointment:
    """Records what happened. One outcome per appointment; attendance only once it has begun
    (staff may cancel ahead of time); an excused absence needs its reason. A court hearing's
    outcome is the hearing's (court.services.hearing_record_outcome), never recorded here."""
    now = now or timezone.now()
    if appointment.kind == AppointmentKind.COURT:
        raise ValidationError(COURT_HEARING_RECORDED_AT_HEARING)
    if not access.can_change_appointment(actor, appointment):
        raise ValidationError("You may not record the outcome of this appointment.")
    if appointment.outcome:
        raise ValidationError(
            f"This appointment already has an outcome ({appointment.get_outcome_display()})."
        )
    if outcome != AppointmentOutcome.CANCELLED and appointment.scheduled_at > now:
        raise ValidationError({"outcome": "Attendance cannot be recorded before the appointment."})
    if outcome == AppointmentOutcome.EXCUSED and not reason.strip():
        raise ValidationError({"reason": "Give the reason the absence is excused."})
    with audited_write(actor):
        changed = Appointment.objects.filter(pk=appointment.pk, outcome="").update(
            outcome=outcome,
            outcome_reason=reason.strip(),
            outcome_recorded_at=now,
            outcome_recorded_by=actor,
        )
        if not changed:  # another request recorded one in between
            raise ValidationError("This appointment already has an outcome.")
        appointment.refresh_from_db()
        return appointment


# Court hearings: the participant's Appointment(kind=court) that a docket entry owns. Only
# court.services calls these (it checks who acts and guards the docket entry's row); the
# generic appointment services above refuse court hearings.

HEARING_MINUTES = 30


def hearing_appointment_create(
    *,
    participant: Participant,
    program: Program,
    scheduled_at: datetime.datetime,
    location: str,
    staff: User | None,
    actor: User,
) -> Appointment:
    """Only court.services calls this: the calendar's record of a hearing, when the participant
    is placed on a session's docket."""
    with audited_write(actor):
        return Appointment.objects.create(
            participant=participant,
            program=program,
            kind=AppointmentKind.COURT,
            scheduled_at=scheduled_at,
            duration_minutes=HEARING_MINUTES,
            location=location,
            staff=staff,
            created_by=actor,
        )


def hearing_appointments_move(
    *,
    appointments: QuerySet[Appointment],
    scheduled_at: datetime.datetime,
    location: str,
    staff: User | None,
    actor: User,
) -> int:
    """Only court.services calls this: a session's new time, courtroom or judge, on the
    hearings of its docket that have no outcome yet. Returns how many moved."""
    with audited_write(actor):
        return appointments.filter(kind=AppointmentKind.COURT, outcome="").update(
            scheduled_at=scheduled_at, location=location, staff=staff
        )


def hearing_appointment_set_outcome(
    *,
    appointment: Appointment,
    outcome: str,
    actor: User,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Appointment:
    """Only court.services calls this: the outcome a hearing's appearance writes
    (court.models.APPEARANCE_OUTCOMES). Once, like every outcome."""
    now = now or timezone.now()
    with audited_write(actor):
        changed = Appointment.objects.filter(
            pk=appointment.pk, kind=AppointmentKind.COURT, outcome=""
        ).update(
            outcome=outcome,
            outcome_reason=reason.strip(),
            outcome_recorded_at=now,
            outcome_recorded_by=actor,
        )
        if not changed:
            raise ValidationError("This hearing already has an outcome.")
        appointment.refresh_from_db()
        return appointment


def appointments_cancel_ahead(
    *, participant: Participant, reason: str, actor: User, now: datetime.datetime
) -> int:
    """Only court.completion calls this, when the participant leaves the program: their
    appointments still to come and without an outcome are cancelled with `reason`, except court
    hearings (the docket takes those off) and a treatment agency's sessions (treatment may go on
    after the program; the provider decides, and discharges). Returns how many."""
    with audited_write(actor):
        return (
            Appointment.objects.filter(
                participant=participant, outcome="", scheduled_at__gt=now, organization=None
            )
            .exclude(kind=AppointmentKind.COURT)
            .update(
                outcome=AppointmentOutcome.CANCELLED,
                outcome_reason=reason.strip()[:300],
                outcome_recorded_at=now,
                outcome_recorded_by=actor,
            )
        )


def life_domain_record(
    *,
    participant: Participant,
    domain: str,
    status: str,
    effective_from: datetime.date,
    actor: User,
    detail: str = "",
    hours_per_week: int | None = None,
) -> LifeDomainRecord:
    if not access.can_change(actor, participant, access.DataClass.CASE_NOTES):
        raise ValidationError("You may not record life domains for this participant.")
    errors = {}
    if status not in dict(LIFE_DOMAIN_STATUSES[domain]):
        errors["status"] = f"Choose a {LifeDomain(domain).label.lower()} status from the list."
    if effective_from > participant_today(participant):
        errors["effective_from"] = "The date cannot be in the future."
    if hours_per_week is not None and not 0 <= hours_per_week <= 168:
        errors["hours_per_week"] = "A week has 168 hours."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        record, _ = LifeDomainRecord.objects.update_or_create(
            participant=participant,
            domain=domain,
            effective_from=effective_from,
            defaults={
                "status": status,
                "detail": detail,
                "hours_per_week": hours_per_week,
                "recorded_by": actor,
            },
        )
        return record


def incident_record(
    *,
    participant: Participant,
    occurred_on: datetime.date,
    category: str,
    description: str,
    severity: str,
    reported_to_court: bool,
    actor: User,
) -> Incident:
    if not access.can_change(actor, participant, access.DataClass.ALL_INCIDENTS):
        raise ValidationError("You may not record incidents for this participant.")
    errors = {}
    if occurred_on > participant_today(participant):
        errors["occurred_on"] = "The date cannot be in the future."
    if not description.strip():
        errors["description"] = "Describe what happened."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        incident = Incident.objects.create(
            participant=participant,
            occurred_on=occurred_on,
            category=category,
            description=description.strip(),
            severity=severity,
            reported_to_court=reported_to_court,
            recorded_by=actor,
        )
        if category == IncidentCategory.NEW_ARREST and reported_to_court:
            # Meant for the court (court.selectors.COURT_ALERT_KINDS): the judge's home lists it.
            alert_raise(
                participant=participant,
                kind=NEW_ARREST_ALERT,
                source_key=f"incident:{incident.pk}",
                data_class=access.DataClass.COURT_INCIDENTS,
                message=f"New arrest on {occurred_on:%Y-%m-%d}, reported to the court.",
                severity=AlertSeverity.URGENT,
            )
        return incident


def sealing_order_record(
    *,
    participant: Participant,
    order_date: datetime.date | None,
    court: str,
    case_number: str,
    scope: str,
    excludes_from_reports: bool,
    actor: User,
) -> SealingOrder:
    """Record a court order sealing the participant's record: from this commit on only
    coordinators open it (clients.access reads Participant.is_sealed in its reach joins), with
    the order shown, and reports leave it out when the order says so. Only a coordinator of a
    program the participant is enrolled in records one."""
    if not any(
        access.coordinates(actor, program)
        for program in Program.objects.filter(enrollments__participant=participant)
    ):
        raise ValidationError("Only a coordinator of the participant's program records a sealing.")
    errors = {}
    if order_date is None:
        errors["order_date"] = "Enter the date of the order."
    elif order_date > participant_today(participant):
        errors["order_date"] = "The order date cannot be in the future."
    if not court.strip():
        errors["court"] = "Name the court that made the order."
    if not scope.strip():
        errors["scope"] = "Say what the order seals, as it says."
    if errors or order_date is None:  # (a missing date is among the errors)
        raise ValidationError(errors)
    with audited_write(actor):
        participant = lock(participant)
        order = SealingOrder.objects.create(
            participant=participant,
            order_date=order_date,
            court=court.strip(),
            case_number=case_number.strip(),
            scope=scope.strip(),
            excludes_from_reports=excludes_from_reports,
            recorded_by=actor,
        )
        if not participant.is_sealed:
            participant.is_sealed = True
            participant.save(update_fields=["is_sealed"])
        return order


# ---------------------------------------------------------------------------------------------
# The access log (docs/decisions/0018)

# Months of partitions kept ready beyond the current one (the daily beat task).
ACCESS_LOG_MONTHS_AHEAD = 3


def access_log_write(
    *,
    user: User,
    shown: dict[int, dict[str, int | None]],
    route: str,
    path: str,
    ip: str | None,
    at: datetime.datetime,
) -> int:
    """One row per participant a request showed `user` (clients.access.shown: participant id →
    data class → the consent a Part 2 class was disclosed under, or None), in one INSERT; the
    disclosures are the classes with a consent. Never in a transaction of its own: the single
    statement is atomic, and an error reaches the caller, which fails the request closed."""
    rows = [
        AccessLog(
            at=at,
            user_id=user.pk,
            participant_id=participant_id,
            route=route[:100],
            path=path[:300],
            data_classes=data_class_bits(classes),
            disclosures={
                str(data_class): consent
                for data_class, consent in sorted(classes.items())
                if consent is not None
            }
            or None,
            ip=ip,
        )
        for participant_id, classes in sorted(shown.items())
    ]
    AccessLog.objects.bulk_create(rows)
    return len(rows)


def access_log_partitions_add(*, ahead: int = ACCESS_LOG_MONTHS_AHEAD) -> int:
    """Makes the access log's monthly partitions of this month (UTC) and the `ahead` next ones
    that are missing; how many it made (clients/migrations/0011_access_log)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clients_accesslog_add_partitions(%s)", [ahead])
        return cursor.fetchone()[0]
