import datetime
import importlib

import pytest
import time_machine
from django.urls import reverse

from drugcourt import services
from drugcourt.selectors import program_settings_in_force

TODAY = datetime.date(2026, 3, 2)


@pytest.fixture
def coordinator_client(client, coordinator, program):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), tick=False):
        services.program_settings_change_phases(
            program=program,
            effective_from=TODAY,
            phases=services.DEFAULT_PHASES,
            change_note="initial",
            actor=coordinator,
        )
        client.force_login(coordinator)
        yield client


def phase_post(effective_from, rows, *, initial=5):
    data = {
        "effective_from": effective_from,
        "change_note": "Fewer tests in maintenance",
        "phases-TOTAL_FORMS": str(len(rows)),
        "phases-INITIAL_FORMS": str(initial),
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"phases-{index}-{key}"] = value
    return data


def default_rows():
    return [
        {
            "name": p.name,
            "description": p.description,
            "tests_per_week": p.tests_per_week,
            "hearing_interval_weeks": p.hearing_interval_weeks,
            "ORDER": n,
        }
        for n, p in enumerate(services.DEFAULT_PHASES, start=1)
    ]


def test_settings_page_shows_the_phases_in_force(coordinator_client, program):
    page = coordinator_client.get(reverse("core:program_settings", args=[program.pk]))

    assert "Stabilization" in page.content.decode()
    assert "in force" in page.content.decode()


def test_coordinator_schedules_a_phase_change_from_a_future_date(coordinator_client, program):
    rows = default_rows()
    # Phases before the last test at least the program minimum (2 a week by default).
    rows[2]["tests_per_week"], rows[4]["tests_per_week"] = 4, 2
    rows.append({"name": "Alumni", "tests_per_week": 0, "hearing_interval_weeks": 8, "ORDER": 6})

    response = coordinator_client.post(
        reverse("core:program_settings_phases", args=[program.pk]),
        phase_post("2026-04-01", rows, initial=5),
    )

    assert response.status_code == 302
    march = program_settings_in_force(program, datetime.date(2026, 3, 31))
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert [p.tests_per_week for p in march.phases.all()] == [3, 3, 2, 2, 1]
    assert [p.tests_per_week for p in april.phases.all()] == [3, 3, 4, 2, 2, 0]
    assert april.phases.last().name == "Alumni"


def test_order_and_delete_renumber_the_phases(coordinator_client, program):
    rows = default_rows()
    rows[0]["DELETE"] = "on"
    rows[1]["ORDER"], rows[2]["ORDER"] = 3, 2

    coordinator_client.post(
        reverse("core:program_settings_phases", args=[program.pk]), phase_post("2026-03-02", rows)
    )

    today = program_settings_in_force(program, TODAY)
    assert [(p.number, p.name) for p in today.phases.all()] == [
        (1, "Transition"),
        (2, "Intensive treatment"),
        (3, "Maintenance"),
        (4, "Continuing care"),
    ]


