"""The daily record services and who reads what of it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients import selectors, services
from clients.models import Addendum, Contact, TeamRole
from clients.services import ContactData, FollowUpData
from drugcourt.services import DEFAULT_PHASES, program_settings_change_note_format

NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    """Notes lock 24 hours after they are written (created_at): the clock stands still here."""
    time_machine.move_to(NOW, tick=False)


def note(**overrides):
    fields = {
        "occurred_at": NOW - datetime.timedelta(hours=1),
        "kind": "in_person",
        "duration_minutes": 30,
        "primary_function": "monitoring",
        "other_functions": ["planning", "monitoring"],
        "narrative": "Discussed work search and the next test.",
    }
    return ContactData(**{**fields, **overrides})


def log(participant, actor, **overrides):
    return services.contact_log(
        participant=participant, data=note(**overrides), actor=actor, now=NOW
    )


def test_contact_log_records_the_note_and_its_functions(casemanager, participant):
    contact = log(participant, casemanager)

    assert contact.author == casemanager
    assert contact.functions == ["monitoring", "planning"]
    assert contact.note_format == "free_text"


def test_contact_log_creates_the_follow_up(casemanager, participant):
    contact = services.contact_log(
        participant=participant,
        data=note(),
        follow_up=FollowUpData("Call employer", datetime.date(2026, 11, 25), casemanager),
        actor=casemanager,
        now=NOW,
    )

    assert contact.follow_ups.get().description == "Call employer"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"occurred_at": NOW + datetime.timedelta(minutes=20)}, "occurred_at", "15 minutes"),
        ({"duration_minutes": 1441}, "duration_minutes", "24 hours"),
        ({"duration_minutes": -5}, "duration_minutes", "24 hours"),
        ({"primary_function": ""}, "primary_function", "Choose the case management function"),
        ({"narrative": "   "}, "narrative", "Write the narrative"),
    ],
)
def test_contact_log_refuses_bad_input_and_saves_nothing(
    casemanager, participant, overrides, field, message
):
    with pytest.raises(ValidationError) as refusal:
        log(participant, casemanager, **overrides)

    assert message in refusal.value.message_dict[field][0]
    assert not Contact.objects.exists()


def test_a_dap_program_needs_all_three_parts(coordinator, casemanager, participant, program):
    program_settings_change_note_format(
        program=program,
        effective_from=timezone.localdate(),
        note_format="dap",
        change_note="DAP",
        actor=coordinator,
    )

    with pytest.raises(ValidationError) as refusal:
        services.contact_log(
            participant=participant, data=note(dap_data="Seen at office"), actor=casemanager
        )
    contact = services.contact_log(
        participant=participant,
        data=note(dap_data="Seen", dap_assessment="Stable", dap_plan="Test Friday", narrative=""),
        actor=casemanager,
    )

    assert set(refusal.value.message_dict) == {"dap_assessment", "dap_plan"}
    assert contact.note_format == "dap"
    assert DEFAULT_PHASES  # the settings change kept the phases (see the settings tests)


def test_a_note_is_editable_by_its_author_for_24_hours_then_locked(casemanager, participant):
    contact = log(participant, casemanager)
    created = contact.created_at

    services.contact_edit(
        contact=contact,
        version=1,
        data=note(narrative="Corrected."),
        actor=casemanager,
        now=created + datetime.timedelta(hours=23),
    )
    with pytest.raises(ValidationError, match="locked"):
        services.contact_edit(
            contact=contact,
            version=2,
            data=note(narrative="Too late."),
            actor=casemanager,
            now=created + datetime.timedelta(hours=25),
        )

    contact.refresh_from_db()
    assert contact.narrative == "Corrected."


def test_only_the_author_may_edit(casemanager, coordinator, participant):
    contact = log(participant, casemanager)

    with pytest.raises(ValidationError, match="locked"):
        services.contact_edit(
            contact=contact,
            version=1,
            data=note(narrative="Mine now"),
            actor=coordinator,
            now=contact.created_at,
        )


def test_a_concurrent_second_save_is_refused(casemanager, participant):
    contact = log(participant, casemanager)
    opened_version = contact.version
    services.contact_edit(
        contact=contact,
        version=opened_version,
        data=note(narrative="First save"),
        actor=casemanager,
        now=contact.created_at,
    )

    with pytest.raises(ValidationError, match="Someone saved this note"):
        services.contact_edit(
            contact=Contact.objects.get(pk=contact.pk),
            version=opened_version,
            data=note(narrative="Second save"),
            actor=casemanager,
            now=contact.created_at,
        )

    contact.refresh_from_db()
    assert contact.narrative == "First save"


def test_an_addendum_is_added_to_a_locked_note(casemanager, participant):
    contact = log(participant, casemanager)

    services.addendum_add(contact=contact, text="Employer confirmed hours.", actor=casemanager)

    assert Addendum.objects.get().text == "Employer confirmed hours."


def test_entered_in_error_hides_the_note_but_keeps_it(casemanager, participant):
    contact = log(participant, casemanager)

    with pytest.raises(ValidationError, match="Say why"):
        services.contact_mark_entered_in_error(contact=contact, reason=" ", actor=casemanager)
    services.contact_mark_entered_in_error(
        contact=contact, reason="Wrong participant", actor=casemanager
    )

    assert Contact.objects.filter(pk=contact.pk).exists()
    assert not selectors.contacts_visible(casemanager, participant).exists()


def test_appointment_outcomes(casemanager, participant):
    past = services.appointment_schedule(
        participant=participant,
        kind="case_manager",
        actor=casemanager,
        scheduled_at=NOW - datetime.timedelta(days=1),
    )
    future = services.appointment_schedule(
        participant=participant,
        kind="treatment",
        actor=casemanager,
        scheduled_at=NOW + datetime.timedelta(days=1),
    )

    services.appointment_record_outcome(
        appointment=past, outcome="missed", actor=casemanager, now=NOW
    )
    with pytest.raises(ValidationError, match="already has an outcome"):
        services.appointment_record_outcome(
            appointment=past, outcome="attended", actor=casemanager, now=NOW
        )
    with pytest.raises(ValidationError, match="before the appointment"):
        services.appointment_record_outcome(
            appointment=future, outcome="attended", actor=casemanager, now=NOW
        )
    services.appointment_record_outcome(
        appointment=future, outcome="cancelled", actor=casemanager, now=NOW
    )

    past.refresh_from_db()
    assert (past.outcome, future.outcome) == ("missed", "cancelled")


def test_an_excused_absence_needs_a_reason(casemanager, participant):
    appointment = services.appointment_schedule(
        participant=participant,
        kind="treatment",
        actor=casemanager,
        scheduled_at=NOW - datetime.timedelta(hours=3),
    )

    with pytest.raises(ValidationError, match="reason"):
        services.appointment_record_outcome(
            appointment=appointment, outcome="excused", actor=casemanager, now=NOW
        )


def test_life_domains_keep_their_history(casemanager, participant):
    services.life_domain_record(
        participant=participant,
        domain="employment",
        status="unemployed_seeking",
        effective_from=datetime.date(2026, 9, 1),
        actor=casemanager,
    )
    services.life_domain_record(
        participant=participant,
        domain="employment",
        status="part_time",
        detail="Kroger",
        hours_per_week=24,
        effective_from=datetime.date(2026, 11, 1),
        actor=casemanager,
    )

    history = list(selectors.life_domain_history(participant))
    assert [r.status for r in history] == ["part_time", "unemployed_seeking"]


def test_life_domain_refuses_a_status_of_another_domain(casemanager, participant):
    with pytest.raises(ValidationError, match="employment status"):
        services.life_domain_record(
            participant=participant,
            domain="employment",
            status="homeless",
            effective_from=datetime.date(2026, 9, 1),
            actor=casemanager,
        )


def test_incident_refuses_a_future_date(casemanager, participant):
    with pytest.raises(ValidationError, match="future"):
        services.incident_record(
            participant=participant,
            occurred_on=timezone.localdate() + datetime.timedelta(days=2),
            category="police_contact",
            description="Stopped",
            severity="low",
            reported_to_court=False,
            actor=casemanager,
        )


@pytest.fixture
def record(participant, casemanager, coordinator, probation):
    """A private note, a note shared with supervision, an incident reported to court and one
    not, and an appointment."""
    services.assignment_create(
        participant=participant,
        user=probation,
        team_role=TeamRole.PROBATION_OFFICER,
        actor=coordinator,
    )
    log(participant, casemanager, narrative="Private note")
    log(participant, casemanager, narrative="Shared note", shared_with_supervision=True)
    for reported in (True, False):
        services.incident_record(
            participant=participant,
            occurred_on=datetime.date(2026, 11, 1),
            category="curfew_violation",
            description=f"reported={reported}",
            severity="low",
            reported_to_court=reported,
            actor=casemanager,
        )
    services.appointment_schedule(
        participant=participant,
        kind="case_manager",
        actor=casemanager,
        scheduled_at=NOW,
    )
    return participant


def seen(user, participant):
    rows = selectors.timeline_rows(user, participant, selectors.TimelineFilter())
    entries = selectors.timeline_entries(list(rows))
    return sorted(
        getattr(obj, "narrative", None) or getattr(obj, "description", None) or kind
        for kind, obj in entries
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "casemanager",
            ["Private note", "Shared note", "appointment", "reported=False", "reported=True"],
        ),
        (
            "coordinator",
            ["Private note", "Shared note", "appointment", "reported=False", "reported=True"],
        ),
        ("probation", ["Shared note", "appointment", "reported=False", "reported=True"]),
        ("judge", ["appointment", "reported=True"]),
        ("clerk", ["appointment", "reported=True"]),
        ("prosecutor", ["appointment", "reported=True"]),
        ("defence", []),
        ("provider", []),
        ("casemanager2", []),
        ("admin", []),
        ("evaluator", []),
        ("superuser", []),
    ],
)
def test_who_reads_what_of_the_record(request, record, persona, expected):
    user = request.getfixturevalue(persona)

    assert seen(user, record) == expected
