"""The response matrix (issue 16): behaviour × phase × prior occurrences → a suggested response
of the same settings version's catalogue."""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from drugcourt import services
from drugcourt.models import Behaviour, ResponseRule
from drugcourt.selectors import program_settings_in_force, response_suggestion
from drugcourt.services import ResponseRuleData as Rule
from tests.factories import settings_since_2020

TODAY = datetime.date(2026, 3, 2)
APRIL = datetime.date(2026, 4, 1)
POSITIVE, MISSED = Behaviour.POSITIVE_TEST, Behaviour.MISSED_TEST


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def settings_today(program, coordinator):
    """Today's version: the default phases, catalogue and matrix, as program_create makes."""
    for change, topic in (
        (services.program_settings_change_phases, {"phases": list(services.DEFAULT_PHASES)}),
        (
            services.program_settings_change_response_catalogue,
            {"options": list(services.DEFAULT_RESPONSE_CATALOGUE)},
        ),
        (
            services.program_settings_change_response_matrix,
            {"rules": list(services.DEFAULT_RESPONSE_MATRIX)},
        ),
    ):
        change(
            program=program, effective_from=TODAY, change_note="initial", actor=coordinator, **topic
        )
    return program_settings_in_force(program, TODAY)


def matrix(version):
    return sorted(
        (r.behaviour, r.phase, r.occurrences_from, r.occurrences_to, r.option.name)
        for r in version.response_rules.select_related("option")
    )


def change_matrix(program, coordinator, rules, effective_from=APRIL):
    return services.program_settings_change_response_matrix(
        program=program,
        effective_from=effective_from,
        rules=rules,
        change_note="Graduated responses",
        actor=coordinator,
    )


# ---------------------------------------------------------------------------------------------
# The default


def test_a_new_program_starts_with_the_default_matrix(admin, organizations):
    program = services.program_create(
        name="Riverbend Drug Court",
        court=organizations["court"],
        jurisdiction="Riverbend",
        time_zone="America/Denver",
        actor=admin,
    )

    version = program.settings_versions.get()
    assert len(matrix(version)) == len(services.DEFAULT_RESPONSE_MATRIX)
    today = version.effective_from
    second_positive = response_suggestion(program, today, POSITIVE, 1, 1)
    assert (second_positive.name, second_positive.category) == (
        "Increased treatment",
        "therapeutic",
    )
    assert response_suggestion(program, today, Behaviour.NEGATIVE_TESTS, 3, 5).name == "Gift card"
    assert response_suggestion(program, today, Behaviour.FAILURE_TO_APPEAR, 2, 1).name == "Jail"


def test_every_default_rule_answers_with_its_own_kind_of_response():
    categories = {o.name: o.category for o in services.DEFAULT_RESPONSE_CATALOGUE}
    for rule in services.DEFAULT_RESPONSE_MATRIX:
        is_incentive = categories[rule.option] == "incentive"
        assert is_incentive == Behaviour(rule.behaviour).is_achievement, rule


# ---------------------------------------------------------------------------------------------
# Overlapping rules


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Same phase, ranges sharing 2.
        (Rule(POSITIVE, 2, 0, 2, "Verbal warning"), Rule(POSITIVE, 2, 2, 3, "Essay")),
        # Any phase covers phase 3.
        (Rule(POSITIVE, None, 1, 1, "Verbal warning"), Rule(POSITIVE, 3, 0, 4, "Essay")),
        # "1 or more" covers 5 to 6.
        (Rule(MISSED, 1, 1, None, "Verbal warning"), Rule(MISSED, 1, 5, 6, "Essay")),
        # Two open ranges always meet.
        (Rule(MISSED, None, 4, None, "Verbal warning"), Rule(MISSED, None, 9, None, "Essay")),
    ],
)
def test_overlapping_rules_are_refused_naming_both_and_nothing_changes(
    settings_today, program, coordinator, first, second
):
    before = matrix(settings_today)
    unrelated = Rule(Behaviour.NEW_ARREST, None, 0, None, "Jail")

    with pytest.raises(ValidationError) as refusal:
        change_matrix(program, coordinator, [first, unrelated, second], effective_from=TODAY)

    message = refusal.value.messages[0]
    assert f"Rule 1 ({first.describe()})" in message
    assert f"rule 3 ({second.describe()})" in message
    assert "both answer the same behaviour, phase and prior occurrences" in message
    assert matrix(program_settings_in_force(program, TODAY)) == before


