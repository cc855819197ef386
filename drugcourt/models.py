"""Core models: staff users, organizations, programs and their effective-dated settings."""

import datetime
import zoneinfo

import pghistory
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from guardian.models import GroupObjectPermissionBase

from .phase_requirements import describe_requirement
from .roles import PROGRAM_WIDE_ROLES, OrganizationKind, Role, reaches_participants


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Organization(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OrganizationKind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganizationKind.values), name="organization_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The staff audit's record of a participant-reaching role granted (drugcourt.services).
ROLE_GRANTED_EVENT = "role.granted"
# ... of a person setting up their second factor, and of an administrator resetting it.
TWO_FACTOR_ENROLLED_EVENT = "two_factor.enrolled"
TWO_FACTOR_RESET_EVENT = "two_factor.reset"
# ... and of an administrator lifting a sign-in lockout (django-axes) before its cool-off.
SIGN_IN_UNLOCKED_EVENT = "sign_in.unlocked"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.ManualEvent(ROLE_GRANTED_EVENT),
    pghistory.ManualEvent(TWO_FACTOR_ENROLLED_EVENT),
    pghistory.ManualEvent(TWO_FACTOR_RESET_EVENT),
    pghistory.ManualEvent(SIGN_IN_UNLOCKED_EVENT),
    exclude=["password", "last_login"],
)
class User(AbstractUser):
    """A staff member. Nobody who works with participant data is a superuser."""

    email = models.EmailField("e-mail address")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices), default=list, blank=True
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
            ),
            models.CheckConstraint(
                condition=models.Q(roles__contained_by=Role.values), name="user_roles_valid"
            ),
        ]
        indexes = [models.Index(fields=["roles"], name="user_roles_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]

    @property
    def reaches_participants(self) -> bool:
        return reaches_participants(self.roles)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a known time zone; use a name like America/Chicago.",
            params={"value": value},
        )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Program(models.Model):
    """One court program (e.g. an adult drug court), with its own time zone and settings."""

    name = models.CharField(max_length=200)
    court = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="programs",
        limit_choices_to={"kind": OrganizationKind.COURT},
    )
    jurisdiction = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    members: "models.ManyToManyField[User, ProgramMembership]" = models.ManyToManyField(
        User, through="ProgramMembership", related_name="programs", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="program_name_unique_ci"),
        ]
        # Held by the per-program role groups (see drugcourt.program_groups): what reaching
        # the program's participants through each program-wide role means is decided by
        # clients.access from the role.
        permissions = [
            (f"reach_as_{role.value}", f"Reach the program's participants as {role.label}")
            for role in PROGRAM_WIDE_ROLES
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ProgramGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK guardian rows for programs (indexed joins instead of generic object ids)."""

    content_object = models.ForeignKey(Program, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class ProgramMembership(models.Model):
    """A staff member works in a program. Source of truth for program-wide access."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="program_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.program}"


def default_legal_criteria() -> list[str]:
    return [
        "The current charge is eligible under the program's policy",
        "No disqualifying violent offense",
        "Resides in the jurisdiction",
    ]


def default_risk_need() -> dict:
    """Risk and need items (answered yes/no), the counts from which each is high, and what each
    quadrant recommends. Program-configured: the licensed instruments (RANT) are not built in."""
    return {
        "risk_items": [
            "Under 25 at the first arrest",
            "Prior felony conviction",
            "Prior failure in treatment or supervision",
            "Began substance use before age 14",
            "No stable residence",
        ],
        "need_items": [
            "Severe substance use disorder",
            "History of withdrawal or chronic heavy use",
            "Co-occurring mental health symptoms",
            "Prior treatment without lasting recovery",
        ],
        "risk_high_at": 3,
        "need_high_at": 2,
        "recommendations": {
            "high_high": {
                "track": "Standard drug court",
                "court_every_weeks": 2,
                "tests_per_week": 3,
                "contacts_per_week": 2,
            },
            "high_low": {
                "track": "Accountability (supervision, prosocial services)",
                "court_every_weeks": 2,
                "tests_per_week": 3,
                "contacts_per_week": 1,
            },
            "low_high": {
                "track": "Treatment (less court, more treatment)",
                "court_every_weeks": 4,
                "tests_per_week": 2,
                "contacts_per_week": 1,
            },
            "low_low": {
                "track": "Diversion (minimal supervision)",
                "court_every_weeks": 8,
                "tests_per_week": 2,
                "contacts_per_week": 1,
            },
        },
    }


