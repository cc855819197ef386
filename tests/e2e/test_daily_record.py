"""A case manager logs a contact from the caseload, finds it in the timeline, and records a
missed appointment from the participant's calendar."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients import services
from clients.models import Appointment, Contact

pytestmark = pytest.mark.django_db(transaction=True)


def test_case_manager_logs_a_contact_and_records_a_missed_appointment(
    live_server, page, sign_in, assert_accessible, casemanager, participant
):
    appointment = services.appointment_schedule(
        participant=participant,
        kind="case_manager",
        scheduled_at=timezone.now() - datetime.timedelta(hours=2),
        location="Probation office, room 4",
        actor=casemanager,
    )
    sign_in(page, casemanager)

    page.goto(f"{live_server.url}/participants/")
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    page.get_by_role("button", name=f"Log a contact with {participant}").click()
    form = page.locator(f"#contact-form-{participant.pk}")
    expect(form).to_be_visible()
    assert_accessible(page)
    form.get_by_label("Kind").select_option(label="Phone")
    form.get_by_label("Minutes").fill("25")
    form.get_by_label("Primary function").select_option(label="Monitoring")
    form.get_by_label("Advocacy").check()
    form.get_by_label("Narrative").fill("Called about the new job; Friday test confirmed.")
    form.get_by_role("button", name="Log contact").click()

    expect(page.get_by_role("status").filter(has_text="Contact logged")).to_be_visible()
    expect(page.locator(f"#last-contact-{participant.pk}")).not_to_have_text("—")
    assert Contact.objects.get().functions == ["monitoring", "advocacy"]

    page.get_by_role("link", name=f"{participant.legal_last_name}, ").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Called about the new job; Friday test confirmed.")

    page.get_by_role("link", name="Calendar", exact=True).click()
    entry = page.get_by_test_id(f"appointment-{appointment.pk}")
    entry.get_by_label("Outcome").select_option(label="Missed")
    entry.get_by_role("button", name="Record").click()

    expect(page.get_by_role("status").filter(has_text="Recorded: Missed")).to_be_visible()
    expect(page.get_by_test_id(f"appointment-{appointment.pk}")).to_contain_text("Missed")
    appointment.refresh_from_db()
    assert appointment.outcome == "missed"
    assert Appointment.objects.filter(outcome="missed").count() == 1
