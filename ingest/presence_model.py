"""What the presence service keeps of a car's ``status`` and ``event`` messages, and the bounds.

Everything here is pure: the stores (``ingest.sqlite_presence``, ``ingest.influx_presence``)
and the service (``ingest.presence``) share it. Text from a car is untrusted, so before it is
stored:

- an event's ``type`` must match ``[a-z][a-z0-9_]{0,63}`` (else the event is refused);
- every string in its ``data`` (keys too) is cut to ``max_text`` characters, with control
  characters removed; nesting deeper than ``MAX_DEPTH`` is cut off; lists keep their first
  ``MAX_ITEMS`` entries; when the encoded data is still larger than ``max_data_bytes``, it is
  replaced by ``{"truncated": true, "bytes": N, "keys": [...]}``;
- a status's ``version`` and ``profile`` are cut to ``MAX_NAME`` characters of printable
  text; its counters keep at most ``MAX_COUNTERS`` names matching ``[A-Za-z0-9_.]{1,64}``.

Bounds on what is kept (``PresenceLimits``): per vehicle at most ``max_events`` events (the
oldest go first) and none received more than ``retention_days`` ago (SQLite applies both on
every write; InfluxDB applies the retention on writes and leaves the count to its retention
policy).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pitstop.messages import Event, Status

MAX_DEPTH = 4
MAX_ITEMS = 100
MAX_NAME = 64
MAX_COUNTERS = 64
_TYPE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_COUNTER = re.compile(r"[A-Za-z0-9_.]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_COUNTER_VALUE = 2**63 - 1


@dataclass(frozen=True, slots=True)
class PresenceLimits:
    max_events: int = 10_000  # per vehicle
    retention_days: float = 90.0
    max_data_bytes: int = 8_192  # an event's data, encoded
    max_text: int = 200  # characters of any one string in an event's data


@dataclass(frozen=True, slots=True)
class VehicleStatus:
    """A vehicle's presence: the latest status it (or the broker, for it) sent."""

    vin: str
    state: str  # "online" | "offline" | "unknown" (events, but no status yet)
    since: float  # when the current state was received (epoch s)
    last_seen: float  # when anything (online status or event) last came from the car
    version: str = ""  # the gateway's version
    profile: str = ""  # the hash of its vehicle profile
    counters: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    vin: str
    type: str
    ts: float  # the gateway's time of the event (epoch s)
    received_at: float
    data: Mapping[str, Any]


class RefusedError(ValueError):
    """A message that cannot be stored as it is (the reason is the message)."""


def clean_event(event: Event, limits: PresenceLimits) -> Event:
    """The event with its type checked and its data bounded (see the module docstring)."""
    if not _TYPE.fullmatch(event.type):
        raise RefusedError(f"event type {event.type[:80]!r} is not [a-z][a-z0-9_]{{0,63}}")
    data = _clean(dict(event.data), limits.max_text, 0)
    encoded = encode_data(data)
    if len(encoded) > limits.max_data_bytes:
        keys = [str(k) for k in list(data)[:20]]
        data = {"truncated": True, "bytes": len(encoded), "keys": keys}
    return Event(event.vin, event.type, event.ts_ms, data)


def clean_status(status: Status) -> Status:
    counters = {
        name: max(-_MAX_COUNTER_VALUE, min(_MAX_COUNTER_VALUE, value))
        for name, value in list(status.counters.items())[:MAX_COUNTERS]
        if _COUNTER.fullmatch(name)
    }
    return Status(
        status.vin,
        status.state,
        _text(status.version, MAX_NAME),
        _text(status.profile, MAX_NAME),
        status.ts_ms,
        counters,
    )


def encode_data(data: Mapping[str, Any]) -> bytes:
    """The canonical JSON of an event's data (sorted keys): what is stored and hashed."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True, allow_nan=False).encode()


def event_key(event: Event) -> str:
    """What identifies an event: (vin, type, ts, hash of its data), as a short digest."""
    digest = hashlib.sha256(encode_data(event.data)).hexdigest()[:16]
    return f"{event.vin}:{event.type}:{event.ts_ms}:{digest}"


def _clean(value: Any, max_text: int, depth: int) -> Any:
    if isinstance(value, str):
        return _text(value, max_text)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {_text(str(k), max_text): _clean(v, max_text, depth + 1) for k, v in items}
    if isinstance(value, list):
        return [_clean(v, max_text, depth + 1) for v in value[:MAX_ITEMS]]
    return _text(str(value), max_text)


def _text(value: str, most: int) -> str:
    cleaned = _CONTROL.sub("", value)
    return cleaned if len(cleaned) <= most else cleaned[: most - 1] + "…"
