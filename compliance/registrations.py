"""What compliance adds: the participant page's compliance section (drug tests, attendance,
sobriety, testing frequency and monitoring alerts) and the call list in the navigation."""

from clients.access import DataClass
from clients.registry import (
    ParticipantSection,
    ProgramAlertSource,
    SealedRows,
    register_program_alert_source,
    register_sealed_rows,
    register_section,
)
from drugcourt.home import NavItem, register_nav_item
from drugcourt.roles import Role

from . import selectors
from .models import DrugTest

register_section(
    ParticipantSection(
        key="compliance",
        title="Compliance",
        template="compliance/sections/compliance.html",
        data_class=DataClass.DRUG_TESTS,
        context=selectors.compliance_section,
        order=7,
    )
)

# The monitoring sweeps name a test's alerts "test:<pk>" (compliance.sweeps).
register_program_alert_source(
    ProgramAlertSource(
        prefix=selectors.TEST_ALERT_SOURCE,
        rows=DrugTest.objects.all,
        part2_class=DataClass.DRUG_TESTS,
    )
)

# A drawn test is secret until its call: its history events too (clients.selectors.history_of).
register_sealed_rows(
    SealedRows(
        model="compliance.DrugTest",
        rows=lambda participant, now: DrugTest.objects.filter(participant=participant).sealed(now),
    )
)

register_nav_item(
    NavItem(
        "Call list",
        "compliance:call_list",
        frozenset({Role.COORDINATOR, Role.CASE_MANAGER}),
        order=62,
    )
)
