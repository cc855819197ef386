"""The participant's record: the person, their enrollments (episodes in a program), the team,
charges, documents and alerts, consents and sealing orders, and the guardian permission tables
access is decided from."""

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from drugcourt.models import NoteFormat, Organization, Program
from drugcourt.roles import Role

# Roles that reach participants one by one, through rows on Participant.
PARTICIPANT_ROLES = (
    Role.CASE_MANAGER,
    Role.PROBATION_OFFICER,
    Role.DEFENCE_ATTORNEY,
    Role.TREATMENT_PROVIDER,
)


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown / not disclosed"


class Race(models.TextChoices):
    AMERICAN_INDIAN = "american_indian", "American Indian or Alaska Native"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black or African American"
    PACIFIC_ISLANDER = "pacific_islander", "Native Hawaiian or Other Pacific Islander"
    WHITE = "white", "White"
    OTHER = "other", "Other"
    DECLINED = "declined", "Declined to answer"


class Ethnicity(models.TextChoices):
    HISPANIC = "hispanic", "Hispanic or Latino"
    NOT_HISPANIC = "not_hispanic", "Not Hispanic or Latino"
    DECLINED = "declined", "Declined to answer"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Participant(models.Model):
    """The person. Program episodes are `Enrollment`s; a readmission is a new enrollment."""

    legal_first_name = models.CharField(max_length=100)
    legal_middle_name = models.CharField(max_length=100, blank=True)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    aliases = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    gender_identity = models.CharField(max_length=100, blank=True)
    races = ArrayField(
        models.CharField(max_length=32, choices=Race.choices), default=list, blank=True
    )
    ethnicity = models.CharField(max_length=16, choices=Ethnicity.choices, blank=True)
    is_veteran = models.BooleanField(null=True, blank=True)
    primary_language = models.CharField(max_length=60, default="English")
    needs_interpreter = models.BooleanField(default=False)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    photo = models.ForeignKey(
        "Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set with the first SealingOrder, in its transaction: access reads it in the reach joins.
    is_sealed = models.BooleanField(default=False)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(
                Lower("legal_last_name"), Lower("legal_first_name"), name="participant_name_idx"
            ),
            models.Index(fields=["date_of_birth"], name="participant_dob_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(legal_first_name="") & ~models.Q(legal_last_name=""),
                name="participant_names_present",
            ),
        ]
        # Held per user (team assignments) or per provider group (service episodes); see
        # clients.access for what reaching a participant through each role means.
        permissions = [
            (f"reach_as_{role.value}", f"Reach the participant as {role.label}")
            for role in PARTICIPANT_ROLES
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        middle = f" {self.legal_middle_name}" if self.legal_middle_name else ""
        return f"{self.legal_first_name}{middle} {self.legal_last_name}"


class ParticipantUserObjectPermission(UserObjectPermissionBase):
    """Direct guardian rows: a staff member assigned to the participant's team."""

    content_object = models.ForeignKey(Participant, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass  # guardian's unique (user, permission, content_object) is the index reads use


class ParticipantGroupObjectPermission(GroupObjectPermissionBase):
    """Direct guardian rows for groups: a provider organization with an active service episode."""

    content_object = models.ForeignKey(Participant, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass  # guardian's unique (group, permission, content_object) is the index reads use


class IdentifierKind(models.TextChoices):
    STATE_ID = "state_id", "State ID"
    BOOKING_NUMBER = "booking_number", "Booking number"
    FBI_NUMBER = "fbi_number", "FBI number"
    DRIVER_LICENSE = "driver_license", "Driver's license"
    OTHER = "other", "Other"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ParticipantIdentifier(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="identifiers"
    )
    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint("kind", Lower("value"), name="identifier_unique_ci"),
        ]
        indexes = [models.Index(Lower("value"), name="identifier_value_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class EmergencyContact(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="emergency_contacts"
    )
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})" if self.relationship else self.name


class EntryType(models.TextChoices):
    PRE_PLEA = "pre_plea", "Pre-plea / diversion"
    POST_PLEA = "post_plea", "Post-plea / probation"


class EnrollmentStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    SCREENING = "screening", "Screening"
    DECLINED = "declined", "Declined"
    ACTIVE = "active", "Active"
    ABSCONDED = "absconded", "Absconded"
    GRADUATED = "graduated", "Graduated"
    TERMINATED = "terminated", "Terminated"
    WITHDRAWN = "withdrawn", "Withdrawn"
    NEUTRAL_DISCHARGE = "neutral_discharge", "Neutral discharge"


CLOSED_STATUSES = frozenset(
    {
        EnrollmentStatus.DECLINED,
        EnrollmentStatus.GRADUATED,
        EnrollmentStatus.TERMINATED,
        EnrollmentStatus.WITHDRAWN,
        EnrollmentStatus.NEUTRAL_DISCHARGE,
    }
)
OPEN_STATUSES = frozenset(EnrollmentStatus) - CLOSED_STATUSES


class ReferralSource(models.TextChoices):
    DEFENCE = "defence", "Defence attorney"
    PROSECUTOR = "prosecutor", "Prosecutor"
    JUDGE = "judge", "Judge"
    PROBATION = "probation", "Probation"
    JAIL = "jail", "Jail / pretrial services"
    TREATMENT = "treatment", "Treatment provider"
    SELF = "self", "Self / family"
    OTHER = "other", "Other"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Enrollment(models.Model):
    """One episode of a participant in a program, from referral to exit."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="enrollments"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    case_number = models.CharField(max_length=60)
    status = models.CharField(
        max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.REFERRED
    )
    entry_type = models.CharField(max_length=12, choices=EntryType.choices, blank=True)
    phase = models.PositiveSmallIntegerField(null=True, blank=True)
    track = models.CharField(max_length=60, blank=True)
    referral_date = models.DateField()
    referral_source = models.CharField(max_length=20, choices=ReferralSource.choices)
    referring_agency = models.CharField(max_length=200, blank=True)
    entry_date = models.DateField(null=True, blank=True)
    exit_date = models.DateField(null=True, blank=True)
    exit_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-referral_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                "program", Lower("case_number"), name="enrollment_case_number_unique"
            ),
            models.UniqueConstraint(
                fields=["participant", "program"],
                condition=models.Q(status__in=sorted(OPEN_STATUSES)),
                name="enrollment_one_open_per_program",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=EnrollmentStatus.values),
                name="enrollment_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="enrollment_program_status_idx"),
            # The program branch of access.participants_visible_to (bench: judge count 14→10 ms).
            models.Index(fields=["program", "participant"], name="enrollment_program_reach_idx"),
            models.Index(fields=["participant", "-referral_date"], name="enrollment_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.case_number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EnrollmentStatusChange(models.Model):
    """The lifecycle trail: who moved an enrollment from which status to which, when and why."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=EnrollmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    effective_date = models.DateField()
    reason = models.CharField(max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Charge(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="charges")
    statute = models.CharField(max_length=100)
    description = models.CharField(max_length=300)
    offense_date = models.DateField(null=True, blank=True)
    arrest_date = models.DateField(null=True, blank=True)
    court_case_number = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["enrollment", "id"]

    def __str__(self) -> str:
        return f"{self.statute} {self.description}"


class TeamRole(models.TextChoices):
    """Roles held per participant through an assignment (program-wide roles need none)."""

    CASE_MANAGER = Role.CASE_MANAGER.value, Role.CASE_MANAGER.label
    PROBATION_OFFICER = Role.PROBATION_OFFICER.value, Role.PROBATION_OFFICER.label
    DEFENCE_ATTORNEY = Role.DEFENCE_ATTORNEY.value, Role.DEFENCE_ATTORNEY.label


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CaseAssignment(models.Model):
    """A staff member on a participant's team. Source of truth for per-user access rows."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    team_role = models.CharField(max_length=32, choices=TeamRole.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["team_role", "started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "user", "team_role"],
                condition=models.Q(ended_on__isnull=True),
                name="assignment_one_active_per_role",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "participant"],
                condition=models.Q(ended_on__isnull=True),
                name="assignment_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_team_role_display()} for {self.participant}"


class DocumentKind(models.TextChoices):
    PHOTO = "photo", "Photo"
    COURT_ORDER = "court_order", "Court order"
    AGREEMENT = "agreement", "Participation agreement"
    CONSENT = "consent", "Consent form"
    RECORD = "record", "Record from another agency"
    OTHER = "other", "Other"


def document_path(document: "Document", filename: str) -> str:
    # The stored name carries no part of the original file name (it may hold PHI).
    return f"participants/{document.participant_id}/{document.token}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Document(models.Model):
    """An uploaded file. Stored outside any public URL; served only through access checks."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to=document_path, max_length=300)
    token = models.CharField(max_length=64, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.title


class AlertSeverity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    URGENT = "urgent", "Urgent"


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Alert(models.Model):
    """Something the team must look at. Raised only through `alert_raise` and
    `alerts_raise` (set-based); (participant, kind, source_key) names the event, so raising the
    same event twice raises it once."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=60)
    source_key = models.CharField(max_length=120)
    # The data class (clients.access.DataClass) the alert speaks of: only those who may see it
    # see the alert.
    data_class = models.CharField(max_length=32)
    severity = models.CharField(
        max_length=10, choices=AlertSeverity.choices, default=AlertSeverity.WARNING
    )
    message = models.CharField(max_length=300)
    state = models.CharField(max_length=14, choices=AlertState.choices, default=AlertState.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=models.functions.Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=models.functions.Now())
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "kind", "source_key"], name="alert_one_per_event"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=AlertState.RESOLVED) | ~models.Q(resolution_note=""),
                name="alert_resolved_has_note",
            ),
        ]
        indexes = [
            models.Index(
                fields=["participant"],
                condition=models.Q(state="open"),
                name="alert_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


# ---------------------------------------------------------------------------------------------
# The case manager's daily record: contacts (case notes), addenda, follow-ups, appointments,
# life domains and incidents.


class CaseManagementFunction(models.TextChoices):
    """The five functions every contact is tagged with: the program's units of service."""

    ASSESSMENT = "assessment", "Assessment"
    PLANNING = "planning", "Planning"
    LINKING = "linking", "Linking"
    MONITORING = "monitoring", "Monitoring"
    ADVOCACY = "advocacy", "Advocacy"


class ContactKind(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    HOME_VISIT = "home_visit", "Home visit"
    FIELD_VISIT = "field_visit", "Field visit"
    COLLATERAL = "collateral", "Collateral (family, employer, provider)"
    COURT = "court", "Court"
    WRITTEN = "written", "Text / e-mail"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Contact(models.Model):
    """A contact and its case note. Never deleted: a note on the wrong participant is marked
    entered in error (hidden from summaries, kept in the history). Editable by its author for
    24 hours (see services.NOTE_EDIT_WINDOW); `version` refuses a concurrent second save."""

    # Indexed by contact_timeline_idx / contact_author_idx, which lead with these columns.
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="contacts", db_index=False
    )
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    people_present = models.CharField(max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField()
    location = models.CharField(max_length=200, blank=True)
    primary_function = models.CharField(max_length=20, choices=CaseManagementFunction.choices)
    other_functions = ArrayField(
        models.CharField(max_length=20, choices=CaseManagementFunction.choices),
        default=list,
        blank=True,
    )
    note_format = models.CharField(max_length=10, choices=NoteFormat.choices)
    narrative = models.TextField(blank=True)
    dap_data = models.TextField(blank=True)
    dap_assessment = models.TextField(blank=True)
    dap_plan = models.TextField(blank=True)
    shared_with_supervision = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["participant", "-occurred_at"], name="contact_timeline_idx"),
            models.Index(fields=["author", "-occurred_at"], name="contact_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__lte=24 * 60), name="contact_duration_max_day"
            ),
            models.CheckConstraint(
                condition=~models.Q(entered_in_error=True, error_reason=""),
                name="contact_error_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} contact {self.occurred_at:%Y-%m-%d}"

    @property
    def functions(self) -> list[str]:
        return [self.primary_function, *self.other_functions]


class Addendum(models.Model):
    """Text added to a locked note: the note itself is never rewritten after 24 hours."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Addendum by {self.author} {self.created_at:%Y-%m-%d}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class FollowUp(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="follow_ups"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    description = models.CharField(max_length=300)
    due_on = models.DateField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["assigned_to", "due_on"],
                condition=models.Q(completed_at__isnull=True),
                name="follow_up_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} (due {self.due_on:%Y-%m-%d})"


class AppointmentKind(models.TextChoices):
    CASE_MANAGER = "case_manager", "Case manager meeting"
    TREATMENT = "treatment", "Treatment session"
    COURT = "court", "Court hearing"
    COMMUNITY_SERVICE = "community_service", "Community service"
    COLLECTION = "collection", "Collection visit"
    OTHER = "other", "Other"


class AppointmentOutcome(models.TextChoices):
    ATTENDED = "attended", "Attended"
    LATE = "late", "Late"
    EXCUSED = "excused", "Excused"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled by staff"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Appointment(models.Model):
    """Any scheduled event of the participant, with its actual outcome once it has happened, so
    that a missed event is always recorded (monitoring sweeps flag those left without one)."""

    # Indexed by appointment_calendar_idx, which leads with it.
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    location = models.CharField(max_length=200, blank=True)
    with_whom = models.CharField(max_length=200, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text="The staff member the participant meets, for their calendar.",
    )
    # Whose service it is: the treatment agency that scheduled it (a provider, or a referral's
    # intake). Empty for what belongs to no agency: court hearings, case manager meetings.
    # Providers change only their own agency's treatment appointments (clients.access).
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    # The program whose court hearing it is (court hearings only): a program's court roles see
    # that program's hearings, not those of the participant's enrollment in another program.
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=AppointmentOutcome.choices, blank=True)
    outcome_reason = models.CharField(max_length=300, blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["participant", "scheduled_at"], name="appointment_calendar_idx"),
            models.Index(fields=["staff", "scheduled_at"], name="appointment_staff_idx"),
            models.Index(
                fields=["scheduled_at"],
                condition=models.Q(outcome=""),
                name="appointment_no_outcome_idx",
            ),
            # The missed-appointment sweep (compliance.sweeps).
            models.Index(
                fields=["scheduled_at"],
                condition=models.Q(outcome="missed"),
                name="appointment_missed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome="excused", outcome_reason=""),
                name="appointment_excused_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scheduled_at:%Y-%m-%d %H:%M}"


class LifeDomain(models.TextChoices):
    EMPLOYMENT = "employment", "Employment"
    EDUCATION = "education", "Education"
    HOUSING = "housing", "Housing"
    TRANSPORTATION = "transportation", "Transportation"


# The statuses each life domain may take (services check them; the form offers them).
LIFE_DOMAIN_STATUSES: dict[str, tuple[tuple[str, str], ...]] = {
    LifeDomain.EMPLOYMENT: (
        ("full_time", "Employed full time"),
        ("part_time", "Employed part time"),
        ("unemployed_seeking", "Unemployed, looking for work"),
        ("unemployed_not_seeking", "Unemployed, not looking"),
        ("unable", "Unable to work"),
    ),
    LifeDomain.EDUCATION: (
        ("enrolled", "Enrolled"),
        ("ged_program", "In a GED / high-school equivalency program"),
        ("completed", "Completed a program"),
        ("not_enrolled", "Not enrolled"),
    ),
    LifeDomain.HOUSING: (
        ("stable", "Stable housing"),
        ("temporary", "Temporary (staying with others)"),
        ("sober_living", "Sober living / recovery residence"),
        ("shelter", "Shelter"),
        ("homeless", "Homeless"),
    ),
    LifeDomain.TRANSPORTATION: (
        ("own_vehicle", "Own vehicle, valid license"),
        ("public_transit", "Public transit"),
        ("rides", "Depends on rides"),
        ("none", "No reliable transportation"),
    ),
}


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class LifeDomainRecord(models.Model):
    """The participant's situation in one domain from `effective_from` until the next record:
    the history shows the changes, and phase rules can ask what held on a date."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="life_domains"
    )
    domain = models.CharField(max_length=20, choices=LifeDomain.choices)
    status = models.CharField(max_length=30)
    detail = models.CharField(
        max_length=200, blank=True, help_text="Employer, school or address, as fits."
    )
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_from = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain", "-effective_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "domain", "effective_from"],
                name="life_domain_one_per_date",
            ),
            models.CheckConstraint(
                condition=models.Q(hours_per_week__lte=168), name="life_domain_hours_in_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_domain_display()} from {self.effective_from:%Y-%m-%d}"

    @property
    def status_label(self) -> str:
        return dict(LIFE_DOMAIN_STATUSES[self.domain]).get(self.status, self.status)


class IncidentCategory(models.TextChoices):
    NEW_ARREST = "new_arrest", "New arrest"
    NEW_CONVICTION = "new_conviction", "New conviction"
    POLICE_CONTACT = "police_contact", "Police contact"
    CURFEW_VIOLATION = "curfew_violation", "Curfew violation"
    # Of another court condition (court.models.Condition: a curfew's is a curfew violation).
    CONDITION_VIOLATION = "condition_violation", "Violation of a court condition"
    FAILURE_TO_REPORT = "failure_to_report", "Failure to report"
    THREAT_VIOLENCE = "threat_violence", "Threat / violence"
    OVERDOSE = "overdose", "Overdose"
    HOSPITALISATION = "hospitalisation", "Hospitalisation"
    OTHER = "other", "Other"


# The alert a new arrest reported to court raises, once per incident (clients.services).
NEW_ARREST_ALERT = "new_arrest"


class IncidentSeverity(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Incident(models.Model):
    """Something that happened to or by the participant. Those reported to court are in the
    court view; new arrests and convictions feed the recidivism measure."""

    # Indexed by incident_timeline_idx, which leads with it.
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    occurred_on = models.DateField()
    category = models.CharField(max_length=20, choices=IncidentCategory.choices)
    description = models.TextField()
    reported_to_court = models.BooleanField(default=False)
    severity = models.CharField(max_length=10, choices=IncidentSeverity.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["participant", "-occurred_on"], name="incident_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.occurred_on:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------
# 42 CFR Part 2: consent to disclose, and court orders sealing a record (clients.access gates
# every disclosure of Part 2 data on them: docs/decisions/0017-part2-consent.md)


class ConsentTrigger(models.TextChoices):
    """Events a consent's expiry (or, under §2.35, its irrevocability) may run until."""

    ENROLLMENT_CLOSED = "enrollment_closed", "The enrollment is closed (exit from the program)"
    FINAL_DISPOSITION = (
        "final_disposition",
        "Final disposition of the case (recorded on the consent)",
    )


# How a consent's texts name an event: "expires on 2027-01-31 or when the enrollment closes".
TRIGGER_WORDS = {
    ConsentTrigger.ENROLLMENT_CLOSED: "the enrollment closes",
    ConsentTrigger.FINAL_DISPOSITION: "the final disposition of the case",
}


class SignatureMethod(models.TextChoices):
    ELECTRONIC = "electronic", "Electronic acknowledgement recorded here"
    SIGNED_FORM = "signed_form", "Signed form uploaded"


class ConsentState(models.TextChoices):
    IN_FORCE = "in_force", "In force"
    NOT_YET = "not_yet", "Not yet in force"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


# §2.31(a)(4): the right to revoke, how, and the reliance exception; the form prefills it.
REVOCATION_TERMS = (
    "I understand that I may revoke this consent at any time, in writing, by giving or sending "
    "a signed revocation to my case manager or the program coordinator, except to the extent "
    "that action has already been taken in reliance on it."
)
CRIMINAL_JUSTICE_REVOCATION_TERMS = (
    "I understand that because I was referred by the criminal justice system, this consent "
    "cannot be revoked until the time or event stated below (42 CFR §2.35); after that I may "
    "revoke it in writing, except to the extent that action has already been taken in reliance "
    "on it."
)


def _when(on: datetime.date | None, event: str) -> list[str]:
    """A date and/or an event (a ConsentTrigger) in words, for a consent's texts."""
    parts = [f"{on:%Y-%m-%d}"] if on is not None else []
    if event:
        parts.append(TRIGGER_WORDS[ConsentTrigger(event)])
    return parts


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Consent(models.Model):
    """A participant's written consent to disclose Part 2 information, with every element of
    42 CFR §2.31(a). It covers its data classes for its recipients from the day signed until it
    expires (a date, or an event: evaluated at read time) or is revoked (at once). A criminal-
    justice consent (§2.35) may be irrevocable until a date or an event."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="consents")
    # The enrollment (program episode) it was signed for: its end is an expiry event.
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="consents")
    # (1) the patient's name, as signed.
    participant_name = models.CharField(max_length=200)
    # (2) who may make the disclosure (name or class).
    disclosing_party = models.CharField(max_length=300)
    # (3) the information: data classes (clients.access.DataClass values) and their description,
    # which must name the substance use disorder information explicitly.
    data_classes = ArrayField(models.CharField(max_length=32))
    information_description = models.TextField()
    # (4) the recipients are ConsentRecipient rows; (5) the purpose.
    purpose = models.TextField()
    # (6) the right to revoke and how, with the reliance exception.
    revocation_terms = models.TextField()
    # (7) expiry: a date, an event, or both (whichever comes first).
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=20, choices=ConsentTrigger.choices, blank=True)
    # §2.35: a consent to the criminal justice system that referred the participant, which may
    # be irrevocable until a date and/or an event.
    criminal_justice = models.BooleanField(default=False)
    irrevocable_until = models.DateField(null=True, blank=True)
    irrevocable_until_event = models.CharField(
        max_length=20, choices=ConsentTrigger.choices, blank=True
    )
    # The recorded final disposition (a ConsentTrigger.FINAL_DISPOSITION happened on this day).
    final_disposition_on = models.DateField(null=True, blank=True)
    # (8) the signature and (9) the date signed.
    signature_method = models.CharField(max_length=20, choices=SignatureMethod.choices)
    signed_by_name = models.CharField(max_length=200)
    signed_form = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # Revocation: effective at once for every later read.
    revoked_on = models.DateField(null=True, blank=True)
    revocation_received_how = models.CharField(max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["participant", "-signed_on"], name="consent_timeline_idx"),
            # The daily expiry sweep (clients.sweeps) reads the unrevoked consents with a date.
            models.Index(
                fields=["expires_on"],
                condition=models.Q(revoked_on__isnull=True, expires_on__isnull=False),
                name="consent_expiring_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=False) | ~models.Q(expiry_event=""),
                name="consent_expiry_present",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("signed_on")),
                name="consent_expires_after_signed",
            ),
            models.CheckConstraint(
                condition=models.Q(criminal_justice=True)
                | (models.Q(irrevocable_until__isnull=True) & models.Q(irrevocable_until_event="")),
                name="consent_irrevocable_only_criminal_justice",
            ),
            models.CheckConstraint(
                condition=~models.Q(signature_method=SignatureMethod.SIGNED_FORM)
                | models.Q(signed_form__isnull=False),
                name="consent_signed_form_present",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_on__isnull=True) | ~models.Q(revocation_received_how=""),
                name="consent_revocation_how_present",
            ),
            # Every element of §2.31(a) is present: a consent missing one is no consent.
            models.CheckConstraint(
                condition=~models.Q(participant_name="")
                & ~models.Q(disclosing_party="")
                & models.Q(data_classes__len__gt=0)
                & ~models.Q(information_description="")
                & ~models.Q(purpose="")
                & ~models.Q(revocation_terms="")
                & ~models.Q(signed_by_name=""),
                name="consent_elements_present",
            ),
            models.CheckConstraint(
                condition=models.Q(irrevocable_until__isnull=True)
                | models.Q(irrevocable_until__gte=models.F("signed_on")),
                name="consent_irrevocable_after_signed",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_on__isnull=True)
                | models.Q(revoked_on__gte=models.F("signed_on")),
                name="consent_revoked_after_signed",
            ),
            models.CheckConstraint(
                condition=models.Q(final_disposition_on__isnull=True)
                | models.Q(final_disposition_on__gte=models.F("signed_on")),
                name="consent_disposition_after_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent signed {self.signed_on:%Y-%m-%d}"

    def happened(self, event: str, today: datetime.date) -> bool:
        """Whether `event` (a ConsentTrigger) has happened by `today` (needs the enrollment)."""
        if event == ConsentTrigger.ENROLLMENT_CLOSED:
            return self.enrollment.status in CLOSED_STATUSES
        if event == ConsentTrigger.FINAL_DISPOSITION:
            return self.final_disposition_on is not None and self.final_disposition_on <= today
        return False

    def is_expired(self, today: datetime.date) -> bool:
        return (self.expires_on is not None and today > self.expires_on) or (
            bool(self.expiry_event) and self.happened(self.expiry_event, today)
        )

    def is_active(self, today: datetime.date) -> bool:
        """In force on `today`: signed, not revoked, not expired."""
        return self.signed_on <= today and self.revoked_on is None and not self.is_expired(today)

    def state(self, today: datetime.date) -> str:
        """Its state on `today` (a ConsentState), revocation first: what the consent pages say."""
        if self.revoked_on is not None:
            return ConsentState.REVOKED
        if self.is_expired(today):
            return ConsentState.EXPIRED
        if today < self.signed_on:
            return ConsentState.NOT_YET
        return ConsentState.IN_FORCE

    def expiry_text(self) -> str:
        """When it expires, in words: a date, an event, or "<date> or <event>, whichever comes
        first"."""
        parts = _when(self.expires_on, self.expiry_event)
        return " or ".join(parts) + (", whichever comes first" if len(parts) > 1 else "")

    def irrevocability_text(self) -> str:
        """Until when a §2.35 consent is irrevocable, in words (both must have passed)."""
        return " and ".join(_when(self.irrevocable_until, self.irrevocable_until_event))

    def is_irrevocable(self, today: datetime.date) -> bool:
        """A §2.35 consent before its stated time or event: it cannot be revoked yet."""
        if not self.criminal_justice:
            return False
        before_date = self.irrevocable_until is not None and today < self.irrevocable_until
        before_event = bool(self.irrevocable_until_event) and not self.happened(
            self.irrevocable_until_event, today
        )
        return before_date or before_event


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class ConsentRecipient(models.Model):
    """One recipient of a consent: a program's role (e.g. the Adult Drug Court's judges), an
    organization, or a named staff member."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="recipients")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(program__isnull=False, organization__isnull=True, user__isnull=True)
                    & ~models.Q(role="")
                )
                | models.Q(
                    program__isnull=True, role="", organization__isnull=False, user__isnull=True
                )
                | models.Q(
                    program__isnull=True, role="", organization__isnull=True, user__isnull=False
                ),
                name="consent_recipient_one_kind",
            ),
        ]

    def __str__(self) -> str:
        if self.program_id:
            return f"{self.program}: {Role(self.role).label}"
        return str(self.organization or self.user)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class SealingOrder(models.Model):
    """A court order sealing the participant's record: from then on only coordinators open it
    (with the order shown), and reports and extracts leave it out where the order says so."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="sealing_orders"
    )
    order_date = models.DateField()
    court = models.CharField(max_length=200)
    case_number = models.CharField(max_length=100, blank=True)
    scope = models.TextField(help_text="What the order seals, as it says.")
    excludes_from_reports = models.BooleanField(
        default=True, help_text="The order also removes the record from reports and extracts."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-order_date", "-id"]

    def __str__(self) -> str:
        return f"Sealing order of {self.court}, {self.order_date:%Y-%m-%d}"


# The bit of each data class (clients.access.DataClass values) in AccessLog.data_classes, fixed
# for good: the rows keep them. A new class takes the next free bit (at most 63);
# tests/clients/test_access_log.py fails for a class without one.
ACCESS_LOG_CLASS_BITS = {
    "identity": 0,
    "contact_details": 1,
    "enrollment": 2,
    "case_notes": 3,
    "supervision_contacts": 4,
    "assessment_summary": 5,
    "assessment_detail": 6,
    "plan_summary": 7,
    "treatment_detail": 8,
    "progress_reports": 9,
    "attendance": 10,
    "drug_tests": 11,
    "court": 12,
    "court_incidents": 13,
    "all_incidents": 14,
    "documents": 15,
    "consents": 16,
    "supervision_level": 17,
    "staffing": 18,
    "conditions": 19,
    "ledger": 20,
}


def data_class_bits(values) -> int:
    return sum(1 << ACCESS_LOG_CLASS_BITS[str(value)] for value in set(values))


def data_classes_of(bits: int) -> list[str]:
    """The data class values of a bit set, in bit order."""
    return [value for value, bit in ACCESS_LOG_CLASS_BITS.items() if bits & (1 << bit)]


class AccessLog(models.Model):
    """One participant's record shown to one user by one request (issue 19, "Every read is
    logged"; docs/decisions/0018): which data classes it showed and, for Part 2 classes shown
    outside the treatment program, the consent each was disclosed under (the accounting of
    disclosures is the rows that have any). Written by clients.middleware.AccessLogMiddleware
    in one INSERT per request, before the response leaves.

    The table is made by its migration, not by Django: partitioned by month on `at` (primary
    key (at, id)), append-only (drugcourt.append_only), and without foreign keys, so a log row
    outlives anything it names. The foreign keys here are for reading only."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # The URL pattern's name (`clients:participant_detail`) and the path.
    route = models.CharField(max_length=100)
    path = models.CharField(max_length=300)
    # The data classes shown, one bit each (ACCESS_LOG_CLASS_BITS: 8 bytes where the names took
    # about 300, bench/access_log.py), and {data class: consent id} of the disclosures.
    data_classes = models.BigIntegerField()
    disclosures = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = "clients_accesslog"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.participant_id} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def data_class_values(self) -> list[str]:
        return data_classes_of(self.data_classes)
