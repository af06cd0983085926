"""The MQTT topic contract: everything lives under ``pitstop/v1/{vin}/{kind}``.

A VIN is 17 characters with no MQTT wildcard or separator in it. Topics are built and parsed
only here, so no other module spells a topic by hand.

Cloud services hand data on to each other under ``pitstop/cloud/v1/part/{k}/{vin}/{kind}``, a
root that cars cannot publish to (deploy/mosquitto.acl): ingest republishes there what it
stored (live telemetry batches and DTC reports, the original payload), and the rules engine
reads only that, so it never acts on a message ingest refused. ``k`` is the vehicle's
partition, ``partition_of(vin, partitions)``: a stable hash of the VIN (CRC-32, the same on
every machine and in every language) modulo the partition count that ingest and the rules
share (a setting). A rules worker subscribes to its own partitions only (``--shard i/N`` with
N dividing the count), and sees each vehicle's messages in order on any broker.
"""

from __future__ import annotations

import re
import zlib
from enum import StrEnum

from pitstop.errors import TopicError

ROOT = "pitstop/v1"
CLOUD_ROOT = "pitstop/cloud/v1"
PARTITIONED_ROOT = f"{CLOUD_ROOT}/part"

_VIN = re.compile(r"[A-Za-z0-9]{17}")


class Kind(StrEnum):
    """The last level of a topic: what the message is."""

    TELEMETRY = "telemetry"  # car -> cloud, batches of decoded samples, QoS 1
    DTC = "dtc"  # car -> cloud, the full set of active trouble codes, QoS 1
    EVENT = "event"  # car -> cloud, trigger windows and gateway events, QoS 1
    STATUS = "status"  # car -> cloud, retained online/offline
    ACK = "ack"  # cloud -> car, sequence numbers durably stored
    CMD = "cmd"  # cloud -> car, read-only diagnostic requests


def validate_vin(vin: str) -> str:
    """Return ``vin`` unchanged if it is 17 letters and digits, else raise ``TopicError``."""
    if not _VIN.fullmatch(vin):
        raise TopicError(f"invalid VIN {vin!r}: expected 17 letters and digits")
    return vin


def topic(vin: str, kind: Kind) -> str:
    """The topic of one vehicle's messages of one kind."""
    return f"{ROOT}/{validate_vin(vin)}/{kind.value}"


def subscription(kind: Kind, share_group: str | None = None) -> str:
    """The filter matching ``kind`` for every vehicle, optionally as a shared subscription."""
    pattern = f"{ROOT}/+/{kind.value}"
    return f"$share/{share_group}/{pattern}" if share_group else pattern


def partition_of(vin: str, partitions: int) -> int:
    """The vehicle's partition in ``range(partitions)``: CRC-32 of the VIN's ASCII bytes."""
    if partitions < 1:
        raise TopicError(f"the partition count must be at least 1, got {partitions}")
    return zlib.crc32(vin.encode("ascii", "replace")) % partitions


def cloud_topic(vin: str, kind: Kind, partitions: int = 1) -> str:
    """Where ingest hands on what it accepted of one vehicle (telemetry or dtc), in the
    vehicle's partition of ``partitions``."""
    _check_cloud_kind(kind)
    part = partition_of(validate_vin(vin), partitions)
    return f"{PARTITIONED_ROOT}/{part}/{vin}/{kind.value}"


def cloud_subscription(
    kind: Kind, share_group: str | None = None, partition: int | None = None
) -> str:
    """The filter matching accepted ``kind`` messages of one partition (every one if None)
    (see ``cloud_topic``)."""
    _check_cloud_kind(kind)
    part = "+" if partition is None else str(int(partition))
    pattern = f"{PARTITIONED_ROOT}/{part}/+/{kind.value}"
    return f"$share/{share_group}/{pattern}" if share_group else pattern


def parse_topic(name: str) -> tuple[str, Kind]:
    """Split a concrete topic into (VIN, kind); raise ``TopicError`` for anything else."""
    return _parse(name, ROOT)


def parse_cloud_topic(name: str) -> tuple[str, Kind]:
    """Split a concrete cloud topic (``cloud_topic``) into (VIN, kind)."""
    prefix = PARTITIONED_ROOT + "/"
    if not name.startswith(prefix):
        raise TopicError(f"topic {name!r} is not under {PARTITIONED_ROOT}/")
    part, _, rest = name[len(prefix) :].partition("/")
    if not part.isdigit():
        raise TopicError(f"topic {name!r}: partition {part!r} is not a number")
    vin, kind = _parse(f"{CLOUD_ROOT}/{rest}", CLOUD_ROOT)
    _check_cloud_kind(kind)
    return vin, kind


def _check_cloud_kind(kind: Kind) -> None:
    if kind not in (Kind.TELEMETRY, Kind.DTC):
        raise TopicError(f"no cloud topic for {kind.value!r}: only telemetry and dtc")


def _parse(name: str, root: str) -> tuple[str, Kind]:
    prefix = root + "/"
    if not name.startswith(prefix):
        raise TopicError(f"topic {name!r} is not under {root}/")
    parts = name[len(prefix) :].split("/")
    if len(parts) != 2:
        raise TopicError(f"topic {name!r} is not {root}/{{vin}}/{{kind}}")
    vin, kind = parts
    try:
        return validate_vin(vin), Kind(kind)
    except ValueError as err:
        raise TopicError(f"topic {name!r}: {err}") from err
