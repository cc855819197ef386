"""Demo screenings, admissions and screens for `seed_demo`, after the clients demo has walked
the demo participants through their lifecycle (their statuses are left as they are).

Every demo enrollment gets an eligibility screening consistent with its history (none while
referred, "needs more information" in screening, not eligible when declined, eligible for
everyone ever admitted) and every admitted one its admission. Active, absconded and graduated
participants were given PHQ-9, GAD-7, AUDIT and DAST-10 at intake, and the active ones a PHQ-9
about monthly since: most improve, a few stay flat or have a recent setback. The latest screen
of one setback per case manager answered the self-harm item, with the safety step taken and
the urgent alert it raises.

Everyone admitted was also assessed in the week after entry: a risk and need assessment (most
high risk / high need, as drug courts target; the quadrant and its recommendation computed by
`services.quadrant_for`; a few overrides, each with its reason), an ASAM assessment (mostly the
3rd edition) whose level of care fits its ratings, and one to three open needs that fit the
participant's life domains (housing when homeless, employment when out of work).

Answers are drawn item by item from the stored definitions and scored by `scoring.score`.
Written in bulk (the services would re-walk the lifecycle), deterministic (a fixed random seed
for a given day) and idempotent: screenings, admissions and screens are skipped once the demo
enrollments have screenings, the assessments once the admitted ones have a risk and need
assessment (so a database seeded before the assessments existed gets them)."""

import datetime
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import transaction

from clients import access
from clients import services as client_services
from clients.demo import CASE_PREFIX, demo_case_managers
from clients.models import (
    AlertSeverity,
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    LifeDomain,
    LifeDomainRecord,
)
from drugcourt.audit import audited_write
from drugcourt.models import Program, ProgramSettings, User
from drugcourt.selectors import program_today

from . import scoring
from .models import (
    ASAM_DIMENSIONS,
    Administration,
    Admission,
    AsamAssessment,
    AsamEdition,
    EligibilityScreening,
    InstrumentVersion,
    Need,
    NeedDomain,
    NeedPriority,
    NeedStatus,
    Quadrant,
    RiskNeedAssessment,
    ScreeningDecision,
)
from .services import Intensity, asam_program_rule_level, quadrant_for, risk_need_config_for

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


# Risk and need, ASAM and needs: assessed within a week of entry.
ASSESSED_AFTER_ENTRY_DAYS = (0, 7)
HH, HL, LH, LL = Quadrant.HIGH_HIGH, Quadrant.HIGH_LOW, Quadrant.LOW_HIGH, Quadrant.LOW_LOW
# The quadrant each admitted participant's answers aim at, in turn by case number: drug courts
# target high risk / high need, and a few others were admitted.
QUADRANT_TURNS = (
    *(HH, HH, HH, LH, HH, HH, HH, HL, HH, HH, HH, HH),
    *(LH, HH, HH, HH, HH, HH, HL, HH, HH, HH, LL, HH),
)
UNSTABLE_HOUSING = ("homeless", "shelter", "temporary")
WORKING = ("full_time", "part_time")
NO_STABLE_RESIDENCE = "No stable residence"  # a default risk item the housing record answers
CO_OCCURRING = "Co-occurring mental health symptoms"  # a default need item
ASAM_FOURTH_EVERY = 6  # every sixth admitted participant was assessed with the 4th edition


@dataclass(frozen=True)
class Override:
    """A departure from the recommended intensity some team agreed, and for whom it fits."""

    reason: str  # formatted with the accepted intensity's fields
    fits: Callable[[RiskNeedAssessment, dict[str, str]], bool]  # (assessment, life domains)
    change: Callable[[Intensity], Intensity]


OVERRIDES = (
    Override(
        "Works night shifts; tests moved to {tests_per_week} a week.",
        lambda assessment, situation: situation.get(LifeDomain.EMPLOYMENT) in WORKING,
        lambda intensity: replace(intensity, tests_per_week=max(1, intensity.tests_per_week - 1)),
    ),
    Override(
        "Missed two court dates on the original charge; status hearings every week until phase 2.",
        lambda assessment, situation: assessment.quadrant == HH,
        lambda intensity: replace(intensity, court_every_weeks=1),
    ),
    Override(
        "Overdosed two months before the arrest; tests raised to {tests_per_week} a week.",
        lambda assessment, situation: assessment.quadrant == LH,
        lambda intensity: replace(intensity, tests_per_week=min(7, intensity.tests_per_week + 1)),
    ),
)

