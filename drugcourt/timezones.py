"""Pages show times in the time zone of the user's program (DOMAIN: dates are local to the
program). The zone is looked up once, at sign-in, and kept in the session, so pages pay no
query for it."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

SESSION_KEY = "time_zone"


@receiver(user_logged_in)
def remember_time_zone(sender, request, user, **kwargs) -> None:
    program = user.programs.order_by("pk").first()
    request.session[SESSION_KEY] = program.time_zone if program else settings.TIME_ZONE


class ProgramTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)
