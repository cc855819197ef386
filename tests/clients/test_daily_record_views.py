import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.models import Appointment, Contact, FollowUp
from tests.factories import log_contact

PROGRAM_ZONE = zoneinfo.ZoneInfo("America/Chicago")  # the personas' program (tests/factories)


def contact_post(**overrides):
    # The form reads times in the signed-in user's program time zone.
    now = timezone.localtime(timezone=PROGRAM_ZONE)
    return {
        "occurred_at": now.strftime("%Y-%m-%dT%H:%M"),
        "kind": "phone",
        "duration_minutes": "20",
        "primary_function": "monitoring",
        "other_functions": ["advocacy"],
        "narrative": "Called about the new job; confirmed Friday's test.",
        **overrides,
    }


def test_logging_a_contact_through_htmx_is_one_request_of_at_most_10_queries(
    client, casemanager, participant, django_assert_max_num_queries
):
    client.force_login(casemanager)

    with django_assert_max_num_queries(10):
        response = client.post(
            reverse("clients:contact_log", args=[participant.pk]),
            contact_post(),
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "contactLogged"
    assert "Contact logged" in response.content.decode()
    assert f'id="last-contact-{participant.pk}" hx-swap-oob="true"' in response.content.decode()
    assert Contact.objects.get().functions == ["monitoring", "advocacy"]


def test_a_logged_contact_shows_as_the_caseloads_last_contact(client, casemanager, participant):
    client.force_login(casemanager)
    client.post(reverse("clients:contact_log", args=[participant.pk]), contact_post())

    page = client.get(reverse("clients:participant_list")).content.decode()

    last = timezone.localtime(Contact.objects.get().occurred_at, timezone=PROGRAM_ZONE)
    assert f'<span id="last-contact-{participant.pk}">{last:%Y-%m-%d %H:%M}</span>' in page


def test_a_contact_with_a_follow_up(client, casemanager, participant):
    client.force_login(casemanager)

    client.post(
        reverse("clients:contact_log", args=[participant.pk]),
        contact_post(
            follow_up_description="Get pay stub",
            follow_up_due_on=timezone.localdate().isoformat(),
            follow_up_assigned_to=casemanager.pk,
        ),
    )

    assert FollowUp.objects.get().description == "Get pay stub"
    home = client.get(reverse("home")).content.decode()
    assert "Get pay stub" in home


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": "1500"}, "between 0 and 1440 minutes"),
        ({"primary_function": ""}, "Choose the case management function"),
        ({"narrative": ""}, "Write the narrative"),
        (
            {
                "occurred_at": (timezone.localtime() + datetime.timedelta(hours=2)).strftime(
                    "%Y-%m-%dT%H:%M"
                )
            },
            "15 minutes in the future",
        ),
        ({"follow_up_description": "Call"}, "A follow-up needs a date and a person."),
    ],
)
def test_contact_form_explains_bad_input_and_saves_nothing(
    client, casemanager, participant, overrides, message
):
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:contact_log", args=[participant.pk]),
        contact_post(**overrides),
        HTTP_HX_REQUEST="true",
    )

    assert message in response.content.decode()
    assert not Contact.objects.exists()


def test_judges_and_providers_cannot_open_notes(client, judge, provider, casemanager, participant):
    contact = log_contact(participant, casemanager, narrative="Private")
    url = reverse("clients:contact_detail", args=[participant.pk, contact.pk])

    for user in (judge, provider):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_an_addendum_on_another_caseloads_participant_is_not_found(
    client, casemanager, casemanager2, participant2
):
    contact = log_contact(participant2, casemanager2, narrative="Theirs")
    client.force_login(casemanager)

    url = reverse("clients:addendum_add", args=[participant2.pk, contact.pk])
    assert client.post(url, {"text": "Sneaky"}).status_code == 404
    assert not contact.addenda.exists()


