"""One "today": what happens to a participant is dated by their program's local date, whoever
runs the code (a page in the user's zone, a Celery worker in UTC). At 23:30 in Los Angeles it
is already 07:30 the next day in UTC."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from clients import services
from tests.treatment_plans.test_referrals import refer
from treatment_plans import services as plan_services

LOCAL_EVE = datetime.datetime(2026, 1, 15, 7, 30, tzinfo=datetime.UTC)  # Jan 14, 23:30 in LA
PROGRAM_DATE = datetime.date(2026, 1, 14)


@pytest.fixture
def program_in_los_angeles(program, time_machine):
    program.time_zone = "America/Los_Angeles"
    program.save()
    time_machine.move_to(LOCAL_EVE, tick=False)
    return program


def record_incident(participant, actor, day):
    return services.incident_record(
        participant=participant,
        occurred_on=day,
        category="police_contact",
        description="Stopped",
        severity="low",
        reported_to_court=False,
        actor=actor,
    )


def test_the_programs_tomorrow_is_the_future_though_utc_is_there(
    program_in_los_angeles, participant, casemanager
):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        record_incident(participant, casemanager, PROGRAM_DATE + datetime.timedelta(days=1))

    assert record_incident(participant, casemanager, PROGRAM_DATE).occurred_on == PROGRAM_DATE


def test_an_accepted_referral_starts_its_episode_on_the_programs_date(
    program_in_los_angeles, participant, casemanager, provider
):
    referral = refer(participant, provider.organization, casemanager)

    episode = plan_services.referral_accept(referral=referral, actor=provider)

    assert episode.started_on == PROGRAM_DATE


def test_a_team_member_joins_on_the_programs_date(
    program_in_los_angeles, participant, casemanager2, coordinator
):
    assignment = services.assignment_create(
        participant=participant, user=casemanager2, team_role="case_manager", actor=coordinator
    )

    assert assignment.started_on == PROGRAM_DATE
