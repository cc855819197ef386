"""`{% redisclosure_notice %}`: the 42 CFR §2.32 notice (drugcourt.redisclosure) on a court
document; `{% redisclosure_notice on=day %}` prints the version in force on the document's
day (by default the site's today)."""

import datetime

from django import template

from drugcourt.redisclosure import notice_in_force
from drugcourt.selectors import site_today

register = template.Library()


@register.inclusion_tag("drugcourt/redisclosure_notice.html")
def redisclosure_notice(on: datetime.date | None = None) -> dict:
    return {"notice": notice_in_force(on or site_today())}
