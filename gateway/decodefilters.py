"""The identifiers a decoder decodes, as hardware filters for the CAN interface.

``Decoder.frame_filters`` gives them per channel; ``gateway.sources`` hands them to python-can
as ``can_filters``, so the kernel drops the frames no mapped (or planned) signal needs.
"""

from __future__ import annotations

from typing import NamedTuple

from gateway.decodetables import ALL_IDS, EXTENDED, Tables
from gateway.j1939tp import PF_TP_CM, PF_TP_DT


class FrameFilter(NamedTuple):
    """One identifier (and mask) the profile needs, for the bus's hardware filters."""

    can_id: int
    can_mask: int
    extended: bool


def frame_filters(tables: Tables, transport: bool) -> list[FrameFilter]:
    """One filter per entry of ``tables`` (its id under its table's mask); with ``transport``
    also the J1939 transport protocol's frames (TP.CM and TP.DT, any source address)."""
    filters: list[FrameFilter] = []
    for mask, table in tables:
        for key in table:
            extended = bool(key & EXTENDED)
            full = ALL_IDS if extended else 0x7FF
            filters.append(FrameFilter(key & ~EXTENDED & full, mask & full, extended))
    if transport:
        for pf in (PF_TP_CM, PF_TP_DT):
            filters.append(FrameFilter(pf << 16, 0xFF << 16, True))
    return filters
