"""Phase requirements and phase decisions (issue 17): each requirement kind at its boundary
from recorded data, the settings that carry requirements (a negative threshold refused, a new
version keeping them), advancing with and without an override, a demotion with its remedial
plan, and what a phase change sets in motion (plan review due, testing and hearing defaults).

The hearing is on Mar 3, 2026; the participant entered phase 1 on Jan 20 (42 days before)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import AppointmentKind, Enrollment, LifeDomain, LifeDomainRecord
from compliance.models import TestStatus
from compliance.selectors import enrollments_to_test
from court import selectors, services
from court.models import (
    Charge,
    CommunityServiceHours,
    CommunityServiceObligation,
    CourtResponse,
    LedgerEntry,
    LedgerEntryKind,
    PhaseChange,
)
from drugcourt import services as core_services
from drugcourt.models import (
    NoteFormat,
    Phase,
    ProgramSettings,
    ResponseCategory,
    ResponseEffect,
    ResponseOption,
)
from tests.compliance.builders import a_test, an_appointment
from tests.court.builders import on_docket, session_on
from tests.factories import settings_since_2020
from treatment_plans.models import Goal, Objective, PlanReview, PlanStatus, TreatmentPlan

pytestmark = pytest.mark.usefixtures("_on_the_hearing_day")

DAY = datetime.date(2026, 3, 3)
ENTRY = datetime.date(2026, 1, 20)


@pytest.fixture
def _on_the_hearing_day():
    with time_machine.travel(datetime.datetime(2026, 3, 3, 18, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture(autouse=True)
def program_settings(program):
    return settings_since_2020(program)


@pytest.fixture
def enrollment(participant):
    return participant.enrollments.get()


@pytest.fixture
def entry(program, judge, enrollment):
    """The participant appeared at today's hearing."""
    return on_docket(session_on(program, DAY, judge=judge), enrollment, appearance="appeared")


def requirement(kind, **params):
    return {"kind": kind, "params": params}


def require(program_settings, number, *requirements):
    Phase.objects.filter(settings=program_settings, number=number).update(
        requirements=list(requirements)
    )


def checklist_of(program, enrollment, today=DAY):
    enrollment.refresh_from_db()
    return selectors.phase_checklists(program, [enrollment], today=today)[enrollment.pk]


def only_item(program, enrollment):
    (item,) = checklist_of(program, enrollment).items
    return item


def a_sanction(program, judge, enrollment, effect, given_on, **details):
    session = session_on(program, given_on, judge=judge, courtroom=f"S{given_on:%m%d}")
    earlier = on_docket(session, enrollment, appearance="appeared")
    option = ResponseOption.objects.filter(
        settings__program=program, category=ResponseCategory.SANCTION, effect=effect
    ).first()
    return CourtResponse.objects.create(
        entry=earlier,
        participant_id=enrollment.participant_id,
        option=option,
        given_on=given_on,
        recorded_by=judge,
        **details,
    )


def community_service(program, judge, enrollment, *, ordered, worked, given_on):
    response = a_sanction(
        program, judge, enrollment, ResponseEffect.COMMUNITY_SERVICE, given_on, hours=ordered
    )
    obligation = CommunityServiceObligation.objects.create(
        response=response, participant_id=enrollment.participant_id, hours_ordered=ordered
    )
    CommunityServiceHours.objects.create(
        obligation=obligation, worked_on=given_on, hours=worked, recorded_by=judge
    )


# ---------------------------------------------------------------------------------------------
# Each kind at its boundary, from recorded data


@pytest.mark.parametrize(("days", "met"), [(42, True), (43, False)])
def test_days_in_phase_count_from_entry(program, program_settings, enrollment, days, met):
    require(program_settings, 1, requirement("days_in_phase", days=days))

    item = only_item(program, enrollment)

    assert (item.met, item.figure) == (met, "42 days (since Jan 20, 2026)")


