"""Units of service: counts and minutes per case management function, per case manager and per
participant, on a page and as CSV."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import services
from clients.access import DataClass
from clients.models import AccessLog
from clients.services import ContactData
from reports import selectors
from tests.conftest import enrolled
from tests.factories import assign, logged_classes

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")  # the fixture programs' time zone
NOW = datetime.datetime(2026, 3, 31, 18, 0, tzinfo=CHICAGO)
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
FUNCTIONS = ("assessment", "planning", "linking", "monitoring", "advocacy")


def log(participant, author, *, on=datetime.date(2026, 3, 10), at=datetime.time(12), **fields):
    data = {
        "occurred_at": datetime.datetime.combine(on, at, tzinfo=CHICAGO),
        "kind": "in_person",
        "duration_minutes": 30,
        "primary_function": "monitoring",
        "narrative": "Talked through the week.",
        **fields,
    }
    return services.contact_log(
        participant=participant, data=ContactData(**data), actor=author, now=NOW
    )


def report(
    user,
    by="case_manager",
    start=datetime.date(2026, 3, 1),
    end=datetime.date(2026, 3, 31),
    **filters,
):
    with timezone.override(CHICAGO):
        return list(selectors.units_of_service(user, start=start, end=end, by=by, **filters))


def tallies(row):
    return {tally.function.value: (tally.units, tally.minutes) for tally in row.tallies}


# ---------------------------------------------------------------------------------------------
# The numbers


def test_primary_function_gets_the_minutes_and_further_functions_a_unit_each(
    casemanager, participant
):
    log(participant, casemanager, primary_function="monitoring", other_functions=["planning"])

    [row] = report(casemanager)

    assert tallies(row) == {
        "assessment": (0, 0),
        "planning": (1, 0),
        "linking": (0, 0),
        "monitoring": (1, 30),
        "advocacy": (0, 0),
    }
    assert (row.contacts, row.total_units, row.total_minutes) == (1, 2, 30)
    assert row.name == casemanager.get_full_name()


def test_contacts_add_up_per_function(casemanager, participant):
    log(participant, casemanager, primary_function="monitoring", duration_minutes=30)
    log(participant, casemanager, primary_function="monitoring", duration_minutes=15)
    log(participant, casemanager, primary_function="linking", other_functions=["monitoring"])

    [row] = report(casemanager)

    assert tallies(row)["monitoring"] == (3, 45)
    assert tallies(row)["linking"] == (1, 30)
    assert (row.contacts, row.total_units, row.total_minutes) == (3, 4, 75)


def test_notes_entered_in_error_do_not_count(casemanager, participant):
    log(participant, casemanager, duration_minutes=20)
    wrong = log(participant, casemanager, duration_minutes=45)
    services.contact_mark_entered_in_error(
        contact=wrong, reason="Written on the wrong participant.", actor=casemanager
    )

    [row] = report(casemanager)

    assert tallies(row)["monitoring"] == (1, 20)


def test_the_date_range_includes_both_ends_in_the_program_time_zone(casemanager, participant):
    log(participant, casemanager, on=datetime.date(2026, 2, 28), at=datetime.time(23, 59))
    log(participant, casemanager, on=datetime.date(2026, 3, 1), at=datetime.time(0, 0))
    log(participant, casemanager, on=datetime.date(2026, 3, 15), at=datetime.time(23, 59))
    log(participant, casemanager, on=datetime.date(2026, 3, 16), at=datetime.time(0, 0))

    [row] = report(casemanager, start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 15))

    assert row.contacts == 2


def test_a_participant_row_adds_up_every_author_for_a_coordinator(
    coordinator, casemanager, casemanager2, participant
):
    assign(participant, casemanager2)
    log(participant, casemanager, duration_minutes=30)
    log(participant, casemanager2, primary_function="advocacy", duration_minutes=10)

    [row] = report(coordinator, by="participant")

    assert row.name == "Moss, Ada"
    assert tallies(row)["monitoring"] == (1, 30)
    assert tallies(row)["advocacy"] == (1, 10)


# ---------------------------------------------------------------------------------------------
# Who sees whose numbers


def test_case_manager_sees_only_their_own_numbers_on_a_shared_participant(
    casemanager, casemanager2, participant
):
    assign(participant, casemanager2)
    log(participant, casemanager, duration_minutes=30)
    log(participant, casemanager2, duration_minutes=50)

    by_case_manager = report(casemanager)
    by_participant = report(casemanager, by="participant")

    assert [(row.pk, row.total_minutes) for row in by_case_manager] == [(casemanager.pk, 30)]
    assert [(row.pk, row.total_minutes) for row in by_participant] == [(participant.pk, 30)]


def test_coordinator_sees_every_case_manager_and_participant_of_the_program(
    coordinator, casemanager, casemanager2, participant, participant2, foreign_participant
):
    log(participant, casemanager, duration_minutes=30)
    log(participant2, casemanager2, duration_minutes=50)
    outsider = foreign_participant.assignments.get().user
    log(foreign_participant, outsider, duration_minutes=70)

    by_case_manager = report(coordinator)
    by_participant = report(coordinator, by="participant")

    assert {(row.pk, row.total_minutes) for row in by_case_manager} == {
        (casemanager.pk, 30),
        (casemanager2.pk, 50),
    }
    assert {(row.pk, row.total_minutes) for row in by_participant} == {
        (participant.pk, 30),
        (participant2.pk, 50),
    }


def test_the_program_filter_narrows_to_its_participants(
    coordinator, casemanager, participant, other_program
):
    log(participant, casemanager)

    assert len(report(coordinator, program=participant.enrollments.get().program)) == 1
    assert report(coordinator, program=other_program) == []


@pytest.mark.parametrize("persona", ["judge", "provider", "admin", "probation", "evaluator"])
def test_other_roles_are_refused(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    for name in ("reports:units_of_service", "reports:units_of_service_csv"):
        assert client.get(reverse(name), MARCH).status_code == 403


def test_case_manager_page_shows_only_their_row(
    client, casemanager, casemanager2, participant, participant2
):
    log(participant, casemanager, duration_minutes=30)
    log(participant2, casemanager2, duration_minutes=50)
    client.force_login(casemanager)

    page = client.get(reverse("reports:units_of_service"), MARCH).content.decode()

    assert casemanager.get_full_name() in page
    assert casemanager2.get_full_name() not in page


def test_coordinator_page_per_participant_links_each_participant(
    client, coordinator, casemanager, casemanager2, participant, participant2, foreign_participant
):
    log(participant, casemanager)
    log(participant2, casemanager2)
    log(foreign_participant, foreign_participant.assignments.get().user)
    client.force_login(coordinator)

    page = client.get(
        reverse("reports:units_of_service"), {**MARCH, "by": "participant"}
    ).content.decode()

    assert reverse("clients:participant_detail", args=[participant.pk]) in page
    assert reverse("clients:participant_detail", args=[participant2.pk]) in page
    assert "Vance" not in page


def test_navigation_offers_the_report_to_case_managers_not_judges(client, casemanager, judge):
    client.force_login(casemanager)
    assert "Units of service" in client.get(reverse("home")).content.decode()

    client.force_login(judge)
    assert "Units of service" not in client.get(reverse("home")).content.decode()


# ---------------------------------------------------------------------------------------------
# The filters


def test_page_defaults_to_this_month_so_far(client, casemanager, participant, time_machine):
    time_machine.move_to(NOW, tick=False)
    log(participant, casemanager, on=datetime.date(2026, 3, 1))
    log(participant, casemanager, on=datetime.date(2026, 2, 27))
    client.force_login(casemanager)

    response = client.get(reverse("reports:units_of_service"))

    assert response.context["form"].cleaned_data["start"] == datetime.date(2026, 3, 1)
    assert [row.contacts for row in response.context["page"]] == [1]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "The end date must be on or after"),
        ({"start": "2025-01-01", "end": "2026-03-01"}, "Choose a range of at most 366 days."),
        ({"start": "2026-03-01", "end": "someday"}, "Enter a valid date."),
        ({**MARCH, "by": "team"}, "Select a valid choice."),
    ],
)
def test_bad_filters_are_explained_and_show_no_numbers(
    client, casemanager, participant, filters, message
):
    log(participant, casemanager)
    client.force_login(casemanager)

    response = client.get(reverse("reports:units_of_service"), filters)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["page"] is None
    assert "Download CSV" not in response.content.decode()


def test_a_full_leap_year_is_allowed(client, casemanager):
    client.force_login(casemanager)

    response = client.get(
        reverse("reports:units_of_service"), {"start": "2028-01-01", "end": "2028-12-31"}
    )

    assert response.context["form"].is_valid()


def test_a_program_the_user_does_not_work_in_is_refused(client, coordinator, other_program):
    client.force_login(coordinator)

    response = client.get(
        reverse("reports:units_of_service"), {**MARCH, "program": other_program.pk}
    )

    assert "Select a valid choice." in response.content.decode()
    assert response.context["page"] is None


def test_empty_range_says_so(client, casemanager, participant):
    client.force_login(casemanager)

    page = client.get(reverse("reports:units_of_service"), MARCH).content.decode()

    assert "No contacts between Mar 1, 2026 and Mar 31, 2026." in page


# ---------------------------------------------------------------------------------------------
# The CSV


def test_csv_has_a_header_and_one_row_per_case_manager(
    client, coordinator, casemanager, casemanager2, participant, participant2
):
    log(participant, casemanager, primary_function="monitoring", other_functions=["planning"])
    log(participant2, casemanager2, primary_function="assessment", duration_minutes=90)
    client.force_login(coordinator)

    response = client.get(reverse("reports:units_of_service_csv"), MARCH)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="units-of-service-case_manager-2026-03-01-2026-03-31.csv"'
    )
    header, *rows = csv.reader(io.StringIO(response.content.decode()))
    assert header == [
        "Case manager",
        *(f"{f.title()} {measure}" for f in FUNCTIONS for measure in ("units", "minutes")),
        "Contacts",
        "Total units",
        "Total minutes",
    ]
    # name; units, minutes of assessment, planning, linking, monitoring, advocacy; contacts;
    # total units, total minutes
    assert sorted(",".join(row) for row in rows) == sorted(
        [
            f"{casemanager.get_full_name()},0,0,1,0,0,0,1,30,0,0,1,2,30",
            f"{casemanager2.get_full_name()},1,90,0,0,0,0,0,0,0,0,1,1,90",
        ]
    )


def test_csv_per_participant_has_every_row_beyond_a_page(client, casemanager, participant, program):
    for _ in range(30):
        person = enrolled(program, creator=casemanager)
        assign(person, casemanager)
        log(person, casemanager)
    client.force_login(casemanager)

    response = client.get(reverse("reports:units_of_service_csv"), {**MARCH, "by": "participant"})

    header, *rows = csv.reader(io.StringIO(response.content.decode()))
    assert header[0] == "Participant"
    assert len(rows) == 30


@pytest.mark.parametrize("route", ["reports:units_of_service", "reports:units_of_service_csv"])
def test_rows_per_participant_are_logged_per_case_manager_not(
    client, casemanager, participant, route
):
    log(participant, casemanager)
    client.force_login(casemanager)

    client.get(reverse(route), {**MARCH, "by": "case_manager"})
    assert not AccessLog.objects.exists()
    client.get(reverse(route), {**MARCH, "by": "participant"})

    assert logged_classes(casemanager, participant, route) == {
        DataClass.IDENTITY,
        DataClass.CASE_NOTES,
    }


def test_csv_quotes_names_a_spreadsheet_would_run_as_formulas(client, casemanager, participant):
    casemanager.first_name, casemanager.last_name = "=HYPERLINK(1)", ""
    casemanager.save()
    log(participant, casemanager)
    client.force_login(casemanager)

    response = client.get(reverse("reports:units_of_service_csv"), MARCH)

    assert "\n'=HYPERLINK(1)," in response.content.decode()


def test_csv_with_bad_filters_sends_back_to_the_page(client, casemanager):
    client.force_login(casemanager)
    filters = {"start": "2026-03-10", "end": "2026-03-01", "by": "participant"}

    response = client.get(reverse("reports:units_of_service_csv"), filters)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:units_of_service") + "?")
    assert "end=2026-03-01" in response["Location"]


def test_download_link_keeps_the_filters(client, casemanager):
    client.force_login(casemanager)

    page = client.get(
        reverse("reports:units_of_service"), {**MARCH, "by": "participant"}
    ).content.decode()

    csv_url = reverse("reports:units_of_service_csv")
    assert f"{csv_url}?start=2026-03-01&amp;end=2026-03-31&amp;by=participant" in page


# ---------------------------------------------------------------------------------------------
# Query count


def page_queries(client, rows, django_assert_num_queries):
    # session, user, the user's first program (their today, for the default dates), paginator
    # count, page rows (reach, programs and enrollments as subqueries), the program choices of
    # the filter form, the access log's rows (one INSERT)
    with django_assert_num_queries(7):
        response = client.get(reverse("reports:units_of_service"), {**MARCH, "by": "participant"})
    assert f"{rows} in all" in response.content.decode()


def test_page_query_count_is_the_same_for_1_and_20_rows(
    client, coordinator, casemanager, participant, program, django_assert_num_queries
):
    log(participant, casemanager)
    client.force_login(coordinator)
    page_queries(client, 1, django_assert_num_queries)

    for _ in range(19):
        person = enrolled(program, creator=casemanager)
        assign(person, casemanager)
        log(person, casemanager, other_functions=["planning", "linking"])

    page_queries(client, 20, django_assert_num_queries)
