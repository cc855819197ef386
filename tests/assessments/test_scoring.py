"""The four standard screens as shipped in assessments/instruments/, scored by assessments.scoring.

Pure tests: no database. Each expected total and band below is worked out by hand from the
published scoring cited in the comment beside it (and in the definition's "source").
"""

import copy
import json
from functools import cache
from pathlib import Path

import pytest

from assessments.scoring import DefinitionError, Score, check_definition, max_score, score

INSTRUMENTS = Path(__file__).resolve().parents[2] / "assessments" / "instruments"


def load(name: str) -> dict:
    with (INSTRUMENTS / name).open(encoding="utf-8") as f:
        return json.load(f)


def answers_by_label(definition: dict, labels: dict[str, str]) -> dict[str, str]:
    """{item key: option label} -> {item key: option value}, so the tests read like the form."""
    result = {}
    for item in definition["items"]:
        options = definition["option_sets"][item["options"]]
        matches = [o["value"] for o in options if o["label"] == labels[item["key"]]]
        assert len(matches) == 1, f"item {item['key']} has no option “{labels[item['key']]}”"
        result[item["key"]] = matches[0]
    return result


def _labels_of(definition: dict, answers: dict[str, str]) -> dict[str, str]:
    """{item key: option value} -> {item key: option label}."""
    labels = {}
    for item in definition["items"]:
        options = definition["option_sets"][item["options"]]
        labels[item["key"]] = next(
            o["label"] for o in options if o["value"] == answers[item["key"]]
        )
    return labels


def answers_for_total(definition: dict, total: int) -> dict[str, str]:
    """Some complete answer set whose scored options add up to exactly `total`."""
    items = definition["items"]

    def options(item):
        return definition["option_sets"][item["options"]]

    @cache
    def pick(index: int, remaining: int) -> tuple[str, ...] | None:
        if index == len(items):
            return () if remaining == 0 else None
        item = items[index]
        for option in options(item):
            used = option["score"] if item.get("scored", True) else 0
            if used <= remaining and (rest := pick(index + 1, remaining - used)) is not None:
                return (option["value"], *rest)
        return None

    values = pick(0, total)
    assert values is not None, f"no answer set reaches {total}"
    return {item["key"]: value for item, value in zip(items, values, strict=True)}


PHQ9 = "phq9-v1.json"
PHQ9_V2 = "phq9-v2.json"  # item 10 asked only when a problem was checked off
GAD7 = "gad7-v1.json"
AUDIT = "audit-v1.json"
DAST10 = "dast10-v1.json"


# (a) Every definition is usable and its maximum is the published one.


@pytest.mark.parametrize(
    ("name", "code", "maximum", "item_count"),
    [
        (PHQ9, "PHQ-9", 27, 10),  # 9 scored items × 3, plus the unscored difficulty item
        (GAD7, "GAD-7", 21, 7),  # 7 items × 3
        (AUDIT, "AUDIT", 40, 10),  # 8 items × 4 + items 9–10 × 4
        (DAST10, "DAST-10", 10, 10),  # 10 yes/no items × 1
    ],
)
def test_definition_is_valid_and_has_the_published_maximum(name, code, maximum, item_count):
    definition = load(name)
    check_definition(definition)
    assert definition["code"] == code
    assert definition["version"] == 1
    assert definition["source"]
    assert max_score(definition) == maximum
    assert [item["key"] for item in definition["items"]] == [
        str(n) for n in range(1, item_count + 1)
    ]
    assert definition["bands"][-1]["max"] == maximum


def test_every_instrument_file_is_checked():
    assert sorted(p.name for p in INSTRUMENTS.glob("*.json")) == sorted(
        [AUDIT, DAST10, GAD7, PHQ9, PHQ9_V2]
    )


# (b) Hand-written answer sets.


def test_phq9_worked_example():
    # Kroenke, Spitzer & Williams 2001: items 1–9 score 0–3, item 10 is not scored;
    # 1+2+1+3+0+2+1+2+0 = 12, which is 10–14 "Moderate".
    definition = load(PHQ9)
    answers = answers_by_label(
        definition,
        {
            "1": "Several days",
            "2": "More than half the days",
            "3": "Several days",
            "4": "Nearly every day",
            "5": "Not at all",
            "6": "More than half the days",
            "7": "Several days",
            "8": "More than half the days",
            "9": "Not at all",
            "10": "Somewhat difficult",
        },
    )
    assert score(definition, answers) == Score(12, "Moderate", ())


