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