def test_a_refused_matrix_for_a_new_date_makes_no_version(settings_today, program, coordinator):
    rules = [Rule(POSITIVE, None, 0, 2, "Essay"), Rule(POSITIVE, None, 2, None, "Jail")]

    with pytest.raises(ValidationError):
        change_matrix(program, coordinator, rules)

    assert program.settings_versions.count() == 1


def test_rules_meeting_only_at_their_edges_or_in_other_cells_are_kept(
    settings_today, program, coordinator
):
    rules = [
        Rule(POSITIVE, 1, 0, 1, "Increased treatment"),
        Rule(POSITIVE, 1, 2, None, "Increased testing"),  # follows on at 2
        Rule(POSITIVE, 2, 0, None, "Essay"),  # another phase
        Rule(MISSED, None, 0, None, "Verbal warning"),  # another behaviour
    ]

    april = change_matrix(program, coordinator, rules)

    assert len(matrix(april)) == 4
    assert matrix(settings_today) == matrix(program_settings_in_force(program, TODAY))


# ---------------------------------------------------------------------------------------------
# Each rule against its version's catalogue and phases


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule(POSITIVE, None, 0, None, "Boot camp"), "not in the catalogue in force from"),
        (
            Rule(POSITIVE, None, 0, None, "Gift card"),
            "answered by a sanction or a therapeutic adjustment, and “Gift card” is an incentive",
        ),
        (
            Rule(Behaviour.NEGATIVE_TESTS, None, 0, None, "Jail"),
            "answered by an incentive, and “Jail” is a sanction",
        ),
        (Rule(POSITIVE, 6, 0, None, "Essay"), "a phase the program does not have: it has 5"),
        (Rule(POSITIVE, None, 3, 2, "Essay"), "the second number not below the first"),
        (Rule("relapse", None, 0, None, "Essay"), "“relapse” is not a behaviour we know"),
    ],
)
def test_a_rule_outside_its_versions_catalogue_or_phases_is_refused(
    settings_today, program, coordinator, rule, message
):
    with pytest.raises(ValidationError) as refusal:
        change_matrix(program, coordinator, [Rule(MISSED, None, 0, None, "Essay"), rule])

    assert message in refusal.value.messages[0]
    assert program.settings_versions.count() == 1


def test_the_catalogue_checked_is_that_of_the_version_changed(settings_today, program, coordinator):
    """A response added to the catalogue from April may be named from April, not before."""
    options = [*services.DEFAULT_RESPONSE_CATALOGUE]
    options.append(services.ResponseOptionData("Weekend pass", "incentive"))
    services.program_settings_change_response_catalogue(
        program=program, effective_from=APRIL, options=options, change_note="", actor=coordinator
    )
    rules = [Rule(Behaviour.FULL_ATTENDANCE, None, 0, None, "Weekend pass")]

    with pytest.raises(ValidationError, match="not in the catalogue in force from 2026-03-02"):
        change_matrix(program, coordinator, rules, effective_from=TODAY)
    change_matrix(program, coordinator, rules, effective_from=APRIL)

    assert response_suggestion(program, APRIL, Behaviour.FULL_ATTENDANCE, 1, 0).name == (
        "Weekend pass"
    )


# ---------------------------------------------------------------------------------------------
# A new version carries the matrix over; catalogue and phase changes keep it whole


def test_another_topic_carries_the_matrix_over_to_the_new_versions_catalogue(
    settings_today, program, coordinator
):
    april = services.program_settings_change_note_format(
        program=program, effective_from=APRIL, note_format="dap", change_note="", actor=coordinator
    )

    assert april.pk != settings_today.pk
    assert matrix(april) == matrix(settings_today)
    assert set(april.response_rules.values_list("option__settings", flat=True)) == {april.pk}
    assert len(matrix(settings_today)) == len(services.DEFAULT_RESPONSE_MATRIX)