WITHDRAWAL, BIOMEDICAL, PSYCHIATRIC, READINESS, RELAPSE, ENVIRONMENT = range(6)
# ASAM ratings (0-4) are drawn with these weights per concept, in the 3rd edition's dimension
# order: withdrawal, biomedical, emotional/psychiatric, readiness (the 4th edition's
# person-centered considerations), relapse (substance use-related risks), environment.
ASAM_WEIGHTS = {
    "high": (
        (4, 4, 2, 0, 0),
        (6, 3, 1, 0, 0),
        (2, 3, 4, 2, 0),
        (1, 3, 4, 2, 0),
        (0, 1, 4, 5, 1),
        (1, 3, 4, 2, 0),
    ),
    "low": (
        (7, 3, 0, 0, 0),
        (7, 3, 0, 0, 0),
        (4, 4, 2, 0, 0),
        (3, 5, 2, 0, 0),
        (1, 5, 4, 0, 0),
        (3, 5, 2, 0, 0),
    ),
}
# The concept of each dimension of an edition.
ASAM_CONCEPTS = {
    AsamEdition.THIRD: (WITHDRAWAL, BIOMEDICAL, PSYCHIATRIC, READINESS, RELAPSE, ENVIRONMENT),
    AsamEdition.FOURTH: (WITHDRAWAL, BIOMEDICAL, PSYCHIATRIC, RELAPSE, ENVIRONMENT, READINESS),
}
# The least the environment rating is for a housing status.
HOUSING_ENVIRONMENT = {"homeless": 3, "shelter": 2, "temporary": 2}
# Notes for a rating of 2 or more, per concept (readiness per edition).
ASAM_NOTES: dict[object, tuple[str, ...]] = {
    WITHDRAWAL: (
        "Daily use until the arrest; sweats and poor sleep the first days in custody.",
        "Heavy daily drinking; tremor on the morning of the assessment.",
        "Interested in medication for opioid use disorder; referred to the Harbor Light "
        "prescriber.",
    ),
    BIOMEDICAL: (
        "Untreated hepatitis C; referred to the county health clinic.",
        "High blood pressure and no primary care doctor.",
    ),
    PSYCHIATRIC: (
        "Low mood and poor sleep since the arrest.",
        "Panic attacks since a car crash; no current treatment.",
        "Past PTSD diagnosis; stopped medication a year ago.",
    ),
    (READINESS, AsamEdition.THIRD): (
        "Ambivalent; says the court is the main reason to be here.",
        "Wants to stop drinking but not other use yet.",
    ),
    (READINESS, AsamEdition.FOURTH): (
        "Worried about keeping the job; asks for evening groups.",
        "Wants help getting visits with the children back.",
    ),
    RELAPSE: (
        "Relapsed within a month of the last treatment; few coping skills.",
        "Daily cravings; uses when stressed at work.",
        "Two prior treatment episodes, each followed by relapse.",
    ),
    ENVIRONMENT: (
        "Lives with a partner who still uses.",
        "Most friends still use; no sober supports yet.",
    ),
    "homeless": ("Homeless; sleeping in a car or outside.",),
    "shelter": ("At the Lakeview Mission shelter; several residents use.",),
    "temporary": ("Staying on a relative's couch; the stay ends soon.",),
}
# The levels of care the demo assessors chose, per edition: (level, description).
LEVELS_OF_CARE = {
    "outpatient": {3: ("1", "outpatient services"), 4: ("1.5", "outpatient therapy")},
    "intensive": {3: ("2.1", "intensive outpatient"), 4: ("2.1", "intensive outpatient")},
    "high": {3: ("2.5", "partial hospitalization"), 4: ("2.5", "high-intensity outpatient")},
    "low_residential": {
        3: ("3.1", "clinically managed low-intensity residential"),
        4: ("3.1", "clinically managed low-intensity residential"),
    },
    "residential": {
        3: ("3.5", "clinically managed high-intensity residential"),
        4: ("3.5", "clinically managed high-intensity residential"),
    },
    "medical": {
        3: ("3.7", "medically monitored intensive inpatient"),
        4: ("3.7", "medically managed residential"),
    },
}
RISK_WORDS = ("no", "mild", "moderate", "significant", "severe")

