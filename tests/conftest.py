"""Personas named like the demo users (CONVENTIONS.md), and shared fixtures.

`program` is the personas' program; `other_program` is one none of them works in.
"""

import pytest
import redis
from django.conf import settings

from drugcourt.roles import OrganizationKind, Role
from tests.factories import (
    EnrollmentFactory,
    OrganizationFactory,
    ProgramFactory,
    UserFactory,
    assign,
)

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


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded documents go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


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


def enrolled(program, *, creator, **participant_fields):
    enrollment = EnrollmentFactory(
        program=program,
        participant__created_by=creator,
        **{f"participant__{k}": v for k, v in participant_fields.items()},
    )
    return enrollment.participant


@pytest.fixture
def participant(program, casemanager):
    """On casemanager's caseload."""
    person = enrolled(program, creator=casemanager, legal_first_name="Ada", legal_last_name="Moss")
    assign(person, casemanager)
    return person


@pytest.fixture
def participant2(program, casemanager2):
    """On casemanager2's caseload, same program."""
    person = enrolled(
        program, creator=casemanager2, legal_first_name="Ben", legal_last_name="Okoye"
    )
    assign(person, casemanager2)
    return person


@pytest.fixture
def foreign_participant(other_program):
    """In a program none of the personas works in."""
    outsider = UserFactory(roles=[Role.CASE_MANAGER], programs=[other_program])
    person = enrolled(
        other_program, creator=outsider, legal_first_name="Cy", legal_last_name="Vance"
    )
    assign(person, outsider)
    return person


PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def photo(participant, casemanager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from clients import services

    return services.document_upload(
        participant=participant,
        kind="photo",
        title="Intake photo",
        uploaded_file=SimpleUploadedFile("face.png", PNG_1PX, content_type="image/png"),
        actor=casemanager,
    )
