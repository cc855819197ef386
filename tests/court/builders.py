"""Court rows built directly, for tests of what reads or decides on them (the hearing services
have tests of their own): a session on a day, a participant on its docket with an outcome, and
the record the summary reads (a drug test with its result, an appointment with its outcome)."""

import datetime

from django.utils import timezone

from clients.models import Appointment, AppointmentKind, Enrollment
from compliance.models import DrugTest, DrugTestResult, SubstanceResult, TestStatus
from court.models import APPEARANCE_OUTCOMES, Appearance, CourtSession, DocketEntry
from drugcourt.models import Program, Substance, User


def session_on(
    program: Program, day: datetime.date, *, judge: User, clerks=(), courtroom: str = "2A"
) -> CourtSession:
    session = CourtSession.objects.create(
        program=program, held_on=day, courtroom=courtroom, judge=judge, created_by=judge
    )
    session.clerks.set(clerks)
    return session


def on_docket(
    session: CourtSession,
    enrollment: Enrollment,
    *,
    appearance: str = "",
    next_hearing_on: datetime.date | None = None,
    note: str = "",
) -> DocketEntry:
    """The enrollment's participant on the session's docket; with an appearance, as the judge
    recorded it (and its appointment's outcome)."""
    judge = session.judge
    note = note or ("Excused by the judge" if appearance == Appearance.EXCUSED else "")
    appointment = Appointment.objects.create(
        participant_id=enrollment.participant_id,
        kind=AppointmentKind.COURT,
        scheduled_at=session.starts_at,
        program=session.program,
        location=session.courtroom,
        staff=judge,
        created_by=judge,
        outcome=APPEARANCE_OUTCOMES[Appearance(appearance)] if appearance else "",
        outcome_reason=note,
    )
    return DocketEntry.objects.create(
        session=session,
        enrollment=enrollment,
        participant_id=enrollment.participant_id,
        appointment=appointment,
        appearance=appearance,
        appearance_note=note,
        next_hearing_on=next_hearing_on,
        recorded_by=judge if appearance else None,
        recorded_at=timezone.now() if appearance else None,
        placed_by=judge,
    )


def a_test(participant, program, day, status, *findings):
    """A test ordered for `day` (revealed), with a result holding `findings`."""
    moment = datetime.datetime.combine(day, datetime.time(15), tzinfo=datetime.UTC)
    collected = status not in (TestStatus.MISSED, TestStatus.REFUSED)
    test = DrugTest.objects.create(
        participant=participant,
        program=program,
        reason="ordered",
        scheduled_for=day,
        notified_at=moment,
        collected_at=moment if collected else None,
        status=status,
        status_changed_at=moment,
        panel=list(findings) or [Substance.COCAINE],
    )
    if collected:
        result = DrugTestResult.objects.create(
            drug_test=test,
            version=1,
            resulted_at=moment,
            status=status,
            recorded_by=participant.created_by,
        )
        SubstanceResult.objects.bulk_create(
            SubstanceResult(result=result, substance=substance) for substance in findings
        )
        DrugTest.objects.filter(pk=test.pk).update(current_result=result)
    return test


def an_appointment(participant, program, day, kind, outcome):
    return Appointment.objects.create(
        participant=participant,
        kind=kind,
        scheduled_at=datetime.datetime.combine(day, datetime.time(16), tzinfo=datetime.UTC),
        outcome=outcome,
        program=program,
        created_by=participant.created_by,
    )
