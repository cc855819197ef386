"""Monitoring rows built directly, for tests of what reads them (the services that record tests
and appointments have tests of their own): a drug test of a status with its result, an
appointment with its outcome."""

import datetime

from clients.models import Appointment
from compliance.models import DrugTest, DrugTestResult, SubstanceResult, TestReason, TestStatus
from drugcourt.models import Substance

# A drug test of these statuses was collected (a pending one awaits its result).
COLLECTED = {
    TestStatus.PENDING,
    TestStatus.NEGATIVE,
    TestStatus.POSITIVE,
    TestStatus.DILUTE,
    TestStatus.ADULTERATED,
    TestStatus.SUBSTITUTED,
    TestStatus.INVALID,
}


def a_test(participant, day, status, *findings, program=None, recorded_by=None, **fields):
    """A test of `status` scheduled on `day` (ordered, so revealed), with a result holding
    `findings` when it is positive."""
    program = program or participant.enrollments.order_by("-referral_date").first().program
    moment = datetime.datetime.combine(day, datetime.time(15), tzinfo=datetime.UTC)
    test = DrugTest.objects.create(
        participant=participant,
        program=program,
        reason=fields.pop("reason", TestReason.ORDERED),
        scheduled_for=day,
        notified_at=fields.pop("notified_at", moment),
        collected_at=moment if status in COLLECTED else None,
        status=status,
        status_changed_at=moment,
        panel=list(findings) or [Substance.COCAINE],
        **fields,
    )
    if status in COLLECTED - {TestStatus.PENDING}:
        result = DrugTestResult.objects.create(
            drug_test=test,
            version=1,
            resulted_at=moment,
            status=status,
            recorded_by=recorded_by or participant.created_by,
        )
        SubstanceResult.objects.bulk_create(
            SubstanceResult(result=result, substance=substance) for substance in findings
        )
        DrugTest.objects.filter(pk=test.pk).update(current_result=result)
    return test


def an_appointment(participant, day, kind, outcome, *, program=None):
    return Appointment.objects.create(
        participant=participant,
        kind=kind,
        scheduled_at=datetime.datetime.combine(day, datetime.time(16), tzinfo=datetime.UTC),
        outcome=outcome,
        outcome_reason="Unwell." if outcome in ("excused", "cancelled") else "",
        program=program,
        created_by=participant.created_by,
    )
