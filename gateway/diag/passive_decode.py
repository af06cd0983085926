"""Diagnostics read passively from the frames the gateway decodes (a replayed log, a sniffed bus).

``DiagDecoder`` is a ``gateway.decode.Decoder`` that first looks at diagnostic traffic:

- ISO-TP responses on the response ids of the profile's UDS targets are reassembled
  (``gateway.diag.passive``) and a response to one of the target's reads (``62 <DID>`` or
  ``61 <id>``) becomes samples (``gateway.diag.dids``) with the frame's own timestamp;
- with an ``obd`` part, mode 01 answers on 0x7E8-0x7EF become samples of the profile's PIDs
  (first responder wins, as when polling), and 43/47/4A answers trouble codes;
- J1939 DM1/DM2 (single frame or BAM) become trouble codes.

Nothing is ever sent. A source's codes are handed to ``on_report`` as a ``DtcReport`` (one
source, ``reason="changed"``) the first time they are seen, whenever they change, and every
``HEARTBEAT_S`` of frame time while they do not, so a replay reports what the car reported at
the moment it reported it. Everything else goes on to the ordinary decoder.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import can

from gateway.decode import Decoder
from gateway.decodefilters import FrameFilter
from gateway.diag import obd
from gateway.diag.config import Diagnostics, UdsTarget
from gateway.diag.dids import decode_did
from gateway.diag.errors import DiagError
from gateway.diag.j1939dm import DmReader
from gateway.diag.passive import IsoTpMessage, PassiveIsoTp
from gateway.profile import Profile
from pitstop.codec import Sample
from pitstop.dtc import Dtc, DtcReport, Protocol, source_name

log = logging.getLogger(__name__)

HEARTBEAT_S = 300.0
DM_FILTERS = (  # DM1 0xFECA and DM2 0xFECB, and the transport (TP.CM, TP.DT) of longer ones
    FrameFilter(0x00FECA00, 0x00FFFE00, True),
    FrameFilter(0xEC << 16, 0xFF << 16, True),
    FrameFilter(0xEB << 16, 0xFF << 16, True),
)


def wants_passive(profile: Profile) -> bool:
    """Whether a profile has diagnostic traffic to read: a diagnostics section or J1939."""
    return profile.diagnostics is not None or any(bus.j1939 for bus in profile.buses)


class CodeTracker:
    """Per source, the last codes and lamps seen; a report when they change (or heartbeat)."""

    def __init__(self, vin: str, heartbeat: float = HEARTBEAT_S) -> None:
        self._vin = vin
        self._heartbeat = heartbeat
        self._last: dict[tuple[str, int], tuple[float, Any]] = {}

    def see(
        self, key: tuple[str, int], ts: float, codes: tuple[Dtc, ...], lamps: dict[str, bool]
    ) -> DtcReport | None:
        """``key``: the source and the message kind (DM1/DM2 PGN, OBD service)."""
        shape = ({(d.key, d.status) for d in codes}, dict(lamps))
        last = self._last.get(key)
        if last is not None and last[1] == shape and 0 <= ts - last[0] < self._heartbeat:
            return None
        reason = "heartbeat" if last is not None and last[1] == shape else "changed"
        self._last[key] = (ts, shape)
        return DtcReport(self._vin, ts, codes, reason=reason, source=key[0], lamps=lamps)


class DiagDecoder(Decoder):
    """See the module docstring; ``on_report`` is called on the decoding (reader) thread."""

    def __init__(self, profile: Profile, vin: str, *, fast: bool = True) -> None:
        super().__init__(profile, fast=fast)
        section = profile.diagnostics or Diagnostics()
        self._obd = section.obd
        self._targets: dict[tuple[int, bool], UdsTarget] = {
            (t.response_id, t.extended): t for t in section.uds
        }
        obd_ids = {(resp, False) for _, resp in obd.RESPONDERS_11} if section.obd else set()
        self._iso_ids = set(self._targets) | obd_ids
        self._isotp = PassiveIsoTp(accept=lambda msg: True)
        self._dm = DmReader() if section.j1939 else None
        self._codes = CodeTracker(vin)
        self._pid_owner: dict[int, int] = {}
        self.on_report: Callable[[DtcReport], None] = lambda report: None
        self.diag_stats: Counter[str] = Counter()

    def frame_filters(self, bus: str | None = None) -> list[FrameFilter]:
        filters = super().frame_filters(bus)
        filters += [FrameFilter(i, 0x1FFFFFFF if e else 0x7FF, e) for i, e in self._iso_ids]
        if self._dm is not None:
            filters += DM_FILTERS
        return filters

    def decode_into(self, msg: can.Message, out: list[Sample]) -> int:
        dm = self._dm
        if msg.is_extended_id and dm is not None:
            self._feed_dm(dm, msg)
        if (msg.arbitration_id, msg.is_extended_id) in self._iso_ids:
            return self._diagnostic(msg, out)
        return super().decode_into(msg, out)

    def _feed_dm(self, dm: DmReader, msg: can.Message) -> None:
        update = dm.feed(msg)
        if update is not None:
            source = source_name(Protocol.J1939, update.source)
            self._report((source, update.pgn), update.ts, update.codes, update.lamps)

    def _diagnostic(self, msg: can.Message, out: list[Sample]) -> int:
        iso = self._isotp.feed(msg)
        if iso is None:
            return 0
        try:
            target = self._targets.get((iso.arbitration_id, iso.is_extended_id))
            if target is not None:
                return self._uds(target, iso, out)
            return self._obd_answer(iso, out)
        except DiagError as err:
            self.diag_stats["malformed"] += 1
            log.info("passive diagnostics: 0x%X at %.3f: %s", iso.arbitration_id, iso.ts, err)
            return 0

    def _uds(self, target: UdsTarget, iso: IsoTpMessage, out: list[Sample]) -> int:
        read = next((r for r in target.reads if r.answered_by(iso.data)), None)
        if read is None:
            self.diag_stats["unmatched_responses"] += 1
            return 0
        samples = decode_did(read, iso.data, iso.ts)
        out += samples
        self.diag_stats["did_samples"] += len(samples)
        return len(samples)

    def _obd_answer(self, iso: IsoTpMessage, out: list[Sample]) -> int:
        service, ecu = iso.data[0] if iso.data else 0, iso.arbitration_id
        if service - 0x40 in obd.DTC_MODES:
            codes = obd.decode_dtcs(service - 0x40, iso.data, ecu, iso.ts)
            self._report((source_name(Protocol.OBD, ecu), service), iso.ts, codes, {})
            return 0
        if service != 0x41 or self._obd is None:
            return 0
        pid, value = obd.decode_pid(iso.data)
        name = self._obd.name_of(pid)
        if name is None or not isinstance(value, float):
            return 0
        if self._pid_owner.setdefault(pid, ecu) != ecu:
            self.diag_stats["pid_other_responder"] += 1
            return 0
        out.append(Sample(name, iso.ts, value))
        return 1

    def _report(
        self, key: tuple[str, int], ts: float, codes: tuple[Dtc, ...], lamps: dict[str, bool]
    ) -> None:
        report = self._codes.see(key, ts, codes, lamps)
        if report is None:
            return
        try:
            self.on_report(report)
        except Exception:  # the reader thread must go on; the owner logs why
            self.diag_stats["report_failures"] += 1
            log.exception("passive diagnostics: the report of %s could not be handed on", key[0])
