"""Vehicle profiles: which DBC files decode which bus, and the canonical names of their signals.

The YAML format is documented at the top of ``dbc/demo_ev.yaml``. Per bus:

- ``name`` (required) and ``channel`` (the interface channel, default: the name): frames whose
  ``channel`` is this bus's are decoded with this bus's DBC files only;
- ``dbc``: one file or a list (DBC, KCD, SYM, ARXML), relative to the profile;
- ``frame_id_mask``: applied to both the received identifier and the DBC's before they are
  compared (e.g. ``0x03FFFF00``);
- ``j1939: true``: match 29-bit ids by PGN (the mask ``0x03FFFF00`` unless one is given) and
  reassemble multi-packet transport (BAM and RTS/CTS);
- ``lenient: true``: load what parses of a DBC file cantools refuses and report what was left
  out (``Profile.problems``), see ``gateway.dbcload``.

Per signal, besides ``message``/``signal``/``scale``/``offset``/``unit``: ``bus`` (when two buses
have a message of that name) and ``source_address`` (J1939: only frames from that ECU).

An optional ``diagnostics`` section (OBD-II PIDs, UDS targets and DIDs; ``gateway.diag.config``,
documented in ``dbc/obd2.yaml``) becomes ``Profile.diagnostics``; with it, ``buses`` may be
empty and ``signals`` absent (a car known only through its diagnostic port).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cantools.database.can import Database, Message

from gateway.dbcload import load_dbc
from gateway.diag.config import Diagnostics, load_diagnostics
from gateway.errors import ProfileError
from gateway.yamlfile import read_yaml

log = logging.getLogger(__name__)

J1939_PGN_MASK = 0x03FFFF00  # the PGN: priority and source address ignored


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


def load_profile(path: Path) -> Profile:
    """Load and check a profile; raise ``ProfileError`` naming the file and the problem."""
    doc = _read_yaml(path)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{path}: 'name' must be a non-empty string")
    buses = tuple(_load_bus(path, i, item) for i, item in enumerate(_list(path, doc, "buses")))
    diagnostics = _load_diagnostics(path, buses, doc)
    if not buses and diagnostics is None:
        raise ProfileError(f"{path}: 'buses' must list at least one bus")
    raw_signals = doc.get("signals")
    mappings = (
        () if diagnostics is not None and not raw_signals else _load_signals(path, raw_signals)
    )
    signals = tuple(_check_mapping(path, buses, m) for m in mappings)
    digest = _hash(buses, signals, diagnostics)
    return Profile(name=name, buses=buses, signals=signals, hash=digest, diagnostics=diagnostics)


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


def _load_bus(path: Path, index: int, item: object) -> Bus:
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
    unknown = set(item) - {"name", "dbc", "frame_id_mask", "j1939", "channel", "lenient"}
    if unknown:
        raise ProfileError(f"{path}: bus {name!r}: unknown keys {sorted(unknown)}")
    j1939, lenient = item.get("j1939", False), item.get("lenient", False)
    if type(j1939) is not bool or type(lenient) is not bool:
        raise ProfileError(f"{path}: bus {name!r}: 'j1939' and 'lenient' must be true or false")
    mask = item.get("frame_id_mask", J1939_PGN_MASK if j1939 else None)
    if mask is not None and (type(mask) is not int or not 0 < mask <= 0x1FFFFFFF):
        raise ProfileError(f"{path}: bus {name!r}: frame_id_mask must be an integer 1..0x1FFFFFFF")
    channel = item.get("channel", "")
    if not isinstance(channel, str):
        raise ProfileError(f"{path}: bus {name!r}: 'channel' must be a string")
    dbc = tuple((path.parent / f).resolve() for f in files)
    loads = [load_dbc(p, mask, lenient) for p in dbc]
    return Bus(
        name=name,
        dbc=dbc,
        frame_id_mask=mask,
        databases=tuple(load.database for load in loads),
        j1939=j1939,
        channel=channel,
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
    unknown = set(spec) - {"message", "signal", "scale", "offset", "unit", "bus", "source_address"}
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


def _check_mapping(path: Path, buses: tuple[Bus, ...], mapping: SignalMapping) -> SignalMapping:
    where = f"{path}: signal {mapping.canonical!r}"
    candidates = tuple(b for b in buses if b.name == mapping.bus) if mapping.bus else buses
    if not candidates:
        raise ProfileError(f"{where}: the profile has no bus {mapping.bus!r}")
    found = find_message(candidates, mapping.message)
    if found is None:
        raise ProfileError(f"{where}: no DBC of the profile has a message {mapping.message!r}")
    bus, message = found
    if message.is_container:
        raise ProfileError(f"{where}: {mapping.message!r} is a container message (unsupported)")
    if mapping.signal not in {s.name for s in message.signals}:
        raise ProfileError(f"{where}: message {mapping.message!r} has no signal {mapping.signal!r}")
    return replace(mapping, bus=bus.name)


def _hash(
    buses: tuple[Bus, ...], signals: tuple[SignalMapping, ...], diagnostics: Diagnostics | None
) -> str:
    digest = hashlib.sha256()
    for bus in buses:
        for dbc in bus.dbc:
            digest.update(dbc.read_bytes())
    normalised: dict[str, object] = {
        "buses": [[b.name, b.frame_id_mask, *_extras(b.j1939, b.channel)] for b in buses],
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
