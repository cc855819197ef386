"""Reads of screenings, admissions, instruments and administrations."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from clients import access
from clients.access import DataClass
from clients.models import Enrollment, Participant
from clients.selectors import EnrollmentDates, latest_enrollment_visible
from drugcourt.models import Program

from .models import (
    Administration,
    Admission,
    AsamAssessment,
    EligibilityScreening,
    Instrument,
    InstrumentVersion,
    Need,
    NeedStatus,
    RiskNeedAssessment,
    ScreeningDecision,
)
from .scoring import item_options


def screenings_of(enrollment: Enrollment) -> QuerySet[EligibilityScreening]:
    return enrollment.screenings.select_related("decided_by")


def instrument_versions_for(participant: Participant) -> QuerySet[InstrumentVersion]:
    """The latest version of each active screen the participant's programs may use: the
    standard ones and their programs' own."""
    programs = Enrollment.objects.filter(participant=participant).values("program")
    latest = (
        InstrumentVersion.objects.filter(instrument=OuterRef("instrument"))
        .order_by("-version")
        .values("pk")[:1]
    )
    return (
        InstrumentVersion.objects.filter(
            Q(instrument__program=None) | Q(instrument__program__in=programs),
            instrument__is_active=True,
            pk=Subquery(latest),
        )
        .select_related("instrument")
        .order_by("instrument__code")
    )


def administrations_of(participant: Participant) -> QuerySet[Administration]:
    return participant.administrations.select_related(
        "instrument_version__instrument", "administered_by"
    ).order_by("-administered_on", "-pk")


def latest_results(participant: Participant) -> QuerySet[Administration]:
    """The most recent administration of each instrument (for the participant page)."""
    return (
        participant.administrations.select_related("instrument_version__instrument")
        .order_by("instrument_version__instrument_id", "-administered_on", "-pk")
        .distinct("instrument_version__instrument_id")
    )


def trend_of(participant: Participant, instrument: Instrument) -> QuerySet[Administration]:
    return participant.administrations.filter(instrument_version__instrument=instrument).order_by(
        "administered_on", "pk"
    )


def program_instruments(program: Program) -> QuerySet[Instrument]:
    return Instrument.objects.filter(program=program).prefetch_related("versions")


def answered_items(administration: Administration) -> list[tuple[dict, dict]]:
    """(item, chosen option) pairs, read with the definition version it was scored with; an
    optional item left blank (PHQ-9's difficulty item when nothing was checked) is left out."""
    definition = administration.instrument_version.definition
    answers = administration.answers
    return [
        (
            item,
            next(
                option
                for option in item_options(definition, item)
                if option["value"] == answers[item["key"]]
            ),
        )
        for item in definition["items"]
        if item["key"] in answers
    ]


def assessment_summary(participant: Participant, user) -> dict:
    """The participant page's eligibility, admission and supervision section. Each part is
    read only for the data class that shows it: the court view gets the supervision track and
    intensity, never the quadrant, scores or override reasoning behind them; arrest data and
    the screening's reasons are the legal record, which the court view has and providers lack."""
    classes = access.visible_data_classes(user, participant)
    enrollment = latest_enrollment_visible(user, participant)
    # Read whole only where the user sees its legal record (else EnrollmentDates).
    legal = isinstance(enrollment, Enrollment)
    summary = DataClass.ASSESSMENT_SUMMARY in classes
    return {
        "screening": screening_of(enrollment, legal=legal) if enrollment else None,
        "admission": admission_of(enrollment, legal=legal) if enrollment else None,
        "supervision": (
            supervision_level_of(participant) if DataClass.SUPERVISION_LEVEL in classes else None
        ),
        "risk_need": risk_need_of(participant) if summary else None,
        "show_summary": summary,
        # Reached but not covered by consent: the section says so in its place.
        "summary_withheld": None
        if summary
        or access.visibility(user, participant, DataClass.ASSESSMENT_SUMMARY)
        is not access.Visibility.WITHHELD
        else DataClass.ASSESSMENT_SUMMARY,
        "asam": asam_of(participant).first() if summary else None,
        "may_change": access.can_change(user, participant, DataClass.ENROLLMENT),
        "may_assess": access.can_change(user, participant, DataClass.ASSESSMENT_SUMMARY),
    }


def screening_of(enrollment: Enrollment | EnrollmentDates, *, legal: bool) -> dict | None:
    """The latest eligibility screening: its decision and date, and with the legal record its
    reason."""
    fields = ["decision", "screened_on", *(["reason"] if legal else [])]
    row = EligibilityScreening.objects.filter(enrollment=enrollment.pk).values(*fields).first()
    if row is not None:
        row["decision_display"] = ScreeningDecision(row["decision"]).label
    return row


ADMISSION_DATES = ("entry_date", "agreement_signed_on", "days_from_referral")
ADMISSION_LEGAL = ("order_or_plea_date", "days_from_arrest")


def admission_of(enrollment: Enrollment | EnrollmentDates, *, legal: bool) -> dict | None:
    """The admission's dates; the order or plea and the days from arrest only with the legal
    record."""
    fields = ADMISSION_DATES + (ADMISSION_LEGAL if legal else ())
    return Admission.objects.filter(enrollment=enrollment.pk).values(*fields).first()


SUPERVISION_LEVEL_FIELDS = (
    "assessed_on",
    "track",
    "court_every_weeks",
    "tests_per_week",
    "contacts_per_week",
)


def supervision_level_of(participant: Participant) -> dict | None:
    """The supervision track and accepted intensity in force (DataClass.SUPERVISION_LEVEL):
    only these fields of the latest risk and need assessment."""
    return participant.risk_need_assessments.values(*SUPERVISION_LEVEL_FIELDS).first()


def needs_section(participant: Participant, user) -> dict:
    """The participant page's open needs (assessment detail)."""
    return {"open_needs": open_needs_of(participant)}


def screens_section(participant: Participant, user) -> dict:
    return {
        "latest": latest_results(participant),
        "may_give": access.can_change(user, participant, DataClass.ASSESSMENT_DETAIL),
    }


def risk_need_of(participant: Participant) -> RiskNeedAssessment | None:
    """The latest risk and need assessment: its accepted intensity is the one in force."""
    return participant.risk_need_assessments.select_related("assessed_by").first()


def asam_of(participant: Participant) -> QuerySet[AsamAssessment]:
    return participant.asam_assessments.select_related("assessed_by")


def needs_of(participant: Participant) -> QuerySet[Need]:
    return participant.needs.select_related("identified_by")


def open_needs_of(participant: Participant) -> QuerySet[Need]:
    return participant.needs.filter(status=NeedStatus.OPEN)


def trend_points(participant: Participant, instrument: Instrument) -> list[dict]:
    """The trend as data for the chart (the page's table shows the same rows)."""
    return [
        {"date": a.administered_on.isoformat(), "score": a.total_score, "band": a.band}
        for a in trend_of(participant, instrument)
    ]
