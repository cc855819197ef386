"""Writes for screenings, admissions, instruments and their administrations."""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from clients import access
from clients import services as client_services
from clients.models import (
    AlertSeverity,
    CaseAssignment,
    Enrollment,
    EnrollmentStatus,
    Participant,
    TeamRole,
)
from clients.selectors import participant_today
from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import (
    DEFAULT_MINIMUM_TESTS_PER_WEEK,
    Program,
    ProgramSettings,
    User,
    default_risk_need,
)
from drugcourt.selectors import program_today

from . import scoring
from .models import (
    ASAM_DIMENSIONS,
    ASAM_LEVELS,
    Administration,
    Admission,
    AsamAssessment,
    EligibilityScreening,
    Instrument,
    InstrumentVersion,
    Need,
    NeedStatus,
    Quadrant,
    RiskNeedAssessment,
    ScreeningDecision,
)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "instruments"

# ---------------------------------------------------------------------------------------------
# Instrument definitions


def instrument_definitions_sync() -> list[InstrumentVersion]:
    """Stores every standard definition file not stored yet (run after each migrate).

    A stored version is never changed: a file whose content differs from its stored version
    is an error, because old administrations must keep scoring as they did. Change a
    definition by adding a file with the next version number."""
    added = []
    with transaction.atomic():
        for path in sorted(DEFINITIONS_DIR.glob("*.json")):
            definition = json.loads(path.read_text(encoding="utf-8"))
            scoring.check_definition(definition)
            instrument, _ = Instrument.objects.get_or_create(
                code=definition["code"], program=None, defaults={"name": definition["name"]}
            )
            stored = instrument.versions.filter(version=definition["version"]).first()
            if stored is None:
                added.append(
                    InstrumentVersion.objects.create(
                        instrument=instrument,
                        version=definition["version"],
                        definition=definition,
                    )
                )
            elif stored.definition != definition:
                raise scoring.DefinitionError(
                    f"{path.name} differs from the stored {stored}: give the change a new "
                    "version number instead of editing a version in use."
                )
    return added


def instrument_create(
    *, program: Program, code: str, name: str, definition: dict, actor: User
) -> InstrumentVersion:
    """A program's own screen (or its next version), from a definition the coordinator built."""
    if not access.coordinates(actor, program):
        raise ValidationError("Only the program's coordinators add screens.")
    with audited_write(actor):
        instrument, _ = Instrument.objects.get_or_create(
            program=program, code=code, defaults={"name": name}
        )
        latest = instrument.versions.order_by("-version").first()
        definition = {
            **definition,
            "code": code,
            "name": name,
            "version": latest.version + 1 if latest else 1,
        }
        try:
            scoring.check_definition(definition)
        except scoring.DefinitionError as error:
            raise ValidationError(str(error)) from None
        instrument.name = name
        instrument.save(update_fields=["name"])
        return InstrumentVersion.objects.create(
            instrument=instrument,
            version=definition["version"],
            definition=definition,
            created_by=actor,
        )


# ---------------------------------------------------------------------------------------------
# Administrations


def administration_record(
    *,
    participant: Participant,
    instrument_version: InstrumentVersion,
    administered_on: datetime.date,
    answers: dict[str, str],
    actor: User,
    safety_action: str = "",
) -> Administration:
    """Scores a screen item by item. A safety item answered above its threshold (PHQ-9 item 9)
    stops the save until the assessor records the immediate step taken; then an urgent alert
    goes to the participant's case managers."""
    if not access.can_change(actor, participant, access.DataClass.ASSESSMENT_DETAIL):
        raise ValidationError("You may not record screens for this participant.")
    _check_assessment_date(participant, administered_on, field="administered_on")
    try:
        result = scoring.score(instrument_version.definition, answers)
    except ValueError as error:
        raise ValidationError({"answers": str(error)}) from None
    if result.safety_items and not safety_action.strip():
        raise ValidationError(
            {"safety_action": "Record the immediate safety step you took before saving."}
        )
    with audited_write(actor):
        administration = Administration.objects.create(
            participant=participant,
            instrument_version=instrument_version,
            administered_on=administered_on,
            administered_by=actor,
            answers=answers,
            total_score=result.total,
            band=result.band,
            safety_action=safety_action.strip(),
        )
        if result.safety_items:
            _raise_safety_alerts(administration, result.safety_items)
        return administration


