"""Demo screenings, admissions and screens for `seed_demo`, after the clients demo has walked
the demo participants through their lifecycle (their statuses are left as they are).

Every demo enrollment gets an eligibility screening consistent with its history (none while
referred, "needs more information" in screening, not eligible when declined, eligible for
everyone ever admitted) and every admitted one its admission. Active, absconded and graduated
participants were given PHQ-9, GAD-7, AUDIT and DAST-10 at intake, and the active ones a PHQ-9
about monthly since: most improve, a few stay flat or have a recent setback. The latest screen
of one setback per case manager answered the self-harm item, with the safety step taken and
the urgent alert it raises.

Answers are drawn item by item from the stored definitions and scored by `scoring.score`.
Written in bulk (the services would re-walk the lifecycle), deterministic (a fixed random seed
for a given day) and idempotent (skipped once the demo enrollments have screenings)."""

import datetime
import itertools
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from clients import access
from clients import services as client_services
from clients.demo import CASE_PREFIX
from clients.models import (
    AlertSeverity,
    CaseAssignment,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    TeamRole,
)
from drugcourt.audit import audited_write
from drugcourt.models import Program, ProgramSettings, User

from . import scoring
from .models import (
    Administration,
    Admission,
    EligibilityScreening,
    InstrumentVersion,
    ScreeningDecision,
)

INTAKE_SCREENS = ("PHQ-9", "GAD-7", "AUDIT", "DAST-10")
FOLLOW_UP_SCREEN = "PHQ-9"
SCREENED_STATUSES = (
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.ABSCONDED,
    EnrollmentStatus.GRADUATED,
)
DUI_STATUTE = "625 ILCS 5/11-501"

SCREENED_AFTER_REFERRAL_DAYS = (2, 7)
INTAKE_AFTER_ENTRY_DAYS = (2, 7)
FOLLOW_UP_EVERY_DAYS = (26, 34)
PLEA_BEFORE_AGREEMENT_DAYS = (0, 3)

# Intake totals (lowest, highest): the DUI participants drink more and use other drugs less.
INTAKE_TOTALS = {
    "PHQ-9": (6, 19),
    "GAD-7": (4, 15),
    "AUDIT": (1, 12),
    "DAST-10": (4, 9),
}
DUI_INTAKE_TOTALS = {"AUDIT": (16, 28), "DAST-10": (1, 4)}

# The PHQ-9 trend of the active participants, in turn by case number: mostly improving.
IMPROVING, FLAT, SETBACK = "improving", "flat", "setback"
TRENDS = (IMPROVING, IMPROVING, IMPROVING, SETBACK, IMPROVING, IMPROVING, FLAT, IMPROVING)
SETBACK_SCREENS = 3  # the latest screens of a setback rise
# Each case manager's first setback answered the self-harm item at the latest screen; the
# immediate step the case manager took, in turn:
SAFETY_ACTIONS = (
    "Asked directly: passive thoughts, no plan or intent. Stayed with the participant, called "
    "the Harbor Light on-call clinician together and reviewed the safety plan; clinician "
    "appointment set for tomorrow morning.",
    "No current plan; some intent last week after a family argument. Called the 988 crisis line "
    "together and arranged a same-day emergency evaluation at Lakeview General; the sister "
    "drove the participant there.",
)

NEEDS_INFORMATION = (
    # (reason, which legal criterion is not confirmed yet, SUD indicated so far)
    ("Waiting for the criminal history report from the Illinois State Police.", 1, True),
    ("Waiting for proof of residence (lease or utility bill).", 2, True),
    ("Waiting for the clinical assessment from Harbor Light.", None, False),
)
ELIGIBLE_REASONS = (
    "Meets the legal criteria; the clinical assessment found a severe substance use disorder "
    "and an IOP slot is open at Harbor Light.",
    "Meets the legal criteria; moderate substance use disorder, outpatient level of care "
    "available.",
    "Eligible charge, no disqualifying record, lives in the county; assessment supports IOP.",
)


