"""The registry of phase requirement kinds.

A phase's requirements are stored on the core `Phase` as data (`Phase.requirements`: a list of
`{"kind": key, "params": {name: whole number}}`) and carried by every new settings version;
what a kind means and how it is met is the court's (court/phase_requirements.py registers its
kinds from `CourtConfig.ready()`, DESIGN.md: core never imports a later app). Core needs of a
kind only what storing and editing it takes: its key, its words, and its numbers (a threshold
and, for some, a window of days), which `clean_requirements` checks before anything is saved.
docs/decisions/0014-phase-requirements.md.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Param:
    """A whole number a requirement is given with: `name` in its params, `unit` in words."""

    name: str
    unit: str
    minimum: int = 0
    maximum: int = 3650


class RequirementKind:
    """A kind of phase requirement. Subclasses (court's) say how it is met; here: its key, its
    words (`label`, `describe`) and its numbers: `threshold` (the "at least" figure) and
    `window` (the last so many days it is counted over), either or both None."""

    key: str = ""
    label: str = ""
    help: str = ""  # how it is met, in a sentence, for the settings page
    threshold: Param | None = None
    window: Param | None = None

    def params(self) -> tuple[Param, ...]:
        return tuple(param for param in (self.threshold, self.window) if param is not None)

    def describe(self, params: dict[str, int]) -> str:
        """The requirement in words, e.g. "At least 30 days in the phase"."""
        raise NotImplementedError


_kinds: dict[str, RequirementKind] = {}


def register_requirement_kind(kind: RequirementKind) -> None:
    if kind.key in _kinds:
        raise ValueError(f"A phase requirement kind named {kind.key!r} is already registered.")
    _kinds[kind.key] = kind


def requirement_kinds() -> list[RequirementKind]:
    """The kinds in the order they were registered."""
    return list(_kinds.values())


def requirement_kind(key: str) -> RequirementKind | None:
    return _kinds.get(key)


def describe_requirement(requirement: dict) -> str:
    """A stored requirement in words (its key when the kind is no longer registered)."""
    kind = requirement_kind(requirement["kind"])
    return kind.describe(requirement["params"]) if kind else requirement["kind"]


def clean_requirements(requirements: Iterable[dict], *, phase: str) -> list[dict]:
    """`requirements` of the phase named `phase` as stored: each of a registered kind, at most
    one of each kind, with exactly the kind's numbers, each a whole number in its range (a
    negative threshold is refused). Raises ValidationError naming the phase and the
    requirement; nothing is saved."""
    cleaned: list[dict] = []
    seen: set[str] = set()
    for requirement in requirements:
        key = requirement.get("kind", "") if isinstance(requirement, dict) else ""
        kind = requirement_kind(key)
        if kind is None:
            raise ValidationError(f"{phase}: “{key}” is not a kind of phase requirement.")
        if key in seen:
            raise ValidationError(
                f"{phase}: “{kind.label}” is given twice; keep one of them with the figure "
                "you want."
            )
        seen.add(key)
        given = requirement.get("params") or {}
        if not isinstance(given, dict):
            given = {}
        params: dict[str, int] = {}
        for param in kind.params():
            value = given.get(param.name)
            if value is None or value == "":
                raise ValidationError(f"{phase}: “{kind.label}” needs its {param.unit}.")
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(
                    f"{phase}: “{kind.label}” takes a whole number of {param.unit}."
                )
            if value < 0:
                raise ValidationError(
                    f"{phase}: “{kind.label}” cannot be negative ({value} {param.unit})."
                )
            if not param.minimum <= value <= param.maximum:
                raise ValidationError(
                    f"{phase}: “{kind.label}” takes {param.minimum} to {param.maximum} "
                    f"{param.unit}."
                )
            params[param.name] = value
        extra = set(given) - set(params)
        if extra:
            raise ValidationError(f"{phase}: “{kind.label}” takes no {', '.join(sorted(extra))}.")
        cleaned.append({"kind": key, "params": params})
    return cleaned
