"""Monitoring tests need the program's settings (phases, testing policy) in force on any date
they travel to, so the persona program gets a first settings version from 2020 on."""

import datetime

import pytest

from drugcourt.models import Phase, ProgramSettings
from drugcourt.services import DEFAULT_PHASES
from tests.factories import UserFactory


def settings_since_2020(program) -> ProgramSettings:
    version = ProgramSettings.objects.create(
        program=program,
        effective_from=datetime.date(2020, 1, 1),
        change_note="Test settings.",
        created_by=UserFactory(username=f"settings-author-{program.pk}"),
    )
    Phase.objects.bulk_create(
        Phase(settings=version, number=number, **phase.as_fields())
        for number, phase in enumerate(DEFAULT_PHASES, start=1)
    )
    return version


@pytest.fixture(autouse=True)
def program_settings(program, other_program):
    """Both test programs have the default settings: phase 1 tests 3 times a week, urine
    window 8 hours, oral fluid 4, every policy outcome counts as positive, 2 in 14 days."""
    settings_since_2020(other_program)
    return settings_since_2020(program)
