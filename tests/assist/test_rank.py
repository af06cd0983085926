from __future__ import annotations

from assist.rank import Thresholds, confident, fuse, order


def test_order_is_best_first_and_stable_on_ties() -> None:
    assert order([0.1, 0.9, 0.9, 0.5]) == [1, 2, 3, 0]


def test_fusion_prefers_what_both_rankings_put_high() -> None:
    lexical = [3.0, 0.0, 2.9, 1.0]  # 0 first, 1 last
    semantic = [0.1, 0.9, 0.8, 0.5]  # 1 first, 0 last; 2 second in both
    assert order(fuse(lexical, semantic))[0] == 2  # beats first in one and last in the other
    assert order(fuse(lexical))[0] == 0  # one ranking alone is itself


def test_confidence_needs_either_score_to_reach_its_level() -> None:
    limits = Thresholds(semantic=0.55, lexical=3.0)
    assert confident([0.6, 0.1], [0.0, 0.0], limits)
    assert confident([0.2, 0.1], [3.5, 0.0], limits)
    assert not confident([0.54, 0.1], [2.9, 0.0], limits)
