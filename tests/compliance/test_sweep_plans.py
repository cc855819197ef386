"""No sweep's plan can go quadratic (issue 14). Sweeps run right after bursts, when the
statistics still describe the table before the burst: here a few hundred rows become due after
ANALYZE, and each sweep statement runs under EXPLAIN ANALYZE (rolled back). No plan node may run
more often than there are rows to judge, and none may touch more rows than a small multiple of
the data: a subplan or an index scan once per row is linear, once per pair of rows is not."""

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from clients.models import (
    REVOCATION_TERMS,
    Alert,
    Appointment,
    AppointmentKind,
    AppointmentOutcome,
    CaseAssignment,
    Consent,
    Enrollment,
    EnrollmentStatus,
    Participant,
    SignatureMethod,
    TeamRole,
)
from clients.services import AlertStatement
from clients.sweeps import consents_expiring_statement
from compliance import sweeps
from compliance.models import DrugTest, TestReason, TestStatus
from treatment_plans import services as plan_services
from treatment_plans.models import PlanStatus, Referral, ReferralState, TreatmentPlan

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)  # 09:00 in Chicago
TODAY = datetime.date(2026, 11, 23)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
PEOPLE = 150
HISTORY_DAYS = 10  # tests and appointments per participant before the burst

TABLES = [
    "clients_participant",
    "clients_enrollment",
    "clients_caseassignment",
    "clients_appointment",
    "clients_alert",
    "clients_consent",
    "compliance_drugtest",
    "treatment_plans_referral",
    "treatment_plans_treatmentplan",
]


def _test(person, program, *, day, status, **fields) -> DrugTest:
    return DrugTest(
        participant=person,
        program=program,
        reason=TestReason.RANDOM,
        scheduled_for=day,
        status=status,
        status_changed_at=NOW - 30 * DAY,
        **fields,
    )


def _consent(enrollment, casemanager, *, expires_on) -> Consent:
    return Consent(
        participant_id=enrollment.participant_id,
        enrollment=enrollment,
        participant_name="P Burst",
        disclosing_party="The treatment team",
        data_classes=["progress_reports"],
        information_description="Progress in substance use disorder treatment",
        purpose="Monitoring",
        revocation_terms=REVOCATION_TERMS,
        expires_on=expires_on,
        signature_method=SignatureMethod.ELECTRONIC,
        signed_by_name="P Burst",
        signed_on=TODAY - 60 * DAY,
        recorded_by=casemanager,
    )


