"""The court: sessions and their dockets, hearing outcomes, responses and what they set in
motion (testing orders, custody, community service), warrants and the decisions a hearing
takes (phase changes, graduation and termination).

Every row here is written by court.services only. A docket entry owns the participant's
`Appointment(kind=court)`, so calendars and attendance keep one record of each hearing; the
generic appointment services refuse court hearings.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from clients.models import (
    NEW_ARREST_ALERT,
    Appointment,
    Enrollment,
    EnrollmentStatus,
    Incident,
    Participant,
)
from compliance.models import BlackoutPeriod, TestingOrder
from drugcourt.models import MONEY_DIGITS, MONEY_PLACES, Behaviour, Program, ResponseOption
from drugcourt.roles import Role


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CourtSession(models.Model):
    """One sitting of a program's court on a day in a courtroom, with its judge and the clerks
    who act for that judge on it. `held_on` and `starts_at` are in the program's time zone."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="court_sessions")
    held_on = models.DateField()
    start_time = models.TimeField(default=datetime.time(9, 0))
    courtroom = models.CharField(max_length=60)
    # Sessions migrated from appointments made before the court app may have no judge yet.
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="court_sessions_judged",
    )
    clerks = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="court_sessions_clerked"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "held_on", "start_time", "courtroom"]
        constraints = [
            models.UniqueConstraint(
                "program", "held_on", Lower("courtroom"), name="court_session_one_per_courtroom_day"
            ),
        ]
        indexes = [models.Index(fields=["program", "held_on"], name="court_session_day_idx")]

    def __str__(self) -> str:
        return f"{self.program} {self.held_on:%Y-%m-%d} {self.courtroom}"

    @property
    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.held_on, self.start_time, tzinfo=self.program.zone)


class Appearance(models.TextChoices):
    """What happened to a docket entry; the hearing service mirrors it on the appointment
    (APPEARANCE_OUTCOMES)."""

    APPEARED = "appeared", "Appeared"
    FAILED_TO_APPEAR = "failed_to_appear", "Failed to appear"
    EXCUSED = "excused", "Excused from appearing"
    REMOVED = "removed", "Taken off the docket before the hearing"


