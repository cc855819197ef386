"""One world for the access matrices (tests/test_url_matrix.py, tests/test_content_matrix.py),
built once per test module inside a transaction that is rolled back at its end; each test runs
in a savepoint of its own (`savepoint`), so one persona's write never uses up an object for the
next. How writes are detected: docs/decisions/0008-access-matrix.md.

`participant` is on casemanager's caseload with probation_assigned and defence_assigned on the
team, an active service episode at provider_treating's agency and one at provider_elsewhere's,
a pending referral to provider's agency, and a second enrollment in `other_program`. Every
`MARKERS` string is planted once in the record (tests/test_content_matrix.py says who sees it).
"""

import contextlib
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import InstrumentVersion
from clients import services
from clients.access import DataClass
from clients.models import Charge, FollowUp
from compliance.models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    Prescription,
    TestReason,
    TestStatus,
)
from drugcourt.roles import OrganizationKind
from drugcourt.selectors import program_today
from tests.conftest import PERSONAS, PNG_1PX, enrolled, make_persona, on_the_team
from tests.factories import (
    EnrollmentFactory,
    OrganizationFactory,
    ProgramFactory,
    assign,
    log_contact,
)
from treatment_plans import services as referral_services

# Unique strings planted in the record; each names what it is planted in.
MARKERS = {
    "case_note": "MARKER-CASE-NOTE-Quill",
    "supervision_contact": "MARKER-SUPERVISION-Lantern",
    "need": "MARKER-NEED-Harbour",
    "referral_reason": "MARKER-REFERRAL-Juniper",
    "prescription_drug": "MARKER-DRUG-Cobalt",
    "charge": "MARKER-CHARGE-Granite",
    "other_agency_report": "MARKER-OTHER-AGENCY-Saffron",
    "other_program_case": "MARKER-OTHER-PROGRAM-Tundra",
}

# Tables whose rows move without a write of the product: sign-in sessions and the lockout
# records of django-axes.
NOT_WRITES = frozenset(
    {"django_session", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"}
)


@dataclass(frozen=True)
class World:
    users: dict  # persona name → User
    objects: dict  # name a matrix entry uses → primary key
    sessions: dict  # persona name → the key of a session signed in as them

    def sign_in(self, client, persona: str) -> None:
        """Signs `client` in as the persona with the world's session (cheaper than
        force_login per case, and it writes nothing)."""
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]


