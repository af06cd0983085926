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

The values (``Profile``, ``Bus``, ``SignalMapping``) are in ``gateway.profilemodel``, the YAML
fields of buses and signals are read by ``gateway.profileyaml``; here they are put together,
each signal bound to a message of the bus's DBC files, and the profile hashed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cantools.database.can import Message

from gateway.diag.config import Diagnostics, load_diagnostics
from gateway.errors import ProfileError
from gateway.profilemodel import Bus, Profile, SignalMapping, find_message
from gateway.profileyaml import load_buses, load_signals, read_document

CANONICAL_NAME = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")

# ``Profile`` is imported from here by most of the gateway: it stays importable from here.
__all__ = ["CANONICAL_NAME", "Profile", "ProfileLoad", "load_profile", "read_profile"]


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
    doc = read_document(path)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{path}: 'name' must be a non-empty string")
    buses = load_buses(path, doc, dbc_path)
    diagnostics = _load_diagnostics(path, buses, doc)
    if not buses and diagnostics is None:
        raise ProfileError(f"{path}: 'buses' must list at least one bus")
    raw_signals = doc.get("signals")
    mappings = (
        () if diagnostics is not None and not raw_signals else load_signals(path, raw_signals)
    )
    bound = [_check_mapping(buses, m) for m in mappings]
    signals = tuple(m for m in bound if isinstance(m, SignalMapping))
    errors = tuple(m for m in bound if isinstance(m, str))
    digest = _hash(buses, signals, diagnostics)
    profile = Profile(name, buses, signals, hash=digest, diagnostics=diagnostics)
    return ProfileLoad(profile, errors)


# --- steps -------------------------------------------------------------------------------


def _load_diagnostics(
    path: Path, buses: tuple[Bus, ...], doc: dict[str, Any]
) -> Diagnostics | None:
    if "diagnostics" not in doc:
        return None

    def find(name: str) -> Message | None:
        found = find_message(buses, name)
        return None if found is None else found[1]

    return load_diagnostics(str(path), doc["diagnostics"], find)


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
