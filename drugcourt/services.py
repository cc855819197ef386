"""Writes for staff, organizations, programs and program settings."""

import datetime
from binascii import unhexlify
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial

import pghistory
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors
from .audit import audited_write
from .guards import lock
from .models import (
    DEFAULT_MINIMUM_TESTS_PER_WEEK,
    MONEY_DIGITS,
    MONEY_PLACES,
    ROLE_GRANTED_EVENT,
    SIGN_IN_UNLOCKED_EVENT,
    TWO_FACTOR_ENROLLED_EVENT,
    TWO_FACTOR_RESET_EVENT,
    Behaviour,
    Fee,
    NoteFormat,
    Organization,
    Phase,
    Program,
    ProgramMembership,
    ProgramSettings,
    ResponseCategory,
    ResponseEffect,
    ResponseOption,
    ResponseRule,
    Substance,
    User,
)
from .phase_requirements import clean_requirements
from .program_groups import access_groups_sync
from .roles import (
    PARTICIPANT_REACHING_ROLES,
    ROLE_ORGANIZATION_KINDS,
    OrganizationKind,
    Role,
    reaches_participants,
)
from .selectors import program_settings_in_force, program_today
from .tokens import EMAIL_CHANGE_SALT, set_password_token_generator

# ---------------------------------------------------------------------------------------------
# Organizations and programs


def organization_create(*, name: str, kind: OrganizationKind, actor: User | None) -> Organization:
    with audited_write(actor):
        _check_unique_name(Organization, name)
        return Organization.objects.create(name=name, kind=kind)


def organization_update(
    *, organization: Organization, name: str, kind: OrganizationKind, is_active: bool, actor: User
) -> Organization:
    with audited_write(actor):
        _check_unique_name(Organization, name, exclude_pk=organization.pk)
        if kind != organization.kind and organization.programs.exists():
            raise ValidationError(
                {"kind": "This organization is the court of a program; it must stay a court."}
            )
        if kind != organization.kind:
            _check_staff_roles_fit(organization, kind)
        organization.name, organization.kind, organization.is_active = name, kind, is_active
        organization.full_clean()
        organization.save()
        return organization


def _check_staff_roles_fit(organization: Organization, kind: OrganizationKind) -> None:
    for user in organization.staff.filter(is_active=True):
        misfits = [r for r in user.roles if kind not in ROLE_ORGANIZATION_KINDS[Role(r)]]
        if misfits:
            raise ValidationError(
                {
                    "kind": f"{user} holds the role {Role(misfits[0]).label}, which "
                    f"{OrganizationKind(kind).label.lower()} staff cannot hold."
                }
            )


def program_create(
    *, name: str, court: Organization, jurisdiction: str, time_zone: str, actor: User
) -> Program:
    """Creates a program with a first settings version holding the five customary phases, the
    default response catalogue and the default response matrix."""
    with audited_write(actor):
        _check_unique_name(Program, name)
        _check_is_court(court)
        program = Program(name=name, court=court, jurisdiction=jurisdiction, time_zone=time_zone)
        program.full_clean()
        program.save()
        note = (
            "Program created with the customary five phases and the default response catalogue "
            "and matrix."
        )
        program_settings_change_phases(
            program=program,
            effective_from=program_today(program),
            phases=list(DEFAULT_PHASES),
            change_note=note,
            actor=actor,
        )
        program_settings_change_response_catalogue(
            program=program,
            effective_from=program_today(program),
            options=list(DEFAULT_RESPONSE_CATALOGUE),
            change_note=note,
            actor=actor,
        )
        program_settings_change_response_matrix(
            program=program,
            effective_from=program_today(program),
            rules=list(DEFAULT_RESPONSE_MATRIX),
            change_note=note,
            actor=actor,
        )
        return program


def program_update(
    *,
    program: Program,
    name: str,
    court: Organization,
    jurisdiction: str,
    time_zone: str,
    is_active: bool,
    actor: User,
) -> Program:
    with audited_write(actor):
        _check_unique_name(Program, name, exclude_pk=program.pk)
        _check_is_court(court)
        program.name, program.court, program.jurisdiction = name, court, jurisdiction
        was_active = program.is_active
        program.time_zone, program.is_active = time_zone, is_active
        program.full_clean()
        program.save()
        if was_active != is_active:
            # Deactivating empties the program's groups; reactivating refills them.
            for member in User.objects.filter(memberships__program=program):
                access_groups_sync(member)
        return program


def _check_unique_name(model, name: str, *, exclude_pk: int | None = None) -> None:
    clash = model.objects.filter(name__iexact=name.strip()).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"name": f"A {model._meta.verbose_name} with this name already exists."}
        )


def _check_is_court(court: Organization) -> None:
    if court.kind != OrganizationKind.COURT:
        raise ValidationError({"court": "Choose an organization of the kind “Court”."})


# ---------------------------------------------------------------------------------------------
# Program settings: the phase list


@dataclass(frozen=True)
class PhaseData:
    name: str
    description: str
    tests_per_week: int
    hearing_interval_weeks: int
    # Phase.requirements (drugcourt.phase_requirements): a phase keeps them through a change.
    requirements: tuple[dict, ...] = ()

    @classmethod
    def from_phase(cls, phase: Phase) -> "PhaseData":
        return cls(
            phase.name,
            phase.description,
            phase.tests_per_week,
            phase.hearing_interval_weeks,
            tuple(phase.requirements),
        )

    def as_fields(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "tests_per_week": self.tests_per_week,
            "hearing_interval_weeks": self.hearing_interval_weeks,
            "requirements": list(self.requirements),
        }


