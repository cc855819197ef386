"""Court hearings made before the court app were plain appointments (kind=court). Each becomes a
docket entry of a court session: one session per program, program-local day and courtroom
(the appointment's location, or "Courtroom" when it has none), starting at the day's earliest
hearing. The appointment itself stays (the entry owns it) and keeps its time and outcome.

- program: the appointment's, else the participant's newest enrollment's program;
- enrollment: the participant's newest enrollment in that program;
- judge: the program's only active judge, if it has exactly one; otherwise none (a
  coordinator sets one on the session);
- appearance from the outcome: attended or late → appeared, missed → failed to appear,
  excused → excused (with its reason), cancelled → removed (with its reason); no outcome: none
  yet; who recorded it and when, from the outcome.

Left as they are, counted and reported: hearings of participants with no enrollment (in the
program), and a second hearing of the same participant in the same session. Running it again
converts only appointments no docket entry owns yet."""

import sys
import zoneinfo
from collections import defaultdict

from django.db import migrations

APPEARANCES = {
    "attended": "appeared",
    "late": "appeared",
    "missed": "failed_to_appear",
    "excused": "excused",
    "cancelled": "removed",
}
COURTROOM_MAX = 60
DEFAULT_COURTROOM = "Courtroom"


def _newest_enrollments(Enrollment, participant_ids):
    """participant id → their enrollments, newest first (referral date, then id)."""
    by_participant = defaultdict(list)
    for enrollment in Enrollment.objects.filter(participant_id__in=participant_ids).order_by(
        "participant_id", "-referral_date", "-id"
    ):
        by_participant[enrollment.participant_id].append(enrollment)
    return by_participant


def _only_judge(ProgramMembership, program_id):
    judges = list(
        ProgramMembership.objects.filter(
            program_id=program_id, user__is_active=True, user__roles__contains=["judge"]
        ).values_list("user_id", flat=True)[:2]
    )
    return judges[0] if len(judges) == 1 else None


def hearings_to_dockets(apps, schema_editor):
    Appointment = apps.get_model("clients", "Appointment")
    Enrollment = apps.get_model("clients", "Enrollment")
    Program = apps.get_model("drugcourt", "Program")
    ProgramMembership = apps.get_model("drugcourt", "ProgramMembership")
    CourtSession = apps.get_model("court", "CourtSession")
    DocketEntry = apps.get_model("court", "DocketEntry")

    hearings = list(
        Appointment.objects.filter(kind="court", docket_entry__isnull=True).order_by(
            "scheduled_at", "id"
        )
    )
    if not hearings:
        return
    enrollments = _newest_enrollments(Enrollment, {h.participant_id for h in hearings})
    zones = {
        program.pk: zoneinfo.ZoneInfo(program.time_zone) for program in Program.objects.all()
    }
    judges = {}
    sessions = {}  # (program id, day, courtroom lower-cased) → session
    no_enrollment, twice_in_a_session, converted = [], [], 0
    for hearing in hearings:
        mine = enrollments.get(hearing.participant_id, [])
        program_id = hearing.program_id or (mine[0].program_id if mine else None)
        enrollment = next((e for e in mine if e.program_id == program_id), None)
        if enrollment is None:
            no_enrollment.append(hearing.pk)
            continue
        local = hearing.scheduled_at.astimezone(zones[program_id])
        courtroom = (hearing.location.strip() or DEFAULT_COURTROOM)[:COURTROOM_MAX].strip()
        key = (program_id, local.date(), courtroom.lower())
        session = sessions.get(key)
        if session is None:
            session = CourtSession.objects.filter(
                program_id=program_id, held_on=local.date(), courtroom__iexact=courtroom
            ).first()
        if session is None:
            if program_id not in judges:
                judges[program_id] = _only_judge(ProgramMembership, program_id)
            session = CourtSession.objects.create(
                program_id=program_id,
                held_on=local.date(),
                start_time=local.time().replace(second=0, microsecond=0),
                courtroom=courtroom,
                judge_id=judges[program_id],
                created_by_id=hearing.created_by_id,
            )
            CourtSession.objects.filter(pk=session.pk).update(created_at=hearing.created_at)
        sessions[key] = session
        if DocketEntry.objects.filter(
            session=session, participant_id=hearing.participant_id
        ).exists():
            twice_in_a_session.append(hearing.pk)
            continue
        appearance = APPEARANCES.get(hearing.outcome, "")
        entry = DocketEntry.objects.create(
            session=session,
            enrollment=enrollment,
            participant_id=hearing.participant_id,
            appointment=hearing,
            appearance=appearance,
            appearance_note=hearing.outcome_reason[:300]
            if appearance in ("excused", "removed")
            else "",
            recorded_by_id=hearing.outcome_recorded_by_id if appearance else None,
            recorded_at=hearing.outcome_recorded_at if appearance else None,
            placed_by_id=hearing.created_by_id,
        )
        DocketEntry.objects.filter(pk=entry.pk).update(placed_at=hearing.created_at)
        converted += 1
    _report(converted, len(sessions), no_enrollment, twice_in_a_session)


def _report(converted, sessions, no_enrollment, twice_in_a_session):
    lines = [f"  Court hearings: {converted} placed on the dockets of {sessions} sessions."]
    if no_enrollment:
        lines.append(
            f"  {len(no_enrollment)} court appointments left as they are: the participant has "
            f"no enrollment in the hearing's program (ids {sorted(no_enrollment)[:50]})."
        )
    if twice_in_a_session:
        lines.append(
            f"  {len(twice_in_a_session)} court appointments left as they are: the participant "
            f"already has a hearing in that session (ids {sorted(twice_in_a_session)[:50]})."
        )
    sys.stdout.write("\n".join(lines) + "\n")


class Migration(migrations.Migration):
    dependencies = [
        ("court", "0001_initial"),
        ("clients", "0008_appointment_program"),
        ("drugcourt", "0011_response_catalogue"),
    ]

    operations = [migrations.RunPython(hearings_to_dockets, migrations.RunPython.noop)]
