from __future__ import annotations

from assist.catalogue import build_entries
from rules.model import Rule


def test_rules_sharing_a_diagnosis_are_one_entry_keyed_by_the_first(
    rules: tuple[Rule, ...],
) -> None:
    entries = build_entries(rules)
    tyres = next(e for e in entries if e.key == "tyre-pressure-low-front-left")
    assert "tyre-pressure-loss-rear-right" in tyres.rule_ids
    assert len(tyres.rule_ids) == 8  # four wheels, a threshold and a rate each
    battery = next(e for e in entries if e.key == "lv-battery-low")
    assert battery.rule_ids == ("lv-battery-low", "lv-battery-rest-voltage-trend")
    assert sum(len(e.rules) for e in entries) == len(rules)
    assert len({e.key for e in entries}) == len(entries)


def test_an_entry_is_known_by_its_texts_in_each_language(rules: tuple[Rule, ...]) -> None:
    pads = next(e for e in build_entries(rules) if e.key == "brake-pads-worn-front-left")
    english = pads.texts("en")
    assert "Brake pads worn, front left" in english
    assert pads.diagnosis.summary in english
    assert set(pads.diagnosis.symptoms.en) <= set(english)
    assert pads.texts("zh") == pads.diagnosis.symptoms.zh  # the catalogue's Chinese phrases
    assert set(pads.phrases()) == set(english) | set(pads.texts("zh"))
