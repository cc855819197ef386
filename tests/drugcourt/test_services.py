import datetime

import pghistory.models
import pytest
import time_machine
from django.core.exceptions import ValidationError

from drugcourt import services
from drugcourt.models import Phase, ProgramMembership, User
from drugcourt.roles import OrganizationKind, Role
from drugcourt.selectors import program_settings_in_force, program_today
from drugcourt.services import PhaseData


def create_staff(admin, organizations, program, **overrides):
    fields = {
        "username": "rgomez",
        "first_name": "Rosa",
        "last_name": "Gomez",
        "email": "rgomez@example.org",
        "organization": organizations[OrganizationKind.COURT],
        "roles": [Role.CASE_MANAGER],
        "programs": [program],
    }
    return services.staff_create(**{**fields, **overrides}, actor=admin)


def test_staff_create_saves_roles_programs_and_no_usable_password(admin, organizations, program):
    user = create_staff(admin, organizations, program)

    assert user.roles == [Role.CASE_MANAGER]
    assert list(user.programs.all()) == [program]
    assert not user.has_usable_password()


def test_staff_create_records_the_acting_administrator(admin, organizations, program):
    user = create_staff(admin, organizations, program)

    event = pghistory.models.Events.objects.across("drugcourt.UserEvent").get(
        pgh_obj_id=str(user.pk), pgh_label="insert"
    )
    assert event.pgh_context["user"] == admin.pk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "ADMIN"}, "username", "This username is taken."),
        ({"email": "Admin@Example.org"}, "email", "Another staff account uses this e-mail"),
        ({"roles": []}, "roles", "Choose at least one role."),
        ({"roles": [Role.JUDGE]}, "roles", "cannot hold the role Judge"),
    ],
)
def test_staff_create_refuses_bad_input_and_saves_nothing(
    admin, organizations, program, overrides, field, message
):
    if overrides.get("roles"):
        overrides["organization"] = organizations[OrganizationKind.DEFENCE]
    before = User.objects.count()

    with pytest.raises(ValidationError) as refusal:
        create_staff(admin, organizations, program, **overrides)

    assert message in " ".join(refusal.value.message_dict[field])
    assert User.objects.count() == before


def test_staff_update_changes_roles_and_programs(admin, organizations, program, other_program):
    user = create_staff(admin, organizations, program)

    services.staff_update(
        user=user,
        first_name="Rosa",
        last_name="Gomez-Diaz",
        email="rosa@example.org",
        organization=organizations[OrganizationKind.COURT],
        roles=[Role.COORDINATOR, Role.CASE_MANAGER],
        programs=[other_program],
        actor=admin,
    )

    user.refresh_from_db()
    assert user.roles == [Role.CASE_MANAGER, Role.COORDINATOR]
    assert list(user.programs.all()) == [other_program]
    assert not ProgramMembership.objects.filter(user=user, program=program).exists()


def test_the_last_administrator_cannot_be_deactivated(admin):
    with pytest.raises(ValidationError, match="last active administrator"):
        services.staff_deactivate(user=admin, actor=admin)

    admin.refresh_from_db()
    assert admin.is_active


def test_the_last_administrator_cannot_lose_the_role(admin):
    with pytest.raises(ValidationError) as refusal:
        services.staff_update(
            user=admin,
            first_name=admin.first_name,
            last_name=admin.last_name,
            email=admin.email,
            organization=admin.organization,
            roles=[Role.EVALUATOR],
            programs=[],
            actor=admin,
        )

    assert "last active administrator" in refusal.value.message_dict["roles"][0]


def test_an_administrator_may_deactivate_themselves_when_another_remains(admin, organizations):
    create_staff(
        admin,
        organizations,
        None,
        username="second",
        email="second@example.org",
        roles=[Role.ADMINISTRATOR],
        programs=[],
    )

    services.staff_deactivate(user=admin, actor=admin)

    admin.refresh_from_db()
    assert not admin.is_active


def test_program_create_starts_with_five_phases_in_force_today(admin, organizations):
    program = services.program_create(
        name="Riverbend Drug Court",
        court=organizations[OrganizationKind.COURT],
        jurisdiction="Riverbend",
        time_zone="America/Denver",
        actor=admin,
    )

    version = program.settings_versions.get()
    assert version.effective_from == program_today(program)
    assert list(version.phases.values_list("number", "name")) == [
        (1, "Stabilization"),
        (2, "Intensive treatment"),
        (3, "Transition"),
        (4, "Maintenance"),
        (5, "Continuing care"),
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "not a known time zone"),
        ({"court": OrganizationKind.TREATMENT_AGENCY}, "court", "Court"),
    ],
)
def test_program_create_refuses_bad_input(admin, organizations, fields, field, message):
    values = {
        "name": "Riverbend Drug Court",
        "court": organizations[fields.pop("court", OrganizationKind.COURT)],
        "jurisdiction": "Riverbend",
        "time_zone": "America/Denver",
        **fields,
    }

    with pytest.raises(ValidationError) as refusal:
        services.program_create(**values, actor=admin)

    assert message in refusal.value.message_dict[field][0]


def test_organization_that_is_a_programs_court_stays_a_court(admin, program):
    with pytest.raises(ValidationError, match="must stay a court"):
        services.organization_update(
            organization=program.court,
            name=program.court.name,
            kind=OrganizationKind.LAB,
            is_active=True,
            actor=admin,
        )


TWO_PHASES = [
    PhaseData("Orientation", "First weeks.", 3, 1),
    PhaseData("Recovery", "Everything after.", 2, 2),
]


@time_machine.travel(datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), tick=False)
def test_phase_change_applies_from_its_date_and_keeps_the_old_list(coordinator, program):
    services.program_settings_change_phases(
        program=program,
        effective_from=datetime.date(2026, 3, 2),
        phases=services.DEFAULT_PHASES,
        change_note="initial",
        actor=coordinator,
    )
    services.program_settings_change_phases(
        program=program,
        effective_from=datetime.date(2026, 4, 1),
        phases=TWO_PHASES,
        change_note="Simplified",
        actor=coordinator,
    )

    march = program_settings_in_force(program, datetime.date(2026, 3, 31))
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert march.phases.first().name == "Stabilization"
    assert [p.name for p in april.phases.all()] == ["Orientation", "Recovery"]


@time_machine.travel(datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), tick=False)
def test_phase_change_cannot_rewrite_the_past(coordinator, program):
    with pytest.raises(ValidationError) as refusal:
        services.program_settings_change_phases(
            program=program,
            effective_from=datetime.date(2026, 3, 1),
            phases=TWO_PHASES,
            change_note="Backdated",
            actor=coordinator,
        )

    assert "past date" in refusal.value.message_dict["effective_from"][0]
    assert not Phase.objects.exists()


@time_machine.travel(datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), tick=False)
def test_phase_change_refuses_two_phases_with_one_name(coordinator, program):
    with pytest.raises(ValidationError, match="same name"):
        services.program_settings_change_phases(
            program=program,
            effective_from=datetime.date(2026, 3, 2),
            phases=[TWO_PHASES[0], TWO_PHASES[0]],
            change_note="Oops",
            actor=coordinator,
        )
