"""Turning per-entry scores into one ranking, and deciding when nothing matches well.

``fuse`` is reciprocal-rank fusion (Cormack et al., 2009): each ranking gives an entry
``1 / (k + rank)``; a small ``k`` because the catalogue is small. ``confident`` is the
calibrated threshold: the best semantic cosine, or the best BM25 score, must reach its
level (``Thresholds``, measured by ``python -m bench.assist``), else the assistant says it
is unsure and offers a general inspection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RRF_K = 10.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The least best-score that still counts as a match (cosine; BM25 score)."""

    semantic: float = 0.55
    lexical: float = 3.0


DEFAULT_THRESHOLDS = Thresholds()


def order(scores: Sequence[float]) -> list[int]:
    """Entry indexes, best score first; ties keep catalogue order."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def fuse(*scores: Sequence[float], k: float = RRF_K) -> list[float]:
    """Reciprocal-rank fusion of several score lists over the same entries."""
    fused = [0.0] * len(scores[0])
    for one in scores:
        for rank, index in enumerate(order(one), start=1):
            fused[index] += 1.0 / (k + rank)
    return fused


def confident(semantic: Sequence[float], lexical: Sequence[float], limits: Thresholds) -> bool:
    return max(semantic, default=0.0) >= limits.semantic or (
        max(lexical, default=0.0) >= limits.lexical
    )
