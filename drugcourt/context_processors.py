from django.conf import settings

from .home import nav_items_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": nav_items_for(user.roles)}


def session_clock(request) -> dict:
    """What the idle warning script needs (static/js/session-timeout.js; drugcourt.security)."""
    seconds_left = getattr(request, "idle_seconds_left", None)
    if seconds_left is None:
        return {}
    return {
        "session_clock": {
            "seconds_left": seconds_left,
            "warning": settings.SESSION_IDLE_WARNING,
            "keep_alive": settings.SESSION_KEEP_ALIVE,
        }
    }
