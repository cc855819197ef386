"""Completion (issue 17): graduation and termination at a hearing, a coordinator's withdrawal or
neutral discharge, each closing everything that ends with the enrollment in one transaction:
obligations as decided, future hearings and appointments, unpublished random tests, team
assignments, unanswered referrals, and one alert per open episode for its provider alone. An
open obligation without a decision, or a failure in the last step, leaves the record as it
was."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import access
from clients import services as client_services
from clients.access import DataClass
from clients.models import (
    Alert,
    Appointment,
    AppointmentKind,
    CaseAssignment,
    Enrollment,
    EnrollmentStatus,
)
from clients.selectors import alerts_for
from compliance.models import DrugTest, TestingOrder, TestReason, TestStatus
from court import completion as completions
from court import services
from court.models import (
    Appearance,
    Charge,
    CommunityServiceObligation,
    CompletionDecision,
    Condition,
    ConditionKind,
    DocketEntry,
    LedgerEntry,
    LedgerEntryKind,
)
from drugcourt.models import ResponseEffect, ResponseOption
from tests.court.builders import on_docket, session_on
from tests.factories import logged_classes, settings_since_2020
from treatment_plans import services as treatment_services
from treatment_plans.models import DischargeReason, Referral, ReferralState, ServiceEpisode
from treatment_plans.services import DISCHARGE_DUE_ALERT

DAY = datetime.date(2026, 3, 3)  # a Tuesday
NOW = datetime.datetime(2026, 3, 3, 18, tzinfo=datetime.UTC)  # noon in Chicago
LATER = datetime.timedelta(days=14)

pytestmark = pytest.mark.usefixtures("_on_the_hearing_day")


@pytest.fixture
def _on_the_hearing_day():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def program_settings(program):
    return settings_since_2020(program)


@pytest.fixture
def entry(program, participant, judge, clerk):
    """The participant (active, phase 1, on casemanager's caseload) appeared today."""
    session = session_on(program, DAY, judge=judge, clerks=[clerk])
    return on_docket(session, participant.enrollments.get(), appearance=Appearance.APPEARED)


def effect(program_settings, kind) -> ResponseOption:
    return ResponseOption.objects.filter(settings=program_settings, effect=kind).order_by("pk")[0]


@pytest.fixture
def record(
    entry,
    program,
    participant,
    judge,
    casemanager,
    probation_assigned,
    provider_treating,
    provider_elsewhere,
    provider,
    program_settings,
):
    """Everything a completion closes, and what it leaves: community service with hours to go
    and a testing order (ordered at today's hearing), the next hearing on a docket, appointments
    ahead (the case manager's, a treating agency's) and one past, a random test drawn for later
    this week and one already called today, the team (casemanager, probation_assigned), two
    open episodes (provider_treating, provider_elsewhere) and a referral nobody answered yet."""
    service = services.response_record(
        entry=entry,
        option=effect(program_settings, ResponseEffect.COMMUNITY_SERVICE),
        hours=10,
        actor=judge,
    ).obligation
    services.community_service_log_hours(
        obligation=service, worked_on=DAY, hours=Decimal("4"), actor=casemanager
    )
    order = services.response_record(
        entry=entry,
        option=effect(program_settings, ResponseEffect.INCREASED_TESTING),
        tests_per_week=7,
        weeks=4,
        actor=judge,
    ).testing_order
    next_hearing = on_docket(
        session_on(program, DAY + LATER, judge=judge), participant.enrollments.get()
    )

    def appointment(when, **fields):
        return Appointment.objects.create(
            participant=participant, scheduled_at=when, created_by=casemanager, **fields
        )

    meeting = appointment(NOW + LATER, kind=AppointmentKind.CASE_MANAGER)
    treatment = appointment(
        NOW + LATER, kind=AppointmentKind.TREATMENT, organization=provider_treating.organization
    )
    yesterday = appointment(NOW - datetime.timedelta(days=1), kind=AppointmentKind.OTHER)

    def test(day, **fields):
        return DrugTest.objects.create(
            participant=participant,
            program=program,
            reason=TestReason.RANDOM,
            scheduled_for=day,
            status_changed_at=NOW,
            **fields,
        )

    drawn = test(DAY + datetime.timedelta(days=2))
    called = test(DAY, notified_at=NOW, collect_by=NOW + datetime.timedelta(hours=8))
    unanswered = treatment_services.referral_send(
        participant=participant,
        provider=provider.organization,
        requested_service="Intensive outpatient",
        reason="Step up",
        urgency="routine",
        shared_information="Name",
        actor=casemanager,
    )
    return {
        "service": service,
        "order": order,
        "next_hearing": next_hearing,
        "meeting": meeting,
        "treatment": treatment,
        "yesterday": yesterday,
        "drawn": drawn,
        "called": called,
        "unanswered": unanswered,
    }


def decisions_for(record, **overrides):
    return {
        f"service:{record['service'].pk}": "waived",
        f"testing_order:{record['order'].pk}": "ended",
        **overrides,
    }


def graduate(entry, actor, **fields):
    return completions.completion_decide(
        entry=entry,
        kind=fields.pop("kind", "graduated"),
        case_disposition=fields.pop("case_disposition", "dismissed"),
        reason="Completed every phase.",
        actor=actor,
        **fields,
    )


def state(participant):
    """What a completion changes, to compare before and after a refusal."""
    return {
        "enrollments": list(
            Enrollment.objects.filter(participant=participant).values_list("status", "exit_date")
        ),
        "decisions": CompletionDecision.objects.count(),
        "obligations": list(
            CommunityServiceObligation.objects.values_list("closed_on", "closed_as")
        ),
        "orders": list(TestingOrder.objects.values_list("ends_on", flat=True)),
        "entries": list(DocketEntry.objects.order_by("pk").values_list("appearance", flat=True)),
        "appointments": list(Appointment.objects.order_by("pk").values_list("outcome", flat=True)),
        "tests": list(DrugTest.objects.order_by("pk").values_list("status", flat=True)),
        "team": list(CaseAssignment.objects.order_by("pk").values_list("ended_on", flat=True)),
        "referrals": list(Referral.objects.order_by("pk").values_list("state", flat=True)),
        "alerts": Alert.objects.filter(kind=DISCHARGE_DUE_ALERT).count(),
    }


# ---------------------------------------------------------------------------------------------
# Graduation closes everything


def test_graduation_closes_everything_that_ends_with_the_enrollment(
    entry,
    record,
    judge,
    participant,
    casemanager,
    probation_assigned,
    provider_treating,
    provider_elsewhere,
):
    decision = graduate(
        entry, judge, ceremony_on=DAY + LATER, decisions=decisions_for(record), disposition=""
    )

    enrollment = Enrollment.objects.get(participant=participant)
    assert (enrollment.status, enrollment.exit_date) == (EnrollmentStatus.GRADUATED, DAY)
    assert (decision.case_disposition, decision.ceremony_on) == ("dismissed", DAY + LATER)
    assert [(item["label"], item["decision"]) for item in decision.obligations] == [
        ("Community service: 4 of 10 hours worked", "waived"),
        ("Court testing order: 7 tests a week until Mar 30, 2026", "ended"),
    ]
    service = CommunityServiceObligation.objects.get()
    assert (service.closed_on, service.closed_as) == (DAY, "waived")
    assert TestingOrder.objects.get().ends_on == DAY

    def reloaded(row):
        row.refresh_from_db()
        return row

    next_hearing = reloaded(record["next_hearing"])
    assert next_hearing.appearance == Appearance.REMOVED
    assert next_hearing.appearance_note == "Left the program: Graduated on Mar 3, 2026."
    assert reloaded(next_hearing.appointment).outcome == "cancelled"
    assert reloaded(record["meeting"]).outcome == "cancelled"
    # Treatment may go on after the program: the agency's sessions are the provider's to keep.
    assert reloaded(record["treatment"]).outcome == ""
    assert reloaded(record["yesterday"]).outcome == ""

    drawn = reloaded(record["drawn"])
    assert (drawn.status, drawn.status_note) == (
        TestStatus.EXCUSED,
        "No longer in the program: Graduated on Mar 3, 2026",
    )
    assert DrugTest.objects.sealed(timezone.now()).filter(pk=drawn.pk).exists()  # still secret
    assert reloaded(record["called"]).status == TestStatus.SCHEDULED

    assert not CaseAssignment.objects.filter(participant=participant, ended_on=None).exists()
    assert set(CaseAssignment.objects.values_list("ended_on", flat=True)) == {DAY}
    for member in (casemanager, probation_assigned):
        member.__dict__.pop("_reach_roles", None)
        assert not access.participants_visible_to(member).filter(pk=participant.pk).exists()
    unanswered = reloaded(record["unanswered"])
    assert (unanswered.state, unanswered.withdraw_reason) == (
        ReferralState.WITHDRAWN,
        "Left the program: Graduated on Mar 3, 2026.",
    )

    # One alert per open episode, each seen by its own agency only, not by the court.
    episodes = ServiceEpisode.objects.filter(discharged_on=None)
    assert episodes.count() == 2
    for provider in (provider_treating, provider_elsewhere):
        (alert,) = alerts_for(provider).filter(kind=DISCHARGE_DUE_ALERT)
        assert alert.source_key == f"episode:{episodes.get(provider=provider.organization).pk}"
        assert alert.message.startswith("Left ")
    assert not alerts_for(judge).filter(kind=DISCHARGE_DUE_ALERT).exists()


def test_the_providers_discharge_resolves_its_alert(entry, record, judge, provider_treating):
    graduate(entry, judge, decisions=decisions_for(record))
    episode = ServiceEpisode.objects.get(provider=provider_treating.organization)

    treatment_services.episode_discharge(
        episode=episode,
        reason=DischargeReason.COMPLETED,
        summary="Completed outpatient counselling.",
        discharged_on=DAY,
        actor=provider_treating,
    )

    alert = Alert.objects.get(kind=DISCHARGE_DUE_ALERT, source_key=f"episode:{episode.pk}")
    assert (alert.state, alert.resolution_note) == ("resolved", "Discharged on 2026-03-03.")
    assert Alert.objects.filter(kind=DISCHARGE_DUE_ALERT, state="open").count() == 1


def test_no_hours_are_logged_on_a_closed_service(entry, record, judge, coordinator):
    graduate(entry, judge, decisions=decisions_for(record))

    with pytest.raises(ValidationError, match="closed with the enrollment on Mar 3, 2026"):
        services.community_service_log_hours(
            obligation=record["service"], worked_on=DAY, hours=Decimal("2"), actor=coordinator
        )
    assert record["service"].hours_worked.count() == 1


def test_termination_may_close_the_service_as_not_completed(entry, record, clerk):
    graduate(
        entry,
        clerk,
        kind="terminated",
        case_disposition="sentenced",
        decisions=decisions_for(record, **{f"service:{record['service'].pk}": "unmet"}),
    )

    service = CommunityServiceObligation.objects.get()
    assert (service.closed_on, service.closed_as) == (DAY, "unmet")
    assert Enrollment.objects.get(pk=entry.enrollment_id).status == EnrollmentStatus.TERMINATED


# ---------------------------------------------------------------------------------------------
# Refused: nothing saved


@pytest.mark.parametrize(
    "decisions",
    [
        {},
        {"testing_order": "only"},
        {"service": "waived"},
        {"service": "ended", "testing_order": "ended"},  # not a decision for community service
    ],
)
def test_an_open_obligation_without_its_decision_saves_nothing(
    entry, record, judge, participant, decisions
):
    keys = {"service": f"service:{record['service'].pk}"}
    keys["testing_order"] = f"testing_order:{record['order'].pk}"
    before = state(participant)

    with pytest.raises(ValidationError) as refusal:
        graduate(entry, judge, decisions={keys.get(k, k): v for k, v in decisions.items()})

    assert "Decide what becomes of this open obligation" in " ".join(refusal.value.messages)
    assert state(participant) == before


def test_completion_is_one_transaction(entry, record, judge, participant, monkeypatch):
    """The completion record is written last: when it fails, every step before it is undone."""
    before = state(participant)

    def fails(**fields):
        raise RuntimeError("The disk is full.")

    monkeypatch.setattr(CompletionDecision.objects, "create", fails)
    with pytest.raises(RuntimeError):
        graduate(entry, judge, decisions=decisions_for(record))

    assert state(participant) == before
    assert before["enrollments"] == [(EnrollmentStatus.ACTIVE, None)]


# ---------------------------------------------------------------------------------------------
# Withdrawal and neutral discharge


def close(enrollment, actor, **fields):
    return completions.enrollment_close(
        enrollment=enrollment,
        kind=fields.pop("kind", "withdrawn"),
        effective_date=fields.pop("effective_date", DAY),
        reason=fields.pop("reason", "Chose to return to the regular docket."),
        actor=actor,
        **fields,
    )


@pytest.mark.parametrize("kind", ["withdrawn", "neutral_discharge"])
def test_a_coordinator_closes_an_enrollment_with_its_reason(
    entry, record, coordinator, participant, kind
):
    decision = close(
        Enrollment.objects.get(participant=participant),
        coordinator,
        kind=kind,
        decisions=decisions_for(record),
    )

    assert (decision.kind, decision.entry, decision.case_disposition) == (kind, None, "")
    enrollment = Enrollment.objects.get(participant=participant)
    assert (enrollment.status, enrollment.exit_reason) == (
        kind,
        "Chose to return to the regular docket.",
    )
    record["next_hearing"].refresh_from_db()
    assert record["next_hearing"].appearance == Appearance.REMOVED
    assert not CaseAssignment.objects.filter(ended_on=None).exists()


@pytest.mark.parametrize("who", ["casemanager", "judge", "clerk", "probation_assigned"])
def test_only_a_coordinator_withdraws(participant, who, request):
    actor = request.getfixturevalue(who)
    before = state(participant)

    with pytest.raises(ValidationError, match="Only the program's coordinators"):
        close(participant.enrollments.get(), actor)

    assert state(participant) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": " "}, "Say why the participant is withdrawn."),
        ({"effective_date": DAY + datetime.timedelta(days=1)}, "cannot be in the future"),
        ({"effective_date": datetime.date(2026, 1, 19)}, "entered the program on Jan 20, 2026"),
        ({"kind": "graduated"}, "Choose withdrawal or neutral discharge."),
    ],
)
def test_a_withdrawal_needs_its_reason_and_date(participant, coordinator, fields, message):
    before = state(participant)

    with pytest.raises(ValidationError, match=message):
        close(participant.enrollments.get(), coordinator, **fields)

    assert state(participant) == before