def test_days_in_phase_count_from_the_last_phase_change(
    program, program_settings, judge, enrollment
):
    earlier = on_docket(session_on(program, DAY - datetime.timedelta(days=10), judge=judge),
                        enrollment, appearance="appeared")  # fmt: skip
    PhaseChange.objects.create(enrollment=enrollment, entry=earlier, from_phase=2, to_phase=1,
                               decided_on=earlier.session.held_on, reason="Relapse",
                               remedial_plan_note="Groups", decided_by=judge)  # fmt: skip
    require(program_settings, 1, requirement("days_in_phase", days=10))

    assert only_item(program, enrollment).figure == "10 days (since Feb 21, 2026)"


@pytest.mark.parametrize(("days", "met"), [(30, True), (31, False)])
def test_sober_days_since_the_last_positive(
    program, program_settings, participant, enrollment, days, met
):
    a_test(participant, datetime.date(2026, 2, 1), TestStatus.POSITIVE, "COC")
    a_test(participant, datetime.date(2026, 2, 20), TestStatus.NEGATIVE)
    require(program_settings, 1, requirement("sober_days", days=days))

    item = only_item(program, enrollment)

    assert (item.met, item.figure) == (met, "30 days")


@pytest.mark.parametrize(("percent", "met"), [(75, True), (76, False)])
def test_attendance_rate_over_the_last_days(
    program, program_settings, participant, enrollment, percent, met
):
    """Treatment and case management together, over the last 30 days (from Feb 1): a miss
    before then does not count."""
    for day, kind, outcome in [
        (datetime.date(2026, 1, 25), AppointmentKind.TREATMENT, "missed"),
        (datetime.date(2026, 2, 10), AppointmentKind.TREATMENT, "attended"),
        (datetime.date(2026, 2, 12), AppointmentKind.CASE_MANAGER, "attended"),
        (datetime.date(2026, 2, 15), AppointmentKind.TREATMENT, "missed"),
        (datetime.date(2026, 2, 20), AppointmentKind.TREATMENT, "late"),
    ]:
        an_appointment(participant, day, kind, outcome, program=program)
    require(program_settings, 1, requirement("attendance_rate", percent=percent, days=30))

    item = only_item(program, enrollment)

    assert (item.met, item.figure) == (met, "3 of 4 attended (75 %)")


def test_attendance_with_nothing_to_attend_is_not_met(program, program_settings, enrollment):
    require(program_settings, 1, requirement("attendance_rate", percent=0, days=30))

    assert not only_item(program, enrollment).met


@pytest.mark.parametrize(("percent", "met"), [(50, True), (51, False)])
def test_plan_objectives_met_at_the_latest_review(
    program, program_settings, participant, casemanager, enrollment, percent, met
):
    plan = TreatmentPlan.objects.create(participant=participant, version=1,
                                        status=PlanStatus.ACTIVE, starts_on=ENTRY,
                                        created_by=casemanager)  # fmt: skip
    goal = Goal.objects.create(plan=plan, participant_words="Stay clean", clinical_terms="SUD")
    first, second = (
        Objective.objects.create(goal=goal, description=text, target_date=DAY)
        for text in ("Attend groups", "Find work")
    )
    PlanReview.objects.create(plan=plan, reviewed_on=datetime.date(2026, 2, 1),
                              reviewed_by=casemanager,
                              progress={str(first.pk): "met", str(second.pk): "met"})  # fmt: skip
    latest = {str(first.pk): "met", str(second.pk): "revised"}
    PlanReview.objects.create(plan=plan, reviewed_on=datetime.date(2026, 2, 25),
                              reviewed_by=casemanager, progress=latest)  # fmt: skip
    require(program_settings, 1, requirement("plan_objectives_met", percent=percent))

    item = only_item(program, enrollment)

    assert (item.met, item.figure) == (met, "1 of 2 met at the review of Feb 25, 2026")


def test_plan_objectives_without_a_plan_in_force_are_not_met(program, program_settings, enrollment):
    require(program_settings, 1, requirement("plan_objectives_met", percent=0))

    assert (only_item(program, enrollment).figure, only_item(program, enrollment).met) == (
        "no plan in force",
        False,
    )


