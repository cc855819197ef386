"""Writes for participants, enrollments, teams, documents and alerts."""

import datetime
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from drugcourt.audit import audited_write
from drugcourt.models import Program, User
from drugcourt.roles import ROLE_ORGANIZATION_KINDS, Role
from drugcourt.services import program_today

from . import access
from .models import (
    CLOSED_STATUSES,
    Alert,
    AlertSeverity,
    AlertState,
    CaseAssignment,
    Charge,
    Document,
    DocumentKind,
    EmergencyContact,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    Participant,
    ParticipantIdentifier,
    TeamRole,
)

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
    _check_person(person)
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


def _check_person(person: dict) -> None:
    errors = {}
    for name in ("legal_first_name", "legal_last_name"):
        if not (person.get(name) or "").strip():
            errors[name] = "Enter the legal name as on the court record."
    date_of_birth = person.get("date_of_birth")
    if date_of_birth and date_of_birth >= timezone.localdate():
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
    """A new episode of the participant in a program (an intake's first, or a readmission)."""
    with audited_write(actor):
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

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrollmentStatus.REFERRED: frozenset(
        {EnrollmentStatus.SCREENING, EnrollmentStatus.DECLINED, EnrollmentStatus.WITHDRAWN}
    ),
    EnrollmentStatus.SCREENING: frozenset(
        {EnrollmentStatus.ACTIVE, EnrollmentStatus.DECLINED, EnrollmentStatus.WITHDRAWN}
    ),
    EnrollmentStatus.ACTIVE: frozenset(
        {
            EnrollmentStatus.ABSCONDED,
            EnrollmentStatus.GRADUATED,
            EnrollmentStatus.TERMINATED,
            EnrollmentStatus.WITHDRAWN,
            EnrollmentStatus.NEUTRAL_DISCHARGE,
        }
    ),
    EnrollmentStatus.ABSCONDED: frozenset(
        {
            EnrollmentStatus.ACTIVE,
            EnrollmentStatus.TERMINATED,
            EnrollmentStatus.WITHDRAWN,
            EnrollmentStatus.NEUTRAL_DISCHARGE,
        }
    ),
    **{status: frozenset() for status in CLOSED_STATUSES},
}


def enrollment_change_status(
    *,
    enrollment: Enrollment,
    to_status: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
    entry_type: str = "",
) -> Enrollment:
    """The one way an enrollment's status changes: records who, when and why, refuses
    impossible transitions, and keeps entry/exit dates and the phase consistent."""
    if not access.can_change(actor, enrollment.participant, access.DataClass.ENROLLMENT):
        raise ValidationError("You may not change this enrollment.")
    from_status = enrollment.status
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise ValidationError(
            {
                "to_status": f"An enrollment that is {EnrollmentStatus(from_status).label.lower()}"
                f" cannot become {EnrollmentStatus(to_status).label.lower()}."
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why the status changes."})
    if effective_date > program_today(enrollment.program):
        raise ValidationError({"effective_date": "The date cannot be in the future."})
    with audited_write(actor):
        if to_status == EnrollmentStatus.ACTIVE and from_status == EnrollmentStatus.SCREENING:
            entry_type = entry_type or enrollment.entry_type
            if not entry_type:
                raise ValidationError(
                    {"entry_type": "Record the entry type (pre-plea or post-plea) on admission."}
                )
            enrollment.entry_type, enrollment.entry_date, enrollment.phase = (
                entry_type,
                effective_date,
                1,
            )
        if to_status in CLOSED_STATUSES:
            enrollment.exit_date, enrollment.exit_reason = effective_date, reason.strip()
        enrollment.status = to_status
        enrollment.status_changed_at = timezone.now()
        enrollment.save()
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
        if CaseAssignment.objects.filter(
            participant=participant, user=user, team_role=role, ended_on__isnull=True
        ).exists():
            raise ValidationError({"user": f"{user} is already on the team as {role.label}."})
        assignment = CaseAssignment.objects.create(
            participant=participant,
            user=user,
            team_role=role,
            started_on=started_on or timezone.localdate(),
            assigned_by=actor,
        )
        access.grant_participant(user, participant, role)
        return assignment


def assignment_end(
    *, assignment: CaseAssignment, actor: User, ended_on: datetime.date | None = None
) -> CaseAssignment:
    with audited_write(actor):
        assignment.ended_on = ended_on or timezone.localdate()
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


def alerts_raise_from_query(
    *, kind: str, data_class: access.DataClass, severity: str, rows: QuerySet
) -> int:
    """Raises many alerts in one statement: `rows` is a queryset whose `.values()` are exactly
    participant_id, source_key, message and assigned_to_id. An event already raised is skipped
    (ON CONFLICT DO NOTHING), so running a sweep twice raises nothing twice. Returns how many
    alerts are new."""
    columns = ["participant_id", "source_key", "message", "assigned_to_id"]
    select_sql, params = rows.values(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO clients_alert
                (participant_id, kind, source_key, data_class, severity, message, state,
                 assigned_to_id, resolution_note, created_at, updated_at)
            SELECT q.participant_id, %s, q.source_key, %s, %s, q.message, 'open',
                   q.assigned_to_id::bigint, '', now(), now()
            FROM ({select_sql}) AS q
            ON CONFLICT (participant_id, kind, source_key) DO NOTHING
            """,  # noqa: S608  (the inner SQL is compiled by the ORM, with parameters)
            [kind, data_class, severity, *params],
        )
        return cursor.rowcount


def alert_acknowledge(*, alert: Alert, actor: User) -> Alert:
    if alert.state != AlertState.OPEN:
        raise ValidationError("Only an open alert can be acknowledged.")
    with audited_write(actor):
        alert.state, alert.updated_by = AlertState.ACKNOWLEDGED, actor
        alert.save(update_fields=["state", "updated_by", "updated_at"])
        return alert


def alert_resolve(*, alert: Alert, note: str, actor: User) -> Alert:
    if alert.state == AlertState.RESOLVED:
        raise ValidationError("This alert is already resolved.")
    if not note.strip():
        raise ValidationError({"note": "Say how the alert was resolved."})
    with audited_write(actor):
        alert.state, alert.resolution_note, alert.updated_by = (
            AlertState.RESOLVED,
            note.strip(),
            actor,
        )
        alert.save(update_fields=["state", "resolution_note", "updated_by", "updated_at"])
        return alert
