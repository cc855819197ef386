"""The coordinator sets up today's court session and builds its docket from the suggestions;
the judge records the participant's appearance and a sanction of increased testing, and the
participant's testing frequency follows the court order. Axe checks the docket (placing and
placed) and the hearing page."""

import datetime

import pytest
from playwright.sync_api import expect

from court.models import Appearance, DocketEntry
from drugcourt.selectors import program_today
from tests.factories import settings_since_2020

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_coordinator_builds_a_docket_and_the_judge_records_a_sanction(
    live_server, page, sign_in, assert_accessible, coordinator, judge, participant, program
):
    settings_since_2020(program)
    today = program_today(program)
    # In the program long enough for a hearing to be due by today.
    participant.enrollments.update(entry_date=today - datetime.timedelta(weeks=4))

    sign_in(page, coordinator)
    page.goto(f"{live_server.url}/court/sessions/")
    page.get_by_role("link", name="Set up a session").click()
    page.get_by_label("Day").fill(today.isoformat())
    page.get_by_label("Starts at").fill("09:00")
    page.get_by_label("Courtroom").fill("2B")
    page.get_by_label("Judge").select_option(label=judge.get_full_name())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Docket,")).to_be_visible()
    page.get_by_role("link", name="Place participants").click()
    expect(page.get_by_label("Ada Moss")).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Place the chosen participants").click()
    expect(page.get_by_role("status").filter(has_text="Placed on the docket")).to_be_visible()
    expect(page.get_by_role("link", name="Ada Moss")).to_be_visible()
    assert_accessible(page)  # the docket
    entry = DocketEntry.objects.get()
    # Before the hearing the participant tests as their phase says.
    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    expect(page.get_by_role("region", name="Compliance")).to_contain_text("3 a week")

    page.context.clear_cookies()
    sign_in(page, judge)
    page.goto(f"{live_server.url}/")
    page.get_by_role("region", name="Your court sessions").get_by_role("link").first.click()
    page.get_by_role("link", name="Record").click()
    assert_accessible(page)
    page.get_by_label("Appeared").check()
    page.get_by_role("button", name="Record the hearing").click()
    expect(page.get_by_role("status").filter(has_text="recorded")).to_be_visible()
    entry.refresh_from_db()
    assert entry.appearance == Appearance.APPEARED

    page.get_by_role("combobox", name="Response").select_option(
        label="Increased testing — give tests a week and weeks"
    )
    page.get_by_label("Tests a week").fill("5")
    page.get_by_label("Weeks", exact=True).fill("4")
    page.get_by_role("button", name="Record the response").click()
    expect(page.get_by_role("status").filter(has_text="Increased testing recorded")).to_be_visible()

    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    expect(page.get_by_role("region", name="Compliance")).to_contain_text("5 a week")
    expect(page.get_by_role("region", name="Court")).to_contain_text("5 tests a week")
