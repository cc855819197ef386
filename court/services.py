"""Court services: every write of the court app (sessions and dockets, hearing outcomes,
responses and what they set in motion, warrants, hearing decisions)."""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from clients import access
from clients import services as client_services
from clients.access import DataClass
from clients.models import (
    AlertSeverity,
    Appointment,
    Enrollment,
    EnrollmentStatus,
    IncidentCategory,
    Participant,
)
from clients.selectors import participant_today
from compliance import services as compliance_services
from compliance.selectors import with_testing_frequency
from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import (
    Behaviour,
    Program,
    ResponseCategory,
    ResponseEffect,
    ResponseOption,
    User,
)
from drugcourt.roles import Role
from drugcourt.selectors import (
    fee_schedule_in_force,
    phases_in_force,
    program_today,
    response_catalogue_in_force,
)
from drugcourt.services import money_problem
from treatment_plans import services as plan_services

from . import selectors
from .models import (
    APPEARANCE_OUTCOME_REASONS,
    APPEARANCE_OUTCOMES,
    FAILURE_TO_APPEAR,
    HEARING_ALERT_SOURCE,
    STAFFING_NOTE_MAX,
    WARRANT_ALERT_SOURCE,
    WARRANT_SERVED,
    WARRANT_TRANSITIONS,
    Appearance,
    Charge,
    CommunityServiceHours,
    CommunityServiceObligation,
    Condition,
    ConditionKind,
    ConditionViolation,
    CourtResponse,
    CourtSession,
    DocketEntry,
    LedgerEntry,
    LedgerEntryKind,
    PaymentMethod,
    PhaseChange,
    StaffingNote,
    StaffingRecommendation,
    Warrant,
    WarrantState,
)

# --- Hearings
# Sessions and dockets are the coordinators'; a hearing's outcome belongs to the session's judge
# or a clerk listed on it (clients.access.acts_for_session); warrants to the program's court. A
# docket entry owns the participant's Appointment(kind=court), which only these services write
# (through clients.services.hearing_appointment_*).

# Who may be on a docket, and have a warrant requested: a participant still in the program.
DOCKETABLE_STATUSES = frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED})
# What the judge or clerk records at the hearing (a removal is the coordinator's, before it).
RECORDED_APPEARANCES = (Appearance.APPEARED, Appearance.FAILED_TO_APPEAR, Appearance.EXCUSED)
NEEDS_NEXT_HEARING = frozenset({Appearance.APPEARED, Appearance.EXCUSED})
SESSION_UNIQUE = "court_session_one_per_courtroom_day"


def _check_bench(*, program: Program, judge: User | None, clerks: list[User]) -> None:
    """The session's judge holds the judge role, its clerks the clerk role, all of them active
    members of the program."""

    def serves(user: User, role: Role) -> bool:
        return (
            user.is_active
            and user.has_role(role)
            and user.memberships.filter(program=program).exists()
        )

    errors = {}
    if judge is None:
        errors["judge"] = "Choose the judge who sits in this session."
    elif not serves(judge, Role.JUDGE):
        errors["judge"] = f"{judge} is not a judge of this program."
    if wrong := [str(clerk) for clerk in clerks if not serves(clerk, Role.CLERK)]:
        errors["clerks"] = f"Not a clerk of this program: {', '.join(wrong)}."
    if errors:
        raise ValidationError(errors)


def _save_session(session: CourtSession, update_fields: list[str] | None = None) -> None:
    """Saves the session; a second session of the program in the same courtroom on the same day
    is refused with a message (the unique constraint decides, also for two at once)."""
    try:
        with transaction.atomic():
            session.save(update_fields=update_fields)
    except IntegrityError as error:
        if SESSION_UNIQUE not in str(error):
            raise
        raise ValidationError(
            {
                "courtroom": f"The program already has a session in {session.courtroom} on "
                f"{session.held_on:%Y-%m-%d}."
            }
        ) from None


def _check_coordinator(actor: User, program: Program, what: str) -> None:
    if not access.coordinates(actor, program):
        raise ValidationError(f"Only the program's coordinators {what}.")


def court_session_create(
    *,
    program: Program,
    held_on: datetime.date,
    start_time: datetime.time,
    courtroom: str,
    judge: User | None,
    clerks: Iterable[User],
    actor: User,
) -> CourtSession:
    """A sitting of the program's court, set up by one of its coordinators: its day (today or
    later, in the program's time zone), time and courtroom, its judge and the clerks who act
    for that judge on it."""
    _check_coordinator(actor, program, "set up court sessions")
    clerks, courtroom = list(clerks), courtroom.strip()
    errors = {}
    if not courtroom:
        errors["courtroom"] = "Name the courtroom."
    if held_on < program_today(program):
        errors["held_on"] = "A court session cannot be set up on a past day."
    if errors:
        raise ValidationError(errors)
    _check_bench(program=program, judge=judge, clerks=clerks)
    with audited_write(actor):
        session = CourtSession(
            program=program,
            held_on=held_on,
            start_time=start_time,
            courtroom=courtroom,
            judge=judge,
            created_by=actor,
        )
        _save_session(session)
        session.clerks.set(clerks)
        return session


def court_session_update(
    *,
    session: CourtSession,
    start_time: datetime.time,
    courtroom: str,
    judge: User | None,
    clerks: Iterable[User],
    actor: User,
) -> CourtSession:
    """Changes a session's time, courtroom, judge or clerks; the hearings on its docket that
    have no outcome yet move with it (calendars follow). A past session keeps its time and
    courtroom: only its judge and clerks change (e.g. a session migrated without a judge)."""
    program = session.program
    _check_coordinator(actor, program, "change court sessions")
    clerks, courtroom = list(clerks), courtroom.strip()
    if not courtroom:
        raise ValidationError({"courtroom": "Name the courtroom."})
    _check_bench(program=program, judge=judge, clerks=clerks)
    with audited_write(actor):
        lock(session)
        moved = start_time != session.start_time or courtroom != session.courtroom
        if moved and session.held_on < program_today(program):
            raise ValidationError(
                "A past session keeps its time and courtroom; only its judge and clerks change."
            )
        session.start_time, session.courtroom, session.judge = start_time, courtroom, judge
        _save_session(session, ["start_time", "courtroom", "judge"])
        session.clerks.set(clerks)
        client_services.hearing_appointments_move(
            appointments=Appointment.objects.filter(docket_entry__session=session),
            scheduled_at=session.starts_at,
            location=session.courtroom,
            staff=judge,
            actor=actor,
        )
        return session