@dataclass(frozen=True)
class DemoEnrollment:
    enrollment: Enrollment
    manager: User
    decline: EnrollmentStatusChange | None  # the move to declined, if any
    screens_until: datetime.date  # the last day screens were given (exit, absconding or today)

    @property
    def participant_id(self) -> int:
        return self.enrollment.participant_id


@transaction.atomic
def seed_demo_assessments(program: Program, staff: dict[str, User]) -> None:
    enrollments = Enrollment.objects.filter(program=program, case_number__startswith=CASE_PREFIX)
    if (
        not enrollments.exists()
        or EligibilityScreening.objects.filter(enrollment__in=enrollments).exists()
    ):
        return
    rng = random.Random(2028)  # noqa: S311  (demo data, not security)
    today = timezone.localdate(timezone=program.zone)
    cases = _demo_enrollments(enrollments, today)
    settings_versions = list(
        ProgramSettings.objects.filter(program=program).order_by("effective_from")
    )
    versions = {
        version.instrument.code: version
        for version in InstrumentVersion.objects.filter(
            instrument__program=None, instrument__code__in=INTAKE_SCREENS, version=1
        ).select_related("instrument")
    }
    trends = itertools.cycle(TRENDS)
    managers = dict.fromkeys(case.manager for case in cases)
    for manager, safety_action in zip(managers, itertools.cycle(SAFETY_ACTIONS), strict=False):
        safety_actions = [safety_action]
        caseload = [case for case in cases if case.manager == manager]
        screenings, admissions, administrations = [], [], []
        for case in caseload:
            screening = _screening(case, settings_versions, today, rng)
            if screening is None:
                continue
            screenings.append(screening)
            if case.enrollment.entry_date is None:
                continue
            admissions.append(_admission(case, screening.screened_on, rng))
            if case.enrollment.status in SCREENED_STATUSES:
                trend = next(trends) if case.enrollment.status == EnrollmentStatus.ACTIVE else None
                administrations += _administrations(
                    case, versions, trend, safety_actions, today, rng
                )
        with audited_write(manager):
            EligibilityScreening.objects.bulk_create(screenings)
            Admission.objects.bulk_create(admissions)
            Administration.objects.bulk_create(administrations)
            for administration in administrations:
                if administration.safety_action:
                    _raise_safety_alert(administration, manager)


def _demo_enrollments(enrollments, today: datetime.date) -> list[DemoEnrollment]:
    managers = {
        assignment.participant_id: assignment.user
        for assignment in CaseAssignment.objects.filter(
            participant__in=enrollments.values("participant"),
            team_role=TeamRole.CASE_MANAGER,
            ended_on=None,
        ).select_related("user")
    }
    absconded_on = dict(
        EnrollmentStatusChange.objects.filter(
            enrollment__in=enrollments.filter(status=EnrollmentStatus.ABSCONDED),
            to_status=EnrollmentStatus.ABSCONDED,
        ).values_list("enrollment", "effective_date")
    )
    declines = {
        change.enrollment_id: change
        for change in EnrollmentStatusChange.objects.filter(
            enrollment__in=enrollments, to_status=EnrollmentStatus.DECLINED
        )
    }
    return [
        DemoEnrollment(
            enrollment=enrollment,
            manager=managers[enrollment.participant_id],
            decline=declines.get(enrollment.pk),
            screens_until=min(
                absconded_on.get(enrollment.pk) or enrollment.exit_date or today, today
            ),
        )
        for enrollment in enrollments.prefetch_related("charges").order_by("case_number")
    ]


def _legal_criteria(settings_versions: list[ProgramSettings], day: datetime.date) -> list[str]:
    """The checklist of the settings in force on `day` (as program_settings_in_force picks it);
    the demo program was created today, so older days take its first settings."""
    in_force = [version for version in settings_versions if version.effective_from <= day]
    return list((in_force[-1] if in_force else settings_versions[0]).legal_criteria)


# Screenings and admissions


