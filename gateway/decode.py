"""CAN frames -> canonical samples, through a vehicle profile's DBC files.

Everything that can be worked out once is worked out in ``Decoder.__init__`` (the tables of
``gateway.decodetables``): per bus and frame id the cantools message, its length, the fast
extraction of each mapped signal (``gateway.fastdecode``) and the canonical name, scale and
offset it feeds. The per-frame path is
one dict lookup, one or two ``int.from_bytes`` and a shift, mask and multiply per mapped signal.
Messages the fast path cannot handle are decoded with cantools (``Message.decode``).

Routing: a frame whose ``channel`` names a bus of the profile is decoded with that bus's DBC
files only; any other frame (one bus, or a log without channels) with every bus's, in order.

J1939: a bus with ``j1939: true`` matches 29-bit ids by PGN (priority and source address
ignored); a mapping with ``source_address`` takes only the frames of that ECU, so two ECUs
sending the same PGN feed two canonical names. Multi-packet transport (TP.CM/TP.DT, BAM and
RTS/CTS) is reassembled by ``gateway.j1939tp`` and the whole parameter group decoded as one frame.

NMEA 2000: on a bus with ``fast_packet: true`` a message longer than 8 bytes arrives as
fast-packet frames; ``gateway.fastpacket`` reassembles them and the whole message is decoded.
``gateway.reassembly`` makes the frames both transports complete.

The identifiers decoded become the bus's hardware filters (``Decoder.frame_filters``, built by
``gateway.decodefilters``).

Nothing a bus can send raises out of ``decode``: identifiers no DBC of the profile knows
(``unknown_id``), frames of known messages with no mapped signal (``unmapped``), short frames,
remote and error frames, and payloads that cannot be decoded (an unknown multiplexer value,
``bad_frame``) are counted per channel (``Decoder.bus_counters``; ``Decoder.counters`` sums
them) and skipped. A frame longer than its DBC message is decoded (ECUs often pad
to 8 bytes) and only its first bytes are used. Non-finite values (IEEE float signals) are skipped
because the wire format does not allow them. Value-table signals carry their raw number; the
labels are in ``Decoder.value_tables()`` (the gateway publishes them as a ``value_tables`` event).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping

import can

from gateway.decodecounters import DecodeCounters, channel_name
from gateway.decodefilters import FrameFilter, frame_filters
from gateway.decodetables import (
    EXTENDED,
    Entry,
    KnownIds,
    Tables,
    build_tables,
    gated,
    known_ids,
    value_tables,
)
from gateway.fastpacket import FastPacketReassembler
from gateway.j1939tp import TpReassembler
from gateway.profile import Profile
from gateway.reassembly import whole_fast_packet, whole_group
from pitstop.codec import Sample

log = logging.getLogger(__name__)

_TP_PF = (0xEC, 0xEB)
_new_sample = tuple.__new__


class Decoder:
    """Decodes the frames a profile maps; counts and skips everything else."""

    def __init__(self, profile: Profile, *, fast: bool = True, list_unknown: bool = False) -> None:
        self.profile = profile
        # (channel, identifier) -> frames of ids no DBC knows, if asked for (profile check)
        self.unknown_ids: Counter[tuple[str, int]] | None = Counter() if list_unknown else None
        self._counts: dict[object, DecodeCounters] = {}  # per frame channel
        self._full_by_bus = {bus.route: build_tables(profile, bus, fast) for bus in profile.buses}
        self._known = {bus.route: known_ids(bus) for bus in profile.buses}
        self._known_all: KnownIds = tuple(k for known in self._known.values() for k in known)
        self._by_bus = self._full_by_bus
        self._all: Tables = tuple(t for tables in self._by_bus.values() for t in tables)
        self._route = len(profile.buses) > 1
        j1939 = [bus.route for bus in profile.buses if bus.j1939]
        self._tp = {name: TpReassembler() for name in j1939}
        fast_packet = {bus.route for bus in profile.buses if bus.fast_packet}
        self._fp = {name: FastPacketReassembler() for name in fast_packet}
        self.fast_messages = sum(e.compiled is not None for _, t in self._all for e in t.values())

    @property
    def counters(self) -> DecodeCounters:
        """The counters of every channel, summed (a fresh value)."""
        total = DecodeCounters()
        for counts in self._counts.values():
            total.add(counts)
        return total

    def bus_counters(self) -> dict[str, dict[str, int]]:
        """The counters per frame channel (``"-"`` for frames without one)."""
        return {channel_name(ch): c.as_dict() for ch, c in self._counts.items()}

    def _counters(self, channel: object) -> DecodeCounters:
        counts = self._counts.get(channel)
        if counts is None:
            counts = self._counts[channel] = DecodeCounters()
        return counts

    def apply_plan(self, intervals: Mapping[str, float] | None) -> None:
        """Decode only the signals in ``intervals`` (canonical -> seconds), and a frame only
        when one of its signals is due; None: every mapped signal of every frame."""
        self._by_bus = {
            route: gated(tables, intervals) for route, tables in self._full_by_bus.items()
        }
        self._all = tuple(t for tables in self._by_bus.values() for t in tables)

    def frame_filters(self, bus: str | None = None) -> list[FrameFilter]:
        """The identifiers decoded on channel ``bus`` (every bus if None), for ``can_filters``."""
        tables = self._all if bus is None else self._by_bus.get(bus, ())
        return frame_filters(tables, bool(self._tp) and (bus is None or bus in self._tp))

    def value_tables(self) -> dict[str, dict[int, str]]:
        """Canonical name -> {raw value: label} for every mapped signal with a value table."""
        return value_tables(self._all)

    def decode(self, msg: can.Message) -> list[Sample]:
        """The canonical samples in one frame (an empty list for a frame that is skipped)."""
        out: list[Sample] = []
        self.decode_into(msg, out)
        return out

    def decode_into(self, msg: can.Message, out: list[Sample]) -> int:  # noqa: PLR0915 (hot loop, inlined on purpose)
        """Append the frame's samples to ``out``; return how many were appended."""
        arbitration_id = msg.arbitration_id
        if msg.is_extended_id:
            key_ext = EXTENDED
            if self._tp and (arbitration_id >> 16) & 0xFF in _TP_PF:
                return self._transport(msg, out)
        else:
            key_ext = 0
        channel = msg.channel
        counts = self._counts.get(channel) or self._counters(channel)
        tables = self._by_bus.get(channel, self._all) if self._route else self._all  # type: ignore[arg-type]
        for mask, table in tables:
            entry = table.get((arbitration_id & mask) | key_ext)
            if entry is not None:
                break
        else:
            self._miss(msg, counts, key_ext)
            return 0
        ts = msg.timestamp
        due = entry.due
        if ts < due[0] and due[0] - ts <= entry.interval:
            counts.not_due += 1
            return 0
        data = msg.data
        if msg.is_remote_frame or msg.is_error_frame or data is None or len(data) < entry.length:
            if self._fp and entry.length > 8 and not msg.is_remote_frame and data is not None:
                return self._fast_packet(entry, msg, out, counts)
            counts.bad_frame += 1
            return 0
        due[0] = ts + entry.interval
        compiled = entry.compiled
        if compiled is None:
            return self._slow(entry, msg, out, counts)
        if len(data) != compiled.length:
            data = data[: compiled.length]
        le = int.from_bytes(data, "little") if compiled.needs_le else 0
        be = int.from_bytes(data, "big") if compiled.needs_be else 0
        mux_value = -1
        mux = compiled.mux
        if mux is not None:
            mux_value = ((be if mux.big_endian else le) >> mux.shift) & mux.mask
            if mux.sign_bit and mux_value & mux.sign_bit:
                mux_value -= mux.sign_bit << 1
            if mux_value not in compiled.mux_known:
                counts.bad_frame += 1
                return 0
        sa = arbitration_id & 0xFF
        appended = 0
        for (
            canonical,
            mux_ids,
            source_address,
            big_endian,
            shift,
            mask,
            sign_bit,
            float_format,
            identity,
            scale,
            offset,
            convert,
            profile_scale,
            profile_offset,
            check_finite,
        ) in entry.flat:
            if mux_ids is not None and mux_value not in mux_ids:
                continue
            if source_address >= 0 and sa != source_address:
                continue
            raw = ((be if big_endian else le) >> shift) & mask
            if float_format is not None:
                raw = float_format.unpack(raw.to_bytes(float_format.size, "little"))[0]
            elif sign_bit and raw & sign_bit:
                raw -= sign_bit << 1
            if not identity:
                raw = raw * scale + offset
            if convert:
                raw = raw * profile_scale + profile_offset
            if check_finite and not math.isfinite(raw):
                continue
            out.append(
                _new_sample(Sample, (canonical, ts, raw))
            )  # Sample(...), without its __new__
            appended += 1
        counts.decoded += 1
        return appended

    def _miss(self, msg: can.Message, counts: DecodeCounters, key_ext: int) -> None:
        """A frame no mapped (or planned) message matches: known to a DBC, or unknown."""
        known = self._known.get(msg.channel, self._known_all) if self._route else self._known_all  # type: ignore[arg-type]
        arbitration_id = msg.arbitration_id
        for mask, keys in known:
            if (arbitration_id & mask) | key_ext in keys:
                counts.unmapped += 1
                return
        counts.unknown_id += 1
        if self.unknown_ids is not None:
            self.unknown_ids[channel_name(msg.channel), arbitration_id] += 1

    def _slow(
        self,
        entry: Entry,
        msg: can.Message,
        out: list[Sample],
        counts: DecodeCounters,
        truncated: bool = False,
    ) -> int:
        try:
            # Not a container message and no choices: a plain dict of numbers.
            values: dict[str, float] = entry.message.decode(  # type: ignore[assignment]
                bytes(msg.data), decode_choices=False, allow_truncated=truncated
            )
        except Exception:  # any payload cantools cannot decode is one bad frame, never a crash
            counts.bad_frame += 1
            return 0
        ts = msg.timestamp
        sa = msg.arbitration_id & 0xFF
        appended = 0
        for output in entry.outputs:
            raw = values.get(output.dbc_signal)
            if raw is None:  # a multiplexed signal absent from this frame
                continue
            if output.source_address >= 0 and sa != output.source_address:
                continue
            value = raw * output.scale + output.offset if output.convert else raw
            if output.check_finite and not math.isfinite(value):
                continue
            out.append(Sample(output.canonical, ts, value))
            appended += 1
        counts.decoded += 1
        return appended

    def _transport(self, msg: can.Message, out: list[Sample]) -> int:
        """A TP.CM/TP.DT frame: feed it; decode the parameter group it completes, if any."""
        whole = whole_group(self._tp, msg)
        if whole is None:
            return 0
        # A parameter group is as long as its sender made it: the signals it holds are decoded.
        channel = msg.channel if isinstance(msg.channel, str) else ""
        counts = self._counters(msg.channel)
        for mask, table in self._by_bus.get(channel, self._all):
            entry = table.get((whole.arbitration_id & mask) | EXTENDED)
            if entry is not None:
                return self._slow(entry, whole, out, counts, truncated=True)
        self._miss(whole, counts, EXTENDED)
        return 0

    def _fast_packet(
        self, entry: Entry, msg: can.Message, out: list[Sample], counts: DecodeCounters
    ) -> int:
        """One NMEA 2000 fast-packet frame: decode the message it completes, if any."""
        whole = whole_fast_packet(self._fp, msg)
        if whole is None:
            return 0
        return self._slow(entry, whole, out, counts, truncated=True)
