import pytest
from django.core.management import CommandError, call_command

from clients.models import ParticipantUserObjectPermission
from clients.reconcile import access_drift


def test_a_clean_database_has_no_drift(participant, participant2, judge):
    assert access_drift().is_clean


def test_a_deleted_row_is_found_and_repaired(participant, casemanager, capsys):
    ParticipantUserObjectPermission.objects.filter(user=casemanager).delete()

    with pytest.raises(CommandError, match="drift"):
        call_command("access_reconcile")
    assert (
        f"missing: user {casemanager.pk} → participant {participant.pk}" in capsys.readouterr().out
    )

    call_command("access_reconcile", "--fix")
    assert access_drift().is_clean


def test_a_stray_row_and_stale_program_groups_are_found(participant, casemanager2, judge):
    from clients import access
    from drugcourt.roles import Role

    access.grant_participant(casemanager2, participant, Role.CASE_MANAGER)
    judge.groups.clear()

    drift = access_drift()

    assert drift.extra == {("user", casemanager2.pk, participant.pk, Role.CASE_MANAGER)}
    assert drift.users_with_wrong_program_groups == [judge]