def test_phq9_nothing_endorsed_is_minimal():
    # Kroenke et al. 2001: 0–4 is none–minimal.
    definition = load(PHQ9)
    labels = {str(n): "Not at all" for n in range(1, 10)} | {"10": "Not difficult at all"}
    assert score(definition, answers_by_label(definition, labels)) == Score(0, "Minimal", ())


def test_phq9_everything_endorsed_is_severe():
    # Kroenke et al. 2001: 9 × 3 = 27, in 20–27 "Severe"; item 9 above 0 is a safety item.
    definition = load(PHQ9)
    labels = {str(n): "Nearly every day" for n in range(1, 10)} | {"10": "Extremely difficult"}
    assert score(definition, answers_by_label(definition, labels)) == Score(27, "Severe", ("9",))


def test_gad7_worked_example():
    # Spitzer et al. 2006: items score 0–3; 2+2+3+1+0+1+2 = 11, in 10–14 "Moderate".
    definition = load(GAD7)
    answers = answers_by_label(
        definition,
        {
            "1": "More than half the days",
            "2": "More than half the days",
            "3": "Nearly every day",
            "4": "Several days",
            "5": "Not at all",
            "6": "Several days",
            "7": "More than half the days",
        },
    )
    assert score(definition, answers) == Score(11, "Moderate", ())


def test_gad7_extremes():
    # Spitzer et al. 2006: all "Not at all" = 0 (minimal); all "Nearly every day" = 21 (severe).
    definition = load(GAD7)
    none = answers_by_label(definition, {str(n): "Not at all" for n in range(1, 8)})
    every = answers_by_label(definition, {str(n): "Nearly every day" for n in range(1, 8)})
    assert score(definition, none) == Score(0, "Minimal", ())
    assert score(definition, every) == Score(21, "Severe", ())


def test_audit_worked_example():
    # WHO AUDIT manual (Babor et al. 2001): item 1 "2 to 3 times a week" 3, item 2 "3 or 4" 1,
    # item 3 "Monthly" 2, item 4 "Less than monthly" 1, items 5–6 "Never" 0, item 7 "Less than
    # monthly" 1, item 8 "Never" 0, item 9 "No" 0, item 10 "Yes, during the last year" 4:
    # 3+1+2+1+0+0+1+0+0+4 = 12, risk zone II (8–15).
    definition = load(AUDIT)
    answers = answers_by_label(
        definition,
        {
            "1": "2 to 3 times a week",
            "2": "3 or 4",
            "3": "Monthly",
            "4": "Less than monthly",
            "5": "Never",
            "6": "Never",
            "7": "Less than monthly",
            "8": "Never",
            "9": "No",
            "10": "Yes, during the last year",
        },
    )
    assert score(definition, answers) == Score(12, "Zone II: hazardous drinking", ())


def test_audit_abstainer_and_heaviest_answers():
    # WHO AUDIT manual: the 0-point answers total 0 (zone I); the highest answers are
    # 8 × 4 + 4 + 4 = 40 (zone IV, 20–40).
    definition = load(AUDIT)
    abstainer = {"1": "Never", "2": "1 or 2"} | {str(n): "Never" for n in range(3, 9)}
    abstainer |= {"9": "No", "10": "No"}
    heaviest = {"1": "4 or more times a week", "2": "10 or more"}
    heaviest |= {str(n): "Daily or almost daily" for n in range(3, 9)}
    heaviest |= {"9": "Yes, during the last year", "10": "Yes, during the last year"}
    assert score(definition, answers_by_label(definition, abstainer)) == Score(
        0,
        "Zone I: low risk",
        (),
    )
    assert score(definition, answers_by_label(definition, heaviest)) == Score(
        40,
        "Zone IV: possible dependence",
        (),
    )


