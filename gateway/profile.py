"""Vehicle profiles: which DBC files decode which bus, and the canonical names of their signals.

The YAML format is documented in ``docs/profiles.md``. Per bus:

- ``name`` (required) and ``channel`` (the interface channel, default: the name): frames whose
  ``channel`` is this bus's are decoded with this bus's DBC files only;
- ``dbc``: one file name or a list (DBC, KCD, SYM, ARXML), found next to the profile and then in
  the DBC search path (``gateway.dbcload.find_dbc``);
- ``frame_id_mask``: applied to both the received identifier and the DBC's before they are
  compared (e.g. ``0x03FFFF00``);
- ``j1939: true``: match 29-bit ids by PGN (the mask ``0x03FFFF00`` unless one is given) and
  reassemble multi-packet transport (BAM and RTS/CTS);
- ``fast_packet: true`` (NMEA 2000): a DBC message longer than 8 bytes arrives as fast-packet
  frames, reassembled before decoding (``gateway.fastpacket``);
- ``lenient: true``: load what parses of a DBC file cantools refuses and report what was left
  out (``Profile.problems``), see ``gateway.dbcload``.

Per signal, besides ``message``/``signal``/``scale``/``offset``/``unit``: ``bus`` (when two buses
have a message of that name) and ``source_address`` (J1939: only frames from that ECU).
Canonical names are dotted paths of ``[A-Za-z0-9_]`` (COVESA VSS style, ``Vehicle.Speed``).

``read_profile`` loads what binds and lists each signal that does not (``pitstop profile
check`` reports them all); ``load_profile`` refuses a profile with any.

An optional ``diagnostics`` section (OBD-II PIDs, UDS targets and DIDs; ``gateway.diag.config``,
documented in ``dbc/obd2.yaml``) becomes ``Profile.diagnostics``; with it, ``buses`` may be
empty and ``signals`` absent (a car known only through its diagnostic port).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cantools.database.can import Database, Message

from gateway.dbcload import find_dbc, load_dbc
from gateway.diag.config import Diagnostics, load_diagnostics
from gateway.errors import ProfileError
from gateway.yamlfile import read_yaml

log = logging.getLogger(__name__)

J1939_PGN_MASK = 0x03FFFF00  # the PGN: priority and source address ignored
CANONICAL_NAME = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_BUS_KEYS = {"name", "dbc", "frame_id_mask", "j1939", "fast_packet", "channel", "lenient"}
_SIGNAL_KEYS = {"message", "signal", "scale", "offset", "unit", "bus", "source_address"}


@dataclass(frozen=True, slots=True)
class SignalMapping:
    """One canonical signal: ``canonical = dbc physical value * scale + offset``."""

    canonical: str
    message: str
    signal: str
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    bus: str = ""  # the bus whose DBC has the message (filled in by load_profile)
    source_address: int | None = None  # J1939: only frames from this ECU


@dataclass(frozen=True, slots=True)
class Bus:
    """One CAN bus of the vehicle and the databases that decode it."""

    name: str
    dbc: tuple[Path, ...]
    frame_id_mask: int | None = None
    databases: tuple[Database, ...] = field(default=(), compare=False, repr=False)
    j1939: bool = False
    channel: str = ""  # the interface channel; empty: the bus name
    fast_packet: bool = False  # NMEA 2000: messages over 8 bytes come as fast packets
    left_out: tuple[str, ...] = ()  # lenient loading: "<file>: line N: cause"

    @property
    def route(self) -> str:
        """The channel name frames of this bus carry."""
        return self.channel or self.name


@dataclass(frozen=True, slots=True)
class Profile:
    """A loaded, validated vehicle profile. ``hash`` travels in every telemetry message."""

    name: str
    buses: tuple[Bus, ...]
    signals: tuple[SignalMapping, ...]
    hash: str
    diagnostics: Diagnostics | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """What lenient loading left out of the DBC files, one line each."""
        return tuple(p for bus in self.buses for p in bus.left_out)


@dataclass(frozen=True, slots=True)
class ProfileLoad:
    """A profile with the signals that bind to its DBC files, and one line per signal that
    does not (``signal 'X': ...``)."""

    profile: Profile
    errors: tuple[str, ...] = ()


def load_profile(path: Path, dbc_path: Sequence[Path] = ()) -> Profile:
    """Load and check a profile; raise ``ProfileError`` naming the file and the problem.

    ``dbc_path``: folders searched, after the profile's own, for the DBC files it names."""
    load = read_profile(path, dbc_path)
    if load.errors:
        more = len(load.errors) - 1
        rest = f" (and {more} more: see `pitstop profile check {path}`)" if more else ""
        raise ProfileError(f"{path}: {load.errors[0]}{rest}")
    return load.profile