@pytest.mark.parametrize(
    ("effective_from", "change", "message"),
    [
        ("2026-03-01", {}, "A change cannot apply from a past date"),
        ("2026-04-01", {"tests_per_week": 9}, "less than or equal to 7"),
        ("2026-04-01", {"hearing_interval_weeks": 0}, "greater than or equal to 1"),
        ("2026-04-01", {"name": "Transition"}, "Two phases have the same name"),
        ("not a date", {}, "Enter a valid date."),
    ],
)
def test_bad_phase_input_is_explained_and_nothing_changes(
    coordinator_client, program, effective_from, change, message
):
    rows = default_rows()
    rows[0].update(change)

    response = coordinator_client.post(
        reverse("core:program_settings_phases", args=[program.pk]),
        phase_post(effective_from, rows),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert program.settings_versions.count() == 1


def test_note_format_change_keeps_the_phase_list_of_its_date(coordinator_client, program):
    response = coordinator_client.post(
        reverse("core:program_settings_note_format", args=[program.pk]),
        {"effective_from": "2026-04-01", "change_note": "Switch to DAP", "note_format": "dap"},
    )

    assert response.status_code == 302
    march = program_settings_in_force(program, datetime.date(2026, 3, 31))
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert (march.note_format, april.note_format) == ("free_text", "dap")
    assert [p.name for p in april.phases.all()] == [p.name for p in march.phases.all()]


def test_note_format_refuses_an_unknown_format(coordinator_client, program):
    response = coordinator_client.post(
        reverse("core:program_settings_note_format", args=[program.pk]),
        {"effective_from": "2026-04-01", "change_note": "x", "note_format": "soap"},
    )

    assert "Select a valid choice" in response.content.decode()
    assert program.settings_versions.count() == 1


def test_coordinator_changes_the_eligibility_checklist_from_a_date(coordinator_client, program):
    response = coordinator_client.post(
        reverse("core:program_settings_legal_criteria", args=[program.pk]),
        {
            "effective_from": "2026-04-01",
            "change_note": "New county policy",
            "legal_criteria": "Eligible charge\n\nNo violent offense in 10 years\n",
        },
    )

    assert response.status_code == 302
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert april.legal_criteria == ["Eligible charge", "No violent offense in 10 years"]
    assert program_settings_in_force(program, datetime.date(2026, 3, 31)).legal_criteria != (
        april.legal_criteria
    )


def test_an_empty_checklist_is_refused(coordinator_client, program):
    response = coordinator_client.post(
        reverse("core:program_settings_legal_criteria", args=[program.pk]),
        {"effective_from": "2026-04-01", "change_note": "x", "legal_criteria": "  \n "},
    )

    assert "List at least one legal criterion." in response.content.decode()


def policy_post(**overrides):
    return {
        "effective_from": "2026-04-01",
        "change_note": "Stricter policy",
        "testing_panel": ["COC", "THC", "ETG"],
        "policy_positive": ["missed", "refused"],
        "urine_window_hours": "6",
        "oral_fluid_window_hours": "3",
        "draw_time": "19:30",
        "call_list_time": "05:30",
        "noncompliance_events": "3",
        "noncompliance_days": "21",
        "minimum_tests_per_week": "3",
        "detection_tail_days": "BUP=7, mtd=5",
        **overrides,
    }


def test_coordinator_changes_the_testing_policy_from_a_date(coordinator_client, program):
    url = reverse("core:program_settings_testing_policy", args=[program.pk])
    assert coordinator_client.post(url, policy_post()).status_code == 302

    march = program_settings_in_force(program, datetime.date(2026, 3, 31))
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert (march.urine_window_hours, april.urine_window_hours) == (8, 6)
    assert april.testing_panel == ["COC", "THC", "ETG"]
    assert april.policy_positive == ["missed", "refused"]
    assert april.draw_time == datetime.time(19, 30)
    assert (april.noncompliance_events, april.noncompliance_days) == (3, 21)
    assert april.minimum_tests_per_week == 3
    assert april.detection_tail_days == {"BUP": 7, "MTD": 5}
    assert [p.name for p in april.phases.all()] == [p.name for p in march.phases.all()]
    page = coordinator_client.get(reverse("core:program_settings", args=[program.pk]))
    assert "Drug testing policy" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"testing_panel": []}, "This field is required."),
        ({"urine_window_hours": "30"}, "less than or equal to 24"),
        ({"noncompliance_events": "1"}, "greater than or equal to 2"),
        ({"testing_panel": ["XYZ"]}, "Select a valid choice"),
        ({"detection_tail_days": "BUP=a week"}, "is not a substance code and days"),
        ({"detection_tail_days": "BUP=90"}, "0 to 60 days"),
    ],
)
def test_bad_testing_policy_input_is_refused(coordinator_client, program, overrides, message):
    url = reverse("core:program_settings_testing_policy", args=[program.pk])
    response = coordinator_client.post(url, policy_post(**overrides))

    assert message in response.content.decode()
    assert program.settings_versions.count() == 1


# ---------------------------------------------------------------------------------------------
# The response catalogue


def catalogue(version):
    return [(o.name, o.category, o.effect) for o in version.response_options.order_by("name")]


@pytest.fixture
def with_catalogue(coordinator_client, program, coordinator):
    services.program_settings_change_response_catalogue(
        program=program,
        effective_from=TODAY,
        options=list(services.DEFAULT_RESPONSE_CATALOGUE),
        change_note="initial",
        actor=coordinator,
    )
    return coordinator_client


def option_post(effective_from, rows, *, initial):
    data = {
        "effective_from": effective_from,
        "change_note": "Gift cards only in phase 3",
        "options-TOTAL_FORMS": str(len(rows) + 1),  # and one empty row, left as it is
        "options-INITIAL_FORMS": str(initial),
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
        f"options-{len(rows)}-effect": "none",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"options-{index}-{key}"] = value
    return data


def default_option_rows():
    return [
        {"name": o.name, "category": o.category, "effect": o.effect, "description": o.description}
        for o in services.DEFAULT_RESPONSE_CATALOGUE
    ]


def test_a_new_program_starts_with_the_default_catalogue(admin, organizations):
    program = services.program_create(
        name="Riverbend Drug Court",
        court=organizations["court"],
        jurisdiction="Riverbend",
        time_zone="America/Denver",
        actor=admin,
    )

    version = program.settings_versions.get()
    options = {o.name: (o.category, o.effect) for o in version.response_options.all()}
    assert options["Praise from the bench"] == ("incentive", "none")
    assert options["Gift card"] == ("incentive", "gift_card")
    assert options["Jail"] == ("sanction", "jail")
    assert options["Increased testing"] == ("sanction", "increased_testing")
    assert options["Increased treatment"] == ("therapeutic", "none")
    assert not any("phase" in name.lower() for name in options)
    assert version.phases.get(number=1).name == "Stabilization"


def test_settings_page_shows_the_catalogue_in_force(with_catalogue, program):
    page = with_catalogue.get(reverse("core:program_settings", args=[program.pk])).content.decode()

    assert "Response catalogue" in page
    for heading in ("Incentives", "Sanctions", "Therapeutic adjustments"):
        assert heading in page
    assert "Praise from the bench" in page
    assert "Jail (days)" in page  # the effect


