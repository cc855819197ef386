"""What the court adds to the registries of earlier apps."""

from clients.registry import ProgramAlertSource, register_program_alert_source

from . import selectors
from .services import HEARING_ALERT_SOURCE

# A failure to appear is alerted as "hearing:<docket entry pk>" (court.services): the alert
# belongs to the session's program, like the hearing.
register_program_alert_source(
    ProgramAlertSource(prefix=HEARING_ALERT_SOURCE, rows=selectors.hearing_rows)
)
