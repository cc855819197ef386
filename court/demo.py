"""Demo data of the court. So far: the hearings at which the demo's graduations and
terminations were decided. clients.demo asks for each while it walks an enrollment through its
lifecycle (before the daily record, plans and tests, which follow the exit date), so the
enrollment is closed by the court's own decision, court.services.completion_decide.

The session and the docket entry of a past day are written as court_session_create and
docket_place write them (both refuse a past day), the appearance as hearing_record_outcome
records it, without a next hearing: the participant leaves the program there."""

import datetime

from django.utils import timezone

from clients import services as client_services
from clients.models import Enrollment, EntryType
from drugcourt.audit import audited_write
from drugcourt.models import Program, User
from drugcourt.selectors import program_today

from . import services
from .models import (
    APPEARANCE_OUTCOMES,
    Appearance,
    CompletionDecision,
    CompletionKind,
    CourtSession,
    DocketEntry,
)

COURTROOM = "Courtroom 3B"
SITS_AT = datetime.time(9, 0)
DISPOSITIONS = {
    (CompletionKind.GRADUATED, EntryType.PRE_PLEA): "Charges dismissed.",
    (CompletionKind.GRADUATED, EntryType.POST_PLEA): "Probation discharged as completed.",
    (CompletionKind.TERMINATED, EntryType.PRE_PLEA): "Returned to the regular docket.",
    (CompletionKind.TERMINATED, EntryType.POST_PLEA): "Sentenced on the original charge.",
}


def decide_at_a_hearing(
    *,
    enrollment: Enrollment,
    kind: str,
    day: datetime.date,
    reason: str,
    staff: dict[str, User],
) -> CompletionDecision:
    """The participant appeared before the demo judge at the program's session on `day`, which
    decided their graduation or termination."""
    judge, coordinator = staff["judge"], staff["coordinator"]
    program = enrollment.program
    with audited_write(coordinator):
        session = _session_on(program, day, judge=judge, coordinator=coordinator)
        appointment = client_services.hearing_appointment_create(
            participant=enrollment.participant,
            program=program,
            scheduled_at=session.starts_at,
            location=session.courtroom,
            staff=judge,
            actor=coordinator,
        )
        entry = DocketEntry.objects.create(
            session=session,
            enrollment=enrollment,
            participant=enrollment.participant,
            appointment=appointment,
            placed_by=coordinator,
        )
    heard_at = min(session.starts_at + datetime.timedelta(minutes=30), timezone.now())
    with audited_write(judge):
        entry.appearance = Appearance.APPEARED
        entry.recorded_by, entry.recorded_at = judge, heard_at
        entry.save(update_fields=["appearance", "recorded_by", "recorded_at"])
        client_services.hearing_appointment_set_outcome(
            appointment=appointment,
            outcome=APPEARANCE_OUTCOMES[Appearance.APPEARED],
            actor=judge,
            now=heard_at,
        )
    completion = CompletionKind(kind)
    return services.completion_decide(
        entry=entry,
        kind=completion,
        disposition=DISPOSITIONS[(completion, EntryType(enrollment.entry_type))],
        reason=reason,
        actor=judge,
    )


def _session_on(
    program: Program, day: datetime.date, *, judge: User, coordinator: User
) -> CourtSession:
    """The demo court sits at 9:00; a session of today, seeded before then, sat earlier (the
    hearing the decision was taken at is over)."""
    start = SITS_AT
    now = timezone.localtime(timezone=program.zone)
    if day == program_today(program) and now.time() < datetime.time(9, 30):
        earlier = (now - datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
        start = earlier.time() if earlier.date() == day else datetime.time(0, 0)
    session, _ = CourtSession.objects.get_or_create(
        program=program,
        held_on=day,
        courtroom=COURTROOM,
        defaults={"start_time": start, "judge": judge, "created_by": coordinator},
    )
    return session