def _screening(
    case: DemoEnrollment,
    settings_versions: list[ProgramSettings],
    today: datetime.date,
    rng: random.Random,
) -> EligibilityScreening | None:
    """The screening its history implies, answering the checklist in force on its day."""
    enrollment = case.enrollment
    screening = EligibilityScreening(
        enrollment=enrollment,
        substance_use_disorder_indicated=True,
        level_of_care_available=True,
        decided_by=case.manager,
    )
    unmet = set()
    if enrollment.entry_date is not None:
        screened = enrollment.referral_date + _days(rng, SCREENED_AFTER_REFERRAL_DAYS)
        screening.screened_on = min(screened, enrollment.entry_date)
        screening.decision = ScreeningDecision.ELIGIBLE
        screening.reason = rng.choice(ELIGIBLE_REASONS)
        criteria = _legal_criteria(settings_versions, screening.screened_on)
    elif case.decline is not None:
        # Declined on the day of the decision, for the reason its status history gives.
        screening.screened_on = case.decline.effective_date
        screening.decision = ScreeningDecision.NOT_ELIGIBLE
        screening.reason = _decline_reason(case.decline.reason)
        criteria = _legal_criteria(settings_versions, screening.screened_on)
        unmet = {c for c in criteria if "disqualif" in c.lower()} or set(criteria[-1:])
    elif enrollment.status == EnrollmentStatus.SCREENING:
        reason, pending, indicated = rng.choice(NEEDS_INFORMATION)
        screened = enrollment.referral_date + _days(rng, SCREENED_AFTER_REFERRAL_DAYS)
        screening.screened_on = min(screened, today)
        screening.decision = ScreeningDecision.NEEDS_INFORMATION
        screening.reason = reason
        screening.substance_use_disorder_indicated = indicated
        criteria = _legal_criteria(settings_versions, screening.screened_on)
        unmet = {criteria[pending]} if pending is not None and pending < len(criteria) else set()
    else:
        return None  # referred, not screened yet
    screening.legal_criteria = {criterion: criterion not in unmet for criterion in criteria}
    return screening


def _decline_reason(status_reason: str) -> str:
    """The status history's reason after its label: "Not legally eligible: disqualifying prior
    offense." gives "Disqualifying prior offense."."""
    reason = status_reason.split(": ", 1)[-1].strip()
    return reason[:1].upper() + reason[1:]


def _admission(case: DemoEnrollment, screened_on: datetime.date, rng: random.Random) -> Admission:
    """The later of the plea (or order) and the signed agreement is the enrollment's entry."""
    enrollment = case.enrollment
    entry = enrollment.entry_date
    earlier = max(screened_on, entry - _days(rng, PLEA_BEFORE_AGREEMENT_DAYS))
    plea, signed = (earlier, entry) if rng.random() < 0.7 else (entry, earlier)
    arrests = [charge.arrest_date for charge in enrollment.charges.all() if charge.arrest_date]
    return Admission(
        enrollment=enrollment,
        order_or_plea_date=plea,
        agreement_signed_on=signed,
        entry_date=max(plea, signed),
        days_from_arrest=(entry - min(arrests)).days if arrests else None,
        days_from_referral=(entry - enrollment.referral_date).days,
        admitted_by=case.manager,
    )


# Screens


def _administrations(
    case: DemoEnrollment,
    versions: dict[str, InstrumentVersion],
    trend: str | None,
    safety_actions: list[str],
    today: datetime.date,
    rng: random.Random,
) -> list[Administration]:
    enrollment = case.enrollment
    intake = min(enrollment.entry_date + _days(rng, INTAKE_AFTER_ENTRY_DAYS), case.screens_until)
    is_dui = any(charge.statute == DUI_STATUTE for charge in enrollment.charges.all())
    totals = {**INTAKE_TOTALS, **(DUI_INTAKE_TOTALS if is_dui else {})}
    targets = {code: rng.randint(*totals[code]) for code in INTAKE_SCREENS}
    rows = [
        _administration(case, versions[code], intake, targets[code], rng) for code in INTAKE_SCREENS
    ]
    if trend is None:
        return rows
    days = []
    day = intake + _days(rng, FOLLOW_UP_EVERY_DAYS)
    while day <= min(case.screens_until, today):
        days.append(day)
        day += _days(rng, FOLLOW_UP_EVERY_DAYS)
    follow_ups = _phq9_trend(trend, targets[FOLLOW_UP_SCREEN], len(days), rng)
    safety = trend == SETBACK and bool(days) and bool(safety_actions)
    for number, (day, target) in enumerate(zip(days, follow_ups, strict=True), start=1):
        action = safety_actions.pop(0) if safety and number == len(days) else ""
        rows.append(_administration(case, versions[FOLLOW_UP_SCREEN], day, target, rng, action))
    return rows


