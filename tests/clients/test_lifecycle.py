"""The lifecycle rules: admission only through the admission record, graduation and
termination only by coordinators (until the court records them at a hearing), and the
served warrant that brings an absconded participant back."""

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
def test_a_case_manager_cannot_graduate_or_terminate(client, casemanager, participant, to_status):
    client.force_login(casemanager)

    response = client.post(
        status_url(participant),
        {"to_status": to_status, "effective_date": DAY.isoformat(), "reason": "Done"},
    )

    assert "Only the program&#x27;s coordinators" in response.content.decode()
    enrollment = participant.enrollments.get()
    assert (enrollment.status, enrollment.exit_date) == (EnrollmentStatus.ACTIVE, None)


@pytest.mark.parametrize("to_status", ["graduated", "terminated"])
def test_a_coordinator_graduates_or_terminates_with_a_reason(coordinator, participant, to_status):
    enrollment = participant.enrollments.get()
    with pytest.raises(ValidationError, match="Say why"):
        services.enrollment_change_status(
            enrollment=enrollment,
            to_status=to_status,
            effective_date=DAY,
            reason=" ",
            actor=coordinator,
        )

    services.enrollment_change_status(
        enrollment=enrollment,
        to_status=to_status,
        effective_date=DAY,
        reason="Decided by the judge at the hearing.",
        actor=coordinator,
    )

    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.exit_date) == (to_status, DAY)
