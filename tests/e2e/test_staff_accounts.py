"""An administrator opens a staff account; the new person sets a password, signs in and sets up
their second factor."""

import re
from base64 import b32decode

import pytest
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import expect

from drugcourt import services
from drugcourt.models import User
from drugcourt.roles import OrganizationKind, Role
from drugcourt.tasks import staff_set_password_email_task

NEW_PASSWORD = "lantern-orchard-47-quiet"


@pytest.fixture
def administrator(live_server):
    court = services.organization_create(
        name="Lakeview County Court", kind=OrganizationKind.COURT, actor=None
    )
    return services.staff_create(
        username="ada.admin",
        first_name="Ada",
        last_name="Okafor",
        email="ada.admin@example.org",
        organization=court,
        roles=[Role.ADMINISTRATOR],
        programs=[],
        actor=None,
    )


@pytest.fixture
def program(administrator):
    services.organization_create(
        name="Lakeview Recovery Services",
        kind=OrganizationKind.TREATMENT_AGENCY,
        actor=administrator,
    )
    return services.program_create(
        name="Lakeview Adult Drug Court",
        court=administrator.organization,
        jurisdiction="Lakeview County",
        time_zone="America/Chicago",
        actor=administrator,
    )


def open_new_staff_form(page, live_server):
    page.goto(live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="New staff account").click()
    expect(page.get_by_role("heading", name="New staff account")).to_be_visible()


def fill_person(page, *, username, first_name, last_name, email, organization):
    page.get_by_label("Username").fill(username)
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Organization").select_option(label=organization)


def test_new_case_manager_sets_password_and_signs_in(
    page, new_context, live_server, sign_in, assert_accessible, administrator, program, settings
):
    settings.SITE_URL = live_server.url  # the e-mailed link points at the site being tested
    sign_in(page, administrator)
    open_new_staff_form(page, live_server)
    assert_accessible(page)

    fill_person(
        page,
        username="cam.reyes",
        first_name="Camila",
        last_name="Reyes",
        email="camila.reyes@example.org",
        organization="Lakeview Recovery Services",
    )
    page.get_by_label("Case manager", exact=True).check()
    page.get_by_label("Lakeview Adult Drug Court", exact=True).check()
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/staff/\d+/$"))
    expect(page.get_by_role("heading", name="Camila Reyes")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Staff account cam.reyes created.")
    # A case manager reaches participants: the link is never shown, only e-mailed.
    expect(page.get_by_role("button", name="Show set-password link")).to_have_count(0)
    page.get_by_role("button", name="E-mail set-password link").click()
    expect(page.get_by_role("status")).to_contain_text("camila.reyes@example.org")
    # The click queued the task on the broker; run its body here as a worker would.
    staff_set_password_email_task(User.objects.get(username="cam.reyes").pk)
    [message] = mail.outbox
    assert message.to == ["camila.reyes@example.org"]
    set_password_url = re.search(r"http://\S+/accounts/reset/\S+/\S+/", message.body)[0]

    # The new person, in a browser of their own.
    newcomer = new_context().new_page()
    newcomer.goto(set_password_url)
    newcomer.get_by_label(re.compile(r"New password(?! confirmation)")).fill(NEW_PASSWORD)
    newcomer.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Set password").click()
    expect(newcomer).to_have_url(re.compile(r"/accounts/reset/done/$"))

    newcomer.goto(f"{live_server.url}/accounts/login/")
    newcomer.get_by_label("Username").fill("cam.reyes")
    newcomer.get_by_label("Password").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Sign in").click()

    # First sign-in: the authenticator app is set up before any page (an app, here computed).
    expect(newcomer.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(newcomer.get_by_alt_text("QR code of your drugcourt authenticator key")).to_be_visible()
    assert_accessible(newcomer)
    key = newcomer.get_by_test_id("two-factor-key").inner_text().replace(" ", "")
    newcomer.get_by_label("Code").fill(f"{TOTP(b32decode(key)).token():06d}")
    newcomer.get_by_role("button", name="Confirm").click()
    expect(newcomer.get_by_role("heading", name="Two-factor sign-in is set up")).to_be_visible()
    expect(newcomer.get_by_test_id("backup-codes").get_by_role("listitem")).to_have_count(10)
    assert_accessible(newcomer)
    newcomer.get_by_role("link", name="I have kept them: continue").click()

    expect(newcomer).to_have_url(f"{live_server.url}/")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Case manager")
    expect(newcomer.get_by_test_id("signed-in-as")).to_have_text("Camila Reyes")
    my_programs = newcomer.get_by_role("region", name="My programs")
    expect(my_programs).to_contain_text("Lakeview Adult Drug Court")
    assert_accessible(newcomer)


def test_staff_form_without_a_role_is_refused(page, live_server, sign_in, administrator, program):
    sign_in(page, administrator)
    open_new_staff_form(page, live_server)

    fill_person(
        page,
        username="no.role",
        first_name="Nico",
        last_name="Roléless",
        email="nico@example.org",
        organization="Lakeview County Court",
    )
    page.get_by_role("button", name="Create account").click()

    roles = page.get_by_role("group", name="Roles")
    expect(roles).to_contain_text("Choose at least one role.")
    expect(roles).to_have_accessible_description("Choose at least one role.")
    expect(page.get_by_label("Username")).to_have_value("no.role")
    assert not User.objects.filter(username="no.role").exists()
