"""Passive ISO-TP (ISO 15765-2) reassembly of sniffed or recorded traffic.

Keyed by CAN identifier, so many ECUs' responses interleave freely. Single frames (``0L``, and
the CAN FD escape ``00 LL``), first frames (``1L LL``) and consecutive frames (``2N``) make
messages; flow control (``3x``) is ignored. A consecutive frame out of sequence, a session idle
longer than N_Cr (1 s, on the frames' own timestamps), or a malformed frame ends the session,
logs one line and counts in ``stats``; nothing raises.

``IsoTpMessage.css_layout()`` gives the layout CSS Electronics' DBCs (``kona_ev_uds.dbc``,
``leaf_uds.dbc``) are written against: the first frame minus its first byte, then the data of
every consecutive frame, so the service byte is byte 1.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import can

log = logging.getLogger(__name__)

N_CR = 1.0


@dataclass(frozen=True, slots=True)
class IsoTpMessage:
    arbitration_id: int
    is_extended_id: bool
    data: bytes
    ts: float
    first_frame_byte: int = 0  # the low length byte of the first frame (0 for a single frame)

    def css_layout(self) -> bytes:
        return bytes([self.first_frame_byte]) + self.data


@dataclass(slots=True)
class _Session:
    size: int
    first_frame_byte: int
    deadline: float
    expected: int = 1
    data: bytearray = field(default_factory=bytearray)


def diagnostic_id(msg: can.Message) -> bool:
    """The identifiers diagnostics uses: 11-bit 0x700-0x7FF, 29-bit 0x18DA/0x18DB xxxx."""
    if msg.is_extended_id:
        return (msg.arbitration_id >> 16) & 0x1FFF in (0x18DA, 0x18DB)
    return 0x700 <= msg.arbitration_id <= 0x7FF


class PassiveIsoTp:
    """Reassemble ISO-TP messages from a stream of frames; see the module docstring."""

    def __init__(
        self, accept: Callable[[can.Message], bool] = diagnostic_id, timeout: float = N_CR
    ) -> None:
        self._accept = accept
        self._timeout = timeout
        self._sessions: dict[tuple[int, bool], _Session] = {}
        self.stats: Counter[str] = Counter()

    def feed(self, msg: can.Message) -> IsoTpMessage | None:
        if msg.is_error_frame or msg.is_remote_frame or not self._accept(msg):
            return None
        data = bytes(msg.data)
        key = (msg.arbitration_id, msg.is_extended_id)
        if not data:
            self._bad(key, "empty frame")
            return None
        kind = data[0] >> 4
        if kind == 0:
            return self._single(key, data, msg.timestamp)
        if kind == 1:
            self._first(key, data, msg.timestamp)
            return None
        if kind == 2:
            return self._consecutive(key, data, msg.timestamp)
        if kind != 3:
            self._bad(key, f"unknown frame type {kind}")
            return None
        return None

    def _single(self, key: tuple[int, bool], data: bytes, ts: float) -> IsoTpMessage | None:
        length, start = data[0] & 0x0F, 1
        if length == 0 and len(data) > 8:  # CAN FD escape
            length, start = data[1], 2
        if length == 0 or start + length > len(data):
            self._bad(key, f"single frame length {length} in {len(data)} bytes")
            return None
        self._drop(key, "interrupted by a single frame")
        self.stats["completed"] += 1
        return IsoTpMessage(key[0], key[1], data[start : start + length], ts)

    def _first(self, key: tuple[int, bool], data: bytes, ts: float) -> None:
        if len(data) < 3:
            self._bad(key, "first frame truncated")
            return
        size, start = ((data[0] & 0x0F) << 8) | data[1], 2
        if size == 0 and len(data) >= 6:  # escape: 32-bit length
            size, start = int.from_bytes(data[2:6], "big"), 6
        if size <= len(data) - start:
            self._bad(key, f"first frame announces {size} bytes, which fits a single frame")
            return
        self._drop(key, "interrupted by a new first frame")
        session = _Session(size, data[1], ts + self._timeout)
        session.data += data[start:]
        self._sessions[key] = session

    def _consecutive(self, key: tuple[int, bool], data: bytes, ts: float) -> IsoTpMessage | None:
        session = self._sessions.get(key)
        if session is None:
            self.stats["orphan_frames"] += 1
            return None
        if ts > session.deadline:
            del self._sessions[key]
            self._bad(key, "timed out (N_Cr) before the next consecutive frame", "timeouts")
            return None
        if data[0] & 0x0F != session.expected:
            del self._sessions[key]
            why = f"consecutive frame {data[0] & 0x0F}, expected {session.expected}"
            self._bad(key, why, "sequence_errors")
            return None
        session.data += data[1:]
        session.expected = (session.expected + 1) & 0x0F
        session.deadline = ts + self._timeout
        if len(session.data) < session.size:
            return None
        del self._sessions[key]
        self.stats["completed"] += 1
        payload = bytes(session.data[: session.size])
        return IsoTpMessage(key[0], key[1], payload, ts, session.first_frame_byte)

    def _drop(self, key: tuple[int, bool], why: str) -> None:
        if self._sessions.pop(key, None) is not None:
            self._bad(key, why, "interrupted")

    def _bad(self, key: tuple[int, bool], why: str, counter: str = "malformed") -> None:
        self.stats[counter] += 1
        log.warning("ISO-TP 0x%X: %s", key[0], why)
