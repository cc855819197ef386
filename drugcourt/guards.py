"""Status guards: a write that depends on a row's state checks that state inside its own
transaction, on the row locked, so that a double submit (or two people at once) writes once and
the second request is told why (docs/decisions/0011-guarded-writes.md)."""

from typing import TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


def lock(instance: ModelT) -> ModelT:
    """Re-reads `instance` from its row, locked FOR UPDATE until the transaction ends, and
    returns it. Call it inside the write's transaction, before checking the state the write
    depends on: a second request for the same row waits here until the first has committed,
    then sees what the first one wrote (the view loaded the instance before either began)."""
    manager = type(instance)._default_manager
    instance.refresh_from_db(from_queryset=manager.select_for_update())
    return instance
