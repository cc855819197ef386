"""The case manager refers, the provider accepts, books and records the intake, and the case
manager sees the loop closed."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from drugcourt.selectors import program_today
from treatment_plans.models import Referral

pytestmark = pytest.mark.django_db(transaction=True)

PROGRAM_ZONE = zoneinfo.ZoneInfo("America/Chicago")  # the personas' program (tests/factories)


def test_referral_loop_from_sending_to_engaged(
    live_server, browser, sign_in, assert_accessible, casemanager, provider, participant, program
):
    manager_page = browser.new_context().new_page()
    sign_in(manager_page, casemanager)
    manager_page.goto(f"{live_server.url}/participants/{participant.pk}/")
    manager_page.get_by_role("link", name="Refer to a provider").click()
    manager_page.get_by_label("Treatment provider").select_option(label=str(provider.organization))
    manager_page.get_by_label("Requested service").fill("Intensive outpatient, 3 a week")
    manager_page.get_by_label("Reason").fill("Moderate stimulant use disorder")
    manager_page.get_by_label("What the provider may read before accepting").fill(
        "Name, phone, case manager contact"
    )
    manager_page.get_by_role("button", name="Send referral").click()
    expect(manager_page.get_by_role("status").filter(has_text="Referred to")).to_be_visible()

    provider_page = browser.new_context().new_page()
    sign_in(provider_page, provider)
    provider_page.goto(f"{live_server.url}/referrals/")
    assert_accessible(provider_page)
    sent_on = program_today(program).strftime("%Y-%m-%d")  # the program's date, not UTC's
    provider_page.get_by_role("link", name=sent_on).click()
    expect(provider_page.get_by_text("Moderate stimulant use disorder")).to_be_visible()
    provider_page.get_by_role("button", name="Accept").click()
    expect(provider_page.get_by_text("Accepted", exact=True)).to_be_visible()

    intake_at = timezone.localtime(
        timezone.now() - datetime.timedelta(hours=2), timezone=PROGRAM_ZONE
    )
    provider_page.get_by_label("Intake on").fill(intake_at.strftime("%Y-%m-%dT%H:%M"))
    provider_page.get_by_role("button", name="Schedule intake").click()
    provider_page.get_by_label("Outcome").select_option(label="Attended")
    provider_page.get_by_role("button", name="Record the intake").click()
    expect(provider_page.get_by_text("Engaged (first appointment attended)")).to_be_visible()

    manager_page.reload()
    section = manager_page.get_by_role("region", name="Referrals and treatment")
    expect(section).to_contain_text("Engaged (first appointment attended)")
    assert Referral.objects.get().state == "engaged"
