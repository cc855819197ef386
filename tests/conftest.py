"""Personas named like the demo users (CONVENTIONS.md), and shared fixtures.

`program` is the personas' program; `other_program` is one none of them works in.
"""

import pytest
import redis
from django.conf import settings

from drugcourt.roles import OrganizationKind, Role
from tests.factories import OrganizationFactory, ProgramFactory, UserFactory

PERSONA_ROLES = {
    "admin": (Role.ADMINISTRATOR, OrganizationKind.COURT, False),
    "coordinator": (Role.COORDINATOR, OrganizationKind.COURT, True),
    "judge": (Role.JUDGE, OrganizationKind.COURT, True),
    "clerk": (Role.CLERK, OrganizationKind.COURT, True),
    "prosecutor": (Role.PROSECUTOR, OrganizationKind.PROSECUTOR, True),
    "defence": (Role.DEFENCE_ATTORNEY, OrganizationKind.DEFENCE, True),
    "casemanager": (Role.CASE_MANAGER, OrganizationKind.COURT, True),
    "casemanager2": (Role.CASE_MANAGER, OrganizationKind.TREATMENT_AGENCY, True),
    "probation": (Role.PROBATION_OFFICER, OrganizationKind.PROBATION, True),
    "provider": (Role.TREATMENT_PROVIDER, OrganizationKind.TREATMENT_AGENCY, True),
    "evaluator": (Role.EVALUATOR, OrganizationKind.COURT, False),
}
PERSONAS = (*PERSONA_ROLES, "superuser")


@pytest.fixture(scope="session", autouse=True)
def _empty_test_redis():
    """Tests own their Redis database number (settings.TEST_REDIS_DB); start it empty."""
    redis.Redis.from_url(settings.REDIS_CACHE_URL).flushdb()


@pytest.fixture
def organizations(db):
    return {
        kind: OrganizationFactory(name=f"Lakeview {kind.label}", kind=kind)
        for kind in OrganizationKind
    }


@pytest.fixture
def program(organizations):
    return ProgramFactory(name="Lakeview Adult Drug Court", court=organizations["court"])


@pytest.fixture
def other_program(db):
    return ProgramFactory(name="Hillside Adult Drug Court")


def make_persona(name, organizations, program):
    if name == "superuser":
        return UserFactory(username="superuser", is_superuser=True, is_staff=True)
    role, kind, in_program = PERSONA_ROLES[name]
    return UserFactory(
        username=name,
        roles=[role],
        organization=organizations[kind],
        programs=[program] if in_program else [],
    )


def _persona_fixture(name):
    @pytest.fixture(name=name)
    def persona(organizations, program):
        return make_persona(name, organizations, program)

    return persona


for _name in PERSONAS:
    globals()[_name] = _persona_fixture(_name)


@pytest.fixture
def personas(organizations, program):
    """Every persona at once, by name (for matrix tests)."""
    return {name: make_persona(name, organizations, program) for name in PERSONAS}
