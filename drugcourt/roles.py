"""Staff roles: what a person does on the team. One person may hold several.

Roles say *what kind* of work a user does; which participants they reach is decided by
`clients.access` from team assignments, program membership and service episodes.
"""

from django.db import models


class OrganizationKind(models.TextChoices):
    COURT = "court", "Court"
    TREATMENT_AGENCY = "treatment_agency", "Treatment agency"
    PROBATION = "probation", "Probation"
    PROSECUTOR = "prosecutor", "Prosecutor"
    DEFENCE = "defence", "Defence"
    LAB = "lab", "Laboratory"


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    COORDINATOR = "coordinator", "Program coordinator"
    JUDGE = "judge", "Judge"
    CLERK = "clerk", "Clerk"
    CASE_MANAGER = "case_manager", "Case manager"
    PROBATION_OFFICER = "probation_officer", "Probation officer"
    PROSECUTOR = "prosecutor", "Prosecutor"
    DEFENCE_ATTORNEY = "defence_attorney", "Defence attorney"
    TREATMENT_PROVIDER = "treatment_provider", "Treatment provider"
    EVALUATOR = "evaluator", "Evaluator"


ANY_ORGANIZATION = frozenset(OrganizationKind)

# Which employers may hold which role. Case management is run by the court, a treatment agency
# or probation depending on the program, so all three may employ case managers.
ROLE_ORGANIZATION_KINDS: dict[Role, frozenset[OrganizationKind]] = {
    Role.ADMINISTRATOR: ANY_ORGANIZATION,
    Role.COORDINATOR: frozenset({OrganizationKind.COURT}),
    Role.JUDGE: frozenset({OrganizationKind.COURT}),
    Role.CLERK: frozenset({OrganizationKind.COURT}),
    Role.CASE_MANAGER: frozenset(
        {OrganizationKind.COURT, OrganizationKind.TREATMENT_AGENCY, OrganizationKind.PROBATION}
    ),
    Role.PROBATION_OFFICER: frozenset({OrganizationKind.PROBATION}),
    Role.PROSECUTOR: frozenset({OrganizationKind.PROSECUTOR}),
    Role.DEFENCE_ATTORNEY: frozenset({OrganizationKind.DEFENCE}),
    Role.TREATMENT_PROVIDER: frozenset({OrganizationKind.TREATMENT_AGENCY}),
    Role.EVALUATOR: ANY_ORGANIZATION,
}

# Roles that work inside a program and so need program membership to do anything.
PROGRAM_ROLES = frozenset(Role) - {Role.ADMINISTRATOR, Role.EVALUATOR}

# Roles that reach every participant of their programs through program membership (the rest
# reach participants one by one: team assignments, or a provider's service episodes).
PROGRAM_WIDE_ROLES = (Role.COORDINATOR, Role.JUDGE, Role.CLERK, Role.PROSECUTOR)

# Roles that reach participant data (clients.access.REACHING_ROLES; a test keeps them equal).
# Granting one is audited and told to the program's coordinators, a set-password link for an
# account holding one is only e-mailed, and its e-mail address changes only when confirmed at
# the old address (docs/decisions/0007-staff-account-safety.md).
PARTICIPANT_REACHING_ROLES = PROGRAM_ROLES


def reaches_participants(roles) -> bool:
    return any(Role(role) in PARTICIPANT_REACHING_ROLES for role in roles)
