"""Personas named like the demo users (CONVENTIONS.md), and shared fixtures.

`program` is the personas' program; `other_program` is one none of them works in.
"""

from dataclasses import dataclass

import pytest
import redis
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from drugcourt.roles import OrganizationKind, Role
from tests.factories import (
    EnrollmentFactory,
    OrganizationFactory,
    ProgramFactory,
    UserFactory,
    assign,
)


@dataclass(frozen=True)
class Persona:
    """A demo-like user: roles, the kind of organization they work for, whether they are a
    member of `program`, and (for providers of other agencies) the name of their own agency."""

    roles: tuple[Role, ...]
    kind: OrganizationKind
    in_program: bool = True
    agency: str = ""


PERSONA_SPECS = {
    "admin": Persona((Role.ADMINISTRATOR,), OrganizationKind.COURT, in_program=False),
    "coordinator": Persona((Role.COORDINATOR,), OrganizationKind.COURT),
    "judge": Persona((Role.JUDGE,), OrganizationKind.COURT),
    "clerk": Persona((Role.CLERK,), OrganizationKind.COURT),
    "prosecutor": Persona((Role.PROSECUTOR,), OrganizationKind.PROSECUTOR),
    "defence": Persona((Role.DEFENCE_ATTORNEY,), OrganizationKind.DEFENCE),
    "casemanager": Persona((Role.CASE_MANAGER,), OrganizationKind.COURT),
    "casemanager2": Persona((Role.CASE_MANAGER,), OrganizationKind.TREATMENT_AGENCY),
    "probation": Persona((Role.PROBATION_OFFICER,), OrganizationKind.PROBATION),
    "provider": Persona((Role.TREATMENT_PROVIDER,), OrganizationKind.TREATMENT_AGENCY),
    "evaluator": Persona((Role.EVALUATOR,), OrganizationKind.COURT, in_program=False),
    # On `participant`'s team (see `on_the_team`).
    "probation_assigned": Persona((Role.PROBATION_OFFICER,), OrganizationKind.PROBATION),
    "defence_assigned": Persona((Role.DEFENCE_ATTORNEY,), OrganizationKind.DEFENCE),
    # Each works for an agency of its own with an active service episode on `participant`.
    "provider_treating": Persona(
        (Role.TREATMENT_PROVIDER,), OrganizationKind.TREATMENT_AGENCY, agency="Northside Recovery"
    ),
    "provider_elsewhere": Persona(
        (Role.TREATMENT_PROVIDER,), OrganizationKind.TREATMENT_AGENCY, agency="Harbor Counselling"
    ),
    # Two roles: judge in the program and case manager of someone else's caseload.
    "judge_casemanager": Persona((Role.JUDGE, Role.CASE_MANAGER), OrganizationKind.COURT),
}
PERSONAS = (*PERSONA_SPECS, "superuser")
# The personas whose reach comes from a relation to `participant` (see `on_the_team`).
PARTICIPANT_PERSONAS = (
    "probation_assigned",
    "defence_assigned",
    "provider_treating",
    "provider_elsewhere",
)


# Signing in in tests. Every account passes a second factor (drugcourt.security); tests that are
# not about signing in use `client.force_login(user)` (pytest-django's admin_client and the
# browser tests' `sign_in` too), which here also marks the session as having passed it, as the
# sign-in page does with a device. Tests of the second factor itself sign in through the pages,
# or with `force_login_unverified`.
force_login_unverified = Client.force_login
TEST_DEVICE = "tests.force_login"


def _force_login_verified(self, user, backend=None):
    force_login_unverified(self, user, backend)
    session = self.session
    session[DEVICE_ID_SESSION_KEY] = TEST_DEVICE
    session.save()


Client.force_login = _force_login_verified


