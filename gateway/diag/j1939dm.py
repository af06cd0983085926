"""J1939-73 DM1 (active, PGN 0xFECA) and DM2 (previously active, PGN 0xFECB).

Payload: two lamp bytes (MIL, red stop, amber warning, protect: two bits each, 00 off, 01 on,
10/11 error / not available), then four bytes per code::

    SPN bits 0-7 | SPN bits 8-15 | SPN bits 16-18 (7-5), FMI (4-0) | CM (7), occurrences (6-0)

One code fits a single frame (padded with 0xFF); more travel by BAM. SPN 0 / FMI 0 (or all 0xFF)
is the standard way to say "no trouble code".
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import can

from gateway.diag.errors import MalformedResponseError
from gateway.j1939tp import TpReassembler, split_id
from pitstop.dtc import LAMPS, Dtc, DtcStatus, Protocol, describe, j1939_code

log = logging.getLogger(__name__)

PGN_DM1, PGN_DM2 = 0xFECA, 0xFECB
STATUS = {PGN_DM1: DtcStatus.ACTIVE, PGN_DM2: DtcStatus.PREVIOUSLY_ACTIVE}


def decode_dm(
    pgn: int, data: bytes, source: int, ts: float
) -> tuple[dict[str, bool], tuple[Dtc, ...]]:
    """Parse a DM1/DM2 payload into (lamps that are on or off, codes)."""
    if pgn not in STATUS:
        raise MalformedResponseError(f"PGN 0x{pgn:05X} is not DM1 or DM2")
    if len(data) < 6:
        raise MalformedResponseError(f"DM payload of {len(data)} bytes is truncated")
    lamps = {}
    for i, name in enumerate(LAMPS):
        state = (data[0] >> (6 - 2 * i)) & 0x3
        if state in (0, 1):
            lamps[name] = state == 1
    codes = []
    for i in range(2, len(data) - 3, 4):
        b = data[i : i + 4]
        if b == b"\xff\xff\xff\xff":
            continue
        spn = b[0] | (b[1] << 8) | ((b[2] >> 5) << 16)
        fmi = b[2] & 0x1F
        if spn == 0:
            continue  # "no trouble code"
        code = j1939_code(spn, fmi)
        codes.append(
            Dtc(
                code,
                Protocol.J1939,
                source,
                frozenset({STATUS[pgn]}),
                describe(code),
                spn=spn,
                fmi=fmi,
                occurrences=b[3] & 0x7F,
                first_seen=ts,
                last_seen=ts,
            )
        )
    return lamps, tuple(codes)


def encode_dm(codes: list[tuple[int, int, int]], lamps: int = 0x00) -> bytes:
    """A DM1/DM2 payload for ``[(spn, fmi, occurrences)]``; no code -> SPN 0, 8 bytes."""
    body = b"".join(
        bytes([spn & 0xFF, (spn >> 8) & 0xFF, ((spn >> 16) << 5) | fmi, oc & 0x7F])
        for spn, fmi, oc in codes
    ) or bytes(4)
    data = bytes([lamps, 0xFF]) + body
    return data.ljust(8, b"\xff")


@dataclass(frozen=True, slots=True)
class DmUpdate:
    """One DM1 or DM2 as read from the bus."""

    pgn: int
    source: int
    lamps: dict[str, bool]
    codes: tuple[Dtc, ...]
    ts: float


class DmReader:
    """Turn frames into DM1/DM2 updates: single frames directly, longer ones through BAM."""

    def __init__(self) -> None:
        self.tp = TpReassembler()
        self.stats: Counter[str] = Counter()

    def feed(self, msg: can.Message) -> DmUpdate | None:
        if not msg.is_extended_id:
            return None
        tp = self.tp.feed(msg)
        if tp is not None:
            pgn, source, data = tp.pgn, tp.source_address, tp.data
        else:
            _, pgn, _, source = split_id(msg.arbitration_id)
            data = bytes(msg.data)
        if pgn not in STATUS:
            return None
        try:
            lamps, codes = decode_dm(pgn, data, source, msg.timestamp)
        except MalformedResponseError as err:
            self.stats["malformed"] += 1
            log.warning("J1939 DM from 0x%02X: %s", source, err)
            return None
        self.stats["read"] += 1
        return DmUpdate(pgn, source, lamps, codes, msg.timestamp)