def docket_place(*, session: CourtSession, enrollment: Enrollment, actor: User) -> DocketEntry:
    """Puts a participant active (or absconded) in the session's program on its docket, with
    the hearing on their calendar: an Appointment(kind=court) at the session's time and
    courtroom, with its judge. Only for a session today or later; once per docket."""
    program = session.program
    _check_coordinator(actor, program, "place participants on a docket")
    if session.held_on < program_today(program):
        raise ValidationError("This session has passed; its docket is closed.")
    with audited_write(actor):
        lock(session)  # one placement at a time: the same participant sent twice is placed once
        lock(enrollment)
        if enrollment.program_id != session.program_id or (
            enrollment.status not in DOCKETABLE_STATUSES
        ):
            raise ValidationError(
                {
                    "enrollment": "Only a participant active or absconded in this program can be "
                    "placed on its docket."
                }
            )
        participant = enrollment.participant
        if session.entries.filter(participant=participant).exists():
            raise ValidationError({"enrollment": f"{participant} is already on this docket."})
        appointment = client_services.hearing_appointment_create(
            participant=participant,
            program=program,
            scheduled_at=session.starts_at,
            location=session.courtroom,
            staff=session.judge,
            actor=actor,
        )
        return DocketEntry.objects.create(
            session=session,
            enrollment=enrollment,
            participant=participant,
            appointment=appointment,
            placed_by=actor,
        )


def _refuse_second_outcome(entry: DocketEntry) -> None:
    """Called on the locked row: a hearing has one outcome."""
    if entry.appearance == Appearance.REMOVED:
        raise ValidationError("This participant was already taken off the docket.")
    if entry.appearance:
        raise ValidationError(
            f"This hearing already has an outcome ({entry.get_appearance_display().lower()})."
        )


def docket_remove(*, entry: DocketEntry, reason: str, actor: User) -> DocketEntry:
    """Takes a participant off a docket before their hearing has an outcome, with the reason;
    the hearing on their calendar is cancelled."""
    _check_coordinator(actor, entry.session.program, "take participants off a docket")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the participant is taken off the docket."})
    with audited_write(actor):
        return take_off_docket(entry=entry, reason=reason, actor=actor, now=timezone.now())


def take_off_docket(
    *, entry: DocketEntry, reason: str, actor: User, now: datetime.datetime
) -> DocketEntry:
    """Takes the entry off its docket (REMOVED, with `reason`) and cancels the hearing on the
    calendar, on the locked row; refused once the hearing has an outcome. Called inside the
    caller's transaction by docket_remove and court.completion, which check who acts."""
    with audited_write(actor):
        lock(entry)
        _refuse_second_outcome(entry)
        entry.appearance, entry.appearance_note = Appearance.REMOVED, reason.strip()[:300]
        entry.recorded_by, entry.recorded_at = actor, now
        entry.save(update_fields=["appearance", "appearance_note", "recorded_by", "recorded_at"])
        client_services.hearing_appointment_set_outcome(
            appointment=entry.appointment,
            outcome=APPEARANCE_OUTCOMES[Appearance.REMOVED],
            reason=APPEARANCE_OUTCOME_REASONS[Appearance.REMOVED],
            actor=actor,
            now=now,
        )
        return entry


def _check_outcome(
    entry: DocketEntry,
    *,
    appearance: str,
    note: str,
    next_hearing_on: datetime.date | None,
    next_hearing_reason: str,
    today: datetime.date,
) -> None:
    session = entry.session
    if session.held_on > today:
        raise ValidationError("A hearing's outcome cannot be recorded before the session's day.")
    errors = {}
    if appearance not in RECORDED_APPEARANCES:
        errors["appearance"] = "Choose appeared, failed to appear or excused from appearing."
    if appearance == Appearance.EXCUSED and not note.strip():
        errors["note"] = "Say why the participant is excused from appearing."
    if next_hearing_on is None:
        if appearance in NEEDS_NEXT_HEARING:
            errors["next_hearing_on"] = "Set the date of the next hearing."
    elif next_hearing_on < today:
        errors["next_hearing_on"] = "The next hearing cannot be in the past."
    elif next_hearing_on <= session.held_on:
        errors["next_hearing_on"] = "The next hearing comes after this session's day."
    elif not next_hearing_reason.strip():
        default = selectors.next_hearing_default(entry)
        if default is not None and next_hearing_on != default:
            errors["next_hearing_reason"] = (
                f"By the hearing frequency the next hearing is on {default:%Y-%m-%d}; say why "
                "it is on another day."
            )
    if errors:
        raise ValidationError(errors)


def hearing_record_outcome(
    *,
    entry: DocketEntry,
    appearance: str,
    next_hearing_on: datetime.date | None,
    actor: User,
    note: str = "",
    next_hearing_reason: str = "",
    now: datetime.datetime | None = None,
) -> DocketEntry:
    """Records a hearing, once, by the session's judge or a clerk listed on it, on or after its
    day: whether the participant appeared (an excuse needs its reason) and the next hearing
    (needed unless they failed to appear; a day other than the hearing frequency's,
    court.selectors.next_hearing_default, needs its reason). The hearing's appointment gets
    the matching outcome. A failure to appear raises one "failure_to_appear" alert (the team
    and the judge see it) and requests a bench warrant, which the coordinator follows up."""
    now = now or timezone.now()
    session = entry.session
    if not access.acts_for_session(actor, session):
        raise ValidationError(
            "Only the session's judge, or a clerk listed on it, records hearings."
        )
    _check_outcome(
        entry,
        appearance=appearance,
        note=note,
        next_hearing_on=next_hearing_on,
        next_hearing_reason=next_hearing_reason,
        today=program_today(session.program, now),
    )
    with audited_write(actor):
        lock(entry)
        _refuse_second_outcome(entry)
        entry.appearance, entry.appearance_note = appearance, note.strip()
        entry.next_hearing_on = next_hearing_on
        entry.next_hearing_reason = next_hearing_reason.strip()
        entry.recorded_by, entry.recorded_at = actor, now
        entry.save(
            update_fields=[
                "appearance",
                "appearance_note",
                "next_hearing_on",
                "next_hearing_reason",
                "recorded_by",
                "recorded_at",
            ]
        )
        client_services.hearing_appointment_set_outcome(
            appointment=entry.appointment,
            outcome=APPEARANCE_OUTCOMES[Appearance(appearance)],
            reason=APPEARANCE_OUTCOME_REASONS.get(Appearance(appearance), ""),
            actor=actor,
            now=now,
        )
        if appearance == Appearance.FAILED_TO_APPEAR:
            _failure_to_appear(entry, actor=actor, now=now)
        return entry