def _check_assessment_date(participant: Participant, day: datetime.date, *, field: str) -> None:
    if day > participant_today(participant):
        raise ValidationError({field: "The date cannot be in the future."})
    first_referral = (
        participant.enrollments.order_by("referral_date").values_list("referral_date", flat=True)
    ).first()
    if first_referral and day < first_referral:
        raise ValidationError(
            {field: f"The date is before the referral ({first_referral:%Y-%m-%d})."}
        )


def _raise_safety_alerts(administration: Administration, items: tuple[str, ...]) -> None:
    code = administration.instrument_version.instrument.code
    managers = CaseAssignment.objects.filter(
        participant=administration.participant,
        team_role=TeamRole.CASE_MANAGER,
        ended_on__isnull=True,
    ).select_related("user")
    # One alert per case manager (or one unassigned when none is on the team yet).
    for assignment in managers or [None]:
        recipient = assignment.user if assignment else None
        client_services.alert_raise(
            participant=administration.participant,
            kind="safety_item",
            source_key=f"administration:{administration.pk}:{getattr(recipient, 'pk', 0)}",
            data_class=access.DataClass.ASSESSMENT_DETAIL,
            severity=AlertSeverity.URGENT,
            message=f"{code} item {', '.join(items)} needs follow-up: "
            f"{administration.safety_action[:150]}",
            assigned_to=recipient,
        )


# ---------------------------------------------------------------------------------------------
# Eligibility screening and admission


def screening_record(
    *,
    enrollment: Enrollment,
    screened_on: datetime.date,
    legal_criteria: dict[str, bool],
    substance_use_disorder_indicated: bool,
    level_of_care_available: bool,
    decision: str,
    reason: str,
    actor: User,
) -> EligibilityScreening:
    """Records a screening decision. A referred enrollment moves to screening; not eligible
    declines it (the record and its reason stay)."""
    if not access.can_change(actor, enrollment.participant, access.DataClass.ENROLLMENT):
        raise ValidationError("You may not screen this participant.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the decision."})
    if screened_on > program_today(enrollment.program) or screened_on < enrollment.referral_date:
        raise ValidationError({"screened_on": "The date must be between the referral and today."})
    with audited_write(actor):
        lock(enrollment)
        if enrollment.status not in (EnrollmentStatus.REFERRED, EnrollmentStatus.SCREENING):
            raise ValidationError("Only a referred enrollment, or one in screening, is screened.")
        if enrollment.screenings.exclude(decision=ScreeningDecision.NEEDS_INFORMATION).exists():
            raise ValidationError("This enrollment already has a screening decision.")
        screening = EligibilityScreening.objects.create(
            enrollment=enrollment,
            screened_on=screened_on,
            legal_criteria=legal_criteria,
            substance_use_disorder_indicated=substance_use_disorder_indicated,
            level_of_care_available=level_of_care_available,
            decision=decision,
            reason=reason.strip(),
            decided_by=actor,
        )
        if enrollment.status == EnrollmentStatus.REFERRED:
            client_services.enrollment_change_status(
                enrollment=enrollment,
                to_status=EnrollmentStatus.SCREENING,
                effective_date=screened_on,
                reason="Eligibility screening.",
                actor=actor,
            )
        if decision == ScreeningDecision.NOT_ELIGIBLE:
            client_services.enrollment_change_status(
                enrollment=enrollment,
                to_status=EnrollmentStatus.DECLINED,
                effective_date=screened_on,
                reason=f"Not eligible: {reason.strip()}",
                actor=actor,
            )
        return screening


