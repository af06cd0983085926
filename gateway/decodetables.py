"""The decoder's lookup tables, built once per profile (and again per collection plan).

Per bus, per frame-id mask, a dict from (masked id | EXTENDED) to an ``Entry``: the cantools
message, the fast path's compiled layout, and the outputs (DBC signal -> canonical name, profile
scale/offset, J1939 source address), flattened into plain tuples for ``Decoder.decode_into``;
``value_tables`` reads the labels of their value-table signals back out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from cantools.database.can import Message

from gateway.fastdecode import CompiledMessage, FieldSpec, compile_message
from gateway.profilemodel import Bus, Profile, find_message

log = logging.getLogger(__name__)

EXTENDED = 0x80000000
ALL_IDS = 0x1FFFFFFF


class Output(NamedTuple):
    dbc_signal: str
    canonical: str
    scale: float
    offset: float
    check_finite: bool
    source_address: int  # -1: any
    field: FieldSpec | None
    convert: bool  # the profile's scale/offset is not the identity


class Entry(NamedTuple):
    message: Message
    length: int
    compiled: CompiledMessage | None
    outputs: tuple[Output, ...]
    interval: float = 0.0  # the shortest interval of its signals under the plan
    due: list[float] = [float("-inf")]
    flat: tuple[tuple[Any, ...], ...] = ()  # per output, all the hot loop needs, unpacked at once


Tables = tuple[tuple[int, dict[int, Entry]], ...]
"""Per frame-id mask (unmasked first), the entries by masked id."""

KnownIds = tuple[tuple[int, frozenset[int]], ...]
"""Per frame-id mask, the masked ids of every message of a bus's DBC files (mapped or not)."""


def known_ids(bus: Bus) -> KnownIds:
    """Every identifier a DBC of ``bus`` knows, keyed as in the tables."""
    mask = bus.frame_id_mask or ALL_IDS
    keys = frozenset(
        (message.frame_id & mask) | (EXTENDED if message.is_extended_frame else 0)
        for db in bus.databases
        for message in db.messages
    )
    return ((mask, keys),)


def build_tables(profile: Profile, bus: Bus, fast: bool) -> Tables:
    """Per frame-id mask, the entries keyed by (masked frame id | EXTENDED if extended)."""
    grouped: dict[int, dict[int, list[Output]]] = {}
    messages: dict[int, Message] = {}
    for mapping in profile.signals:
        if mapping.bus != bus.name:
            continue
        found = find_message((bus,), mapping.message)
        if found is None:  # load_profile already refused this
            continue
        message = found[1]
        mask = bus.frame_id_mask or ALL_IDS
        key = (message.frame_id & mask) | (EXTENDED if message.is_extended_frame else 0)
        dbc_signal = message.get_signal_by_name(mapping.signal)
        output = Output(
            mapping.signal,
            mapping.canonical,
            mapping.scale,
            mapping.offset,
            bool(dbc_signal.is_float),
            -1 if mapping.source_address is None else mapping.source_address,
            None,
            mapping.scale != 1 or mapping.offset != 0,
        )
        grouped.setdefault(mask, {}).setdefault(key, []).append(output)
        messages[key] = message
    tables = []
    # Unmasked lookups first: the common case is one table with ALL_IDS.
    for mask in sorted(grouped, reverse=True):
        table = {
            key: _entry(messages[key], outputs, fast) for key, outputs in grouped[mask].items()
        }
        tables.append((mask, table))
    return tuple(tables)


def value_tables(tables: Tables) -> dict[str, dict[int, str]]:
    """Canonical name -> {raw value: label} for every output of ``tables`` with a value table."""
    out: dict[str, dict[int, str]] = {}
    for _, table in tables:
        for entry in table.values():
            for output in entry.outputs:
                choices = entry.message.get_signal_by_name(output.dbc_signal).choices
                if choices:
                    out[output.canonical] = {int(k): str(v) for k, v in choices.items()}
    return out


def gated(tables: Tables, intervals: Mapping[str, float] | None) -> Tables:
    """The tables with only the planned signals, each entry with its own due time."""
    out = []
    for mask, table in tables:
        gated = {}
        for key, entry in table.items():
            outputs = tuple(
                o for o in entry.outputs if intervals is None or o.canonical in intervals
            )
            if not outputs:
                continue
            interval = 0.0 if intervals is None else min(intervals[o.canonical] for o in outputs)
            gated[key] = entry._replace(
                outputs=outputs, interval=interval, due=[float("-inf")], flat=_flatten(outputs)
            )
        out.append((mask, gated))
    return tuple(out)


def _entry(message: Message, outputs: list[Output], fast: bool) -> Entry:
    compiled = compile_message(message, [o.dbc_signal for o in outputs]) if fast else None
    if compiled is None:
        if fast:
            log.info("message %s: decoded with cantools (layout the fast path lacks)", message.name)
        return Entry(message, message.length, None, tuple(outputs), 0.0, [float("-inf")])
    fields = {f.name: f for f in compiled.fields}
    with_fields = tuple(o._replace(field=fields[o.dbc_signal]) for o in outputs)
    return Entry(
        message, message.length, compiled, with_fields, 0.0, [float("-inf")], _flatten(with_fields)
    )


def _flatten(outputs: tuple[Output, ...]) -> tuple[tuple[Any, ...], ...]:
    """The fast path's outputs as plain tuples (see ``Decoder.decode_into``)."""
    flat = []
    for o in outputs:
        f = o.field
        if f is None:
            return ()
        flat.append(
            (
                o.canonical,
                f.mux_ids,
                o.source_address,
                f.big_endian,
                f.shift,
                f.mask,
                f.sign_bit,
                f.float_format,
                f.identity,
                f.scale,
                f.offset,
                o.convert,
                o.scale,
                o.offset,
                o.check_finite,
            )
        )
    return tuple(flat)
