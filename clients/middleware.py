"""Answers a page of Part 2 information no consent covers for the user
(clients.access.WithheldError) with the "not covered by consent" page: never an error, never
the data."""

from django.shortcuts import render

from . import access


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