def admission_record(
    *,
    enrollment: Enrollment,
    order_or_plea_date: datetime.date | None,
    agreement_signed_on: datetime.date | None,
    entry_type: str,
    actor: User,
) -> Admission:
    """Admits an eligible participant: the court's order or plea and the signed participation
    agreement are required; the lifecycle service makes the enrollment active in phase 1."""
    errors = {}
    if order_or_plea_date is None:
        errors["order_or_plea_date"] = "Record the date of the court's order or the plea."
    if agreement_signed_on is None:
        errors["agreement_signed_on"] = "Record when the participation agreement was signed."
    if order_or_plea_date is None or agreement_signed_on is None:
        raise ValidationError(errors)
    if not enrollment.screenings.filter(decision=ScreeningDecision.ELIGIBLE).exists():
        raise ValidationError("Only a participant screened eligible can be admitted.")
    entry_date = max(order_or_plea_date, agreement_signed_on)
    if entry_date > program_today(enrollment.program):
        raise ValidationError({"agreement_signed_on": "The dates cannot be in the future."})
    arrests = [c.arrest_date for c in enrollment.charges.all() if c.arrest_date]
    with audited_write(actor):
        client_services.enrollment_admit(
            enrollment=enrollment,
            effective_date=entry_date,
            reason="Admitted: court order or plea and signed participation agreement.",
            entry_type=entry_type,
            actor=actor,
        )
        return Admission.objects.create(
            enrollment=enrollment,
            order_or_plea_date=order_or_plea_date,
            agreement_signed_on=agreement_signed_on,
            entry_date=entry_date,
            days_from_arrest=(entry_date - min(arrests)).days if arrests else None,
            days_from_referral=(entry_date - enrollment.referral_date).days,
            admitted_by=actor,
        )


# ---------------------------------------------------------------------------------------------
# Risk and need

INTENSITY_FIELDS = ("track", "court_every_weeks", "tests_per_week", "contacts_per_week")


@dataclass(frozen=True)
class Intensity:
    track: str
    court_every_weeks: int
    tests_per_week: int
    contacts_per_week: int

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in INTENSITY_FIELDS}


@dataclass(frozen=True)
class QuadrantResult:
    risk_score: int
    need_score: int
    quadrant: Quadrant
    recommended: Intensity


def quadrant_for(config: dict, risk_answers: dict[str, bool], need_answers: dict[str, bool]):
    """Counts the risk and need items answered yes; each is high from the program's
    threshold; the quadrant's recommendation comes from the program's settings."""
    risk_score = sum(bool(risk_answers.get(item)) for item in config["risk_items"])
    need_score = sum(bool(need_answers.get(item)) for item in config["need_items"])
    risk = "high" if risk_score >= config["risk_high_at"] else "low"
    need = "high" if need_score >= config["need_high_at"] else "low"
    quadrant = Quadrant(f"{risk}_{need}")
    return QuadrantResult(
        risk_score=risk_score,
        need_score=need_score,
        quadrant=quadrant,
        recommended=Intensity(**config["recommendations"][quadrant]),
    )


def settings_for(participant: Participant, day: datetime.date) -> ProgramSettings | None:
    """The settings of the participant's current program in force on `day` (the first
    version when the program's settings start later)."""
    enrollment = participant.enrollments.order_by("-referral_date", "-id").first()
    if enrollment is None:
        return None
    versions = ProgramSettings.objects.filter(program_id=enrollment.program_id)
    return (
        versions.filter(effective_from__lte=day).order_by("-effective_from").first()
        or versions.order_by("effective_from").first()
    )


def risk_need_config_for(participant: Participant, day: datetime.date) -> dict:
    version = settings_for(participant, day)
    return version.risk_need if version else default_risk_need()


def asam_program_rule_level(
    participant: Participant, day: datetime.date, edition: int, ratings: list[dict]
) -> str:
    """The level the program's own rule suggests from the highest rating ("" without a rule)."""
    version = settings_for(participant, day)
    levels = version.asam_rule.get(str(edition), {}) if version else {}
    return levels.get(str(max(r["rating"] for r in ratings)), "")


def _minimum_tests_per_week(participant: Participant, day: datetime.date) -> int:
    """The program minimum of tests a week that applies to the participant on `day`: none (0)
    in the last phase of the program."""
    version = settings_for(participant, day)
    if version is None:
        return DEFAULT_MINIMUM_TESTS_PER_WEEK
    enrollment = participant.enrollments.order_by("-referral_date", "-id").first()
    last_phase = version.phases.aggregate(last=Max("number"))["last"]
    if enrollment and enrollment.phase and last_phase and enrollment.phase >= last_phase:
        return 0
    return version.minimum_tests_per_week


