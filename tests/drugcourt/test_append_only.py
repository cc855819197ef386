"""History cannot be rewritten (drugcourt/append_only.py): every pghistory event table refuses
UPDATE and DELETE through the application's own connection, `pgtrigger.ignore` or not, while
the tracked rows themselves are still changed and deleted as the product does."""

import pytest
from django.db import DatabaseError, connection, transaction

from drugcourt.append_only import TRIGGER, append_only_tables, grant_app_role, unprotected
from drugcourt.models import ProgramMembership
from tests.factories import OrganizationFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_event_table_is_append_only():
    tables = append_only_tables()
    assert len(tables) > 40  # every tracked model's, found through pghistory
    assert "drugcourt_userevent" in tables
    assert unprotected(connection, tables) == []


def _refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    return str(raised.value)


def test_history_refuses_update_and_delete_through_the_app_connection():
    organization = OrganizationFactory(name="Before")
    organization.name = "After"
    organization.save()  # the tracked row changes as always: one more event
    events = organization.events.order_by("pgh_id")
    assert [event.name for event in events] == ["Before", "After"]

    assert "append-only" in _refused("UPDATE drugcourt_organizationevent SET name = 'Rewritten'")
    assert "append-only" in _refused("DELETE FROM drugcourt_organizationevent")
    with pytest.raises(DatabaseError), transaction.atomic():
        events.update(name="Rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        events.first().delete()
    # The setting that switches pgtrigger's triggers off does not switch this one off.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL pgtrigger.ignore = %s", [f"{{{TRIGGER}}}"])
        _refused("UPDATE drugcourt_organizationevent SET name = 'Rewritten'")

    assert [event.name for event in organization.events.order_by("pgh_id")] == [
        "Before",
        "After",
    ]


def test_deleting_a_tracked_row_still_works_and_keeps_its_history():
    program, user = ProgramFactory(), UserFactory()
    membership = ProgramMembership.objects.create(program=program, user=user)
    pk = membership.pk
    membership.delete()
    assert not ProgramMembership.objects.filter(pk=pk).exists()
    labels = ProgramMembership.pgh_event_model.objects.filter(pgh_obj_id=pk)
    assert sorted(labels.values_list("pgh_label", flat=True)) == ["delete", "insert"]


def test_the_application_role_appends_but_cannot_rewrite_truncate_or_switch_off():
    """The production role (`manage.py db_app_role`): made inside the test's transaction, so it
    is rolled back with it (PostgreSQL's CREATE ROLE is transactional)."""
    role = f"{connection.settings_dict['NAME']}_app"
    grant_app_role(connection, role)
    with transaction.atomic():
        _execute(f'SET LOCAL ROLE "{role}"')
        organization = OrganizationFactory(name="Appended")  # the row and its history
        organization.name = "Changed"
        organization.save()
        for sql in (
            "UPDATE drugcourt_organizationevent SET name = 'Rewritten'",
            "DELETE FROM drugcourt_organizationevent",
            "TRUNCATE drugcourt_organizationevent",
            "ALTER TABLE drugcourt_organizationevent DISABLE TRIGGER drugcourt_append_only",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                _execute(sql)
        transaction.set_rollback(True)
    assert not organization.events.exists()  # rolled back with the role's transaction


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)
