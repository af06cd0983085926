"""Vehicle profiles: which DBC files decode which bus, and the canonical names of their signals.

The YAML format is documented at the top of ``dbc/demo_ev.yaml``. One optional key is added
per bus: ``frame_id_mask`` (an integer, e.g. ``0x03FFFF00`` for J1939), applied to both the
received identifier and the DBC's before they are compared, so that a J1939 message is matched
by its PGN whatever the priority and source address of the ECU that sent it.

DBC files are loaded with cantools in strict mode; a file strict mode refuses (overlapping
signals, signals outside their message, as in several opendbc files) is loaded again with
``strict=False`` and a warning is logged. A file neither mode can read is a ``ProfileError``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cantools
import yaml
from cantools.database.can import Database, Message
from cantools.database.errors import Error as CantoolsError

from gateway.errors import ProfileError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignalMapping:
    """One canonical signal: ``canonical = dbc physical value * scale + offset``."""

    canonical: str
    message: str
    signal: str
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Bus:
    """One CAN bus of the vehicle and the databases that decode it."""

    name: str
    dbc: tuple[Path, ...]
    frame_id_mask: int | None = None
    databases: tuple[Database, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Profile:
    """A loaded, validated vehicle profile. ``hash`` travels in every telemetry message."""

    name: str
    buses: tuple[Bus, ...]
    signals: tuple[SignalMapping, ...]
    hash: str


def load_profile(path: Path) -> Profile:
    """Load and check a profile; raise ``ProfileError`` naming the file and the problem."""
    doc = _read_yaml(path)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{path}: 'name' must be a non-empty string")
    buses = tuple(_load_bus(path, i, item) for i, item in enumerate(_list(path, doc, "buses")))
    if not buses:
        raise ProfileError(f"{path}: 'buses' must list at least one bus")
    signals = _load_signals(path, doc.get("signals"))
    for mapping in signals:
        _check_mapping(path, buses, mapping)
    return Profile(name=name, buses=buses, signals=signals, hash=_hash(buses, signals))


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
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ProfileError(f"{path}: cannot read profile: {err}") from err
    except yaml.YAMLError as err:
        raise ProfileError(f"{path}: invalid YAML: {err}") from err
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
    mask = item.get("frame_id_mask")
    if mask is not None and (type(mask) is not int or not 0 < mask <= 0x1FFFFFFF):
        raise ProfileError(f"{path}: bus {name!r}: frame_id_mask must be an integer 1..0x1FFFFFFF")
    dbc = tuple((path.parent / f).resolve() for f in files)
    databases = tuple(_load_database(p, mask) for p in dbc)
    return Bus(name=name, dbc=dbc, frame_id_mask=mask, databases=databases)


def _load_database(path: Path, mask: int | None) -> Database:
    db = _load_any_database(path, mask)
    if not isinstance(db, Database):
        raise ProfileError(f"{path}: not a CAN database (cantools read it as {type(db).__name__})")
    return db


def _load_any_database(path: Path, mask: int | None) -> object:
    if not path.is_file():
        raise ProfileError(f"{path}: DBC file not found")
    try:
        return cantools.database.load_file(path, frame_id_mask=mask, strict=True)
    except CantoolsError as strict_err:
        try:
            db = cantools.database.load_file(path, frame_id_mask=mask, strict=False)
        except (CantoolsError, ValueError, KeyError) as err:
            raise ProfileError(f"{path}: cantools cannot load it: {err}") from err
        log.warning("%s: loaded with strict=False (strict mode said: %s)", path, strict_err)
        return db
    except (OSError, ValueError, KeyError) as err:
        raise ProfileError(f"{path}: cantools cannot load it: {err}") from err


def _load_signals(path: Path, raw: object) -> tuple[SignalMapping, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ProfileError(f"{path}: 'signals' must map canonical names to DBC signals")
    return tuple(_load_signal(path, str(name), spec) for name, spec in raw.items())


def _load_signal(path: Path, name: str, spec: object) -> SignalMapping:
    where = f"{path}: signal {name!r}"
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: expected {{message, signal, scale?, offset?, unit?}}")
    unknown = set(spec) - {"message", "signal", "scale", "offset", "unit"}
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
    )


def _number(where: str, spec: Mapping[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    if type(value) not in (int, float):
        raise ProfileError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _check_mapping(path: Path, buses: tuple[Bus, ...], mapping: SignalMapping) -> None:
    found = find_message(buses, mapping.message)
    where = f"{path}: signal {mapping.canonical!r}"
    if found is None:
        raise ProfileError(f"{where}: no DBC of the profile has a message {mapping.message!r}")
    message = found[1]
    if message.is_container:
        raise ProfileError(f"{where}: {mapping.message!r} is a container message (unsupported)")
    if mapping.signal not in {s.name for s in message.signals}:
        raise ProfileError(f"{where}: message {mapping.message!r} has no signal {mapping.signal!r}")


def _hash(buses: tuple[Bus, ...], signals: tuple[SignalMapping, ...]) -> str:
    digest = hashlib.sha256()
    for bus in buses:
        for dbc in bus.dbc:
            digest.update(dbc.read_bytes())
    normalised = {
        "buses": [[b.name, b.frame_id_mask] for b in buses],
        "signals": sorted(
            [m.canonical, m.message, m.signal, m.scale, m.offset, m.unit] for m in signals
        ),
    }
    digest.update(json.dumps(normalised, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()[:12]
