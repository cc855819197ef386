"""The team stages a recommendation, the judge opens the compliance summary, prints it, and
records the hearing (issue 16).

Ada (casemanager's) tested positive and missed a treatment session; Ben (casemanager2's) is
clean. Her case manager writes a staffing note and records the team's recommendation on the
hearing page; her treating provider writes a note on the staffing page. The judge opens the
summary from the home page: Ada's violations and the recommendation, Ben compliant. Printed, the
navigation and buttons are left out and the §2.32 redisclosure notice is kept; printed a page
per participant, each participant ends a page. From the summary the judge goes to Ada's hearing,
where the response form starts from the recommendation, and records the appearance and the
recommended response."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from clients.models import AppointmentKind
from compliance.models import TestStatus
from court.models import Appearance, CourtResponse, DocketEntry
from drugcourt.models import Substance
from drugcourt.selectors import program_today
from tests.compliance.builders import a_test, an_appointment
from tests.factories import consent_to_team, placed_on_docket, settings_since_2020

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime.timedelta(days=1)
RECOMMENDED = "Increased treatment"
REDISCLOSURE_HEADING = "Notice of federal confidentiality rules (42 CFR part 2)"


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF chromium printed (each page is an object of /Type /Page)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_the_team_stages_a_recommendation_and_the_judge_prints_the_summary_and_records_it(
    live_server,
    page,
    sign_in,
    assert_accessible,
    program,
    coordinator,
    casemanager,
    provider_treating,
    judge,
    participant,
    participant2,
):
    settings_since_2020(program)
    # The judge reads the provider's staffing note and the treatment sessions under a consent.
    consent_to_team(participant)
    consent_to_team(participant2)
    today = program_today(program)
    a_test(participant, today - 5 * DAY, TestStatus.POSITIVE, Substance.COCAINE)
    an_appointment(participant, today - 4 * DAY, AppointmentKind.TREATMENT, "missed")
    a_test(participant2, today - 5 * DAY, TestStatus.NEGATIVE)
    an_appointment(participant2, today - 4 * DAY, AppointmentKind.TREATMENT, "attended")
    ada = placed_on_docket(participant.enrollments.get(), coordinator=coordinator, judge=judge)
    placed_on_docket(participant2.enrollments.get(), coordinator=coordinator, judge=judge)

    # Staffing: the case manager notes and recommends on the hearing page.
    sign_in(page, casemanager)
    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    page.get_by_role("region", name="Court").get_by_role("link", name=today.isoformat()).click()
    staffing = page.get_by_role("region", name="Staffing")
    staffing.get_by_label("Your staffing note").fill("Relapsed after losing her job.")
    staffing.get_by_role("button", name="Add your note").click()
    expect(page.get_by_role("status").filter(has_text="staffing note")).to_be_visible()
    staffing.get_by_label("Recommended response").select_option(label=RECOMMENDED)
    staffing.get_by_label("Reason").fill("A first positive: more groups before any sanction.")
    staffing.get_by_role("button", name="Record the recommendation").click()
    expect(page.get_by_role("status")).to_have_text(f"The team recommends: {RECOMMENDED}.")

    # Her treating provider, who sees no court record, staffs on the staffing page.
    page.context.clear_cookies()
    sign_in(page, provider_treating)
    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    page.get_by_role("region", name="Staffing").get_by_role("link", name="Staffing for").click()
    page.get_by_label("Your staffing note").fill("Missed Tuesday's group; asks for evenings.")
    page.get_by_role("button", name="Add your note").click()
    expect(page.get_by_role("status").filter(has_text="staffing note")).to_be_visible()

    # The judge opens the summary from the home page.
    page.context.clear_cookies()
    sign_in(page, judge)
    page.goto(f"{live_server.url}/")
    sessions = page.get_by_role("region", name="Your court sessions")
    sessions.get_by_role("link", name="compliance summary").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("compliance summary")
    ada_summary = page.get_by_role("region", name="Ada Moss")
    ben_summary = page.get_by_role("region", name="Ben Okoye")
    expect(ada_summary.get_by_text("Violations", exact=True)).to_be_visible()
    expect(ada_summary.get_by_role("listitem")).to_contain_text(
        ["1 positive test not explained by prescribed medication (Cocaine 1)", "Missed 1 of 1"]
    )
    expect(ada_summary).to_contain_text(f"{RECOMMENDED} — A first positive: more groups")
    expect(ben_summary.get_by_text("Compliant", exact=True)).to_be_visible()
    expect(ben_summary.get_by_role("listitem")).to_contain_text(["No violations or concerns."])
    expect(ben_summary).to_contain_text("none yet")
    badge_colours = [
        summary.get_by_text(label, exact=True).evaluate("e => getComputedStyle(e).backgroundColor")
        for summary, label in ((ada_summary, "Violations"), (ben_summary, "Compliant"))
    ]
    assert badge_colours[0] != badge_colours[1]
    assert_accessible(page)

    # Printed: no navigation or buttons, the redisclosure notice at the foot.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to the docket")).to_be_hidden()
    expect(page.get_by_role("link", name="Print a page per participant")).to_be_hidden()
    expect(page.get_by_text("Print this page with your browser")).to_be_hidden()
    expect(page.get_by_text(REDISCLOSURE_HEADING)).to_be_visible()
    expect(ada_summary.get_by_text("Violations", exact=True)).to_be_visible()

    # Printed a page per participant: each participant's section ends its page.
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Print a page per participant").click()
    expect(page.get_by_role("link", name="Print continuously")).to_be_visible()
    page.emulate_media(media="print")
    sections = page.locator(".summary-participant")
    expect(sections).to_have_count(2)
    breaks = sections.evaluate_all(
        "sections => sections.map(s => {"
        " const style = getComputedStyle(s); return [style.breakAfter, style.pageBreakAfter]; })"
    )
    assert breaks == [["page", "always"], ["page", "always"]]
    assert pdf_page_count(page.pdf()) >= len(breaks)

    # From the summary to Ada's hearing: the response form starts from the recommendation.
    page.emulate_media(media="screen")
    page.get_by_role("region", name="Ada Moss").get_by_role("link", name="Ada Moss").click()
    expect(page.get_by_role("heading", name="Hearing of Ada Moss")).to_be_visible()
    staffing = page.get_by_role("region", name="Staffing")
    expect(staffing).to_contain_text("Relapsed after losing her job.")
    expect(staffing).to_contain_text("Missed Tuesday's group; asks for evenings.")
    responses = page.get_by_role("region", name="Responses")
    response = responses.get_by_role("combobox", name="Response")
    expect(response.locator("option:checked")).to_have_text(RECOMMENDED)

    page.get_by_label("Appeared").check()
    next_hearing = page.get_by_label("Next hearing", exact=True).input_value()
    assert next_hearing > today.isoformat()  # the hearing frequency's date, kept
    page.get_by_role("button", name="Record the hearing").click()
    expect(page.get_by_role("status").filter(has_text="recorded")).to_be_visible()
    expect(response.locator("option:checked")).to_have_text(RECOMMENDED)
    page.get_by_role("button", name="Record the response").click()
    expect(page.get_by_role("status")).to_have_text(f"{RECOMMENDED} recorded.")
    expect(responses.get_by_role("list")).to_contain_text(RECOMMENDED)

    ada.refresh_from_db()
    assert ada.appearance == Appearance.APPEARED
    assert ada.next_hearing_on.isoformat() == next_hearing
    given = CourtResponse.objects.get()
    assert (given.entry, given.option.name, given.recorded_by) == (ada, RECOMMENDED, judge)
    # Ben's hearing is not recorded yet.
    assert DocketEntry.objects.get(participant=participant2).appearance == ""


def test_the_judge_sees_not_covered_by_consent_in_place_of_what_no_consent_covers(
    live_server, page, sign_in, program, coordinator, provider, judge, participant
):
    """Ada has no consent on file: her treatment agency's cocaine positive and her missed group
    are left out of the summary, which says so in their place, and her colour is not red."""
    settings_since_2020(program)
    today = program_today(program)
    a_test(participant, today - 5 * DAY, TestStatus.NEGATIVE)
    a_test(participant, today - 4 * DAY, TestStatus.POSITIVE, Substance.COCAINE,
           collected_by=provider)  # fmt: skip
    an_appointment(participant, today - 3 * DAY, AppointmentKind.TREATMENT, "missed")
    placed_on_docket(participant.enrollments.get(), coordinator=coordinator, judge=judge)

    sign_in(page, judge)
    page.goto(f"{live_server.url}/")
    page.get_by_role("region", name="Your court sessions").get_by_role(
        "link", name="compliance summary"
    ).click()
    ada_summary = page.get_by_role("region", name="Ada Moss")
    expect(ada_summary.get_by_text("Compliant", exact=True)).to_be_visible()
    expect(ada_summary.locator(".summary-tests")).to_contain_text("1 test: 1 negative, 0 positive")
    expect(ada_summary.get_by_role("status").filter(has_text="treatment-collected")).to_have_text(
        re.compile(r"^1 treatment-collected test not covered by consent")
    )
    treatment = ada_summary.locator(".summary-treatment")
    expect(treatment.get_by_role("status")).to_contain_text("Attendance: not covered by consent.")
    expect(ada_summary).not_to_contain_text("Cocaine")
    expect(ada_summary).not_to_contain_text("missed treatment session")
