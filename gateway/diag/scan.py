"""Find every trouble-code report in a stream of frames (a recorded log, a sniffed bus).

Passive: ISO-TP responses are reassembled per CAN id and read by their service byte (43/47/4A
OBD DTCs, 41 01 MIL status, 59 02 UDS DTCs, 59 04 / 59 06 details of one code), J1939 DM1/DM2 by
single frame or BAM. Each DTC-bearing message yields one ``DtcReport`` covering that one source
(``reason="scan"``). Payloads that break the protocol are logged and counted in ``stats``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import can

from gateway.diag import obd, uds
from gateway.diag.errors import DiagError
from gateway.diag.j1939dm import DmReader
from gateway.diag.passive import IsoTpMessage, PassiveIsoTp
from pitstop.dtc import Dtc, DtcReport, Protocol, source_name

log = logging.getLogger(__name__)

UNKNOWN_VIN = "UNKNOWNVIN0000000"


@dataclass(frozen=True, slots=True)
class Found:
    """A report, or a reassembled message for callers that decode payloads with a DBC."""

    report: DtcReport | None = None
    message: IsoTpMessage | None = None


class Scanner:
    def __init__(self, vin: str = UNKNOWN_VIN) -> None:
        self._vin = vin
        self.isotp = PassiveIsoTp()
        self.dm = DmReader()
        self.stats: Counter[str] = Counter()
        self._last_uds: dict[int, dict[str, Dtc]] = {}  # ecu -> code -> last 59 02 entry

    def scan(self, frames: Iterable[can.Message]) -> Iterator[Found]:
        for msg in frames:
            self.stats["frames"] += 1
            update = self.dm.feed(msg)
            if update is not None:
                source = source_name(Protocol.J1939, update.source)
                yield Found(self._report(update.ts, update.codes, source, update.lamps))
                continue
            iso = self.isotp.feed(msg)
            if iso is not None:
                yield Found(message=iso)
                report = self._read(iso)
                if report is not None:
                    yield Found(report)

    def _read(self, iso: IsoTpMessage) -> DtcReport | None:
        data, ecu, ts = iso.data, iso.arbitration_id, iso.ts
        service = data[0]
        try:
            if service - 0x40 in obd.DTC_MODES:
                codes = obd.decode_dtcs(service - 0x40, data, ecu, ts)
                return self._report(ts, codes, source_name(Protocol.OBD, ecu))
            if service == 0x59 and len(data) > 1:
                return self._read_uds(data, ecu, ts)
        except DiagError as err:
            self.stats["malformed"] += 1
            log.warning("scan: response on 0x%X at %.3f: %s", ecu, ts, err)
        return None

    def _read_uds(self, data: bytes, ecu: int, ts: float) -> DtcReport | None:
        source = source_name(Protocol.UDS, ecu)
        if data[1] == uds.BY_STATUS_MASK:
            codes = uds.decode_by_status_mask(data, ecu, ts)
            self._last_uds[ecu] = {d.code: d for d in codes}
            return self._report(ts, codes, source)
        if data[1] not in (uds.SNAPSHOT_BY_DTC, uds.EXT_DATA_BY_DTC) or len(data) < 6:
            return None
        known = self._last_uds.setdefault(ecu, {})
        base = uds.decode_by_status_mask(bytes([0x59, 0x02, 0xFF]) + data[2:6], ecu, ts)[0]
        dtc = known.get(base.code, base)
        if data[1] == uds.SNAPSHOT_BY_DTC:
            dtc = uds.with_details(dtc, uds.decode_snapshots(data), {})
        else:
            dtc = uds.with_details(dtc, {}, uds.decode_ext_data(data)[0])
        known[dtc.code] = replace(dtc, last_seen=ts)
        return self._report(ts, tuple(known.values()), source)

    def _report(
        self, ts: float, codes: tuple[Dtc, ...], source: str, lamps: dict[str, bool] | None = None
    ) -> DtcReport:
        self.stats["reports"] += 1
        return DtcReport(self._vin, ts, codes, reason="scan", source=source, lamps=lamps or {})
