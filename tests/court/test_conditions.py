"""Court orders and conditions (issue 17): recorded by whoever changes the participant's
conditions (case manager, assigned probation officer, coordinator), read by the court view,
lifted early with a reason; a violation is an incident tied to the condition, and reported to
the court it is a concern on the summary and a behaviour the response matrix answers. Bad
input says why and saves nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import EnrollmentStatus, Incident, IncidentCategory
from compliance.rules import Colour
from court import services
from court.models import Condition, ConditionKind, ConditionViolation
from drugcourt.models import Behaviour
from drugcourt.selectors import program_today
from tests.court.builders import on_docket, session_on
from tests.factories import settings_since_2020

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
RECORDERS = ("casemanager", "probation_assigned", "coordinator")
# See the participant's conditions without changing them, or not at all.
REFUSED = ("judge", "clerk", "prosecutor", "defence_assigned", "casemanager2", "provider_treating")


@pytest.fixture
def today(program):
    return program_today(program)


@pytest.fixture
def enrollment(participant):
    return participant.enrollments.get()


def record(enrollment, actor, **fields):
    values = {
        "kind": ConditionKind.CURFEW,
        "terms": "Home from 22:00 to 06:00.",
        "starts_on": enrollment.entry_date,
    } | fields
    return services.condition_record(enrollment=enrollment, actor=actor, **values)


def violate(condition, actor, day, *, reported=True):
    return services.condition_violation_record(
        condition=condition,
        occurred_on=day,
        description="Out at 23:30.",
        severity="low",
        reported_to_court=reported,
        actor=actor,
    )


# ---------------------------------------------------------------------------------------------
# Who records


@pytest.mark.parametrize("persona", RECORDERS)
def test_the_team_records_a_condition(request, enrollment, persona, today):
    condition = record(enrollment, request.getfixturevalue(persona), ends_on=today + 30 * DAY)

    assert (condition.kind, condition.participant_id) == ("curfew", enrollment.participant_id)
    assert condition.in_force_on(today)


@pytest.mark.parametrize("persona", REFUSED)
def test_others_do_not(request, enrollment, persona):
    with pytest.raises(ValidationError, match="You may not record conditions"):
        record(enrollment, request.getfixturevalue(persona))
    assert not Condition.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"terms": "  "}, "terms", "Say what the condition requires"),
        ({"kind": "house_arrest"}, "kind", "Choose a kind of condition"),
        ({"ends_on": datetime.date(2020, 1, 1)}, "ends_on", "cannot end before it starts"),
    ],
)
def test_bad_conditions_say_why_and_save_nothing(enrollment, casemanager, fields, field, message):
    with pytest.raises(ValidationError) as refusal:
        record(enrollment, casemanager, **fields)

    assert message in refusal.value.message_dict[field][0]
    assert not Condition.objects.exists()


def test_no_new_condition_for_a_closed_enrollment(enrollment, casemanager):
    type(enrollment).objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.WITHDRAWN)
    enrollment.refresh_from_db()

    with pytest.raises(ValidationError, match="The enrollment is withdrawn"):
        record(enrollment, casemanager)
    assert not Condition.objects.exists()


# ---------------------------------------------------------------------------------------------
# Lifting


def test_a_condition_is_lifted_once_with_a_reason(enrollment, casemanager, today):
    condition = record(enrollment, casemanager)

    with pytest.raises(ValidationError, match="Say why"):
        services.condition_lift(condition=condition, lifted_on=today, reason=" ", actor=casemanager)
    with pytest.raises(ValidationError, match="from today or an earlier day"):
        services.condition_lift(
            condition=condition, lifted_on=today + DAY, reason="Modified.", actor=casemanager
        )
    services.condition_lift(
        condition=condition, lifted_on=today, reason="The court modified it.", actor=casemanager
    )
    with pytest.raises(ValidationError, match="was lifted on"):
        services.condition_lift(
            condition=condition, lifted_on=today, reason="Again.", actor=casemanager
        )

    condition.refresh_from_db()
    assert (condition.lifted_on, condition.lift_reason) == (today, "The court modified it.")
    assert condition.in_force_on(today - DAY)
    assert not condition.in_force_on(today)


# ---------------------------------------------------------------------------------------------
# Violations


def test_a_curfew_violation_is_a_curfew_incident_and_another_a_condition_violation(
    enrollment, probation_assigned, today
):
    curfew = record(enrollment, probation_assigned)
    no_contact = record(enrollment, probation_assigned, kind=ConditionKind.NO_CONTACT, terms="J.")

    violate(curfew, probation_assigned, today)
    violate(no_contact, probation_assigned, today - DAY, reported=False)

    assert sorted(Incident.objects.values_list("category", "reported_to_court")) == [
        (IncidentCategory.CONDITION_VIOLATION, False),
        (IncidentCategory.CURFEW_VIOLATION, True),
    ]
    assert ConditionViolation.objects.get(condition=curfew).incident.occurred_on == today


def test_no_violation_on_a_day_the_condition_was_not_in_force(enrollment, casemanager, today):
    condition = record(enrollment, casemanager, starts_on=today - 10 * DAY, ends_on=today - 5 * DAY)

    with pytest.raises(ValidationError) as refusal:
        violate(condition, casemanager, today - 2 * DAY)

    assert "was not in force on" in refusal.value.message_dict["occurred_on"][0]
    assert not Incident.objects.exists()


def test_a_violation_reported_to_the_court_shows_on_the_summary(
    client, program, judge, casemanager, enrollment, today
):
    settings_since_2020(program)
    session = session_on(program, today, judge=judge)
    on_docket(session, enrollment)
    no_contact = record(
        enrollment, casemanager, kind=ConditionKind.NO_CONTACT, terms="No contact with J. Doe."
    )
    lifted = record(enrollment, casemanager, kind=ConditionKind.TRAVEL, terms="Stay in county.")
    services.condition_lift(condition=lifted, lifted_on=today, reason="Done.", actor=casemanager)
    violate(no_contact, casemanager, today - DAY)

    client.force_login(judge)
    response = client.get(reverse("court:summary", args=[session.pk]))

    (row,) = response.context["rows"]
    assert row.conditions == (no_contact,)
    assert row.verdict.colour == Colour.YELLOW
    assert row.verdict.reasons == (f"Violated a court condition on {today - DAY:%b %-d}",)
    assert (row.suggestion.behaviour, row.suggestion.option.name) == (
        Behaviour.CONDITION_VIOLATION,
        "Verbal warning",
    )
    page = response.content.decode()
    assert "No-contact order: No contact with J. Doe." in page
    assert "Stay in county." not in page


# ---------------------------------------------------------------------------------------------
# Pages


def test_the_participant_page_lists_conditions_for_the_court_view(
    client, participant, casemanager, judge, provider_treating, enrollment
):
    record(enrollment, casemanager, terms="Home by ten.")
    detail = reverse("clients:participant_detail", args=[participant.pk])

    client.force_login(judge)
    page = client.get(detail).content.decode()
    assert "Home by ten." in page
    assert reverse("court:condition_add", args=[participant.pk]) not in page
    client.force_login(provider_treating)
    assert "Home by ten." not in client.get(detail).content.decode()
    client.force_login(casemanager)
    assert (
        reverse("court:condition_add", args=[participant.pk]) in client.get(detail).content.decode()
    )


def test_the_pages_record_lift_and_violate(client, participant, casemanager, enrollment, today):
    client.force_login(casemanager)

    added = client.post(
        reverse("court:condition_add", args=[participant.pk]),
        {
            "enrollment": enrollment.pk,
            "kind": "area",
            "terms": "Not within 500 ft of 4th Street.",
            "starts_on": today - 3 * DAY,
            "ends_on": "",
        },
    )
    condition = Condition.objects.get()
    violated = client.post(
        reverse("court:condition_violation", args=[condition.pk]),
        {
            "occurred_on": today - DAY,
            "severity": "moderate",
            "description": "Seen on 4th Street.",
            "reported_to_court": "on",
        },
    )
    lifted = client.post(
        reverse("court:condition_lift", args=[condition.pk]),
        {"lifted_on": today, "reason": "Order modified."},
    )

    assert [r.status_code for r in (added, violated, lifted)] == [302, 302, 302]
    condition.refresh_from_db()
    assert condition.lifted_on == today
    assert condition.violations.get().incident.description == "Seen on 4th Street."


def test_a_bad_form_keeps_what_was_typed(client, participant, casemanager, enrollment, today):
    client.force_login(casemanager)

    response = client.post(
        reverse("court:condition_add", args=[participant.pk]),
        {
            "enrollment": enrollment.pk,
            "kind": "curfew",
            "terms": "Home by ten.",
            "starts_on": today,
            "ends_on": today - DAY,
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "A condition cannot end before it starts." in page
    assert "Home by ten." in page
    assert not Condition.objects.exists()


@pytest.mark.parametrize("persona", ["judge", "casemanager2", "provider_treating", "defence"])
def test_outsiders_cannot_post_a_violation(client, request, enrollment, casemanager, persona):
    condition = record(enrollment, casemanager)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        reverse("court:condition_violation", args=[condition.pk]),
        {"occurred_on": condition.starts_on, "severity": "low", "description": "Out late."},
    )

    assert response.status_code == 404
    assert not Incident.objects.exists()