# The appointment outcome each appearance writes (clients.models.AppointmentOutcome values).
APPEARANCE_OUTCOMES = {
    Appearance.APPEARED: "attended",
    Appearance.FAILED_TO_APPEAR: "missed",
    Appearance.EXCUSED: "excused",
    Appearance.REMOVED: "cancelled",
}
# ... and the reason it gives the appointment: the court's own words stay on the entry (court
# data), since whoever sees attendance (a treating provider) reads the appointment's reason.
APPEARANCE_OUTCOME_REASONS = {
    Appearance.EXCUSED: "Excused by the court",
    Appearance.REMOVED: "Taken off the docket before the hearing",
}


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class DocketEntry(models.Model):
    """A participant on a session's docket: their hearing. The outcome (appearance, next
    hearing date) is recorded once, by the session's judge or one of its clerks."""

    session = models.ForeignKey(CourtSession, on_delete=models.PROTECT, related_name="entries")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="docket_entries", db_index=False
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="docket_entry"
    )
    appearance = models.CharField(max_length=20, choices=Appearance.choices, blank=True)
    appearance_note = models.CharField(max_length=300, blank=True)
    # The hearing after this one: by default the hearing frequency from the session's day
    # (court.selectors); another date needs its reason.
    next_hearing_on = models.DateField(null=True, blank=True)
    next_hearing_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "id"]
        verbose_name_plural = "docket entries"
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="docket_entry_once"),
            models.CheckConstraint(
                condition=models.Q(appearance__in=["", *Appearance.values]),
                name="docket_entry_appearance_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(appearance="excused", appearance_note=""),
                name="docket_entry_excused_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["participant", "session"], name="docket_entry_participant_idx"),
            models.Index(fields=["enrollment", "session"], name="docket_entry_enrollment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} on {self.session}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CourtResponse(models.Model):
    """An incentive, sanction or therapeutic adjustment given at a hearing, from the program's
    response catalogue in force on the session's day, with the details its effect needs."""

    entry = models.ForeignKey(DocketEntry, on_delete=models.PROTECT, related_name="responses")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="court_responses", db_index=False
    )
    option = models.ForeignKey(ResponseOption, on_delete=models.PROTECT, related_name="+")
    given_on = models.DateField()
    # Details, by the option's effect (drugcourt.models.ResponseEffect).
    tests_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    hours = models.PositiveSmallIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # The behaviour it answers (optional): the response matrix counts a participant's earlier
    # responses to a behaviour as its prior occurrences (docs/decisions/0013).
    behaviour = models.CharField(max_length=30, choices=Behaviour.choices, blank=True)
    # Jail (DOMAIN.md, the practice standard): brief, definite, with due process.
    jail_reason = models.CharField(max_length=500, blank=True)
    counsel_present = models.BooleanField(default=False)
    hearing_given = models.BooleanField(default=False)
    # What it set in motion.
    testing_order = models.OneToOneField(
        TestingOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="response"
    )
    custody = models.OneToOneField(
        BlackoutPeriod, on_delete=models.PROTECT, null=True, blank=True, related_name="response"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry", "id"]
        indexes = [
            models.Index(fields=["participant", "given_on"], name="court_response_participant_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days__isnull=True)
                | models.Q(days__lte=6)
                | (~models.Q(jail_reason="") & models.Q(counsel_present=True, hearing_given=True)),
                name="court_response_long_jail_due_process",
            ),
            models.CheckConstraint(
                condition=models.Q(behaviour__in=["", *Behaviour.values]),
                name="court_response_behaviour_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option} on {self.given_on:%Y-%m-%d}"


class ServiceClosure(models.TextChoices):
    WAIVED = "waived", "Rest of the hours waived"
    UNMET = "unmet", "Closed as not completed"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CommunityServiceObligation(models.Model):
    """Hours of community service a response ordered; the hours worked are logged against it."""

    response = models.OneToOneField(
        CourtResponse, on_delete=models.PROTECT, related_name="obligation"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="service_obligations", db_index=False
    )
    hours_ordered = models.PositiveSmallIntegerField()
    due_on = models.DateField(null=True, blank=True)
    # Closed with the enrollment before all hours were worked (court.completion): the rest
    # waived, or closed as not completed.
    closed_on = models.DateField(null=True, blank=True)
    closed_as = models.CharField(max_length=10, choices=ServiceClosure.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "-created_at"]
        indexes = [models.Index(fields=["participant"], name="service_obligation_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours_ordered__gte=1), name="service_obligation_hours_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True, closed_as="")
                | models.Q(closed_on__isnull=False, closed_as__in=ServiceClosure.values),
                name="service_obligation_closed_as",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours_ordered} hours of community service"


@pghistory.track(pghistory.InsertEvent())
class CommunityServiceHours(models.Model):
    """Hours worked towards an obligation on a day."""

    obligation = models.ForeignKey(
        CommunityServiceObligation, on_delete=models.PROTECT, related_name="hours_worked"
    )
    worked_on = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["obligation", "worked_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=24), name="service_hours_in_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.worked_on:%Y-%m-%d}"


class WarrantState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ISSUED = "issued", "Issued"
    SERVED = "served", "Served"
    RECALLED = "recalled", "Recalled"


# The states a warrant may move to from each state (court.services.warrant_*).
WARRANT_TRANSITIONS: dict[str, frozenset[str]] = {
    WarrantState.REQUESTED: frozenset({WarrantState.ISSUED, WarrantState.RECALLED}),
    WarrantState.ISSUED: frozenset({WarrantState.SERVED, WarrantState.RECALLED}),
    WarrantState.SERVED: frozenset(),
    WarrantState.RECALLED: frozenset(),
}
OPEN_WARRANT_STATES = (WarrantState.REQUESTED, WarrantState.ISSUED)


# Alerts about court rows are keyed "<source>:<pk>" (court.registrations registers the sources).
HEARING_ALERT_SOURCE = "hearing"
FAILURE_TO_APPEAR = "failure_to_appear"
WARRANT_ALERT_SOURCE = "warrant"
WARRANT_SERVED = "warrant_served"
# The alerts meant for the court (the bench's home page), not the operational ones: a failure
# to appear, a warrant served, a new arrest reported to the court (clients.services).
COURT_ALERT_KINDS = (FAILURE_TO_APPEAR, WARRANT_SERVED, NEW_ARREST_ALERT)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Warrant(models.Model):
    """A bench warrant, from its request (a failure to appear requests one for the coordinator)
    to its service or recall. While issued, the enrollment is absconded."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="warrants", db_index=False
    )
    entry = models.ForeignKey(
        DocketEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="warrants"
    )
    state = models.CharField(
        max_length=10, choices=WarrantState.choices, default=WarrantState.REQUESTED
    )
    reason = models.CharField(max_length=300)
    requested_on = models.DateField()
    issued_on = models.DateField(null=True, blank=True)
    served_on = models.DateField(null=True, blank=True)
    recalled_on = models.DateField(null=True, blank=True)
    # Why it last moved (issued, served, recalled), as given; the history keeps every one.
    change_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-requested_on", "-id"]
        indexes = [models.Index(fields=["participant", "state"], name="warrant_participant_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(state__in=["requested", "issued"]),
                name="warrant_one_open_per_enrollment",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=WarrantState.values), name="warrant_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Warrant ({self.get_state_display()}) {self.requested_on:%Y-%m-%d}"


@pghistory.track(pghistory.InsertEvent())
class PhaseChange(models.Model):
    """A move from one phase to another, decided at a hearing: an advance to the next phase
    (its requirements met, or a documented override: the reason, and the requirements unmet
    then) or a demotion to a lower phase (with the remedial plan note). The rows of an
    enrollment are its phase history."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(DocketEntry, on_delete=models.PROTECT, related_name="phase_changes")
    from_phase = models.PositiveSmallIntegerField()
    to_phase = models.PositiveSmallIntegerField()
    decided_on = models.DateField()
    reason = models.CharField(max_length=500)
    # An advance with requirements unmet: why the judge advanced anyway, and what was unmet
    # ("requirement: figure", as the checklist read on the hearing's day).
    override_reason = models.CharField(max_length=500, blank=True)
    unmet_requirements = models.JSONField(default=list, blank=True)
    # A demotion: the remedial plan the participant follows in the lower phase.
    remedial_plan_note = models.CharField(max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment", "decided_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_phase=models.F("to_phase")), name="phase_change_changes"
            ),
            models.CheckConstraint(
                condition=models.Q(to_phase__gt=models.F("from_phase"))
                | ~models.Q(remedial_plan_note=""),
                name="phase_change_demotion_has_remedial_plan",
            ),
            models.CheckConstraint(
                condition=models.Q(unmet_requirements=[]) | ~models.Q(override_reason=""),
                name="phase_change_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Phase {self.from_phase} → {self.to_phase} on {self.decided_on:%Y-%m-%d}"

    @property
    def is_demotion(self) -> bool:
        return self.to_phase < self.from_phase


class CompletionKind(models.TextChoices):
    """How an enrollment is completed: graduation and termination are the court's, decided at
    a hearing; withdrawal and neutral discharge a coordinator's, recorded with a reason."""

    GRADUATED = EnrollmentStatus.GRADUATED.value, EnrollmentStatus.GRADUATED.label
    TERMINATED = EnrollmentStatus.TERMINATED.value, EnrollmentStatus.TERMINATED.label
    WITHDRAWN = EnrollmentStatus.WITHDRAWN.value, EnrollmentStatus.WITHDRAWN.label
    NEUTRAL_DISCHARGE = (
        EnrollmentStatus.NEUTRAL_DISCHARGE.value,
        EnrollmentStatus.NEUTRAL_DISCHARGE.label,
    )


# Decided at a hearing (with its docket entry), the rest by a coordinator (without one).
HEARING_COMPLETIONS = (CompletionKind.GRADUATED, CompletionKind.TERMINATED)
COORDINATOR_COMPLETIONS = (CompletionKind.WITHDRAWN, CompletionKind.NEUTRAL_DISCHARGE)


class CaseDisposition(models.TextChoices):
    """What happens to the criminal case when the court closes the enrollment."""

    DISMISSED = "dismissed", "Charges dismissed"
    REDUCED = "reduced", "Charges reduced"
    SENTENCE_COMPLETED = "sentence_completed", "Sentence completed"
    SENTENCED = "sentenced", "Sentenced on the original charge"
    RETURNED = "returned", "Returned to the regular docket"


# The dispositions each hearing decision may have (court.completion checks them).
DISPOSITIONS_OF: dict[str, tuple[CaseDisposition, ...]] = {
    CompletionKind.GRADUATED: (
        CaseDisposition.DISMISSED,
        CaseDisposition.REDUCED,
        CaseDisposition.SENTENCE_COMPLETED,
    ),
    CompletionKind.TERMINATED: (CaseDisposition.SENTENCED, CaseDisposition.RETURNED),
}


@pghistory.track(pghistory.InsertEvent())
class CompletionDecision(models.Model):
    """How an enrollment ended and what was decided with it: graduation or termination decided
    at a hearing (`entry`), with the case's disposition (and, for graduation, the ceremony), or
    a coordinator's withdrawal or neutral discharge (no entry). `obligations` keeps the decision
    taken on each obligation still open then ({"key", "label", "decision", "decision_label"}),
    as court.completion closed them."""

    entry = models.OneToOneField(
        DocketEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="completion"
    )
    enrollment = models.OneToOneField(Enrollment, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=CompletionKind.choices)
    case_disposition = models.CharField(max_length=20, choices=CaseDisposition.choices, blank=True)
    # The disposition in the court's own words (decisions recorded before the coded
    # disposition have only these).
    disposition = models.CharField(max_length=300, blank=True)
    ceremony_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    decided_on = models.DateField()
    obligations = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=CompletionKind.values),
                name="completion_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(entry__isnull=False, kind__in=HEARING_COMPLETIONS)
                | models.Q(entry__isnull=True, case_disposition="")
                & ~models.Q(kind__in=HEARING_COMPLETIONS),
                name="completion_at_hearing_or_by_coordinator",
            ),
            models.CheckConstraint(
                condition=models.Q(ceremony_on__isnull=True) | models.Q(kind="graduated"),
                name="completion_ceremony_of_graduation",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="completion_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.decided_on:%Y-%m-%d}"


# Staffing: before the hearing the participant's team meets (staffing) and each member writes a
# short note as their role; the team records one recommendation from the response catalogue.
STAFFING_NOTE_MAX = 1000


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class StaffingNote(models.Model):
    """One team member's note on a hearing, written as their role (clients.access
    STAFFING_NOTE_ROLES); one per author per hearing, which they edit until its outcome is
    recorded. The participant's team, the session's judge and its clerks read it."""

    entry = models.ForeignKey(DocketEntry, on_delete=models.PROTECT, related_name="staffing_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    text = models.CharField(max_length=STAFFING_NOTE_MAX)
    written_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["entry", "written_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "author"], name="staffing_note_one_per_author"
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="staffing_note_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Staffing note by {self.author} ({self.get_role_display()})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class StaffingRecommendation(models.Model):
    """The team's one recommendation for a hearing: a response from the program's catalogue in
    force on the session's day, with its reason. The hearing's response form starts from it."""

    entry = models.OneToOneField(
        DocketEntry, on_delete=models.PROTECT, related_name="staffing_recommendation"
    )
    option = models.ForeignKey(ResponseOption, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="staffing_recommendation_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Recommended: {self.option}"


# --- Court orders and conditions (issue 17)


class ConditionKind(models.TextChoices):
    PARTICIPATION_AGREEMENT = "participation_agreement", "Participation agreement"
    CURFEW = "curfew", "Curfew"
    NO_CONTACT = "no_contact", "No-contact order"
    TRAVEL = "travel", "Travel restriction"
    AREA = "area", "Area restriction"
    NO_ALCOHOL = "no_alcohol", "No alcohol"
    RESIDENCE = "residence", "Residence requirement"
    OTHER = "other", "Other condition"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Condition(models.Model):
    """A court order or condition of the participant's enrollment (the participation agreement,
    a curfew, a no-contact order, ...) with its terms, in force from `starts_on` to `ends_on`
    (open-ended when empty), or until it was lifted early with a reason."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="conditions")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="conditions", db_index=False
    )
    kind = models.CharField(max_length=30, choices=ConditionKind.choices)
    terms = models.CharField(max_length=500)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    lifted_on = models.DateField(null=True, blank=True)
    lift_reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant", "-starts_on", "-id"]
        indexes = [
            models.Index(fields=["participant", "starts_on"], name="condition_participant_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ConditionKind.values), name="condition_kind_valid"
            ),
            models.CheckConstraint(condition=~models.Q(terms=""), name="condition_has_terms"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="condition_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(lifted_on__isnull=True)
                | (models.Q(lifted_on__gte=models.F("starts_on")) & ~models.Q(lift_reason="")),
                name="condition_lifted_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.terms}"

    @property
    def last_day(self) -> datetime.date | None:
        """The last day it is in force: the day before it was lifted, else its end (None: no
        end)."""
        if self.lifted_on is not None:
            return self.lifted_on - datetime.timedelta(days=1)
        return self.ends_on

    def in_force_on(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.last_day is None or day <= self.last_day)


class ConditionViolation(models.Model):
    """A violation of a condition, recorded as an incident (clients.models.Incident, which the
    court reads like every incident reported to it) and tied to the condition here."""

    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="violations")
    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="condition_violation"
    )

    def __str__(self) -> str:
        return f"Violation of {self.condition}"


# --- Fees, fines and restitution (issue 17)


class LedgerEntryKind(models.TextChoices):
    ASSESSMENT = "assessment", "Assessed"
    PAYMENT = "payment", "Paid"
    WAIVER = "waiver", "Waived or reduced"


class Charge(models.TextChoices):
    """What an assessment is: a fee of the program's schedule (drugcourt.models.Fee), or a fine
    or restitution the court ordered with its own amount."""

    FEE = "fee", "Program fee"
    FINE = "fine", "Fine"
    RESTITUTION = "restitution", "Restitution"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    MONEY_ORDER = "money_order", "Money order"
    CARD = "card", "Card"
    OTHER = "other", "Other"


@dataclass(frozen=True)
class LedgerTotals:
    """A ledger's sums, in dollars and cents (reversals count against the kind they reverse).
    A balance below zero is the participant's credit (an overpayment the court accepted)."""

    assessed: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    waived: Decimal = Decimal("0.00")
    # The court found the participant unable to pay (a waiver for indigence, not reversed).
    inability_to_pay: bool = False

    @property
    def balance(self) -> Decimal:
        return self.assessed - self.paid - self.waived

    @property
    def credit(self) -> Decimal:
        """What the participant paid beyond what they owe (zero when they owe)."""
        return max(-self.balance, Decimal("0.00"))


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class LedgerEntry(models.Model):
    """One entry of a participant's ledger in one enrollment: an amount assessed (a program fee,
    a fine or restitution), paid (with its receipt, numbered in the program) or waived or
    reduced by the court with its reason (`inability_to_pay`: the court found the participant
    unable to pay). The balance is assessed − paid − waived (court.selectors.ledger_totals).

    Append-only: a mistake is corrected by a reversal, a new entry of the same kind with the
    opposite amount that names the entry it reverses (`reverses`), with the reason. Amounts are
    Decimals in dollars and cents, never floats."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    # The enrollment's program, which numbers its receipts.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=LedgerEntryKind.choices)
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    # The day it was assessed, paid or waived (program local), or the day of a reversal.
    entry_date = models.DateField()
    # Assessments: what, and the fee's name or the order (e.g. "Restitution to the victim").
    charge = models.CharField(max_length=12, choices=Charge.choices, blank=True)
    description = models.CharField(max_length=200, blank=True)
    # Payments: how, their receipt, and whether the court accepts more than the balance (it is
    # then a credit: the balance goes below zero).
    method = models.CharField(max_length=12, choices=PaymentMethod.choices, blank=True)
    receipt_number = models.PositiveIntegerField(null=True, blank=True)
    overpayment_credit = models.BooleanField(default=False)
    # Waivers: the court's finding that the participant cannot pay (indigence).
    inability_to_pay = models.BooleanField(default=False)
    # Why the court waived or reduced, or why an entry was reversed.
    reason = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["enrollment", "-entry_date", "-id"]
        indexes = [
            models.Index(fields=["participant", "entry_date"], name="ledger_participant_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LedgerEntryKind.values), name="ledger_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, amount__gt=0)
                | models.Q(reverses__isnull=False, amount__lt=0),
                name="ledger_amount_positive_unless_reversal",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=LedgerEntryKind.ASSESSMENT, charge__in=Charge.values)
                | models.Q(~models.Q(kind=LedgerEntryKind.ASSESSMENT), charge=""),
                name="ledger_assessment_has_charge",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind=LedgerEntryKind.PAYMENT,
                    reverses__isnull=True,
                    method__in=PaymentMethod.values,
                    receipt_number__isnull=False,
                )
                | models.Q(
                    ~models.Q(kind=LedgerEntryKind.PAYMENT, reverses__isnull=True),
                    receipt_number__isnull=True,
                ),
                name="ledger_payment_has_receipt",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=LedgerEntryKind.PAYMENT)
                | models.Q(overpayment_credit=False, method=""),
                name="ledger_payment_fields",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=LedgerEntryKind.WAIVER) | models.Q(inability_to_pay=False),
                name="ledger_inability_on_waivers",
            ),
            models.CheckConstraint(
                condition=models.Q(~models.Q(kind=LedgerEntryKind.WAIVER), reverses__isnull=True)
                | ~models.Q(reason=""),
                name="ledger_waiver_or_reversal_has_reason",
            ),
            models.UniqueConstraint(
                fields=["program", "receipt_number"], name="ledger_receipt_unique_in_program"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ${self.amount}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def size(self) -> Decimal:
        """The amount without its sign (a reversal's is negative), for display."""
        return abs(self.amount)
