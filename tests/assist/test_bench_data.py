"""The benchmark's descriptions are a fair test: enough of them, both languages, every
diagnosis asked several ways, labels that exist, and none copied from the catalogue."""

from __future__ import annotations

from collections import Counter

from assist.catalogue import build_entries
from bench.assist import load_queries
from rules.model import Rule


def test_the_descriptions_are_many_labelled_and_not_the_catalogues_own(
    rules: tuple[Rule, ...],
) -> None:
    queries = load_queries()
    assert len(queries) >= 150
    keys = {e.key for e in build_entries(rules)}
    assert {q.expect for q in queries} == keys | {"none"}
    assert all(q.accept <= keys | {"none"} for q in queries)
    per = Counter((q.expect, q.language) for q in queries)
    assert min(per.values()) >= 3  # several phrasings per diagnosis and language
    assert per[("none", "en")] >= 10
    assert per[("none", "zh")] >= 10
    phrases = {p for r in rules for p in (*r.diagnosis.symptoms.en, *r.diagnosis.symptoms.zh)}
    assert not [q.text for q in queries if q.text in phrases]
    assert len({q.text for q in queries}) == len(queries)
