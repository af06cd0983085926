"""The batch ledger's identity and content: what makes a batch "seen before", pure.

A batch is named by (VIN, spool instance, seq) (``pitstop.codec``: a reinstalled gateway
counts from 1 again under a new instance). The ledger keeps a ``content_digest`` with each
name, so that a name that comes again is told apart: the same content is a redelivery (a
duplicate, answered again), other content is a sequence number re-used (a dead letter,
``SEQ_REUSED``). A ledger row kept before digests existed has none: whatever comes under its
name is taken for a duplicate, as it always was.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from array import array
from enum import Enum

from pitstop.codec import TelemetryColumns

SEQ_REUSED = "seq_reused"  # the dead-letter code


class Seen(Enum):
    """What the store made of one batch."""

    STORED = "stored"  # new: written
    DUPLICATE = "duplicate"  # its name and content were stored before: nothing written
    CONFLICT = "conflict"  # its name was stored with other content: nothing written


def content_digest(columns: TelemetryColumns) -> str:
    """SHA-256 (hex) of a batch's content: profile and every signal's times and values,
    in name order (independent of the wire's encoding and compression)."""
    parts = [columns.profile.encode()]
    for name in sorted(columns.series):
        series = columns.series[name]
        parts.append(b"\0" + name.encode("utf-8", "surrogatepass") + b"\0")
        if len(series.ts_ms) == 1 and _ONE is not None:  # the same bytes as below, one call
            parts.append(_ONE.pack(1, series.ts_ms[0], series.values[0]))
            continue
        parts.append(len(series.ts_ms).to_bytes(8, "little"))
        parts.append(array("q", series.ts_ms).tobytes())
        parts.append(array("d", series.values).tobytes())
    return hashlib.sha256(b"".join(parts)).hexdigest()


# count (little-endian), time and value (native, as ``array`` packs them): one struct when
# native is little-endian too
_ONE = struct.Struct("<qqd") if sys.byteorder == "little" else None


def judge(stored_digest: str | None, digest: str) -> Seen:
    """A name found in the ledger: a duplicate unless the stored content differs."""
    if stored_digest is None or stored_digest == digest:
        return Seen.DUPLICATE
    return Seen.CONFLICT


def conflict_reason(columns: TelemetryColumns) -> str:
    inst = columns.instance or "legacy"
    return (
        f"sequence number {columns.seq} of spool instance {inst} was stored before with "
        "other content (a re-used sequence number); this batch is not stored"
    )