def _failure_to_appear(entry: DocketEntry, *, actor: User, now: datetime.datetime) -> None:
    """One alert for the hearing, assigned to the case manager (else the coordinator who placed
    the participant on the docket), and a warrant request unless one is open already."""
    session, participant = entry.session, entry.participant
    client_services.alert_raise(
        participant=participant,
        kind=FAILURE_TO_APPEAR,
        source_key=f"{HEARING_ALERT_SOURCE}:{entry.pk}",
        data_class=access.DataClass.COURT,
        message=f"Failed to appear at the hearing of {session.held_on:%Y-%m-%d} "
        f"({session.courtroom}); a bench warrant is requested.",
        severity=AlertSeverity.WARNING,
        assigned_to=selectors.case_manager_of(participant) or entry.placed_by,
    )
    enrollment = lock(entry.enrollment)
    if enrollment.status in DOCKETABLE_STATUSES and selectors.open_warrant(enrollment) is None:
        _create_warrant(
            enrollment=enrollment,
            reason=f"Failed to appear at the hearing of {session.held_on:%Y-%m-%d}.",
            actor=actor,
            entry=entry,
            now=now,
        )


# Warrants: requested (by the coordinator, or by a failure to appear), issued by the court,
# then served or recalled (WARRANT_TRANSITIONS). While issued, the enrollment is absconded.


def _create_warrant(
    *,
    enrollment: Enrollment,
    reason: str,
    actor: User,
    entry: DocketEntry | None,
    now: datetime.datetime,
) -> Warrant:
    return Warrant.objects.create(
        enrollment=enrollment,
        participant_id=enrollment.participant_id,
        entry=entry,
        reason=reason.strip(),
        requested_on=program_today(enrollment.program, now),
        requested_by=actor,
        changed_by=actor,
        changed_at=now,
    )


