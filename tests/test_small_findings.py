"""Issue 12, "Small ones": each test makes the request a signed-in user probing the edges
would make."""

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.access import DataClass
from drugcourt.roles import Role
from drugcourt.services import PhaseData, program_settings_change_phases, program_today
from tests.factories import consent_to, log_contact


def test_appointment_outcome_does_not_redirect_off_the_site(client, casemanager, participant):
    appointment = services.appointment_schedule(
        participant=participant,
        kind="case_manager",
        scheduled_at=timezone.now() - datetime.timedelta(hours=1),
        actor=casemanager,
    )
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:appointment_outcome", args=[participant.pk, appointment.pk]),
        {"outcome": "attended", "next": "https://evil.example/phish"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:participant_calendar", args=[participant.pk])


def test_junk_in_a_notes_hidden_version_is_a_form_error(client, casemanager, participant):
    note = log_contact(participant, casemanager)
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:contact_edit", args=[participant.pk, note.pk]),
        {
            "version": "abc",
            "occurred_at": timezone.localtime(note.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "kind": note.kind,
            "duration_minutes": note.duration_minutes,
            "primary_function": note.primary_function,
            "narrative": "Changed.",
        },
    )

    assert response.status_code == 302
    note.refresh_from_db()
    assert note.narrative != "Changed."


@pytest.mark.parametrize("value", ["abc", "²", "9" * 30])
def test_junk_numbers_in_query_strings_are_not_server_errors(
    client, coordinator, participant, value
):
    client.force_login(coordinator)

    assert client.get(reverse("compliance:call_list"), {"program": value}).status_code == 200
    assert client.get(reverse("clients:participant_list"), {"phase": value}).status_code == 200


def test_a_judge_sees_no_acknowledge_or_resolve_button(client, judge, program, participant):
    # It names no test: it may speak of one a treatment agency collected, so it is listed to the
    # judge under a consent only (tests/clients/test_alerts_consent.py).
    consent_to(participant, (program, Role.JUDGE))
    services.alert_raise(
        participant=participant,
        kind="missed_test",
        source_key="test:1",
        data_class=DataClass.DRUG_TESTS,
        message="Missed a drug test.",
    )
    client.force_login(judge)

    page = client.get(reverse("clients:alert_list")).content.decode()

    assert "Missed a drug test." in page
    assert ">Acknowledge</button>" not in page
    assert ">Resolve</button>" not in page


def test_the_phase_filter_lists_the_programs_own_phases(
    client, coordinator, casemanager, participant, program
):
    program_settings_change_phases(
        program=program,
        effective_from=program_today(program),
        phases=[
            PhaseData("Orientation", "", 3, 1),
            PhaseData("Recovery", "", 2, 2),
            PhaseData("Aftercare", "", 1, 4),
        ],
        change_note="Three phases.",
        actor=coordinator,
    )
    client.force_login(casemanager)

    page = client.get(reverse("clients:participant_list")).content.decode()

    phase_select = page.split('name="phase"')[1].split("</select>")[0]
    assert "Orientation" in phase_select
    assert "Aftercare" in phase_select
    assert 'value="4"' not in phase_select


def test_wsgi_without_settings_starts_with_production_settings():
    """gunicorn drugcourt.wsgi with no DJANGO_SETTINGS_MODULE must not run debug settings: it
    loads production settings, which refuse to start without their secrets."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", "import drugcourt.wsgi"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "junk"])
def test_edge_dates_in_calendar_query_strings_are_not_server_errors(
    client, casemanager, participant, day
):
    client.force_login(casemanager)

    assert client.get(reverse("clients:my_calendar"), {"day": day}).status_code == 200
    calendar = reverse("clients:participant_calendar", args=[participant.pk])
    assert client.get(calendar, {"start": day}).status_code == 200


def test_the_last_representable_day_in_a_report_range_is_not_a_server_error(
    client, coordinator, participant
):
    client.force_login(coordinator)

    response = client.get(
        reverse("reports:units_of_service"), {"start": "9999-12-01", "end": "9999-12-31"}
    )

    assert response.status_code == 200
