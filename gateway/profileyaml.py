"""The fields of a profile's YAML document, checked one by one: the buses and the signals.

Each function raises ``ProfileError`` naming the file, the bus or signal, and the field. The
format is documented in ``gateway.profile`` and ``docs/profiles.md``; a bus's DBC files are
found and loaded here (``gateway.dbcload``), the signals are bound to them by
``gateway.profile``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.dbcload import find_dbc, load_dbc
from gateway.errors import ProfileError
from gateway.profilemodel import Bus, SignalMapping
from gateway.yamlfile import read_yaml

J1939_PGN_MASK = 0x03FFFF00  # the PGN: priority and source address ignored
_BUS_KEYS = {"name", "dbc", "frame_id_mask", "j1939", "fast_packet", "channel", "lenient"}
_SIGNAL_KEYS = {"message", "signal", "scale", "offset", "unit", "bus", "source_address"}


def read_document(path: Path) -> dict[str, Any]:
    """The profile's YAML document, which must be a mapping."""
    doc = read_yaml(path, "profile", ProfileError)
    if not isinstance(doc, dict):
        raise ProfileError(f"{path}: a profile must be a YAML mapping")
    return doc


def load_buses(path: Path, doc: Mapping[str, Any], dbc_path: Sequence[Path]) -> tuple[Bus, ...]:
    """The ``buses`` list, each with its DBC files found (next to ``path``, then in
    ``dbc_path``) and loaded."""
    items = doc.get("buses")
    if not isinstance(items, list):
        raise ProfileError(f"{path}: 'buses' must be a list")
    return tuple(_load_bus(path, i, item, dbc_path) for i, item in enumerate(items))


def load_signals(path: Path, raw: object) -> tuple[SignalMapping, ...]:
    """The ``signals`` mapping (canonical name -> DBC message and signal), not yet bound."""
    if not isinstance(raw, dict) or not raw:
        raise ProfileError(f"{path}: 'signals' must map canonical names to DBC signals")
    return tuple(_load_signal(path, str(name), spec) for name, spec in raw.items())


# --- steps -------------------------------------------------------------------------------


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
