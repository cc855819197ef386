"""The idle warning in the browser: shown before the session ends, "Stay signed in" asks the
server, and once the time is up the page returns to sign-in saying why. The page's clock is
Playwright's and the server's time-machine's: nothing waits for real minutes."""

import datetime
import re

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

WARNING = "You will be signed out in"


def test_the_warning_shows_and_stay_signed_in_restarts_the_clock(
    page, live_server, sign_in, casemanager, settings
):
    # A warning from the first second, so that it shows without waiting.
    settings.SESSION_IDLE_WARNING = settings.SESSION_IDLE_TIMEOUT
    sign_in(page, casemanager)
    page.goto(f"{live_server.url}/")

    expect(page.get_by_role("alert").filter(has_text=WARNING)).to_be_visible()
    with page.expect_response(
        lambda response: (
            response.url.endswith("/accounts/session/") and response.request.method == "POST"
        )
    ) as answer:
        page.get_by_role("button", name="Stay signed in").click()
    assert answer.value.json()["seconds_left"] > settings.SESSION_IDLE_TIMEOUT - 60


def test_an_idle_page_returns_to_sign_in_and_says_why(page, live_server, sign_in, casemanager):
    start = timezone.now()
    page.clock.install()
    sign_in(page, casemanager)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("alert").filter(has_text=WARNING)).to_be_hidden()

    with time_machine.travel(start + datetime.timedelta(minutes=14)):
        page.clock.fast_forward("14:00")
        expect(page.get_by_role("alert").filter(has_text=WARNING)).to_be_visible()
    with time_machine.travel(start + datetime.timedelta(minutes=16)):
        page.clock.fast_forward("02:05")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2F$"))
        expect(page.get_by_role("status")).to_contain_text(
            "You were signed out after 15 minutes without activity."
        )