# Needs that fit a life-domain status or a need answer: (domain, priority, description).
HIGH, MEDIUM, LOW = NeedPriority.HIGH, NeedPriority.MEDIUM, NeedPriority.LOW
HOUSING_NEEDS = {
    "homeless": (
        NeedDomain.HOUSING,
        HIGH,
        "Homeless; needs a shelter bed now, then a recovery residence.",
    ),
    "shelter": (
        NeedDomain.HOUSING,
        HIGH,
        "At the shelter; on the waiting list for a recovery residence.",
    ),
    "temporary": (
        NeedDomain.HOUSING,
        MEDIUM,
        "Staying with family short-term; needs a place of their own.",
    ),
}
EMPLOYMENT_NEEDS = {
    "unemployed_seeking": (
        NeedDomain.EMPLOYMENT,
        MEDIUM,
        "Out of work and looking; referral to the county workforce center.",
    ),
    "unemployed_not_seeking": (
        NeedDomain.EMPLOYMENT,
        LOW,
        "Not working or looking; job readiness once settled in treatment.",
    ),
    "unable": (
        NeedDomain.BENEFITS,
        MEDIUM,
        "Unable to work; help applying for disability benefits.",
    ),
}
TRANSPORTATION_NEEDS = {
    "none": (
        NeedDomain.TRANSPORTATION,
        MEDIUM,
        "No reliable way to treatment and testing; needs a bus pass.",
    ),
    "rides": (NeedDomain.TRANSPORTATION, LOW, "Depends on rides from family to get to testing."),
}
EDUCATION_NEEDS = {
    "not_enrolled": (
        NeedDomain.EDUCATION,
        LOW,
        "Not in school; interested in a job-training certificate.",
    ),
}
MENTAL_HEALTH_NEED = (
    NeedDomain.MENTAL_HEALTH,
    HIGH,
    "Co-occurring depression and anxiety; needs a psychiatric evaluation.",
)
OTHER_NEEDS = (
    (NeedDomain.BENEFITS, MEDIUM, "No health insurance; apply for Medicaid to cover treatment."),
    (NeedDomain.LEGAL, LOW, "Driver's license suspended; unpaid fines to resolve."),
    (NeedDomain.MEDICAL, MEDIUM, "No primary care doctor; overdue dental care."),
    (
        NeedDomain.FAMILY,
        MEDIUM,
        "Strained relationship with parents; a family session is requested.",
    ),
    (NeedDomain.CHILDCARE, HIGH, "Two young children; needs childcare during IOP groups."),
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
    if not enrollments.exists():
        return
    admitted = Admission.objects.filter(enrollment__in=enrollments)
    screened = EligibilityScreening.objects.filter(enrollment__in=enrollments).exists()
    assessed = RiskNeedAssessment.objects.filter(
        participant__in=admitted.values("enrollment__participant")
    ).exists()
    if screened and assessed:
        return
    today = program_today(program)
    cases = _demo_enrollments(enrollments, today)
    if not screened:
        _seed_screenings_and_screens(program, cases, today)
    if not assessed:
        _seed_assessments(cases, admitted, today)


def _seed_screenings_and_screens(
    program: Program, cases: list[DemoEnrollment], today: datetime.date
) -> None:
    rng = random.Random(2028)  # noqa: S311  (demo data, not security)
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
    managers = demo_case_managers(enrollments.values("participant"))
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
        for enrollment in enrollments.select_related("participant")
        .prefetch_related("charges")
        .order_by("case_number")
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


# Risk and need, ASAM and needs


def _seed_assessments(cases: list[DemoEnrollment], admitted, today: datetime.date) -> None:
    rng = random.Random(2029)  # noqa: S311  (demo data, not security)
    entries = dict(admitted.values_list("enrollment", "entry_date"))
    cases = [case for case in cases if case.enrollment.pk in entries]
    histories = _life_domain_histories(cases)
    turns = itertools.cycle(QUADRANT_TURNS)
    assessments, situations, asams, needs = [], [], [], []
    for number, case in enumerate(cases, start=1):
        entry = entries[case.enrollment.pk]
        latest = min(max(entry, case.screens_until), today)
        day = min(entry + _days(rng, ASSESSED_AFTER_ENTRY_DAYS), latest)
        situation = _situation_on(histories.get(case.participant_id, {}), day)
        config = risk_need_config_for(case.enrollment.participant, day)
        assessment = _risk_need(case, day, config, next(turns), situation, rng)
        assessments.append(assessment)
        situations.append(situation)
        edition = AsamEdition.FOURTH if number % ASAM_FOURTH_EVERY == 0 else AsamEdition.THIRD
        need_high = assessment.quadrant in (HH, LH)
        asams.append(_asam(case, day, edition, need_high, situation, rng))
        needs += _needs(case, day, assessment.need_answers, situation, rng)
    _override(assessments, situations, rng)
    for manager in dict.fromkeys(case.manager for case in cases):
        with audited_write(manager):
            RiskNeedAssessment.objects.bulk_create(
                row for row in assessments if row.assessed_by == manager
            )
            AsamAssessment.objects.bulk_create(row for row in asams if row.assessed_by == manager)
            Need.objects.bulk_create(row for row in needs if row.identified_by == manager)


def _life_domain_histories(cases: list[DemoEnrollment]) -> dict[int, dict[str, list]]:
    """{participant: {domain: [(effective from, status)] oldest first}}."""
    histories: dict[int, dict[str, list]] = {}
    records = LifeDomainRecord.objects.filter(
        participant__in=[case.participant_id for case in cases]
    ).order_by("effective_from", "id")
    for participant, domain, day, status in records.values_list(
        "participant", "domain", "effective_from", "status"
    ):
        histories.setdefault(participant, {}).setdefault(domain, []).append((day, status))
    return histories


def _situation_on(history: dict[str, list], day: datetime.date) -> dict[str, str]:
    """Each domain's status on `day` (the first one recorded when all are later)."""
    return {
        domain: [status for since, status in steps if since <= day or since == steps[0][0]][-1]
        for domain, steps in history.items()
    }


def _risk_need(
    case: DemoEnrollment,
    day: datetime.date,
    config: dict,
    aim: Quadrant,
    situation: dict[str, str],
    rng: random.Random,
) -> RiskNeedAssessment:
    """Answers aiming at the quadrant `aim`, scored as services.risk_need_record scores them;
    the team accepts the recommendation (overrides come later)."""
    risk, need = aim.split("_")
    facts = {NO_STABLE_RESIDENCE: situation.get(LifeDomain.HOUSING) in UNSTABLE_HOUSING}
    risk_answers = _yes_no(config["risk_items"], config["risk_high_at"], risk == "high", facts, rng)
    need_answers = _yes_no(config["need_items"], config["need_high_at"], need == "high", {}, rng)
    result = quadrant_for(config, risk_answers, need_answers)
    return RiskNeedAssessment(
        participant_id=case.participant_id,
        assessed_on=day,
        risk_answers=risk_answers,
        need_answers=need_answers,
        risk_score=result.risk_score,
        need_score=result.need_score,
        quadrant=result.quadrant,
        recommended=result.recommended.as_dict(),
        override_reason="",
        assessed_by=case.manager,
        **result.recommended.as_dict(),
    )


def _yes_no(
    items: list[str], high_at: int, high: bool, facts: dict[str, bool], rng: random.Random
) -> dict[str, bool]:
    """Yes to enough items to be high (or too few), preferring the items the facts confirm and
    leaving the ones they contradict for last."""
    if high:
        count = rng.randint(min(high_at, len(items)), len(items))
    else:
        count = rng.randint(0, max(0, min(high_at - 1, len(items))))
    confirmed = [item for item in items if facts.get(item) is True]
    contradicted = [item for item in items if facts.get(item) is False]
    others = [item for item in items if item not in facts]
    for group in (confirmed, others, contradicted):
        rng.shuffle(group)
    yes = set((confirmed + others + contradicted)[:count])
    return {item: item in yes for item in items}


def _override(
    assessments: list[RiskNeedAssessment], situations: list[dict[str, str]], rng: random.Random
) -> None:
    """Each override goes to one assessment it fits (in a shuffled order), with its reason."""
    order = list(zip(assessments, situations, strict=True))
    rng.shuffle(order)
    for override in OVERRIDES:
        for assessment, situation in order:
            if assessment.override_reason or not override.fits(assessment, situation):
                continue
            recommended = Intensity(**assessment.recommended)
            accepted = override.change(recommended)
            if accepted == recommended:
                continue
            for name, value in accepted.as_dict().items():
                setattr(assessment, name, value)
            assessment.override_reason = override.reason.format(**accepted.as_dict())
            break


def _asam(
    case: DemoEnrollment,
    day: datetime.date,
    edition: AsamEdition,
    need_high: bool,
    situation: dict[str, str],
    rng: random.Random,
) -> AsamAssessment:
    """Ratings drawn by concept (the recovery environment follows the housing record), with a
    note for each rated 2 or more, and the level of care that fits them (the assessor's choice;
    the program's own rule, if it has one, is only recorded beside it)."""
    weights = ASAM_WEIGHTS["high" if need_high else "low"]
    housing = situation.get(LifeDomain.HOUSING, "")
    concepts = [rng.choices(range(5), weights=weights[concept])[0] for concept in range(6)]
    concepts[ENVIRONMENT] = max(concepts[ENVIRONMENT], HOUSING_ENVIRONMENT.get(housing, 0))
    ratings = []
    for concept in ASAM_CONCEPTS[edition]:
        rating = concepts[concept]
        notes = ""
        if rating >= 2:
            key: object = (concept, edition) if concept == READINESS else concept
            if concept == ENVIRONMENT and housing in HOUSING_ENVIRONMENT:
                key = housing
            notes = rng.choice(ASAM_NOTES[key])
        ratings.append({"rating": rating, "notes": notes})
    level, description = LEVELS_OF_CARE[_care(concepts)][edition]
    return AsamAssessment(
        participant_id=case.participant_id,
        assessed_on=day,
        edition=edition,
        ratings=ratings,
        level_of_care=level,
        # As services.asam_record stores it ("" while the program has no rule).
        program_rule_level=asam_program_rule_level(
            case.enrollment.participant, day, edition, ratings
        ),
        justification=_justification(edition, ratings, level, description),
        assessed_by=case.manager,
    )


def _care(concepts: list[int]) -> str:
    """The kind of care the ratings call for: residential when a rating is severe (medical
    when it is withdrawal or biomedical), low-intensity residential when relapse risk and the
    environment are both significant, otherwise outpatient of rising intensity."""
    top = max(concepts)
    if top >= 4:
        return "medical" if max(concepts[WITHDRAWAL], concepts[BIOMEDICAL]) >= 4 else "residential"
    if concepts[RELAPSE] >= 3 and concepts[ENVIRONMENT] >= 3:
        return "low_residential"
    if sum(rating >= 3 for rating in concepts) >= 3:
        return "high"
    if top == 3 or sum(rating >= 2 for rating in concepts) >= 3:
        return "intensive"
    return "outpatient"


def _justification(edition: int, ratings: list[dict], level: str, description: str) -> str:
    top = max(rating["rating"] for rating in ratings)
    highest = [
        dimension[:1].lower() + dimension[1:]
        for dimension, rating in zip(ASAM_DIMENSIONS[edition], ratings, strict=True)
        if rating["rating"] == top
    ]
    where = (
        "; a slot is open at Harbor Light"
        if level in ("1", "1.5", "2.1", "2.5")
        else "; a bed is available"
    )
    if top <= 1:
        return f"Level {level} ({description}) fits mild risk at most in every dimension{where}."
    return (
        f"Level {level} ({description}) fits {RISK_WORDS[top]} risk in "
        f"{' and '.join(highest[:2])}{where}."
    )


def _needs(
    case: DemoEnrollment,
    day: datetime.date,
    need_answers: dict[str, bool],
    situation: dict[str, str],
    rng: random.Random,
) -> list[Need]:
    """One to three open needs in distinct domains: housing and mental health first when they
    fit, then the others that fit the life domains, then common ones."""
    first = [HOUSING_NEEDS.get(situation.get(LifeDomain.HOUSING, ""))]
    if need_answers.get(CO_OCCURRING):
        first.append(MENTAL_HEALTH_NEED)
    fitting = [
        EMPLOYMENT_NEEDS.get(situation.get(LifeDomain.EMPLOYMENT, "")),
        TRANSPORTATION_NEEDS.get(situation.get(LifeDomain.TRANSPORTATION, "")),
        EDUCATION_NEEDS.get(situation.get(LifeDomain.EDUCATION, "")),
    ]
    rng.shuffle(fitting)
    others = list(OTHER_NEEDS)
    rng.shuffle(others)
    chosen: dict[str, tuple] = {}
    for need in [*first, *fitting, *others]:
        if need is not None and need[0] not in chosen:
            chosen[need[0]] = need
    return [
        Need(
            participant_id=case.participant_id,
            domain=domain,
            priority=priority,
            description=description,
            identified_on=day,
            identified_by=case.manager,
            status=NeedStatus.OPEN,
        )
        for domain, priority, description in list(chosen.values())[: rng.randint(1, 3)]
    ]


def _days(rng: random.Random, bounds: tuple[int, int]) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(*bounds))
