"""What later apps add to the participant's record without clients importing them: sections of
the participant page and per-participant facts (columns) of the caseload. Each app registers
its own from `AppConfig.ready()`. Every entry names the data class it shows, so access applies
to it: a section or column a user may not see is left out."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .access import DataClass


@dataclass(frozen=True)
class ParticipantSection:
    key: str
    title: str
    template: str
    data_class: DataClass
    context: Callable[[Any, Any], dict[str, Any]]  # (participant, user) -> template context
    order: int = 100


@dataclass(frozen=True)
class CaseloadFact:
    """A column of the caseload: `annotate(participants, user)` adds an annotation named `key`
    to the participant queryset (a subquery, so the page stays one query for its rows)."""

    key: str
    label: str
    data_class: DataClass
    annotate: Callable[[QuerySet, Any], QuerySet]
    cell_template: str  # renders `value` (the annotation) for `participant`
    order: int = 100


@dataclass(frozen=True)
class AgencyAlertSource:
    """Rows of an agency's treatment record that alerts speak of, by `source_key`
    "<prefix>:<pk>": an alert about another agency's row is not shown to a provider (the row
    rule of clients.access.AGENCY_ROLES). `rows()` is the model's queryset, with a
    `participant` field; `organization_field` names the agency (empty: no agency's)."""

    prefix: str
    rows: Callable[[], QuerySet]
    organization_field: str


@dataclass(frozen=True)
class ProgramAlertSource:
    """Rows of a program's record that alerts speak of, by `source_key` "<prefix>:<pk>" (drug
    tests, hearings): an alert about a row of a program whose record the user does not see is
    not shown (the program row rule of clients.access.programs_showing). `rows()` is the
    model's queryset, with `participant` and `program` fields (an empty program: no
    program's). `part2_class` names the row class (clients.access.PART2_ROW_CLASSES) whose
    rule says which of its rows are Part 2: an alert about one of those is not listed for
    someone no consent covers (clients.selectors.alerts_for)."""

    prefix: str
    rows: Callable[[], QuerySet]
    part2_class: DataClass | None = None


@dataclass(frozen=True)
class SealedRows:
    """Rows of the participant's record nobody may know of yet (a drawn random test before its
    call): the participant's history leaves out their events. `rows(participant, now)` is a
    queryset of the sealed rows; `model` is their label in the history ("app.Model")."""

    model: str
    rows: Callable[[Any, datetime.datetime], QuerySet]


_sections: dict[str, ParticipantSection] = {}
_facts: dict[str, CaseloadFact] = {}
_agency_alert_sources: dict[str, AgencyAlertSource] = {}
_program_alert_sources: dict[str, ProgramAlertSource] = {}
_sealed_rows: dict[str, SealedRows] = {}


def register_section(section: ParticipantSection) -> None:
    if section.key in _sections:
        raise ValueError(f"A participant section named {section.key!r} is already registered.")
    _sections[section.key] = section


def register_caseload_fact(fact: CaseloadFact) -> None:
    if fact.key in _facts:
        raise ValueError(f"A caseload fact named {fact.key!r} is already registered.")
    _facts[fact.key] = fact


def register_agency_alert_source(source: AgencyAlertSource) -> None:
    if source.prefix in _agency_alert_sources:
        raise ValueError(f"An agency alert source {source.prefix!r} is already registered.")
    _agency_alert_sources[source.prefix] = source


def agency_alert_sources() -> list[AgencyAlertSource]:
    return list(_agency_alert_sources.values())


def register_program_alert_source(source: ProgramAlertSource) -> None:
    if source.prefix in _program_alert_sources:
        raise ValueError(f"A program alert source {source.prefix!r} is already registered.")
    _program_alert_sources[source.prefix] = source


def program_alert_sources() -> list[ProgramAlertSource]:
    return list(_program_alert_sources.values())


def register_sealed_rows(sealed: SealedRows) -> None:
    if sealed.model in _sealed_rows:
        raise ValueError(f"Sealed rows of {sealed.model!r} are already registered.")
    _sealed_rows[sealed.model] = sealed


def sealed_rows() -> list[SealedRows]:
    return list(_sealed_rows.values())


def sections() -> list[ParticipantSection]:
    return sorted(_sections.values(), key=lambda s: s.order)


def caseload_facts() -> list[CaseloadFact]:
    return sorted(_facts.values(), key=lambda f: f.order)
