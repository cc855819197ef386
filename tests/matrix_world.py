"""One world for the access matrices (tests/test_url_matrix.py, tests/test_content_matrix.py).

Scoping: the `world` fixture (tests/conftest.py) builds it once per test module under
`module_db`, a transaction rolled back at the module's end; each test runs in pytest-django's
savepoint of its own inside it, so one persona's write never uses up an object for the next.
`World.sign_in` only sets the cookie of a session made with the world: each request loads its
user afresh, so no reach cached on a user object (clients/access.py) outlives a case; a test
that uses `world.users` objects directly must not rely on their caches. How writes are
detected: docs/decisions/0008-access-matrix.md.

`participant` is on casemanager's caseload with probation_assigned and defence_assigned on the
team, an active service episode at provider_treating's agency and one at provider_elsewhere's,
a pending referral to provider's agency, a second enrollment in `other_program`, and a consent
naming every role of `program` that needs one for every Part 2 class. Every `MARKERS` string is
planted once in the record (tests/test_content_matrix.py says who sees it).
"""

import contextlib
import datetime
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import InstrumentVersion
from clients import services
from clients.access import DataClass
from clients.models import (
    CRIMINAL_JUSTICE_REVOCATION_TERMS,
    Appointment,
    AppointmentKind,
    Charge,
    ConsentTrigger,
    FollowUp,
)
from compliance.models import (
    BlackoutPeriod,
    BlackoutReason,
    DrugTest,
    Prescription,
    TestReason,
    TestStatus,
)
from court.models import (
    APPEARANCE_OUTCOME_REASONS,
    APPEARANCE_OUTCOMES,
    Appearance,
    CommunityServiceObligation,
    Condition,
    ConditionKind,
    CourtResponse,
    CourtSession,
    DocketEntry,
    LedgerEntry,
    LedgerEntryKind,
    PhaseChange,
    StaffingNote,
    Warrant,
    WarrantState,
)
from drugcourt.models import ResponseEffect
from drugcourt.roles import OrganizationKind, Role
from drugcourt.security import LAST_ACTIVITY_KEY
from drugcourt.selectors import program_today
from tests.conftest import PERSONAS, PNG_1PX, enrolled, make_persona, on_the_team
from tests.factories import (
    EnrollmentFactory,
    OrganizationFactory,
    ProgramFactory,
    UserFactory,
    assign,
    consent_to,
    consent_to_team,
    log_contact,
    settings_since_2020,
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
    "court_response": "MARKER-RESPONSE-Ember",
    "warrant": "MARKER-WARRANT-Flint",
    "hearing": "MARKER-HEARING-Basalt",
    "hearing_excuse": "MARKER-EXCUSE-Shale",
    "other_program_hearing": "MARKER-OTHER-HEARING-Moraine",
    "staffing_note": "MARKER-STAFFING-Driftwood",
    # A treating provider's staffing note: Part 2 to everyone outside their agency and the
    # treatment program (shown under the world's consent).
    "provider_staffing_note": "MARKER-PROVIDER-STAFFING-Birch",
    "phase_change": "MARKER-PHASE-CHANGE-Gravel",
    "condition": "MARKER-CONDITION-Loess",
    "ledger": "MARKER-LEDGER-Tallow",
    "phase_override": "MARKER-PHASE-OVERRIDE-Quartz",
}

# Tables whose rows move without a write of the product: sign-in sessions and the lockout
# records of django-axes.
NOT_WRITES = frozenset(
    {"django_session", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"}
)
# The access log's partitions (clients_accesslog_y2026m12, ..._default): every read that shows a
# participant writes its log row (docs/decisions/0018), so they move with reading.
READ_LOG = "clients_accesslog"


@dataclass(frozen=True)
class World:
    users: dict  # persona name → User
    objects: dict  # name a matrix entry uses → primary key
    sessions: dict  # persona name → the key of a session signed in as them

    def sign_in(self, client, persona: str) -> None:
        """Signs `client` in as the persona with the world's session (cheaper than
        force_login per case, and it writes nothing the product writes). Its idle clock starts
        again: the module's cases may take longer than a session's idle timeout."""
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        session = client.session
        session[LAST_ACTIVITY_KEY] = int(time.time())
        session.save()


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
        if count != before.get(table, 0)
        and table not in NOT_WRITES
        and not table.startswith(READ_LOG)
    }


