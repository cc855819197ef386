"""check_definition refuses what score() could not use (found by probing the checker)."""

import copy
import json
from pathlib import Path

import pytest

from assessments.scoring import DefinitionError, check_definition

PHQ9 = json.loads(
    (Path(__file__).resolve().parents[2] / "assessments/instruments/phq9-v1.json").read_text(
        encoding="utf-8"
    )
)


def phq9_with(change):
    definition = copy.deepcopy(PHQ9)
    change(definition)
    return definition


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["items"][8].update(safety={"prompt": "x"}), id="no-threshold"),
        pytest.param(lambda d: d["items"][9].update(scored="false"), id="scored-as-text"),
        pytest.param(
            lambda d: d["option_sets"]["frequency"][0].update(score=-1), id="negative-score"
        ),
        pytest.param(
            lambda d: d["option_sets"]["frequency"][1].update(score=True), id="boolean-score"
        ),
        pytest.param(lambda d: d["bands"][0].update(max="4"), id="band-bound-as-text"),
    ],
)
def test_check_definition_refuses_what_scoring_cannot_use(change):
    with pytest.raises(DefinitionError):
        check_definition(phq9_with(change))
