"""Alerts meant for the court (issue 16): a failure to appear (issue 15), a warrant served and a
new arrest reported to the court are each raised once by their service and listed on the
bench's home page; the operational alerts (a missed test, unrecorded attendance) are not."""

import pytest
from django.urls import reverse

from clients import services as client_services
from clients.access import DataClass
from clients.models import AccessLog, Alert, AlertState, IncidentCategory, IncidentSeverity
from clients.selectors import participant_today
from court import selectors, services
from court.models import COURT_ALERT_KINDS, WarrantState
from tests.factories import UserFactory, placed_on_docket


@pytest.fixture
def enrollment(participant):
    return participant.enrollments.get()


@pytest.fixture
def issued(enrollment, coordinator, judge):
    warrant = services.warrant_request(
        enrollment=enrollment, reason="Not seen for three weeks", actor=coordinator
    )
    today = participant_today(enrollment.participant)
    return services.warrant_issue(warrant=warrant, on=today, actor=judge)


def _arrest(participant, actor, *, category=IncidentCategory.NEW_ARREST, reported=True):
    return client_services.incident_record(
        participant=participant,
        occurred_on=participant_today(participant),
        category=category,
        description="Arrested for possession.",
        severity=IncidentSeverity.HIGH,
        reported_to_court=reported,
        actor=actor,
    )


def test_a_served_warrant_raises_one_alert_for_the_court(issued, coordinator, judge):
    services.warrant_serve(warrant=issued, on=issued.issued_on, actor=coordinator)

    alert = Alert.objects.get(kind="warrant_served")
    assert (alert.participant_id, alert.source_key, alert.data_class, alert.state) == (
        issued.participant_id,
        f"warrant:{issued.pk}",
        "court",
        AlertState.OPEN,
    )
    assert "Bench warrant served on" in alert.message
    assert issued.state == WarrantState.SERVED


def test_a_refused_service_raises_nothing(issued, casemanager):
    with pytest.raises(Exception, match="record that a warrant was served"):
        services.warrant_serve(warrant=issued, on=issued.issued_on, actor=casemanager)

    assert not Alert.objects.filter(kind="warrant_served").exists()


def test_a_new_arrest_reported_to_court_raises_one_alert(participant, casemanager):
    incident = _arrest(participant, casemanager)

    alert = Alert.objects.get(kind="new_arrest")
    assert (alert.source_key, alert.data_class, alert.severity) == (
        f"incident:{incident.pk}",
        "court_incidents",
        "urgent",
    )


@pytest.mark.parametrize(
    ("category", "reported"),
    [(IncidentCategory.NEW_ARREST, False), (IncidentCategory.POLICE_CONTACT, True)],
)
def test_other_incidents_raise_no_alert_for_the_court(participant, casemanager, category, reported):
    _arrest(participant, casemanager, category=category, reported=reported)

    assert not Alert.objects.filter(kind__in=COURT_ALERT_KINDS).exists()


def test_the_bench_home_lists_the_court_alerts_not_the_operational_ones(
    client, participant, casemanager, judge
):
    _arrest(participant, casemanager)
    client_services.alert_raise(
        participant=participant,
        kind="test_missed",
        source_key="test:999999",
        data_class="drug_tests",
        message="OPERATIONAL-MARKER missed test",
    )

    panel = selectors.court_alerts_panel(judge)
    client.force_login(judge)
    home = client.get(reverse("home")).content.decode()

    assert [alert.kind for alert in panel["alerts"]] == ["new_arrest"]
    assert "Alerts for the court" in home
    assert "New arrest on" in home
    assert "OPERATIONAL-MARKER" not in home
    # The panel's alert is noted for the access log: identity and the alert's own class.
    row = AccessLog.objects.get(user_id=judge.pk)
    assert row.participant_id == participant.pk
    assert {DataClass.IDENTITY, panel["alerts"][0].data_class} <= set(row.data_class_values)


def test_a_judge_of_another_program_does_not_see_a_served_warrant(
    issued, coordinator, other_program
):
    services.warrant_serve(warrant=issued, on=issued.issued_on, actor=coordinator)
    other_judge = UserFactory(roles=["judge"], programs=[other_program])

    assert selectors.court_alerts_panel(other_judge)["alerts"] == []


def test_a_failure_to_appear_is_an_alert_for_the_court(enrollment, coordinator, judge):
    entry = placed_on_docket(enrollment, coordinator=coordinator, judge=judge)
    services.hearing_record_outcome(
        entry=entry, appearance="failed_to_appear", next_hearing_on=None, actor=judge
    )

    assert [alert.kind for alert in selectors.court_alerts_panel(judge)["alerts"]] == [
        "failure_to_appear"
    ]
