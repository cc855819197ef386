"""Issue 12, "Administrators cannot give themselves participant data": each test makes the
request an administrator after participant data would make."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from clients.access import participants_visible_to
from drugcourt.models import User
from drugcourt.roles import OrganizationKind, Role
from drugcourt.tasks import staff_email_change_confirmation_task, staff_role_granted_email_task
from tests.factories import UserFactory

ATTACKER_MAILBOX = "morgan.private@example.net"


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def staff_data(user, program, **overrides):
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "organization": user.organization_id,
        "roles": user.roles,
        "programs": [p.pk for p in user.programs.all()],
        **overrides,
    }


def test_administrator_cannot_tick_coordinator_on_own_account(admin_client, admin, program):
    admin_client.post(
        reverse("core:staff_update", args=[admin.pk]),
        {
            **staff_data(admin, program),
            "roles": [Role.ADMINISTRATOR, Role.COORDINATOR],
            "programs": [program.pk],
        },
    )

    admin.refresh_from_db()
    assert admin.roles == [Role.ADMINISTRATOR]
    assert not admin.programs.exists()
    assert not participants_visible_to(admin).exists()
    assert admin_client.get(reverse("clients:participant_list")).status_code == 403


def test_the_service_refuses_an_own_program_membership_with_a_clear_message(
    admin, program, other_program
):
    from django.core.exceptions import ValidationError

    from drugcourt import services

    admin.roles = [Role.ADMINISTRATOR, Role.JUDGE]
    admin.save()
    with pytest.raises(ValidationError, match="cannot change your own roles"):
        services.staff_update(
            user=admin,
            first_name=admin.first_name,
            last_name=admin.last_name,
            email=admin.email,
            organization=admin.organization,
            roles=[Role(r) for r in admin.roles],
            programs=[program],
            actor=admin,
        )
    assert not admin.programs.exists()


def test_own_edit_form_does_not_offer_roles_programs_or_organization(admin_client, admin):
    page = admin_client.get(reverse("core:staff_update", args=[admin.pk])).content.decode()

    for name in ("roles", "programs", "organization"):
        field = re.search(rf'<(input|select)[^>]*name="{name}"[^>]*>', page)[0]
        assert "disabled" in field, name


def test_no_set_password_link_on_screen_for_a_coordinator_account_made_with_own_address(
    admin_client, organizations, program
):
    admin_client.post(
        reverse("core:staff_create"),
        {
            "username": "puppet",
            "first_name": "Pup",
            "last_name": "Pet",
            "email": ATTACKER_MAILBOX,
            "organization": organizations[OrganizationKind.COURT].pk,
            "roles": [Role.COORDINATOR],
            "programs": [program.pk],
        },
    )
    puppet = User.objects.get(username="puppet")

    detail = admin_client.get(reverse("core:staff_detail", args=[puppet.pk])).content.decode()
    response = admin_client.post(reverse("core:staff_set_password_link", args=[puppet.pk]))

    assert "Show set-password link" not in detail
    assert "/accounts/reset/" not in response.content.decode()
    assert "only by e-mail" in response.content.decode()


def test_a_link_taken_while_the_account_reached_nobody_stops_working_once_it_does(
    admin_client, client, organizations, program
):
    evaluator = UserFactory(
        roles=[Role.EVALUATOR], organization=organizations[OrganizationKind.COURT]
    )
    response = admin_client.post(reverse("core:staff_set_password_link", args=[evaluator.pk]))
    link = re.search(r'data-testid="set-password-link">([^<]+)<', response.content.decode())[1]

    admin_client.post(
        reverse("core:staff_update", args=[evaluator.pk]),
        staff_data(evaluator, program, roles=[Role.COORDINATOR], programs=[program.pk]),
    )

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is False


def test_email_change_on_a_case_manager_account_waits_for_the_old_address(
    admin_client, client, casemanager, program, django_capture_on_commit_callbacks
):
    old_address = casemanager.email
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            reverse("core:staff_update", args=[casemanager.pk]),
            staff_data(casemanager, program, email=ATTACKER_MAILBOX),
            follow=True,
        )
    casemanager.refresh_from_db()
    assert casemanager.email == old_address
    assert "confirm" in response.content.decode()
    assert len(callbacks) == 1

    # Run the queued task's body as a worker would: the link goes to the old address only.
    staff_email_change_confirmation_task(casemanager.pk, ATTACKER_MAILBOX)
    [message] = mail.outbox
    assert message.to == [old_address]
    link = re.search(r"https?://\S+", message.body)[0]

    client.post(link)
    casemanager.refresh_from_db()
    assert casemanager.email == ATTACKER_MAILBOX
    # A confirmation works once.
    assert "not valid" in client.post(link).content.decode()


def test_a_tampered_email_change_link_changes_nothing(client, casemanager):
    from django.core import signing

    forged = signing.dumps(
        {"user": casemanager.pk, "old": casemanager.email, "new": ATTACKER_MAILBOX}, salt="x"
    )

    response = client.post(reverse("core:staff_email_change_confirm", args=[forged]))

    casemanager.refresh_from_db()
    assert casemanager.email != ATTACKER_MAILBOX
    assert "not valid" in response.content.decode()


def test_email_change_on_an_account_reaching_nobody_applies_at_once(
    admin_client, organizations, program
):
    evaluator = UserFactory(
        roles=[Role.EVALUATOR], organization=organizations[OrganizationKind.COURT]
    )

    admin_client.post(
        reverse("core:staff_update", args=[evaluator.pk]),
        staff_data(evaluator, program, email="wen.li@example.org"),
    )

    evaluator.refresh_from_db()
    assert evaluator.email == "wen.li@example.org"


def test_granting_coordinator_is_audited_and_tells_the_programs_coordinators(
    admin_client, admin, coordinator, organizations, program, django_capture_on_commit_callbacks
):
    clerk = UserFactory(
        username="newclerk", roles=[Role.CLERK], organization=organizations[OrganizationKind.COURT]
    )
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(
            reverse("core:staff_update", args=[clerk.pk]),
            staff_data(clerk, program, roles=[Role.CLERK, Role.COORDINATOR], programs=[program.pk]),
        )
    assert len(callbacks) == 1

    staff_role_granted_email_task(clerk.pk, program.pk, [Role.CLERK, Role.COORDINATOR], admin.pk)
    [message] = mail.outbox
    assert message.to == [coordinator.email]
    assert "Program coordinator" in message.body
    assert str(admin) in message.body

    audit = admin_client.get(reverse("core:staff_audit")).content.decode()
    assert "role.granted" in audit


def test_no_grant_notice_when_nothing_reaching_is_granted(
    admin_client, casemanager, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(
            reverse("core:staff_update", args=[casemanager.pk]),
            staff_data(casemanager, program, first_name="Jo"),
        )
    assert callbacks == []


def test_seed_demo_refuses_to_run_with_production_settings(tmp_path):
    production = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "drugcourt.settings.production",
        # Dummy values production settings insist on; the command must stop before using any.
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "drugcourt.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://drugcourt.example.org",
        "DJANGO_EMAIL_HOST": "smtp.example.org",
        "DJANGO_DEFAULT_FROM_EMAIL": "drugcourt@example.org",
        "DJANGO_STATIC_ROOT": str(tmp_path),
        # No server listens here: whatever the command does, it writes nowhere.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=settings.BASE_DIR,
        env=production,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "refuses to run with production settings" in result.stderr


def test_seed_demo_refuses_without_the_demo_setting(settings, db):
    settings.DEMO_DATA_ALLOWED = False

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")

    assert not User.objects.filter(username="admin").exists()


def test_core_and_access_agree_on_which_roles_reach_participants():
    from clients.access import REACHING_ROLES
    from drugcourt.roles import PARTICIPANT_REACHING_ROLES

    assert PARTICIPANT_REACHING_ROLES == REACHING_ROLES
