"""A case manager records a criminal-justice consent (the box fills in the §2.35 revocation
terms), finds it on the participant page, is refused a revocation while it is irrevocable, and
prints it."""

import pytest
from playwright.sync_api import expect

from clients.models import CRIMINAL_JUSTICE_REVOCATION_TERMS, REVOCATION_TERMS, Consent
from drugcourt.selectors import program_today

pytestmark = pytest.mark.django_db(transaction=True)


def test_case_manager_records_a_criminal_justice_consent_and_prints_it(
    live_server, page, sign_in, assert_accessible, casemanager, participant, program
):
    today = program_today(program)
    sign_in(page, casemanager)

    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    page.get_by_role("link", name="Record a consent").click()
    expect(page.get_by_label("Participant's name, as signed")).to_have_value("Ada Moss")
    terms = page.get_by_label("Right to revoke")
    expect(terms).to_have_value(REVOCATION_TERMS)
    assert_accessible(page)

    page.get_by_label("Consent to the criminal justice system").check()
    expect(terms).to_have_value(CRIMINAL_JUSTICE_REVOCATION_TERMS)
    page.get_by_label("Progress reports").check()
    page.get_by_label("Description of the information").fill(
        "Attendance at and progress in substance use disorder treatment"
    )
    page.get_by_label(f"{program}: Judge").check()
    page.get_by_label("Purpose of the disclosure").fill("Monitoring in the drug court program")
    page.get_by_label("Expires on (event)").select_option(
        label="The enrollment is closed (exit from the program)"
    )
    page.get_by_label("Irrevocable until (event), §2.35 only").select_option(
        label="Final disposition of the case (recorded on the consent)"
    )
    page.get_by_label("Electronic acknowledgement recorded here").check()
    page.get_by_label("Signed by").fill("Ada Moss")
    page.get_by_label("The participant read the consent").check()
    page.get_by_label("Date signed").fill(today.isoformat())
    page.get_by_role("button", name="Record the consent").click()

    expect(page.get_by_role("status").filter(has_text="The consent is recorded")).to_be_visible()
    consent = Consent.objects.get()
    assert consent.criminal_justice
    assert consent.revocation_terms == CRIMINAL_JUSTICE_REVOCATION_TERMS
    expect(page.get_by_text("Irrevocable until the final disposition of the case")).to_be_visible()

    page.get_by_role("link", name="Revoke…").click()
    expect(page.get_by_text("cannot be revoked until the final disposition")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke the consent")).to_have_count(0)
    page.go_back()

    page.get_by_role("link", name="Printable form").click()
    expect(
        page.get_by_text("Notice of federal confidentiality rules (42 CFR part 2)")
    ).to_be_visible()
    assert_accessible(page)
