"""A court order sealing a participant's record: only coordinators open it from then on, with
the order shown; reports leave it out where the order says so; bad input seals nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from clients import access, services
from clients.models import Participant, SealingOrder
from court.selectors import entries_visible_to
from drugcourt.selectors import program_today
from tests.factories import placed_on_docket
from tests.reports.test_units_of_service import log, report

ORDER = {
    "court": "Lakeview County Circuit Court",
    "case_number": "2026-CF-118",
    "scope": "All records of the drug court case.",
    "excludes_from_reports": True,
}


def seal(participant, coordinator, **fields):
    today = program_today(participant.enrollments.get().program)
    return services.sealing_order_record(
        participant=participant, actor=coordinator, **{**ORDER, "order_date": today, **fields}
    )


def fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize(
    "persona",
    [
        "casemanager",
        "judge",
        "clerk",
        "prosecutor",
        "defence_assigned",
        "probation_assigned",
        "provider_treating",
    ],
)
def test_once_sealed_only_coordinators_open_the_record(request, persona, coordinator, participant):
    user = request.getfixturevalue(persona)
    assert participant in access.participants_visible_to(fresh(user))

    seal(participant, coordinator)

    user = fresh(user)
    assert participant not in access.participants_visible_to(user)
    assert access.reach_roles(user, participant) == frozenset()
    with pytest.raises(Http404):
        access.get_participant_or_404(user, participant.pk)
    coordinator = fresh(coordinator)
    assert access.get_participant_or_404(coordinator, participant.pk) == participant


def test_a_sealed_participant_leaves_the_judges_docket_but_not_the_coordinators(
    coordinator, judge, casemanager, participant
):
    entry = placed_on_docket(participant.enrollments.get(), coordinator=coordinator, judge=judge)
    seal(participant, coordinator)

    assert entry not in entries_visible_to(fresh(judge))
    assert entry in entries_visible_to(fresh(coordinator))


def test_reports_leave_the_record_out_when_the_order_says_so(
    coordinator, casemanager, participant, participant2
):
    log(participant, casemanager)
    seal(participant, coordinator)

    assert [row.name for row in report(fresh(coordinator), by="participant")] == []


def test_reports_keep_the_record_when_the_order_does_not_say_so(
    coordinator, casemanager, participant
):
    log(participant, casemanager)
    seal(participant, coordinator, excludes_from_reports=False)

    assert [row.name for row in report(fresh(coordinator), by="participant")] == ["Moss, Ada"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"order_date": None}, "order_date", "Enter the date of the order."),
        ({"court": "  "}, "court", "Name the court that made the order."),
        ({"scope": ""}, "scope", "Say what the order seals, as it says."),
    ],
)
def test_an_order_without_its_date_court_or_scope_seals_nothing(
    coordinator, participant, fields, field, message
):
    with pytest.raises(ValidationError) as raised:
        seal(participant, coordinator, **fields)

    assert raised.value.message_dict[field] == [message]
    assert not SealingOrder.objects.exists()
    assert not Participant.objects.get(pk=participant.pk).is_sealed


def test_an_order_dated_in_the_future_seals_nothing(coordinator, program, participant):
    with pytest.raises(ValidationError):
        seal(participant, coordinator, order_date=program_today(program) + datetime.timedelta(1))

    assert not Participant.objects.get(pk=participant.pk).is_sealed


def test_only_a_coordinator_of_the_participants_program_records_a_sealing(casemanager, participant):
    with pytest.raises(ValidationError):
        seal(participant, casemanager)

    assert not SealingOrder.objects.exists()


def test_the_coordinator_confirms_on_a_page_that_says_what_sealing_does(
    client, coordinator, participant
):
    client.force_login(coordinator)
    url = reverse("clients:participant_seal", args=[participant.pk])

    page = client.get(url).content.decode()
    assert "coordinators open this participant" in page

    response = client.post(url, {"order_date": "", "court": "", "scope": ""})
    assert response.status_code == 200
    assert "Enter the date of the order." in response.content.decode()
    assert not SealingOrder.objects.exists()

    today = program_today(participant.enrollments.get().program)
    response = client.post(url, {**ORDER, "order_date": today.isoformat()})
    assert response.status_code == 302
    detail = client.get(reverse("clients:participant_detail", args=[participant.pk]))
    assert "Sealed record." in detail.content.decode()
    assert "Lakeview County Circuit Court" in detail.content.decode()


@pytest.mark.parametrize("persona", ["casemanager", "judge", "provider_treating", "admin"])
def test_nobody_else_reaches_the_sealing_page(request, client, persona, participant):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("clients:participant_seal", args=[participant.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {**ORDER, "order_date": "2026-01-01"}).status_code == 404
    assert not SealingOrder.objects.exists()
