"""Every write runs inside `audited_write(actor)`: one transaction, with the acting user recorded
as pghistory context so each history row says who made the change (also from commands and
tasks, where no request middleware sets it)."""

from collections.abc import Iterator
from contextlib import contextmanager

import pghistory
from django.db import transaction


@contextmanager
def audited_write(actor) -> Iterator[None]:
    with transaction.atomic(), pghistory.context(user=actor.pk if actor else None):
        yield


@contextmanager
def audited_task(task: str) -> Iterator[None]:
    """Writes no person makes (a sweep's statement): their history rows name the task. pghistory
    adds the context to each statement itself, so this costs no query of its own. Without a
    context, pghistory's trigger also raises and catches an error for every row, which made
    marking 10,000 missed tests and raising their alerts take 122 s instead of 1.9 s."""
    with pghistory.context(task=task):
        yield
