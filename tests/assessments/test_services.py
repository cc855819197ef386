"""Screening, admission and screens through the services."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from assessments import services
from assessments.models import Administration, Instrument, InstrumentVersion
from clients.models import Alert, EnrollmentStatus
from tests.factories import EnrollmentFactory, assign


@pytest.fixture
def referred(program, casemanager):
    enrollment = EnrollmentFactory(
        program=program,
        status=EnrollmentStatus.REFERRED,
        phase=None,
        entry_date=None,
        referral_date=datetime.date(2026, 10, 1),
        participant__created_by=casemanager,
    )
    enrollment.charges.create(
        statute="720 ILCS 570/402", description="Possession", arrest_date=datetime.date(2026, 9, 20)
    )
    assign(enrollment.participant, casemanager)
    return enrollment


def screen(enrollment, actor, decision="eligible", **overrides):
    fields = {
        "screened_on": datetime.date(2026, 10, 8),
        "legal_criteria": {"Eligible charge": True},
        "substance_use_disorder_indicated": True,
        "level_of_care_available": True,
        "decision": decision,
        "reason": "Meets legal and clinical criteria.",
        **overrides,
    }
    return services.screening_record(enrollment=enrollment, **fields, actor=actor)


def test_screening_moves_a_referral_into_screening(referred, casemanager):
    screen(referred, casemanager)

    referred.refresh_from_db()
    assert referred.status == EnrollmentStatus.SCREENING


def test_not_eligible_declines_and_keeps_the_record(referred, casemanager):
    screen(referred, casemanager, decision="not_eligible", reason="Violent prior offense.")

    referred.refresh_from_db()
    assert referred.status == EnrollmentStatus.DECLINED
    assert referred.screenings.get().reason == "Violent prior offense."


def test_a_second_screening_decision_is_refused(referred, casemanager):
    screen(referred, casemanager, decision="needs_information", reason="Waiting for records.")
    screen(referred, casemanager)

    with pytest.raises(ValidationError, match="already has a screening decision"):
        screen(referred, casemanager, reason="Again")


def test_screening_refuses_a_date_before_the_referral(referred, casemanager):
    with pytest.raises(ValidationError, match="between the referral and today"):
        screen(referred, casemanager, screened_on=datetime.date(2026, 9, 1))


def test_admission_activates_phase_one_and_measures_the_days(referred, casemanager):
    screen(referred, casemanager)

    admission = services.admission_record(
        enrollment=referred,
        order_or_plea_date=datetime.date(2026, 10, 15),
        agreement_signed_on=datetime.date(2026, 10, 16),
        entry_type="post_plea",
        actor=casemanager,
    )

    referred.refresh_from_db()
    assert (referred.status, referred.phase, referred.entry_date) == (
        "active",
        1,
        datetime.date(2026, 10, 16),
    )
    assert (admission.days_from_referral, admission.days_from_arrest) == (15, 26)


def test_admission_needs_the_order_and_the_agreement(referred, casemanager):
    screen(referred, casemanager)

    with pytest.raises(ValidationError) as refusal:
        services.admission_record(
            enrollment=referred,
            order_or_plea_date=None,
            agreement_signed_on=None,
            entry_type="pre_plea",
            actor=casemanager,
        )

    assert set(refusal.value.message_dict) == {"order_or_plea_date", "agreement_signed_on"}
    referred.refresh_from_db()
    assert referred.status == EnrollmentStatus.SCREENING


def test_admission_needs_an_eligible_screening(referred, casemanager):
    with pytest.raises(ValidationError, match="screened eligible"):
        services.admission_record(
            enrollment=referred,
            order_or_plea_date=datetime.date(2026, 10, 15),
            agreement_signed_on=datetime.date(2026, 10, 15),
            entry_type="pre_plea",
            actor=casemanager,
        )


def phq9():
    return InstrumentVersion.objects.get(instrument__code="PHQ-9", version=1)


def answers(item9="0", base="1"):
    return {**{str(n): base for n in range(1, 9)}, "9": item9, "10": "3"}


def test_the_standard_screens_are_stored_from_their_files(db):
    assert set(Instrument.objects.values_list("code", flat=True)) >= {
        "PHQ-9",
        "GAD-7",
        "AUDIT",
        "DAST-10",
    }


def test_an_administration_is_scored_by_the_system(participant, casemanager):
    given = services.administration_record(
        participant=participant,
        instrument_version=phq9(),
        administered_on=datetime.date(2026, 11, 2),
        answers=answers(),
        actor=casemanager,
    )

    assert (given.total_score, given.band) == (8, phq9().definition["bands"][1]["label"])


def test_a_safety_answer_stops_until_the_step_is_recorded_then_alerts(participant, casemanager):
    with pytest.raises(ValidationError, match="immediate safety step"):
        services.administration_record(
            participant=participant,
            instrument_version=phq9(),
            administered_on=datetime.date(2026, 11, 2),
            answers=answers(item9="1"),
            actor=casemanager,
        )
    assert not Administration.objects.exists()

    services.administration_record(
        participant=participant,
        instrument_version=phq9(),
        administered_on=datetime.date(2026, 11, 2),
        answers=answers(item9="1"),
        safety_action="Safety plan made; crisis line called together.",
        actor=casemanager,
    )

    alert = Alert.objects.get(kind="safety_item")
    assert (alert.severity, alert.assigned_to) == ("urgent", casemanager)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"answers": {"1": "0"}}, "has no answer"),
        ({"answers": {**answers(), "3": "7"}}, "is not an answer"),
        ({"administered_on": datetime.date(2999, 1, 1)}, "future"),
        ({"administered_on": datetime.date(2000, 1, 1)}, "before the referral"),
    ],
)
def test_bad_screens_are_refused(participant, casemanager, bad, message):
    fields = {"administered_on": datetime.date(2026, 11, 2), "answers": answers(), **bad}

    with pytest.raises(ValidationError, match=message):
        services.administration_record(
            participant=participant, instrument_version=phq9(), **fields, actor=casemanager
        )


def test_a_coordinator_adds_a_screen_and_it_is_given_without_code(
    coordinator, casemanager, participant, program
):
    version = services.instrument_create(
        program=program,
        code="WELL-3",
        name="Three wellbeing questions",
        actor=coordinator,
        definition={
            "source": "Program-made",
            "option_sets": {
                "answers": [
                    {"value": "1", "label": "No", "score": 0},
                    {"value": "2", "label": "Yes", "score": 2},
                ]
            },
            "items": [
                {"key": "1", "text": "Sleeping well?", "options": "answers"},
                {"key": "2", "text": "Eating well?", "options": "answers"},
                {"key": "3", "text": "Anything else?", "options": "answers", "scored": False},
            ],
            "bands": [{"min": 0, "max": 1, "label": "Low"}, {"min": 2, "max": 4, "label": "High"}],
        },
    )

    given = services.administration_record(
        participant=participant,
        instrument_version=version,
        administered_on=datetime.date(2026, 11, 2),
        answers={"1": "2", "2": "1", "3": "2"},
        actor=casemanager,
    )

    assert (given.total_score, given.band) == (2, "High")


def test_a_new_version_leaves_old_administrations_scored_as_they_were(
    coordinator, casemanager, participant, program
):
    def definition(high_from):
        return {
            "source": "Program-made",
            "option_sets": {
                "answers": [
                    {"value": "1", "label": "No", "score": 0},
                    {"value": "2", "label": "Yes", "score": 1},
                ]
            },
            "items": [{"key": "1", "text": "Using?", "options": "answers"}],
            "bands": [
                {"min": 0, "max": high_from - 1, "label": "Low"},
                {"min": high_from, "max": 1, "label": "High"},
            ],
        }

    first = services.instrument_create(
        program=program, code="USE-1", name="Use", definition=definition(1), actor=coordinator
    )
    old = services.administration_record(
        participant=participant,
        instrument_version=first,
        administered_on=datetime.date(2026, 11, 2),
        answers={"1": "2"},
        actor=casemanager,
    )
    second = services.instrument_create(
        program=program,
        code="USE-1",
        name="Use",
        actor=coordinator,
        definition={**definition(1), "bands": [{"min": 0, "max": 1, "label": "Any"}]},
    )

    old.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert old.instrument_version == first
    assert old.band == "High"


def test_a_broken_program_screen_is_refused_with_the_reason(coordinator, program):
    with pytest.raises(ValidationError, match="bands"):
        services.instrument_create(
            program=program,
            code="BAD-1",
            name="Bad",
            actor=coordinator,
            definition={
                "source": "x",
                "option_sets": {"a": [{"value": "1", "label": "Yes", "score": 1}]},
                "items": [{"key": "1", "text": "Q", "options": "a"}],
                "bands": [{"min": 0, "max": 0, "label": "Only zero"}],
            },
        )
