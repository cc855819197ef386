"""Telling participants they are called for a test today, through a sender chosen in settings
(TEST_NOTICE_SENDER): the console or a file in development, e-mail (or an SMS adapter written
the same way) in production.

A notice says as little as it can (42 CFR Part 2): that a check-in is due today and by when.
No program name, no word about drugs or treatment, since anyone may read a phone's screen.
"""

import datetime
import json
import logging
from dataclasses import asdict, dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

NOTICE_SUBJECT = "Check-in reminder"


@dataclass(frozen=True)
class TestNotice:
    participant_id: int
    name: str  # what the participant is called (preferred or legal first name)
    phone: str
    email: str
    day: datetime.date
    specimen: str  # the specimen label, for adapters that route by it; never in the text
    collect_by: str  # program-local time, HH:MM

    def text(self) -> str:
        return f"Hello {self.name}, your check-in is due today by {self.collect_by}."


class NoticeSender(Protocol):
    def send(self, notices: list[TestNotice]) -> None: ...


class ConsoleSender:
    """Development: the notices go to the log."""

    def send(self, notices: list[TestNotice]) -> None:
        for notice in notices:
            logger.info("Test notice to participant %s: %s", notice.participant_id, notice.text())


class FileSender:
    """Development and demos: one JSON line per notice appended to settings.TEST_NOTICE_FILE."""

    def send(self, notices: list[TestNotice]) -> None:
        if not notices:
            return
        with open(settings.TEST_NOTICE_FILE, "a", encoding="utf-8") as notice_file:
            for notice in notices:
                line = {**asdict(notice), "day": notice.day.isoformat(), "text": notice.text()}
                notice_file.write(json.dumps(line) + "\n")


class EmailSender:
    """One e-mail per participant with an address (one SMTP connection for all); those without
    one are logged so that staff can call them."""

    def send(self, notices: list[TestNotice]) -> None:
        for notice in notices:
            if not notice.email:
                logger.warning(
                    "Participant %s has no e-mail address; their test notice for %s was not sent.",
                    notice.participant_id,
                    notice.day,
                )
        send_mass_mail(
            [
                (NOTICE_SUBJECT, notice.text(), None, [notice.email])
                for notice in notices
                if notice.email
            ],
            fail_silently=False,
        )


def notice_sender() -> NoticeSender:
    """The sender named by settings.TEST_NOTICE_SENDER (a dotted path to a class)."""
    return import_string(settings.TEST_NOTICE_SENDER)()
