"""Passive J1939 transport-protocol reassembly (SAE J1939-21): BAM and RTS/CTS seen on the bus.

A parameter group longer than 8 bytes travels as a connection-management frame (TP.CM, PGN
0xEC00) followed by numbered data frames (TP.DT, PGN 0xEB00, 7 bytes each)::

    TP.CM  byte 0: 32 BAM | 16 RTS | 17 CTS | 19 EndOfMsgAck | 255 Abort
           bytes 1-2: total size (little endian), byte 3: number of packets,
           bytes 5-7: the PGN carried (little endian)
    TP.DT  byte 0: sequence number 1..n, bytes 1-7: data

``TpReassembler.feed`` takes every frame and returns a ``TpMessage`` when one completes. It never
raises on bus input: a frame out of sequence, a session that times out (J1939-21 T1..T4, measured
on the frames' own timestamps), a malformed control frame or an abort each end that session, log
one line and count in ``stats``. Sessions from several sources (and, for RTS/CTS, to several
destinations) are reassembled side by side.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import can

log = logging.getLogger(__name__)

PF_TP_CM = 0xEC
PF_TP_DT = 0xEB
BAM, RTS, CTS, EOM_ACK, ABORT = 32, 16, 17, 19, 255
GLOBAL = 0xFF
MAX_SIZE = 1785  # 255 packets * 7 bytes


@dataclass(frozen=True, slots=True)
class TpMessage:
    """One reassembled parameter group."""

    pgn: int
    source_address: int
    destination: int  # 0xFF for a broadcast (BAM)
    data: bytes
    ts: float  # timestamp of the frame that completed it


@dataclass(frozen=True, slots=True)
class TpTimeouts:
    """J1939-21 timeouts in seconds."""

    t1: float = 0.75  # between data frames
    t2: float = 1.25  # from CTS to its first data frame
    t3: float = 1.25  # from RTS (or the last data frame of a window) to CTS
    t4: float = 1.05  # after a CTS that holds the connection open (0 packets)


@dataclass(slots=True)
class _Session:
    pgn: int
    size: int
    packets: int
    broadcast: bool
    started: float
    deadline: float
    expected: int = 1
    window_end: int = 255  # last packet the current CTS allows (RTS/CTS only)
    data: bytearray = field(default_factory=bytearray)


def split_id(arbitration_id: int) -> tuple[int, int, int, int]:
    """``(priority, pgn, destination, source)`` of a 29-bit J1939 identifier.

    For PDU1 (PF < 240) the PS byte is the destination and is not part of the PGN.
    """
    priority = (arbitration_id >> 26) & 0x7
    pf = (arbitration_id >> 16) & 0xFF
    ps = (arbitration_id >> 8) & 0xFF
    dp = (arbitration_id >> 16) & 0x300
    source = arbitration_id & 0xFF
    if pf < 240:
        return priority, (dp | pf) << 8, ps, source
    return priority, ((dp | pf) << 8) | ps, GLOBAL, source


class TpReassembler:
    """Reassemble BAM and RTS/CTS sessions from a stream of frames; see the module docstring."""

    def __init__(self, timeouts: TpTimeouts | None = None) -> None:
        self._timeouts = timeouts or TpTimeouts()
        self._sessions: dict[tuple[int, int], _Session] = {}  # (source, destination)
        self.stats: Counter[str] = Counter()

    def feed(self, msg: can.Message) -> TpMessage | None:
        """Take one frame; return the parameter group it completes, if any."""
        if not msg.is_extended_id or msg.is_error_frame or msg.is_remote_frame:
            return None
        self.expire(msg.timestamp)
        pf = (msg.arbitration_id >> 16) & 0xFF
        if pf not in (PF_TP_CM, PF_TP_DT):
            return None
        _, _, dest, source = split_id(msg.arbitration_id)
        data = bytes(msg.data)
        if pf == PF_TP_CM:
            self._control(source, dest, data, msg.timestamp)
            return None
        return self._data(source, dest, data, msg.timestamp)

    def expire(self, now: float) -> int:
        """End every session whose deadline has passed; return how many timed out."""
        late = [key for key, s in self._sessions.items() if now > s.deadline]
        for key in late:
            session = self._sessions.pop(key)
            self._fail("timeouts", key, session.pgn, f"timed out at packet {session.expected}")
        return len(late)

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)

    # --- control frames ---------------------------------------------------------------

    def _control(self, source: int, dest: int, data: bytes, ts: float) -> None:
        if len(data) < 8:
            self.stats["malformed"] += 1
            log.warning("J1939 TP.CM from 0x%02X: %d bytes, expected 8", source, len(data))
            return
        control, pgn = data[0], int.from_bytes(data[5:8], "little")
        if control in (BAM, RTS):
            self._open(source, dest, data, ts, broadcast=control == BAM)
        elif control == CTS:  # sent by the receiver: the session is keyed (originator, receiver)
            self._clear_to_send(self._sessions.get((dest, source)), data, ts)
        elif control == EOM_ACK:
            self._sessions.pop((dest, source), None)
        elif control == ABORT:
            for key in ((source, dest), (dest, source)):
                if key in self._sessions:
                    del self._sessions[key]
                    self._fail("aborted", key, pgn, f"aborted, reason {data[1]}")
        else:
            self.stats["malformed"] += 1
            log.warning("J1939 TP.CM from 0x%02X: unknown control byte %d", source, control)

    def _open(self, source: int, dest: int, data: bytes, ts: float, broadcast: bool) -> None:
        size, packets = int.from_bytes(data[1:3], "little"), data[3]
        pgn = int.from_bytes(data[5:8], "little")
        key = (source, GLOBAL if broadcast else dest)
        if not 9 <= size <= MAX_SIZE or packets != -(-size // 7):
            self.stats["malformed"] += 1
            log.warning(
                "J1939 TP from 0x%02X PGN 0x%05X: size %d in %d packets is inconsistent",
                source,
                pgn,
                size,
                packets,
            )
            return
        if key in self._sessions:
            old = self._sessions[key]
            self._fail("replaced", key, old.pgn, "replaced by a new session before completing")
        wait = self._timeouts.t1 if broadcast else self._timeouts.t3
        self._sessions[key] = _Session(pgn, size, packets, broadcast, ts, ts + wait)
        self.stats["started"] += 1

    def _clear_to_send(self, session: _Session | None, data: bytes, ts: float) -> None:
        if session is None or session.broadcast:
            return
        count, next_packet = data[1], data[2]
        if count == 0:
            session.deadline = ts + self._timeouts.t4
            return
        if not 1 <= next_packet <= session.expected:
            self.stats["malformed"] += 1
            log.warning("J1939 TP.CM CTS asks for packet %d of %d", next_packet, session.packets)
            return
        session.expected = next_packet  # a CTS may ask again for packets already sent
        session.window_end = next_packet + count - 1
        del session.data[(next_packet - 1) * 7 :]
        session.deadline = ts + self._timeouts.t2

    # --- data frames ------------------------------------------------------------------

    def _data(self, source: int, dest: int, data: bytes, ts: float) -> TpMessage | None:
        key = (source, GLOBAL if dest == GLOBAL else dest)
        session = self._sessions.get(key)
        if session is None:
            self.stats["orphan_data"] += 1
            return None
        if len(data) < 2 or data[0] != session.expected:
            del self._sessions[key]
            got = data[0] if data else None
            self._fail("sequence_errors", key, session.pgn, f"got packet {got}")
            return None
        session.data += data[1:8]
        session.expected += 1
        if session.expected > session.packets:
            del self._sessions[key]
            if len(session.data) < session.size:
                self._fail("malformed", key, session.pgn, "short last packet")
                return None
            self.stats["completed"] += 1
            return TpMessage(session.pgn, source, key[1], bytes(session.data[: session.size]), ts)
        at_window_end = not session.broadcast and session.expected > session.window_end
        wait = self._timeouts.t3 if at_window_end else self._timeouts.t1
        session.deadline = ts + wait
        return None

    def _fail(self, counter: str, key: tuple[int, int], pgn: int, why: str) -> None:
        self.stats[counter] += 1
        log.warning(
            "J1939 TP session 0x%02X -> 0x%02X (PGN 0x%05X) dropped: %s", key[0], key[1], pgn, why
        )
