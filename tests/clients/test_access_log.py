"""Every read is logged (issue 19; docs/decisions/0018): one append-only access-log row per
participant a request shows, written before the response leaves, failing the request closed;
the coordinator's review of it, the administrator's metadata, and the accounting of
disclosures (issue 18) as a view over it."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from clients import access, services
from clients.access import DataClass
from clients.models import (
    ACCESS_LOG_CLASS_BITS,
    AccessLog,
    FollowUp,
    data_class_bits,
    data_classes_of,
)
from clients.selectors import participant_today
from drugcourt.append_only import grant_app_role
from drugcourt.roles import Role
from tests.factories import assign, consent_to, logged_classes

pytestmark = pytest.mark.django_db


def _execute(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _view(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_participant_page_writes_one_row_with_the_data_classes_shown(
    client, casemanager, participant
):
    url = reverse("clients:participant_detail", args=[participant.pk])
    response = _view(client, casemanager, url)

    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert (row.user_id, row.participant_id) == (casemanager.pk, participant.pk)
    assert row.route == "clients:participant_detail"
    assert row.path == url
    assert row.ip == "127.0.0.1"
    assert abs(row.at - timezone.now()) < datetime.timedelta(minutes=1)
    # The case manager is the treatment program: every class, none of them a disclosure.
    assert {DataClass.IDENTITY, DataClass.CASE_NOTES, DataClass.DRUG_TESTS} <= set(
        row.data_class_values
    )
    assert row.disclosures is None


def test_pages_without_a_participant_log_nothing(client, casemanager, participant):
    assert _view(client, casemanager, reverse("home")).status_code == 200
    missing = reverse("clients:participant_detail", args=[10**9])
    assert _view(client, casemanager, missing).status_code == 404
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("route", "classes"),
    [
        ("home", {DataClass.IDENTITY, DataClass.ATTENDANCE, DataClass.CASE_NOTES}),
        ("clients:my_calendar", {DataClass.IDENTITY, DataClass.ATTENDANCE}),
    ],
)
def test_my_day_and_my_calendar_log_the_participants_they_list(
    client, casemanager, participant, route, classes
):
    services.appointment_schedule(
        participant=participant, kind="collection", actor=casemanager, scheduled_at=timezone.now()
    )
    FollowUp.objects.create(
        participant=participant,
        description="Call back",
        due_on=participant_today(participant),
        assigned_to=casemanager,
        created_by=casemanager,
    )
    _view(client, casemanager, reverse(route))

    assert logged_classes(casemanager, participant, route) == classes


def test_a_judge_reading_under_a_consent_is_a_disclosure_with_the_consent_id(
    client, judge, program, participant
):
    consent = consent_to(participant, (program, Role.JUDGE), data_classes={DataClass.PLAN_SUMMARY})
    _view(client, judge, reverse("clients:participant_detail", args=[participant.pk]))

    row = AccessLog.objects.get()
    assert row.user_id == judge.pk
    assert DataClass.PLAN_SUMMARY in row.data_class_values
    assert DataClass.CASE_NOTES not in row.data_class_values  # never the court view's
    assert row.disclosures == {DataClass.PLAN_SUMMARY.value: consent.pk}


def test_every_data_class_has_its_own_bit_in_the_log():
    assert set(ACCESS_LOG_CLASS_BITS) == set(DataClass.values)
    bits = list(ACCESS_LOG_CLASS_BITS.values())
    assert len(set(bits)) == len(bits)
    assert max(bits) < 63
    assert data_classes_of(data_class_bits([DataClass.COURT, DataClass.IDENTITY])) == [
        "identity",
        "court",
    ]


def test_one_insert_for_every_participant_of_a_request(
    django_assert_num_queries, casemanager, participant, participant2
):
    shown = {
        participant.pk: {DataClass.IDENTITY: None},
        participant2.pk: {DataClass.IDENTITY: None, DataClass.PLAN_SUMMARY: 7},
    }
    with django_assert_num_queries(1):  # INSERT ... RETURNING id, both rows
        services.access_log_write(
            user=casemanager, shown=shown, route="r", path="/p/", ip=None, at=timezone.now()
        )
    assert AccessLog.objects.filter(participant=participant2).get().disclosures == {
        "plan_summary": 7
    }


def test_the_request_fails_closed_when_the_log_cannot_be_written(client, casemanager, participant):
    def refuse_the_log(execute, sql, params, many, context):
        if "clients_accesslog" in sql and sql.lstrip().upper().startswith("INSERT"):
            raise DatabaseError("the log's disk is full")
        return execute(sql, params, many, context)

    client.force_login(casemanager)
    with connection.execute_wrapper(refuse_the_log):
        response = client.get(reverse("clients:participant_detail", args=[participant.pk]))

    assert response.status_code == 500
    body = response.content.decode()
    assert "Moss" not in body
    assert "Ada" not in body
    assert "not shown" in body


def test_the_access_log_refuses_update_and_delete_through_the_app_connection(
    casemanager, participant
):
    services.access_log_write(
        user=casemanager,
        shown={participant.pk: {DataClass.IDENTITY: None}},
        route="clients:participant_detail",
        path="/",
        ip="10.0.0.1",
        at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM clients_accesslog")
        (partition,) = cursor.fetchone()
    # The partitioned table, and the month's partition itself.
    for sql in (
        "UPDATE clients_accesslog SET route = 'x'",
        "DELETE FROM clients_accesslog",
        f'DELETE FROM "{partition}"',  # noqa: S608 (a table name read above)
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _execute(sql)
    assert AccessLog.objects.get().route == "clients:participant_detail"


def test_partitions_are_ready_months_ahead_and_a_month_without_one_still_logs(
    casemanager, participant
):
    assert services.access_log_partitions_add() == 0  # the migration made them
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'clients_accesslog'::regclass"
        )
        assert cursor.fetchone()[0] >= 5  # this month, three ahead, the default
    far = datetime.datetime(2199, 1, 1, tzinfo=datetime.UTC)
    services.access_log_write(
        user=casemanager,
        shown={participant.pk: {DataClass.IDENTITY: None}},
        route="r",
        path="/",
        ip=None,
        at=far,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM clients_accesslog WHERE at = %s", [far]
        )
        assert cursor.fetchone() == ("clients_accesslog_default",)


# ---------------------------------------------------------------------------------------------
# Review


def _log(user, participant, *, disclosures=None, at=None, route="clients:participant_detail"):
    classes = {DataClass.IDENTITY: None, **(disclosures or {})}
    services.access_log_write(
        user=user,
        shown={participant.pk: classes},
        route=route,
        path=f"/participants/{participant.pk}/",
        ip="192.0.2.1",
        at=at or timezone.now(),
    )


def test_the_coordinator_reviews_reads_of_their_programs_participants_only(
    client, coordinator, judge, casemanager, participant, participant2, foreign_participant
):
    _log(judge, participant)
    _log(casemanager, participant2)
    _log(casemanager, foreign_participant)
    client.force_login(coordinator)

    page = client.get(reverse("clients:access_log")).content.decode()
    assert "Ada Moss" in page
    assert "Ben Okoye" in page
    assert "Cy Vance" not in page  # another program's participant

    only_ada = client.get(
        reverse("clients:access_log"), {"participant": participant.pk}
    ).content.decode()
    assert "Ada Moss" in only_ada
    assert "Ben Okoye" not in only_ada
    by_judge = client.get(reverse("clients:access_log"), {"user": judge.pk}).content.decode()
    assert "Ada Moss" in by_judge
    assert "Ben Okoye" not in by_judge
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    later = client.get(reverse("clients:access_log"), {"start": tomorrow}).content.decode()
    assert "Ada Moss" not in later
    assert "No reads match." in later


def test_a_bad_date_range_is_refused_with_a_message(client, coordinator):
    client.force_login(coordinator)
    response = client.get(
        reverse("clients:access_log"), {"start": "2026-12-05", "end": "2026-12-01"}
    )
    assert "The last day cannot be before the first." in response.content.decode()
    edge = client.get(reverse("clients:access_log"), {"end": "9999-12-31", "older": "junk"})
    assert edge.status_code == 200
    assert "Enter a day between the years 1900 and 2999." in edge.content.decode()


def test_the_review_pages_a_long_log_by_cursor(client, coordinator, judge, participant):
    start = timezone.now() - datetime.timedelta(hours=2)
    for minute in range(55):
        _log(judge, participant, at=start + datetime.timedelta(minutes=minute))
    client.force_login(coordinator)
    first = client.get(reverse("clients:access_log"))
    assert len(first.context["page"].rows) == 50
    older = client.get(reverse("clients:access_log"), {"older": first.context["page"].older})
    assert len(older.context["page"].rows) == 5
    assert older.context["page"].older is None
    assert older.context["page"].rows[0].at < first.context["page"].rows[-1].at


@pytest.mark.parametrize("persona", ["judge", "casemanager", "admin", "provider"])
def test_other_roles_do_not_review_the_log(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("clients:access_log")).status_code == 403


def test_administrators_see_metadata_without_participant_content(
    client, admin, coordinator, judge, participant, program
):
    consent = consent_to(participant, (program, Role.JUDGE))
    _log(judge, participant, disclosures={DataClass.PLAN_SUMMARY: consent.pk})
    client.force_login(admin)

    response = client.get(reverse("clients:access_log_metadata"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "clients:participant_detail" in page
    assert judge.username in page
    assert response.context["page"].rows[0]["participants"] == 1
    for content in ("Moss", "Ada", f"/participants/{participant.pk}/", "plan_summary"):
        assert content not in page
    client.force_login(coordinator)
    assert client.get(reverse("clients:access_log_metadata")).status_code == 403


# ---------------------------------------------------------------------------------------------
# Accounting of disclosures (issue 18)


def test_the_coordinator_lists_and_prints_a_participants_disclosures(
    client, coordinator, judge, casemanager, program, participant
):
    consent = consent_to(participant, (program, Role.JUDGE))
    _log(casemanager, participant)  # the treatment program: no disclosure
    _log(judge, participant, disclosures={DataClass.PLAN_SUMMARY: consent.pk})
    client.force_login(coordinator)

    listing = client.get(reverse("clients:disclosures", args=[participant.pk]))
    assert listing.status_code == 200
    entries = listing.context["entries"]
    assert len(entries) == 1
    assert entries[0].recipient == judge
    assert entries[0].data_classes == [("Plan summary", consent)]
    page = listing.content.decode()
    assert f"no. {consent.pk}, signed 2020-01-01" in page

    printed = client.get(reverse("clients:disclosures_print", args=[participant.pk]))
    text = printed.content.decode()
    assert "Accounting of disclosures for Ada Moss" in text
    assert str(judge) in text
    assert "Plan summary" in text


@pytest.mark.parametrize("persona", ["judge", "casemanager", "admin", "provider"])
def test_only_the_programs_coordinators_open_the_accounting(client, request, persona, participant):
    client.force_login(request.getfixturevalue(persona))
    for name in ("clients:disclosures", "clients:disclosures_print"):
        assert client.get(reverse(name, args=[participant.pk])).status_code == 404


def test_another_programs_coordinator_gets_404(client, coordinator, foreign_participant):
    client.force_login(coordinator)
    url = reverse("clients:disclosures", args=[foreign_participant.pk])
    assert client.get(url).status_code == 404


def test_the_application_role_logs_and_adds_partitions_but_cannot_rewrite_the_log(
    casemanager, participant
):
    role = f"{connection.settings_dict['NAME']}_app"
    grant_app_role(connection, role)  # rolled back with the test's transaction
    with transaction.atomic():
        _execute(f'SET LOCAL ROLE "{role}"')
        _log(casemanager, participant)
        assert services.access_log_partitions_add(ahead=5) == 2  # as the log's owner
        for sql in ("UPDATE clients_accesslog SET route = 'x'", "TRUNCATE clients_accesslog"):
            with pytest.raises(DatabaseError), transaction.atomic():
                _execute(sql)
        transaction.set_rollback(True)


def test_lists_log_each_participant_they_show_in_one_insert(
    client, casemanager, participant, participant2, program
):
    assign(participant2, casemanager)
    client.force_login(casemanager)
    client.get(reverse("clients:participant_list"))
    rows = AccessLog.objects.filter(route="clients:participant_list")
    assert sorted(rows.values_list("participant_id", flat=True)) == sorted(
        [participant.pk, participant2.pk]
    )
    assert {"identity", "enrollment"} <= set(rows.first().data_class_values)
    assert len({row.at for row in rows}) == 1  # one request, one INSERT


def test_the_summarys_facts_are_logged_for_its_participants(judge, participant, program):
    assert access.participants_showing(judge, [participant.pk], DataClass.DRUG_TESTS, program.pk)
    assert access.shown(judge)[participant.pk] == {DataClass.DRUG_TESTS: None}


def test_a_consent_noted_once_in_a_request_stays(judge, program, participant):
    consent = consent_to(participant, (program, Role.JUDGE))
    assert access.can_see(judge, participant, DataClass.DRUG_TESTS)
    access.note_shown(judge, [(participant.pk, DataClass.DRUG_TESTS)])  # a list, later
    assert access.shown(judge)[participant.pk][DataClass.DRUG_TESTS] == consent.pk
