"""The court's own findings on the compliance summary (issue 16), on top of the monitoring
verdict of compliance.rules: pure functions over facts the court selectors read, nothing from
the database.

- an open warrant (requested or issued) is a violation (`OPEN_WARRANT`, red);
- a failure to appear at the previous hearing is a violation (`FAILED_TO_APPEAR`, red);
- a new arrest reported to the court since the previous hearing is a violation (`NEW_ARREST`,
  red);
- community service behind is a concern (`SERVICE_BEHIND`, yellow): an obligation ordered at
  the previous hearing whose due day has passed with fewer hours worked than ordered;
- a violation of a curfew or another court condition reported to the court since the previous
  hearing is a concern (`CONDITION_VIOLATED`, yellow).

`summary_verdict` combines them with the monitoring verdict: the worst colour, every reason.

`behaviours_of` names what the team responds to (drugcourt.models.Behaviour), for the response
matrix's suggestions: violations from the same facts, and the achievements (every test
negative, full attendance, every requirement to advance to the next phase met).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from compliance.rules import Colour, Finding, Verdict, combine, verdict
from compliance.selectors import MonitoringFacts
from drugcourt.models import Behaviour

OPEN_WARRANT = Colour.RED
FAILED_TO_APPEAR = Colour.RED
NEW_ARREST = Colour.RED
SERVICE_BEHIND = Colour.YELLOW
CONDITION_VIOLATED = Colour.YELLOW


@dataclass(frozen=True)
class ServiceProgress:
    """Community service ordered at a hearing and the hours worked towards it."""

    hours_ordered: int
    hours_worked: Decimal
    due_on: datetime.date | None

    @property
    def is_complete(self) -> bool:
        return self.hours_worked >= self.hours_ordered

    def is_behind(self, today: datetime.date) -> bool:
        """Past its due day (none: never behind) with hours still to work."""
        return self.due_on is not None and self.due_on < today and not self.is_complete


@dataclass(frozen=True)
class CourtFacts:
    """What the court knows of a participant for the summary."""

    open_warrant: bool = False
    failed_to_appear: bool = False  # at their previous hearing
    new_arrests: tuple[datetime.date, ...] = ()  # reported to the court since then
    curfew_violations: tuple[datetime.date, ...] = ()  # reported to the court since then
    condition_violations: tuple[datetime.date, ...] = ()  # of other conditions, likewise
    service: tuple[ServiceProgress, ...] = ()
    # Every requirement to advance to the next phase met (court.selectors.PhaseChecklist).
    phase_requirements_met: bool = False


def court_verdict(facts: CourtFacts, *, today: datetime.date) -> Verdict:
    """The court's findings in words: open warrant, failure to appear, new arrest, conditions
    violated, service behind."""
    found = []
    if facts.open_warrant:
        found.append(Finding(OPEN_WARRANT, "An open warrant"))
    if facts.failed_to_appear:
        found.append(Finding(FAILED_TO_APPEAR, "Failed to appear at the previous hearing"))
    for arrested_on in facts.new_arrests:
        found.append(Finding(NEW_ARREST, f"New arrest on {arrested_on:%b %-d}"))
    for day in facts.curfew_violations:
        found.append(Finding(CONDITION_VIOLATED, f"Curfew violation on {day:%b %-d}"))
    for day in facts.condition_violations:
        found.append(Finding(CONDITION_VIOLATED, f"Violated a court condition on {day:%b %-d}"))
    for service in facts.service:
        if service.is_behind(today):
            found.append(
                Finding(
                    SERVICE_BEHIND,
                    f"Community service behind: {service.hours_worked.normalize():f} of "
                    f"{service.hours_ordered} hours worked, due {service.due_on:%b %-d}",
                )
            )
    return verdict(found)


def summary_verdict(monitoring: Verdict, facts: CourtFacts, *, today: datetime.date) -> Verdict:
    """The summary's colour: the monitoring verdict with the court's findings on top."""
    return combine(monitoring, court_verdict(facts, today=today))


def behaviours_of(monitoring: MonitoringFacts | None, facts: CourtFacts) -> tuple[Behaviour, ...]:
    """What the participant did since their previous hearing that the response matrix answers,
    in the order of Behaviour (violations first). `monitoring` is what the reader sees of it
    (None: nothing), so a behaviour they may not see is never named."""
    found = set()
    if monitoring is not None:
        tests = monitoring.drug_tests
        if tests.positives:
            found.add(Behaviour.POSITIVE_TEST)
        if tests.missed or tests.refused:
            found.add(Behaviour.MISSED_TEST)
        if tests.dilute or tests.adulterated or tests.substituted:
            found.add(Behaviour.TAMPERED_SPECIMEN)
        if monitoring.treatment.missed:
            found.add(Behaviour.MISSED_TREATMENT)
        if tests.tests and tests.negatives + tests.explained == tests.tests:
            found.add(Behaviour.NEGATIVE_TESTS)
        attendance = (monitoring.treatment, monitoring.case_management)
        if any(a.expected for a in attendance) and not any(a.missed for a in attendance):
            found.add(Behaviour.FULL_ATTENDANCE)
    if facts.failed_to_appear:
        found.add(Behaviour.FAILURE_TO_APPEAR)
    if facts.new_arrests:
        found.add(Behaviour.NEW_ARREST)
    if facts.curfew_violations:
        found.add(Behaviour.CURFEW_VIOLATION)
    if facts.condition_violations:
        found.add(Behaviour.CONDITION_VIOLATION)
    if facts.phase_requirements_met:
        found.add(Behaviour.PHASE_REQUIREMENTS_MET)
    return tuple(behaviour for behaviour in Behaviour if behaviour in found)
