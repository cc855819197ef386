"""`manage.py access_reconcile`: recompute the access rows from their sources of truth and
report (or repair) any drift. Sources: every registered `AccessSource` for per-participant
rows, and program membership × roles (and a provider's organization) for the groups."""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction

from drugcourt.models import User
from drugcourt.program_groups import (
    GROUP_PREFIX,
    ORGANIZATION_PREFIX,
    access_groups_sync,
    expected_access_groups,
)
from drugcourt.roles import Role

from . import access
from .models import (
    PARTICIPANT_ROLES,
    Participant,
    ParticipantGroupObjectPermission,
    ParticipantUserObjectPermission,
)

Row = tuple[str, int, int, Role]  # (holder kind, holder id, participant id, role)


@dataclass
class Drift:
    missing: set[Row] = field(default_factory=set)
    extra: set[Row] = field(default_factory=set)
    users_with_wrong_program_groups: list[User] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not (self.missing or self.extra or self.users_with_wrong_program_groups)


def _existing_rows() -> set[Row]:
    codenames = {access.reach_codename(role): role for role in PARTICIPANT_ROLES}
    user_rows = ParticipantUserObjectPermission.objects.filter(
        permission__codename__in=codenames
    ).values_list("user_id", "content_object_id", "permission__codename")
    group_rows = ParticipantGroupObjectPermission.objects.filter(
        permission__codename__in=codenames
    ).values_list("group_id", "content_object_id", "permission__codename")
    return {("user", h, p, codenames[c]) for h, p, c in user_rows} | {
        ("group", h, p, codenames[c]) for h, p, c in group_rows
    }


def access_drift() -> Drift:
    expected = {row for source in access.access_sources() for row in source.expected()}
    existing = _existing_rows()
    prefixes = (GROUP_PREFIX, ORGANIZATION_PREFIX)
    wrong_groups = [
        user
        for user in User.objects.prefetch_related("programs", "groups")
        if expected_access_groups(user)
        != {g.name for g in user.groups.all() if g.name.startswith(prefixes)}
    ]
    return Drift(
        missing=expected - existing,
        extra=existing - expected,
        users_with_wrong_program_groups=wrong_groups,
    )


@transaction.atomic
def access_repair() -> Drift:
    """Brings the rows in line with the sources; returns the drift it repaired."""
    drift = access_drift()
    holders = {"user": User.objects, "group": Group.objects}
    for kind, holder_id, participant_id, role in drift.missing:
        access.grant_participant(
            holders[kind].get(pk=holder_id), Participant.objects.get(pk=participant_id), role
        )
    for kind, holder_id, participant_id, role in drift.extra:
        access.revoke_participant(
            holders[kind].get(pk=holder_id), Participant.objects.get(pk=participant_id), role
        )
    for user in drift.users_with_wrong_program_groups:
        access_groups_sync(user)
    return drift
