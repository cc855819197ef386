"""A participant meets the requirements to advance from phase 1 and the judge advances them at
a hearing: the hearing page shows the checklist met, the decision moves them to phase 2, and
the participant page shows the new phase and its history. Axe checks the hearing page."""

import datetime

import pytest
from playwright.sync_api import expect

from clients.models import AppointmentKind
from drugcourt.models import Phase
from drugcourt.selectors import program_today
from tests.compliance.builders import an_appointment
from tests.court.builders import on_docket, session_on
from tests.factories import consent_to_team, settings_since_2020

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_judge_advances_a_participant_who_met_the_requirements(
    live_server, page, sign_in, assert_accessible, judge, participant, program
):
    version = settings_since_2020(program)
    Phase.objects.filter(settings=version, number=1).update(
        requirements=[
            {"kind": "days_in_phase", "params": {"days": 28}},
            {"kind": "attendance_rate", "params": {"percent": 90, "days": 28}},
        ]
    )
    today = program_today(program)
    participant.enrollments.update(entry_date=today - datetime.timedelta(weeks=4))
    an_appointment(participant, today - datetime.timedelta(days=3), AppointmentKind.TREATMENT,
                   "attended", program=program)  # fmt: skip
    consent_to_team(participant)  # the court reads her treatment sessions under it
    entry = on_docket(
        session_on(program, today, judge=judge),
        participant.enrollments.get(),
        appearance="appeared",
    )

    sign_in(page, judge)
    page.goto(f"{live_server.url}/court/hearings/{entry.pk}/")
    checklist = page.locator(".summary-checklist")
    expect(checklist).to_contain_text("To phase 2 (Intensive treatment)")
    expect(checklist).to_contain_text("all met")
    expect(checklist).to_contain_text("1 of 1 attended (100 %)")
    assert_accessible(page)
    page.get_by_label("Move to").select_option(label="Phase 2: Intensive treatment")
    reason = page.locator("form[action$='/phase/'] textarea[name=reason]")
    reason.fill("Four weeks in, attending every session.")
    page.get_by_role("button", name="Record the phase change").click()
    expect(page.get_by_role("status").filter(has_text="Moved to phase 2")).to_be_visible()

    page.goto(f"{live_server.url}/participants/{participant.pk}/")
    court = page.get_by_role("region", name="Court")
    expect(court).to_contain_text("Phase 2 (Intensive treatment)")
    expect(court).to_contain_text("Phase 1 → 2")
    expect(court).to_contain_text("Four weeks in, attending every session.")