def test_a_rule_follows_its_response_when_the_catalogue_changes_its_kind(
    settings_today, program, coordinator
):
    options = [
        services.ResponseOptionData("Essay", "therapeutic", "none")
        if option.name == "Essay"
        else option
        for option in services.DEFAULT_RESPONSE_CATALOGUE
    ]

    april = services.program_settings_change_response_catalogue(
        program=program, effective_from=APRIL, options=options, change_note="", actor=coordinator
    )

    essay = response_suggestion(program, APRIL, MISSED, 1, 1)
    assert (essay.name, essay.category, essay.settings_id) == ("Essay", "therapeutic", april.pk)
    assert matrix(april) == matrix(settings_today)


def test_dropping_a_response_the_matrix_suggests_is_refused(settings_today, program, coordinator):
    options = [o for o in services.DEFAULT_RESPONSE_CATALOGUE if o.name != "Curfew"]

    with pytest.raises(ValidationError) as refusal:
        services.program_settings_change_response_catalogue(
            program=program,
            effective_from=APRIL,
            options=options,
            change_note="",
            actor=coordinator,
        )

    assert "New arrest, any phase, 0 prior → Curfew" in refusal.value.messages[0]
    assert program.settings_versions.count() == 1
    assert matrix(program_settings_in_force(program, TODAY)) == matrix(settings_today)


def test_dropping_a_phase_a_rule_names_is_refused(settings_today, program, coordinator):
    change_matrix(program, coordinator, [Rule(POSITIVE, 5, 0, None, "Essay")], TODAY)

    with pytest.raises(ValidationError, match="a phase this list no longer has"):
        services.program_settings_change_phases(
            program=program,
            effective_from=APRIL,
            phases=list(services.DEFAULT_PHASES[:4]),
            change_note="",
            actor=coordinator,
        )

    assert program.settings_versions.count() == 1


# ---------------------------------------------------------------------------------------------
# Suggestions


@pytest.fixture
def graduated(settings_today, program, coordinator):
    change_matrix(
        program,
        coordinator,
        [
            Rule(POSITIVE, None, 0, 0, "Additional case manager meetings"),
            Rule(POSITIVE, None, 1, 2, "Increased treatment"),
            Rule(POSITIVE, None, 3, None, "Increased testing"),
            Rule(MISSED, 2, 0, 1, "Essay"),
        ],
    )


@pytest.mark.parametrize(
    ("behaviour", "phase", "prior", "suggested"),
    [
        (POSITIVE, 1, 0, "Additional case manager meetings"),
        (POSITIVE, 1, 1, "Increased treatment"),  # the range's first number
        (POSITIVE, 4, 2, "Increased treatment"),  # its last
        (POSITIVE, 4, 3, "Increased testing"),  # "3 or more" from 3...
        (POSITIVE, 5, 40, "Increased testing"),  # ...on
        (MISSED, 2, 1, "Essay"),
        (MISSED, 2, 2, None),  # past the range
        (MISSED, 1, 0, None),  # another phase
        (Behaviour.NEW_ARREST, 1, 0, None),  # no rule for it in April's matrix
    ],
)
def test_the_suggestion_at_the_range_boundaries(
    graduated, program, django_assert_num_queries, behaviour, phase, prior, suggested
):
    with django_assert_num_queries(1):  # the rule and its response, in April's version
        option = response_suggestion(program, APRIL, behaviour, phase, prior)

    assert (option.name if option else None) == suggested
    if option:
        assert option.settings_id == program_settings_in_force(program, APRIL).pk


def test_the_suggestion_follows_the_matrix_in_force_that_day(graduated, program):
    assert response_suggestion(program, TODAY, Behaviour.NEW_ARREST, 1, 0).name == "Curfew"
    assert response_suggestion(program, APRIL, Behaviour.NEW_ARREST, 1, 0) is None
    assert response_suggestion(program, TODAY - datetime.timedelta(days=1), POSITIVE, 1, 0) is None


def test_an_empty_matrix_suggests_nothing(settings_today, program, coordinator):
    change_matrix(program, coordinator, [], TODAY)

    assert response_suggestion(program, TODAY, POSITIVE, 1, 0) is None


# ---------------------------------------------------------------------------------------------
# The settings page


def rule_post(effective_from, rows, *, initial):
    data = {
        "effective_from": effective_from,
        "change_note": "Therapeutic answers first",
        "rules-TOTAL_FORMS": str(len(rows) + 1),  # and one empty row, left as it is
        "rules-INITIAL_FORMS": str(initial),
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        f"rules-{len(rows)}-occurrences_from": "0",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"rules-{index}-{key}"] = "" if value is None else value
    return data