def warrant_request(
    *, enrollment: Enrollment, reason: str, actor: User, entry: DocketEntry | None = None
) -> Warrant:
    """Asks the court for a bench warrant for a participant active or absconded in the program
    (one open warrant per enrollment); the program's coordinators and court request one."""
    if not access.works_warrants(actor, enrollment.program):
        raise ValidationError(
            "Only the program's coordinators, judges and clerks request bench warrants."
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why the warrant is requested."})
    if entry is not None and entry.enrollment_id != enrollment.pk:
        raise ValidationError("That hearing is not of this enrollment.")
    with audited_write(actor):
        lock(enrollment)  # one request at a time per enrollment
        if enrollment.status not in DOCKETABLE_STATUSES:
            raise ValidationError(
                "A warrant is requested only for a participant active or absconded in the program."
            )
        if (existing := selectors.open_warrant(enrollment)) is not None:
            raise ValidationError(
                "This enrollment already has an open warrant "
                f"({existing.get_state_display().lower()}, requested on "
                f"{existing.requested_on:%Y-%m-%d})."
            )
        return _create_warrant(
            enrollment=enrollment, reason=reason, actor=actor, entry=entry, now=timezone.now()
        )


def _warrant_move(
    *, warrant: Warrant, to_state: WarrantState, on: datetime.date, actor: User, reason: str
) -> Warrant:
    """Moves a warrant along WARRANT_TRANSITIONS on its locked row, with the day it happened,
    and keeps the enrollment's status in step: issued → absconded; served or recalled after
    being issued → active again (if it is still absconded)."""
    program = warrant.enrollment.program
    if on > program_today(program):
        raise ValidationError({"on": "The date cannot be in the future."})
    with audited_write(actor):
        lock(warrant)
        from_state = WarrantState(warrant.state)
        if to_state not in WARRANT_TRANSITIONS[from_state]:
            raise ValidationError(
                f"A warrant that is {from_state.label.lower()} cannot become "
                f"{to_state.label.lower()}."
            )
        since = warrant.issued_on or warrant.requested_on
        if on < since:
            raise ValidationError(
                {
                    "on": "The date cannot be before the warrant was "
                    f"{'issued' if warrant.issued_on else 'requested'} ({since:%Y-%m-%d})."
                }
            )
        warrant.state = to_state
        setattr(warrant, f"{to_state.value}_on", on)
        warrant.changed_by, warrant.changed_at = actor, timezone.now()
        warrant.change_reason = reason.strip()
        warrant.save(
            update_fields=[
                "state",
                f"{to_state.value}_on",
                "change_reason",
                "changed_by",
                "changed_at",
            ]
        )
        enrollment = lock(warrant.enrollment)
        why = f"Bench warrant {to_state.label.lower()} on {on:%Y-%m-%d}."
        if reason.strip():
            why = f"{why} {reason.strip()}"
        if to_state == WarrantState.ISSUED:
            if enrollment.status not in DOCKETABLE_STATUSES:
                raise ValidationError(
                    "The participant is no longer in the program: recall the warrant instead."
                )
            if enrollment.status == EnrollmentStatus.ACTIVE:
                client_services.enrollment_warrant_status_change(
                    enrollment=enrollment,
                    to_status=EnrollmentStatus.ABSCONDED,
                    effective_date=on,
                    reason=why,
                    actor=actor,
                )
        elif from_state == WarrantState.ISSUED and enrollment.status == EnrollmentStatus.ABSCONDED:
            client_services.enrollment_warrant_status_change(
                enrollment=enrollment,
                to_status=EnrollmentStatus.ACTIVE,
                effective_date=on,
                reason=why,
                actor=actor,
            )
        return warrant


def warrant_issue(*, warrant: Warrant, on: datetime.date, actor: User, reason: str = "") -> Warrant:
    """The court issues a requested warrant: the enrollment becomes absconded."""
    if not access.sits_in(actor, warrant.enrollment.program):
        raise ValidationError("Only a judge or clerk of the program issues bench warrants.")
    return _warrant_move(
        warrant=warrant, to_state=WarrantState.ISSUED, on=on, actor=actor, reason=reason
    )


def warrant_serve(*, warrant: Warrant, on: datetime.date, actor: User, reason: str = "") -> Warrant:
    """An issued warrant was served: the participant is back, active again, and the court is
    told (one alert, COURT_ALERT_KINDS)."""
    if not access.works_warrants(actor, warrant.enrollment.program):
        raise ValidationError(
            "Only the program's coordinators, judges and clerks record that a warrant was served."
        )
    with audited_write(actor):
        warrant = _warrant_move(
            warrant=warrant, to_state=WarrantState.SERVED, on=on, actor=actor, reason=reason
        )
        client_services.alert_raise(
            participant=warrant.participant,
            kind=WARRANT_SERVED,
            source_key=f"{WARRANT_ALERT_SOURCE}:{warrant.pk}",
            data_class=access.DataClass.COURT,
            message=f"Bench warrant served on {on:%Y-%m-%d}: the participant is back before the "
            "court.",
            severity=AlertSeverity.WARNING,
            assigned_to=selectors.case_manager_of(warrant.participant),
        )
        return warrant


def warrant_recall(
    *, warrant: Warrant, on: datetime.date, actor: User, reason: str = ""
) -> Warrant:
    """The court recalls a requested or issued warrant; an absconded participant whose warrant
    was issued is active again."""
    if not access.sits_in(actor, warrant.enrollment.program):
        raise ValidationError("Only a judge or clerk of the program recalls bench warrants.")
    return _warrant_move(
        warrant=warrant, to_state=WarrantState.RECALLED, on=on, actor=actor, reason=reason
    )


# --- Responses

# The details each effect is given with at the hearing, and the range of each (inclusive).
# A gift card's amount is checked on its own (a positive sum of money).
EFFECT_DETAILS: dict[str, dict[str, tuple[int, int]]] = {
    ResponseEffect.NONE: {},
    ResponseEffect.INCREASED_TESTING: {"tests_per_week": (1, 7), "weeks": (1, 26)},
    ResponseEffect.JAIL: {"days": (1, 90)},
    ResponseEffect.COMMUNITY_SERVICE: {"hours": (1, 500)},
    ResponseEffect.CURFEW: {"weeks": (1, 26)},
    ResponseEffect.REDUCED_REPORTING: {"weeks": (1, 26)},
    ResponseEffect.GIFT_CARD: {},
}
DETAIL_WORDS = {
    "tests_per_week": "tests a week",
    "weeks": "weeks",
    "days": "days",
    "hours": "hours",
    "amount": "amount",
}
# The practice standard on jail: brief, definite, with due process. Longer than this needs its
# reason, counsel present and a hearing given (court_response_long_jail_due_process).
SHORT_JAIL_DAYS = 6
GIFT_CARD_MAX = Decimal("999999.99")


def response_record(
    *,
    entry: DocketEntry,
    option: ResponseOption,
    actor: User,
    tests_per_week: int | None = None,
    weeks: int | None = None,
    days: int | None = None,
    hours: int | None = None,
    amount: Decimal | None = None,
    note: str = "",
    behaviour: str = "",
    jail_reason: str = "",
    counsel_present: bool = False,
    hearing_given: bool = False,
    now: datetime.datetime | None = None,
) -> CourtResponse:
    """An incentive, sanction or therapeutic adjustment given at the hearing of `entry`, from
    the program's response catalogue in force on the session's day, with the details its
    effect needs (EFFECT_DETAILS). Only the session's judge or one of its clerks records it,
    on or after the session's day, for a participant still on the docket; each option once
    per hearing (the entry's row lock makes a double submit write once).

    What it sets in motion, from the session's day: increased testing a court testing order
    for `weeks` weeks (compliance.services.testing_order_create); jail a custody period of
    `days` days (compliance.services.custody_blackout_record); community service an
    obligation of `hours` hours. Curfew and reduced reporting (weeks) and a gift card (amount)
    are recorded with their details.

    `behaviour` (optional) is what it answers: an achievement only an incentive, a violation
    anything but one. The response matrix counts these as prior occurrences."""
    session = entry.session
    if not access.acts_for_session(actor, session):
        raise ValidationError(
            "Only the session's judge or a clerk listed on it records responses at its hearings."
        )
    today = program_today(session.program, now or timezone.now())
    if today < session.held_on:
        raise ValidationError(
            f"Responses are recorded at the hearing: this session sits on "
            f"{session.held_on:%b %-d, %Y}."
        )
    if (
        not response_catalogue_in_force(session.program, session.held_on)
        .filter(pk=option.pk)
        .exists()
    ):
        raise ValidationError(
            f"“{option.name}” is not in the program's response catalogue in force on "
            f"{session.held_on:%b %-d, %Y}."
        )
    details = {
        "tests_per_week": tests_per_week,
        "weeks": weeks,
        "days": days,
        "hours": hours,
        "amount": amount,
    }
    amount = _check_details(option, details)
    _check_answers(option, behaviour)
    is_jail = option.effect == ResponseEffect.JAIL
    _check_text(note=note, jail_reason=jail_reason if is_jail else "")
    if is_jail:
        _check_due_process(days or 0, jail_reason, counsel_present, hearing_given)
    with audited_write(actor):
        lock(entry)
        if entry.appearance == Appearance.REMOVED:
            raise ValidationError(
                f"{entry.participant} was taken off this docket; no response can be recorded."
            )
        if entry.responses.filter(option=option).exists():
            raise ValidationError(f"“{option.name}” is already recorded at this hearing.")
        response = CourtResponse(
            entry=entry,
            participant_id=entry.participant_id,
            option=option,
            given_on=session.held_on,
            note=note.strip(),
            behaviour=behaviour,
            recorded_by=actor,
            amount=amount,
            **{
                name: value
                for name, value in details.items()
                if name in EFFECT_DETAILS[option.effect]
            },
        )
        if is_jail:
            response.jail_reason = jail_reason.strip()
            response.counsel_present, response.hearing_given = counsel_present, hearing_given
        ordered_at = f"ordered at the hearing of {session.held_on:%b %-d, %Y}"
        if option.effect == ResponseEffect.INCREASED_TESTING:
            # _check_details made sure of both.
            tests_per_week, weeks = cast(int, tests_per_week), cast(int, weeks)
            _check_increases_testing(entry, tests_per_week)
            response.testing_order = compliance_services.testing_order_create(
                participant=entry.participant,
                program=session.program,
                tests_per_week=tests_per_week,
                starts_on=session.held_on,
                ends_on=session.held_on + datetime.timedelta(days=7 * weeks - 1),
                reason=f"{option.name}, {ordered_at}."[:300],
                actor=actor,
                now=now,
            )
        elif is_jail:
            days = cast(int, days)  # _check_details made sure of it
            response.custody = compliance_services.custody_blackout_record(
                participant=entry.participant,
                starts_on=session.held_on,
                ends_on=session.held_on + datetime.timedelta(days=days - 1),
                note=f"{option.name}: {days} day{'s' if days != 1 else ''} {ordered_at}.",
                actor=actor,
                now=now,
            )
        response.save()
        if option.effect == ResponseEffect.COMMUNITY_SERVICE:
            CommunityServiceObligation.objects.create(
                response=response,
                participant_id=entry.participant_id,
                hours_ordered=cast(int, hours),  # _check_details made sure of it
            )
        return response


def _check_details(option: ResponseOption, details: dict) -> Decimal | None:
    """The details the option's effect needs, each in its range, and no other; returns the
    gift card's amount as money."""
    wanted = EFFECT_DETAILS[option.effect]
    errors: dict[str, str] = {}
    for name, value in details.items():
        if name == "amount":
            continue
        if name in wanted:
            low, high = wanted[name]
            if value is None or not isinstance(value, int) or not low <= value <= high:
                errors[name] = (
                    f"{option.name} needs its {DETAIL_WORDS[name]}: a number from {low} to {high}."
                )
        elif value is not None:
            errors[name] = f"{option.name} takes no {DETAIL_WORDS[name]}; leave it empty."
    amount = details["amount"]
    if option.effect == ResponseEffect.GIFT_CARD:
        amount = _money(amount)
        if amount is None or not Decimal("0") < amount <= GIFT_CARD_MAX:
            errors["amount"] = f"{option.name} needs its amount: a sum of money above 0."
    elif amount is not None:
        errors["amount"] = f"{option.name} takes no amount; leave it empty."
    if errors:
        raise ValidationError(errors)
    return amount


def _check_answers(option: ResponseOption, behaviour: str) -> None:
    """An achievement is answered by an incentive, a violation by a sanction or a therapeutic
    adjustment (the response matrix's rule too)."""
    if not behaviour:
        return
    if behaviour not in Behaviour.values:
        raise ValidationError({"behaviour": "Choose a behaviour from the list."})
    answered = Behaviour(behaviour)
    if (option.category == ResponseCategory.INCENTIVE) != answered.is_achievement:
        expected = (
            "an incentive" if answered.is_achievement else "a sanction or a therapeutic adjustment"
        )
        raise ValidationError(
            {"behaviour": f"{answered.label} is answered by {expected}, not “{option.name}”."}
        )


def _money(value) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


def _check_text(*, note: str, jail_reason: str) -> None:
    errors = {}
    if len(note.strip()) > 300:
        errors["note"] = "Keep the note to 300 characters."
    if len(jail_reason.strip()) > 500:
        errors["jail_reason"] = "Keep the reason for jail to 500 characters."
    if errors:
        raise ValidationError(errors)


def _check_due_process(
    days: int, jail_reason: str, counsel_present: bool, hearing_given: bool
) -> None:
    """Jail longer than SHORT_JAIL_DAYS: its reason, counsel present and a hearing given."""
    if days <= SHORT_JAIL_DAYS:
        return
    errors = {}
    longer = f"Jail over {SHORT_JAIL_DAYS} days"
    if not jail_reason.strip():
        errors["jail_reason"] = f"{longer} needs its reason on the record."
    if not counsel_present:
        errors["counsel_present"] = f"{longer} needs defence counsel present."
    if not hearing_given:
        errors["hearing_given"] = f"{longer} needs a hearing given on it first."
    if errors:
        raise ValidationError(errors)


def _check_increases_testing(entry: DocketEntry, tests_per_week: int) -> None:
    """An increased-testing order must test more often than the participant does on the
    session's day (phase default, intensity or an order already in force)."""
    current = (
        with_testing_frequency(
            Enrollment.objects.filter(pk=entry.enrollment_id), entry.session.held_on
        )
        .values_list("tests_per_week", flat=True)
        .first()
    )
    if current is not None and tests_per_week <= current:
        raise ValidationError(
            {
                "tests_per_week": f"The participant already tests {current} times a week; "
                "increased testing orders more."
            }
        )


HOURS_IN_A_DAY = (Decimal("0.5"), Decimal("24"))


def community_service_log_hours(
    *,
    obligation: CommunityServiceObligation,
    worked_on: datetime.date,
    hours: Decimal,
    actor: User,
) -> CommunityServiceHours:
    """Hours of community service worked on a day towards an obligation, logged by the
    participant's case manager or a coordinator (access.logs_service_hours): from the day of
    the hearing that ordered them to today, 0.5 to 24 hours, never past the hours ordered (the
    obligation's row lock keeps two logs sent at once from passing it together)."""
    participant = Participant.objects.get(pk=obligation.participant_id)
    if not access.logs_service_hours(actor, participant):
        raise ValidationError(
            "Only the participant's case manager or a coordinator logs community service hours."
        )
    response = CourtResponse.objects.select_related("entry__session__program").get(
        pk=obligation.response_id
    )
    program = response.entry.session.program
    errors: dict[str, str] = {}
    amount = _hours(hours)
    low, high = HOURS_IN_A_DAY
    if amount is None or not low <= amount <= high:
        errors["hours"] = "Give the hours worked that day: 0.5 to 24, in tenths of an hour."
    if worked_on > program_today(program):
        errors["worked_on"] = "Hours cannot be logged for a day still to come."
    elif worked_on < response.given_on:
        errors["worked_on"] = (
            f"The hours were ordered on {response.given_on:%b %-d, %Y}; log work from that day on."
        )
    if errors:
        raise ValidationError(errors)
    amount = cast(Decimal, amount)  # checked above
    with audited_write(actor):
        lock(obligation)
        if obligation.closed_on is not None:
            raise ValidationError(
                f"This community service was closed with the enrollment on "
                f"{obligation.closed_on:%b %-d, %Y} ({obligation.get_closed_as_display().lower()})."
            )
        logged = obligation.hours_worked.aggregate(total=Sum("hours"))["total"] or Decimal(0)
        left = obligation.hours_ordered - logged
        if left <= 0:
            raise ValidationError(
                f"All {obligation.hours_ordered} hours ordered are already logged."
            )
        if amount > left:
            raise ValidationError(
                {
                    "hours": f"Only {_plain(left)} of the {obligation.hours_ordered} hours "
                    f"ordered are left to log; {_plain(amount)} would pass them."
                }
            )
        return CommunityServiceHours.objects.create(
            obligation=obligation, worked_on=worked_on, hours=amount, recorded_by=actor
        )


def _hours(value) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.1")):
        return None
    return amount


def _plain(hours: Decimal) -> str:
    """2.5 as "2.5", 3.0 as "3"."""
    return f"{hours.normalize():f}"


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
    *,
    entry: DocketEntry,
    to_phase: int,
    reason: str,
    actor: User,
    override_reason: str = "",
    remedial_plan_note: str = "",
) -> PhaseChange:
    """Moves the participant to another phase, as decided at this hearing (the session's day):
    only the session's judge or one of its clerks records it, on or after that day, for a
    participant who appeared and whose enrollment is active, to a phase of the program's phase
    list in force that day, with a reason.

    An advance goes to the next phase only, when the requirements to advance from the current
    phase are met on the hearing's day (selectors.phase_checklists; fees never block), or with
    an override reason: the documented override, stored with the requirements unmet then. A
    demotion (to any lower phase) needs the remedial plan note; the participant then meets
    that phase's requirements again, counted from this day. Either way the plan in force falls
    due for review (treatment_plans.services.plan_review_due_at_phase_change); the testing and
    hearing defaults follow the enrollment's phase from the next weekly draw and the next
    hearing. The enrollment row is locked first, so a decision sent twice moves the participant once
    (the second is told they are already there)."""
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
        phases = {phase.number for phase in phases_in_force(session.program, session.held_on)}
        if to_phase not in phases:
            raise ValidationError(
                {
                    "to_phase": f"The program has no phase {to_phase} in the settings in force "
                    f"on {session.held_on:%b %-d, %Y}."
                }
            )
        from_phase = enrollment.phase
        if to_phase == from_phase:
            raise ValidationError({"to_phase": f"The participant is already in phase {to_phase}."})
        if not reason.strip():
            raise ValidationError({"reason": "Say why the phase changes."})
        unmet: list[str] = []
        if to_phase > from_phase:
            unmet = _check_advance(
                entry, enrollment, from_phase, to_phase, override_reason, actor=actor
            )
        elif not remedial_plan_note.strip():
            raise ValidationError(
                {
                    "remedial_plan_note": "A return to a lower phase needs the remedial plan: "
                    "what the participant works on to advance again."
                }
            )
        client_services.enrollment_set_phase(enrollment=enrollment, phase=to_phase, actor=actor)
        plan_services.plan_review_due_at_phase_change(
            participant=entry.participant, changed_on=session.held_on, actor=actor
        )
        return PhaseChange.objects.create(
            enrollment=enrollment,
            entry=entry,
            from_phase=from_phase,
            to_phase=to_phase,
            decided_on=session.held_on,
            reason=reason.strip(),
            override_reason=override_reason.strip() if unmet else "",
            unmet_requirements=unmet,
            remedial_plan_note=remedial_plan_note.strip() if to_phase < from_phase else "",
            decided_by=actor,
        )