# The customary five phases (DOMAIN.md, participant lifecycle); testing at least twice a week
# until the final phase, hearings every two weeks at first (NADCP standards).
DEFAULT_PHASES = (
    PhaseData("Stabilization", "Acute stabilization and engagement in treatment.", 3, 1),
    PhaseData("Intensive treatment", "Intensive treatment and early recovery.", 3, 2),
    PhaseData("Transition", "Transition to less intensive treatment; employment or school.", 2, 2),
    PhaseData("Maintenance", "Maintaining recovery with reduced supervision.", 2, 4),
    PhaseData("Continuing care", "Aftercare planning and preparation for graduation.", 1, 4),
)


def program_settings_change_phases(
    *,
    program: Program,
    effective_from: datetime.date,
    phases: list[PhaseData],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records a new phase list in force from `effective_from` (see _settings_version)."""
    if not phases:
        raise ValidationError("A program needs at least one phase.")
    names = [phase.name.strip().lower() for phase in phases]
    if len(set(names)) != len(names):
        raise ValidationError("Two phases have the same name; give each phase its own name.")
    in_force = program_settings_in_force(program, effective_from)
    minimum = in_force.minimum_tests_per_week if in_force else DEFAULT_MINIMUM_TESTS_PER_WEEK
    under = [phase.name for phase in phases[:-1] if phase.tests_per_week < minimum]
    if under:
        raise ValidationError(
            f"The program tests at least {minimum} times a week before the last phase: "
            f"{', '.join(under)} tests less often. Lower the minimum in the testing policy "
            "first if the program decided so."
        )
    phases = [
        replace(
            phase,
            requirements=tuple(
                clean_requirements(phase.requirements, phase=f"Phase {number} ({phase.name})")
            ),
        )
        for number, phase in enumerate(phases, start=1)
    ]
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.phases.all().delete()
        _create_phases(version, phases)
        beyond = [
            str(rule)
            for rule in version.response_rules.filter(phase__gt=len(phases)).order_by("pk")
        ]
        if beyond:
            raise ValidationError(
                f"The response matrix has rules for a phase this list no longer has: "
                f"{'; '.join(beyond)}. Change those rules first."
            )
        return version


def program_settings_change_phase_requirements(
    *,
    program: Program,
    effective_from: datetime.date,
    requirements: dict[int, list[dict]],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records each phase's requirements (phase number → its requirements; a phase not given
    has none) in force from `effective_from` (see _settings_version), the phase list itself
    unchanged. Each requirement is checked by its kind (clean_requirements): a negative
    threshold, an unknown kind or a phase the list lacks is refused and nothing is saved."""
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        phases = list(version.phases.order_by("number"))
        missing = sorted(set(requirements) - {phase.number for phase in phases})
        if missing:
            raise ValidationError(
                f"The program has no phase {missing[0]} from {effective_from:%Y-%m-%d}: it has "
                f"{len(phases)} phases. Change the phase list first."
            )
        for phase in phases:
            phase.requirements = clean_requirements(
                requirements.get(phase.number, []), phase=str(phase)
            )
        Phase.objects.bulk_update(phases, ["requirements"])
        return version


def program_settings_change_note_format(
    *,
    program: Program,
    effective_from: datetime.date,
    note_format: NoteFormat,
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the case-note format in force from `effective_from` (see _settings_version)."""
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.note_format = note_format
        version.save(update_fields=["note_format"])
        return version


def program_settings_change_legal_criteria(
    *,
    program: Program,
    effective_from: datetime.date,
    legal_criteria: list[str],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the eligibility checklist in force from `effective_from` (see _settings_version)."""
    criteria = [criterion.strip() for criterion in legal_criteria if criterion.strip()]
    if not criteria:
        raise ValidationError({"legal_criteria": "List at least one legal criterion."})
    if len({c.lower() for c in criteria}) != len(criteria):
        raise ValidationError({"legal_criteria": "A criterion is listed twice."})
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.legal_criteria = criteria
        version.save(update_fields=["legal_criteria"])
        return version


def program_settings_change_asam_rule(
    *,
    program: Program,
    effective_from: datetime.date,
    asam_rule: dict[str, dict[str, str]],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the program's ASAM suggestion rule in force from `effective_from`."""
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.asam_rule = asam_rule
        version.save(update_fields=["asam_rule"])
        return version


def program_settings_change_alert_thresholds(
    *,
    program: Program,
    effective_from: datetime.date,
    referral_engagement_days: int,
    plan_review_notice_days: int,
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the alert thresholds in force from `effective_from`."""
    if not 1 <= referral_engagement_days <= 90:
        raise ValidationError({"referral_engagement_days": "Give a number of days from 1 to 90."})
    if not 0 <= plan_review_notice_days <= 60:
        raise ValidationError({"plan_review_notice_days": "Give a number of days from 0 to 60."})
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.referral_engagement_days = referral_engagement_days
        version.plan_review_notice_days = plan_review_notice_days
        version.save(update_fields=["referral_engagement_days", "plan_review_notice_days"])
        return version


TESTING_POLICY_FIELDS = (
    "testing_panel",
    "policy_positive",
    "urine_window_hours",
    "oral_fluid_window_hours",
    "draw_time",
    "call_list_time",
    "noncompliance_events",
    "noncompliance_days",
    "minimum_tests_per_week",
    "detection_tail_days",
)
# Ranges of the numeric testing policy fields: windows within a day; the non-compliance window
# within the 90 days the sweep looks back over.
TESTING_POLICY_RANGES = {
    "urine_window_hours": (1, 24),
    "oral_fluid_window_hours": (1, 24),
    "noncompliance_events": (2, 10),
    "noncompliance_days": (1, 60),
    "minimum_tests_per_week": (0, 7),
}
# A detection tail longer than this is no longer "the days after" a prescription.
DETECTION_TAIL_MAX_DAYS = 60


def program_settings_change_testing_policy(
    *,
    program: Program,
    effective_from: datetime.date,
    change_note: str,
    actor: User,
    **policy,
) -> ProgramSettings:
    """Records the drug testing policy (every field of TESTING_POLICY_FIELDS) in force from
    `effective_from`."""
    if set(policy) != set(TESTING_POLICY_FIELDS):
        raise TypeError(f"The testing policy is exactly {', '.join(TESTING_POLICY_FIELDS)}.")
    errors = {}
    if not policy["testing_panel"]:
        errors["testing_panel"] = "Choose at least one substance to test for."
    for name, (low, high) in TESTING_POLICY_RANGES.items():
        if not low <= policy[name] <= high:
            errors[name] = f"Give a number from {low} to {high}."
    tails = policy["detection_tail_days"]
    if set(tails) - set(Substance.values) or not all(
        isinstance(days, int) and 0 <= days <= DETECTION_TAIL_MAX_DAYS for days in tails.values()
    ):
        errors["detection_tail_days"] = (
            f"Give a substance code of the panel list and 0 to {DETECTION_TAIL_MAX_DAYS} days."
        )
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        for name, value in policy.items():
            setattr(version, name, value)
        version.save(update_fields=list(policy))
        return version


def _settings_version(
    program: Program, effective_from: datetime.date, change_note: str, actor: User
) -> ProgramSettings:
    """The version a change from `effective_from` goes into.

    A change never rewrites the past: the date must be today or later (program local date).
    A second change for the same date goes into that same version; a new date starts a version
    that carries every topic over from the version in force on that date, so each change
    touches only its own topic. The program's row is locked first (the caller's transaction):
    two changes for the same new date, sent together, both go into one version.
    """
    lock(program)
    if effective_from < program_today(program):
        raise ValidationError(
            {"effective_from": "A change cannot apply from a past date; pick today or later."}
        )
    version = ProgramSettings.objects.filter(program=program, effective_from=effective_from).first()
    if version is not None:
        version.change_note, version.created_by = change_note, actor
        version.save(update_fields=["change_note", "created_by"])
        return version
    base = (
        ProgramSettings.objects.filter(program=program, effective_from__lt=effective_from)
        .order_by("-effective_from")
        .first()
    )
    carried_over = {
        field.attname: getattr(base, field.attname)
        for field in ProgramSettings._meta.concrete_fields
        if base is not None and field.name not in ProgramSettings.VERSION_FIELDS
    }
    version = ProgramSettings.objects.create(
        program=program,
        effective_from=effective_from,
        change_note=change_note,
        created_by=actor,
        **carried_over,
    )
    if base is not None:
        _create_phases(version, [PhaseData.from_phase(phase) for phase in base.phases.all()])
        _create_response_options(
            version, [ResponseOptionData.from_option(o) for o in base.response_options.all()]
        )
        _create_response_rules(
            version,
            [
                ResponseRuleData.from_rule(rule)
                for rule in base.response_rules.select_related("option").order_by("pk")
            ],
        )
        _create_fees(version, [FeeData.from_fee(fee) for fee in base.fees.all()])
    return version


def _create_phases(version: ProgramSettings, phases: list[PhaseData]) -> None:
    Phase.objects.bulk_create(
        Phase(settings=version, number=number, **phase.as_fields())
        for number, phase in enumerate(phases, start=1)
    )


# ---------------------------------------------------------------------------------------------
# Program settings: the response catalogue


@dataclass(frozen=True)
class ResponseOptionData:
    name: str
    category: str  # ResponseCategory
    effect: str = ResponseEffect.NONE
    description: str = ""

    @classmethod
    def from_option(cls, option: ResponseOption) -> "ResponseOptionData":
        return cls(option.name, option.category, option.effect, option.description)

    def as_fields(self) -> dict:
        return {
            "name": self.name.strip(),
            "category": self.category,
            "effect": self.effect,
            "description": self.description.strip(),
        }


# The categories an effect may be given as: what takes liberty or time (jail, community
# service, curfew) is only ever a sanction, a reward only an incentive, and increased testing
# is a sanction or a therapeutic adjustment (DOMAIN.md: treatment changes are never sanctions,
# so they cannot carry a sanction's effect). A recorded-only response may be anything.
EFFECT_CATEGORIES: dict[str, frozenset[str]] = {
    ResponseEffect.NONE: frozenset(ResponseCategory.values),
    ResponseEffect.INCREASED_TESTING: frozenset(
        {ResponseCategory.SANCTION, ResponseCategory.THERAPEUTIC}
    ),
    ResponseEffect.JAIL: frozenset({ResponseCategory.SANCTION}),
    ResponseEffect.COMMUNITY_SERVICE: frozenset({ResponseCategory.SANCTION}),
    ResponseEffect.CURFEW: frozenset({ResponseCategory.SANCTION}),
    ResponseEffect.REDUCED_REPORTING: frozenset({ResponseCategory.INCENTIVE}),
    ResponseEffect.GIFT_CARD: frozenset({ResponseCategory.INCENTIVE}),
}

_INCENTIVE, _SANCTION, _THERAPEUTIC = (
    ResponseCategory.INCENTIVE,
    ResponseCategory.SANCTION,
    ResponseCategory.THERAPEUTIC,
)
# The catalogue a new program starts with (NADCP Adult Drug Court Best Practice Standards,
# incentives, sanctions and therapeutic adjustments). A phase advance is not a response: phase
# changes are decisions of a hearing (court.models.PhaseChange).
DEFAULT_RESPONSE_CATALOGUE = (
    ResponseOptionData("Praise from the bench", _INCENTIVE, ResponseEffect.NONE),
    ResponseOptionData("Certificate of achievement", _INCENTIVE, ResponseEffect.NONE),
    ResponseOptionData(
        "Called early on the docket",
        _INCENTIVE,
        ResponseEffect.NONE,
        "Heard first and free to leave the courtroom.",
    ),
    ResponseOptionData("Reduced reporting", _INCENTIVE, ResponseEffect.REDUCED_REPORTING),
    ResponseOptionData("Gift card", _INCENTIVE, ResponseEffect.GIFT_CARD),
    ResponseOptionData("Verbal warning", _SANCTION, ResponseEffect.NONE),
    ResponseOptionData("Essay", _SANCTION, ResponseEffect.NONE, "Written and read in court."),
    ResponseOptionData("Increased testing", _SANCTION, ResponseEffect.INCREASED_TESTING),
    ResponseOptionData("Curfew", _SANCTION, ResponseEffect.CURFEW),
    ResponseOptionData("Community service", _SANCTION, ResponseEffect.COMMUNITY_SERVICE),
    ResponseOptionData("Jail", _SANCTION, ResponseEffect.JAIL),
    ResponseOptionData(
        "Increased treatment",
        _THERAPEUTIC,
        ResponseEffect.NONE,
        "More sessions or a higher level of care, as the treatment provider assesses.",
    ),
    ResponseOptionData("Additional case manager meetings", _THERAPEUTIC, ResponseEffect.NONE),
    ResponseOptionData("Additional self-help meetings", _THERAPEUTIC, ResponseEffect.NONE),
)


def program_settings_change_response_catalogue(
    *,
    program: Program,
    effective_from: datetime.date,
    options: list[ResponseOptionData],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the response catalogue in force from `effective_from` (see _settings_version):
    the incentives, sanctions and therapeutic adjustments a hearing chooses from.

    Changing a version already in force today keeps the rows of the options it keeps (matched
    by name), so responses given today stay with their option; an option given at a hearing
    cannot be dropped or change its category or effect in that version: the change then
    applies from tomorrow."""
    _check_response_options(options)
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        existing = {option.name.lower(): option for option in version.response_options.all()}
        kept: set[int] = set()
        new: list[ResponseOptionData] = []
        rules = {
            rule.pk: ResponseRuleData.from_rule(rule)
            for rule in version.response_rules.select_related("option").order_by("pk")
        }
        for data in options:
            option = existing.get(data.name.strip().lower())
            if option is None or (option.category, option.effect) != (data.category, data.effect):
                new.append(data)
                continue
            option.name, option.description = data.name.strip(), data.description.strip()
            option.save(update_fields=["name", "description"])
            kept.add(option.pk)
        moved = [rule.pk for rule in version.response_rules.exclude(option__in=kept).only("pk")]
        version.response_rules.filter(pk__in=moved).delete()
        for option in existing.values():
            if option.pk in kept:
                continue
            try:
                option.delete()
            except ProtectedError:
                raise ValidationError(
                    f"“{option.name}” was already given at a hearing under the catalogue in "
                    "force today, so it stays as it is today; apply this change from tomorrow."
                ) from None
        _create_response_options(version, new)
        # A rule follows its option to the new row of the same name; a rule whose option was
        # dropped is refused by _create_response_rules, naming it.
        _create_response_rules(version, [rules[pk] for pk in moved])
        return version


def _check_response_options(options: list[ResponseOptionData]) -> None:
    if not options:
        raise ValidationError("A program needs at least one response in its catalogue.")
    names = [data.name.strip().lower() for data in options]
    if not all(names):
        raise ValidationError("Give every response a name.")
    if len(set(names)) != len(names):
        raise ValidationError("Two responses have the same name; give each response its own name.")
    for data in options:
        if len(data.name.strip()) > 100 or len(data.description.strip()) > 300:
            raise ValidationError(
                f"“{data.name.strip()[:40]}”: a name has at most 100 characters and a "
                "description at most 300."
            )
        if data.category not in ResponseCategory.values:
            raise ValidationError(f"“{data.name}”: “{data.category}” is not a kind of response.")
        if data.effect not in ResponseEffect.values:
            raise ValidationError(f"“{data.name}”: “{data.effect}” is not an effect we know.")
        if data.category not in EFFECT_CATEGORIES[data.effect]:
            allowed = " or ".join(
                ResponseCategory(category).label.lower()
                for category in ResponseCategory.values
                if category in EFFECT_CATEGORIES[data.effect]
            )
            article = "an" if allowed[0] in "aeiou" else "a"
            raise ValidationError(
                f"“{data.name}”: a response with the effect “{ResponseEffect(data.effect).label}” "
                f"is only ever {article} {allowed}."
            )


def _create_response_options(version: ProgramSettings, options: list[ResponseOptionData]) -> None:
    ResponseOption.objects.bulk_create(
        ResponseOption(settings=version, **data.as_fields()) for data in options
    )


# ---------------------------------------------------------------------------------------------
# Program settings: the response matrix


@dataclass(frozen=True)
class ResponseRuleData:
    behaviour: str  # Behaviour
    phase: int | None  # None: any phase
    occurrences_from: int
    occurrences_to: int | None  # None: and more
    option: str  # the name of a response of the same version's catalogue

    @classmethod
    def from_rule(cls, rule: ResponseRule) -> "ResponseRuleData":
        return cls(
            rule.behaviour, rule.phase, rule.occurrences_from, rule.occurrences_to, rule.option.name
        )

    def describe(self) -> str:
        behaviour = Behaviour(self.behaviour).label if self.behaviour in Behaviour.values else "?"
        phase = f"phase {self.phase}" if self.phase else "any phase"
        if self.occurrences_to is None:
            prior = f"{self.occurrences_from} or more prior"
        elif self.occurrences_to == self.occurrences_from:
            prior = f"{self.occurrences_from} prior"
        else:
            prior = f"{self.occurrences_from} to {self.occurrences_to} prior"
        return f"{behaviour}, {phase}, {prior} → {self.option}"

    def overlaps(self, other: "ResponseRuleData") -> bool:
        """Whether one question (behaviour, phase, prior occurrences) could match both rules."""
        same_phases = self.phase is None or other.phase is None or self.phase == other.phase
        return (
            self.behaviour == other.behaviour
            and same_phases
            and (other.occurrences_to is None or self.occurrences_from <= other.occurrences_to)
            and (self.occurrences_to is None or other.occurrences_from <= self.occurrences_to)
        )


# Prior occurrences a rule can name; more is "N or more".
MAX_PRIOR_OCCURRENCES = 99

_B = Behaviour
# The matrix a new program starts with: graduated responses to repeated violations, therapeutic
# answers to the first positive tests (substance use is treated first), incentives for
# sustained achievement. Names are those of DEFAULT_RESPONSE_CATALOGUE.
DEFAULT_RESPONSE_MATRIX = (
    ResponseRuleData(_B.POSITIVE_TEST, None, 0, 0, "Additional case manager meetings"),
    ResponseRuleData(_B.POSITIVE_TEST, None, 1, 1, "Increased treatment"),
    ResponseRuleData(_B.POSITIVE_TEST, None, 2, None, "Increased testing"),
    ResponseRuleData(_B.MISSED_TEST, None, 0, 0, "Verbal warning"),
    ResponseRuleData(_B.MISSED_TEST, None, 1, 1, "Essay"),
    ResponseRuleData(_B.MISSED_TEST, None, 2, None, "Increased testing"),
    ResponseRuleData(_B.TAMPERED_SPECIMEN, None, 0, 0, "Increased testing"),
    ResponseRuleData(_B.TAMPERED_SPECIMEN, None, 1, None, "Community service"),
    ResponseRuleData(_B.MISSED_TREATMENT, None, 0, 0, "Verbal warning"),
    ResponseRuleData(_B.MISSED_TREATMENT, None, 1, None, "Additional case manager meetings"),
    ResponseRuleData(_B.FAILURE_TO_APPEAR, None, 0, 0, "Community service"),
    ResponseRuleData(_B.FAILURE_TO_APPEAR, None, 1, None, "Jail"),
    ResponseRuleData(_B.NEW_ARREST, None, 0, 0, "Curfew"),
    ResponseRuleData(_B.NEW_ARREST, None, 1, None, "Jail"),
    ResponseRuleData(_B.CURFEW_VIOLATION, None, 0, 0, "Verbal warning"),
    ResponseRuleData(_B.CURFEW_VIOLATION, None, 1, None, "Community service"),
    ResponseRuleData(_B.CONDITION_VIOLATION, None, 0, 0, "Verbal warning"),
    ResponseRuleData(_B.CONDITION_VIOLATION, None, 1, None, "Community service"),
    ResponseRuleData(_B.NEGATIVE_TESTS, None, 0, 0, "Praise from the bench"),
    ResponseRuleData(_B.NEGATIVE_TESTS, None, 1, 2, "Called early on the docket"),
    ResponseRuleData(_B.NEGATIVE_TESTS, None, 3, None, "Gift card"),
    ResponseRuleData(_B.FULL_ATTENDANCE, None, 0, 0, "Praise from the bench"),
    ResponseRuleData(_B.FULL_ATTENDANCE, None, 1, None, "Certificate of achievement"),
    ResponseRuleData(_B.PHASE_REQUIREMENTS_MET, None, 0, None, "Certificate of achievement"),
)


def program_settings_change_response_matrix(
    *,
    program: Program,
    effective_from: datetime.date,
    rules: list[ResponseRuleData],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the response matrix in force from `effective_from` (see _settings_version): for a
    behaviour, a phase (or any) and a range of prior occurrences, the response a hearing is
    offered first. Each rule names a response of that version's catalogue; two rules that one
    question could match are refused. An empty matrix suggests nothing."""
    _check_response_rules(rules)
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.response_rules.all().delete()
        _create_response_rules(version, rules)
        return version


def _check_response_rules(rules: list[ResponseRuleData]) -> None:
    for row, rule in enumerate(rules, start=1):
        if rule.behaviour not in Behaviour.values:
            raise ValidationError(f"Rule {row}: “{rule.behaviour}” is not a behaviour we know.")
        if rule.phase is not None and rule.phase < 1:
            raise ValidationError(f"Rule {row}: a phase number starts at 1.")
        if not 0 <= rule.occurrences_from <= MAX_PRIOR_OCCURRENCES or not (
            rule.occurrences_to is None
            or rule.occurrences_from <= rule.occurrences_to <= MAX_PRIOR_OCCURRENCES
        ):
            raise ValidationError(
                f"Rule {row} ({rule.describe()}): give prior occurrences from 0 to "
                f"{MAX_PRIOR_OCCURRENCES}, the second number not below the first (or empty for "
                "“and more”)."
            )
    for first_row, first in enumerate(rules, start=1):
        for second_row, second in enumerate(rules[first_row:], start=first_row + 1):
            if first.overlaps(second):
                raise ValidationError(
                    f"Rule {first_row} ({first.describe()}) and rule {second_row} "
                    f"({second.describe()}) both answer the same behaviour, phase and prior "
                    "occurrences; narrow the phase or the occurrences of one of them."
                )


def _create_response_rules(version: ProgramSettings, rules: list[ResponseRuleData]) -> None:
    """Writes `rules` into `version`, each to the response of its name in that version's
    catalogue: a name the catalogue lacks, a phase the version lacks or an incentive for a
    violation (or the reverse) is refused."""
    if not rules:
        return
    options = {option.name.lower(): option for option in version.response_options.all()}
    phase_count = version.phases.count()
    created = []
    for rule in rules:
        option = options.get(rule.option.strip().lower())
        if option is None:
            raise ValidationError(
                f"The response matrix rule “{rule.describe()}” names a response that is not in "
                f"the catalogue in force from {version.effective_from:%Y-%m-%d}; choose another "
                "response for it, or keep the response in the catalogue."
            )
        if rule.phase is not None and rule.phase > phase_count:
            raise ValidationError(
                f"The response matrix rule “{rule.describe()}” is for a phase the program does "
                f"not have: it has {phase_count} phases from {version.effective_from:%Y-%m-%d}."
            )
        is_incentive = option.category == ResponseCategory.INCENTIVE
        if is_incentive != Behaviour(rule.behaviour).is_achievement:
            expected = (
                "an incentive"
                if Behaviour(rule.behaviour).is_achievement
                else "a sanction or a therapeutic adjustment"
            )
            kind = option.get_category_display().lower()
            article = "an" if kind[0] in "aeiou" else "a"
            raise ValidationError(
                f"The response matrix rule “{rule.describe()}”: this behaviour is answered by "
                f"{expected}, and “{option.name}” is {article} {kind}."
            )
        created.append(
            ResponseRule(
                settings=version,
                behaviour=rule.behaviour,
                phase=rule.phase,
                occurrences_from=rule.occurrences_from,
                occurrences_to=rule.occurrences_to,
                option=option,
            )
        )
    ResponseRule.objects.bulk_create(created)


# ---------------------------------------------------------------------------------------------
# Program settings: the fee schedule

# The largest amount of money a fee or a ledger entry (court.models.LedgerEntry) may hold.
MONEY_MAX = Decimal(10 ** (MONEY_DIGITS - MONEY_PLACES)) - Decimal("0.01")


def money_problem(amount: Decimal) -> str | None:
    """What is wrong with `amount` as a sum of money to record (None: nothing): more than zero,
    in dollars and cents, at most MONEY_MAX. A Decimal, never a float."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return "Give an amount in dollars and cents."
    if amount <= 0:
        return "Give an amount greater than zero."
    if amount != amount.quantize(Decimal("0.01")):
        return "Give the amount in dollars and cents (at most two decimals)."
    if amount > MONEY_MAX:
        return f"Give an amount of at most ${MONEY_MAX:,}."
    return None


@dataclass(frozen=True)
class FeeData:
    name: str
    amount: Decimal
    description: str = ""

    @classmethod
    def from_fee(cls, fee: Fee) -> "FeeData":
        return cls(fee.name, fee.amount, fee.description)

    def as_fields(self) -> dict:
        return {
            "name": self.name.strip(),
            "amount": self.amount,
            "description": self.description.strip(),
        }


def program_settings_change_fee_schedule(
    *,
    program: Program,
    effective_from: datetime.date,
    fees: list[FeeData],
    change_note: str,
    actor: User,
) -> ProgramSettings:
    """Records the program's fee schedule in force from `effective_from` (see _settings_version):
    the fees a participant may be assessed (court.services.ledger_assess). Empty: the program
    charges no fees. What was assessed keeps its own name and amount, so the schedule's rows
    are simply replaced."""
    names = [data.name.strip().lower() for data in fees]
    if not all(names):
        raise ValidationError("Give every fee a name.")
    if len(set(names)) != len(names):
        raise ValidationError("Two fees have the same name; give each fee its own name.")
    for data in fees:
        if len(data.name.strip()) > 100 or len(data.description.strip()) > 300:
            raise ValidationError(
                f"“{data.name.strip()[:40]}”: a name has at most 100 characters and a "
                "description at most 300."
            )
        if problem := money_problem(data.amount):
            raise ValidationError(f"“{data.name.strip()}”: {problem}")
    with audited_write(actor):
        version = _settings_version(program, effective_from, change_note, actor)
        version.fees.all().delete()
        _create_fees(version, fees)
        return version


def _create_fees(version: ProgramSettings, fees: list[FeeData]) -> None:
    Fee.objects.bulk_create(Fee(settings=version, **data.as_fields()) for data in fees)


# ---------------------------------------------------------------------------------------------
# Staff


def staff_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    organization: Organization,
    roles: list[Role],
    programs: list[Program],
    actor: User | None,
) -> User:
    """Creates a staff account without a usable password; the person sets it from a link."""
    with audited_write(actor):
        _check_staff_fields(
            username=username,
            email=email,
            organization=organization,
            roles=roles,
            programs=programs,
        )
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            organization=organization,
            roles=sorted(roles),
        )
        user.set_unusable_password()
        user.save()
        _set_programs(user, programs)
        _record_grants(user, before=_Reach(roles=frozenset(), programs=frozenset()), actor=actor)
        return user


def staff_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    organization: Organization,
    roles: list[Role],
    programs: list[Program],
    actor: User,
) -> User:
    """Saves the changes to an account. An administrator cannot change their own roles,
    programs or organization. A new e-mail address of an account that reaches (or will reach)
    participants waits for confirmation at the old address (staff_confirm_email_change); the
    rest is saved at once. Granting a participant-reaching role is audited and told to the
    program's coordinators."""
    with audited_write(actor):
        _check_staff_fields(
            username=user.username,
            email=email,
            organization=organization,
            roles=roles,
            programs=programs,
            exclude_pk=user.pk,
        )
        if Role.ADMINISTRATOR in user.roles and Role.ADMINISTRATOR not in roles:
            _check_not_last_administrator(user, field="roles")
        before = _Reach.of(user)
        if user.pk == actor.pk:
            _check_not_own_reach(user, organization=organization, roles=roles, programs=programs)
        email_changes = email.strip().lower() != user.email.strip().lower()
        confirm_at_old_address = email_changes and (
            reaches_participants(user.roles) or reaches_participants(roles)
        )
        if confirm_at_old_address:
            _request_email_change(user, new_email=email)
        elif email_changes:
            user.email = email
        user.first_name, user.last_name = first_name, last_name
        user.organization, user.roles = organization, sorted(roles)
        user.save()
        _set_programs(user, programs)
        _record_grants(user, before=before, actor=actor)
        return user


def _check_not_own_reach(
    user: User, *, organization: Organization, roles: list[Role], programs: list[Program]
) -> None:
    """An administrator cannot give themselves participant data: their roles, programs and
    organization (a provider's organization decides whose episodes they reach) stay as they
    are; another administrator changes them, and that is audited and told to coordinators."""
    unchanged = (
        set(roles) == set(user.roles)
        and {program.pk for program in programs} == _Reach.of(user).programs
        and organization.pk == user.organization_id
    )
    if not unchanged:
        raise ValidationError(
            "You cannot change your own roles, programs or organization; ask another administrator."
        )


@dataclass(frozen=True)
class _Reach:
    """What of an account decides whom it reaches: its roles and program memberships."""

    roles: frozenset[Role]
    programs: frozenset[int]

    @classmethod
    def of(cls, user: User) -> "_Reach":
        return cls(
            roles=frozenset(Role(role) for role in user.roles),
            programs=frozenset(user.memberships.values_list("program_id", flat=True)),
        )


def _record_grants(user: User, *, before: _Reach, actor: User | None) -> None:
    """Audits each program in which the account newly holds a participant-reaching role (a new
    role, or a new program for the roles it holds) and tells that program's coordinators by
    e-mail after commit."""
    from .tasks import staff_role_granted_email_task

    after = _Reach.of(user)
    reaching = after.roles & PARTICIPANT_REACHING_ROLES
    new_roles = reaching - before.roles
    granted_programs = sorted(
        program_id
        for program_id in after.programs
        if reaching and (new_roles or program_id not in before.programs)
    )
    if not granted_programs and not new_roles:
        return
    with pghistory.context(granted_roles=sorted(reaching), granted_programs=granted_programs):
        pghistory.create_event(user, label=ROLE_GRANTED_EVENT)
    actor_pk = actor.pk if actor else None
    for program_id in granted_programs:
        transaction.on_commit(
            partial(
                staff_role_granted_email_task.delay, user.pk, program_id, sorted(reaching), actor_pk
            )
        )


def _request_email_change(user: User, *, new_email: str) -> None:
    """Sends a signed, expiring confirmation link to the account's current address (after
    commit); the address changes only when that link is used."""
    from .tasks import staff_email_change_confirmation_task

    if not user.email:
        raise ValidationError(
            {"email": "This account has no e-mail address to confirm the change at."}
        )
    transaction.on_commit(lambda: staff_email_change_confirmation_task.delay(user.pk, new_email))


def staff_email_change_token(*, user: User, new_email: str) -> str:
    return signing.dumps(
        {"user": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT
    )


def staff_confirm_email_change(*, token: str) -> User:
    """Applies an e-mail change confirmed from the old address. The link works once (it names
    the old address) and expires after PASSWORD_RESET_TIMEOUT."""
    refusal = ValidationError("This confirmation link is not valid or has expired.")
    try:
        change = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except signing.BadSignature:
        raise refusal from None
    user = User.objects.filter(pk=change["user"], is_active=True).first()
    if user is None or user.email.lower() != change["old"].lower():
        raise refusal
    with audited_write(user):
        if User.objects.filter(email__iexact=change["new"]).exclude(pk=user.pk).exists():
            raise ValidationError("Another staff account uses this e-mail address by now.")
        user.email = change["new"]
        user.save(update_fields=["email"])
        return user


def staff_deactivate(*, user: User, actor: User) -> User:
    """Ends a person's access at once. Accounts are never deleted: history keeps the name.

    Sessions need no sweeping: Django's ModelBackend refuses inactive users on every request.
    """
    with audited_write(actor):
        if Role.ADMINISTRATOR in user.roles:
            _check_not_last_administrator(user, field=None)
        user.is_active = False
        user.save(update_fields=["is_active"])
        return user


def staff_reactivate(*, user: User, actor: User) -> User:
    with audited_write(actor):
        user.is_active = True
        user.save(update_fields=["is_active"])
        return user


def staff_set_password_path(*, user: User) -> str:
    """The path of a one-time link where `user` sets a password (valid PASSWORD_RESET_TIMEOUT).
    Only e-mailed to the account's address; staff_set_password_link_for_screen says when an
    administrator may see it."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = set_password_token_generator.make_token(user)
    return reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})


def staff_set_password_link_for_screen(*, user: User) -> str:
    """The set-password path to show an administrator on screen: never for an account that
    reaches participants (whoever holds the link would sign in as it), only e-mailed."""
    if user.reaches_participants:
        raise ValidationError(
            "This account reaches participant data: its set-password link goes only by e-mail "
            "to the account's own address."
        )
    if not user.is_active:
        raise ValidationError("This account is deactivated; reactivate it first.")
    return staff_set_password_path(user=user)


def staff_send_set_password_email(*, user: User, actor: User) -> None:
    """Queues the e-mail with a set-password link, after the surrounding transaction commits."""
    from .tasks import staff_set_password_email_task

    if not user.is_active:
        raise ValidationError("This account is deactivated; reactivate it before sending a link.")
    if not user.email:
        raise ValidationError("This account has no e-mail address.")
    transaction.on_commit(lambda: staff_set_password_email_task.delay(user.pk))


def _check_staff_fields(
    *,
    username: str,
    email: str,
    organization: Organization,
    roles: list[Role],
    programs: list[Program],
    exclude_pk: int | None = None,
) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    errors: dict[str, str] = {}
    if others.filter(username__iexact=username).exists():
        errors["username"] = "This username is taken."
    if others.filter(email__iexact=email).exists():
        errors["email"] = "Another staff account uses this e-mail address."
    if not roles:
        errors["roles"] = "Choose at least one role."
    misfits = [r for r in roles if organization.kind not in ROLE_ORGANIZATION_KINDS[Role(r)]]
    if misfits:
        errors["roles"] = (
            f"Staff of a {organization.get_kind_display().lower()} cannot hold the role "
            f"{Role(misfits[0]).label}."
        )
    if not organization.is_active:
        errors["organization"] = "This organization is inactive."
    inactive_programs = [p.name for p in programs if not p.is_active]
    if inactive_programs:
        errors["programs"] = f"The program {inactive_programs[0]} is inactive."
    if errors:
        raise ValidationError(errors)


def _check_not_last_administrator(user: User, *, field: str | None) -> None:
    """Locks the active administrators' rows (in one order) before counting them, inside the
    caller's transaction: two administrators removing each other at once cannot both pass."""
    administrators = (
        User.objects.select_for_update()
        .filter(is_active=True, roles__contains=[Role.ADMINISTRATOR])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not any(pk != user.pk for pk in administrators):
        message = "This is the last active administrator; appoint another one first."
        raise ValidationError({field: message} if field else message)


def _set_programs(user: User, programs: list[Program]) -> None:
    """Program membership and the access groups derived from it, the roles and the
    organization (program groups, provider organization group), together."""
    wanted = {program.pk for program in programs}
    current = set(user.memberships.values_list("program_id", flat=True))
    user.memberships.filter(program_id__in=current - wanted).delete()
    ProgramMembership.objects.bulk_create(
        ProgramMembership(user=user, program_id=program_id) for program_id in wanted - current
    )
    access_groups_sync(user)


# ---------------------------------------------------------------------------------------------
# Two factors (docs/decisions/0016)

AUTHENTICATOR_DEVICE_NAME = "Authenticator app"
BACKUP_CODES_DEVICE_NAME = "Backup codes"
AUTHENTICATOR_DIGITS = 6  # django-otp's TOTPDevice default


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    backup_codes: list[str]  # shown to the person once; each signs in once


def _totp_matches(key: str, code: str) -> int | None:
    """The time step at which `code` is the authenticator's code for `key` (one step of clock
    drift either way), or None."""
    totp = TOTP(unhexlify(key))
    if code.isdigit() and totp.verify(int(code), tolerance=1):
        return totp.t()
    return None


def two_factor_enrol(*, user: User, key: str, code: str) -> Enrolment | None:
    """Sets up `user`'s authenticator app with the key shown to them, once `code` proves the app
    holds it, and makes their backup codes. None when the code does not match. An account that
    already has one is refused: only an administrator's reset makes way for another, so a
    stolen password cannot add the thief's phone."""
    step = _totp_matches(key, code)
    if step is None:
        return None
    with audited_write(user):
        User.objects.select_for_update().get(pk=user.pk)  # one setup at a time
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError("Two-factor sign-in is already set up for this account.")
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_DEVICE_NAME, key=key, confirmed=True, last_t=step
        )
        codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_BACKUP_CODES)]
        _backup_codes_set(user, name=BACKUP_CODES_DEVICE_NAME, codes=codes)
        pghistory.create_event(user, label=TWO_FACTOR_ENROLLED_EVENT)
        return Enrolment(device=device, backup_codes=codes)


