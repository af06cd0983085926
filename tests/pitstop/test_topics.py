from __future__ import annotations

import pytest

from pitstop.errors import TopicError
from pitstop.topics import Kind, parse_topic, subscription, topic, validate_vin

VIN = "PITSTOPDEMO000001"


def test_topic_round_trip() -> None:
    for kind in Kind:
        assert parse_topic(topic(VIN, kind)) == (VIN, kind)


@pytest.mark.parametrize("vin", ["", "SHORT", "PITSTOPDEMO00000+", "PITSTOP/EMO000001", "#" * 17])
def test_bad_vins_are_refused(vin: str) -> None:
    with pytest.raises(TopicError):
        validate_vin(vin)


@pytest.mark.parametrize(
    "name", ["pitstop/v2/PITSTOPDEMO000001/telemetry", "pitstop/v1/PITSTOPDEMO000001/x", "a/b"]
)
def test_foreign_topics_are_refused(name: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(name)


def test_shared_subscription() -> None:
    assert subscription(Kind.TELEMETRY) == "pitstop/v1/+/telemetry"
    assert subscription(Kind.TELEMETRY, "ingest") == "$share/ingest/pitstop/v1/+/telemetry"
