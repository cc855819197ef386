"""Every URL pattern × every persona. A new URL without an entry here fails the suite.

Rules: participant-free management pages refuse other roles with 403; pages scoped to a
program the user does not coordinate answer 404; anonymous visitors of any non-public page are
sent to sign in. Django admin (`admin:`) is for superusers only and is checked once by its
index; static files are not served through URL patterns outside DEBUG.
"""

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PERSONAS

EVERYONE = frozenset(PERSONAS)
PUBLIC = "public"


@dataclass(frozen=True)
class Entry:
    allowed: frozenset[str] | str
    args: tuple = ()
    method: str = "get"
    ok_status: int = 200
    refused_status: int = 403
    data: dict = field(default_factory=dict)


ADMIN_ONLY = frozenset({"admin"})

MATRIX = {
    "home": Entry(EVERYONE),
    "healthz": Entry(PUBLIC),
    "login": Entry(PUBLIC),
    "logout": Entry(PUBLIC, method="post", ok_status=302),
    "password_reset_confirm": Entry(PUBLIC, args=("MQ", "not-a-token")),
    "password_reset_complete": Entry(PUBLIC),
    "core:home_for_role": Entry(ADMIN_ONLY, args=("administrator",), refused_status=404),
    "core:staff_list": Entry(ADMIN_ONLY),
    "core:staff_create": Entry(ADMIN_ONLY),
    "core:staff_audit": Entry(ADMIN_ONLY),
    "core:staff_detail": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_update": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_deactivate": Entry(ADMIN_ONLY, args=("casemanager",)),
    "core:staff_reactivate": Entry(ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302),
    "core:staff_set_password_link": Entry(ADMIN_ONLY, args=("casemanager",), method="post"),
    "core:staff_send_set_password": Entry(
        ADMIN_ONLY, args=("casemanager",), method="post", ok_status=302
    ),
    "core:organization_list": Entry(ADMIN_ONLY),
    "core:organization_create": Entry(ADMIN_ONLY),
    "core:organization_update": Entry(ADMIN_ONLY, args=("organization",)),
    "core:program_list": Entry(ADMIN_ONLY),
    "core:program_create": Entry(ADMIN_ONLY),
    "core:program_update": Entry(ADMIN_ONLY, args=("program",)),
    "core:program_settings": Entry(frozenset({"coordinator"}), args=("program",)),
    "core:program_settings_phases": Entry(frozenset({"coordinator"}), args=("program",)),
}
EXEMPT_NAMESPACES = {"admin"}  # Django admin: see test_django_admin_is_for_superusers_only


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_pattern_has_a_matrix_entry():
    names = {name for name in url_names() if name.split(":")[0] not in EXEMPT_NAMESPACES}
    assert names - MATRIX.keys() == set(), "add these URLs to the matrix"
    assert MATRIX.keys() - names == set(), "these matrix entries name no URL"


def resolve_args(args, personas, program):
    objects = {"program": program.pk, "organization": program.court.pk}
    return [personas[a].pk if a in personas else objects.get(a, a) for a in args]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_url_answers_each_persona_as_the_matrix_says(client, personas, program, name):
    entry = MATRIX[name]
    url = reverse(name, args=resolve_args(entry.args, personas, program))
    request = getattr(client, entry.method)

    anonymous = request(url, entry.data)
    if entry.allowed == PUBLIC:
        assert anonymous.status_code == entry.ok_status, "anonymous"
    else:
        assert anonymous.status_code == 302, "anonymous"
        assert anonymous["Location"].startswith(reverse("login"))

    for persona, user in personas.items():
        client.force_login(user)
        allowed = entry.allowed == PUBLIC or persona in entry.allowed
        expected = entry.ok_status if allowed else entry.refused_status
        if entry.method == "post" and name == "logout":
            expected = 302
        assert request(url, entry.data).status_code == expected, persona


def test_program_settings_of_a_program_one_does_not_coordinate_is_not_found(
    client, coordinator, other_program
):
    client.force_login(coordinator)

    for name in ("core:program_settings", "core:program_settings_phases"):
        assert client.get(reverse(name, args=[other_program.pk])).status_code == 404


def test_django_admin_is_for_superusers_only(client, admin, superuser):
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 302

    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
