"""The MQTT topic contract: everything lives under ``pitstop/v1/{vin}/{kind}``.

A VIN is 17 characters with no MQTT wildcard or separator in it. Topics are built and parsed
only here, so no other module spells a topic by hand.

Cloud services hand data on to each other under ``pitstop/cloud/v1/{vin}/{kind}``, a root that
cars cannot publish to (deploy/mosquitto.acl): ingest republishes there what it stored (live
telemetry batches and DTC reports, the original payload), and the rules engine reads only that,
so it never acts on a message ingest refused.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pitstop.errors import TopicError

ROOT = "pitstop/v1"
CLOUD_ROOT = "pitstop/cloud/v1"

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


def cloud_topic(vin: str, kind: Kind) -> str:
    """Where ingest hands on what it accepted of one vehicle (telemetry or dtc)."""
    _check_cloud_kind(kind)
    return f"{CLOUD_ROOT}/{validate_vin(vin)}/{kind.value}"


def cloud_subscription(kind: Kind, share_group: str | None = None) -> str:
    """The filter matching accepted ``kind`` messages of every vehicle (see ``cloud_topic``)."""
    _check_cloud_kind(kind)
    pattern = f"{CLOUD_ROOT}/+/{kind.value}"
    return f"$share/{share_group}/{pattern}" if share_group else pattern


def parse_topic(name: str) -> tuple[str, Kind]:
    """Split a concrete topic into (VIN, kind); raise ``TopicError`` for anything else."""
    return _parse(name, ROOT)


def parse_cloud_topic(name: str) -> tuple[str, Kind]:
    """Split a concrete cloud topic (``cloud_topic``) into (VIN, kind)."""
    vin, kind = _parse(name, CLOUD_ROOT)
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
