"""A case manager screens a referred participant, admits them, and gives a PHQ-9 that needs a
safety step."""

import datetime

import pytest
from playwright.sync_api import expect

from assessments.models import Administration
from clients.models import EnrollmentStatus
from drugcourt.selectors import program_today
from tests.factories import EnrollmentFactory, assign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def referral(program, casemanager):
    enrollment = EnrollmentFactory(
        program=program,
        status=EnrollmentStatus.REFERRED,
        phase=None,
        entry_date=None,
        referral_date=program_today(program) - datetime.timedelta(days=10),
        participant__created_by=casemanager,
        participant__legal_first_name="Rae",
        participant__legal_last_name="Lindqvist",
    )
    assign(enrollment.participant, casemanager)
    return enrollment


def test_screening_admission_and_a_screen_with_a_safety_step(
    live_server, page, sign_in, assert_accessible, casemanager, referral
):
    participant = referral.participant
    today = program_today(referral.program).isoformat()  # the program's date, not UTC's
    sign_in(page, casemanager)
    page.goto(f"{live_server.url}/participants/{participant.pk}/")

    page.get_by_role("link", name="Eligibility screening").click()
    assert_accessible(page)
    for criterion in ("eligible under", "violent", "jurisdiction"):
        page.get_by_label(criterion, exact=False).check()
    page.get_by_label("A substance use disorder is indicated").check()
    page.get_by_label("The program can provide the level of care needed").check()
    page.get_by_label("Screened on").fill(today)
    page.get_by_label("Decision").select_option(label="Eligible")
    page.get_by_label("Reason").fill("Meets the legal and clinical criteria.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status").filter(has_text="decision is recorded")).to_be_visible()

    page.get_by_role("link", name="Admission").click()
    page.get_by_label("Date of the court's order or the plea").fill(today)
    page.get_by_label("Participation agreement signed on").fill(today)
    page.get_by_label("Entry type").select_option(label="Post-plea / probation")
    page.get_by_role("button", name="Admit").click()
    expect(page.get_by_role("status").filter(has_text="admitted to phase 1")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Active")

    page.goto(f"{live_server.url}/participants/{participant.pk}/screens/")
    page.get_by_role("link", name="PHQ-9").click()
    for n in range(1, 9):
        page.get_by_role("group", name=f"{n}.").get_by_label("Several days").check()
    page.get_by_role("group", name="9.").get_by_label("Several days").check()
    page.get_by_role("group", name="10.").get_by_label("Somewhat difficult").check()
    page.get_by_role("button", name="Score and save").click()

    safety = page.get_by_test_id("safety-step")
    expect(safety).to_be_visible()
    assert not Administration.objects.exists()
    safety.get_by_role("textbox").fill("Made a safety plan; called the crisis line together.")
    page.get_by_role("button", name="Score and save").click()

    expect(page.locator("p.lead")).to_contain_text("9")
    given = Administration.objects.get()
    assert (given.total_score, given.band) == (9, "Mild")


def test_the_trend_chart_draws_under_the_content_security_policy(
    live_server, page, sign_in, casemanager, participant, program
):
    from assessments import services as assessment_services
    from assessments.models import InstrumentVersion

    phq9 = InstrumentVersion.objects.get(instrument__code="PHQ-9", version=1)
    for days_ago, level in ((40, "2"), (10, "1")):
        given = assessment_services.administration_record(
            participant=participant,
            instrument_version=phq9,
            administered_on=program_today(program) - datetime.timedelta(days=days_ago),
            answers={**{str(n): level for n in range(1, 9)}, "9": "0", "10": "0"},
            actor=casemanager,
        )
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security" in message.text else None
        ),
    )
    sign_in(page, casemanager)

    page.goto(f"{live_server.url}/participants/{participant.pk}/administrations/{given.pk}/")

    drawn = page.evaluate("() => Boolean(Chart.getChart(document.getElementById('trend-chart')))")
    assert drawn
    assert refused == []