def default_rule_rows():
    return [
        {
            "behaviour": r.behaviour,
            "phase": r.phase,
            "occurrences_from": r.occurrences_from,
            "occurrences_to": r.occurrences_to,
            "option": r.option,
        }
        for r in services.DEFAULT_RESPONSE_MATRIX
    ]


@pytest.fixture
def coordinator_client(client, coordinator, settings_today):
    client.force_login(coordinator)
    return client


def test_the_settings_overview_lists_the_matrix(coordinator_client, program):
    page = coordinator_client.get(reverse("core:program_settings", args=[program.pk]))

    content = page.content.decode()
    assert "Response matrix" in content
    assert "Dilute, adulterated or substituted specimen" in content
    assert "Called early on the docket" in content
    assert reverse("core:program_settings_response_matrix", args=[program.pk]) in content


def test_coordinator_changes_the_matrix_from_a_date(coordinator_client, program):
    url = reverse("core:program_settings_response_matrix", args=[program.pk])
    form = coordinator_client.get(url).content.decode()
    assert "Additional case manager meetings (therapeutic adjustment)" in form
    assert "2: Intensive treatment" in form
    rows = default_rule_rows()
    for row in rows[:3]:  # the positive test rules, for any phase
        row["DELETE"] = "on"
    rows.append(
        {"behaviour": "positive_test", "phase": 1, "occurrences_from": 0, "option": "Essay"}
    )

    response = coordinator_client.post(url, rule_post("2026-04-01", rows, initial=len(rows) - 1))

    assert response.status_code == 302
    assert response_suggestion(program, APRIL, POSITIVE, 1, 0).name == "Essay"
    assert response_suggestion(program, APRIL, POSITIVE, 2, 0) is None
    assert response_suggestion(program, TODAY, POSITIVE, 2, 0).name == (
        "Additional case manager meetings"
    )


def test_an_overlapping_rule_on_the_page_is_explained_and_nothing_changes(
    coordinator_client, program
):
    rows = default_rule_rows()
    rows.append({"behaviour": "missed_test", "phase": 3, "occurrences_from": 1, "option": "Curfew"})

    response = coordinator_client.post(
        reverse("core:program_settings_response_matrix", args=[program.pk]),
        rule_post("2026-04-01", rows, initial=len(rows) - 1),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Rule 5 (Missed or refused test, any phase, 1 prior → Essay)" in content
    added = len(rows)  # the rule appended last
    assert f"rule {added} (Missed or refused test, phase 3, 1 or more prior → Curfew)" in content
    assert program.settings_versions.count() == 1


def test_a_judge_cannot_change_the_matrix(client, judge, settings_today, program):
    client.force_login(judge)

    response = client.post(
        reverse("core:program_settings_response_matrix", args=[program.pk]),
        rule_post("2026-04-01", [], initial=0),
    )

    assert response.status_code == 403
    assert program.settings_versions.count() == 1
    assert len(matrix(settings_today)) == len(services.DEFAULT_RESPONSE_MATRIX)


# ---------------------------------------------------------------------------------------------
# The data migration


def test_the_migration_gives_versions_without_a_matrix_the_default(
    settings_today, program, other_program, coordinator
):
    bare = settings_since_2020(other_program)
    bare.response_rules.all().delete()  # a catalogue and no matrix, as before the matrix
    bare.response_options.filter(name="Jail").delete()  # renamed or dropped by the program
    change_matrix(program, coordinator, [Rule(POSITIVE, None, 0, None, "Essay")], TODAY)
    migration = importlib.import_module("drugcourt.migrations.0014_default_response_matrix")

    migration.add_default_matrix(apps, None)

    # The default as the migration froze it: condition violations came after it.
    expected = {
        r
        for r in services.DEFAULT_RESPONSE_MATRIX
        if r.option != "Jail" and r.behaviour != Behaviour.CONDITION_VIOLATION
    }
    assert {
        Rule(r.behaviour, r.phase, r.occurrences_from, r.occurrences_to, r.option.name)
        for r in ResponseRule.objects.filter(settings=bare).select_related("option")
    } == expected
    assert matrix(settings_today) == [(POSITIVE, None, 0, None, "Essay")]
