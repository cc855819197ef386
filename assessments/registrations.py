"""What assessments adds to the participant page."""

from clients.access import DataClass
from clients.registry import ParticipantSection, register_section

from . import selectors

register_section(
    ParticipantSection(
        key="eligibility",
        title="Eligibility, admission and supervision",
        template="assessments/sections/assessment_summary.html",
        data_class=DataClass.ENROLLMENT,
        context=selectors.assessment_summary,
        order=8,
    )
)
register_section(
    ParticipantSection(
        key="needs",
        title="Open needs",
        template="assessments/sections/needs.html",
        data_class=DataClass.ASSESSMENT_DETAIL,
        context=selectors.needs_section,
        order=9,
    )
)
register_section(
    ParticipantSection(
        key="screens",
        title="Screens",
        template="assessments/sections/screens.html",
        data_class=DataClass.ASSESSMENT_DETAIL,
        context=selectors.screens_section,
        order=40,
    )
)