@pytest.mark.parametrize(("worked", "met"), [(Decimal(8), True), (Decimal("7.5"), False)])
def test_no_open_sanctions_community_service(
    program, program_settings, judge, enrollment, worked, met
):
    community_service(program, judge, enrollment, ordered=8, worked=worked,
                      given_on=datetime.date(2026, 2, 10))  # fmt: skip
    require(program_settings, 1, requirement("no_open_sanctions"))

    item = only_item(program, enrollment)

    assert item.met is met
    assert item.figure == ("none open" if met else "Community service: 7.5 of 8 hours worked")


@pytest.mark.parametrize(("given_days_ago", "met"), [(14, True), (13, False)])
def test_no_open_sanctions_a_curfew_is_open_to_its_last_day(
    program, program_settings, judge, enrollment, given_days_ago, met
):
    """Two weeks of curfew given 13 days ago end today: still open."""
    given_on = DAY - datetime.timedelta(days=given_days_ago)
    a_sanction(program, judge, enrollment, ResponseEffect.CURFEW, given_on, weeks=2)
    require(program_settings, 1, requirement("no_open_sanctions"))

    assert only_item(program, enrollment).met is met


@pytest.mark.parametrize(("hours", "met"), [(10, True), (11, False)])
def test_community_service_in_the_phase_counts_for_work_or_school(
    program, program_settings, judge, enrollment, hours, met
):
    community_service(program, judge, enrollment, ordered=10, worked=Decimal(10),
                      given_on=datetime.date(2026, 2, 10))  # fmt: skip
    require(program_settings, 1, requirement("work_school_or_service", hours=hours))

    item = only_item(program, enrollment)

    assert item.met is met
    assert item.figure == "not working or in school; 10 hours of community service in the phase"


@pytest.mark.parametrize(
    ("effective_from", "met"), [(DAY, True), (DAY + datetime.timedelta(1), False)]
)
def test_working_by_the_life_domain_in_force(
    program, program_settings, participant, casemanager, enrollment, effective_from, met
):
    LifeDomainRecord.objects.create(participant=participant, domain=LifeDomain.EMPLOYMENT,
                                    status="part_time", detail="MARKER employer",
                                    effective_from=effective_from,
                                    recorded_by=casemanager)  # fmt: skip
    require(program_settings, 1, requirement("work_school_or_service", hours=40))

    item = only_item(program, enrollment)

    assert item.met is met
    assert "employer" not in item.figure  # the detail is case-note data, not court data


def a_ledger_entry(enrollment, kind, amount, **fields):
    LedgerEntry.objects.create(
        enrollment=enrollment, participant_id=enrollment.participant_id,
        program_id=enrollment.program_id, kind=kind, amount=Decimal(amount),
        entry_date=datetime.date(2026, 2, 1), recorded_by=enrollment.participant.created_by,
        **fields,
    )  # fmt: skip


@pytest.mark.parametrize(("percent", "met"), [(60, True), (61, False)])
def test_fees_paid_as_a_share_of_what_was_assessed(
    program, program_settings, enrollment, percent, met
):
    a_ledger_entry(enrollment, LedgerEntryKind.ASSESSMENT, "250.00", charge=Charge.FEE)
    a_ledger_entry(enrollment, LedgerEntryKind.PAYMENT, "100.00", method="cash",
                   receipt_number=1)  # fmt: skip
    a_ledger_entry(enrollment, LedgerEntryKind.WAIVER, "50.00", reason="Reduced")
    require(program_settings, 1, requirement("fees_paid", percent=percent))

    item = only_item(program, enrollment)

    assert (item.met, item.figure) == (met, "$150.00 of $250.00 paid or waived (60 %)")


def test_a_finding_of_inability_to_pay_meets_the_fees(program, program_settings, enrollment):
    a_ledger_entry(enrollment, LedgerEntryKind.ASSESSMENT, "250.00", charge=Charge.FEE)
    a_ledger_entry(enrollment, LedgerEntryKind.WAIVER, "10.00", reason="Indigent",
                   inability_to_pay=True)  # fmt: skip
    require(program_settings, 1, requirement("fees_paid", percent=100))

    assert only_item(program, enrollment).figure == "found unable to pay"
    assert only_item(program, enrollment).met


