"""The access mechanism: reach from assignments and program membership, data classes by role,
404 for everyone else (superuser included), grants and revokes in the same transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from clients import access, services
from clients.access import DataClass
from clients.models import CaseAssignment, ParticipantUserObjectPermission, TeamRole
from drugcourt.roles import Role
from tests.conftest import enrolled


def visible(user):
    return set(access.participants_visible_to(user))


def test_case_managers_see_their_own_caseload_only(
    casemanager, casemanager2, participant, participant2, foreign_participant
):
    assert visible(casemanager) == {participant}
    assert visible(casemanager2) == {participant2}


@pytest.mark.parametrize("persona", ["coordinator", "judge", "clerk", "prosecutor"])
def test_program_wide_roles_see_exactly_their_program(
    request, persona, participant, participant2, foreign_participant
):
    user = request.getfixturevalue(persona)

    assert visible(user) == {participant, participant2}


@pytest.mark.parametrize(
    "persona", ["admin", "evaluator", "superuser", "provider", "defence", "probation"]
)
def test_roles_without_a_source_of_reach_see_nobody(request, persona, participant):
    user = request.getfixturevalue(persona)

    assert visible(user) == set()
    with pytest.raises(Http404):
        access.get_participant_or_404(user, participant.pk)


def test_a_superuser_gets_404_like_anyone_unassigned(superuser, participant):
    with pytest.raises(Http404):
        access.get_participant_or_404(superuser, participant.pk)


def test_court_view_roles_see_court_data_but_not_case_notes(judge, participant):
    assert access.can_see(judge, participant, DataClass.DRUG_TESTS)
    assert access.can_see(judge, participant, DataClass.COURT)
    assert not access.can_see(judge, participant, DataClass.CASE_NOTES)
    assert not access.can_see(judge, participant, DataClass.ASSESSMENT_DETAIL)
    assert not access.can_see(judge, participant, DataClass.CONTACT_DETAILS)


def test_probation_sees_supervision_contacts_of_assigned_participants(
    coordinator, probation, participant
):
    services.assignment_create(
        participant=participant,
        user=probation,
        team_role=TeamRole.PROBATION_OFFICER,
        actor=coordinator,
    )

    assert access.can_see(probation, participant, DataClass.SUPERVISION_CONTACTS)
    assert access.can_see(probation, participant, DataClass.DRUG_TESTS)
    assert not access.can_see(probation, participant, DataClass.CASE_NOTES)


def test_a_person_with_two_roles_sees_each_participant_through_the_role_that_reaches_them(
    casemanager, program, participant, participant2
):
    casemanager.roles = [Role.CASE_MANAGER, Role.JUDGE]
    casemanager.save()
    from drugcourt.program_groups import access_groups_sync

    access_groups_sync(casemanager)

    assert access.can_see(casemanager, participant, DataClass.CASE_NOTES)
    assert access.can_see(casemanager, participant2, DataClass.COURT)
    assert not access.can_see(casemanager, participant2, DataClass.CASE_NOTES)


def test_losing_a_role_ends_the_reach_it_gave(judge, participant):
    judge.roles = [Role.EVALUATOR]
    judge.save()

    assert visible(judge) == set()


def test_a_deactivated_user_reaches_nobody(casemanager, participant):
    casemanager.is_active = False
    casemanager.save()

    assert visible(casemanager) == set()


def test_assignment_grants_and_ending_it_revokes(coordinator, defence, participant):
    assignment = services.assignment_create(
        participant=participant,
        user=defence,
        team_role=TeamRole.DEFENCE_ATTORNEY,
        actor=coordinator,
    )
    assert visible(defence) == {participant}

    services.assignment_end(assignment=assignment, actor=coordinator)

    defence.__dict__.pop("_reach_roles", None)
    assert visible(defence) == set()


def test_a_failed_assignment_leaves_no_permission_row(coordinator, defence, participant):
    rows_before = ParticipantUserObjectPermission.objects.count()

    def assign_then_fail():
        with transaction.atomic():
            services.assignment_create(
                participant=participant,
                user=defence,
                team_role=TeamRole.DEFENCE_ATTORNEY,
                actor=coordinator,
            )
            CaseAssignment.objects.create(  # a second active row breaks the unique constraint
                participant=participant,
                user=defence,
                team_role=TeamRole.DEFENCE_ATTORNEY,
                started_on=participant.created_at.date(),
                assigned_by=coordinator,
            )

    with pytest.raises(IntegrityError):
        assign_then_fail()

    assert ParticipantUserObjectPermission.objects.count() == rows_before
    assert visible(defence) == set()


@pytest.mark.parametrize(
    ("persona", "role", "message"),
    [
        ("judge", TeamRole.CASE_MANAGER, "does not hold the role Case manager"),
        ("provider", TeamRole.DEFENCE_ATTORNEY, "cannot hold the role Defence attorney"),
    ],
)
def test_assignment_refuses_staff_who_cannot_hold_the_team_role(
    request, coordinator, participant, persona, role, message
):
    user = request.getfixturevalue(persona)
    if persona == "provider":
        user.roles = [Role.TREATMENT_PROVIDER, Role.DEFENCE_ATTORNEY]

    with pytest.raises(ValidationError, match=message):
        services.assignment_create(
            participant=participant, user=user, team_role=role, actor=coordinator
        )


def test_assignment_refuses_a_deactivated_staff_member(coordinator, casemanager2, participant):
    casemanager2.is_active = False
    casemanager2.save()

    with pytest.raises(ValidationError, match="is deactivated"):
        services.assignment_create(
            participant=participant,
            user=casemanager2,
            team_role=TeamRole.CASE_MANAGER,
            actor=coordinator,
        )


def test_assignment_refuses_staff_of_another_program(coordinator, program, other_program):
    from tests.factories import UserFactory

    outsider = UserFactory(roles=[Role.CASE_MANAGER], programs=[other_program])
    person = enrolled(program, creator=coordinator)

    with pytest.raises(ValidationError, match="not a member"):
        services.assignment_create(
            participant=person, user=outsider, team_role=TeamRole.CASE_MANAGER, actor=coordinator
        )


def test_participants_visible_to_is_one_query(casemanager, participant, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(access.participants_visible_to(casemanager))


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("probation_assigned", Role.PROBATION_OFFICER),
        ("defence_assigned", Role.DEFENCE_ATTORNEY),
        ("provider_treating", Role.TREATMENT_PROVIDER),
        ("provider_elsewhere", Role.TREATMENT_PROVIDER),
    ],
)
def test_the_participant_personas_reach_the_participant_through_their_relation(
    request, persona, role, participant
):
    user = request.getfixturevalue(persona)

    assert access.reach_roles(user, participant) == {role}
