"""Drug test services: ordering, collection, results and corrections, prescriptions and
blackouts, with every piece of bad input the issue names refused and nothing saved."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import Quadrant, RiskNeedAssessment
from clients.models import Alert, AlertState, EnrollmentStatus
from compliance import selectors, services, sweeps
from compliance.models import (
    BlackoutReason,
    DrugTest,
    DrugTestResult,
    Prescription,
    SpecimenType,
    TestStatus,
)
from compliance.validity import ValidityMeasures
from drugcourt.models import Substance

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)  # 09:00 in Chicago
TODAY = datetime.date(2026, 11, 23)
PANEL = [Substance.COCAINE, Substance.CANNABINOIDS, Substance.BUPRENORPHINE]


def order(participant, actor, *, day=TODAY, specimen=SpecimenType.URINE, now=NOW):
    return services.drug_test_order(
        participant=participant,
        scheduled_for=day,
        specimen_type=specimen,
        reason="Appeared impaired at the office",
        actor=actor,
        now=now,
    )


def collection(**overrides) -> services.CollectionData:
    fields = {
        "collected_at": NOW + datetime.timedelta(hours=1),
        "specimen_type": SpecimenType.URINE,
        "collection_site": "Lakeview testing office",
        "observed": True,
        "chain_of_custody_id": "CCF-1001",
        "panel": PANEL,
    }
    return services.CollectionData(**{**fields, **overrides})


def result(*findings, resulted_at=None, **measures) -> services.ResultData:
    return services.ResultData(
        resulted_at=resulted_at or NOW + datetime.timedelta(hours=5),
        measures=ValidityMeasures(**measures),
        findings=[
            services.FindingData(substance, Decimal("150"), Decimal("420"))
            for substance in findings
        ],
    )


LATER = NOW + datetime.timedelta(hours=6)


@pytest.fixture
def collected(participant, casemanager):
    test = order(participant, casemanager)
    return services.drug_test_record_collection(
        test=test, data=collection(), actor=casemanager, now=LATER
    )


def test_a_test_ordered_for_today_is_notified_at_once_with_its_window(participant, casemanager):
    urine = order(participant, casemanager)
    oral = order(participant, casemanager, specimen=SpecimenType.ORAL_FLUID)

    assert urine.status == TestStatus.SCHEDULED
    assert urine.notified_at == NOW
    assert urine.collect_by == NOW + datetime.timedelta(hours=8)
    assert oral.collect_by == NOW + datetime.timedelta(hours=4)


def test_a_test_ordered_for_a_later_day_waits_for_that_days_call(participant, casemanager):
    test = order(participant, casemanager, day=TODAY + datetime.timedelta(days=2))
    assert test.notified_at is None
    assert test.collect_by is None


def test_a_test_cannot_be_ordered_for_a_past_day(participant, casemanager):
    with pytest.raises(ValidationError, match="past day"):
        order(participant, casemanager, day=TODAY - datetime.timedelta(days=1))


def test_a_test_cannot_be_ordered_inside_a_blackout(participant, casemanager):
    services.blackout_record(
        participant=participant,
        reason=BlackoutReason.HOSPITAL,
        starts_on=TODAY,
        ends_on=None,
        note="",
        actor=casemanager,
        now=NOW,
    )
    with pytest.raises(ValidationError, match="cannot be tested"):
        order(participant, casemanager)


def test_only_the_treatment_team_records_tests(participant, probation, casemanager2):
    for outsider in (probation, casemanager2):
        with pytest.raises(ValidationError, match="may not"):
            order(participant, outsider)
    assert not DrugTest.objects.exists()


def test_collection_leaves_the_test_waiting_for_its_result(collected, casemanager):
    collected.refresh_from_db()
    assert collected.status == TestStatus.PENDING
    assert collected.collected_by == casemanager
    assert collected.chain_of_custody_id == "CCF-1001"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"collected_at": NOW - datetime.timedelta(minutes=1)}, "collected_at", "before"),
        ({"collected_at": LATER + datetime.timedelta(minutes=1)}, "collected_at", "future"),
        ({"panel": [Substance.ALCOHOL_BREATH]}, "panel", "Not in the program's panel"),
        ({"panel": []}, "panel", "Choose"),
        ({"chain_of_custody_id": " "}, "chain_of_custody_id", "chain-of-custody"),
    ],
)
def test_bad_collections_are_refused(participant, casemanager, overrides, field, message):
    test = order(participant, casemanager)
    with pytest.raises(ValidationError) as refused:
        services.drug_test_record_collection(
            test=test, data=collection(**overrides), actor=casemanager, now=LATER
        )
    assert message in " ".join(refused.value.message_dict[field])
    test.refresh_from_db()
    assert test.status == TestStatus.SCHEDULED
    assert test.collected_at is None


def test_a_test_not_yet_called_cannot_be_collected(participant, casemanager):
    test = order(participant, casemanager, day=TODAY + datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="not been called"):
        services.drug_test_record_collection(
            test=test, data=collection(), actor=casemanager, now=LATER
        )


def test_a_result_for_a_test_not_yet_collected_is_refused(participant, casemanager):
    test = order(participant, casemanager)
    with pytest.raises(ValidationError, match="collected specimen"):
        services.drug_test_record_result(test=test, data=result(), actor=casemanager, now=LATER)
    assert not DrugTestResult.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (result(resulted_at=LATER + datetime.timedelta(minutes=1)), "resulted_at", "future"),
        (result(resulted_at=NOW), "resulted_at", "before the specimen"),
        (result(Substance.FENTANYL), "__all__", "Fentanyl"),
        (result(creatinine_mg_dl=Decimal("2000")), "creatinine_mg_dl", "between"),
        (result(specific_gravity=Decimal("1.2")), "specific_gravity", "between"),
    ],
)
def test_bad_results_are_refused(collected, casemanager, data, field, message):
    with pytest.raises(ValidationError) as refused:
        services.drug_test_record_result(test=collected, data=data, actor=casemanager, now=LATER)
    assert message in " ".join(refused.value.message_dict[field])
    collected.refresh_from_db()
    assert collected.status == TestStatus.PENDING
    assert not DrugTestResult.objects.exists()


def test_the_result_decides_the_status(collected, casemanager):
    services.drug_test_record_result(
        test=collected, data=result(Substance.COCAINE), actor=casemanager, now=LATER
    )
    collected.refresh_from_db()
    assert collected.status == TestStatus.POSITIVE
    assert [f.substance for f in collected.current_result.findings.all()] == [Substance.COCAINE]


def test_a_dilute_specimen_is_recorded_as_dilute(collected, casemanager):
    data = result(creatinine_mg_dl=Decimal("12"), specific_gravity=Decimal("1.0020"))
    services.drug_test_record_result(test=collected, data=data, actor=casemanager, now=LATER)
    collected.refresh_from_db()
    assert collected.status == TestStatus.DILUTE


def test_a_correction_keeps_the_previous_version(collected, casemanager):
    first = services.drug_test_record_result(
        test=collected, data=result(Substance.COCAINE), actor=casemanager, now=LATER
    )
    with pytest.raises(ValidationError, match="Say why"):
        services.drug_test_correct_result(
            test=collected,
            data=result(),
            reason="",
            corrects_version=1,
            actor=casemanager,
            now=LATER,
        )
    corrected = services.drug_test_correct_result(
        test=collected,
        data=result(),
        reason="Lab reported the wrong specimen",
        corrects_version=1,
        actor=casemanager,
        now=LATER,
    )
    collected.refresh_from_db()
    assert collected.status == TestStatus.NEGATIVE
    assert collected.current_result == corrected
    assert corrected.version == 2
    first.refresh_from_db()
    assert first.status == TestStatus.POSITIVE
    assert [f.substance for f in first.findings.all()] == [Substance.COCAINE]


def test_confirmation_is_requested_once_for_a_positive(collected, casemanager):
    with pytest.raises(ValidationError, match="positive"):
        services.drug_test_request_confirmation(test=collected, actor=casemanager, now=LATER)
    services.drug_test_record_result(
        test=collected, data=result(Substance.COCAINE), actor=casemanager, now=LATER
    )
    services.drug_test_request_confirmation(test=collected, actor=casemanager, now=LATER)
    assert collected.confirmation_requested_at == LATER
    with pytest.raises(ValidationError, match="already"):
        services.drug_test_request_confirmation(test=collected, actor=casemanager, now=LATER)


def test_refusal_needs_a_note(participant, casemanager):
    test = order(participant, casemanager)
    with pytest.raises(ValidationError):
        services.drug_test_record_refusal(test=test, note=" ", actor=casemanager, now=LATER)
    services.drug_test_record_refusal(
        test=test, note="Declined at the window", actor=casemanager, now=LATER
    )
    test.refresh_from_db()
    assert test.status == TestStatus.REFUSED


def test_a_blackout_that_ends_before_it_starts_is_refused(participant, casemanager):
    with pytest.raises(ValidationError, match="ends before it starts"):
        services.blackout_record(
            participant=participant,
            reason=BlackoutReason.CUSTODY,
            starts_on=TODAY,
            ends_on=TODAY - datetime.timedelta(days=1),
            note="",
            actor=casemanager,
            now=NOW,
        )


def test_a_blackout_excuses_the_tests_inside_it(participant, casemanager):
    inside = order(participant, casemanager, day=TODAY + datetime.timedelta(days=1))
    after = order(participant, casemanager, day=TODAY + datetime.timedelta(days=5))
    services.blackout_record(
        participant=participant,
        reason=BlackoutReason.CUSTODY,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=3),
        note="Jail sanction",
        actor=casemanager,
        now=NOW,
    )
    inside.refresh_from_db()
    after.refresh_from_db()
    assert inside.status == TestStatus.EXCUSED
    assert inside.status_note == "Blackout: In custody"
    assert after.status == TestStatus.SCHEDULED


def test_a_prescription_that_ends_before_it_starts_is_refused(participant, casemanager):
    with pytest.raises(ValidationError) as refused:
        services.prescription_record(
            participant=participant,
            data=services.PrescriptionData(
                drug="Buprenorphine/naloxone",
                dose="8 mg daily",
                prescriber="Dr. Reyes",
                for_substance_use_disorder=True,
                starts_on=TODAY,
                ends_on=TODAY - datetime.timedelta(days=1),
                explains=[Substance.BUPRENORPHINE],
            ),
            actor=casemanager,
        )
    assert "ends_on" in refused.value.message_dict
    assert not Prescription.objects.exists()


def counts_as_positive(test) -> bool:
    return (
        selectors.with_counts_as_positive(DrugTest.objects.filter(pk=test.pk))
        .get()
        .counts_as_positive
    )


def test_expected_medication_positives_never_count(collected, participant, casemanager):
    services.prescription_record(
        participant=participant,
        data=services.PrescriptionData(
            drug="Buprenorphine/naloxone",
            dose="8 mg daily",
            prescriber="Dr. Reyes",
            for_substance_use_disorder=True,
            starts_on=TODAY - datetime.timedelta(days=30),
            ends_on=None,
            explains=[Substance.BUPRENORPHINE],
        ),
        actor=casemanager,
    )
    services.drug_test_record_result(
        test=collected, data=result(Substance.BUPRENORPHINE), actor=casemanager, now=LATER
    )
    assert not counts_as_positive(collected)

    services.drug_test_correct_result(
        test=collected,
        data=result(Substance.BUPRENORPHINE, Substance.COCAINE),
        reason="Full report arrived",
        corrects_version=1,
        actor=casemanager,
        now=LATER,
    )
    assert counts_as_positive(collected)


def test_the_program_policy_decides_whether_a_dilute_counts(
    collected, casemanager, program_settings
):
    data = result(creatinine_mg_dl=Decimal("12"), specific_gravity=Decimal("1.0020"))
    services.drug_test_record_result(test=collected, data=data, actor=casemanager, now=LATER)
    assert counts_as_positive(collected)

    program_settings.policy_positive = ["missed", "refused"]
    program_settings.save()
    assert not counts_as_positive(collected)


def test_frequency_comes_from_the_phase_or_a_more_intensive_assessment(participant, casemanager):
    by_phase = selectors.testing_frequency_for(participant, TODAY, with_reasoning=True)
    assert by_phase.tests_per_week == 3
    assert "phase 1" in by_phase.source

    RiskNeedAssessment.objects.create(
        participant=participant,
        assessed_on=datetime.date(2026, 2, 1),
        risk_answers=[],
        need_answers=[],
        risk_score=1,
        need_score=1,
        quadrant=Quadrant.HIGH_HIGH,
        recommended={},
        track="Standard drug court",
        court_every_weeks=2,
        tests_per_week=4,
        contacts_per_week=1,
        assessed_by=casemanager,
    )
    by_assessment = selectors.testing_frequency_for(participant, TODAY, with_reasoning=True)
    assert by_assessment.tests_per_week == 4
    assert "risk and need assessment of Feb 1, 2026" in by_assessment.source


def test_no_frequency_outside_an_active_enrollment(participant):
    participant.enrollments.update(status=EnrollmentStatus.GRADUATED)
    assert (
        selectors.testing_frequency_for(participant, timezone.localdate(), with_reasoning=True)
        is None
    )


def test_a_blackout_recorded_late_excuses_a_missed_test_and_resolves_its_alert(
    participant, casemanager
):
    test = order(participant, casemanager)
    sweeps.drug_tests_missed_sweep(now=NOW + datetime.timedelta(hours=9))
    alert = Alert.objects.get(kind="test_missed", source_key=f"test:{test.pk}")

    services.blackout_record(
        participant=participant,
        reason=BlackoutReason.CUSTODY,
        starts_on=TODAY,
        ends_on=None,
        note="Arrested this morning",
        actor=casemanager,
        now=NOW + datetime.timedelta(hours=10),
    )

    test.refresh_from_db()
    alert.refresh_from_db()
    assert test.status == TestStatus.EXCUSED
    assert alert.state == AlertState.RESOLVED
    assert "blackout" in alert.resolution_note
