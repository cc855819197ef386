"""The 42 CFR §2.32 redisclosure notice is kept once, by version, and court documents print the
version in force through one template tag."""

import dataclasses
import datetime

from django.template import Context, Template

from drugcourt import redisclosure
from drugcourt.redisclosure import CURRENT, NOTICES, notice_in_force


def render(source: str, **context) -> str:
    return Template("{% load redisclosure %}" + source).render(Context(context))


def test_a_court_document_prints_the_current_notice():
    page = render("{% redisclosure_notice %}")

    assert f'data-notice-version="{CURRENT.version}"' in page
    assert CURRENT.version == "42cfr2.32-2024"
    assert "This record which has been disclosed to you is protected by Federal" in page
    assert "as authorized by a court in accordance with 42 CFR 2.64 or 2.65" in page
    assert "(iii) You have received the record from a covered entity" in page
    assert "is NOT sufficient to meet the required elements of written consent" in page
    assert "in force from Apr 16, 2024" in page


def test_a_document_prints_the_version_in_force_on_its_day(monkeypatch):
    amended = dataclasses.replace(
        CURRENT,
        version="42cfr2.32-2031",
        effective_from=datetime.date(2031, 1, 1),
        paragraphs=("An amended notice.",),
    )
    monkeypatch.setattr(redisclosure, "NOTICES", (*NOTICES, amended))

    before = render("{% redisclosure_notice on=day %}", day=datetime.date(2030, 12, 31))
    after = render("{% redisclosure_notice on=day %}", day=datetime.date(2031, 1, 1))

    assert 'data-notice-version="42cfr2.32-2024"' in before
    assert 'data-notice-version="42cfr2.32-2031"' in after
    assert "An amended notice." in after


def test_a_day_before_the_first_version_gets_the_first():
    assert notice_in_force(datetime.date(2020, 1, 1)) == NOTICES[0]
