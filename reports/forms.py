"""Filter forms of the report pages: shapes, types and the limits that keep a report cheap."""

import datetime
from urllib.parse import urlencode

from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.http import QueryDict

from drugcourt.forms import CrispyForm
from drugcourt.models import User
from drugcourt.selectors import USABLE_DAYS, programs_of

DATE = forms.DateInput(attrs={"type": "date"})
# A year, leap day included: enough for annual reporting, and it bounds the rows a report scans.
MAX_RANGE_DAYS = 366
BY_CHOICES = (("case_manager", "Per case manager"), ("participant", "Per participant"))


class UnitsOfServiceFilterForm(CrispyForm):
    start = forms.DateField(widget=DATE, label="From")
    end = forms.DateField(widget=DATE, label="To (inclusive)")
    by = forms.ChoiceField(choices=BY_CHOICES, label="Rows")
    program = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All my programs", label="Program"
    )

    def __init__(self, query: QueryDict, *, user: User, today: datetime.date):
        """Always bound: the filters the query leaves out default to this month so far, per
        case manager, so the page shows numbers on the first visit."""
        defaults = {"start": today.replace(day=1), "end": today, "by": "case_manager"}
        super().__init__({**defaults, **query.dict()})
        self.fields["program"].queryset = programs_of(user)
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(*(Column(name, css_class="col-md-3") for name in self.fields))
        )

    def query_string(self) -> str:
        """The filters as given or defaulted, for links that must show the same report."""
        return urlencode({name: self.data[name] for name in self.fields if self.data.get(name)})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        first, last = USABLE_DAYS
        for name, day in (("start", start), ("end", end)):
            if day and not first <= day <= last:
                self.add_error(name, f"Choose a date from {first.year} to {last.year}.")
                return cleaned
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be on or after the start date.")
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("end", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        return cleaned
