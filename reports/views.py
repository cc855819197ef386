"""Report pages and their CSV downloads."""

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clients.models import CaseManagementFunction
from drugcourt.permissions import role_required
from drugcourt.roles import Role
from drugcourt.selectors import user_today
from drugcourt.views import PAGE_SIZE

from . import selectors
from .forms import UnitsOfServiceFilterForm

# Characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@require_GET
@role_required(Role.COORDINATOR, Role.CASE_MANAGER)
def units_of_service(request):
    form = UnitsOfServiceFilterForm(request.GET, user=request.user, today=user_today(request.user))
    page = None
    if form.is_valid():
        report = selectors.units_of_service(request.user, **form.cleaned_data)
        page = Paginator(report, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/units_of_service.html",
        {"form": form, "page": page, "functions": CaseManagementFunction},
    )


@require_GET
@role_required(Role.COORDINATOR, Role.CASE_MANAGER)
def units_of_service_csv(request):
    form = UnitsOfServiceFilterForm(request.GET, user=request.user, today=user_today(request.user))
    if not form.is_valid():
        # The page explains what is wrong with the filters, next to the fields.
        return redirect(f"{reverse('reports:units_of_service')}?{request.GET.urlencode()}")
    filters = form.cleaned_data
    report = selectors.units_of_service(request.user, **filters)
    filename = f"units-of-service-{filters['by']}-{filters['start']}-{filters['end']}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "Case manager" if filters["by"] == "case_manager" else "Participant",
            *(
                heading
                for function in CaseManagementFunction
                for heading in (f"{function.label} units", f"{function.label} minutes")
            ),
            "Contacts",
            "Total units",
            "Total minutes",
        ]
    )
    for row in report:
        writer.writerow(
            [
                _spreadsheet_text(row.name),
                *(number for tally in row.tallies for number in (tally.units, tally.minutes)),
                row.contacts,
                row.total_units,
                row.total_minutes,
            ]
        )
    return response


def _spreadsheet_text(text: str) -> str:
    """A name typed by staff, quoted so a spreadsheet never runs it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text