def read_profile(path: Path, dbc_path: Sequence[Path] = ()) -> ProfileLoad:
    """The profile with the signals that bind, and what does not; ``ProfileError`` for a
    profile that cannot be read at all (bad YAML or keys, a DBC not found or not loadable)."""
    doc = _read_yaml(path)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{path}: 'name' must be a non-empty string")
    items = _list(path, doc, "buses")
    buses = tuple(_load_bus(path, i, item, dbc_path) for i, item in enumerate(items))
    diagnostics = _load_diagnostics(path, buses, doc)
    if not buses and diagnostics is None:
        raise ProfileError(f"{path}: 'buses' must list at least one bus")
    raw_signals = doc.get("signals")
    mappings = (
        () if diagnostics is not None and not raw_signals else _load_signals(path, raw_signals)
    )
    bound = [_check_mapping(buses, m) for m in mappings]
    signals = tuple(m for m in bound if isinstance(m, SignalMapping))
    errors = tuple(m for m in bound if isinstance(m, str))
    digest = _hash(buses, signals, diagnostics)
    profile = Profile(name, buses, signals, hash=digest, diagnostics=diagnostics)
    return ProfileLoad(profile, errors)


def find_message(buses: tuple[Bus, ...], name: str) -> tuple[Bus, Message] | None:
    """The first bus and cantools message called ``name``, or None."""
    for bus in buses:
        for db in bus.databases:
            try:
                return bus, db.get_message_by_name(name)
            except KeyError:
                continue
    return None


# --- steps -------------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    doc = read_yaml(path, "profile", ProfileError)
    if not isinstance(doc, dict):
        raise ProfileError(f"{path}: a profile must be a YAML mapping")
    return doc


def _list(path: Path, doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list):
        raise ProfileError(f"{path}: {key!r} must be a list")
    return value


def _load_bus(path: Path, index: int, item: object, dbc_path: Sequence[Path]) -> Bus:
    if not isinstance(item, dict):
        raise ProfileError(f"{path}: buses[{index}] must be a mapping")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{path}: buses[{index}].name must be a non-empty string")
    files = item.get("dbc")
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise ProfileError(f"{path}: bus {name!r}: 'dbc' must list one or more files")
    unknown = set(item) - _BUS_KEYS
    if unknown:
        raise ProfileError(f"{path}: bus {name!r}: unknown keys {sorted(unknown)}")
    flags = {key: item.get(key, False) for key in ("j1939", "fast_packet", "lenient")}
    if any(type(v) is not bool for v in flags.values()):
        raise ProfileError(f"{path}: bus {name!r}: {sorted(flags)} must be true or false")
    j1939, lenient = flags["j1939"], flags["lenient"]
    mask = item.get("frame_id_mask", J1939_PGN_MASK if j1939 else None)
    if mask is not None and (type(mask) is not int or not 0 < mask <= 0x1FFFFFFF):
        raise ProfileError(f"{path}: bus {name!r}: frame_id_mask must be an integer 1..0x1FFFFFFF")
    channel = item.get("channel", "")
    if not isinstance(channel, str):
        raise ProfileError(f"{path}: bus {name!r}: 'channel' must be a string")
    try:
        dbc = tuple(find_dbc(f, path.parent.resolve(), dbc_path) for f in files)
    except ProfileError as err:
        raise ProfileError(f"{path}: bus {name!r}: {err}") from err
    loads = [load_dbc(p, mask, lenient) for p in dbc]
    return Bus(
        name=name,
        dbc=dbc,
        frame_id_mask=mask,
        databases=tuple(load.database for load in loads),
        j1939=j1939,
        channel=channel,
        fast_packet=flags["fast_packet"],
        left_out=tuple(f"{load.path.name}: {what}" for load in loads for what in load.left_out),
    )