def test_unpaid_fees_never_stop_an_advance(program_settings, entry, judge):
    a_ledger_entry(entry.enrollment, LedgerEntryKind.ASSESSMENT, "250.00", charge=Charge.FEE)
    require(program_settings, 1, requirement("fees_paid", percent=100))

    change = advance(entry, judge)

    assert (change.to_phase, change.override_reason, change.unmet_requirements) == (2, "", [])


def test_a_phase_without_requirements_asks_nothing(program, enrollment):
    checklist = checklist_of(program, enrollment)

    assert (checklist.items, checklist.all_met, checklist.ready_to_advance) == ((), True, False)
    assert checklist.next_phase.number == 2


# ---------------------------------------------------------------------------------------------
# Settings: requirements are checked, and every new version carries them


def change_requirements(program, coordinator, requirements, effective_from=DAY):
    return core_services.program_settings_change_phase_requirements(
        program=program, effective_from=effective_from, requirements=requirements,
        change_note="Requirements", actor=coordinator,
    )  # fmt: skip


def test_a_negative_threshold_is_refused_and_nothing_is_saved(program, coordinator):
    with pytest.raises(ValidationError) as error:
        change_requirements(program, coordinator, {1: [requirement("sober_days", days=-1)]})

    assert "“Minimum continuous sober days” cannot be negative (-1 days)" in str(error.value)
    assert not Phase.objects.exclude(requirements=[]).exists()
    assert ProgramSettings.objects.filter(program=program).count() == 1


@pytest.mark.parametrize(
    ("requirements", "message"),
    [
        ({1: [requirement("attendance_rate", percent=101, days=30)]}, "takes 0 to 100 per cent"),
        ({1: [requirement("attendance_rate", percent=90)]}, "needs its days"),
        ({1: [requirement("no_open_sanctions", days=3)]}, "takes no days"),
        ({1: [requirement("sober_days", days=3), requirement("sober_days", days=4)]}, "twice"),
        ({1: [requirement("curfew_kept", days=3)]}, "is not a kind of phase requirement"),
        ({6: [requirement("sober_days", days=3)]}, "The program has no phase 6"),
    ],
)
def test_requirements_out_of_shape_are_refused(program, coordinator, requirements, message):
    with pytest.raises(ValidationError) as error:
        change_requirements(program, coordinator, requirements)

    assert message in str(error.value)
    assert not Phase.objects.exclude(requirements=[]).exists()


def test_a_new_settings_version_keeps_the_requirements(program, coordinator):
    wanted = [requirement("days_in_phase", days=90), requirement("sober_days", days=60)]
    change_requirements(program, coordinator, {2: wanted})

    later = core_services.program_settings_change_note_format(
        program=program, effective_from=DAY + datetime.timedelta(days=7),
        note_format=NoteFormat.DAP, change_note="Notes", actor=coordinator,
    )  # fmt: skip

    assert later.phases.get(number=2).requirements == wanted
    assert later.phases.get(number=1).requirements == []


def test_a_phase_keeps_its_requirements_when_the_list_changes(program, coordinator):
    """Moving phase 2 to the front (the phases page carries each row's requirements)."""
    wanted = [requirement("days_in_phase", days=90)]
    version = change_requirements(program, coordinator, {2: wanted})
    phases = [core_services.PhaseData.from_phase(phase) for phase in version.phases.all()]

    core_services.program_settings_change_phases(
        program=program, effective_from=DAY, phases=[phases[1], phases[0], *phases[2:]],
        change_note="Reordered", actor=coordinator,
    )  # fmt: skip

    assert version.phases.get(number=1).requirements == wanted


# ---------------------------------------------------------------------------------------------
# Decisions at a hearing


def advance(entry, actor, **decision):
    return services.phase_change_decide(
        entry=entry, to_phase=2, reason="Doing well.", actor=actor, **decision
    )


def test_an_unmet_requirement_refuses_the_advance_without_an_override(
    program_settings, entry, judge
):
    require(program_settings, 1, requirement("days_in_phase", days=60))

    with pytest.raises(ValidationError) as error:
        advance(entry, judge)

    assert error.value.message_dict["override_reason"] == [
        "Not every requirement to advance to phase 2 is met (At least 60 days in the phase: 42 "
        "days (since Jan 20, 2026)). To advance anyway, give the reason for the override."
    ]
    assert not PhaseChange.objects.exists()
    assert Enrollment.objects.get(pk=entry.enrollment_id).phase == 1