def _check_advance(
    entry: DocketEntry,
    enrollment: Enrollment,
    from_phase: int,
    to_phase: int,
    override_reason: str,
    *,
    actor: User,
) -> list[str]:
    """An advance goes to the next phase, with every requirement to advance met on the
    hearing's day or an override reason; returns the requirements unmet, with their figures."""
    if to_phase != from_phase + 1:
        raise ValidationError(
            {
                "to_phase": "A participant advances one phase at a time: the next phase is "
                f"{from_phase + 1}."
            }
        )
    session = entry.session
    # As the deciding judge or clerk reads it: a requirement read from Part 2 information no
    # consent covers for them is unmet for them, and its figure is never told (nor stored).
    checklist = selectors.phase_checklists(
        session.program, [enrollment], today=session.held_on, reader=actor
    ).get(enrollment.pk)
    unmet = (
        [f"{item.requirement}: {item.figure}" for item in checklist.unmet_blocking]
        if checklist
        else []
    )
    if unmet and not override_reason.strip():
        raise ValidationError(
            {
                "override_reason": f"Not every requirement to advance to phase {to_phase} is "
                f"met ({'; '.join(unmet)}). To advance anyway, give the reason for the override."
            }
        )
    return unmet


# --- Staffing
# Before the hearing each member of the participant's team writes their own note, as their role
# (clients.access.staffing_note_role); the participant's case manager or a coordinator records
# the team's one recommendation (clients.access.recommends). Both stay open until the hearing's
# outcome is recorded (or the participant is taken off the docket); checked on the locked entry.

