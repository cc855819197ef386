"""What compliance adds to the participant page: the compliance section (drug tests,
attendance, sobriety, testing frequency and monitoring alerts)."""

from clients.access import DataClass
from clients.registry import ParticipantSection, register_section

from . import selectors

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
