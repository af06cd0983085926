"""A fast decode path compiled from a cantools message's signal layout.

``compile_message(message, names)`` works out, once, for each wanted signal where its bits are
in the payload read as one integer (little-endian for Intel signals, big-endian for Motorola
ones), its mask, sign bit, IEEE float format and cantools' scale and offset. Decoding a frame is
then one or two ``int.from_bytes`` plus a shift, a mask and a multiply per signal: no bitstruct,
no dict of every signal in the message, nothing for the signals the profile does not map.

The values are exactly cantools' (``Message.decode(data, decode_choices=False)``): the same
raw integer or float, then the same ``raw * scale + offset`` with cantools' own scale and offset
objects (ints stay ints where cantools keeps them). ``tests/gateway/test_fastdecode.py`` proves
it signal by signal on every real log and on random payloads for every DBC under
``../shared/data/dbc``.

Handled: Intel and Motorola byte order, signed, 32/64-bit IEEE floats, any scale/offset, CAN FD
lengths, one level of multiplexing (an unknown multiplexer value makes the frame undecodable,
as in cantools). Overlapping signals (files cantools reads only with ``strict=False``),
which cantools cannot decode at all ("unpacking failed"), are each extracted on their own.
Anything else (nested multiplexers, a multiplexer with a scale, 16-bit floats) returns None
from ``compile_message``, and the caller decodes that message with cantools.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

from cantools.database.can import Message, Signal

from gateway.errors import DecodeError

_FLOATS = {32: struct.Struct("<f"), 64: struct.Struct("<d")}


class FieldSpec(NamedTuple):
    """Where one signal's bits are and how its raw value becomes cantools' value."""

    name: str
    big_endian: bool
    shift: int
    mask: int
    sign_bit: int  # 0 for unsigned
    float_format: struct.Struct | None
    scale: float
    offset: float
    identity: bool  # scale 1 and offset 0: cantools returns the raw value itself
    mux_ids: frozenset[int] | None  # present only when the multiplexer has one of these values


class CompiledMessage(NamedTuple):
    length: int
    needs_le: bool
    needs_be: bool
    mux: FieldSpec | None  # the message's multiplexer signal, if any
    mux_known: frozenset[int]  # every multiplexer value the DBC lists
    fields: tuple[FieldSpec, ...]


def compile_message(message: Message, names: Sequence[str]) -> CompiledMessage | None:
    """The fast decoder of ``names`` in ``message``, or None if cantools must decode it."""
    if message.is_container:
        return None
    by_name = {s.name: s for s in message.signals}
    muxes = [s for s in message.signals if s.is_multiplexer]
    if len(muxes) > 1 or any(s.multiplexer_signal for s in muxes):
        return None  # nested or several multiplexers
    mux_spec: FieldSpec | None = None
    known: frozenset[int] = frozenset()
    if muxes:
        mux_spec = _field(muxes[0], message.length, None)
        if mux_spec is None or not mux_spec.identity or mux_spec.float_format is not None:
            return None
        known = _mux_values(message, muxes[0].name)
    fields: list[FieldSpec] = []
    for name in dict.fromkeys(names):
        signal = by_name[name]
        ids = frozenset(signal.multiplexer_ids) if signal.multiplexer_ids else None
        if ids is not None and signal.multiplexer_signal != (muxes[0].name if muxes else None):
            return None
        spec = _field(signal, message.length, ids)
        if spec is None:
            return None
        fields.append(spec)
    specs = [*fields, *([mux_spec] if mux_spec else [])]
    return CompiledMessage(
        length=message.length,
        needs_le=any(not f.big_endian for f in specs),
        needs_be=any(f.big_endian for f in specs),
        mux=mux_spec,
        mux_known=known,
        fields=tuple(fields),
    )


def decode_fields(compiled: CompiledMessage, data: bytes | bytearray) -> dict[str, float]:
    """The wanted signals of one frame (at least ``compiled.length`` bytes long), by name.

    Raises ``DecodeError`` where cantools raises ``DecodeError`` for the same reason.
    A multiplexed signal whose multiplexer value selects another layout is absent.
    """
    payload = data[: compiled.length]
    le = int.from_bytes(payload, "little") if compiled.needs_le else 0
    be = int.from_bytes(payload, "big") if compiled.needs_be else 0
    mux_value = -1
    if compiled.mux is not None:
        mux_value = int(extract(compiled.mux, le, be))
        if mux_value not in compiled.mux_known:
            raise DecodeError(f"unknown multiplexer value {mux_value}")
    out: dict[str, float] = {}
    for spec in compiled.fields:
        if spec.mux_ids is not None and mux_value not in spec.mux_ids:
            continue
        out[spec.name] = extract(spec, le, be)
    return out


def extract(spec: FieldSpec, le: int, be: int) -> float:
    """One signal's cantools value from the payload read as little- and big-endian integers."""
    raw: float = ((be if spec.big_endian else le) >> spec.shift) & spec.mask
    if spec.float_format is not None:
        raw = spec.float_format.unpack(int(raw).to_bytes(spec.float_format.size, "little"))[0]
    elif spec.sign_bit and int(raw) & spec.sign_bit:
        raw = int(raw) - (spec.sign_bit << 1)
    if spec.identity:
        return raw
    return raw * spec.scale + spec.offset


def _mux_values(message: Message, mux_name: str) -> frozenset[int]:
    """Every value of the multiplexer cantools accepts, also those selecting no signal."""
    tree: Any = message._codecs or {}  # only cantools codec tree has them
    layouts = tree.get("multiplexers", {}).get(mux_name, {})
    return frozenset(int(k) for k in layouts)


def _field(signal: Signal, length: int, mux_ids: frozenset[int] | None) -> FieldSpec | None:
    size = signal.length
    if size <= 0:
        return None
    float_format = None
    if signal.is_float:
        float_format = _FLOATS.get(size)
        if float_format is None:
            return None
    if signal.byte_order == "little_endian":
        big_endian, shift = False, signal.start
    else:
        msb = (signal.start // 8) * 8 + (7 - signal.start % 8)  # from byte 0's top bit
        big_endian, shift = True, 8 * length - (msb + size)
    if shift < 0 or shift + size > 8 * length:
        return None  # outside the message: cantools (strict=False) decides what that means
    scale, offset = signal.scale, signal.offset
    return FieldSpec(
        name=signal.name,
        big_endian=big_endian,
        shift=shift,
        mask=(1 << size) - 1,
        sign_bit=(1 << (size - 1)) if signal.is_signed and float_format is None else 0,
        float_format=float_format,
        scale=scale,
        offset=offset,
        identity=scale == 1 and offset == 0,
        mux_ids=mux_ids,
    )
