"""Alert lists under the 42 CFR Part 2 gate: an alert carrying Part 2 information (a missed
treatment session, a referral) is listed to someone outside the treatment program only while a
consent names them; an alert about a court record (a case-manager meeting) always is."""

import datetime

import pytest
from django.utils import timezone

from clients import selectors
from clients.access import APPOINTMENT_ALERT_SOURCE, DataClass
from clients.models import Appointment, AppointmentKind
from clients.services import alert_raise
from drugcourt.roles import Role
from tests.factories import consent_to


def missed(participant, kind, organization=None):
    appointment = Appointment.objects.create(
        participant=participant,
        kind=kind,
        scheduled_at=timezone.now() - datetime.timedelta(days=1),
        organization=organization,
        created_by=participant.created_by,
    )
    return alert_raise(
        participant=participant,
        kind="missed_appointment",
        source_key=f"{APPOINTMENT_ALERT_SOURCE}:{appointment.pk}",
        data_class=DataClass.ATTENDANCE,
        message=f"Missed {appointment.get_kind_display()}.",
    )


@pytest.fixture
def alerts(participant, organizations):
    return {
        "treatment": missed(
            participant, AppointmentKind.TREATMENT, organizations["treatment_agency"]
        ),
        "meeting": missed(participant, AppointmentKind.CASE_MANAGER),
        "referral": alert_raise(
            participant=participant,
            kind="referral_unanswered",
            source_key="referral:1",
            data_class=DataClass.PLAN_SUMMARY,
            message="A referral has had no answer for 7 days.",
        ),
    }


def listed(user, alerts):
    user = type(user).objects.get(pk=user.pk)  # a new request's user
    pks = set(selectors.alerts_for(user).values_list("pk", flat=True))
    return {name for name, alert in alerts.items() if alert.pk in pks}


def on_the_page(user, participant, alerts):
    """The compliance section's alerts (it asks for its own kinds: monitoring)."""
    user = type(user).objects.get(pk=user.pk)
    pks = {
        alert.pk
        for alert in selectors.alerts_of_programs_shown(
            participant.alerts.filter(data_class=DataClass.ATTENDANCE), user, participant
        )
    }
    return {name for name, alert in alerts.items() if alert.pk in pks}


def test_without_a_consent_the_court_lists_only_alerts_about_court_records(
    judge, participant, alerts
):
    assert listed(judge, alerts) == {"meeting"}
    assert on_the_page(judge, participant, alerts) == {"meeting"}


def test_a_consent_naming_the_judges_lists_the_rest_to_them(
    judge, prosecutor, program, participant, alerts
):
    consent_to(participant, (program, Role.JUDGE))

    assert listed(judge, alerts) == {"treatment", "meeting", "referral"}
    assert on_the_page(judge, participant, alerts) == {"treatment", "meeting"}
    assert listed(prosecutor, alerts) == {"meeting"}


def test_an_expired_or_revoked_consent_lists_nothing_more(judge, program, participant, alerts):
    yesterday = timezone.localdate() - datetime.timedelta(days=2)
    consent_to(participant, (program, Role.JUDGE), expires_on=yesterday)
    consent_to(
        participant,
        (program, Role.JUDGE),
        revoked_on=yesterday,
        revocation_received_how="In writing",
    )

    assert listed(judge, alerts) == {"meeting"}


def test_the_treatment_program_needs_no_consent(coordinator, casemanager, participant, alerts):
    assert listed(coordinator, alerts) == {"treatment", "meeting", "referral"}
    assert listed(casemanager, alerts) == {"treatment", "meeting", "referral"}


def test_the_alert_list_under_the_gate_is_still_one_query(
    judge, program, participant, alerts, django_assert_num_queries
):
    consent_to(participant, (program, Role.JUDGE))
    judge = type(judge).objects.get(pk=judge.pk)

    with django_assert_num_queries(1):
        assert len(list(selectors.alerts_for(judge))) == 3
