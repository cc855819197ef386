"""Issue 12, "The duplicate check does not become a statewide lookup": a coordinator doing an
intake learns who a possible duplicate is only within the programs they coordinate."""

import pytest
from django.urls import reverse

from clients.models import IdentifierKind, ParticipantIdentifier
from drugcourt.roles import Role
from tests.clients.test_views import intake_data
from tests.factories import UserFactory


@pytest.fixture
def other_coordinator(other_program):
    return UserFactory(
        first_name="Hana", last_name="Ito", roles=[Role.COORDINATOR], programs=[other_program]
    )


def warning_of(page: str) -> str:
    return page.split('data-testid="duplicate-warning"')[1].split("</div>")[0]


def test_a_state_id_typed_at_intake_does_not_reveal_a_person_of_another_program(
    client, coordinator, program, foreign_participant, other_coordinator
):
    ParticipantIdentifier.objects.create(
        participant=foreign_participant, kind=IdentifierKind.STATE_ID, value="IL-S123-4567"
    )
    client.force_login(coordinator)

    page = client.post(
        reverse("clients:intake"),
        intake_data(
            program, legal_first_name="Any", legal_last_name="Body", state_id="il-s123-4567"
        ),
    ).content.decode()

    warning = warning_of(page)
    assert foreign_participant.legal_last_name not in page
    assert reverse("clients:participant_detail", args=[foreign_participant.pk]) not in page
    assert "another program" in warning
    assert "Hana Ito" in warning
    assert foreign_participant.enrollments.get().program.name not in warning


def test_a_coordinator_still_sees_who_a_match_in_their_own_program_is(
    client, coordinator, program, participant, foreign_participant, other_coordinator
):
    client.force_login(coordinator)

    page = client.post(
        reverse("clients:intake"),
        intake_data(
            program,
            legal_first_name=participant.legal_first_name,
            legal_last_name=participant.legal_last_name,
            date_of_birth=participant.date_of_birth.isoformat(),
        ),
    ).content.decode()

    assert reverse("clients:participant_detail", args=[participant.pk]) in warning_of(page)
    assert "another program" not in warning_of(page)


def test_a_case_manager_is_told_whom_to_ask_in_their_own_program(
    client, casemanager2, coordinator, program, participant
):
    client.force_login(casemanager2)

    page = client.post(
        reverse("clients:intake"),
        intake_data(
            program,
            legal_first_name=participant.legal_first_name,
            legal_last_name=participant.legal_last_name,
            date_of_birth=participant.date_of_birth.isoformat(),
        ),
    ).content.decode()

    warning = warning_of(page)
    assert str(coordinator) in warning
    assert reverse("clients:participant_detail", args=[participant.pk]) not in warning
