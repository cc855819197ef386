"""Issue 12, "Notes": each test makes the request a signed-in user after more than their role
allows would make."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import Addendum, FollowUp
from clients.services import ContactData
from drugcourt.roles import Role
from tests.factories import assign, log_contact


@pytest.fixture
def probation_on_team(participant, probation):
    assign(participant, probation, Role.PROBATION_OFFICER)
    return probation


def test_probation_cannot_annotate_a_case_managers_note(
    client, participant, casemanager, probation_on_team
):
    note = log_contact(participant, casemanager, shared_with_supervision=True)
    client.force_login(probation_on_team)

    client.post(
        reverse("clients:addendum_add", args=[participant.pk, note.pk]),
        {"text": "Participant admitted use to me."},
    )

    assert not Addendum.objects.filter(contact=note).exists()


def test_probation_still_annotates_their_own_supervision_contact(
    client, participant, probation_on_team
):
    contact = log_contact(participant, probation_on_team)
    client.force_login(probation_on_team)

    client.post(
        reverse("clients:addendum_add", args=[participant.pk, contact.pk]),
        {"text": "Employer confirmed the schedule."},
    )

    assert Addendum.objects.filter(contact=contact).exists()


def test_unticking_shared_with_supervision_does_not_make_a_private_note(
    client, participant, casemanager, probation_on_team
):
    note = log_contact(participant, casemanager, shared_with_supervision=True)
    client.force_login(casemanager)

    client.post(
        reverse("clients:contact_edit", args=[participant.pk, note.pk]),
        {
            "version": note.version,
            # A day earlier: in the past whichever time zone reads it.
            "occurred_at": (timezone.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "kind": note.kind,
            "duration_minutes": note.duration_minutes,
            "primary_function": note.primary_function,
            "narrative": "Rewritten.",
            # shared_with_supervision left out: the checkbox unticked
        },
    )

    note.refresh_from_db()
    assert note.narrative == "Rewritten."
    assert note.shared_with_supervision
    client.force_login(probation_on_team)
    detail = client.get(reverse("clients:contact_detail", args=[participant.pk, note.pk]))
    assert detail.status_code == 200


def test_the_service_refuses_to_unshare_a_supervision_contact(participant, casemanager):
    note = log_contact(participant, casemanager, shared_with_supervision=True)
    data = ContactData(
        occurred_at=note.occurred_at,
        kind=note.kind,
        duration_minutes=note.duration_minutes,
        primary_function=note.primary_function,
        narrative=note.narrative,
        shared_with_supervision=False,
    )

    with pytest.raises(ValidationError, match="stays shared"):
        services.contact_edit(contact=note, version=note.version, data=data, actor=casemanager)


def test_the_timeline_author_filter_lists_only_authors_of_entries_one_may_read(
    client, participant, coordinator, judge
):
    log_contact(participant, coordinator, narrative="Private case note.")
    client.force_login(judge)

    page = client.get(reverse("clients:timeline", args=[participant.pk])).content.decode()

    author_select = page.split('name="author"')[1].split("</select>")[0]
    assert str(coordinator) not in author_select


def test_a_refused_follow_up_completion_through_htmx_shows_nothing_of_the_participant(
    client, participant, casemanager, casemanager2
):
    follow_up = FollowUp.objects.create(
        participant=participant,
        description="Call the employer about the night shift",
        due_on=participant.created_at.date(),
        assigned_to=casemanager2,
        created_by=casemanager,
    )
    client.force_login(casemanager2)  # assigned the follow-up, but not on the team

    response = client.post(
        reverse("clients:follow_up_complete", args=[follow_up.pk]), HTTP_HX_REQUEST="true"
    )

    follow_up.refresh_from_db()
    assert follow_up.completed_at is None
    body = response.content.decode()
    assert participant.legal_last_name not in body
    assert "night shift" not in body
