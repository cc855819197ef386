"""Statistical properties of the daily draw (docs/decisions/0009-daily-random-draw.md), over a
fixed list of seeds so that each run computes the same numbers: 100,000 participant-weeks at
2 tests a week (1,000 weekly seeds x 100 participants). The bounds are a point either side of
what independent daily calls with the chance f/7 give; at this size one point is 5 to 13
standard errors, so only a biased or predictable draw can fail them."""

import datetime
import hashlib
from collections import Counter

import pytest

from compliance.draw import called_days

FREQUENCY = 2
WEEKS = 1_000
PARTICIPANTS = 100
PROGRAM_ID = 7
FIRST_MONDAY = datetime.date(2027, 1, 4)  # ISO 2027-W01
POINT = 0.01


def seed_of(week: int) -> bytes:
    return hashlib.sha256(f"statistics week {week}".encode()).digest()


@pytest.fixture(scope="module")
def weeks() -> list[list[list[int]]]:
    """weeks[w][p]: the weekdays (1 = Monday) participant p + 1 is called in week w."""
    drawn = []
    for week in range(WEEKS):
        iso_year, iso_week, _ = (FIRST_MONDAY + datetime.timedelta(weeks=week)).isocalendar()
        drawn.append(
            [
                [
                    day.isoweekday()
                    for day in called_days(
                        seed_of(week), PROGRAM_ID, iso_year, iso_week, participant, FREQUENCY
                    )
                ]
                for participant in range(1, PARTICIPANTS + 1)
            ]
        )
    return drawn


def test_each_weekday_takes_a_seventh_of_the_calls_and_the_mean_is_the_frequency(weeks):
    per_weekday = Counter(day for week in weeks for calls in week for day in calls)
    total = sum(per_weekday.values())

    shares = {day: per_weekday[day] / total for day in range(1, 8)}
    assert all(abs(share - 1 / 7) <= POINT for share in shares.values()), shares
    assert abs(total / (WEEKS * PARTICIPANTS) - FREQUENCY) <= 0.02


def test_the_day_after_the_second_call_is_as_likely_as_any_day(weeks):
    """Under the old group draw a participant who had had both tests of the week was safe
    for the rest of it; now the next day keeps the chance f/7."""
    after_second = called_next = 0
    for week in weeks:
        for calls in week:
            if len(calls) >= 2 and calls[1] < 7:
                after_second += 1
                called_next += calls[1] + 1 in calls

    chance = called_next / after_second
    assert after_second > 50_000
    assert abs(chance - FREQUENCY / 7) <= POINT, chance


def test_two_participants_of_the_same_frequency_are_called_together_only_by_chance(weeks):
    """Under the old group draw everyone of a frequency tested on the same days."""
    together = same_week = pairs = 0
    for week in weeks:
        for first, second in zip(week[0::2], week[1::2], strict=True):
            pairs += 1
            together += len(set(first) & set(second))
            same_week += first == second

    p = FREQUENCY / 7
    assert abs(together / (7 * pairs) - p * p) <= POINT
    # The same set of days all week long: each day agrees with chance p^2 + (1 - p)^2.
    assert same_week / pairs <= (p * p + (1 - p) ** 2) ** 7 + POINT
