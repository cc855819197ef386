"""Role checks for the pages that manage staff, programs and program settings.

Participant data never goes through here: `clients.access` is the one mechanism for that. These
helpers only answer "may this person manage staff" or "does this coordinator run this program".
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Program
from .roles import Role
from .selectors import programs_coordinated_by


def role_required(*roles: Role) -> Callable:
    """The view needs one of `roles`; anyone else signed in gets 403 (these pages hold no
    participant data, so their existence is no secret)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not set(request.user.roles) & set(roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_coordinated_program_or_404(user, pk: int) -> Program:
    """A program this user coordinates; any other program answers 404, like a missing one."""
    try:
        return programs_coordinated_by(user).get(pk=pk)
    except Program.DoesNotExist:
        raise Http404("No such program.") from None
