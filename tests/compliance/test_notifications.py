"""The participant notice senders: what each does with a batch of notices, and that the one in
settings is used. The call list that sends them is tested in test_draw.py."""

import datetime
import json
import logging

import pytest
from django.core import mail

from compliance.notifications import (
    ConsoleSender,
    EmailSender,
    FileSender,
    TestNotice,
    notice_sender,
)

ADA = TestNotice(
    participant_id=11,
    name="Ada",
    phone="555-0100",
    email="ada@example.org",
    day=datetime.date(2026, 12, 9),
    specimen="Urine",
    collect_by="14:05",
)
BEN = TestNotice(
    participant_id=12,
    name="Ben",
    phone="555-0101",
    email="",
    day=datetime.date(2026, 12, 9),
    specimen="Oral fluid",
    collect_by="10:05",
)


def test_the_text_says_only_that_a_check_in_is_due_and_by_when():
    assert ADA.text() == "Hello Ada, your check-in is due today by 14:05."
    assert BEN.text() == "Hello Ben, your check-in is due today by 10:05."


def test_the_console_sender_logs_each_notice(caplog):
    with caplog.at_level(logging.INFO, logger="compliance.notifications"):
        ConsoleSender().send([ADA, BEN])

    assert caplog.messages == [
        f"Test notice to participant 11: {ADA.text()}",
        f"Test notice to participant 12: {BEN.text()}",
    ]


def test_the_file_sender_appends_one_line_per_notice(settings, tmp_path):
    settings.TEST_NOTICE_FILE = tmp_path / "notices.jsonl"

    FileSender().send([ADA])
    FileSender().send([BEN])
    FileSender().send([])

    lines = [json.loads(line) for line in settings.TEST_NOTICE_FILE.read_text().splitlines()]
    assert [line["participant_id"] for line in lines] == [11, 12]
    assert lines[0] == {
        "participant_id": 11,
        "name": "Ada",
        "phone": "555-0100",
        "email": "ada@example.org",
        "day": "2026-12-09",
        "specimen": "Urine",
        "collect_by": "14:05",
        "text": ADA.text(),
    }


def test_the_email_sender_mails_those_with_an_address_and_logs_the_others(caplog):
    with caplog.at_level(logging.WARNING, logger="compliance.notifications"):
        EmailSender().send([ADA, BEN])

    [message] = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["ada@example.org"],
        "Check-in reminder",
        ADA.text(),
    )
    assert caplog.messages == [
        "Participant 12 has no e-mail address; their test notice for 2026-12-09 was not sent."
    ]


@pytest.mark.parametrize("sender", [ConsoleSender, FileSender, EmailSender])
def test_the_sender_in_settings_is_used(settings, sender):
    settings.TEST_NOTICE_SENDER = f"compliance.notifications.{sender.__name__}"

    assert isinstance(notice_sender(), sender)