def test_dast10_worked_example():
    # Skinner 1982 / CAMH DAST-10 scoring: "Yes" to items 1 and 2 scores 2, "No" to item 3
    # (not always able to stop) scores 1, "No" elsewhere scores 0: total 3, "Moderate level" (3–5).
    definition = load(DAST10)
    labels = {str(n): "No" for n in range(1, 11)} | {"1": "Yes", "2": "Yes"}
    assert score(definition, answers_by_label(definition, labels)) == Score(3, "Moderate level", ())


def test_dast10_all_no_scores_one_because_item_3_is_reversed():
    # CAMH DAST-10 scoring: answering "No" to every question still scores 1 (item 3),
    # which is "Low level" (1–2); "Yes" to item 3 and "No" elsewhere is 0, none reported.
    definition = load(DAST10)
    all_no = {str(n): "No" for n in range(1, 11)}
    assert score(definition, answers_by_label(definition, all_no)) == Score(1, "Low level", ())
    clean = all_no | {"3": "Yes"}
    assert score(definition, answers_by_label(definition, clean)) == Score(
        0,
        "No problems reported",
        (),
    )


def test_dast10_every_problem_endorsed():
    # CAMH DAST-10 scoring: "Yes" to 9 items and "No" to item 3 is 10, "Severe level" (9–10).
    definition = load(DAST10)
    labels = {str(n): "Yes" for n in range(1, 11)} | {"3": "No"}
    assert score(definition, answers_by_label(definition, labels)) == Score(10, "Severe level", ())


# (c) The edges of every band.

BAND_EDGES = [
    # Kroenke et al. 2001, cut points 5, 10, 15, 20.
    (PHQ9, 0, "Minimal"),
    (PHQ9, 4, "Minimal"),
    (PHQ9, 5, "Mild"),
    (PHQ9, 9, "Mild"),
    (PHQ9, 10, "Moderate"),
    (PHQ9, 14, "Moderate"),
    (PHQ9, 15, "Moderately severe"),
    (PHQ9, 19, "Moderately severe"),
    (PHQ9, 20, "Severe"),
    (PHQ9, 27, "Severe"),
    # Spitzer et al. 2006, cut points 5, 10, 15.
    (GAD7, 0, "Minimal"),
    (GAD7, 4, "Minimal"),
    (GAD7, 5, "Mild"),
    (GAD7, 9, "Mild"),
    (GAD7, 10, "Moderate"),
    (GAD7, 14, "Moderate"),
    (GAD7, 15, "Severe"),
    (GAD7, 21, "Severe"),
    # WHO AUDIT manual (Babor et al. 2001), risk zones 0–7, 8–15, 16–19, 20–40.
    (AUDIT, 0, "Zone I: low risk"),
    (AUDIT, 7, "Zone I: low risk"),
    (AUDIT, 8, "Zone II: hazardous drinking"),
    (AUDIT, 15, "Zone II: hazardous drinking"),
    (AUDIT, 16, "Zone III: harmful drinking"),
    (AUDIT, 19, "Zone III: harmful drinking"),
    (AUDIT, 20, "Zone IV: possible dependence"),
    (AUDIT, 40, "Zone IV: possible dependence"),
    # Skinner 1982 / CAMH DAST-10: 0, 1–2, 3–5, 6–8, 9–10.
    (DAST10, 0, "No problems reported"),
    (DAST10, 1, "Low level"),
    (DAST10, 2, "Low level"),
    (DAST10, 3, "Moderate level"),
    (DAST10, 5, "Moderate level"),
    (DAST10, 6, "Substantial level"),
    (DAST10, 8, "Substantial level"),
    (DAST10, 9, "Severe level"),
    (DAST10, 10, "Severe level"),
]