def risk_need_record(
    *,
    participant: Participant,
    assessed_on: datetime.date,
    risk_answers: dict[str, bool],
    need_answers: dict[str, bool],
    accepted: Intensity,
    actor: User,
    override_reason: str = "",
    frequency_exception: str = "",
) -> RiskNeedAssessment:
    """Records the quadrant and the intensity the team accepts; departing from the quadrant's
    recommendation needs a reason, and testing less often than the program minimum before the
    last phase needs a documented exception (which then stands against the phase default)."""
    if not access.can_change(actor, participant, access.DataClass.ASSESSMENT_SUMMARY):
        raise ValidationError("You may not assess this participant.")
    _check_assessment_date(participant, assessed_on, field="assessed_on")
    result = quadrant_for(
        risk_need_config_for(participant, assessed_on), risk_answers, need_answers
    )
    if accepted != result.recommended and not override_reason.strip():
        raise ValidationError(
            {"override_reason": "Say why the team departs from the recommended intensity."}
        )
    if not 0 < accepted.tests_per_week <= 7 or accepted.court_every_weeks < 1:
        raise ValidationError(
            {"tests_per_week": "Tests per week run from 1 to 7, court from every week on."}
        )
    minimum = _minimum_tests_per_week(participant, assessed_on)
    exception = frequency_exception.strip() if accepted.tests_per_week < minimum else ""
    if accepted.tests_per_week < minimum and not exception:
        raise ValidationError(
            {
                "frequency_exception": (
                    f"{accepted.tests_per_week} a week is under the program minimum of "
                    f"{minimum} before the last phase: document why as an exception."
                )
            }
        )
    with audited_write(actor):
        return RiskNeedAssessment.objects.create(
            participant=participant,
            assessed_on=assessed_on,
            risk_answers=risk_answers,
            need_answers=need_answers,
            risk_score=result.risk_score,
            need_score=result.need_score,
            quadrant=result.quadrant,
            recommended=result.recommended.as_dict(),
            override_reason=override_reason.strip() if accepted != result.recommended else "",
            frequency_exception=exception,
            assessed_by=actor,
            **accepted.as_dict(),
        )


# ---------------------------------------------------------------------------------------------
# ASAM criteria and needs


def asam_record(
    *,
    participant: Participant,
    assessed_on: datetime.date,
    edition: int,
    ratings: list[dict],
    level_of_care: str,
    justification: str,
    actor: User,
) -> AsamAssessment:
    """The assessor's ASAM ratings and chosen level of care. The system never places: the
    official placement logic is licensed."""
    if not access.can_change(actor, participant, access.DataClass.ASSESSMENT_SUMMARY):
        raise ValidationError("You may not assess this participant.")
    _check_assessment_date(participant, assessed_on, field="assessed_on")
    errors = {}
    if len(ratings) != len(ASAM_DIMENSIONS[edition]) or any(
        r.get("rating") not in range(5) for r in ratings
    ):
        errors["ratings"] = "Rate every dimension from 0 to 4."
    if level_of_care not in ASAM_LEVELS[edition]:
        errors["level_of_care"] = "Choose a level of care of this edition."
    if not justification.strip():
        errors["justification"] = "Justify the level of care chosen."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        return AsamAssessment.objects.create(
            participant=participant,
            assessed_on=assessed_on,
            edition=edition,
            ratings=ratings,
            level_of_care=level_of_care,
            program_rule_level=asam_program_rule_level(participant, assessed_on, edition, ratings),
            justification=justification.strip(),
            assessed_by=actor,
        )


def need_record(
    *,
    participant: Participant,
    domain: str,
    priority: str,
    description: str,
    identified_on: datetime.date,
    actor: User,
) -> Need:
    if not access.can_change(actor, participant, access.DataClass.ASSESSMENT_SUMMARY):
        raise ValidationError("You may not record needs for this participant.")
    _check_assessment_date(participant, identified_on, field="identified_on")
    with audited_write(actor):
        lock(participant)  # one open need a domain: the same need sent twice is recorded once
        if participant.needs.filter(domain=domain, status=NeedStatus.OPEN).exists():
            raise ValidationError(
                {"domain": "This need is already open; change its priority there instead."}
            )
        return Need.objects.create(
            participant=participant,
            domain=domain,
            priority=priority,
            description=description.strip(),
            identified_on=identified_on,
            identified_by=actor,
        )