def test_an_override_is_documented_with_what_was_unmet(program_settings, entry, judge):
    require(program_settings, 1, requirement("days_in_phase", days=60))

    change = advance(entry, judge, override_reason="Stable housing now; the team agrees.")

    assert (change.override_reason, change.unmet_requirements) == (
        "Stable housing now; the team agrees.",
        ["At least 60 days in the phase: 42 days (since Jan 20, 2026)"],
    )
    assert Enrollment.objects.get(pk=entry.enrollment_id).phase == 2


def test_requirements_met_advance_without_an_override(program_settings, entry, judge):
    require(program_settings, 1, requirement("days_in_phase", days=42))

    change = advance(entry, judge, override_reason="Not needed")

    assert (change.override_reason, change.unmet_requirements) == ("", [])


def test_an_advance_goes_to_the_next_phase_only(entry, judge):
    with pytest.raises(ValidationError, match="one phase at a time: the next phase is 2"):
        services.phase_change_decide(entry=entry, to_phase=3, reason="Fast", actor=judge)

    assert not PhaseChange.objects.exists()


def test_a_demotion_needs_the_remedial_plan_and_restarts_the_phase(
    program, program_settings, entry, judge
):
    Enrollment.objects.filter(pk=entry.enrollment_id).update(phase=3)
    require(program_settings, 1, requirement("days_in_phase", days=30))

    with pytest.raises(ValidationError) as error:
        services.phase_change_decide(entry=entry, to_phase=1, reason="Relapse", actor=judge)
    assert "remedial_plan_note" in error.value.message_dict
    assert not PhaseChange.objects.exists()

    change = services.phase_change_decide(
        entry=entry, to_phase=1, reason="Relapse", actor=judge,
        remedial_plan_note="Daily groups for two weeks; relapse prevention plan.",
    )  # fmt: skip

    assert (change.from_phase, change.to_phase, change.remedial_plan_note) == (
        3, 1, "Daily groups for two weeks; relapse prevention plan.",
    )  # fmt: skip
    assert only_item(program, entry.enrollment).figure == "0 days (since Mar 3, 2026)"


# ---------------------------------------------------------------------------------------------
# What a phase change sets in motion


@pytest.mark.parametrize(
    ("due_before", "due_after"),
    [(DAY + datetime.timedelta(days=60), DAY), (DAY - datetime.timedelta(days=5), None)],
)
def test_a_phase_change_makes_the_plan_review_due(
    entry, judge, casemanager, participant, due_before, due_after
):
    """Due on the hearing's day, unless it was already due earlier."""
    plan = TreatmentPlan.objects.create(participant=participant, version=1,
                                        status=PlanStatus.ACTIVE, starts_on=ENTRY,
                                        review_due_on=due_before,
                                        created_by=casemanager)  # fmt: skip

    advance(entry, judge)

    plan.refresh_from_db()
    assert plan.review_due_on == (due_after or due_before)


def test_testing_follows_the_new_phase_from_the_next_weekly_draw(program, entry, judge):
    """Phase 2 → 3: 3 tests a week → 2. The draw reads the frequency on its week's Monday."""
    Enrollment.objects.filter(pk=entry.enrollment_id).update(phase=2)
    next_monday = DAY + datetime.timedelta(days=6)

    def drawn_frequency():
        return enrollments_to_test(program.pk, next_monday).get(pk=entry.enrollment_id)

    assert drawn_frequency().tests_per_week == 3
    services.phase_change_decide(entry=entry, to_phase=3, reason="Doing well.", actor=judge)
    assert drawn_frequency().tests_per_week == 2


def test_hearings_follow_the_new_phase_from_the_next_hearing(program, entry, judge):
    """Phase 1 has a hearing every week, phase 2 every two: the hearing after the next one."""
    entry.next_hearing_on = DAY + datetime.timedelta(weeks=1)
    entry.save()
    next_entry = on_docket(session_on(program, entry.next_hearing_on, judge=judge),
                           entry.enrollment)  # fmt: skip
    assert selectors.next_hearing_default(next_entry) == DAY + datetime.timedelta(weeks=2)

    advance(entry, judge)

    next_entry.enrollment.refresh_from_db()
    assert selectors.next_hearing_default(next_entry) == DAY + datetime.timedelta(weeks=3)


