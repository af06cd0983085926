"""Control messages, plain JSON (see ``pitstop.codec`` for telemetry, ``pitstop.wire`` for the
framing they share).

Ack (cloud -> car, ``pitstop/v1/{vin}/ack``): ``{"v": 1, "vin": ..., "seqs": [41, 42],
"rejected": {"43": "VIN ... differs from ... in the topic"}}``. ``seqs`` are durably stored;
``rejected`` (optional, absent when empty; keys are decimal sequence numbers) maps each refused
sequence number to the reason, sent once the message is durably in the dead-letter store. The
car deletes both from its spool: a refused message is not sent again. An ack without
``rejected`` (the first form of schema 1) still decodes, with nothing refused.
Status (retained, ``pitstop/v1/{vin}/status``): ``{"v": 1, "vin": ..., "state": "online" |
"offline", "version": ..., "profile": ..., "ts": <ms>}`` plus optional counters.
Event (``pitstop/v1/{vin}/event``): ``{"v": 1, "vin": ..., "type": ..., "ts": <ms>, "data": {}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pitstop.errors import CodecError
from pitstop.wire import SCHEMA_VERSION, dumps, loads, read_int, read_str, read_vin


@dataclass(frozen=True, slots=True)
class Ack:
    """The cloud's word on these sequence numbers of one vehicle: ``seqs`` are durably stored,
    ``rejected`` (seq -> reason) are durably dead-lettered; either way they are answered."""

    vin: str
    seqs: tuple[int, ...]
    rejected: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Status:
    """A gateway's retained presence message."""

    vin: str
    state: str  # "online" | "offline"
    version: str = ""
    profile: str = ""
    ts_ms: int = 0
    counters: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    """Something a gateway reports that is not a sample: a trigger window, a spool overflow."""

    vin: str
    type: str
    ts_ms: int
    data: Mapping[str, Any] = field(default_factory=dict)


# --- control messages --------------------------------------------------------------------


def encode_ack(ack: Ack) -> bytes:
    doc: dict[str, Any] = {"v": SCHEMA_VERSION, "vin": ack.vin, "seqs": list(ack.seqs)}
    if ack.rejected:
        doc["rejected"] = {str(seq): reason for seq, reason in ack.rejected.items()}
    return dumps(doc)


def decode_ack(payload: bytes) -> Ack:
    doc = loads(payload)
    seqs = doc.get("seqs")
    if not isinstance(seqs, list) or not all(type(s) is int for s in seqs):
        raise CodecError("field 'seqs' must be an array of integers")
    return Ack(vin=read_vin(doc), seqs=tuple(seqs), rejected=_rejected(doc.get("rejected", {})))


def _rejected(found: object) -> dict[int, str]:
    if not isinstance(found, dict):
        raise CodecError("field 'rejected' must be an object of seq -> reason")
    rejected: dict[int, str] = {}
    for key, reason in found.items():
        if not (key.isascii() and key.isdigit()) or not isinstance(reason, str):
            raise CodecError(f"field 'rejected': {key!r} must be a sequence number -> a reason")
        rejected[int(key)] = reason
    return rejected


def encode_status(status: Status) -> bytes:
    doc: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "vin": status.vin,
        "state": status.state,
        "version": status.version,
        "profile": status.profile,
        "ts": status.ts_ms,
    }
    if status.counters:
        doc["counters"] = dict(status.counters)
    return dumps(doc)


def decode_status(payload: bytes) -> Status:
    doc = loads(payload)
    state = read_str(doc, "state")
    if state not in ("online", "offline"):
        raise CodecError(f"status state must be 'online' or 'offline', got {state!r}")
    counters = doc.get("counters", {})
    if not isinstance(counters, dict):
        raise CodecError("field 'counters' must be an object")
    return Status(
        vin=read_vin(doc),
        state=state,
        version=str(doc.get("version", "")),
        profile=str(doc.get("profile", "")),
        ts_ms=int(doc.get("ts", 0)),
        counters={str(k): int(v) for k, v in counters.items()},
    )


def encode_event(event: Event) -> bytes:
    return dumps(
        {
            "v": SCHEMA_VERSION,
            "vin": event.vin,
            "type": event.type,
            "ts": event.ts_ms,
            "data": dict(event.data),
        }
    )


def decode_event(payload: bytes) -> Event:
    doc = loads(payload)
    data = doc.get("data", {})
    if not isinstance(data, dict):
        raise CodecError("field 'data' must be an object")
    return Event(
        vin=read_vin(doc), type=read_str(doc, "type"), ts_ms=read_int(doc, "ts"), data=data
    )