@pytest.fixture
def burst(program, other_program, casemanager, provider):
    """PEOPLE participants (one in ten has left the program) with a history of excused tests
    and attended appointments, analyzed; then, unanalyzed, a burst of rows for every sweep."""
    people = Participant.objects.bulk_create(
        Participant(
            legal_first_name=f"P{n}",
            legal_last_name="Burst",
            date_of_birth=datetime.date(1990, 1, 1),
            created_by=casemanager,
        )
        for n in range(PEOPLE)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            participant=person,
            program=program,
            case_number=f"B-{n}",
            status=EnrollmentStatus.TERMINATED if n % 10 == 0 else EnrollmentStatus.ACTIVE,
            phase=1,
            referral_date=datetime.date(2026, 1, 5),
            referral_source="defence",
            status_changed_at=NOW - 300 * DAY,
        )
        for n, person in enumerate(people)
    )
    CaseAssignment.objects.bulk_create(
        CaseAssignment(
            participant=person,
            user=casemanager,
            team_role=TeamRole.CASE_MANAGER,
            started_on=datetime.date(2026, 1, 20),
            assigned_by=casemanager,
        )
        for person in people
    )
    DrugTest.objects.bulk_create(
        _test(person, program, day=TODAY - day * DAY, status=TestStatus.EXCUSED)
        for person in people
        for day in range(1, HISTORY_DAYS + 1)
    )
    Appointment.objects.bulk_create(
        Appointment(
            participant=person,
            kind=AppointmentKind.CASE_MANAGER,
            scheduled_at=NOW - day * DAY,
            outcome=AppointmentOutcome.ATTENDED,
            created_by=casemanager,
        )
        for person in people
        for day in range(1, HISTORY_DAYS + 1)
    )
    Consent.objects.bulk_create(
        _consent(enrollment, casemanager, expires_on=TODAY + 300 * DAY)
        for enrollment in enrollments
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(TABLES)}")
    Consent.objects.bulk_create(
        _consent(enrollment, casemanager, expires_on=TODAY + 7 * DAY) for enrollment in enrollments
    )

    # The burst: two of each per participant, none of it in the statistics.
    DrugTest.objects.bulk_create(
        _test(
            person,
            program,
            day=TODAY - day * DAY,
            status=TestStatus.SCHEDULED,
            notified_at=NOW - day * DAY,
            collect_by=NOW - day * DAY + 8 * HOUR,
        )
        for person in people
        for day in (1, 2)
    )
    DrugTest.objects.bulk_create(
        _test(
            person,
            program,
            day=TODAY - day * DAY,
            status=TestStatus.PENDING,
            collected_at=NOW - day * DAY,
        )
        for person in people
        for day in (3, 4)
    )
    DrugTest.objects.bulk_create(
        _test(person, program, day=TODAY - day * DAY, status=TestStatus.MISSED)
        for person in people
        for day in (5, 6)
    )
    Appointment.objects.bulk_create(
        Appointment(
            participant=person,
            kind=AppointmentKind.TREATMENT,
            scheduled_at=NOW - day * DAY,
            outcome=outcome,
            created_by=casemanager,
        )
        for person in people
        for day, outcome in ((1, ""), (2, ""), (3, "missed"), (4, "missed"))
    )
    referrals = Referral.objects.bulk_create(
        Referral(
            participant=person,
            provider=provider.organization,
            requested_service="Outpatient",
            reason="Assessed need.",
            shared_information="Contact details.",
            state=ReferralState.SENT,
            sent_by=casemanager,
        )
        for person in people
    )
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(sent_at=NOW - 30 * DAY)
    TreatmentPlan.objects.bulk_create(
        TreatmentPlan(
            participant=person,
            version=1,
            status=PlanStatus.ACTIVE,
            starts_on=TODAY - 80 * DAY,
            review_due_on=TODAY + DAY,
            signed_by=casemanager,
            created_by=casemanager,
        )
        for person in people
    )
    return people


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def explain(statement: AlertStatement) -> dict[str, Any]:
    """The statement's EXPLAIN (ANALYZE, FORMAT JSON), run and rolled back. Sequential scans
    are priced out: at this size a scan of a 150-row table per row is cheaper than an index
    scan, and the plans to judge are the ones the statement gets at state scale."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement.sql}", statement.params)
        plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]


def work(node: dict[str, Any]) -> int:
    """Rows a node produced and threw away over all its executions. A bitmap index scan is
    left out: it counts the index entries of dead rows too (other tests' rolled-back ones)."""
    if node["Node Type"] == "Bitmap Index Scan":
        return 0
    per_loop = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Join Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )
    return per_loop * node.get("Actual Loops", 0)


STATEMENTS: dict[str, Callable[[], AlertStatement]] = {
    "drug_tests_missed": lambda: sweeps.drug_tests_missed_statement(NOW),
    "results_overdue": lambda: sweeps.results_overdue_statement(NOW),
    "appointments_unrecorded": lambda: sweeps.appointments_unrecorded_statement(NOW),
    "appointments_missed": lambda: sweeps.appointments_missed_statement(NOW),
    "noncompliance": lambda: sweeps.noncompliance_statement(NOW),
    "referral": lambda: plan_services.referral_sweep_statement(NOW),
    "plan_review": lambda: plan_services.plan_review_sweep_statement(NOW),
    "consents_expiring": lambda: consents_expiring_statement(NOW),
}


def quadratic_nodes(plan: dict[str, Any], rows: int) -> list[tuple[str, str, int, int]]:
    """Nodes run more often than there are rows, or touching more than 4 times the rows."""
    return [
        (node["Node Type"], node.get("Relation Name") or node.get("Subplan Name"), loops, touched)
        for node in _plan_nodes(plan)
        if (loops := node["Actual Loops"]) > rows or (touched := work(node)) > 4 * rows
    ]


def test_no_sweep_plan_runs_a_node_once_per_pair_of_rows(burst):
    """One test for all sweeps, so the burst is built once."""
    rows = DrugTest.objects.count() + Appointment.objects.count() + Alert.objects.count()
    plans = {name: explain(statement())["Plan"] for name, statement in STATEMENTS.items()}

    quadratic = {name: quadratic_nodes(plan, rows) for name, plan in plans.items()}
    assert {name: nodes for name, nodes in quadratic.items() if nodes} == {}, f"{rows} rows"
    # The plans are those of the burst: the alerts of everyone still in the program were raised.
    inserted = {
        name: next(node for node in plan["Plans"] if node["Parent Relationship"] == "Outer")
        for name, plan in plans.items()
    }
    assert min(node["Actual Rows"] for node in inserted.values()) == PEOPLE * 9 // 10