def test_a_closed_enrollment_is_closed_once(participant, coordinator):
    enrollment = participant.enrollments.get()
    close(enrollment, coordinator)

    with pytest.raises(ValidationError, match="Withdrawn was already recorded"):
        close(enrollment, coordinator, kind="neutral_discharge")
    assert CompletionDecision.objects.count() == 1


def test_the_generic_status_change_no_longer_closes_an_admitted_enrollment(
    participant, coordinator
):
    with pytest.raises(ValidationError, match="recorded by a coordinator on the enrollment"):
        client_services.enrollment_change_status(
            enrollment=participant.enrollments.get(),
            to_status=EnrollmentStatus.WITHDRAWN,
            effective_date=DAY,
            reason="Moving away.",
            actor=coordinator,
        )
    assert participant.enrollments.get().status == EnrollmentStatus.ACTIVE


def test_what_belongs_to_the_participant_stays_while_another_enrollment_is_open(
    participant, coordinator, casemanager, other_program
):
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(participant=participant, program=other_program)
    meeting = Appointment.objects.create(
        participant=participant,
        kind=AppointmentKind.CASE_MANAGER,
        scheduled_at=NOW + LATER,
        created_by=casemanager,
    )

    close(participant.enrollments.get(program=coordinator.memberships.get().program), coordinator)

    meeting.refresh_from_db()
    assert meeting.outcome == ""
    assert CaseAssignment.objects.filter(user=casemanager, ended_on=None).exists()


