"""A real recorded log through the gateway (decode, batch, encode, spool), as a car would send it.

Every signal of the log's DBC is mapped (``tests.gateway.test_fastdecode.write_full_profile``),
no plan: every sample is kept, at its original timestamp.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import can

from gateway.decode import Decoder
from gateway.profile import load_profile
from gateway.reader import BatchPolicy, Reader
from gateway.sources import SourceSpec, open_source
from gateway.spool import Spool
from pitstop.codec import TelemetryColumns, decode_telemetry_columns
from tests.gateway.test_fastdecode import write_full_profile


@dataclass(frozen=True, slots=True)
class Spooled:
    payloads: list[bytes]  # what the car would publish, in order
    samples: int  # samples in them

    def columns(self) -> list[TelemetryColumns]:
        return [decode_telemetry_columns(p) for p in self.payloads]

    def repeats(self) -> int:
        """Samples that share (signal, millisecond) with an earlier one: what used to merge."""
        seen: Counter[tuple[str, int]] = Counter()
        for batch in self.columns():
            for name, series in batch.series.items():
                seen.update((name, ms) for ms in series.ts_ms)
        return sum(n - 1 for n in seen.values())


def spool_log(tmp: Path, log: Path, dbc: Path, vin: str, *, j1939: bool = False) -> Spooled:
    profile = load_profile(write_full_profile(tmp, dbc, j1939))
    frames = list(can.LogReader(log))
    with Spool(tmp / "spool.db") as spool, open_source(SourceSpec.memory(frames)) as source:
        reader = Reader(source, Decoder(profile), spool, BatchPolicy(vin, profile.hash))
        reader.run(threading.Event())
        assert reader.state.error is None, reader.state.error
        entries = spool.unacked(limit=1_000_000)
        assert len(entries) == reader.state.batches
        return Spooled([e.payload for e in entries], reader.state.samples)