RECOMMENDATION_REASON_MAX = 300


def _check_staffing_open(entry: DocketEntry) -> None:
    """Called on the locked entry: staffing is before the hearing."""
    if entry.appearance == Appearance.REMOVED:
        raise ValidationError(f"{entry.participant} was taken off this docket.")
    if entry.appearance:
        raise ValidationError(
            "This hearing's outcome is recorded; its staffing can no longer change."
        )


def staffing_note_write(
    *, entry: DocketEntry, text: str, actor: User, now: datetime.datetime | None = None
) -> StaffingNote:
    """Writes (or rewrites) the actor's own staffing note on the hearing of `entry`, as their
    role on the participant's team: the case manager, probation officer, treating provider,
    prosecutor, assigned defence attorney or a coordinator of the session's program. One note
    per author per hearing; nobody writes or changes another's. Not after the outcome."""
    role = access.staffing_note_role(actor, entry)
    if role is None:
        raise ValidationError(
            f"Only {entry.participant}'s team writes staffing notes for their hearing."
        )
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note: an empty staffing note says nothing."})
    if len(text) > STAFFING_NOTE_MAX:
        raise ValidationError(
            {"text": f"Keep the note short: at most {STAFFING_NOTE_MAX} characters."}
        )
    now = now or timezone.now()
    with audited_write(actor):
        lock(entry)  # one note per author: a double submit of the first note writes one
        _check_staffing_open(entry)
        note = StaffingNote.objects.filter(entry=entry, author=actor).first()
        if note is None:
            return StaffingNote.objects.create(
                entry=entry, author=actor, role=role, text=text, written_at=now, updated_at=now
            )
        if note.text != text:
            note.text, note.updated_at = text, now
            note.save(update_fields=["text", "updated_at"])
        return note


