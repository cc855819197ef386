"""A program's court roles see that program's record; providers see of the enrollment only the
program, status, phase and dates; a deactivated program's groups reach nobody. Each test is
the request a signed-in user would make to read more than their role allows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Admission
from clients import access
from clients import selectors as clients_selectors
from clients.access import DataClass
from clients.models import Charge, EnrollmentStatusChange
from clients.reconcile import access_drift
from compliance import selectors as compliance_selectors
from compliance.models import DrugTest, TestReason, TestStatus
from drugcourt import services as staff_services
from drugcourt.roles import Role
from tests.factories import EnrollmentFactory, UserFactory, placed_on_docket, settings_since_2020
from treatment_plans import services as plans

PROGRAM_WIDE = ["coordinator", "judge", "clerk", "prosecutor"]


def page(client, user, name, *args):
    client.force_login(user)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def missed_test(participant, program, day):
    """Called and missed, which the default testing policy counts as positive."""
    return DrugTest.objects.create(
        participant=participant,
        program=program,
        reason=TestReason.RANDOM,
        scheduled_for=day,
        notified_at=timezone.now() - datetime.timedelta(days=4),
        status=TestStatus.MISSED,
        status_changed_at=timezone.now(),
    )


@pytest.fixture
def second_enrollment(participant, other_program):
    """The participant is also in a program none of the personas works in, with a charge and
    a missed test (counted as positive) there."""
    settings_since_2020(other_program)
    enrollment = EnrollmentFactory(
        participant=participant,
        program=other_program,
        case_number="CASE-ELSEWHERE",
        referral_date=datetime.date(2026, 2, 1),
    )
    Charge.objects.create(
        enrollment=enrollment, statute="SEC-ELSEWHERE", description="CHARGE-ELSEWHERE"
    )
    today = clients_selectors.participant_today(participant)
    missed_test(participant, other_program, today - datetime.timedelta(days=3))
    return enrollment


@pytest.mark.parametrize("persona", PROGRAM_WIDE)
def test_program_roles_do_not_see_the_enrollment_and_charges_of_another_program(
    request, client, persona, participant, second_enrollment
):
    user = request.getfixturevalue(persona)
    text = page(client, user, "clients:participant_detail", participant.pk)

    assert "Lakeview Adult Drug Court" in text
    for marker in ("CASE-ELSEWHERE", "CHARGE-ELSEWHERE", "Hillside Adult Drug Court"):
        assert marker not in text
    assert access.programs_showing(user, participant, DataClass.ENROLLMENT) == {
        participant.enrollments.get(program__name="Lakeview Adult Drug Court").program_id
    }


def test_the_case_manager_sees_both_programs_record(
    client, casemanager, participant, second_enrollment
):
    text = page(client, casemanager, "clients:participant_detail", participant.pk)

    assert "CASE-ELSEWHERE" in text
    assert "CHARGE-ELSEWHERE" in text


@pytest.mark.parametrize("persona", PROGRAM_WIDE)
def test_program_roles_do_not_see_the_tests_of_another_program(
    request, client, persona, participant, second_enrollment
):
    user = request.getfixturevalue(persona)
    elsewhere = DrugTest.objects.get(program=second_enrollment.program)

    client.force_login(user)
    assert client.get(reverse("compliance:test_detail", args=[elsewhere.pk])).status_code == 404
    text = page(client, user, "compliance:participant_testing", participant.pk)
    assert reverse("compliance:test_detail", args=[elsewhere.pk]) not in text


@pytest.fixture
def legal_record(participant, casemanager):
    """A charge with its arrest, a status change with its reason and an admission."""
    enrollment = participant.enrollments.get()
    enrollment.case_number = "CASE-MARKER"
    enrollment.save()
    Charge.objects.create(
        enrollment=enrollment,
        statute="SEC-MARKER",
        description="CHARGE-MARKER possession",
        arrest_date=datetime.date(2025, 12, 24),
        court_case_number="COURT-CASE-MARKER",
    )
    EnrollmentStatusChange.objects.create(
        enrollment=enrollment,
        from_status="screening",
        to_status="active",
        effective_date=datetime.date(2026, 1, 20),
        reason="STATUS-REASON-MARKER plea accepted",
        changed_by=casemanager,
    )
    Admission.objects.create(
        enrollment=enrollment,
        order_or_plea_date=datetime.date(2026, 1, 15),
        agreement_signed_on=datetime.date(2026, 1, 16),
        entry_date=datetime.date(2026, 1, 20),
        days_from_arrest=4321,
        days_from_referral=15,
        admitted_by=casemanager,
    )
    return enrollment


@pytest.fixture
def in_treatment(participant, provider, casemanager):
    """An active service episode at the provider's agency."""
    referral = plans.referral_send(
        participant=participant,
        provider=provider.organization,
        requested_service="Outpatient",
        reason="Stimulant use",
        urgency="routine",
        shared_information="Name and phone",
        actor=casemanager,
    )
    return plans.referral_accept(referral=referral, actor=provider)


def test_a_provider_sees_program_status_phase_and_dates_but_no_legal_record(
    client, provider, participant, legal_record, in_treatment
):
    text = page(client, provider, "clients:participant_detail", participant.pk)

    assert "Lakeview Adult Drug Court" in text
    assert "2026-01-20" in text  # entry date
    for marker in (
        "CASE-MARKER",
        "CHARGE-MARKER",
        "SEC-MARKER",
        "COURT-CASE-MARKER",
        "2025-12-24",  # arrest
        "STATUS-REASON-MARKER",
        "4321",  # days from arrest
    ):
        assert marker not in text, marker


