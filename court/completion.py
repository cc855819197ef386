"""Completion: how an admitted enrollment ends, and everything that ends with it.

Graduation and termination are decided by the court at a hearing (completion_decide), a
withdrawal or neutral discharge is recorded by a coordinator of the program with its reason
(enrollment_close). Each is carried out in one transaction (`_carry_out`): the enrollment
closes; every obligation still open is closed as decided (a decision on each is required,
OBLIGATION_SOURCES); future hearings are taken off their dockets and future appointments
cancelled; the tests not yet on a published call list are excused (they stay sealed); the team's
assignments end and unanswered referrals are withdrawn; each provider with an open episode is
alerted to discharge it (treatment often goes on after the program: discharge is theirs).
Refused, nothing is written.

Appointments, team assignments and referrals belong to the participant, not to one program:
while the participant has another enrollment open they are left as they are.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from clients import access
from clients import services as client_services
from clients.models import OPEN_STATUSES, CaseAssignment, Enrollment, EnrollmentStatus
from compliance import services as compliance_services
from compliance.models import TestingOrder
from drugcourt.audit import audited_write
from drugcourt.guards import lock
from drugcourt.models import User
from drugcourt.selectors import program_today
from treatment_plans import services as treatment_services

from . import selectors
from .models import (
    COORDINATOR_COMPLETIONS,
    DISPOSITIONS_OF,
    CaseDisposition,
    CommunityServiceObligation,
    CompletionDecision,
    CompletionKind,
    Condition,
    DocketEntry,
    ServiceClosure,
)
from .services import (
    _check_decides_for,
    _check_heard,
    _check_on_or_after_the_hearing,
    ledger_waive,
    take_off_docket,
)

# --- Open obligations


class ObligationDecision(models.TextChoices):
    """What may be decided on an obligation still open when the enrollment closes (it cannot
    stay open: the enrollment it belongs to is over)."""

    WAIVED = ServiceClosure.WAIVED.value, "Waive what is left"
    UNMET = ServiceClosure.UNMET.value, "Close it as not completed"
    ENDED = "ended", "End it with the enrollment"
    # A balance of fees, fines or restitution may outlive the program (fees never keep anyone
    # from completing); waiving it is the court's (ledger_waive).
    OWED = "owed", "Keep it owed after the program"


@dataclass(frozen=True)
class Obligation:
    """One obligation still open: `key` names it on the form and in the completion record,
    `decisions` are the choices, `close(decision, on, actor)` carries the one taken out."""

    key: str
    label: str
    decisions: tuple[ObligationDecision, ...]
    close: Callable[[str, datetime.date, User], object]


# Each source lists the obligations of an enrollment still open on a day. Conditions and fees
# (issue 17, other parts) add theirs with register_obligation_source.
ObligationSource = Callable[[Enrollment, datetime.date], list[Obligation]]


def _close_service(obligation_pk: int) -> Callable[[str, datetime.date, User], object]:
    def close(decision: str, on: datetime.date, actor: User) -> None:
        obligation = lock(CommunityServiceObligation.objects.get(pk=obligation_pk))
        obligation.closed_on, obligation.closed_as = on, decision
        obligation.save(update_fields=["closed_on", "closed_as"])

    return close


def _end_order(order: TestingOrder) -> Callable[[str, datetime.date, User], object]:
    def close(decision: str, on: datetime.date, actor: User) -> None:
        compliance_services.testing_order_end(order=order, ends_on=on, actor=actor)

    return close


def _unfinished_service(enrollment: Enrollment, today: datetime.date) -> list[Obligation]:
    return [
        Obligation(
            key=f"service:{pk}",
            label=f"Community service: {worked.normalize():f} of {ordered} hours worked",
            decisions=(ObligationDecision.WAIVED, ObligationDecision.UNMET),
            close=_close_service(pk),
        )
        for pk, worked, ordered in selectors.unfinished_service(enrollment)
    ]


def _testing_orders(enrollment: Enrollment, today: datetime.date) -> list[Obligation]:
    return [
        Obligation(
            key=f"testing_order:{order.pk}",
            label=f"Court testing order: {order.tests_per_week} tests a week until "
            f"{order.ends_on:%b %-d, %Y}",
            decisions=(ObligationDecision.ENDED,),
            close=_end_order(order),
        )
        for order in selectors.testing_orders_in_force(enrollment, today)
    ]


def _end_condition(condition_pk: int) -> Callable[[str, datetime.date, User], object]:
    def close(decision: str, on: datetime.date, actor: User) -> None:
        condition = lock(Condition.objects.get(pk=condition_pk))
        # Lifted from the day the enrollment closes (or its start, when it had not begun).
        condition.lifted_on = max(on, condition.starts_on)
        condition.lift_reason = "Ended with the enrollment."
        condition.save(update_fields=["lifted_on", "lift_reason"])

    return close


def _conditions(enrollment: Enrollment, today: datetime.date) -> list[Obligation]:
    return [
        Obligation(
            key=f"condition:{condition.pk}",
            label=f"{condition.get_kind_display()}: {condition.terms}",
            decisions=(ObligationDecision.ENDED,),
            close=_end_condition(condition.pk),
        )
        for condition in selectors.conditions_not_over(enrollment, today)
    ]


def _waive_balance(
    enrollment: Enrollment, balance: Decimal
) -> Callable[[str, datetime.date, User], object]:
    def close(decision: str, on: datetime.date, actor: User) -> None:
        if decision == ObligationDecision.WAIVED:
            ledger_waive(
                enrollment=enrollment,
                amount=balance,
                waived_on=on,
                reason="Waived when the enrollment closed.",
                actor=actor,
            )

    return close


def _balance_owed(enrollment: Enrollment, today: datetime.date) -> list[Obligation]:
    balance = selectors.ledger_totals([enrollment.pk])[enrollment.pk].balance
    if balance <= 0:
        return []
    return [
        Obligation(
            key=f"ledger:{enrollment.pk}",
            label=f"Fees, fines and restitution: ${balance:,.2f} owed",
            decisions=(ObligationDecision.WAIVED, ObligationDecision.OWED),
            close=_waive_balance(enrollment, balance),
        )
    ]


OBLIGATION_SOURCES: list[ObligationSource] = [
    _unfinished_service,
    _testing_orders,
    _conditions,
    _balance_owed,
]


def register_obligation_source(source: ObligationSource) -> None:
    OBLIGATION_SOURCES.append(source)


def open_obligations(enrollment: Enrollment, today: datetime.date) -> list[Obligation]:
    """Every obligation of the enrollment still open on `today`, in source order."""
    return [obligation for source in OBLIGATION_SOURCES for obligation in source(enrollment, today)]


def _check_decisions(obligations: list[Obligation], decisions: Mapping[str, str]) -> None:
    undecided = [
        obligation
        for obligation in obligations
        if decisions.get(obligation.key) not in obligation.decisions
    ]
    if undecided:
        raise ValidationError(
            [
                f"Decide what becomes of this open obligation: {obligation.label}."
                for obligation in undecided
            ]
        )


# --- Carrying it out

# The statuses each completion closes an enrollment from: an absconded participant may be
# terminated, withdrawn or discharged, not graduated (clients.services.COMPLETION_TRANSITIONS).
COMPLETES_FROM = {
    CompletionKind.GRADUATED: frozenset({EnrollmentStatus.ACTIVE}),
    CompletionKind.TERMINATED: frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED}),
    CompletionKind.WITHDRAWN: frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED}),
    CompletionKind.NEUTRAL_DISCHARGE: frozenset(
        {EnrollmentStatus.ACTIVE, EnrollmentStatus.ABSCONDED}
    ),
}


def _check_closable(enrollment: Enrollment, completion: CompletionKind) -> None:
    """Called on the locked enrollment: once, from a status the completion closes."""
    earlier = CompletionDecision.objects.filter(enrollment=enrollment).first()
    if earlier is not None:
        raise ValidationError(
            f"{earlier.get_kind_display()} was already recorded for this enrollment on "
            f"{earlier.decided_on:%b %-d, %Y}."
        )
    if enrollment.status not in COMPLETES_FROM[completion]:
        allowed = (
            "an active" if completion == CompletionKind.GRADUATED else "an active or absconded"
        )
        raise ValidationError(
            f"Only {allowed} enrollment can be {completion.label.lower()}; this one is "
            f"{EnrollmentStatus(enrollment.status).label.lower()}."
        )


def _carry_out(
    *,
    enrollment: Enrollment,
    completion: CompletionKind,
    on: datetime.date,
    reason: str,
    decisions: Mapping[str, str],
    actor: User,
    now: datetime.datetime,
    **record,
) -> CompletionDecision:
    """Inside the caller's transaction, on the locked enrollment checked by _check_closable:
    everything the module docstring lists, then the completion record (with `record`'s
    fields). Raises before writing anything when an open obligation has no decision."""
    program, participant = enrollment.program, enrollment.participant
    today = program_today(program, now)
    obligations = open_obligations(enrollment, today)
    _check_decisions(obligations, decisions)
    client_services.enrollment_complete(
        enrollment=enrollment,
        to_status=completion.value,
        effective_date=on,
        reason=reason,
        actor=actor,
    )
    for obligation in obligations:
        obligation.close(decisions[obligation.key], on, actor)
    left = f"{completion.label} on {on:%b %-d, %Y}"
    for entry in selectors.future_hearings(enrollment, now):
        take_off_docket(entry=entry, reason=f"Left the program: {left}.", actor=actor, now=now)
    compliance_services.drug_tests_excuse_unpublished(
        participant=participant,
        program=program,
        note=f"No longer in the program: {left}",
        actor=actor,
        now=now,
    )
    still_enrolled = (
        Enrollment.objects.filter(participant=participant, status__in=OPEN_STATUSES)
        .exclude(pk=enrollment.pk)
        .exists()
    )
    if not still_enrolled:
        client_services.appointments_cancel_ahead(
            participant=participant, reason=f"Left the program: {left}.", actor=actor, now=now
        )
        for assignment in CaseAssignment.objects.filter(
            participant=participant, ended_on__isnull=True
        ).select_related("user", "participant"):
            client_services.assignment_end(
                assignment=assignment, actor=actor, ended_on=max(on, assignment.started_on)
            )
        treatment_services.referrals_withdraw_unanswered(
            participant=participant, reason=f"Left the program: {left}.", actor=actor
        )
        treatment_services.episodes_alert_discharge(
            participant=participant,
            message=f"Left {program}: {left}. Treatment may go on; discharge the episode "
            "when it ends.",
        )
    return CompletionDecision.objects.create(
        enrollment=enrollment,
        kind=completion,
        reason=reason,
        decided_on=on,
        decided_by=actor,
        obligations=[
            {
                "key": obligation.key,
                "label": obligation.label,
                "decision": decisions[obligation.key],
                "decision_label": ObligationDecision(decisions[obligation.key]).label,
            }
            for obligation in obligations
        ],
        **record,
    )


# --- At a hearing


def completion_decide(
    *,
    entry: DocketEntry,
    kind: str,
    case_disposition: str,
    reason: str,
    actor: User,
    disposition: str = "",
    ceremony_on: datetime.date | None = None,
    decisions: Mapping[str, str] | None = None,
    now: datetime.datetime | None = None,
) -> CompletionDecision:
    """Graduation or termination, decided at this hearing with the case's disposition
    (DISPOSITIONS_OF; `disposition` the court's own words, optional) and, for a graduation,
    the ceremony's day (optional, not before the hearing): only the session's judge or one of
    its clerks records it, on or after the session's day, once per enrollment; graduation at a
    hearing the participant appeared at, termination also at one they failed to appear at.
    `decisions` gives a decision for each open obligation (open_obligations, by key). Closes
    the enrollment with that status on the session's day, the reason as its exit reason, and
    carries out everything that closes with it (`_carry_out`), on the locked enrollment: a
    decision sent twice is recorded once."""
    session = entry.session
    _check_decides_for(actor, session)
    if kind not in DISPOSITIONS_OF:
        raise ValidationError({"kind": "Choose graduation or termination."})
    completion = CompletionKind(kind)
    graduation = completion == CompletionKind.GRADUATED
    errors = {}
    if case_disposition not in DISPOSITIONS_OF[completion]:
        allowed = "; ".join(CaseDisposition(value).label for value in DISPOSITIONS_OF[completion])
        errors["case_disposition"] = (
            f"Choose the disposition of a {completion.label.lower()} participant's case: {allowed}."
        )
    if not reason.strip():
        errors["reason"] = f"Say why the participant is {completion.label.lower()}."
    if ceremony_on is not None and not graduation:
        errors["ceremony_on"] = "Only a graduation has a ceremony."
    elif ceremony_on is not None and ceremony_on < session.held_on:
        errors["ceremony_on"] = "The ceremony cannot be before the hearing."
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with audited_write(actor):
        enrollment = lock(entry.enrollment)
        entry.refresh_from_db(fields=["appearance"])
        _check_closable(enrollment, completion)
        _check_on_or_after_the_hearing(session)
        _check_heard(
            entry,
            "graduation is decided at a hearing they attend"
            if graduation
            else "termination is decided at a hearing they attend or failed to appear at",
            absent_allowed=not graduation,
        )
        return _carry_out(
            enrollment=enrollment,
            completion=completion,
            on=session.held_on,
            reason=reason.strip(),
            decisions=decisions or {},
            actor=actor,
            now=now,
            entry=entry,
            case_disposition=case_disposition,
            disposition=disposition.strip(),
            ceremony_on=ceremony_on,
        )


# --- By a coordinator


def enrollment_close(
    *,
    enrollment: Enrollment,
    kind: str,
    effective_date: datetime.date,
    reason: str,
    actor: User,
    decisions: Mapping[str, str] | None = None,
    now: datetime.datetime | None = None,
) -> CompletionDecision:
    """A withdrawal or neutral discharge of an admitted participant, recorded by a coordinator
    of the program with its reason, effective from their entry to today; `decisions` gives a
    decision for each open obligation. Carries out everything that closes with the enrollment
    (`_carry_out`) on the locked row: sent twice, recorded once."""
    if not access.coordinates(actor, enrollment.program):
        raise ValidationError(
            "Only the program's coordinators record a withdrawal or neutral discharge."
        )
    if kind not in COORDINATOR_COMPLETIONS:
        raise ValidationError({"kind": "Choose withdrawal or neutral discharge."})
    completion = CompletionKind(kind)
    now = now or timezone.now()
    errors = {}
    if not reason.strip():
        errors["reason"] = f"Say why the participant is {completion.label.lower()}."
    if effective_date > program_today(enrollment.program, now):
        errors["effective_date"] = "The date cannot be in the future."
    elif enrollment.entry_date and effective_date < enrollment.entry_date:
        errors["effective_date"] = (
            f"The participant entered the program on {enrollment.entry_date:%b %-d, %Y}."
        )
    if errors:
        raise ValidationError(errors)
    with audited_write(actor):
        lock(enrollment)
        _check_closable(enrollment, completion)
        return _carry_out(
            enrollment=enrollment,
            completion=completion,
            on=effective_date,
            reason=reason.strip(),
            decisions=decisions or {},
            actor=actor,
            now=now,
        )
