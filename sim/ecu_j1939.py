"""The simulated ECU's J1939 DM1 frames: one frame for zero or one code, BAM for more."""

from __future__ import annotations

import can

from gateway.diag.j1939dm import PGN_DM1, encode_dm
from gateway.j1939tp import BAM

LAMP_AMBER_ON = 0x04  # lamp byte: amber warning lamp on, the others off


def dm1_frames(source: int, codes: list[tuple[int, int, int]]) -> list[can.Message]:
    """The frames of one DM1 broadcast for ``[(spn, fmi, occurrences)]``."""
    payload = encode_dm(codes, LAMP_AMBER_ON if codes else 0x00)
    if len(payload) <= 8:
        return [_frame((6 << 26) | (PGN_DM1 << 8) | source, payload)]
    packets = -(-len(payload) // 7)
    cm = bytes([BAM, len(payload) & 0xFF, len(payload) >> 8, packets, 0xFF])
    frames = [_frame(0x1CECFF00 | source, cm + PGN_DM1.to_bytes(3, "little"))]
    for n in range(packets):
        chunk = payload[n * 7 : n * 7 + 7].ljust(7, b"\xff")
        frames.append(_frame(0x1CEBFF00 | source, bytes([n + 1]) + chunk))
    return frames


def _frame(can_id: int, data: bytes) -> can.Message:
    return can.Message(arbitration_id=can_id, data=data, is_extended_id=True)
