"""Monitoring tests need the program's settings (phases, testing policy) in force on any date
they travel to, so the persona program gets a first settings version from 2020 on."""

import pytest

from tests.factories import settings_since_2020


@pytest.fixture(autouse=True)
def program_settings(program, other_program):
    """Both test programs have the default settings: phase 1 tests 3 times a week, urine
    window 8 hours, oral fluid 4, every policy outcome counts as positive, 2 in 14 days."""
    settings_since_2020(other_program)
    return settings_since_2020(program)