# ---------------------------------------------------------------------------------------------
# Pages


def test_the_coordinator_confirms_and_decides_each_obligation_on_the_page(
    client, entry, record, coordinator, participant
):
    enrollment = participant.enrollments.get()
    url = reverse("court:enrollment_close", args=[enrollment.pk])
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert "Community service: 4 of 10 hours worked" in page
    data = {"kind": "withdrawn", "effective_date": "2026-03-03", "reason": "Moved away."}

    unconfirmed = client.post(url, data)
    undecided = client.post(url, {**data, "confirm": "on"})
    decided = {
        f"obligation_service_{record['service'].pk}": "waived",
        f"obligation_testing_order_{record['order'].pk}": "ended",
    }
    done = client.post(url, {**data, "confirm": "on", **decided})

    assert unconfirmed.context["form"].errors["confirm"]
    assert "Decide what becomes of this open obligation." in undecided.content.decode()
    assert done.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.WITHDRAWN


@pytest.mark.parametrize("who", ["casemanager", "judge", "provider_treating"])
def test_others_do_not_find_the_withdrawal_page(client, participant, who, request):
    client.force_login(request.getfixturevalue(who))
    url = reverse("court:enrollment_close", args=[participant.enrollments.get().pk])

    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"kind": "withdrawn", "reason": "x", "confirm": "on"}).status_code == 404
    )
    assert participant.enrollments.get().status == EnrollmentStatus.ACTIVE