def test_a_locked_note_cannot_be_edited_through_the_page(
    client, casemanager, participant, time_machine
):
    time_machine.move_to(timezone.now() - datetime.timedelta(days=2), tick=False)
    contact = log_contact(participant, casemanager, narrative="Original")
    time_machine.move_to(timezone.now() + datetime.timedelta(days=2), tick=False)
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:contact_edit", args=[participant.pk, contact.pk]),
        {**contact_post(narrative="Rewritten"), "version": contact.version},
        follow=True,
    )

    assert "This note is locked" in response.content.decode()
    contact.refresh_from_db()
    assert contact.narrative == "Original"


def test_recording_a_missed_appointment(client, casemanager, participant):
    appointment = services.appointment_schedule(
        participant=participant,
        kind="case_manager",
        actor=casemanager,
        scheduled_at=timezone.now() - datetime.timedelta(hours=1),
    )
    client.force_login(casemanager)

    client.post(
        reverse("clients:appointment_outcome", args=[participant.pk, appointment.pk]),
        {"outcome": "missed"},
    )
    second = client.post(
        reverse("clients:appointment_outcome", args=[participant.pk, appointment.pk]),
        {"outcome": "attended"},
        follow=True,
    )

    appointment.refresh_from_db()
    assert appointment.outcome == "missed"
    assert "already has an outcome" in second.content.decode()


def test_an_appointment_for_another_caseloads_participant_is_not_found(
    client, casemanager, participant2
):
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:appointment_new", args=[participant2.pk]),
        {"kind": "case_manager", "scheduled_at": "2026-12-01T09:00", "duration_minutes": "30"},
    )

    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_timeline_query_count_is_the_same_for_1_and_50_entries(
    client, casemanager, participant, django_assert_num_queries
):
    def add(count):
        for n in range(count):
            log_contact(
                participant,
                casemanager,
                occurred_at=timezone.now() - datetime.timedelta(hours=n),
                narrative=f"Note {n}",
            )
            services.appointment_schedule(
                participant=participant,
                kind="treatment",
                actor=casemanager,
                scheduled_at=timezone.now() - datetime.timedelta(hours=n, minutes=30),
            )

    client.force_login(casemanager)
    add(1)
    # session, user, participant (reach), reach roles (one UNION), authors of the filter,
    # union count, union page, contacts of the page, appointments of the page, the access
    # log's row
    with django_assert_num_queries(10):
        first = client.get(reverse("clients:timeline", args=[participant.pk]))
    add(24)
    with django_assert_num_queries(10):
        second = client.get(reverse("clients:timeline", args=[participant.pk]))

    assert "2 in all" in first.content.decode()
    assert "50 in all" in second.content.decode()


def test_timeline_filters_by_function(client, casemanager, participant):
    for function in ("monitoring", "advocacy"):
        log_contact(
            participant, casemanager, primary_function=function, narrative=f"About {function}"
        )
    client.force_login(casemanager)

    page = client.get(
        reverse("clients:timeline", args=[participant.pk]), {"function": "advocacy"}
    ).content.decode()

    assert "About advocacy" in page
    assert "About monitoring" not in page


def test_my_day_lists_todays_appointments_and_due_follow_ups(client, casemanager, participant):
    services.appointment_schedule(
        participant=participant,
        kind="collection",
        actor=casemanager,
        scheduled_at=timezone.now(),
    )
    client.force_login(casemanager)

    page = client.get(reverse("home")).content.decode()

    assert "My day" in page
    assert "Collection visit" in page


def test_completing_a_follow_up_through_htmx(client, casemanager, participant):
    follow_up = FollowUp.objects.create(
        participant=participant,
        description="Call",
        due_on=timezone.localdate(),
        assigned_to=casemanager,
        created_by=casemanager,
    )
    client.force_login(casemanager)

    response = client.post(
        reverse("clients:follow_up_complete", args=[follow_up.pk]), HTTP_HX_REQUEST="true"
    )

    assert "done" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.completed_by == casemanager
