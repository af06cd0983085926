"""The MQTT topic contract: everything lives under ``pitstop/v1/{vin}/{kind}``.

A VIN is 17 characters with no MQTT wildcard or separator in it. Topics are built and parsed
only here, so no other module spells a topic by hand.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pitstop.errors import TopicError

ROOT = "pitstop/v1"

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


def parse_topic(name: str) -> tuple[str, Kind]:
    """Split a concrete topic into (VIN, kind); raise ``TopicError`` for anything else."""
    prefix = ROOT + "/"
    if not name.startswith(prefix):
        raise TopicError(f"topic {name!r} is not under {ROOT}/")
    parts = name[len(prefix) :].split("/")
    if len(parts) != 2:
        raise TopicError(f"topic {name!r} is not {ROOT}/{{vin}}/{{kind}}")
    vin, kind = parts
    try:
        return validate_vin(vin), Kind(kind)
    except ValueError as err:
        raise TopicError(f"topic {name!r}: {err}") from err
