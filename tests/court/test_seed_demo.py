"""`seed_demo` gives the demo court its past sessions with their hearings, responses, warrants
and decisions, and the next session with its docket (court/demo.py)."""

import datetime
from collections import Counter
from decimal import Decimal

import time_machine
from django.core.management import call_command
from django.db.models import F, Q

from clients.models import Alert, Appointment, Enrollment
from compliance.models import BlackoutPeriod, TestingOrder
from court import selectors
from court.demo import DEMO_PHASE_REQUIREMENTS
from court.models import (
    CommunityServiceHours,
    CommunityServiceObligation,
    CompletionDecision,
    Condition,
    ConditionKind,
    ConditionViolation,
    CourtResponse,
    CourtSession,
    DocketEntry,
    LedgerEntry,
    PhaseChange,
    StaffingNote,
    StaffingRecommendation,
    Warrant,
)
from court.selectors import ledger_totals
from drugcourt.demo import PROGRAM_NAME
from drugcourt.models import Program
from drugcourt.selectors import phases_in_force, response_catalogue_in_force

# A Friday afternoon in Chicago: the court sat eight days ago and sits again next Thursday.
NOW = datetime.datetime(2026, 6, 19, 20, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 6, 19)
LAST_SITTING, NEXT_SITTING = datetime.date(2026, 6, 11), datetime.date(2026, 6, 25)
COURT_ROWS = (
    CourtSession,
    DocketEntry,
    CourtResponse,
    Warrant,
    PhaseChange,
    CompletionDecision,
    CommunityServiceObligation,
    CommunityServiceHours,
    StaffingNote,
    StaffingRecommendation,
    TestingOrder,
    BlackoutPeriod,
    Condition,
    ConditionViolation,
    LedgerEntry,
)


def seed():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo")
    return Program.objects.get(name=PROGRAM_NAME)


def counts():
    return [model.objects.count() for model in COURT_ROWS] + [
        Appointment.objects.filter(kind="court").count(),
        Alert.objects.filter(kind="failure_to_appear").count(),
    ]


def test_seed_demo_holds_the_demo_court_and_sets_up_its_next_session(db):
    # One seeding (several seconds) for all the checks, then a second one that adds nothing.
    program = seed()

    assert_past_sessions_every_other_thursday_with_every_hearing_recorded(program)
    assert_the_next_session_has_the_suggested_docket(program)
    assert_responses_are_mostly_incentives_and_take_effect(program)
    assert_failures_to_appear_request_warrants_and_the_absconded_are_wanted(program)
    assert_phase_changes_and_completions_are_decided_at_hearings(program)
    assert_open_enrollments_have_their_conditions(program)
    assert_admitted_participants_have_their_ledgers(program)

    first = counts()
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        call_command("seed_demo")
    assert counts() == first


def assert_open_enrollments_have_their_conditions(program):
    open_enrollments = Enrollment.objects.filter(
        program=program, status__in=["active", "absconded"], entry_date__isnull=False
    )
    conditions = Condition.objects.filter(enrollment__program=program)
    agreements = conditions.filter(kind=ConditionKind.PARTICIPATION_AGREEMENT)
    assert set(agreements.values_list("enrollment", flat=True)) == set(
        open_enrollments.values_list("pk", flat=True)
    )
    assert conditions.filter(kind=ConditionKind.CURFEW).count() >= 3
    (violation,) = ConditionViolation.objects.filter(condition__enrollment__program=program)
    assert (violation.incident.category, violation.incident.reported_to_court) == (
        "curfew_violation",
        True,
    )


def assert_admitted_participants_have_their_ledgers(program):
    admitted = Enrollment.objects.filter(
        program=program, status__in=["active", "absconded"], entry_date__isnull=False
    )
    entries = LedgerEntry.objects.filter(program=program)
    assert set(entries.values_list("enrollment", flat=True)) == set(
        admitted.values_list("pk", flat=True)
    )
    totals = ledger_totals(admitted.values_list("pk", flat=True))
    balances = [t.balance for t in totals.values()]
    assert all(isinstance(balance, Decimal) and balance >= 0 for balance in balances)
    assert balances.count(Decimal(0)) >= 2  # paid in full, or waived
    assert any(t.inability_to_pay for t in totals.values())
    assert entries.filter(charge="restitution").exists()
    (reversal,) = entries.filter(reverses__isnull=False)
    assert reversal.amount == -reversal.reverses.amount