def test_coordinator_changes_the_catalogue_from_a_date(with_catalogue, program):
    rows = default_option_rows()
    rows[0]["DELETE"] = "on"  # no more praise (!)
    rows[4]["description"] = "$10 at the grocery store."
    rows.append({"name": "Weekend pass", "category": "incentive", "effect": "none"})
    url = reverse("core:program_settings_response_catalogue", args=[program.pk])
    form = with_catalogue.get(url).content.decode()
    assert "Praise from the bench" in form

    response = with_catalogue.post(url, option_post("2026-04-01", rows, initial=len(rows) - 1))

    assert response.status_code == 302
    march = program_settings_in_force(program, datetime.date(2026, 3, 31))
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert ("Praise from the bench", "incentive", "none") in catalogue(march)
    assert ("Praise from the bench", "incentive", "none") not in catalogue(april)
    assert ("Weekend pass", "incentive", "none") in catalogue(april)
    assert april.response_options.get(name="Gift card").description == "$10 at the grocery store."
    assert len(catalogue(april)) == len(services.DEFAULT_RESPONSE_CATALOGUE)
    assert [p.name for p in april.phases.all()] == [p.name for p in march.phases.all()]


def test_another_topic_carries_the_catalogue_over(with_catalogue, program):
    with_catalogue.post(
        reverse("core:program_settings_note_format", args=[program.pk]),
        {"effective_from": "2026-04-01", "change_note": "Switch to DAP", "note_format": "dap"},
    )

    march = program_settings_in_force(program, datetime.date(2026, 3, 31))
    april = program_settings_in_force(program, datetime.date(2026, 4, 1))
    assert april.pk != march.pk
    assert catalogue(april) == catalogue(march)
    assert april.response_options.first().pk != march.response_options.first().pk


def test_a_change_for_today_keeps_the_rows_of_the_responses_it_keeps(
    with_catalogue, program, coordinator
):
    version = program_settings_in_force(program, TODAY)
    jail = version.response_options.get(name="Jail")
    options = [
        services.ResponseOptionData("jail", "sanction", "jail", "Only after a hearing."),
        services.ResponseOptionData("Essay", "therapeutic", "none"),
    ]

    services.program_settings_change_response_catalogue(
        program=program, effective_from=TODAY, options=options, change_note="x", actor=coordinator
    )

    assert catalogue(version) == [("Essay", "therapeutic", "none"), ("jail", "sanction", "jail")]
    jail.refresh_from_db()
    assert jail.description == "Only after a hearing."


@pytest.mark.parametrize(
    ("row", "change", "message"),
    [
        (0, {"name": "Gift Card"}, "Two responses have the same name"),
        (0, {"category": "reward"}, "Select a valid choice"),
        (0, {"effect": "fine"}, "Select a valid choice"),
        (0, {"effect": "jail"}, "is only ever a sanction"),
        (4, {"category": "sanction"}, "(amount)” is only ever an incentive"),
        (0, {"name": ""}, "This field is required"),
    ],
)
def test_bad_catalogue_input_is_explained_and_nothing_changes(
    with_catalogue, program, row, change, message
):
    rows = default_option_rows()
    rows[row].update(change)  # 0: praise from the bench, 4: gift card
    before = catalogue(program_settings_in_force(program, TODAY))

    response = with_catalogue.post(
        reverse("core:program_settings_response_catalogue", args=[program.pk]),
        option_post("2026-04-01", rows, initial=len(rows)),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert program.settings_versions.count() == 1
    assert catalogue(program_settings_in_force(program, TODAY)) == before


def test_an_empty_catalogue_is_refused(with_catalogue, program, coordinator):
    rows = [{**row, "DELETE": "on"} for row in default_option_rows()]

    response = with_catalogue.post(
        reverse("core:program_settings_response_catalogue", args=[program.pk]),
        option_post("2026-04-01", rows, initial=len(rows)),
    )

    assert "at least one response in its catalogue" in response.content.decode()
    assert program.settings_versions.count() == 1


def test_the_migration_gives_versions_without_a_catalogue_the_default(
    coordinator_client, program, other_program, coordinator
):
    """coordinator_client's version has phases and no catalogue, as before the catalogue."""
    from django.apps import apps

    from tests.factories import settings_since_2020

    kept = settings_since_2020(other_program)
    kept.response_rules.all().delete()  # as before the matrix
    kept.response_options.exclude(name="Jail").delete()
    migration = importlib.import_module("drugcourt.migrations.0012_default_response_catalogue")

    migration.add_default_catalogue(apps, None)

    version = program_settings_in_force(program, TODAY)
    assert len(catalogue(version)) == len(services.DEFAULT_RESPONSE_CATALOGUE)
    assert set(catalogue(version)) == {
        (o.name, o.category, o.effect) for o in services.DEFAULT_RESPONSE_CATALOGUE
    }
    assert catalogue(kept) == [("Jail", "sanction", "jail")]
