from __future__ import annotations

import pytest

from assist.catalogue import build_entries
from assist.lexical import Tokenizer, build_lexical
from assist.rank import order
from rules.model import Rule


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


def test_english_words_are_stemmed_and_stop_words_dropped(tokenizer: Tokenizer) -> None:
    assert tokenizer.words("The brakes are squealing when braking", "en") == [
        "brake",
        "squeal",
        "brake",
    ]


def test_chinese_is_segmented_by_jieba_with_the_shorter_words_too(tokenizer: Tokenizer) -> None:
    words = tokenizer.words("刹车片磨没了", "zh")
    assert "刹车片" in words
    assert "刹车" in words
    assert "的" not in tokenizer.words("刹车的时候", "zh")


def test_bm25_ranks_the_entry_sharing_the_words_first(
    tokenizer: Tokenizer, rules: tuple[Rule, ...]
) -> None:
    entries = build_entries(rules)
    index = build_lexical(entries, tokenizer)
    for text, language, expected in [
        ("grinding brakes", "en", "brake-pads-worn-front-left"),
        ("机油压力灯亮", "zh", "engine-oil-pressure-low"),
    ]:
        scores = index.scores(text, language)
        assert entries[order(scores)[0]].key == expected
    assert index.scores("的 了", "zh") == [0.0] * len(entries)  # nothing left to match