@pytest.mark.parametrize("persona", ["judge", "casemanager"])
def test_court_roles_and_the_team_see_the_legal_record(
    request, client, persona, participant, legal_record
):
    text = page(
        client, request.getfixturevalue(persona), "clients:participant_detail", participant.pk
    )

    for marker in ("CASE-MARKER", "CHARGE-MARKER", "STATUS-REASON-MARKER", "4321"):
        assert marker in text, marker


@pytest.mark.parametrize("persona", PROGRAM_WIDE)
def test_a_deactivated_programs_groups_reach_nobody(
    request, client, persona, admin, program, participant
):
    user = request.getfixturevalue(persona)
    staff_services.program_update(
        program=program,
        name=program.name,
        court=program.court,
        jurisdiction=program.jurisdiction,
        time_zone=program.time_zone,
        is_active=False,
        actor=admin,
    )

    client.force_login(user)
    url = reverse("clients:participant_detail", args=[participant.pk])
    assert client.get(url).status_code == 404
    assert not access.participants_visible_to(user).exists()
    assert not user.groups.filter(name__startswith=f"program:{program.pk}:").exists()
    assert access_drift().is_clean


def test_rows_left_in_a_deactivated_programs_group_give_no_reach(judge, program, participant):
    """Even if a row survives (a sync skipped, a restore), the read ignores it."""
    program.is_active = False
    program.save(update_fields=["is_active"])

    assert not access.participants_visible_to(judge).exists()
    assert access.reach_roles(judge, participant) == frozenset()
    assert {user.username for user in access_drift().users_with_wrong_program_groups} == {"judge"}


def test_the_caseload_shows_a_program_role_its_own_programs_enrollment(
    client, judge, participant, second_enrollment
):
    """The other enrollment is the newer one; the judge's list still shows this program's."""
    client.force_login(judge)
    text = client.get(reverse("clients:participant_list")).content.decode()

    assert "Lakeview Adult Drug Court" in text
    assert "Hillside Adult Drug Court" not in text
    assert "CASE-ELSEWHERE" not in text
    found = client.get(reverse("clients:participant_list"), {"q": "CASE-ELSEWHERE"})
    assert "Moss" not in found.content.decode()


def test_a_providers_caseload_has_no_case_numbers(
    client, provider, participant, legal_record, in_treatment
):
    client.force_login(provider)
    text = client.get(reverse("clients:participant_list")).content.decode()

    assert "Moss" in text
    assert "CASE-MARKER" not in text
    assert (
        "Moss"
        not in client.get(
            reverse("clients:participant_list"), {"q": "CASE-MARKER"}
        ).content.decode()
    )


def test_program_roles_do_not_see_the_hearings_of_another_program(
    client, judge, coordinator, casemanager, participant, second_enrollment, other_program
):
    """Each program's coordinator places the participant on a docket; the hearing belongs to
    their program."""
    other_coordinator = UserFactory(roles=[Role.COORDINATOR], programs=[other_program])
    other_judge = UserFactory(roles=[Role.JUDGE], programs=[other_program])
    today = clients_selectors.participant_today(participant)
    elsewhere = placed_on_docket(
        second_enrollment,
        coordinator=other_coordinator,
        judge=other_judge,
        held_on=today + datetime.timedelta(days=1),
        courtroom="HEARING-ELSEWHERE courtroom",
    ).appointment
    here = placed_on_docket(
        participant.enrollments.exclude(pk=second_enrollment.pk).get(),
        coordinator=coordinator,
        judge=judge,
        held_on=today + datetime.timedelta(days=2),
        courtroom="HEARING-HERE courtroom",
    ).appointment
    assert elsewhere.program == other_program

    text = page(client, judge, "clients:timeline", participant.pk)
    assert "HEARING-HERE" in text
    assert "HEARING-ELSEWHERE" not in text
    assert set(clients_selectors.appointments_visible(judge, participant)) == {here}
    assert set(clients_selectors.appointments_visible(casemanager, participant)) == {
        here,
        elsewhere,
    }


def test_days_sober_of_a_program_role_leave_another_programs_positive_out(
    judge, casemanager, participant, second_enrollment
):
    """The other program's positive was three days ago; this program has none."""
    assert compliance_selectors.compliance_section(participant, casemanager)["days_sober"] == 3
    assert compliance_selectors.compliance_section(participant, judge)["days_sober"] != 3


@pytest.mark.parametrize("persona", ["defence_assigned", "probation_assigned"])
def test_the_assigned_defence_and_probation_have_only_their_programs_hearings_on_their_day(
    request, persona, judge, coordinator, participant, second_enrollment, other_program
):
    """Assigned to the participant in `program`, they do not find the client's hearing in
    another program on their calendar of the day."""
    member = request.getfixturevalue(persona)
    other_coordinator = UserFactory(roles=[Role.COORDINATOR], programs=[other_program])
    other_judge = UserFactory(roles=[Role.JUDGE], programs=[other_program])
    today = clients_selectors.participant_today(participant)
    elsewhere = placed_on_docket(
        second_enrollment, coordinator=other_coordinator, judge=other_judge, held_on=today
    ).appointment
    here = placed_on_docket(
        participant.enrollments.exclude(pk=second_enrollment.pk).get(),
        coordinator=coordinator,
        judge=judge,
        held_on=today,
        courtroom="Courtroom 1",
    ).appointment

    day = set(clients_selectors.appointments_of_day(member, here.scheduled_at.date()))

    assert here in day
    assert elsewhere not in day