def assert_past_sessions_every_other_thursday_with_every_hearing_recorded(program):
    sessions = CourtSession.objects.filter(program=program)
    past = sessions.filter(held_on__lt=TODAY)
    assert past.count() > 30
    assert not past.exclude(held_on__week_day=5).exists()  # Thursday
    assert not past.exclude(judge__username="judge").exists()
    assert not past.exclude(clerks__username="clerk").exists()
    assert all(
        (NEXT_SITTING - day).days % 14 == 0 for day in past.values_list("held_on", flat=True)
    )
    assert past.latest("held_on").held_on == LAST_SITTING

    entries = DocketEntry.objects.filter(session__in=past)
    assert entries.filter(session__held_on=LAST_SITTING).count() > 20
    appearances = Counter(entries.values_list("appearance", flat=True))
    assert set(appearances) == {"appeared", "failed_to_appear", "excused"}
    assert appearances["appeared"] / entries.count() > 0.85
    assert not entries.filter(Q(recorded_by=None) | Q(recorded_at=None)).exists()
    assert set(entries.values_list("recorded_by__username", flat=True)) == {"judge", "clerk"}
    assert not entries.filter(recorded_at__date__lt=F("session__held_on")).exists()
    assert not entries.filter(placed_at__gte=F("recorded_at")).exists()
    # Those still in the program were given their next hearing after the session's day.
    kept_on = entries.filter(appearance="appeared", completion=None)
    assert not kept_on.filter(next_hearing_on=None).exists()
    assert not kept_on.filter(next_hearing_on__lte=F("session__held_on")).exists()
    # Each hearing is the participant's court appointment, with the outcome its appearance writes.
    outcomes = {"appeared": "attended", "failed_to_appear": "missed", "excused": "excused"}
    for appearance, outcome in outcomes.items():
        assert (
            not entries.filter(appearance=appearance)
            .exclude(appointment__outcome=outcome, appointment__kind="court")
            .exists()
        )


def assert_the_next_session_has_the_suggested_docket(program):
    upcoming = CourtSession.objects.get(program=program, held_on__gte=TODAY)
    assert upcoming.held_on == NEXT_SITTING
    assert upcoming.judge.username == "judge"
    assert list(upcoming.clerks.values_list("username", flat=True)) == ["clerk"]
    docket = upcoming.entries.all()
    assert docket.count() > 20
    assert not docket.exclude(appearance="").exists()
    assert not docket.exclude(appointment__outcome="").exists()
    assert not docket.exclude(enrollment__status="active").exists()
    # Built from the suggestions: nobody due is left off it.
    assert not selectors.docket_suggestions(upcoming).exists()
    last = DocketEntry.objects.filter(session__held_on=LAST_SITTING, next_hearing_on=NEXT_SITTING)
    assert set(
        last.filter(enrollment__status="active").values_list("enrollment", flat=True)
    ) <= set(docket.values_list("enrollment", flat=True))
    # The first entries are staffed: notes by the case manager and the coordinator, and the
    # case manager's recommendation.
    notes = StaffingNote.objects.filter(entry__session=upcoming)
    assert notes.count() == 6
    assert set(notes.values_list("role", flat=True)) == {"case_manager", "coordinator"}
    assert StaffingRecommendation.objects.filter(entry__session=upcoming).count() == 3


