"""Court services."""

from django.core.exceptions import ValidationError

from clients import access
from clients import services as client_services
from clients.models import EnrollmentStatus
from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import User
from drugcourt.selectors import program_settings_in_force, program_today

from .models import (
    Appearance,
    CompletionDecision,
    CompletionKind,
    CourtSession,
    DocketEntry,
    PhaseChange,
)

# --- Decisions


def _check_decides_for(actor: User, session: CourtSession) -> None:
    if not access.acts_for_session(actor, session):
        raise ValidationError(
            "Only the session's judge, or a clerk listed on it, records the decisions of its "
            "hearings."
        )


def _check_on_or_after_the_hearing(session: CourtSession) -> None:
    if program_today(session.program) < session.held_on:
        raise ValidationError(
            f"The hearing is on {session.held_on:%b %-d, %Y}: its decisions are recorded on "
            "that day or later."
        )


def _check_heard(entry: DocketEntry, decision: str, *, absent_allowed: bool = False) -> None:
    """The decision is taken at a hearing the participant appeared at (or, `absent_allowed`,
    failed to appear at): their appearance is recorded first."""
    appearance = entry.appearance
    if appearance == Appearance.REMOVED:
        raise ValidationError(
            "The participant was taken off this docket: decide at a hearing they are on."
        )
    if not appearance:
        raise ValidationError(f"Record whether the participant appeared first: {decision}.")
    if appearance == Appearance.APPEARED or (
        absent_allowed and appearance == Appearance.FAILED_TO_APPEAR
    ):
        return
    absence = (
        "failed to appear"
        if appearance == Appearance.FAILED_TO_APPEAR
        else "was excused from appearing"
    )
    raise ValidationError(f"The participant {absence} at this hearing: {decision}.")


def phase_change_decide(
    *, entry: DocketEntry, to_phase: int, reason: str, actor: User
) -> PhaseChange:
    """Moves the participant to another phase, as decided at this hearing (the session's day):
    only the session's judge or one of its clerks records it, on or after that day, for a
    participant who appeared and whose enrollment is active, to a phase of the program's phase
    list in force that day, with a reason. The enrollment row is locked first, so a decision
    sent twice moves the participant once (the second is told they are already there)."""
    session = entry.session
    _check_decides_for(actor, session)
    with audited_write(actor):
        enrollment = lock(entry.enrollment)
        entry.refresh_from_db(fields=["appearance"])
        _check_on_or_after_the_hearing(session)
        _check_heard(entry, "a phase change is decided at a hearing they attend")
        if enrollment.status != EnrollmentStatus.ACTIVE or enrollment.phase is None:
            raise ValidationError(
                "Only an active enrollment changes phase; this one is "
                f"{EnrollmentStatus(enrollment.status).label.lower()}."
            )
        in_force = program_settings_in_force(session.program, session.held_on)
        phases = {phase.number for phase in in_force.phases.all()} if in_force else set()
        if to_phase not in phases:
            raise ValidationError(
                {
                    "to_phase": f"The program has no phase {to_phase} in the settings in force "
                    f"on {session.held_on:%b %-d, %Y}."
                }
            )
        if to_phase == enrollment.phase:
            raise ValidationError({"to_phase": f"The participant is already in phase {to_phase}."})
        if not reason.strip():
            raise ValidationError({"reason": "Say why the phase changes."})
        from_phase = enrollment.phase
        client_services.enrollment_set_phase(enrollment=enrollment, phase=to_phase, actor=actor)
        return PhaseChange.objects.create(
            enrollment=enrollment,
            entry=entry,
            from_phase=from_phase,
            to_phase=to_phase,
            decided_on=session.held_on,
            reason=reason.strip(),
            decided_by=actor,
        )


# The statuses each completion closes an enrollment from: an absconded participant may be
# terminated, not graduated.
COMPLETES_FROM = {
    CompletionKind.GRADUATED: frozenset({EnrollmentStatus.ACTIVE}),
    CompletionKind.TERMINATED: frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED}),
}


def completion_decide(
    *, entry: DocketEntry, kind: str, disposition: str, reason: str, actor: User
) -> CompletionDecision:
    """Graduation or termination, decided at this hearing with its disposition (e.g. charges
    dismissed, sentenced on the original charge): only the session's judge or one of its
    clerks records it, on or after the session's day, once per enrollment; graduation at a
    hearing the participant appeared at, termination also at one they failed to appear at.
    Closes the enrollment with that status on the session's day, the reason as its exit reason
    and status history (clients.services.enrollment_close_at_hearing), on the locked row: a
    decision sent twice is recorded once.

    It closes the enrollment only: closing what graduation and termination close with it
    (treatment plans, open referrals and episodes) comes with the phases issue (17)."""
    session = entry.session
    _check_decides_for(actor, session)
    if kind not in CompletionKind.values:
        raise ValidationError({"kind": "Choose graduation or termination."})
    completion = CompletionKind(kind)
    with audited_write(actor):
        enrollment = lock(entry.enrollment)
        entry.refresh_from_db(fields=["appearance"])
        earlier = CompletionDecision.objects.filter(enrollment=enrollment).first()
        if earlier is not None:
            raise ValidationError(
                f"{earlier.get_kind_display()} was already decided for this enrollment on "
                f"{earlier.decided_on:%b %-d, %Y}."
            )
        _check_on_or_after_the_hearing(session)
        graduation = completion == CompletionKind.GRADUATED
        _check_heard(
            entry,
            "graduation is decided at a hearing they attend"
            if graduation
            else "termination is decided at a hearing they attend or failed to appear at",
            absent_allowed=not graduation,
        )
        if enrollment.status not in COMPLETES_FROM[completion]:
            allowed = "an active" if graduation else "an active or absconded"
            raise ValidationError(
                f"Only {allowed} enrollment can be {completion.label.lower()}; this one is "
                f"{EnrollmentStatus(enrollment.status).label.lower()}."
            )
        errors = {}
        if not disposition.strip():
            errors["disposition"] = "Record the disposition (for example, charges dismissed)."
        if not reason.strip():
            errors["reason"] = f"Say why the participant is {completion.label.lower()}."
        if errors:
            raise ValidationError(errors)
        client_services.enrollment_close_at_hearing(
            enrollment=enrollment,
            to_status=completion.value,
            effective_date=session.held_on,
            reason=reason.strip(),
            actor=actor,
        )
        return CompletionDecision.objects.create(
            entry=entry,
            enrollment=enrollment,
            kind=completion,
            disposition=disposition.strip(),
            reason=reason.strip(),
            decided_on=session.held_on,
            decided_by=actor,
        )