def _phq9_trend(trend: str, intake: int, count: int, rng: random.Random) -> list[int]:
    """Monthly totals after intake: improving to a floor, flat around intake, or a setback
    (improving, then rising over the latest screens)."""
    floor = rng.randint(1, 5)
    level, totals = float(intake), []
    for number in range(count):
        if trend == FLAT:
            level = intake
        elif trend == SETBACK and number >= count - SETBACK_SCREENS:
            level = max(level, 6) + rng.uniform(2, 4)
        else:
            level = max(floor, level - rng.uniform(1, 3))
        totals.append(min(22, max(0, round(level) + rng.randint(-1, 1))))
    return totals


def _administration(
    case: DemoEnrollment,
    version: InstrumentVersion,
    day: datetime.date,
    target: int,
    rng: random.Random,
    safety_action: str = "",
) -> Administration:
    definition = version.definition
    answers = _answers(definition, target, rng, safety=bool(safety_action))
    result = scoring.score(definition, answers)
    return Administration(
        participant_id=case.participant_id,
        instrument_version=version,
        administered_on=day,
        administered_by=case.manager,
        answers=answers,
        total_score=result.total,
        band=result.band,
        safety_action=safety_action,
    )


def _answers(definition: dict, target: int, rng: random.Random, *, safety: bool) -> dict:
    """Answers ({item key: option value}) whose total comes as close to `target` as the options
    allow: every scored item starts at its lowest option and random items step up one option at
    a time. A safety item stays at or below its threshold unless `safety` asks for it above."""
    items = definition["items"]
    levels = {
        item["key"]: sorted({option["score"] for option in scoring.item_options(definition, item)})
        for item in items
    }
    step = dict.fromkeys(levels, 0)
    for item in items:
        if safety and item.get("safety"):
            above = item["safety"]["above"]
            step[item["key"]] = next(
                n for n, level in enumerate(levels[item["key"]]) if level > above
            )
    scored = [item["key"] for item in items if item.get("scored", True)]
    free = [item["key"] for item in items if item.get("scored", True) and not item.get("safety")]
    total = sum(levels[key][step[key]] for key in scored)
    while True:
        steps = [
            key
            for key in free
            if step[key] + 1 < len(levels[key])
            and total + levels[key][step[key] + 1] - levels[key][step[key]] <= target
        ]
        if not steps:
            break
        key = rng.choice(steps)
        total += levels[key][step[key] + 1] - levels[key][step[key]]
        step[key] += 1
    share = total / (scoring.max_score(definition) or 1)
    for item in items:
        if not item.get("scored", True):  # e.g. PHQ-9's "how difficult": follows the severity
            top = len(levels[item["key"]]) - 1
            step[item["key"]] = min(top, max(0, round(share * top * 1.5) + rng.randint(-1, 0)))
    return {
        item["key"]: next(
            option["value"]
            for option in scoring.item_options(definition, item)
            if option["score"] == levels[item["key"]][step[item["key"]]]
        )
        for item in items
    }


def _raise_safety_alert(administration: Administration, manager: User) -> None:
    """As assessments.services._raise_safety_alerts does, for the one case manager."""
    version = administration.instrument_version
    items = scoring.score(version.definition, administration.answers).safety_items
    client_services.alert_raise(
        participant=administration.participant,
        kind="safety_item",
        source_key=f"administration:{administration.pk}:{manager.pk}",
        data_class=access.DataClass.ASSESSMENT_DETAIL,
        severity=AlertSeverity.URGENT,
        message=f"{version.instrument.code} item {', '.join(items)} needs follow-up: "
        f"{administration.safety_action[:150]}",
        assigned_to=manager,
    )


def _days(rng: random.Random, bounds: tuple[int, int]) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(*bounds))
