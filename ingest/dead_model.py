"""The bounds of the dead letters and what keeping one did: values, pure.

A car controls what it sends, so what ingest keeps of its refused messages is bounded three
ways (``DeadLetterLimits``): each payload is kept up to ``max_payload_bytes`` (its true size
and SHA-256 recorded with it), rows older than ``retention_days`` are deleted, and each VIN
keeps at most ``per_vin`` rows (a new one drops that VIN's oldest). Every store applies them
in ``keep_dead_letter`` and counts what they cost (``DeadLetterTotals``).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

DAY_S = 86_400.0
_PREVIEW_BYTES = 256
_MAX_INFLATED = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DeadLetterLimits:
    max_payload_bytes: int = 64 * 1024
    retention_days: float | None = 30.0  # None: kept until purged
    per_vin: int = 1_000

    def cutoff(self, now: float) -> float | None:
        """Rows received before this are past the retention (None: no retention)."""
        return None if self.retention_days is None else now - self.retention_days * DAY_S

    def trim(self, payload: bytes) -> bytes:
        return payload[: self.max_payload_bytes]


@dataclass(frozen=True, slots=True)
class Kept:
    """What keeping one dead letter did."""

    new: bool  # False: kept before (topic and payload digest), nothing changed
    trimmed: bool = False  # its payload was cut to the size cap
    dropped: int = 0  # older dead letters of its VIN dropped for the quota
    expired: int = 0  # dead letters past the retention deleted on the way


@dataclass(frozen=True, slots=True)
class DeadLetterTotals:
    """Over the store's life: payloads trimmed, rows dropped for a quota, rows expired."""

    trimmed: int = 0
    dropped: int = 0
    expired: int = 0


def describe_payload(payload: bytes) -> str:
    """The payload as indented JSON when it is JSON (zlib-compressed or plain), else a hex
    preview of its first bytes."""
    text = payload
    if payload[:1] != b"{":
        try:
            inflater = zlib.decompressobj()
            text = inflater.decompress(payload, _MAX_INFLATED)
        except zlib.error:
            return _hex(payload)
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=True)
    except (ValueError, RecursionError):
        return _hex(payload)


def _hex(payload: bytes) -> str:
    head = payload[:_PREVIEW_BYTES]
    lines = [head[i : i + 32].hex(" ") for i in range(0, len(head), 32)]
    more = len(payload) - len(head)
    if more:
        lines.append(f"... {more} more bytes")
    return "\n".join(lines) if lines else "(empty)"
