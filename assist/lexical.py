"""The lexical baseline: BM25 (``rank_bm25``) over the entries' texts in the language asked.

English is cut into words, stop words dropped, each word stemmed (Snowball: "braking" and
"brakes" meet at "brake"); Chinese is segmented by ``jieba`` in search mode (a word and its
shorter words, so that 刹车片 also finds 刹车). One document per entry and language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assist.catalogue import Entry
from assist.language import LANGUAGES, is_cjk

_WORD = re.compile(r"[a-z0-9]+")
_EN_STOP_WORDS = """a an and are as at be been but by car do does doe for from had has have i if
in into is it its me my of on or so that the then there this to too up very was when while with
got get getting keep keeps seem seems like just"""
_ZH_STOP_WORDS = "的 了 时候 我 有 很 是 在 就 都 也 还 和 会 着 一 个 好像 感觉 车 车子 我的"
_EN_STOP = frozenset(_EN_STOP_WORDS.split())
_ZH_STOP = frozenset(_ZH_STOP_WORDS.split())


class Tokenizer:
    """Words of a text in one language; owns the jieba dictionary and the stemmer."""

    def __init__(self) -> None:
        import jieba
        import snowballstemmer

        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._jieba: Any = jieba.Tokenizer()
        self._jieba.initialize()
        self._stemmer: Any = snowballstemmer.stemmer("english")

    def words(self, text: str, language: str) -> list[str]:
        if language == "zh":
            return self._chinese(text)
        found = [w for w in _WORD.findall(text.lower()) if w not in _EN_STOP]
        return [str(s) for s in self._stemmer.stemWords(found)]

    def _chinese(self, text: str) -> list[str]:
        words: list[str] = []
        for piece in self._jieba.cut_for_search(text.lower()):
            word = piece.strip()
            if not word or word in _ZH_STOP:
                continue
            if any(is_cjk(c) for c in word) or _WORD.fullmatch(word):
                words.extend(self.words(word, "en") if _WORD.fullmatch(word) else [word])
        return words


@dataclass(frozen=True, slots=True)
class LexicalIndex:
    """BM25 per language over ``entries``; ``scores`` in entry order."""

    entries: tuple[Entry, ...]
    tokenizer: Tokenizer
    bm25: dict[str, Any]

    def scores(self, text: str, language: str) -> list[float]:
        words = self.tokenizer.words(text, language)
        if not words:
            return [0.0] * len(self.entries)
        return [float(s) for s in self.bm25[language].get_scores(words)]


def build_lexical(entries: Sequence[Entry], tokenizer: Tokenizer) -> LexicalIndex:
    from rank_bm25 import BM25Okapi

    bm25: dict[str, Any] = {}
    for language in LANGUAGES:
        docs = [tokenizer.words(" \n".join(e.texts(language)), language) for e in entries]
        bm25[language] = BM25Okapi([d or ["-"] for d in docs])
    return LexicalIndex(tuple(entries), tokenizer, bm25)
