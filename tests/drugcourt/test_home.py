from django.urls import reverse

from drugcourt.home import nav_items_for, panels_for
from drugcourt.roles import Role


def test_each_role_lands_on_its_own_home_page(client, casemanager):
    client.force_login(casemanager)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert '<h1 class="h3 mb-3">Case manager</h1>' in response.content.decode()


def test_a_person_with_two_roles_reaches_both_home_pages(client, coordinator, program):
    coordinator.roles = [Role.COORDINATOR, Role.CASE_MANAGER]
    coordinator.save()
    client.force_login(coordinator)

    first = client.get(reverse("home")).content.decode()
    second = client.get(reverse("core:home_for_role", args=["case_manager"])).content.decode()

    assert f"{program.name} settings" in first
    assert reverse("core:home_for_role", args=["case_manager"]) in first
    assert "Program settings" not in second


def test_administrator_home_counts_staff_by_role(client, admin, casemanager, casemanager2):
    client.force_login(admin)

    page = client.get(reverse("home")).content.decode()

    assert 'Case manager</dt><dd class="col-4 text-end">2</dd>' in page


def test_navigation_shows_only_what_a_role_may_use():
    admin_links = {item.url_name for item in nav_items_for([Role.ADMINISTRATOR])}
    judge_links = {item.url_name for item in nav_items_for([Role.JUDGE])}

    assert "core:staff_list" in admin_links
    assert judge_links.isdisjoint(admin_links)


def test_panels_are_registered_per_role():
    assert [p.key for p in panels_for(Role.ADMINISTRATOR)] == ["staff_overview"]
    assert "program_settings" in [p.key for p in panels_for(Role.COORDINATOR)]