def _session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def row_counters() -> dict[str, int]:
    """Rows inserted, updated and deleted so far in this transaction, per table (PostgreSQL
    counts them per transaction, rolled-back savepoints included)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE n_tup_ins + n_tup_upd + n_tup_del > 0"
        )
        return dict(cursor.fetchall())


def tables_written(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {
        table
        for table, count in after.items()
        if count != before.get(table, 0) and table not in NOT_WRITES
    }


@contextlib.contextmanager
def rolled_back():
    """A transaction (or a savepoint, inside one) that never commits."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def build_world() -> World:
    organizations = {
        kind: OrganizationFactory(name=f"Lakeview {kind.label}", kind=kind)
        for kind in OrganizationKind
    }
    program = ProgramFactory(name="Lakeview Adult Drug Court", court=organizations["court"])
    other_program = ProgramFactory(name="Hillside Adult Drug Court")
    users = {name: make_persona(name, organizations, program) for name in PERSONAS}
    casemanager = users["casemanager"]
    today = program_today(program)

    participant = enrolled(program, creator=casemanager)
    assign(participant, casemanager)
    enrollment = participant.enrollments.get()
    Charge.objects.create(
        enrollment=enrollment, statute="720 ILCS 570/402", description=MARKERS["charge"]
    )
    # The same person in another program: its case roles must not see this one's record.
    EnrollmentFactory(
        participant=participant,
        program=other_program,
        case_number=MARKERS["other_program_case"],
        referral_date=datetime.date(2025, 3, 1),
        entry_date=datetime.date(2025, 3, 10),
    )
    episodes = on_the_team(
        participant,
        users,
        referred_by=casemanager,
        reasons={"provider_treating": MARKERS["referral_reason"]},
    )
    # The two-role persona is case manager of someone else.
    elsewhere = enrolled(program, creator=casemanager)
    assign(elsewhere, users["judge_casemanager"])

    document = services.document_upload(
        participant=participant,
        kind="photo",
        title="Intake photo",
        uploaded_file=SimpleUploadedFile("face.png", PNG_1PX),
        actor=casemanager,
    )
    alert = services.alert_raise(
        participant=participant,
        kind="test",
        source_key="matrix",
        data_class=DataClass.ENROLLMENT,
        message="Check the enrollment",
    )
    case_note = log_contact(participant, casemanager, narrative=MARKERS["case_note"])
    # A note shared with supervision: probation reads it (and may not annotate it).
    contact = log_contact(participant, casemanager, shared_with_supervision=True)
    supervision_contact = log_contact(
        participant, users["probation_assigned"], narrative=MARKERS["supervision_contact"]
    )
    FollowUp.objects.create(
        participant=participant,
        contact=contact,
        description="Call back",
        due_on=today,
        assigned_to=casemanager,
        created_by=casemanager,
    )
    appointment = services.appointment_schedule(
        participant=participant,
        kind="case_manager",
        scheduled_at=timezone.now(),
        actor=casemanager,
    )
    phq9 = InstrumentVersion.objects.filter(instrument__code="PHQ-9").latest("version")
    administration = assessment_services.administration_record(
        participant=participant,
        instrument_version=phq9,
        administered_on=today,
        answers={**{str(n): "0" for n in range(1, 10)}, "10": "0"},
        actor=casemanager,
    )
    need = assessment_services.need_record(
        participant=participant,
        domain="housing",
        priority="high",
        description=MARKERS["need"],
        identified_on=today,
        actor=casemanager,
    )
    provider = users["provider"]
    referral = referral_services.referral_send(
        participant=participant,
        provider=provider.organization,
        requested_service="Intensive outpatient",
        reason="Moderate use disorder",
        urgency="routine",
        shared_information="Name and contact",
        actor=casemanager,
    )
    treating, other_agency = episodes["provider_treating"], episodes["provider_elsewhere"]
    referral_services.referral_schedule_intake(
        referral=other_agency.referral,
        scheduled_at=timezone.now(),
        location="Harbor office",
        actor=users["provider_elsewhere"],
    )
    referral_services.progress_report_write(
        episode=other_agency,
        month=today.replace(day=1),
        engagement="engaged",
        attendance_summary="4 of 4 sessions",
        clinical_progress=MARKERS["other_agency_report"],
        recommendation="Continue",
        actor=users["provider_elsewhere"],
    )
    plan = referral_services.plan_start_draft(
        participant=participant, starts_on=today, actor=casemanager
    )
    goal = referral_services.goal_add(
        plan=plan, participant_words="Stay housed", clinical_terms="Housing", actor=casemanager
    )
    objective = referral_services.objective_add(
        goal=goal,
        description="Sign a lease",
        target_date=today + datetime.timedelta(days=60),
        need=need,
        actor=casemanager,
    )
    open_need = assessment_services.need_record(
        participant=participant,
        domain="employment",
        priority="low",
        description="Find work",
        identified_on=today,
        actor=casemanager,
    )
    # Deferred already: the plan can be activated (and deferring it again changes the reason).
    referral_services.need_defer(
        plan=plan, need=open_need, reason="After housing.", actor=casemanager
    )
    drug_test, positive_test = (
        DrugTest.objects.create(
            participant=participant,
            program=program,
            reason=TestReason.ORDERED,
            scheduled_for=today,
            status=status,
            collected_at=collected_at,
            status_changed_at=timezone.now(),
        )
        for status, collected_at in (
            (TestStatus.SCHEDULED, None),
            (TestStatus.POSITIVE, timezone.now()),
        )
    )
    prescription = Prescription.objects.create(
        participant=participant,
        drug=MARKERS["prescription_drug"],
        dose="8 mg",
        prescriber="Dr. Reyes",
        starts_on=today,
        explains=["BUP"],
        recorded_by=casemanager,
    )
    blackout = BlackoutPeriod.objects.create(
        participant=participant,
        reason=BlackoutReason.HOSPITAL,
        starts_on=today,
        recorded_by=casemanager,
    )
    return World(
        users=users,
        sessions={name: _session_of(user) for name, user in users.items()},
        objects={
            "drug_test": drug_test.pk,
            "positive_test": positive_test.pk,
            "prescription": prescription.pk,
            "blackout": blackout.pk,
            "plan": plan.pk,
            "goal": goal.pk,
            "objective": objective.pk,
            "open_need": open_need.pk,
            "referral": referral.pk,
            "referral_accepted": treating.referral_id,
            "referral_intake": other_agency.referral_id,
            "episode": treating.pk,
            "instrument_version": phq9.pk,
            "administration": administration.pk,
            "contact": contact.pk,
            "case_note": case_note.pk,
            "supervision_contact": supervision_contact.pk,
            "follow_up": contact.follow_ups.get().pk,
            "appointment": appointment.pk,
            "program": program.pk,
            "other_program": other_program.pk,
            "organization": program.court.pk,
            "participant": participant.pk,
            "enrollment": enrollment.pk,
            "assignment": participant.assignments.get(user=casemanager).pk,
            "document": document.pk,
            "alert": alert.pk,
            **{name: user.pk for name, user in users.items()},
        },
    )
