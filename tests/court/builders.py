"""Court rows built directly, for tests of what reads or decides on them (the hearing services
have tests of their own): a session on a day, a participant on its docket with an outcome."""

import datetime

from django.utils import timezone

from clients.models import Appointment, AppointmentKind, Enrollment
from court.models import APPEARANCE_OUTCOMES, Appearance, CourtSession, DocketEntry
from drugcourt.models import Program, User


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