class Substance(models.TextChoices):
    """What a drug or alcohol test can find (DOMAIN.md "Typical panel"), by its usual code."""

    AMPHETAMINES = "AMP", "Amphetamines"
    METHAMPHETAMINE = "MAMP", "Methamphetamine"
    COCAINE = "COC", "Cocaine"
    OPIATES = "OPI", "Opiates"
    FENTANYL = "FEN", "Fentanyl"
    BUPRENORPHINE = "BUP", "Buprenorphine"
    METHADONE = "MTD", "Methadone"
    OXYCODONE = "OXY", "Oxycodone"
    BENZODIAZEPINES = "BZO", "Benzodiazepines"
    CANNABINOIDS = "THC", "Cannabinoids (THC)"
    ALCOHOL_ETG = "ETG", "Alcohol (EtG/EtS)"
    ALCOHOL_BREATH = "BAC", "Alcohol (breath)"
    SYNTHETIC_CANNABINOIDS = "K2", "Synthetic cannabinoids"


def default_testing_panel() -> list[str]:
    return [code for code in Substance.values if code != Substance.ALCOHOL_BREATH]


class PolicyPositive(models.TextChoices):
    """Test outcomes a program may count as positive (DOMAIN.md: programs usually count all)."""

    MISSED = "missed", "Missed"
    REFUSED = "refused", "Refused"
    DILUTE = "dilute", "Dilute"
    ADULTERATED = "adulterated", "Adulterated"
    SUBSTITUTED = "substituted", "Substituted"


def default_policy_positive() -> list[str]:
    return list(PolicyPositive.values)


# DOMAIN.md "Monitoring": at least twice a week until the final phase.
DEFAULT_MINIMUM_TESTS_PER_WEEK = 2


def default_detection_tail_days() -> dict[str, int]:
    """Days after a prescription ends that its positives are still expected, per substance:
    buprenorphine and methadone stay detectable for about a week (DOMAIN.md "Monitoring")."""
    return {"BUP": 7, "MTD": 7}


