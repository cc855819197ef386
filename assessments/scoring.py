"""Instruments are data: a definition (a JSON document, versioned) says the items, the options
with their scores, which items are unscored or safety items, and the severity bands. This
module checks a definition and scores answers against it; nothing here knows any instrument.

A definition:

    {
      "code": "PHQ-9", "version": 1, "name": "Patient Health Questionnaire-9",
      "source": "where the items and scoring come from",
      "instructions": "Over the last 2 weeks, how often ...",
      "option_sets": {"frequency": [{"value": "0", "label": "Not at all", "score": 0}, ...]},
      "items": [
        {"key": "1", "text": "...", "options": "frequency"},
        {"key": "9", "text": "...", "options": "frequency",
         "safety": {"above": 0, "prompt": "What immediate safety step did you take?"}},
        {"key": "10", "text": "...", "options": "difficulty", "scored": false,
         "required_if_any_above": 0}
      ],
      "bands": [{"min": 0, "max": 4, "label": "Minimal"}, ...]
    }

The total is the sum of the chosen options' scores over scored items: per-option scores (AUDIT
items 9-10 score 0/2/4) and reverse-scored items (DAST-10 item 3: "No" scores 1) are simply the
scores written on the options. A safety item whose chosen score is above its threshold needs an
immediate step by the assessor before anything is saved. An item with "required_if_any_above"
is answered only when some scored item's answer scores above that (PHQ-9's difficulty item
asks about the problems checked off); otherwise it may stay blank.
"""

from dataclasses import dataclass
from typing import Any


class DefinitionError(ValueError):
    """The definition cannot be used: the message says what to fix."""


@dataclass(frozen=True)
class Score:
    total: int
    band: str
    safety_items: tuple[str, ...]  # keys of safety items whose answer needs an immediate step


def check_definition(definition: dict[str, Any]) -> None:
    """Raises DefinitionError unless the definition is complete and consistent."""
    for field in ("code", "version", "name", "source", "option_sets", "items", "bands"):
        if field not in definition:
            raise DefinitionError(f"The definition has no “{field}”.")
    if not isinstance(definition["version"], int) or definition["version"] < 1:
        raise DefinitionError("“version” must be a whole number from 1.")
    option_sets = definition["option_sets"]
    for name, options in option_sets.items():
        if not options:
            raise DefinitionError(f"The option set “{name}” has no options.")
        values = [option.get("value") for option in options]
        if len(set(values)) != len(values) or None in values:
            raise DefinitionError(f"The option set “{name}” repeats or misses an option value.")
        for option in options:
            if not _is_count(option.get("score")) or "label" not in option:
                raise DefinitionError(
                    f"Every option of “{name}” needs a label and a whole score of 0 or more."
                )
    keys = [item.get("key") for item in definition["items"]]
    if not keys or len(set(keys)) != len(keys) or None in keys:
        raise DefinitionError("Items need keys, each used once.")
    for item in definition["items"]:
        if item.get("options") not in option_sets:
            raise DefinitionError(f"Item {item['key']} names an option set that does not exist.")
        if not item.get("text"):
            raise DefinitionError(f"Item {item['key']} has no text.")
        if not isinstance(item.get("scored", True), bool):
            raise DefinitionError(f"Item {item['key']}: “scored” must be true or false.")
        if "required_if_any_above" in item and not _is_count(item["required_if_any_above"]):
            raise DefinitionError(
                f"Item {item['key']}: “required_if_any_above” must be a whole score."
            )
        safety = item.get("safety")
        if safety is not None and (not _is_count(safety.get("above")) or not safety.get("prompt")):
            raise DefinitionError(
                f"Item {item['key']}: a safety item needs “above” (a whole score) and a “prompt”."
            )
    _check_bands(definition["bands"], maximum=max_score(definition))


def _check_bands(bands: list[dict], *, maximum: int) -> None:
    """Bands must cover 0..maximum without gaps or overlaps, in order."""
    expected_min = 0
    for band in bands:
        if not (_is_count(band.get("min")) and _is_count(band.get("max")) and band.get("label")):
            raise DefinitionError("Every band needs a label and whole “min” and “max” scores.")
        if band["min"] != expected_min or band["max"] < band["min"]:
            raise DefinitionError(
                f"The bands must run from 0 to {maximum} without gaps or overlaps "
                f"(the band “{band.get('label', '?')}” should start at {expected_min})."
            )
        expected_min = band["max"] + 1
    if expected_min != maximum + 1:
        raise DefinitionError(f"The bands must end at the highest possible score, {maximum}.")


def _is_count(value: Any) -> bool:
    """A whole number of 0 or more (and not a boolean, which Python counts as an int)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def max_score(definition: dict[str, Any]) -> int:
    option_sets = definition["option_sets"]
    return sum(
        max(option["score"] for option in option_sets[item["options"]])
        for item in definition["items"]
        if item.get("scored", True)
    )


def item_options(definition: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    return definition["option_sets"][item["options"]]


def _chosen_score(definition: dict[str, Any], item: dict[str, Any], chosen: str) -> int | None:
    option = next((o for o in item_options(definition, item) if o["value"] == chosen), None)
    return None if option is None else option["score"]


def is_required(definition: dict[str, Any], item: dict[str, Any], answers: dict[str, str]) -> bool:
    """Every item needs an answer, except one with "required_if_any_above" while no scored
    item's answer scores above it."""
    above = item.get("required_if_any_above")
    if above is None:
        return True
    scored = (i for i in definition["items"] if i.get("scored", True))
    return any(
        (_chosen_score(definition, i, answers.get(i["key"], "")) or 0) > above for i in scored
    )


def score(definition: dict[str, Any], answers: dict[str, str]) -> Score:
    """Scores a set of answers ({item key: option value}); raises ValueError naming the first
    missing required item or unknown answer."""
    total = 0
    safety_items = []
    for item in definition["items"]:
        chosen = answers.get(item["key"])
        if chosen is None or chosen == "":
            if is_required(definition, item, answers):
                raise ValueError(f"Item {item['key']} has no answer.")
            continue
        option = next((o for o in item_options(definition, item) if o["value"] == chosen), None)
        if option is None:
            raise ValueError(f"“{chosen}” is not an answer to item {item['key']}.")
        if item.get("scored", True):
            total += option["score"]
        safety = item.get("safety")
        if safety and option["score"] > safety["above"]:
            safety_items.append(item["key"])
    band = next(b["label"] for b in definition["bands"] if b["min"] <= total <= b["max"])
    return Score(total=total, band=band, safety_items=tuple(safety_items))
