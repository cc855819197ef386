import datetime

from django import template

from clients.models import EnrollmentStatus

register = template.Library()


@register.filter
def attr(obj, name: str):
    """A registered caseload fact's annotation, by its key."""
    return getattr(obj, name, None)


@register.filter
def status_label(value: str) -> str:
    return EnrollmentStatus(value).label if value else "—"


@register.simple_tag
def days_between(start: datetime.date | None, end: datetime.date) -> str:
    """Days from `start` to `end` (the exit date, or the program's today); a dash before
    entry."""
    if start is None:
        return "—"
    return str((end - start).days)
