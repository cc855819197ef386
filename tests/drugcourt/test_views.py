import re

import pytest
from django.core import mail
from django.urls import reverse

from drugcourt import services
from drugcourt.models import Organization, Program, User
from drugcourt.roles import OrganizationKind, Role
from drugcourt.tasks import staff_set_password_email_task
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def staff_form(organizations, program, **overrides):
    return {
        "username": "rgomez",
        "first_name": "Rosa",
        "last_name": "Gomez",
        "email": "rgomez@example.org",
        "organization": organizations[OrganizationKind.COURT].pk,
        "roles": [Role.CASE_MANAGER],
        "programs": [program.pk],
        **overrides,
    }


def test_administrator_creates_a_staff_account(admin_client, organizations, program):
    response = admin_client.post(reverse("core:staff_create"), staff_form(organizations, program))

    user = User.objects.get(username="rgomez")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_detail", args=[user.pk])
    assert user.roles == [Role.CASE_MANAGER]
    assert list(user.programs.all()) == [program]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "casemanager"}, "This username is taken."),
        ({"email": "CASEMANAGER@example.org"}, "Another staff account uses this e-mail address."),
        ({"roles": []}, "Choose at least one role."),
        ({"roles": [Role.JUDGE], "organization": "agency"}, "cannot hold the role Judge"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
    ],
)
def test_staff_form_shows_why_and_saves_nothing(
    admin_client, casemanager, organizations, program, overrides, message
):
    if overrides.get("organization") == "agency":
        overrides["organization"] = organizations[OrganizationKind.TREATMENT_AGENCY].pk
    before = User.objects.count()

    response = admin_client.post(
        reverse("core:staff_create"), staff_form(organizations, program, **overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_editing_keeps_the_username_and_changes_roles(
    admin_client, casemanager, organizations, program
):
    data = staff_form(organizations, program, username="hijack", roles=[Role.COORDINATOR])

    admin_client.post(reverse("core:staff_update", args=[casemanager.pk]), data)

    casemanager.refresh_from_db()
    assert casemanager.username == "casemanager"
    assert casemanager.roles == [Role.COORDINATOR]


def test_deactivating_yourself_as_the_last_administrator_is_refused(admin_client, admin):
    response = admin_client.post(reverse("core:staff_deactivate", args=[admin.pk]))

    assert response.status_code == 200
    assert "last active administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_deactivation_asks_for_confirmation_first(admin_client, casemanager):
    response = admin_client.get(reverse("core:staff_deactivate", args=[casemanager.pk]))

    assert "Deactivate" in response.content.decode()
    casemanager.refresh_from_db()
    assert casemanager.is_active


def test_a_deactivated_persons_session_ends_at_once(client, admin, casemanager):
    from django.test import Client

    casemanager_browser = Client()
    casemanager_browser.force_login(casemanager)
    assert casemanager_browser.get(reverse("home")).status_code == 200
    client.force_login(admin)

    client.post(reverse("core:staff_deactivate", args=[casemanager.pk]))

    response = casemanager_browser.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_set_password_link_lets_the_person_choose_a_password_and_sign_in(
    admin_client, client, evaluator
):
    # Shown on screen only for accounts that reach no participant (test_staff_self_grant.py).
    response = admin_client.post(reverse("core:staff_set_password_link", args=[evaluator.pk]))
    link = re.search(r'data-testid="set-password-link">([^<]+)<', response.content.decode())[1]
    admin_client.logout()

    form_page = client.get(link, follow=True)
    password = "correct horse battery staple 42"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )

    signed_in = client.post(reverse("login"), {"username": "evaluator", "password": password})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("home")


def test_set_password_email_is_sent_after_commit(
    admin_client, casemanager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(reverse("core:staff_send_set_password", args=[casemanager.pk]))
    assert len(callbacks) == 1

    # The callback queues the task on the real broker; run its body here as a worker would.
    staff_set_password_email_task(casemanager.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [casemanager.email]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_no_set_password_email_for_a_deactivated_account(admin_client, casemanager):
    casemanager.is_active = False
    casemanager.save()

    response = admin_client.post(
        reverse("core:staff_send_set_password", args=[casemanager.pk]), follow=True
    )

    assert "reactivate it before sending a link" in response.content.decode()


def test_staff_list_query_count_is_the_same_for_1_and_20_rows(
    admin_client, organizations, program, django_assert_num_queries
):
    def count_queries():
        # session, user, paginator count, page rows, programs of the page (prefetch)
        with django_assert_num_queries(5):
            response = admin_client.get(reverse("core:staff_list"))
        return response

    assert "1 in all" in count_queries().content.decode()
    UserFactory.create_batch(
        19,
        roles=[Role.CASE_MANAGER],
        organization=organizations[OrganizationKind.COURT],
        programs=[program],
    )
    assert "20 in all" in count_queries().content.decode()


def test_staff_list_searches_names(admin_client, casemanager, judge):
    response = admin_client.get(reverse("core:staff_list"), {"q": casemanager.last_name})

    assert casemanager.username in response.content.decode()
    assert f">{judge.username}<" not in response.content.decode()


@pytest.mark.parametrize(
    ("url_name", "rows"),
    [("core:organization_list", "organizations"), ("core:program_list", "programs")],
)
def test_organization_and_program_lists_have_constant_queries(
    admin_client, organizations, django_assert_num_queries, url_name, rows
):
    # session, user, paginator count, page rows
    with django_assert_num_queries(4):
        admin_client.get(reverse(url_name))
    court = organizations[OrganizationKind.COURT]
    for n in range(20):
        Organization.objects.create(name=f"Extra {n}", kind=OrganizationKind.COURT)
        Program.objects.create(name=f"Program {n}", court=court, jurisdiction="X", time_zone="UTC")
    with django_assert_num_queries(4):
        admin_client.get(reverse(url_name))


def test_organization_form_refuses_an_unknown_kind(admin_client):
    response = admin_client.post(
        reverse("core:organization_create"), {"name": "Moonbase", "kind": "spaceport"}
    )

    assert "“spaceport” is not a kind of organization we know." in response.content.decode()
    assert not Organization.objects.filter(name="Moonbase").exists()


def test_organization_form_refuses_a_duplicate_name(admin_client, organizations):
    response = admin_client.post(
        reverse("core:organization_create"), {"name": "lakeview court", "kind": "court"}
    )

    assert "already exists" in response.content.decode()


def test_program_form_refuses_an_unknown_time_zone(admin_client, organizations):
    response = admin_client.post(
        reverse("core:program_create"),
        {
            "name": "Night Court",
            "court": organizations[OrganizationKind.COURT].pk,
            "jurisdiction": "Gotham",
            "time_zone": "America/Gotham",
        },
    )

    assert "“America/Gotham” is not a known time zone." in response.content.decode()
    assert not Program.objects.filter(name="Night Court").exists()


def test_administrator_creates_a_program_with_default_phases(admin_client, organizations):
    admin_client.post(
        reverse("core:program_create"),
        {
            "name": "Night Court",
            "court": organizations[OrganizationKind.COURT].pk,
            "jurisdiction": "Gotham",
            "time_zone": "America/New_York",
        },
    )

    program = Program.objects.get(name="Night Court")
    assert program.settings_versions.get().phases.count() == 5


def test_audit_page_names_who_changed_a_staff_account(admin_client, admin, organizations, program):
    admin_client.post(reverse("core:staff_create"), staff_form(organizations, program))

    response = admin_client.get(reverse("core:staff_audit"), {"model": "User"})

    page = response.content.decode()
    assert "rgomez" in page
    assert f"{admin} ({admin.username})" in page


def test_audit_query_count_does_not_grow_with_events(
    admin_client, organizations, django_assert_num_queries
):
    # session, user, events count, events page, names of the acting users
    admin = User.objects.get(username="admin")
    services.organization_create(name="First", kind=OrganizationKind.COURT, actor=admin)
    with django_assert_num_queries(5):
        admin_client.get(reverse("core:staff_audit"))
    for n in range(20):
        services.organization_create(name=f"Extra {n}", kind=OrganizationKind.COURT, actor=admin)

    with django_assert_num_queries(5):
        admin_client.get(reverse("core:staff_audit"))
