"""The lifecycle rules: admission only through the admission record, graduation and
termination only at a hearing (court.completion, tests/court/test_decisions.py),
never through the generic status change, and the served warrant that brings an absconded
participant back."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients import services
from clients.models import EnrollmentStatus, EnrollmentStatusChange

DAY = datetime.date(2026, 11, 20)


def status_url(participant):
    enrollment = participant.enrollments.get()
    return reverse("clients:enrollment_status", args=[participant.pk, enrollment.pk])


def set_status(participant, status):
    participant.enrollments.update(status=status, entry_type="")


def test_the_status_change_page_cannot_admit_from_screening(client, casemanager, participant):
    """A case manager posting the generic form to skip the screening decision and the
    admission record (court order or plea, signed agreement) is refused."""
    set_status(participant, EnrollmentStatus.SCREENING)
    client.force_login(casemanager)

    response = client.post(
        status_url(participant),
        {
            "to_status": "active",
            "effective_date": DAY.isoformat(),
            "entry_type": "post_plea",
            "reason": "Admitted",
        },
    )

    assert "cannot become active" in response.content.decode()
    enrollment = participant.enrollments.get()
    assert (enrollment.status, enrollment.entry_type) == (EnrollmentStatus.SCREENING, "")
    assert not EnrollmentStatusChange.objects.filter(enrollment=enrollment).exists()


def test_a_served_warrant_brings_an_absconded_participant_back(casemanager, participant):
    set_status(participant, EnrollmentStatus.ABSCONDED)

    enrollment = services.enrollment_change_status(
        enrollment=participant.enrollments.get(),
        to_status=EnrollmentStatus.ACTIVE,
        effective_date=DAY,
        reason="Warrant served; back in the program.",
        actor=casemanager,
    )

    assert enrollment.status == EnrollmentStatus.ACTIVE


@pytest.mark.parametrize("to_status", ["graduated", "terminated"])
def test_the_status_page_does_not_offer_graduation_or_termination(
    client, coordinator, participant, to_status
):
    client.force_login(coordinator)

    page = client.get(status_url(participant)).content.decode()
    response = client.post(
        status_url(participant),
        {"to_status": to_status, "effective_date": DAY.isoformat(), "reason": "Done"},
    )

    assert f'value="{to_status}"' not in page
    assert "Graduation and termination are decided at a hearing" in page
    assert "Select a valid choice" in response.content.decode()
    enrollment = participant.enrollments.get()
    assert (enrollment.status, enrollment.exit_date) == (EnrollmentStatus.ACTIVE, None)
    assert not EnrollmentStatusChange.objects.filter(enrollment=enrollment).exists()


@pytest.mark.parametrize("to_status", ["graduated", "terminated"])
def test_the_generic_status_change_refuses_graduation_and_termination(
    coordinator, participant, to_status
):
    enrollment = participant.enrollments.get()

    with pytest.raises(ValidationError, match="decided at a hearing and recorded on the docket"):
        services.enrollment_change_status(
            enrollment=enrollment,
            to_status=to_status,
            effective_date=DAY,
            reason="Decided by the judge at the hearing.",
            actor=coordinator,
        )

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_date) == (EnrollmentStatus.ACTIVE, None)
    assert not EnrollmentStatusChange.objects.filter(enrollment=enrollment).exists()
