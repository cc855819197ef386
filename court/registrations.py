"""What the court adds to the registries of earlier apps: the kinds of phase requirement, the
alert source of hearings, the participant page's court section, the home panels of the bench
(judges and clerks) and of coordinators, and the Court entry of the navigation."""

from clients.access import DataClass
from clients.registry import (
    ParticipantSection,
    ProgramAlertSource,
    register_program_alert_source,
    register_section,
)
from drugcourt.home import HomePanel, NavItem, register_nav_item, register_panel
from drugcourt.roles import Role

from . import selectors
from .models import HEARING_ALERT_SOURCE, WARRANT_ALERT_SOURCE
from .phase_requirements import register_kinds

# The kinds of phase requirement (core stores a phase's requirements; the court says what
# each kind means and evaluates it).
register_kinds()

# A failure to appear is alerted as "hearing:<docket entry pk>" (court.services): the alert
# belongs to the session's program, like the hearing.
register_program_alert_source(
    ProgramAlertSource(prefix=HEARING_ALERT_SOURCE, rows=selectors.hearing_rows)
)
# ... and a warrant served as "warrant:<pk>": it belongs to the enrollment's program.
register_program_alert_source(
    ProgramAlertSource(prefix=WARRANT_ALERT_SOURCE, rows=selectors.warrant_rows)
)

register_section(
    ParticipantSection(
        key="court",
        title="Court",
        template="court/sections/court.html",
        data_class=DataClass.COURT,
        context=selectors.court_section,
        order=8,
    )
)

register_section(
    ParticipantSection(
        key="conditions",
        title="Conditions",
        template="court/sections/conditions.html",
        data_class=DataClass.CONDITIONS,
        context=selectors.conditions_section,
        order=8,
    )
)

register_section(
    ParticipantSection(
        key="ledger",
        title="Fees, fines and restitution",
        template="court/sections/ledger.html",
        data_class=DataClass.LEDGER,
        context=selectors.ledger_section,
        order=8,
    )
)

# Staffing has its own section: the treating providers, who read no court record, write and read
# the staffing of the participant's hearings.
register_section(
    ParticipantSection(
        key="staffing",
        title="Staffing",
        template="court/sections/staffing.html",
        data_class=DataClass.STAFFING,
        context=selectors.staffing_section,
        order=9,
    )
)

register_panel(
    HomePanel(
        key="bench_sessions",
        title="Your court sessions",
        template="court/panels/bench_sessions.html",
        roles=frozenset({Role.JUDGE, Role.CLERK}),
        context=selectors.bench_panel,
        order=5,
    )
)
register_panel(
    HomePanel(
        key="court_alerts",
        title="Alerts for the court",
        template="court/panels/court_alerts.html",
        roles=frozenset({Role.JUDGE, Role.CLERK}),
        context=selectors.court_alerts_panel,
        order=6,
    )
)
register_panel(
    HomePanel(
        key="coordinator_court",
        title="Court",
        template="court/panels/coordinator_court.html",
        roles=frozenset({Role.COORDINATOR}),
        context=selectors.coordinator_panel,
        order=20,
    )
)

register_nav_item(
    NavItem(
        "Court",
        "court:session_list",
        frozenset(
            {
                Role.COORDINATOR,
                Role.JUDGE,
                Role.CLERK,
                Role.PROSECUTOR,
                Role.DEFENCE_ATTORNEY,
            }
        ),
        order=64,
    )
)
