"""Account security on every request: sessions end after a time without activity, and a signed-in
account reaches no page but those of signing in until it has passed its second factor
(docs/decisions/0016-account-security.md).

Both read only the session (already loaded for the user), so pages pay no query for them; the
idle clock is written back at most once a minute.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY

LAST_ACTIVITY_KEY = "last_activity"
# The idle clock moves in steps of this many seconds: a page a second writes no session a second.
ACTIVITY_RESOLUTION = 60
# Views an account that has not passed its second factor may open.
OPEN_VIEWS = frozenset(
    {
        "login",
        "logout",
        "password_reset_confirm",
        "password_reset_complete",
        "healthz",
        "two_factor_verify",
        "two_factor_setup",
        "session_status",
        "core:staff_email_change_confirm",
    }
)


def idle_timeout_for(user) -> int:
    """Seconds without a request after which `user`'s session ends: the shortest of their roles'
    (SESSION_IDLE_TIMEOUT_BY_ROLE), else SESSION_IDLE_TIMEOUT."""
    by_role = settings.SESSION_IDLE_TIMEOUT_BY_ROLE
    return min(
        (by_role.get(role, settings.SESSION_IDLE_TIMEOUT) for role in user.roles),
        default=settings.SESSION_IDLE_TIMEOUT,
    )


def is_verified(request) -> bool:
    """Whether this session passed its second factor (django_otp.login records the device)."""
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def safe_next(request, default: str = "home") -> str:
    """The `next` of the request when it points into this site, else `default`'s URL."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


@receiver(user_logged_in)
def start_idle_clock(sender, request, user, **kwargs) -> None:
    request.session[LAST_ACTIVITY_KEY] = int(time.time())


def _redirect(request, url: str):
    """A redirect that an htmx request follows as a whole page, not into a fragment."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class IdleTimeoutMiddleware:
    """Signs out a session idle for longer than its timeout and sends it to sign in, with a
    message. `request.idle_seconds_left` tells pages (the warning script) how long is left.

    A GET of the session status (the warning's check) reads the clock without moving it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY, 0)
            timeout = idle_timeout_for(request.user)
            if now - last > timeout:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {timeout // 60} minutes without activity. "
                    "Sign in again to go on.",
                )
                login = reverse("login")
                if request.method == "GET":
                    login += "?" + urlencode({"next": request.get_full_path()})
                return _redirect(request, login)
            reading_the_clock = request.method == "GET" and request.path == reverse(
                "session_status"
            )
            if not reading_the_clock and now - last >= ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY_KEY] = last = now
            request.idle_seconds_left = timeout - (now - last)
        return self.get_response(request)


class TwoFactorMiddleware:
    """A signed-in account that has not passed its second factor in this session is sent to it
    (or to set it up) from every page but OPEN_VIEWS: no participant page, no management page,
    no API, wherever a URL is added. Every account needs it, administrators included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            not request.user.is_authenticated
            or is_verified(request)
            or request.resolver_match.view_name in OPEN_VIEWS
        ):
            return None
        verify = reverse("two_factor_verify")
        if request.method == "GET":
            verify += "?" + urlencode({"next": request.get_full_path()})
        return _redirect(request, verify)


@checks.register(checks.Tags.security, deploy=True)
def check_no_demo_mode(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Demo mode (`make run`: accounts with a known password and known two-factor codes) is for
    development only: `check --deploy` refuses it."""
    if settings.DEMO_DATA_ALLOWED:
        return [
            checks.Error(
                "DEMO_DATA_ALLOWED is on: demo accounts with a known password and demo "
                "two-factor codes can be seeded and their codes are accepted.",
                hint="Deploy with drugcourt.settings.production, where it is off.",
                id="drugcourt.E001",
            )
        ]
    return []
