"""The participant record's middleware: WithheldMiddleware answers a page of Part 2
information no consent covers for the user (clients.access.WithheldError) with the "not covered
by consent" page, never an error, never the data; AccessLogMiddleware logs every read."""

import logging

from axes.helpers import get_client_ip_address
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from . import access, services

logger = logging.getLogger(__name__)


class WithheldMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, access.WithheldError):
            return None
        return render(
            request,
            "clients/withheld.html",
            {"participant": exception.participant, "data_class": exception.data_class},
        )


class AccessLogMiddleware:
    """Every read is logged (docs/decisions/0018): after the view, before the response leaves,
    one access-log row for each participant the request showed (clients.access.shown, filled by
    every visibility answer of the request), all in one INSERT. When the log cannot be written
    the request fails closed: a plain 500, without the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Never evaluates a user the view did not: only a view that asked access notes reads.
        shown = access.shown(request.user) if hasattr(request, "user") else {}
        if not shown:
            return response
        match = request.resolver_match
        try:
            services.access_log_write(
                user=request.user,
                shown=shown,
                route=match.view_name if match else "",
                path=request.path,
                ip=get_client_ip_address(request),
                at=timezone.now(),
            )
        except Exception:
            logger.exception("The access log could not be written: the response is withheld.")
            response.close()
            return HttpResponseServerError(render_to_string("clients/access_log_failed.html"))
        return response
