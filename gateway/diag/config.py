"""The ``diagnostics`` section of a vehicle profile: OBD-II PIDs to poll, UDS targets and DIDs.

Parsed by ``load_diagnostics`` (called by ``gateway.profile.load_profile``) into frozen values;
the format is documented in ``dbc/obd2.yaml`` and ``docs/obd2.md``::

    diagnostics:
      j1939: true                  # optional: DM1/DM2 trouble codes (default true)
      obd:                         # optional: SAE J1979 over ISO 15765-4
        functional_id: 0x7DF       # optional (11-bit); responders 0x7E8-0x7EF
        pids:                      # PID -> canonical name and poll interval (seconds)
          0x0D: {name: Vehicle.Speed, every: 1}
      uds:                         # optional: ECUs asked by physical address
        - name: bms
          request_id: 0x7E4
          response_id: 0x7EC
          dtcs: false              # optional: also read 0x19 trouble codes (default false)
          reads:
            - did: 0x0101          # with service 0x22 (2-byte DID) or 0x21 (1-byte id)
              service: 0x22
              every: 10
              signals:             # from a DBC message of the profile's buses ...
                Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed:
                  {message: Battery, signal: M_SID_0x220101_StateOfChargeBMS, unit: "%"}
                # ... or from bytes of the data record (after the service and DID echo):
                Vehicle.Example: {byte: 6, length: 1, scale: 0.5, offset: 0, unit: "%"}

Errors are ``ProfileError``s naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cantools.database.can import Message

from gateway.diag import obd
from gateway.diag.client import EcuTarget
from gateway.errors import ProfileError

FindMessage = Callable[[str], Message | None]

READ_SERVICES = {0x22: 2, 0x21: 1}  # ReadDataByIdentifier (UDS), ReadDataByLocalId (KWP2000)


@dataclass(frozen=True, slots=True)
class PidSignal:
    pid: int
    canonical: str
    interval: float


@dataclass(frozen=True, slots=True)
class ObdConfig:
    pids: tuple[PidSignal, ...]
    functional_id: int = obd.FUNCTIONAL_11

    def name_of(self, pid: int) -> str | None:
        return next((p.canonical for p in self.pids if p.pid == pid), None)


@dataclass(frozen=True, slots=True)
class ByteField:
    """Bytes ``start .. start+length`` of the data record, big-endian."""

    start: int
    length: int
    signed: bool = False


@dataclass(frozen=True, slots=True)
class DidSignal:
    """One canonical signal of a DID: ``value * scale + offset`` of a DBC signal or bytes."""

    canonical: str
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    span: ByteField | None = None
    message: Message | None = field(default=None, compare=False, repr=False)
    signal: str = ""


@dataclass(frozen=True, slots=True)
class DidRead:
    service: int
    did: int
    interval: float
    signals: tuple[DidSignal, ...]

    def request(self) -> bytes:
        return bytes([self.service]) + self.did.to_bytes(READ_SERVICES[self.service], "big")

    def answered_by(self, payload: bytes) -> bool:
        echo = self.request()
        return payload[:1] == bytes([self.service + 0x40]) and payload[1 : len(echo)] == echo[1:]


@dataclass(frozen=True, slots=True)
class UdsTarget:
    name: str
    request_id: int
    response_id: int
    reads: tuple[DidRead, ...]
    extended: bool = False
    dtcs: bool = False

    def ecu(self) -> EcuTarget:
        protocols = ("uds",) if self.dtcs else ()
        return EcuTarget(self.request_id, self.response_id, self.extended, protocols, self.name)


@dataclass(frozen=True, slots=True)
class Diagnostics:
    obd: ObdConfig | None = None
    uds: tuple[UdsTarget, ...] = ()
    j1939: bool = True

    def canonical_names(self) -> tuple[str, ...]:
        names = [p.canonical for p in self.obd.pids] if self.obd else []
        names += [s.canonical for t in self.uds for r in t.reads for s in r.signals]
        return tuple(names)

    def restricted_to(self, names: Collection[str]) -> Diagnostics:
        """Only what feeds these canonical names (a collection plan's), the codes kept."""
        obd_part = self.obd and replace(
            self.obd, pids=tuple(p for p in self.obd.pids if p.canonical in names)
        )
        targets = []
        for target in self.uds:
            reads = []
            for read in target.reads:
                kept = tuple(s for s in read.signals if s.canonical in names)
                if kept:
                    reads.append(replace(read, signals=kept))
            targets.append(replace(target, reads=tuple(reads)))
        return replace(self, obd=obd_part, uds=tuple(targets))

    def fingerprint(self) -> list[object]:
        """What of the section enters the profile hash (the names and how they are decoded)."""
        pids = [[p.pid, p.canonical] for p in self.obd.pids] if self.obd else []
        dids = [
            [t.response_id, r.service, r.did, s.canonical, s.scale, s.offset, s.signal, str(s.span)]
            for t in self.uds
            for r in t.reads
            for s in r.signals
        ]
        return [pids, dids, self.j1939]


def load_diagnostics(where: str, raw: object, find: FindMessage) -> Diagnostics:
    """Parse the section; ``find`` looks a DBC message up by name in the profile's buses."""
    doc = _mapping(where, raw, "diagnostics", {"obd", "uds", "j1939"})
    j1939 = doc.get("j1939", True)
    if type(j1939) is not bool:
        raise ProfileError(f"{where}: diagnostics.j1939 must be true or false")
    obd_doc = doc.get("obd")
    uds_doc = doc.get("uds", [])
    if not isinstance(uds_doc, list):
        raise ProfileError(f"{where}: diagnostics.uds must be a list of targets")
    return Diagnostics(
        obd=None if obd_doc is None else _load_obd(where, obd_doc),
        uds=tuple(_load_target(where, i, t, find) for i, t in enumerate(uds_doc)),
        j1939=j1939,
    )


def _load_obd(where: str, raw: object) -> ObdConfig:
    doc = _mapping(where, raw, "diagnostics.obd", {"pids", "functional_id"})
    pids = _mapping(where, doc.get("pids"), "diagnostics.obd.pids", None)
    out = []
    for pid, spec in pids.items():
        what = f"diagnostics.obd.pids[{pid!r}]"
        if type(pid) is not int or pid not in obd.PIDS or pid == 0x01:
            raise ProfileError(f"{where}: {what}: not a mode 01 PID this gateway decodes")
        item = _mapping(where, spec, what, {"name", "every"})
        out.append(PidSignal(pid, _name(where, what, item), _seconds(where, what, item)))
    functional = _int(where, "diagnostics.obd.functional_id", doc, obd.FUNCTIONAL_11, 0x7FF)
    return ObdConfig(tuple(out), functional)


def _load_target(where: str, index: int, raw: object, find: FindMessage) -> UdsTarget:
    what = f"diagnostics.uds[{index}]"
    keys = {"name", "request_id", "response_id", "extended", "dtcs", "reads"}
    doc = _mapping(where, raw, what, keys)
    extended, dtcs = doc.get("extended", False), doc.get("dtcs", False)
    if type(extended) is not bool or type(dtcs) is not bool:
        raise ProfileError(f"{where}: {what}: 'extended' and 'dtcs' must be true or false")
    top = 0x1FFFFFFF if extended else 0x7FF
    reads = doc.get("reads", [])
    if not isinstance(reads, list):
        raise ProfileError(f"{where}: {what}.reads must be a list")
    return UdsTarget(
        name=str(doc.get("name", f"ecu{index}")),
        request_id=_int(where, f"{what}.request_id", doc, None, top),
        response_id=_int(where, f"{what}.response_id", doc, None, top),
        reads=tuple(_load_read(where, f"{what}.reads[{i}]", r, find) for i, r in enumerate(reads)),
        extended=extended,
        dtcs=dtcs,
    )


def _load_read(where: str, what: str, raw: object, find: FindMessage) -> DidRead:
    doc = _mapping(where, raw, what, {"did", "service", "every", "signals"})
    service = _int(where, f"{what}.service", doc, 0x22, 0xFF)
    if service not in READ_SERVICES:
        raise ProfileError(f"{where}: {what}.service must be 0x22 or 0x21")
    did = _int(where, f"{what}.did", doc, None, (1 << (8 * READ_SERVICES[service])) - 1)
    signals = _mapping(where, doc.get("signals"), f"{what}.signals", None)
    loaded = tuple(
        _load_did_signal(where, f"{what}.signals[{name!r}]", str(name), spec, find)
        for name, spec in signals.items()
    )
    return DidRead(service, did, _seconds(where, what, doc), loaded)


def _load_did_signal(where: str, what: str, name: str, raw: object, find: FindMessage) -> DidSignal:
    keys = {"message", "signal", "byte", "length", "signed", "scale", "offset", "unit"}
    doc = _mapping(where, raw, what, keys)
    common: dict[str, Any] = {
        "canonical": name,
        "scale": _float(where, what, doc, "scale", 1.0),
        "offset": _float(where, what, doc, "offset", 0.0),
        "unit": str(doc.get("unit", "")),
    }
    if "message" in doc:
        message = find(str(doc["message"]))
        if message is None:
            raise ProfileError(f"{where}: {what}: no DBC of the profile has {doc['message']!r}")
        signal = str(doc.get("signal", ""))
        if signal not in {s.name for s in message.signals}:
            raise ProfileError(f"{where}: {what}: {message.name!r} has no signal {signal!r}")
        return DidSignal(**common, message=message, signal=signal)
    start = _int(where, f"{what}.byte", doc, None, 4095)
    length = _int(where, f"{what}.length", doc, 1, 8)
    signed = doc.get("signed", False)
    if type(signed) is not bool or length < 1:
        raise ProfileError(f"{where}: {what}: 'signed' must be true or false, 'length' 1..8")
    return DidSignal(**common, span=ByteField(start, length, signed))


# --- small checks -------------------------------------------------------------------------


def _mapping(where: str, raw: object, what: str, keys: set[str] | None) -> Mapping[Any, Any]:
    if not isinstance(raw, dict) or not raw:
        raise ProfileError(f"{where}: {what} must be a non-empty mapping")
    unknown = set(raw) - keys if keys is not None else set()
    if unknown:
        raise ProfileError(f"{where}: {what}: unknown keys {sorted(map(str, unknown))}")
    return raw


def _int(where: str, what: str, doc: Mapping[str, Any], default: int | None, top: int) -> int:
    key = what.rsplit(".", 1)[-1]
    value = doc.get(key, default)
    if type(value) is not int or not 0 <= value <= top:
        raise ProfileError(f"{where}: {what} must be an integer 0..0x{top:X}, got {value!r}")
    return value


def _float(where: str, what: str, doc: Mapping[str, Any], key: str, default: float) -> float:
    value = doc.get(key, default)
    if type(value) not in (int, float):
        raise ProfileError(f"{where}: {what}.{key} must be a number, got {value!r}")
    return float(value)


def _seconds(where: str, what: str, doc: Mapping[str, Any]) -> float:
    every = _float(where, what, doc, "every", 10.0)
    if not 0 < every <= 86_400:
        raise ProfileError(f"{where}: {what}.every must be seconds in (0, 86400]")
    return every


def _name(where: str, what: str, doc: Mapping[str, Any]) -> str:
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{where}: {what}.name must be a canonical signal name")
    return name