def assert_responses_are_mostly_incentives_and_take_effect(program):
    ratio = selectors.incentive_sanction_ratio(program=program)
    assert 3 <= ratio.incentives / ratio.sanctions <= 5.5, ratio
    responses = CourtResponse.objects.filter(entry__session__program=program)
    assert not responses.exclude(given_on=F("entry__session__held_on")).exists()
    assert not responses.exclude(entry__appearance="appeared").exists()
    # The coordinator added phase requirements today: a new settings version, carrying the
    # catalogue (the same responses, rows of their own).
    catalogue = set(response_catalogue_in_force(program, TODAY).values_list("name", flat=True))
    assert set(responses.values_list("option__name", flat=True)) <= catalogue
    effects = Counter(responses.values_list("option__effect", flat=True))
    assert effects["increased_testing"] == 3
    assert effects["jail"] == 1
    assert effects["community_service"] == 3
    assert effects["none"] > effects["gift_card"] > 0

    # Increased testing orders more tests a week, ended before today's draws.
    orders = TestingOrder.objects.filter(response__in=responses)
    assert orders.count() == 3
    assert not orders.filter(ends_on__gte=TODAY - datetime.timedelta(days=90)).exists()
    # One short jail, with due process on the record.
    jail = responses.get(option__effect="jail")
    assert jail.days <= 6
    assert jail.counsel_present
    assert jail.hearing_given
    assert jail.custody.reason == "custody"
    assert (jail.custody.ends_on - jail.custody.starts_on).days == jail.days - 1
    # Community service: the hours of the older orders all worked, the latest still open.
    obligations = sorted(
        CommunityServiceObligation.objects.filter(response__in=responses),
        key=lambda obligation: obligation.response.given_on,
    )
    worked = [sum(h.hours for h in o.hours_worked.all()) for o in obligations]
    assert worked[:2] == [o.hours_ordered for o in obligations[:2]]
    assert 0 < worked[2] < obligations[2].hours_ordered
    assert not CommunityServiceHours.objects.filter(worked_on__gt=TODAY).exists()


def assert_failures_to_appear_request_warrants_and_the_absconded_are_wanted(program):
    missed = DocketEntry.objects.filter(session__program=program, appearance="failed_to_appear")
    assert missed.count() >= 10
    alerts = Alert.objects.filter(kind="failure_to_appear")
    assert alerts.count() == missed.count()
    assert set(alerts.values_list("source_key", flat=True)) == {
        f"hearing:{pk}" for pk in missed.values_list("pk", flat=True)
    }
    assert alerts.filter(state="resolved").count() > alerts.exclude(state="resolved").count()
    warrants = Warrant.objects.filter(enrollment__program=program)
    assert set(warrants.values_list("entry", flat=True)) <= set(missed.values_list("pk", flat=True))
    assert not warrants.filter(state="recalled").exclude(recalled_on__gt=F("requested_on")).exists()

    absconded = Enrollment.objects.filter(program=program, status="absconded")
    assert absconded.count() == 2
    for enrollment in absconded:
        warrant = selectors.open_warrant(enrollment)
        assert warrant.state == "issued"
        absconded_on = enrollment.status_changes.get(to_status="absconded").effective_date
        assert warrant.issued_on == warrant.requested_on == absconded_on
        assert warrant.entry.session.held_on == absconded_on
    assert not warrants.filter(state="issued").exclude(enrollment__in=absconded).exists()


def assert_phase_changes_and_completions_are_decided_at_hearings(program):
    changes = PhaseChange.objects.filter(enrollment__program=program)
    assert changes.count() == 2
    assert set(changes.values_list("from_phase", "to_phase")) == {(1, 2), (3, 4)}
    assert not changes.exclude(decided_on=LAST_SITTING, entry__appearance="appeared").exists()
    assert not changes.exclude(enrollment__phase=F("to_phase")).exists()
    # The coordinator added each phase's requirements from today.
    assert [phase.requirements for phase in phases_in_force(program, TODAY)] == list(
        DEMO_PHASE_REQUIREMENTS.values()
    )

    closed = Enrollment.objects.filter(program=program, status__in=["graduated", "terminated"])
    decisions = CompletionDecision.objects.filter(enrollment__in=closed)
    assert decisions.count() == closed.count()
    assert not decisions.exclude(entry__session__held_on__week_day=5).exists()
    # Each graduate had hearings before the one that graduated them.
    for decision in decisions.filter(kind="graduated"):
        earlier = DocketEntry.objects.filter(
            enrollment=decision.enrollment, session__held_on__lt=decision.decided_on
        )
        assert earlier.exists()
