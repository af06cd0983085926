"""Ranking workshops (pure): scores robust to a handful of ratings, comebacks, distance, wait."""

from __future__ import annotations

import pytest

from jobs.model import Workshop
from jobs.network import DISTANCE_ONLY, BookingPolicy, WorkshopRecord
from jobs.ranking import NEUTRAL_SCORE, Candidate, rank, standings

NOW = 1_717_405_200.0  # Monday 2024-06-03 09:00 UTC


def shop(i: int, kind: str = "own") -> Workshop:
    return Workshop(id=i, name=f"W{i}", location="x", skills=("brakes",), kind=kind)


def test_one_bad_rating_moves_a_score_little_and_many_move_it_far() -> None:
    records = [
        WorkshopRecord(1, ratings=40, overall_sum=40 * 4.5),  # the network: 4.5 on average
        WorkshopRecord(2, ratings=1, overall_sum=1.0),  # one angry owner
        WorkshopRecord(3, ratings=10, overall_sum=10.0),  # consistently bad
        WorkshopRecord(4),  # new
    ]
    by_id = standings(records, prior_weight=5.0)
    mean = (40 * 4.5 + 1 + 10) / 51
    assert by_id[4].score == pytest.approx(mean)  # a newcomer starts at the network mean
    assert by_id[2].score == pytest.approx((5 * mean + 1) / 6)
    assert by_id[2].score > 3.0 > by_id[3].score
    assert by_id[3].score < 2.0
    no_prior = standings(records, prior_weight=0.0)
    assert no_prior[2].score == 1.0  # without the prior one rating is the whole score


def test_comeback_rate_is_smoothed_towards_the_network() -> None:
    records = [
        WorkshopRecord(1, fixed=100, comebacks=5),
        WorkshopRecord(2, fixed=1, comebacks=1),
        WorkshopRecord(3, fixed=50, comebacks=25),
    ]
    by_id = standings(records, prior_weight=5.0)
    network = 31 / 151
    assert by_id[2].comeback_rate == pytest.approx((5 * network + 1) / 6)
    assert by_id[1].comeback_rate < by_id[2].comeback_rate < by_id[3].comeback_rate


def test_rank_weighs_score_comebacks_distance_and_wait_and_says_why() -> None:
    good_far = Candidate(shop(1, "partner"), 30.0, (NOW, NOW + 3600))
    bad_near = Candidate(shop(2), 2.0, (NOW, NOW + 3600))
    full = Candidate(shop(3), 0.5, None)  # no capacity in the window
    by_id = standings(
        [
            WorkshopRecord(1, ratings=50, overall_sum=50 * 4.8, fixed=50, comebacks=1),
            WorkshopRecord(2, ratings=50, overall_sum=50 * 2.0, fixed=50, comebacks=20),
            WorkshopRecord(3),
        ],
        5.0,
    )
    offers = rank([bad_near, good_far, full], by_id, BookingPolicy(), NOW)
    assert [o.workshop_id for o in offers] == [1, 2]
    best = offers[0].reason
    assert best["rank"] == 1
    assert best["kind"] == "partner"
    assert best["candidates"] == 2
    assert "best of 2" in str(best["summary"])
    by_distance = rank([bad_near, good_far], by_id, DISTANCE_ONLY, NOW)
    assert [o.workshop_id for o in by_distance] == [2, 1]
    later = Candidate(shop(1), 30.0, (NOW + 6 * 86400, NOW + 6 * 86400 + 3600))
    waited = rank([later, bad_near], by_id, BookingPolicy(wait_weight=10.0), NOW)
    assert waited[0].workshop_id == 2


def test_the_preferred_workshop_comes_first_when_it_can_take_the_job() -> None:
    a = Candidate(shop(1), 1.0, (NOW, NOW + 3600))
    b = Candidate(shop(2), 50.0, (NOW, NOW + 3600))
    offers = rank([a, b], {}, BookingPolicy(), NOW, preferred_id=2)
    assert [o.workshop_id for o in offers] == [2, 1]
    assert offers[0].reason["preferred"] is True
    assert offers[0].reason["score"] == NEUTRAL_SCORE
    full = Candidate(shop(2), 50.0, None)
    assert [o.workshop_id for o in rank([a, full], {}, BookingPolicy(), NOW, preferred_id=2)] == [1]