def staffing_recommend(
    *,
    entry: DocketEntry,
    option: ResponseOption,
    reason: str,
    actor: User,
    now: datetime.datetime | None = None,
) -> StaffingRecommendation:
    """Records the team's recommendation for the hearing of `entry`, replacing the one before:
    a response from the program's catalogue in force on the session's day, with its reason.
    The participant's case manager or a coordinator of the program records it, before the
    hearing's outcome. The hearing's response form starts from it."""
    session = entry.session
    if not access.recommends(actor, entry):
        raise ValidationError(
            "Only the program's coordinators and the participant's case manager record the "
            "team's recommendation."
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the team recommends this response."})
    if len(reason) > RECOMMENDATION_REASON_MAX:
        raise ValidationError(
            {"reason": f"Keep the reason short: at most {RECOMMENDATION_REASON_MAX} characters."}
        )
    if (
        not response_catalogue_in_force(session.program, session.held_on)
        .filter(pk=option.pk)
        .exists()
    ):
        raise ValidationError(
            {
                "option": f"“{option.name}” is not in the program's response catalogue in force "
                f"on {session.held_on:%b %-d, %Y}."
            }
        )
    now = now or timezone.now()
    with audited_write(actor):
        lock(entry)
        _check_staffing_open(entry)
        recommendation, _ = StaffingRecommendation.objects.update_or_create(
            entry=entry,
            defaults={"option": option, "reason": reason, "recorded_by": actor, "recorded_at": now},
        )
        return recommendation


# ---------------------------------------------------------------------------------------------
# Conditions (issue 17): the court orders and conditions of an enrollment, and their violations.
# Whoever changes the participant's conditions records them (access.DataClass.CONDITIONS: the
# case manager, the assigned probation officer, a coordinator).


def _check_changes_conditions(actor: User, participant: Participant) -> None:
    if not access.can_change(actor, participant, DataClass.CONDITIONS):
        raise ValidationError("You may not record conditions for this participant.")


def condition_record(
    *,
    enrollment: Enrollment,
    kind: str,
    terms: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    actor: User,
) -> Condition:
    """A condition of an open enrollment (the participation agreement, a curfew, a no-contact
    order, ...) with its terms, in force from `starts_on` to `ends_on` (empty: until lifted or
    the enrollment ends)."""
    _check_changes_conditions(actor, enrollment.participant)
    errors = {}
    if kind not in ConditionKind.values:
        errors["kind"] = "Choose a kind of condition from the list."
    terms = terms.strip()
    if not terms:
        errors["terms"] = "Say what the condition requires (hours, person, area, address, …)."
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "A condition cannot end before it starts."
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        lock(enrollment)
        if not enrollment.is_open:
            raise ValidationError(
                f"The enrollment is {EnrollmentStatus(enrollment.status).label.lower()}: no new "
                "conditions."
            )
        return Condition.objects.create(
            enrollment=enrollment,
            participant_id=enrollment.participant_id,
            kind=kind,
            terms=terms,
            starts_on=starts_on,
            ends_on=ends_on,
            recorded_by=actor,
        )


def condition_lift(
    *, condition: Condition, lifted_on: datetime.date, reason: str, actor: User
) -> Condition:
    """Lifts a condition before its end, from `lifted_on` (not in force that day), with the
    reason (e.g. the court modified its order). Checked on the locked row: lifted once."""
    _check_changes_conditions(actor, condition.participant)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the condition is lifted."})
    if lifted_on > participant_today(condition.participant):
        raise ValidationError({"lifted_on": "A condition is lifted from today or an earlier day."})
    with audited_write(actor):
        lock(condition)
        if condition.lifted_on is not None:
            raise ValidationError(f"This condition was lifted on {condition.lifted_on:%b %-d, %Y}.")
        if lifted_on < condition.starts_on:
            raise ValidationError(
                {
                    "lifted_on": f"It starts on {condition.starts_on:%b %-d, %Y}: lift it from "
                    "then on."
                }
            )
        if condition.ends_on is not None and lifted_on > condition.ends_on:
            raise ValidationError(
                {"lifted_on": f"It ended on {condition.ends_on:%b %-d, %Y} already."}
            )
        condition.lifted_on, condition.lift_reason = lifted_on, reason
        condition.save(update_fields=["lifted_on", "lift_reason"])
        return condition


def condition_violation_record(
    *,
    condition: Condition,
    occurred_on: datetime.date,
    description: str,
    severity: str,
    reported_to_court: bool,
    actor: User,
) -> ConditionViolation:
    """A violation of `condition` on a day it was in force, recorded as an incident of the
    participant (a curfew's as a curfew violation, any other's as a violation of a court
    condition) tied to the condition. Reported to the court, it is a behaviour the response
    matrix answers and a concern on the compliance summary."""
    _check_changes_conditions(actor, condition.participant)
    category = (
        IncidentCategory.CURFEW_VIOLATION
        if condition.kind == ConditionKind.CURFEW
        else IncidentCategory.CONDITION_VIOLATION
    )
    with audited_write(actor):
        # On the locked row: a condition lifted meanwhile was not in force after its lifting.
        lock(condition)
        if not condition.in_force_on(occurred_on):
            raise ValidationError(
                {
                    "occurred_on": f"The condition was not in force on "
                    f"{occurred_on:%b %-d, %Y}: {_in_force_span(condition)}."
                }
            )
        incident = client_services.incident_record(
            participant=condition.participant,
            occurred_on=occurred_on,
            category=category,
            description=description,
            severity=severity,
            reported_to_court=reported_to_court,
            actor=actor,
        )
        return ConditionViolation.objects.create(condition=condition, incident=incident)


def _in_force_span(condition: Condition) -> str:
    last_day = condition.last_day
    until = f"to {last_day:%b %-d, %Y}" if last_day is not None else "on"
    return f"in force from {condition.starts_on:%b %-d, %Y} {until}"


# ---------------------------------------------------------------------------------------------
# Fees, fines and restitution (issue 17): a ledger per enrollment. Whoever changes the
# participant's ledger (access.DataClass.LEDGER: the case manager, the assigned probation
# officer, a coordinator) records assessments and payments; the program's court (a judge or a
# clerk: access.waives_fees) waives or reduces, with its reason. Entries are never changed: a
# mistake is reversed by a new entry. Amounts are Decimals in cents (money_problem).


def _check_records_ledger(actor: User, participant: Participant) -> None:
    if not access.can_change(actor, participant, DataClass.LEDGER):
        raise ValidationError("You may not record fees or payments for this participant.")


def _check_waives(actor: User, enrollment: Enrollment) -> None:
    if not access.waives_fees(actor, enrollment.participant, enrollment.program):
        raise ValidationError(
            "Only the program's court (a judge or a clerk) waives or reduces what is owed."
        )


def _check_ledger_day(enrollment: Enrollment, day: datetime.date, field: str) -> None:
    if day > program_today(enrollment.program):
        raise ValidationError({field: "Give today or an earlier day."})


def _check_amount(amount: Decimal | None) -> Decimal:
    if amount is None or (problem := money_problem(amount)):
        raise ValidationError({"amount": problem or "Give the amount."})
    return amount


def _dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def ledger_assess(
    *,
    enrollment: Enrollment,
    charge: str,
    assessed_on: datetime.date,
    actor: User,
    fee: str = "",
    amount: Decimal | None = None,
    description: str = "",
) -> LedgerEntry:
    """Assesses the participant, in an open enrollment, a fee of the program's schedule in force
    on `assessed_on` (charge FEE, `fee` its name: the amount is the schedule's), or a fine or
    restitution the court ordered (its `amount`, and the order in `description`)."""
    _check_records_ledger(actor, enrollment.participant)
    _check_ledger_day(enrollment, assessed_on, "assessed_on")
    if charge == Charge.FEE:
        schedule = {f.name: f for f in fee_schedule_in_force(enrollment.program, assessed_on)}
        if fee not in schedule:
            raise ValidationError({"fee": "Choose a fee of the program's schedule."})
        amount, description = schedule[fee].amount, schedule[fee].name
    elif charge in (Charge.FINE, Charge.RESTITUTION):
        amount = _check_amount(amount)
        description = description.strip()
        if not description:
            raise ValidationError(
                {"description": "Say what the court ordered (e.g. the hearing, the victim)."}
            )
    else:
        raise ValidationError({"charge": "Choose a fee, a fine or restitution."})
    with audited_write(actor):
        lock(enrollment)
        if not enrollment.is_open:
            raise ValidationError(
                f"The enrollment is {EnrollmentStatus(enrollment.status).label.lower()}: "
                "nothing new is assessed."
            )
        return LedgerEntry.objects.create(
            enrollment=enrollment,
            participant_id=enrollment.participant_id,
            program_id=enrollment.program_id,
            kind=LedgerEntryKind.ASSESSMENT,
            amount=amount,
            entry_date=assessed_on,
            charge=charge,
            description=description[:200],
            recorded_by=actor,
        )


def ledger_pay(
    *,
    enrollment: Enrollment,
    amount: Decimal,
    paid_on: datetime.date,
    method: str,
    actor: User,
    overpayment_credit: bool = False,
    note: str = "",
) -> LedgerEntry:
    """Records a payment with the next receipt number of the program. More than the balance
    only as an explicit overpayment credit (the balance then goes below zero)."""
    _check_records_ledger(actor, enrollment.participant)
    amount = _check_amount(amount)
    _check_ledger_day(enrollment, paid_on, "paid_on")
    if method not in PaymentMethod.values:
        raise ValidationError({"method": "Choose how it was paid."})
    with audited_write(actor):
        lock(enrollment.program)  # receipts are numbered one at a time in the program
        lock(enrollment)
        balance = selectors.ledger_totals([enrollment.pk])[enrollment.pk].balance
        if amount > balance and not overpayment_credit:
            owed = f"the balance is {_dollars(balance)}" if balance > 0 else "nothing is owed"
            raise ValidationError(
                {
                    "amount": f"{_dollars(amount)} is more than is owed: {owed}. Record it as an "
                    "overpayment credit if the program accepts it."
                }
            )
        last = LedgerEntry.objects.filter(program_id=enrollment.program_id).aggregate(
            last=Max("receipt_number")
        )["last"]
        return LedgerEntry.objects.create(
            enrollment=enrollment,
            participant_id=enrollment.participant_id,
            program_id=enrollment.program_id,
            kind=LedgerEntryKind.PAYMENT,
            amount=amount,
            entry_date=paid_on,
            method=method,
            receipt_number=(last or 0) + 1,
            overpayment_credit=amount > balance,
            description=note.strip()[:200],
            recorded_by=actor,
        )


def ledger_waive(
    *,
    enrollment: Enrollment,
    amount: Decimal,
    waived_on: datetime.date,
    reason: str,
    actor: User,
    inability_to_pay: bool = False,
) -> LedgerEntry:
    """The court waives (all) or reduces (part of) what the participant owes, with its reason;
    `inability_to_pay` records its finding that they cannot pay (indigence), which meets the
    fees requirement of every phase: fees never keep a participant from completing."""
    _check_waives(actor, enrollment)
    amount = _check_amount(amount)
    _check_ledger_day(enrollment, waived_on, "waived_on")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the court waives or reduces it."})
    with audited_write(actor):
        lock(enrollment)
        balance = selectors.ledger_totals([enrollment.pk])[enrollment.pk].balance
        if amount > balance:
            owed = f"the balance is {_dollars(balance)}" if balance > 0 else "nothing is owed"
            raise ValidationError({"amount": f"The court waives at most what is owed: {owed}."})
        return LedgerEntry.objects.create(
            enrollment=enrollment,
            participant_id=enrollment.participant_id,
            program_id=enrollment.program_id,
            kind=LedgerEntryKind.WAIVER,
            amount=amount,
            entry_date=waived_on,
            inability_to_pay=inability_to_pay,
            reason=reason,
            recorded_by=actor,
        )


def ledger_reverse(*, entry: LedgerEntry, reason: str, actor: User) -> LedgerEntry:
    """Corrects a mistaken entry by a new one of the same kind with the opposite amount, dated
    today, with the reason (a returned check, an amount typed wrong, a waiver entered for the
    wrong case). A waiver is reversed by the court, the rest by whoever records the ledger; an
    entry is reversed once, and a reversal is not reversed (record the entry again)."""
    if entry.kind == LedgerEntryKind.WAIVER:
        _check_waives(actor, entry.enrollment)
    else:
        _check_records_ledger(actor, entry.participant)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the entry is reversed."})
    if entry.is_reversal:
        raise ValidationError("A reversal is not reversed: record the entry again instead.")
    with audited_write(actor):
        lock(entry)
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError("This entry was reversed already.")
        return LedgerEntry.objects.create(
            enrollment_id=entry.enrollment_id,
            participant_id=entry.participant_id,
            program_id=entry.program_id,
            kind=entry.kind,
            amount=-entry.amount,
            entry_date=program_today(entry.program),
            charge=entry.charge,
            description=entry.description,
            method=entry.method,
            reason=reason,
            reverses=entry,
            recorded_by=actor,
        )
