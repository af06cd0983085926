from __future__ import annotations

import zlib

import pytest

from pitstop.errors import TopicError
from pitstop.topics import (
    Kind,
    cloud_subscription,
    cloud_topic,
    parse_cloud_topic,
    parse_topic,
    partition_of,
    subscription,
    topic,
    validate_vin,
)

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


def test_cloud_topics_are_a_root_of_their_own() -> None:
    vin = "WPITSTOPDEMO00001"
    name = cloud_topic(vin, Kind.TELEMETRY)
    assert name == f"pitstop/cloud/v1/part/0/{vin}/telemetry"
    assert parse_cloud_topic(name) == (vin, Kind.TELEMETRY)
    assert parse_cloud_topic(cloud_topic(vin, Kind.DTC)) == (vin, Kind.DTC)
    assert cloud_subscription(Kind.DTC) == "pitstop/cloud/v1/part/+/+/dtc"
    shared = "$share/rules/pitstop/cloud/v1/part/+/+/telemetry"
    assert cloud_subscription(Kind.TELEMETRY, "rules") == shared
    with pytest.raises(TopicError):
        parse_cloud_topic(topic(vin, Kind.TELEMETRY))  # a car's topic is not a cloud topic
    with pytest.raises(TopicError):
        parse_topic(name)
    with pytest.raises(TopicError, match="only telemetry and dtc"):
        cloud_topic(vin, Kind.CMD)


def test_cloud_topics_are_partitioned_by_a_stable_hash_of_the_vin() -> None:
    vins = [f"WPITSTOPDEMO{i:05d}" for i in range(200)]
    parts = [partition_of(v, 8) for v in vins]
    assert parts[:4] == [zlib.crc32(v.encode()) % 8 for v in vins[:4]]  # any language can
    assert set(parts) == set(range(8))
    vin = vins[0]
    k = partition_of(vin, 8)
    assert cloud_topic(vin, Kind.DTC, 8) == f"pitstop/cloud/v1/part/{k}/{vin}/dtc"
    assert parse_cloud_topic(cloud_topic(vin, Kind.DTC, 8)) == (vin, Kind.DTC)
    assert cloud_subscription(Kind.TELEMETRY, partition=3) == "pitstop/cloud/v1/part/3/+/telemetry"
    with pytest.raises(TopicError, match="partition"):
        parse_cloud_topic(f"pitstop/cloud/v1/part/x/{vin}/dtc")
    with pytest.raises(TopicError):
        parse_cloud_topic(f"pitstop/cloud/v1/{vin}/dtc")  # the unpartitioned form is gone
