"""A case manager orders a test for cause, records the collection and a positive result, and
sees it on the participant's compliance strip; a bad result is refused on the form."""

import pytest
from playwright.sync_api import expect

from compliance.models import DrugTest, TestStatus
from tests.factories import settings_since_2020

pytestmark = pytest.mark.django_db(transaction=True)


def test_case_manager_orders_collects_and_records_a_positive(
    live_server, page, sign_in, assert_accessible, casemanager, participant, program
):
    settings_since_2020(program)
    sign_in(page, casemanager)

    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    compliance = page.get_by_role("region", name="Compliance")
    expect(compliance).to_contain_text("3 a week")
    compliance.get_by_role("link", name="Order a test").click()
    page.get_by_label("Reason").fill("Smelled of alcohol at the office")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Test ordered")).to_be_visible()
    assert_accessible(page)

    test = DrugTest.objects.get()
    page.goto(f"{live_server.url}/tests/{test.pk}/")
    page.get_by_role("link", name="Record the collection").click()
    page.get_by_label("Collection site").fill("Lakeview testing office")
    page.get_by_label("Chain-of-custody form number").fill("CCF-2207")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Pending result")).to_be_visible()

    page.get_by_role("link", name="Record the result").click()
    assert_accessible(page)
    page.get_by_label("Specific gravity").fill("1.5")
    page.get_by_label("Substance 1").select_option(label="Cocaine")
    page.get_by_label("Level 1").fill("420")
    page.get_by_role("button", name="Save the result").click()
    expect(page.get_by_text("Specific gravity must be between")).to_be_visible()
    test.refresh_from_db()
    assert test.status == TestStatus.PENDING

    page.get_by_label("Specific gravity").fill("1.0150")
    page.get_by_role("button", name="Save the result").click()
    expect(page.get_by_role("heading", name="Result version 1 (current)")).to_contain_text(
        "Positive"
    )
    test.refresh_from_db()
    assert test.status == TestStatus.POSITIVE

    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    strip = page.get_by_role("list", name="Drug tests by day, oldest first")
    expect(strip.get_by_role("link", name="Pos Positive")).to_be_visible()
    expect(page.get_by_role("region", name="Compliance")).to_contain_text("0 days")