class NoteFormat(models.TextChoices):
    FREE_TEXT = "free_text", "Free text"
    DAP = "dap", "DAP (data / assessment / plan)"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class ProgramSettings(models.Model):
    """One version of a program's settings, in force from `effective_from` (program local date)
    until the next version. Past versions are never edited so that past summaries can be
    explained by the policy then in force. Later issues add topics (testing policy, alert
    thresholds, response catalogue) as fields or child rows of this version."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="settings_versions")
    effective_from = models.DateField()
    change_note = models.CharField(max_length=300, blank=True)
    # Eligibility topic: the legal criteria screenings answer, one line each.
    legal_criteria = ArrayField(
        models.CharField(max_length=200), default=default_legal_criteria, blank=True
    )
    # Alert thresholds topic: after how many days an open referral that is not engaged raises
    # an alert (the referral sweep).
    referral_engagement_days = models.PositiveSmallIntegerField(default=14)
    # ... and how many days before a treatment plan review falls due it raises one.
    plan_review_notice_days = models.PositiveSmallIntegerField(default=7)
    # ASAM topic: an optional program rule suggesting a level of care from the highest dimension
    # rating, per edition: {"3": {"0": "0.5", ..., "4": "4"}}. Empty: no suggestion is shown.
    asam_rule = models.JSONField(default=dict, blank=True)
    # Risk and need topic (see default_risk_need for the shape).
    risk_need = models.JSONField(default=default_risk_need)
    # Case notes topic: the format of every new case note in the program.
    note_format = models.CharField(
        max_length=10, choices=NoteFormat.choices, default=NoteFormat.FREE_TEXT
    )
    # Drug testing topic: what the program tests for, which outcomes count as positive, how
    # long a participant has to give a specimen once notified, when the weekly random draw is
    # made (program local time on the Sunday before the ISO week) and when each day's call list
    # is published, and when repeated missed or positive tests raise an alert.
    testing_panel = ArrayField(
        models.CharField(max_length=8, choices=Substance.choices), default=default_testing_panel
    )
    policy_positive = ArrayField(
        models.CharField(max_length=12, choices=PolicyPositive.choices),
        default=default_policy_positive,
        blank=True,
    )
    urine_window_hours = models.PositiveSmallIntegerField(default=8)
    oral_fluid_window_hours = models.PositiveSmallIntegerField(default=4)
    draw_time = models.TimeField(default=datetime.time(18, 0))
    call_list_time = models.TimeField(default=datetime.time(6, 0))
    noncompliance_events = models.PositiveSmallIntegerField(default=2)
    noncompliance_days = models.PositiveSmallIntegerField(default=14)
    # The fewest random tests a week, on a month's mean, for everyone before the last phase:
    # phase defaults under it are refused, a lower individual frequency needs a documented
    # exception, and months that fell short are listed for the coordinator.
    minimum_tests_per_week = models.PositiveSmallIntegerField(
        default=DEFAULT_MINIMUM_TESTS_PER_WEEK, validators=[MaxValueValidator(7)]
    )
    # Substance code -> days after a prescription's end that it still explains a finding.
    detection_tail_days = models.JSONField(default=default_detection_tail_days, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    # Fields that are not a settings topic: everything else is carried over to a new version.
    VERSION_FIELDS = frozenset(
        {"id", "program", "effective_from", "change_note", "created_by", "created_at"}
    )

    class Meta:
        ordering = ["program", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "effective_from"], name="program_settings_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} settings from {self.effective_from:%Y-%m-%d}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Phase(models.Model):
    """A phase of the program as defined by one settings version. Enrollments refer to phases
    by `number` (1-based position), which stays meaningful across settings versions."""

    settings = models.ForeignKey(ProgramSettings, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    tests_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(7)],
        help_text="Random drug tests each week by default (0–7).",
    )
    hearing_interval_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(26)],
        help_text="A status review hearing every this many weeks by default.",
    )
    # What a participant must meet to advance from this phase to the next (to graduate, from
    # the last): [{"kind": key, "params": {name: whole number}}]. Core stores and carries them;
    # the court defines and evaluates the kinds (drugcourt.phase_requirements).
    requirements = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["settings", "number"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "number"], name="phase_number_unique"),
            models.UniqueConstraint("settings", Lower("name"), name="phase_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(tests_per_week__lte=7), name="phase_tests_per_week_range"
            ),
            models.CheckConstraint(
                condition=models.Q(hearing_interval_weeks__gte=1, hearing_interval_weeks__lte=26),
                name="phase_hearing_interval_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Phase {self.number}: {self.name}"

    @property
    def requirements_described(self) -> list[str]:
        return [describe_requirement(requirement) for requirement in self.requirements]


# Amounts of money: dollars and cents, never a float (court.models.LedgerEntry keeps the same).
MONEY_DIGITS, MONEY_PLACES = 10, 2


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Fee(models.Model):
    """One fee of a program's fee schedule as defined by one settings version (the fee schedule
    topic): what the court may assess a participant (court.models.LedgerEntry copies the name
    and amount, so a later schedule never changes what was assessed). Fines and restitution are
    ordered case by case, with their own amount, and are not on the schedule."""

    settings = models.ForeignKey(ProgramSettings, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["settings", "name"]
        constraints = [
            models.UniqueConstraint("settings", Lower("name"), name="fee_name_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="fee_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (${self.amount})"


class ResponseCategory(models.TextChoices):
    """What a court response is (DOMAIN.md "Court and responses"): treatment changes are never
    sanctions."""

    INCENTIVE = "incentive", "Incentive"
    SANCTION = "sanction", "Sanction"
    THERAPEUTIC = "therapeutic", "Therapeutic adjustment"


class ResponseEffect(models.TextChoices):
    """What a response does beyond being recorded, and which details it is given with at the
    hearing (court.services): increased testing (tests a week for N weeks) becomes a testing
    order, jail (days) a custody period, community service (hours) an obligation."""

    NONE = "none", "Recorded only (praise, verbal warning, …)"
    INCREASED_TESTING = "increased_testing", "Increased testing (tests a week, for weeks)"
    JAIL = "jail", "Jail (days)"
    COMMUNITY_SERVICE = "community_service", "Community service (hours)"
    CURFEW = "curfew", "Curfew (for weeks)"
    REDUCED_REPORTING = "reduced_reporting", "Reduced reporting (for weeks)"
    GIFT_CARD = "gift_card", "Gift card (amount)"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ResponseOption(models.Model):
    """One response of a program's catalogue as defined by one settings version (the response
    catalogue topic). A hearing records responses from the catalogue in force on its day."""

    settings = models.ForeignKey(
        ProgramSettings, on_delete=models.CASCADE, related_name="response_options"
    )
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=12, choices=ResponseCategory.choices)
    effect = models.CharField(
        max_length=20, choices=ResponseEffect.choices, default=ResponseEffect.NONE
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["settings", "category", "name"]
        constraints = [
            models.UniqueConstraint("settings", Lower("name"), name="response_option_name_unique"),
            models.CheckConstraint(
                condition=models.Q(category__in=ResponseCategory.values),
                name="response_option_category_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(effect__in=ResponseEffect.values),
                name="response_option_effect_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Behaviour(models.TextChoices):
    """What a participant did that the team responds to at a hearing (DOMAIN.md "Court and
    responses"): the violations first, then the achievements incentives answer."""

    POSITIVE_TEST = "positive_test", "Positive drug or alcohol test"
    MISSED_TEST = "missed_test", "Missed or refused test"
    TAMPERED_SPECIMEN = "tampered_specimen", "Dilute, adulterated or substituted specimen"
    MISSED_TREATMENT = "missed_treatment", "Missed treatment session"
    FAILURE_TO_APPEAR = "failure_to_appear", "Failure to appear in court"
    NEW_ARREST = "new_arrest", "New arrest"
    CURFEW_VIOLATION = "curfew_violation", "Curfew violation"
    CONDITION_VIOLATION = "condition_violation", "Violation of another court condition"
    NEGATIVE_TESTS = "negative_tests", "All tests negative since the last hearing"
    FULL_ATTENDANCE = "full_attendance", "Full attendance at treatment and case management"
    PHASE_REQUIREMENTS_MET = "phase_requirements_met", "Phase requirements met"

    @property
    def is_achievement(self) -> bool:
        return self in ACHIEVEMENTS


# Behaviours an incentive answers; every other behaviour is a violation, answered by a
# sanction or a therapeutic adjustment, never by an incentive.
ACHIEVEMENTS = frozenset(
    {Behaviour.NEGATIVE_TESTS, Behaviour.FULL_ATTENDANCE, Behaviour.PHASE_REQUIREMENTS_MET}
)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ResponseRule(models.Model):
    """One rule of a program's response matrix as defined by one settings version (the response
    matrix topic): a behaviour, in a phase (or any phase), after this many prior occurrences of
    it (from `occurrences_from` to `occurrences_to`, or and more when that is empty), suggests a
    response of the same version's catalogue. The service refuses overlapping rules, so at most
    one rule answers a question."""

    settings = models.ForeignKey(
        ProgramSettings, on_delete=models.CASCADE, related_name="response_rules"
    )
    behaviour = models.CharField(max_length=30, choices=Behaviour.choices)
    # A phase number (Phase.number), or empty for any phase.
    phase = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    occurrences_from = models.PositiveSmallIntegerField(default=0)
    occurrences_to = models.PositiveSmallIntegerField(null=True, blank=True)
    # Protected: a catalogue change moves or refuses the rules of an option it drops.
    option = models.ForeignKey(ResponseOption, on_delete=models.PROTECT, related_name="rules")

    class Meta:
        ordering = ["settings", "behaviour", "phase", "occurrences_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(behaviour__in=Behaviour.values),
                name="response_rule_behaviour_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(phase__isnull=True) | models.Q(phase__gte=1),
                name="response_rule_phase_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(occurrences_to__isnull=True)
                | models.Q(occurrences_to__gte=models.F("occurrences_from")),
                name="response_rule_occurrences_ordered",
            ),
        ]
        indexes = [models.Index(fields=["settings", "behaviour"], name="response_rule_lookup")]

    def __str__(self) -> str:
        phase = f"phase {self.phase}" if self.phase else "any phase"
        upto = f"to {self.occurrences_to}" if self.occurrences_to is not None else "and more"
        return f"{self.get_behaviour_display()}, {phase}, {self.occurrences_from} {upto} prior"
