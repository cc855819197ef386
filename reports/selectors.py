"""Reads for reports: aggregates computed in PostgreSQL, scoped through clients.access."""

import datetime
import functools
import operator
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from django.db.models import Aggregate, Count, F, Q, QuerySet, Sum
from django.utils import timezone

from clients.access import DataClass, note_shown, participants_visible_to
from clients.models import CaseManagementFunction, Contact, Enrollment
from clients.selectors import sealed_out_of_reports
from drugcourt.models import Program, User
from drugcourt.roles import Role
from drugcourt.selectors import programs_coordinated_by, programs_of

UnitsOfServiceBy = Literal["case_manager", "participant"]

# The columns each grouping names its rows by (read together with the aggregates, so the
# report stays one query).
_ROW_NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "case_manager": ("author", "author__last_name", "author__first_name", "author__username"),
    "participant": (
        "participant",
        "participant__legal_last_name",
        "participant__legal_first_name",
        "participant__preferred_name",
    ),
}


@dataclass(frozen=True)
class FunctionTally:
    function: CaseManagementFunction
    units: int
    minutes: int


@dataclass(frozen=True)
class UnitsOfServiceRow:
    """One case manager's or one participant's units of service: `pk` is the user's or the
    participant's."""

    pk: int
    name: str
    tallies: tuple[FunctionTally, ...]
    contacts: int
    total_units: int
    total_minutes: int


class UnitsOfService:
    """The rows of the report, read lazily from one aggregate query: a Paginator's slice runs
    it with LIMIT/OFFSET, iterating (the CSV) streams every row. Each participant row read is
    noted for the access log (the page and the CSV alike)."""

    def __init__(self, rows: QuerySet, by: UnitsOfServiceBy, user: User):
        self._rows = rows
        self._by = by
        self._user = user

    def count(self) -> int:
        return self._rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[UnitsOfServiceRow]:
        return [self._row(values) for values in self._rows[window]]

    def __iter__(self) -> Iterator[UnitsOfServiceRow]:
        return (self._row(values) for values in self._rows.iterator())

    def _row(self, values: dict) -> UnitsOfServiceRow:
        if self._by == "case_manager":
            pk = values["author"]
            full_name = f"{values['author__first_name']} {values['author__last_name']}".strip()
            name = full_name or values["author__username"]
        else:
            pk = values["participant"]
            first = values["participant__preferred_name"] or values["participant__legal_first_name"]
            name = f"{values['participant__legal_last_name']}, {first}"
            note_shown(self._user, ((pk, DataClass.IDENTITY), (pk, DataClass.CASE_NOTES)))
        return UnitsOfServiceRow(
            pk=pk,
            name=name,
            tallies=tuple(
                FunctionTally(
                    function=function,
                    units=values[f"{function}_units"],
                    minutes=values[f"{function}_minutes"],
                )
                for function in CaseManagementFunction
            ),
            contacts=values["contacts"],
            total_units=values["total_units"],
            total_minutes=values["total_minutes"],
        )


def units_of_service(
    user: User,
    *,
    start: datetime.date,
    end: datetime.date,
    by: UnitsOfServiceBy,
    program: Program | None = None,
) -> UnitsOfService:
    """Per case manager (the note's author) or per participant, for each case management
    function: units (contacts tagged with it, as primary or further function) and minutes (the
    duration of contacts where it is the primary function), over `start`..`end` inclusive.
    Notes entered in error do not count.

    Scope: contacts of participants the user reaches (clients.access) who are enrolled in a
    program the user works in. A coordinator sees every author on the participants of the
    programs they coordinate; anyone else (a case manager) only their own contacts, so no case
    manager ever sees a colleague's numbers. `program` narrows to one of those programs."""
    contacts = Contact.objects.filter(
        participant__in=participants_visible_to(user),
        entered_in_error=False,
        occurred_at__gte=_start_of_day(start),
        occurred_at__lt=_start_of_day(end + datetime.timedelta(days=1)),
    )
    if user.has_role(Role.COORDINATOR):
        programs = programs_coordinated_by(user)
    else:
        contacts = contacts.filter(author=user)
        programs = programs_of(user)
    if program is not None:
        programs = programs.filter(pk=program.pk)
    # The user's own programs only: someone who also reaches a participant of another program in
    # another role (a provider's service episode) must not see that program's staff numbers.
    contacts = contacts.filter(
        participant__in=Enrollment.objects.filter(program__in=programs).values("participant")
    ).exclude(participant__in=sealed_out_of_reports())

    tallies: dict[str, Aggregate] = {}
    for function in CaseManagementFunction:
        tagged = Q(primary_function=function) | Q(other_functions__contains=[function])
        tallies[f"{function}_units"] = Count("pk", filter=tagged)
        tallies[f"{function}_minutes"] = Sum(
            "duration_minutes", filter=Q(primary_function=function), default=0
        )
    total_units = functools.reduce(
        operator.add, (F(f"{function}_units") for function in CaseManagementFunction)
    )
    name_fields = _ROW_NAME_FIELDS[by]
    rows = (
        contacts.values(*name_fields)
        .annotate(
            **tallies,
            contacts=Count("pk"),
            total_minutes=Sum("duration_minutes", default=0),
        )
        .annotate(total_units=total_units)
        .order_by(*name_fields[1:], name_fields[0])
    )
    return UnitsOfService(rows, by, user)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the current time zone: the program's when the request activated it
    (drugcourt.timezones), else the server's, an approximation for staff whose programs lie in
    several zones. A half-open range on occurred_at keeps the (author, occurred_at) index usable,
    which a cast of occurred_at to a date would not."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