@pytest.fixture(scope="session", autouse=True)
def _empty_test_redis():
    """Tests own their Redis database number (settings.TEST_REDIS_DB); start it empty."""
    redis.Redis.from_url(settings.REDIS_CACHE_URL).flushdb()


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """Transactional tests (e2e, `transaction=True`) end with Django's flush: a TRUNCATE of
    every table, which costs PostgreSQL 4-6 s here (new files for 130 tables and their
    indexes). Deleting the rows leaves the same empty tables in a fraction of that. Triggers
    and the deferred foreign key checks are off for those deletes (session_replication_role),
    the append-only triggers of the history tables too, as they are for a TRUNCATE
    (docs/decisions/0018). Only a superuser may set that role: other roles keep the TRUNCATE."""
    from django.db import connection

    # On the class: the browser tests' teardown runs on another connection object.
    operations = type(connection.ops)
    truncate = operations.sql_flush
    superuser: dict[str, bool] = {}

    def sql_flush(ops, style, tables, *, reset_sequences=False, allow_cascade=False):
        alias = ops.connection.alias
        if alias not in superuser:
            with ops.connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                superuser[alias] = cursor.fetchone()[0]
        if reset_sequences or not tables or not superuser[alias]:
            return truncate(
                ops, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # The names are Django's own tables (introspection), quoted.
        deletes = [f"DELETE FROM {ops.quote_name(table)}" for table in tables]  # noqa: S608
        return ["SET LOCAL session_replication_role = replica", *deletes]

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = truncate


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
    spec = PERSONA_SPECS[name]
    organization = (
        OrganizationFactory(name=spec.agency, kind=spec.kind)
        if spec.agency
        else organizations[spec.kind]
    )
    return UserFactory(
        username=name,
        roles=list(spec.roles),
        organization=organization,
        programs=[program] if spec.in_program else [],
    )


def on_the_team(participant, users, *, referred_by, reasons=None):
    """Relates the participant personas among `users` (name → user) to `participant`: probation
    and defence through team assignments, each provider through an accepted referral to their
    agency (an active service episode). Returns the episodes by persona name."""
    from treatment_plans import services as referral_services

    for name, role in (
        ("probation_assigned", Role.PROBATION_OFFICER),
        ("defence_assigned", Role.DEFENCE_ATTORNEY),
    ):
        if name in users:
            assign(participant, users[name], role)
    episodes = {}
    for name in ("provider_treating", "provider_elsewhere"):
        if name in users:
            referral = referral_services.referral_send(
                participant=participant,
                provider=users[name].organization,
                requested_service="Outpatient counselling",
                reason=(reasons or {}).get(name, "Substance use disorder"),
                urgency="routine",
                shared_information="Name and contact",
                actor=referred_by,
            )
            episodes[name] = referral_services.referral_accept(referral=referral, actor=users[name])
    return episodes


def _persona_fixture(name):
    if name in PARTICIPANT_PERSONAS:

        @pytest.fixture(name=name)
        def related_persona(organizations, program, participant, casemanager):
            user = make_persona(name, organizations, program)
            on_the_team(participant, {name: user}, referred_by=casemanager)
            return user

        return related_persona

    @pytest.fixture(name=name)
    def persona(organizations, program):
        return make_persona(name, organizations, program)

    return persona


for _name in PERSONAS:
    globals()[_name] = _persona_fixture(_name)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """Database access for a module-scoped fixture (`world`, `seeded_demo`): one transaction
    for the whole module, rolled back at its end, and uploads in a folder of the module's. The
    module's tests ask for `db` too: each runs in a savepoint of its own inside it, rolled back
    after the test, so no test sees another's writes."""
    from django.test import override_settings

    from tests.matrix_world import rolled_back

    media = tmp_path_factory.mktemp("module-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), rolled_back():
        yield


@pytest.fixture(scope="module")
def world(module_db):
    """The access matrices' world (tests/matrix_world.py), built once per module (`module_db`).
    Modules using it keep `_media_root` at the module's."""
    from tests.matrix_world import build_world

    return build_world()


# The demo staff's password while `seeded_demo` seeds (tests/drugcourt/test_seed_demo.py).
SEEDED_DEMO_PASSWORD = "demo-password-for-tests"


@pytest.fixture(scope="module")
def seeded_demo(module_db):
    """`seed_demo` run once for the module's tests (seconds each time), under `module_db`;
    the time just before it ran."""
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone

    before = timezone.now()
    with override_settings(DEMO_PASSWORD=SEEDED_DEMO_PASSWORD):
        call_command("seed_demo")
    return before


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