def _load_diagnostics(
    path: Path, buses: tuple[Bus, ...], doc: dict[str, Any]
) -> Diagnostics | None:
    if "diagnostics" not in doc:
        return None

    def find(name: str) -> Message | None:
        found = find_message(buses, name)
        return None if found is None else found[1]

    return load_diagnostics(str(path), doc["diagnostics"], find)


def _load_signals(path: Path, raw: object) -> tuple[SignalMapping, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ProfileError(f"{path}: 'signals' must map canonical names to DBC signals")
    return tuple(_load_signal(path, str(name), spec) for name, spec in raw.items())


def _load_signal(path: Path, name: str, spec: object) -> SignalMapping:
    where = f"{path}: signal {name!r}"
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: expected {{message, signal, scale?, offset?, unit?}}")
    unknown = set(spec) - _SIGNAL_KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown keys {sorted(unknown)}")
    message, signal = spec.get("message"), spec.get("signal")
    if not isinstance(message, str) or not isinstance(signal, str):
        raise ProfileError(f"{where}: 'message' and 'signal' must be strings")
    return SignalMapping(
        canonical=name,
        message=message,
        signal=signal,
        scale=_number(where, spec, "scale", 1.0),
        offset=_number(where, spec, "offset", 0.0),
        unit=str(spec.get("unit", "")),
        bus=str(spec.get("bus", "")),
        source_address=_source_address(where, spec.get("source_address")),
    )


def _source_address(where: str, value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= 0xFF:
        raise ProfileError(f"{where}: 'source_address' must be an integer 0..255, got {value!r}")
    return value


def _number(where: str, spec: Mapping[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if type(value) not in (int, float):
        raise ProfileError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _check_mapping(buses: tuple[Bus, ...], mapping: SignalMapping) -> SignalMapping | str:
    """The mapping bound to its bus, or what is wrong with it (one line)."""
    where = f"signal {mapping.canonical!r}"
    if not CANONICAL_NAME.fullmatch(mapping.canonical):
        return f"{where}: not a canonical name (dotted path of A-Z a-z 0-9 _, e.g. Vehicle.Speed)"
    candidates = tuple(b for b in buses if b.name == mapping.bus) if mapping.bus else buses
    if not candidates:
        return f"{where}: the profile has no bus {mapping.bus!r}"
    found = find_message(candidates, mapping.message)
    if found is None:
        names = [m.name for b in candidates for db in b.databases for m in db.messages]
        return (
            f"{where}: no DBC of the profile has a message {mapping.message!r}"
            f"{_closest(mapping.message, names)}"
        )
    bus, message = found
    if message.is_container:
        return f"{where}: {mapping.message!r} is a container message (unsupported)"
    if mapping.signal not in {s.name for s in message.signals}:
        closest = _closest(mapping.signal, [s.name for s in message.signals])
        return f"{where}: message {mapping.message!r} has no signal {mapping.signal!r}{closest}"
    return replace(mapping, bus=bus.name)


def _closest(name: str, names: list[str]) -> str:
    """`` (closest: 'X')`` for the most similar of ``names``, or nothing."""
    lowered = {n.lower(): n for n in names}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return f" (closest: {lowered[match[0]]!r})" if match else ""


def _hash(
    buses: tuple[Bus, ...], signals: tuple[SignalMapping, ...], diagnostics: Diagnostics | None
) -> str:
    digest = hashlib.sha256()
    for bus in buses:
        for dbc in bus.dbc:
            digest.update(dbc.read_bytes())
    normalised: dict[str, object] = {
        "buses": [
            [b.name, b.frame_id_mask, *_extras(b.j1939, b.channel, b.fast_packet and "fp")]
            for b in buses
        ],
        "signals": sorted(
            [
                m.canonical,
                m.message,
                m.signal,
                m.scale,
                m.offset,
                m.unit,
                *_extras(m.source_address),
            ]
            for m in signals
        ),
    }
    if diagnostics is not None:  # absent from the hash of a profile without the section
        normalised["diagnostics"] = diagnostics.fingerprint()
    digest.update(json.dumps(normalised, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()[:12]


def _extras(*values: object) -> list[object]:
    """Options added after version 1 enter the hash only when set, so old hashes stay."""
    return [v for v in values if v not in (None, False, "")]