@pytest.mark.parametrize(("name", "total", "band"), BAND_EDGES)
def test_band_edges(name, total, band):
    definition = load(name)
    result = score(definition, answers_for_total(definition, total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize("name", [PHQ9, GAD7, AUDIT, DAST10])
def test_every_band_edge_is_tested(name):
    tested = {total for n, total, _ in BAND_EDGES if n == name}
    edges = {edge for b in load(name)["bands"] for edge in (b["min"], b["max"])}
    assert edges <= tested


@pytest.mark.parametrize("name", [PHQ9, GAD7, AUDIT, DAST10])
def test_every_total_from_0_to_the_maximum_lands_in_exactly_one_band(name):
    definition = load(name)
    for total in range(max_score(definition) + 1):
        result = score(definition, answers_for_total(definition, total))
        assert result.total == total
        assert [b["label"] for b in definition["bands"] if b["min"] <= total <= b["max"]] == [
            result.band
        ]


# (d) Per-option scores.


def test_audit_items_9_and_10_score_0_2_4():
    # WHO AUDIT manual: items 9–10 "No" 0, "Yes, but not in the last year" 2,
    # "Yes, during the last year" 4.
    definition = load(AUDIT)
    base = answers_for_total(definition, 0)
    for key in ("9", "10"):
        for label, added in [
            ("No", 0),
            ("Yes, but not in the last year", 2),
            ("Yes, during the last year", 4),
        ]:
            changed = answers_by_label(definition, _labels_of(definition, base) | {key: label})
            assert score(definition, changed).total == added, (key, label)


def test_audit_items_1_to_8_score_0_to_4_in_published_order():
    # WHO AUDIT manual: each of items 1–8 scores 0–4 in the order its options are printed.
    definition = load(AUDIT)
    expected = {
        "1": [
            "Never",
            "Monthly or less",
            "2 to 4 times a month",
            "2 to 3 times a week",
            "4 or more times a week",
        ],
        "2": ["1 or 2", "3 or 4", "5 or 6", "7, 8, or 9", "10 or more"],
    } | {
        str(n): ["Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"]
        for n in range(3, 9)
    }
    base = answers_for_total(definition, 0)
    for key, labels in expected.items():
        for added, label in enumerate(labels):
            changed = answers_by_label(definition, _labels_of(definition, base) | {key: label})
            assert score(definition, changed).total == added, (key, label)


def test_frequency_items_score_0_to_3():
    # Kroenke et al. 2001 and Spitzer et al. 2006: "Not at all" 0, "Several days" 1,
    # "More than half the days" 2, "Nearly every day" 3.
    for name in (PHQ9, GAD7):
        definition = load(name)
        base = answers_for_total(definition, 0)
        for item in definition["items"]:
            if not item.get("scored", True):
                continue
            for added, label in enumerate(
                ["Not at all", "Several days", "More than half the days", "Nearly every day"]
            ):
                labels = _labels_of(definition, base) | {item["key"]: label}
                changed = answers_by_label(definition, labels)
                assert score(definition, changed).total == added, (name, item["key"], label)


# (e) Reverse scoring.


def test_dast10_item_3_is_reverse_scored():
    # CAMH DAST-10 scoring: item 3 "No" scores 1 and "Yes" scores 0; every other "Yes" scores 1.
    definition = load(DAST10)
    baseline = {str(n): "No" for n in range(1, 11)} | {"3": "Yes"}
    assert score(definition, answers_by_label(definition, baseline)).total == 0
    item_3_no = baseline | {"3": "No"}
    assert score(definition, answers_by_label(definition, item_3_no)).total == 1
    for key in [str(n) for n in range(1, 11) if n != 3]:
        one_yes = baseline | {key: "Yes"}
        assert score(definition, answers_by_label(definition, one_yes)).total == 1, key


# (f) Unscored items.


def test_phq9_item_10_adds_nothing():
    # Kroenke et al. 2001: the difficulty question is not part of the 0–27 total.
    definition = load(PHQ9)
    for total in (0, 14, 27):
        answers = answers_for_total(definition, total)
        for label in (
            "Not difficult at all",
            "Somewhat difficult",
            "Very difficult",
            "Extremely difficult",
        ):
            labels = _labels_of(definition, answers) | {"10": label}
            assert score(definition, answers_by_label(definition, labels)).total == total


def test_phq9_item_10_still_has_its_published_option_scores():
    definition = load(PHQ9)
    item_10 = next(item for item in definition["items"] if item["key"] == "10")
    assert item_10["scored"] is False
    options = definition["option_sets"][item_10["options"]]
    assert [(o["label"], o["score"]) for o in options] == [
        ("Not difficult at all", 0),
        ("Somewhat difficult", 1),
        ("Very difficult", 2),
        ("Extremely difficult", 3),
    ]


# (g) Safety items.


@pytest.mark.parametrize(
    ("label", "safety_items"),
    [
        ("Not at all", ()),
        ("Several days", ("9",)),
        ("More than half the days", ("9",)),
        ("Nearly every day", ("9",)),
    ],
)
def test_phq9_item_9_above_not_at_all_needs_a_safety_step(label, safety_items):
    definition = load(PHQ9)
    labels = {str(n): "Not at all" for n in range(1, 10)} | {"10": "Not difficult at all"}
    result = score(definition, answers_by_label(definition, labels | {"9": label}))
    assert result.safety_items == safety_items


def test_phq9_item_9_is_the_only_safety_item_and_has_a_prompt():
    definition = load(PHQ9)
    safety = {item["key"]: item["safety"] for item in definition["items"] if "safety" in item}
    assert list(safety) == ["9"]
    assert safety["9"]["above"] == 0
    assert "safety step" in safety["9"]["prompt"]


@pytest.mark.parametrize("name", [GAD7, AUDIT, DAST10])
def test_other_instruments_have_no_safety_items(name):
    definition = load(name)
    assert not any("safety" in item for item in definition["items"])
    result = score(definition, answers_for_total(definition, max_score(definition)))
    assert result.safety_items == ()


# (h) Incomplete or wrong answers.


@pytest.mark.parametrize("name", [PHQ9, GAD7, AUDIT, DAST10])
def test_missing_item_names_the_item(name):
    definition = load(name)
    answers = answers_for_total(definition, 0)
    del answers["3"]
    with pytest.raises(ValueError, match=r"Item 3 has no answer"):
        score(definition, answers)
    with pytest.raises(ValueError, match=r"Item 3 has no answer"):
        score(definition, answers | {"3": ""})


@pytest.mark.parametrize("name", [PHQ9, GAD7, AUDIT, DAST10])
def test_unknown_answer_names_the_item(name):
    definition = load(name)
    answers = answers_for_total(definition, 0) | {"2": "often"}
    with pytest.raises(ValueError, match=r"“often” is not an answer to item 2\b"):
        score(definition, answers)


def test_audit_item_9_does_not_accept_a_value_of_another_option_set():
    # Items 9–10 have no 1-point or 3-point answer.
    definition = load(AUDIT)
    answers = answers_for_total(definition, 0) | {"9": "1"}
    with pytest.raises(ValueError, match=r"not an answer to item 9\b"):
        score(definition, answers)


# (i) Broken definitions are refused.


def broken(change) -> dict:
    definition = copy.deepcopy(load(PHQ9))
    change(definition)
    return definition


def _gap(d):
    d["bands"][1]["min"] = 6  # Minimal 0–4, Mild 6–9: a total of 5 has no band


def _overlap(d):
    d["bands"][1]["min"] = 4  # Minimal 0–4, Mild 4–9


def _short(d):
    d["bands"][-1]["max"] = 26  # Severe 20–26, but 27 is possible


def _beyond(d):
    d["bands"][-1]["max"] = 28  # no answer set reaches 28


def _repeated_key(d):
    d["items"][1]["key"] = "1"


def _missing_option_set(d):
    d["items"][4]["options"] = "freqency"


def _fractional_score(d):
    d["option_sets"]["frequency"][1]["score"] = 1.5


def _text_score(d):
    d["option_sets"]["frequency"][1]["score"] = "1"


def _repeated_value(d):
    d["option_sets"]["difficulty"][3]["value"] = "2"


def _no_text(d):
    d["items"][2]["text"] = ""


def _no_source(d):
    del d["source"]


def _version_zero(d):
    d["version"] = 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_gap, "without gaps or overlaps"),
        (_overlap, "without gaps or overlaps"),
        (_short, "must end at the highest possible score, 27"),
        (_beyond, "must end at the highest possible score, 27"),
        (_repeated_key, "each used once"),
        (_missing_option_set, "Item 5 names an option set that does not exist"),
        (_fractional_score, "whole score"),
        (_text_score, "whole score"),
        (_repeated_value, "repeats or misses an option value"),
        (_no_text, "Item 3 has no text"),
        (_no_source, "no “source”"),
        (_version_zero, "“version” must be a whole number"),
    ],
)
def test_check_definition_refuses_broken_definitions(change, message):
    with pytest.raises(DefinitionError, match=message):
        check_definition(broken(change))


def test_the_unbroken_copy_passes():
    check_definition(broken(lambda d: None))