@contextlib.contextmanager
def rolled_back():
    """A transaction (or a savepoint, inside one) that never commits."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def _on_docket(
    session, enrollment, *, appearance="", note="", next_hearing_on=None, next_hearing_reason=""
):
    """The enrollment's participant on the session's docket (its hearing appointment with it);
    with an appearance, as its judge recorded it."""
    appointment = Appointment.objects.create(
        participant_id=enrollment.participant_id,
        kind=AppointmentKind.COURT,
        scheduled_at=session.starts_at,
        program=session.program,
        location=session.courtroom,
        staff=session.judge,
        created_by=session.judge,
        outcome=APPEARANCE_OUTCOMES[Appearance(appearance)] if appearance else "",
        outcome_reason=APPEARANCE_OUTCOME_REASONS.get(appearance, ""),
    )
    return DocketEntry.objects.create(
        session=session,
        enrollment=enrollment,
        participant_id=enrollment.participant_id,
        appointment=appointment,
        appearance=appearance,
        appearance_note=note,
        next_hearing_on=next_hearing_on,
        next_hearing_reason=next_hearing_reason,
        recorded_by=session.judge if appearance else None,
        recorded_at=timezone.now() if appearance else None,
        placed_by=session.judge,
    )


def _warrant(entry, state, reason):
    return Warrant.objects.create(
        enrollment=entry.enrollment,
        participant_id=entry.participant_id,
        entry=entry,
        state=state,
        reason=reason,
        requested_on=entry.session.held_on,
        issued_on=entry.session.held_on if state == WarrantState.ISSUED else None,
        requested_by=entry.session.judge,
        changed_by=entry.session.judge,
        changed_at=timezone.now(),
    )


def _court_record(program, other_program, users, participant, elsewhere, today) -> dict:
    """`participant`'s court record: a hearing a week ago (excused, a response and a community
    service obligation given, a warrant requested; a no-contact order since; a fine, paid in
    part today), and today's session (its judge `judge`, `clerk` listed on it) with them on its
    docket, not heard yet; `elsewhere` on it too, heard, with an issued warrant; and a hearing of
    `participant` in `other_program` today (excused). Rows are written directly: the court
    services have tests of their own."""
    catalogue = settings_since_2020(program).response_options
    judge = users["judge"]
    enrollment = participant.enrollments.get(program=program)
    past = CourtSession.objects.create(
        program=program,
        held_on=today - datetime.timedelta(days=7),
        courtroom="2A",
        judge=judge,
        created_by=users["coordinator"],
    )
    heard = _on_docket(
        past,
        enrollment,
        appearance=Appearance.EXCUSED,
        note=MARKERS["hearing_excuse"],
        next_hearing_on=today,
        next_hearing_reason=MARKERS["hearing"],
    )
    praise = CourtResponse.objects.create(
        entry=heard,
        participant=participant,
        option=catalogue.get(name="Praise from the bench"),
        given_on=past.held_on,
        note=MARKERS["court_response"],
        recorded_by=judge,
    )
    service = CourtResponse.objects.create(
        entry=heard,
        participant=participant,
        option=catalogue.get(effect=ResponseEffect.COMMUNITY_SERVICE),
        given_on=past.held_on,
        hours=10,
        recorded_by=judge,
    )
    obligation = CommunityServiceObligation.objects.create(
        response=service, participant=participant, hours_ordered=10
    )
    warrant = _warrant(heard, WarrantState.REQUESTED, MARKERS["warrant"])
    PhaseChange.objects.create(
        enrollment=enrollment,
        entry=heard,
        from_phase=1,
        to_phase=2,
        decided_on=past.held_on,
        reason=MARKERS["phase_change"],
        # Advanced with a requirement unmet: the documented override is court data too.
        override_reason=MARKERS["phase_override"],
        unmet_requirements=["At least 90 days in the phase: 30 days"],
        decided_by=judge,
    )
    # A no-contact order from the day after the hearing a week ago, in force today.
    condition = Condition.objects.create(
        enrollment=enrollment,
        participant=participant,
        kind=ConditionKind.NO_CONTACT,
        terms=MARKERS["condition"],
        starts_on=past.held_on + datetime.timedelta(days=1),
        recorded_by=users["casemanager"],
    )
    # A fine ordered at that hearing, and a payment today (the marker on its note).
    ledger = {
        "enrollment": enrollment,
        "participant": participant,
        "program": program,
        "recorded_by": users["casemanager"],
    }
    LedgerEntry.objects.create(
        **ledger,
        kind=LedgerEntryKind.ASSESSMENT,
        amount=Decimal("100.00"),
        entry_date=past.held_on,
        charge="fine",
        description="Fine ordered at the hearing.",
    )
    payment = LedgerEntry.objects.create(
        **ledger,
        kind=LedgerEntryKind.PAYMENT,
        amount=Decimal("40.00"),
        entry_date=today,
        method="cash",
        receipt_number=1,
        description=MARKERS["ledger"],
    )
    session = CourtSession.objects.create(
        program=program, held_on=today, courtroom="2A", judge=judge, created_by=judge
    )
    session.clerks.set([users["clerk"]])
    entry = _on_docket(session, enrollment)
    # The case manager's staffing note on today's hearing.
    for author, role, marker in (
        ("casemanager", "case_manager", "staffing_note"),
        ("provider_treating", "treatment_provider", "provider_staffing_note"),
    ):
        StaffingNote.objects.create(
            entry=entry,
            author=users[author],
            role=role,
            text=MARKERS[marker],
            written_at=timezone.now(),
            updated_at=timezone.now(),
        )
    # `elsewhere` appeared today (decisions are taken at a hearing the participant appeared at);
    # a warrant of theirs issued before is still out.
    heard_today = _on_docket(session, elsewhere.enrollments.get(), appearance=Appearance.APPEARED)
    issued = _warrant(heard_today, WarrantState.ISSUED, "Absconded")
    other_judge = UserFactory(username="other_judge", roles=["judge"], programs=[other_program])
    elsewhere_session = CourtSession.objects.create(
        program=other_program,
        held_on=today,
        courtroom="1",
        judge=other_judge,
        created_by=other_judge,
    )
    other_hearing = _on_docket(
        elsewhere_session,
        participant.enrollments.get(program=other_program),
        appearance=Appearance.EXCUSED,
        note=MARKERS["other_program_hearing"],
    )
    return {
        "court_session": session.pk,
        "past_session": past.pk,
        "docket_entry": entry.pk,
        "heard_entry": heard_today.pk,
        "past_entry": heard.pk,
        "other_program_entry": other_hearing.pk,
        "response": praise.pk,
        "response_option": catalogue.get(name="Verbal warning").pk,
        "obligation": obligation.pk,
        "warrant": warrant.pk,
        "warrant_issued": issued.pk,
        "condition": condition.pk,
        "payment": payment.pk,
    }


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
    court = _court_record(program, other_program, users, participant, elsewhere, today)
    # Part 2 information reaches the court side and the providers under this consent.
    consent = consent_to_team(participant, program)
    # A criminal-justice one, irrevocable until the final disposition (its page records it).
    consent_cj = consent_to(
        participant,
        (program, Role.JUDGE),
        data_classes=[DataClass.DOCUMENTS],
        criminal_justice=True,
        revocation_terms=CRIMINAL_JUSTICE_REVOCATION_TERMS,
        irrevocable_until_event=ConsentTrigger.FINAL_DISPOSITION,
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
            "consent_cj": consent_cj.pk,
            "program_judges": f"{program.pk}:{Role.JUDGE}",
            "alert": alert.pk,
            "consent": consent.pk,
            **court,
            **{name: user.pk for name, user in users.items()},
        },
    )
