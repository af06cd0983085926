"""CAN frames -> canonical samples, through cantools and a vehicle profile.

Everything that can be worked out once is worked out in ``Decoder.__init__``: per frame id the
cantools message, its length and the (DBC signal, canonical name, scale, offset) it feeds. The
per-frame path is one dict lookup, one cantools decode and one ``Sample`` per mapped signal.

Nothing a bus can send raises out of ``decode``: unknown identifiers, short frames, remote and
error frames, and payloads cantools cannot decode (an unknown multiplexer value) are counted in
``Decoder.counters`` and skipped. A frame longer than its DBC message is decoded (ECUs often pad
to 8 bytes) and only its first bytes are used. Non-finite values (IEEE float signals) are skipped
because the wire format does not allow them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import can
from cantools.database.can import Message

from gateway.profile import Profile, find_message
from pitstop.codec import Sample

log = logging.getLogger(__name__)

EXTENDED = 0x80000000
ALL_IDS = 0x1FFFFFFF


@dataclass(slots=True)
class DecodeCounters:
    """Frames decoded, frames with an identifier the profile does not use, frames skipped."""

    decoded: int = 0
    unknown_id: int = 0
    bad_frame: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Output(NamedTuple):
    dbc_signal: str
    canonical: str
    scale: float
    offset: float
    check_finite: bool


class _Entry(NamedTuple):
    message: Message
    length: int
    outputs: tuple[_Output, ...]


class FrameFilter(NamedTuple):
    """One identifier (and mask) the profile needs, for the bus's hardware filters."""

    can_id: int
    can_mask: int
    extended: bool


class Decoder:
    """Decodes the frames a profile maps; counts and skips everything else."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.counters = DecodeCounters()
        self._tables: tuple[tuple[int, dict[int, _Entry]], ...] = _build_tables(profile)

    def frame_filters(self) -> list[FrameFilter]:
        """The identifiers this decoder uses, for ``can_filters`` of a live bus."""
        filters: list[FrameFilter] = []
        for mask, table in self._tables:
            for key in table:
                extended = bool(key & EXTENDED)
                full = ALL_IDS if extended else 0x7FF
                filters.append(FrameFilter(key & ~EXTENDED & full, mask & full, extended))
        return filters

    def decode(self, msg: can.Message) -> list[Sample]:
        """The canonical samples in one frame (an empty list for a frame that is skipped)."""
        out: list[Sample] = []
        self.decode_into(msg, out)
        return out

    def decode_into(self, msg: can.Message, out: list[Sample]) -> int:
        """Append the frame's samples to ``out``; return how many were appended."""
        ext = EXTENDED if msg.is_extended_id else 0
        arbitration_id = msg.arbitration_id
        for mask, table in self._tables:
            entry = table.get((arbitration_id & mask) | ext)
            if entry is not None:
                break
        else:
            self.counters.unknown_id += 1
            return 0
        data = msg.data
        if msg.is_remote_frame or msg.is_error_frame or data is None or len(data) < entry.length:
            self.counters.bad_frame += 1
            return 0
        try:
            # Not a container message and no choices: a plain dict of numbers.
            values: dict[str, float] = entry.message.decode(  # type: ignore[assignment]
                bytes(data), decode_choices=False
            )
        except Exception:  # any payload cantools cannot decode is one bad frame, never a crash
            self.counters.bad_frame += 1
            return 0
        ts = msg.timestamp
        appended = 0
        for output in entry.outputs:
            raw = values.get(output.dbc_signal)
            if raw is None:  # a multiplexed signal absent from this frame
                continue
            value = raw * output.scale + output.offset
            if output.check_finite and not math.isfinite(value):
                continue
            out.append(Sample(output.canonical, ts, value))
            appended += 1
        self.counters.decoded += 1
        return appended


def _build_tables(profile: Profile) -> tuple[tuple[int, dict[int, _Entry]], ...]:
    """Per frame-id mask, the entries keyed by (masked frame id | EXTENDED if extended)."""
    grouped: dict[int, dict[int, list[_Output]]] = {}
    messages: dict[int, Message] = {}
    for mapping in profile.signals:
        found = find_message(profile.buses, mapping.message)
        if found is None:  # load_profile already refused this
            continue
        bus, message = found
        mask = bus.frame_id_mask or ALL_IDS
        key = (message.frame_id & mask) | (EXTENDED if message.is_extended_frame else 0)
        dbc_signal = message.get_signal_by_name(mapping.signal)
        output = _Output(
            mapping.signal,
            mapping.canonical,
            mapping.scale,
            mapping.offset,
            bool(dbc_signal.is_float),
        )
        grouped.setdefault(mask, {}).setdefault(key, []).append(output)
        messages[key] = message
    tables = []
    # Unmasked lookups first: the common case is one table with ALL_IDS.
    for mask in sorted(grouped, reverse=True):
        table = {
            key: _Entry(messages[key], messages[key].length, tuple(outputs))
            for key, outputs in grouped[mask].items()
        }
        tables.append((mask, table))
    return tuple(tables)