def test_the_hearing_completion_page_asks_for_each_obligation(client, entry, record, judge):
    client.force_login(judge)
    url = reverse("court:hearing_completion", args=[entry.pk])
    data = {"kind": "graduated", "case_disposition": "dismissed", "reason": "Done", "confirm": "on"}

    undecided = client.post(url, data)
    assert "Decide what becomes of this open obligation." in undecided.content.decode()
    assert not CompletionDecision.objects.exists()

    decided = client.post(
        url,
        {
            **data,
            f"obligation_service_{record['service'].pk}": "waived",
            f"obligation_testing_order_{record['order'].pk}": "ended",
        },
    )

    assert decided.status_code == 302
    assert CompletionDecision.objects.get().obligations[0]["decision"] == "waived"


@pytest.mark.parametrize(
    ("route", "who"),
    [("court:hearing_completion", "judge"), ("court:enrollment_close", "coordinator")],
)
def test_the_completion_pages_log_the_participant_they_show(
    client, entry, record, participant, route, who, request
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    pk = entry.pk if route == "court:hearing_completion" else participant.enrollments.get().pk
    client.get(reverse(route, args=[pk]))

    assert {DataClass.IDENTITY, DataClass.CONDITIONS, DataClass.LEDGER} <= logged_classes(
        user, participant, route
    )


def test_the_participant_page_offers_the_withdrawal_to_coordinators_only(
    client, participant, coordinator, casemanager
):
    url = reverse("clients:participant_detail", args=[participant.pk])
    close_url = reverse("court:enrollment_close", args=[participant.enrollments.get().pk])

    client.force_login(coordinator)
    assert close_url in client.get(url).content.decode()
    client.force_login(casemanager)
    assert close_url not in client.get(url).content.decode()


def test_a_condition_in_force_ends_with_the_enrollment(participant, coordinator, casemanager):
    enrollment = participant.enrollments.get()
    curfew = Condition.objects.create(
        enrollment=enrollment,
        participant=participant,
        kind=ConditionKind.CURFEW,
        terms="Home by ten.",
        starts_on=enrollment.entry_date,
        recorded_by=casemanager,
    )

    with pytest.raises(ValidationError, match="Curfew: Home by ten"):
        close(enrollment, coordinator)
    assert not CompletionDecision.objects.exists()
    close(enrollment, coordinator, decisions={f"condition:{curfew.pk}": "ended"})

    curfew.refresh_from_db()
    assert (curfew.lifted_on, curfew.lift_reason) == (DAY, "Ended with the enrollment.")


def a_fine(enrollment, actor, amount="50.00"):
    return LedgerEntry.objects.create(
        enrollment=enrollment,
        participant_id=enrollment.participant_id,
        program_id=enrollment.program_id,
        kind=LedgerEntryKind.ASSESSMENT,
        charge=Charge.FINE,
        amount=Decimal(amount),
        entry_date=enrollment.entry_date,
        description="Fine ordered at the plea.",
        recorded_by=actor,
    )


def test_a_balance_owed_is_waived_by_the_court_or_kept_owed(entry, record, judge, casemanager):
    a_fine(entry.enrollment, casemanager)
    key = f"ledger:{entry.enrollment_id}"

    with pytest.raises(ValidationError, match=r"Fees, fines and restitution: \$50.00 owed"):
        graduate(entry, judge, decisions=decisions_for(record))
    graduate(entry, judge, decisions=decisions_for(record, **{key: "waived"}))

    (waiver,) = LedgerEntry.objects.filter(kind=LedgerEntryKind.WAIVER)
    assert (waiver.amount, waiver.entry_date) == (Decimal("50.00"), DAY)


def test_a_coordinator_keeps_the_balance_owed_and_cannot_waive_it(
    participant, coordinator, casemanager
):
    enrollment = participant.enrollments.get()
    a_fine(enrollment, casemanager)
    key = f"ledger:{enrollment.pk}"

    with pytest.raises(ValidationError):
        close(enrollment, coordinator, decisions={key: "waived"})
    assert not CompletionDecision.objects.exists()
    close(enrollment, coordinator, decisions={key: "owed"})

    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.WAIVER).exists()
    assert CompletionDecision.objects.get().kind == "withdrawn"