# ---------------------------------------------------------------------------------------------
# Pages: the coordinator's settings, the checklist on the participant page by role


def test_the_coordinator_edits_the_requirements_on_the_settings_page(client, program, coordinator):
    client.force_login(coordinator)
    url = reverse("core:program_settings_phase_requirements", args=[program.pk])
    form = {
        "effective_from": "2026-03-03",
        "change_note": "Requirements for phase 2",
        "requirements-TOTAL_FORMS": "2",
        "requirements-INITIAL_FORMS": "0",
        "requirements-0-phase": "2",
        "requirements-0-kind": "attendance_rate",
        "requirements-0-threshold": "90",
        "requirements-0-window": "30",
        "requirements-1-phase": "2",
        "requirements-1-kind": "no_open_sanctions",
    }

    client.post(url, form)

    assert Phase.objects.get(settings__effective_from=DAY, number=2).requirements == [
        requirement("attendance_rate", percent=90, days=30),
        requirement("no_open_sanctions"),
    ]
    settings_page = client.get(reverse("core:program_settings", args=[program.pk])).content
    assert "Attendance of at least 90 % at treatment and case management over the last 30 days" in (
        settings_page.decode()
    )


def test_a_negative_threshold_on_the_page_is_shown_and_nothing_saved(client, program, coordinator):
    client.force_login(coordinator)
    url = reverse("core:program_settings_phase_requirements", args=[program.pk])
    form = {
        "effective_from": "2026-03-03",
        "change_note": "Oops",
        "requirements-TOTAL_FORMS": "1",
        "requirements-INITIAL_FORMS": "0",
        "requirements-0-phase": "1",
        "requirements-0-kind": "days_in_phase",
        "requirements-0-threshold": "-5",
    }

    response = client.post(url, form)

    assert "“Minimum days in the phase” cannot be negative (-5 days)" in response.content.decode()
    assert ProgramSettings.objects.filter(program=program).count() == 1


@pytest.mark.parametrize(
    ("persona", "shown"),
    [
        ("judge", True),
        ("clerk", True),
        ("prosecutor", True),
        ("coordinator", True),
        ("casemanager", True),
        ("casemanager2", False),
        ("provider", False),
    ],
)
def test_the_checklist_on_the_participant_page_by_role(
    client, request, program_settings, participant, persona, shown
):
    require(program_settings, 1, requirement("days_in_phase", days=30))
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("clients:participant_detail", args=[participant.pk])).content

    assert ("At least 30 days in the phase" in page.decode()) is shown


def test_the_checklist_costs_the_participant_page_one_query_a_kind_reads(
    client, program, program_settings, participant, judge
):
    """The phases in force are read anyway; days in the phase add the last phase change."""
    client.force_login(judge)
    url = reverse("clients:participant_detail", args=[participant.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    require(program_settings, 1, requirement("days_in_phase", days=30))
    with CaptureQueriesContext(connection) as with_checklist:
        page = client.get(url).content.decode()

    assert "At least 30 days in the phase" in page
    assert len(with_checklist) == len(without) + 1  # the last phase change


def test_the_hearing_page_asks_for_the_override_and_records_it(
    client, program_settings, entry, judge
):
    require(program_settings, 1, requirement("days_in_phase", days=60))
    client.force_login(judge)
    url = reverse("court:hearing_phase", args=[entry.pk])
    decision = {"to_phase": "2", "reason": "Doing well."}

    refused = client.post(url, decision).content.decode()

    assert "To advance anyway, give the reason for the override." in refused
    assert "At least 60 days in the phase" in refused  # the row's checklist
    assert not PhaseChange.objects.exists()

    client.post(url, {**decision, "override_reason": "The team agrees."})

    page = client.get(reverse("court:hearing", args=[entry.pk])).content.decode()
    assert "Override</strong>: The team agrees." in page
    assert "unmet then: At least 60 days in the phase: 42 days (since Jan 20, 2026)" in page
