"""What clients contributes to the registries: its own participant-page sections and caseload
fact, the home panels and navigation of the roles that work with participants, and the team
assignment access source."""

from drugcourt.home import HomePanel, NavItem, register_nav_item, register_panel
from drugcourt.roles import Role
from drugcourt.selectors import programs_coordinated_by

from . import selectors
from .access import (
    APPOINTMENT_ALERT_SOURCE,
    INTAKE_ROLES,
    REACHING_ROLES,
    AccessSource,
    DataClass,
    register_access_source,
)
from .models import AlertState, Appointment, CaseAssignment
from .registry import (
    AgencyAlertSource,
    CaseloadFact,
    ParticipantSection,
    ProgramAlertSource,
    register_agency_alert_source,
    register_caseload_fact,
    register_program_alert_source,
    register_section,
)

register_agency_alert_source(
    AgencyAlertSource(
        prefix=APPOINTMENT_ALERT_SOURCE,
        rows=Appointment.objects.all,
        organization_field="organization",
    )
)
# Hearings know their program (other appointments have none and reach everyone who sees them).
register_program_alert_source(
    ProgramAlertSource(
        prefix=APPOINTMENT_ALERT_SOURCE,
        rows=Appointment.objects.all,
        part2_class=DataClass.ATTENDANCE,
    )
)

register_section(
    ParticipantSection(
        key="enrollments",
        title="Enrollments and charges",
        template="clients/sections/enrollments.html",
        data_class=DataClass.ENROLLMENT,
        context=lambda participant, user: {
            "enrollments": selectors.enrollments_visible(user, participant)
        },
        order=10,
    )
)
register_section(
    ParticipantSection(
        key="contact_details",
        title="Person and contact details",
        template="clients/sections/contact_details.html",
        data_class=DataClass.CONTACT_DETAILS,
        context=lambda participant, user: {
            "identifiers": participant.identifiers.all(),
            "emergency_contacts": participant.emergency_contacts.all(),
        },
        order=20,
    )
)
register_section(
    ParticipantSection(
        key="timeline",
        title="Record",
        template="clients/sections/timeline.html",
        data_class=DataClass.ATTENDANCE,
        context=lambda participant, user: selectors.timeline_section(participant, user),
        order=5,
    )
)
register_section(
    ParticipantSection(
        key="life_domains",
        title="Life domains",
        template="clients/sections/life_domains.html",
        data_class=DataClass.CASE_NOTES,
        context=lambda participant, user: {"current": selectors.current_life_domains(participant)},
        order=30,
    )
)
register_section(
    ParticipantSection(
        key="documents",
        title="Documents",
        template="clients/sections/documents.html",
        data_class=DataClass.DOCUMENTS,
        context=lambda participant, user: {"documents": selectors.documents_of(participant)},
        order=90,
    )
)

register_section(
    ParticipantSection(
        key="consents",
        title="Consents (42 CFR Part 2)",
        template="clients/sections/consents.html",
        data_class=DataClass.CONSENTS,
        context=selectors.consents_section,
        order=95,
    )
)

register_caseload_fact(
    CaseloadFact(
        key="open_alerts",
        label="Open alerts",
        data_class=DataClass.IDENTITY,
        annotate=selectors.annotate_open_alerts,
        cell_template="clients/facts/count.html",
        order=90,
    )
)

register_caseload_fact(
    CaseloadFact(
        key="last_contact",
        label="Last contact",
        data_class=DataClass.CASE_NOTES,
        annotate=selectors.annotate_last_contact,
        cell_template="clients/facts/last_contact.html",
        order=10,
    )
)

register_panel(
    HomePanel(
        key="my_day",
        title="My day",
        template="clients/panels/my_day.html",
        roles=frozenset({Role.CASE_MANAGER}),
        context=selectors.my_day,
        order=5,
    )
)
register_panel(
    HomePanel(
        key="caseload",
        title="Participants",
        template="clients/panels/caseload.html",
        roles=REACHING_ROLES,
        context=lambda user: {
            "count": selectors.caseload_for(user).count(),
            "alerts": selectors.alerts_for(user, state=AlertState.OPEN).count(),
            "may_intake": bool(INTAKE_ROLES & set(user.roles)),
            "coordinated_programs": programs_coordinated_by(user),
        },
        order=20,
    )
)
register_nav_item(NavItem("Participants", "clients:participant_list", REACHING_ROLES, order=50))
register_nav_item(NavItem("New intake", "clients:intake", INTAKE_ROLES, order=55))
register_nav_item(NavItem("Alerts", "clients:alert_list", REACHING_ROLES, order=60))
register_nav_item(NavItem("My calendar", "clients:my_calendar", REACHING_ROLES, order=65))
# Who read what (docs/decisions/0018): coordinators their programs' rows, administrators the
# metadata (beside their Audit).
register_nav_item(
    NavItem("Access log", "clients:access_log", frozenset({Role.COORDINATOR}), order=70)
)
register_nav_item(
    NavItem("Access log", "clients:access_log_metadata", frozenset({Role.ADMINISTRATOR}), order=45)
)


def _assignment_rows():
    active = CaseAssignment.objects.filter(ended_on__isnull=True).values_list(
        "user_id", "participant_id", "team_role"
    )
    return (
        ("user", user_id, participant_id, Role(role)) for user_id, participant_id, role in active
    )


register_access_source(AccessSource(name="team assignments", expected=_assignment_rows))
