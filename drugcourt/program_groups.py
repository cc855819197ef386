"""Program-wide access rows: one group per (program, program-wide role) holding the guardian
permission `reach_as_<role>` on the program; a member who holds the role is in the group.

Program membership and roles are the source of truth; `program_groups_sync(user)` recomputes a
user's groups from them and runs inside the same transaction as every change to either
(staff services), so a failed change leaves no stray row. `clients.access` reads the rows.
"""

from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from .models import Program, User
from .roles import PROGRAM_WIDE_ROLES, Role

GROUP_PREFIX = "program:"


def program_group_name(program: Program, role: Role) -> str:
    return f"{GROUP_PREFIX}{program.pk}:{role.value}"


def program_group(program: Program, role: Role) -> Group:
    group, created = Group.objects.get_or_create(name=program_group_name(program, role))
    if created:
        assign_perm(f"drugcourt.reach_as_{role.value}", group, program)
    return group


def expected_program_groups(user: User) -> set[str]:
    """A member's groups of the active programs only: a deactivated program's groups reach
    nobody (`program_update` syncs its members; clients.access also ignores its rows)."""
    roles = [Role(r) for r in user.roles if Role(r) in PROGRAM_WIDE_ROLES]
    return {
        program_group_name(program, role)
        for program in user.programs.all()
        if program.is_active
        for role in roles
    }


def program_groups_sync(user: User) -> None:
    expected = expected_program_groups(user)
    current = set(user.groups.filter(name__startswith=GROUP_PREFIX).values_list("name", flat=True))
    if stale := current - expected:
        user.groups.remove(*Group.objects.filter(name__in=stale))
    for name in expected - current:
        _, program_pk, role = name.split(":")
        user.groups.add(program_group(Program.objects.get(pk=program_pk), Role(role)))


# Provider organizations: one group per treatment agency, holding its staff with the provider
# role. Service episodes grant participant rows to the group, so new staff inherit them.
ORGANIZATION_PREFIX = "organization:"


def organization_group_name(organization_pk: int) -> str:
    return f"{ORGANIZATION_PREFIX}{organization_pk}:providers"


def organization_group(organization) -> Group:
    group, _ = Group.objects.get_or_create(name=organization_group_name(organization.pk))
    return group


def expected_organization_groups(user: User) -> set[str]:
    if user.organization_id and user.has_role(Role.TREATMENT_PROVIDER):
        return {organization_group_name(user.organization_id)}
    return set()


def organization_groups_sync(user: User) -> None:
    wanted = expected_organization_groups(user)
    current = user.groups.filter(name__startswith=ORGANIZATION_PREFIX)
    user.groups.remove(*current.exclude(name__in=wanted))
    if wanted:
        user.groups.add(organization_group(user.organization))


def expected_access_groups(user: User) -> set[str]:
    """The names of every access group the user should be in (for access_reconcile)."""
    return expected_program_groups(user) | expected_organization_groups(user)


def access_groups_sync(user: User) -> None:
    program_groups_sync(user)
    organization_groups_sync(user)