def _backup_codes_set(user: User, *, name: str, codes: list[str]) -> None:
    """`user`'s backup-code device called `name` holds exactly `codes` (those used up return)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=name, defaults={"confirmed": True}
    )
    device.token_set.exclude(token__in=codes).delete()
    held = set(device.token_set.values_list("token", flat=True))
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes if code not in held
    )


def two_factor_verify(*, user: User, code: str) -> Device | None:
    """The device of `user` that accepts `code` (an authenticator's code, or a backup code,
    which is used up), or None. A code counts once: the devices are locked while it is checked,
    and an authenticator's code is not accepted twice. Each miss is counted on the device
    (django-otp's throttling: a wait that doubles with every miss), and the miss is kept: it is
    no transaction's rollback."""
    code = code.strip().replace(" ", "").lower()
    # Six digits go to the authenticator, anything else to the backup codes: a typed backup code
    # must not count as a miss of the authenticator.
    authenticator_code = len(code) == AUTHENTICATOR_DIGITS and code.isdigit()
    with transaction.atomic():
        for device in selectors.two_factor_devices(user, for_verify=True):
            if isinstance(device, TOTPDevice) == authenticator_code and device.verify_token(code):
                return device
    return None


def two_factor_reset(*, user: User, actor: User) -> None:
    """Removes `user`'s authenticator and backup codes (a lost phone): they set up a new one at
    their next sign-in, and every session they have ends now. In the staff audit."""
    if user.pk == actor.pk:
        raise ValidationError("Another administrator resets your own two-factor sign-in.")
    with audited_write(actor):
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        pghistory.create_event(user, label=TWO_FACTOR_RESET_EVENT)
        _sessions_end(user)


def _sessions_end(user: User) -> None:
    """Ends every session of `user`. Sessions are keyed by their secret, not by user: the live
    ones are read (staff sessions number in the hundreds) and theirs deleted."""
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=theirs).delete()


def staff_unlock_sign_in(*, user: User, actor: User) -> None:
    """Lifts `user`'s sign-in lockout (django-axes' failed attempts of their username, from any
    address) before its cool-off, e.g. once the person has confirmed it was them. Audited."""
    with audited_write(actor):
        AxesProxyHandler.reset_attempts(username=user.get_username())
        pghistory.create_event(user, label=SIGN_IN_UNLOCKED_EVENT)


def two_factor_demo_set(*, user: User, key: str, codes: list[str]) -> None:
    """The demo account's known authenticator key and backup codes (seed_demo; they verify only
    where DEMO_DATA_ALLOWED). Backup codes used since the last seeding come back."""
    TOTPDevice.objects.update_or_create(
        user=user, name=selectors.DEMO_DEVICE_NAME, defaults={"key": key, "confirmed": True}
    )
    _backup_codes_set(user, name=selectors.DEMO_DEVICE_NAME, codes=codes)
