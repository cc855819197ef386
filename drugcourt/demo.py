"""Demo data for `manage.py seed_demo`: one program, its organizations and the demo staff.

Idempotent: every object is looked up by its natural key first, so running it twice (every
`make run` does) changes nothing the second time.
"""

import datetime
from base64 import b32decode
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pgtrigger
from django.db import transaction

from . import selectors, services
from .demo_codes import DEMO_BACKUP_CODES, DEMO_TOTP_KEY
from .models import Organization, Program, ProgramSettings, User
from .roles import OrganizationKind, Role

PROGRAM_NAME = "Lakeview County Adult Drug Court"
SETTINGS_DAYS_AGO = 2 * 365 + 30  # before the oldest demo referral (clients.demo)
# What the demo program charges (court.demo assesses it).
DEMO_FEE_SCHEDULE = (
    services.FeeData("Enrollment fee", Decimal("100.00"), "Once, on admission."),
    services.FeeData("Program fee", Decimal("30.00"), "Monthly."),
    services.FeeData("Drug test", Decimal("12.50"), "Per test ordered as a sanction."),
)

ORGANIZATIONS = {
    "court": ("Lakeview County Circuit Court", OrganizationKind.COURT),
    "agency": ("Harbor Light Recovery Services", OrganizationKind.TREATMENT_AGENCY),
    "probation": ("Lakeview County Adult Probation", OrganizationKind.PROBATION),
    "prosecutor": ("Lakeview County State's Attorney", OrganizationKind.PROSECUTOR),
    "defence": ("Lakeview County Public Defender", OrganizationKind.DEFENCE),
    "lab": ("Great Lakes Toxicology Laboratory", OrganizationKind.LAB),
}


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    last_name: str
    organization: str
    roles: tuple[Role, ...]
    in_program: bool = True


DEMO_STAFF = (
    DemoStaff("admin", "Morgan", "Reyes", "court", (Role.ADMINISTRATOR,), in_program=False),
    DemoStaff("coordinator", "Dana", "Whitfield", "court", (Role.COORDINATOR,)),
    DemoStaff("judge", "Patricia", "Okafor", "court", (Role.JUDGE,)),
    DemoStaff("clerk", "Luis", "Ortega", "court", (Role.CLERK,)),
    DemoStaff("casemanager", "Jordan", "Ellis", "court", (Role.CASE_MANAGER,)),
    DemoStaff("casemanager2", "Priya", "Raman", "agency", (Role.CASE_MANAGER,)),
    DemoStaff("probation", "Marcus", "Bell", "probation", (Role.PROBATION_OFFICER,)),
    DemoStaff("prosecutor", "Elena", "Novak", "prosecutor", (Role.PROSECUTOR,)),
    DemoStaff("defence", "Samuel", "Grant", "defence", (Role.DEFENCE_ATTORNEY,)),
    DemoStaff("provider", "Keisha", "Daniels", "agency", (Role.TREATMENT_PROVIDER,)),
    DemoStaff("evaluator", "Wen", "Li", "court", (Role.EVALUATOR,), in_program=False),
)

DEMO_USERNAMES = tuple(staff.username for staff in DEMO_STAFF)

# Later apps add their demo data (participants, tests, plans) from AppConfig.ready(); each step
# gets the demo program and the demo staff by username, and must itself be idempotent.
DemoStep = Callable[[Program, dict[str, User]], None]
_demo_steps: list[DemoStep] = []


def register_demo_step(step: DemoStep) -> None:
    _demo_steps.append(step)


@transaction.atomic
def seed_demo(*, password: str) -> None:
    organizations = {key: _organization(name, kind) for key, (name, kind) in ORGANIZATIONS.items()}
    admin_staff, *program_staff = DEMO_STAFF
    admin = _staff(admin_staff, organizations, program=None, password=password, actor=None)
    program = Program.objects.filter(name=PROGRAM_NAME).first() or _program(organizations, admin)
    staff = {
        member.username: _staff(
            member, organizations, program=program, password=password, actor=admin
        )
        for member in program_staff
    }
    for user in (admin, *staff.values()):
        services.two_factor_demo_set(
            user=user, key=b32decode(DEMO_TOTP_KEY).hex(), codes=list(DEMO_BACKUP_CODES)
        )
    for step in _demo_steps:
        step(program, {"admin": admin, **staff})


def _program(organizations: dict[str, Organization], admin: User) -> Program:
    program = services.program_create(
        name=PROGRAM_NAME,
        court=organizations["court"],
        jurisdiction="Lakeview County",
        time_zone="America/Chicago",
        actor=admin,
    )
    services.program_settings_change_fee_schedule(
        program=program,
        effective_from=selectors.program_today(program),
        fees=list(DEMO_FEE_SCHEDULE),
        change_note="The program's fees.",
        actor=admin,
    )
    # The demo history (referrals, tests) goes back two years: the first settings, the testing
    # policy among them, are in force from then, as if the program had been set up then. A
    # correction of the seeding, not a change of the settings, so it is kept out of the history.
    since = selectors.program_today(program) - datetime.timedelta(days=SETTINGS_DAYS_AGO)
    with pgtrigger.ignore("drugcourt.ProgramSettings:update_update"):
        ProgramSettings.objects.filter(program=program).update(effective_from=since)
    return program


def _organization(name: str, kind: OrganizationKind) -> Organization:
    existing = Organization.objects.filter(name=name).first()
    return existing or services.organization_create(name=name, kind=kind, actor=None)


def _staff(
    staff: DemoStaff,
    organizations: dict[str, Organization],
    *,
    program: Program | None,
    password: str,
    actor: User | None,
) -> User:
    existing = User.objects.filter(username=staff.username).first()
    if existing:
        return existing
    user = services.staff_create(
        username=staff.username,
        first_name=staff.first_name,
        last_name=staff.last_name,
        email=f"{staff.username}@lakeview.example",
        organization=organizations[staff.organization],
        roles=list(staff.roles),
        programs=[program] if program and staff.in_program else [],
        actor=actor,
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
