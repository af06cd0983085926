"""DiagnosticsService: scheduled and on-demand trouble-code reads, on its own thread.

    service = DiagnosticsService(bus, vin, publish, DiagSchedule(targets=(EcuTarget(),)))
    with service:                         # starts the thread, stops and joins it on exit
        service.request({"type": "read_dtcs"})   # from the gateway's cmd-topic dispatch

It polls each configured ECU over OBD-II and/or UDS every ``interval`` seconds, listens to J1939
DM1/DM2 all the time, and calls ``publish(report)`` with the full set of codes (every source)
whenever that set changes, after an on-demand read, and as a heartbeat every ``heartbeat``
seconds. With ``schedule.diagnostics`` (a profile's diagnostics section) it also polls the
OBD-II PIDs and UDS DIDs named there (``gateway.diag.poll``), reads the trouble codes of every
OBD-II responder it discovered and of the UDS targets with ``dtcs: true``, and hands the
samples to ``publish_samples`` in batches of ``batch_seconds``. ``publish`` runs on the service's
thread; an exception in it is logged, counted and the report is offered again on the next tick.
Give it a bus instance of its own (socketcan allows several sockets; on the virtual bus open
another ``can.Bus`` on the same channel).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import can

from gateway.diag.client import DiagClient, EcuTarget
from gateway.diag.config import Diagnostics
from gateway.diag.j1939dm import DmReader, DmUpdate
from gateway.diag.poll import Poller, SampleBatch
from gateway.diag.reads import merge, read_obd, read_uds
from pitstop.codec import Sample
from pitstop.dtc import Dtc, DtcReport

log = logging.getLogger(__name__)

COMMANDS = ("read_dtcs",)


@dataclass(frozen=True, slots=True)
class DiagSchedule:
    targets: tuple[EcuTarget, ...] = (EcuTarget(),)
    interval: float = 60.0  # seconds between scheduled reads
    heartbeat: float = 300.0  # seconds between reports when nothing changes
    request_timeout: float = 1.0
    j1939: bool = True
    diagnostics: Diagnostics | None = None  # PIDs and DIDs to poll, UDS targets
    intervals: Mapping[str, float] = field(default_factory=dict)  # the plan's, by name
    batch_seconds: float = 1.0  # polled samples per batch handed to publish_samples
    dm_timeout: float = 5.0  # a source's DM1 older than this is forgotten (sent every 1 s)
    tick: float = 0.2  # how often DM1 changes are looked at


class _DmListener(can.Listener):
    """Runs on the notifier's thread: parses DM1/DM2 (cheap) and hands them over under a lock."""

    def __init__(self, on_update: Callable[[DmUpdate], None]) -> None:
        self._reader = DmReader()
        self._on_update = on_update

    def on_message_received(self, msg: can.Message) -> None:
        try:
            update = self._reader.feed(msg)
        except Exception:  # never let bus input kill the notifier thread
            log.exception("J1939 DM: frame 0x%X could not be read", msg.arbitration_id)
            return
        if update is not None:
            self._on_update(update)

    def on_error(self, exc: Exception) -> None:
        log.warning("diagnostics bus error: %s", exc)


class DiagnosticsService:
    def __init__(
        self,
        bus: can.BusABC,
        vin: str,
        publish: Callable[[DtcReport], None],
        schedule: DiagSchedule | None = None,
        clock: Callable[[], float] = time.time,
        *,
        publish_samples: Callable[[tuple[Sample, ...]], None] = lambda samples: None,
    ) -> None:
        self._bus = bus
        self._vin = vin
        self._publish = publish
        self._schedule = schedule or DiagSchedule()
        self._clock = clock
        self._commands: queue.Queue[str] = queue.Queue(maxsize=16)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._polled: dict[tuple[int, str], tuple[Dtc, ...]] = {}  # (ECU, protocol) -> codes
        self._dm: dict[tuple[int, int], tuple[float, DmUpdate]] = {}  # -> (received, last DM)
        self._mil: dict[int, bool] = {}
        self._first_seen: dict[tuple[str, int, str, int | None], float] = {}
        self._published: DtcReport | None = None
        self._thread: threading.Thread | None = None
        self.stats: Counter[str] = Counter()
        diagnostics = self._schedule.diagnostics
        self._poller = (
            None
            if diagnostics is None
            else Poller(diagnostics, self._schedule.intervals, self.stats, clock)
        )
        self._samples = SampleBatch(publish_samples, self._schedule.batch_seconds, self.stats)

    # --- public -------------------------------------------------------------------------

    def request(self, cmd: Mapping[str, Any]) -> None:
        """Queue an on-demand command from the cmd topic; unknown ones are logged and counted."""
        kind = cmd.get("type")
        if kind not in COMMANDS:
            self.stats["unknown_commands"] += 1
            log.warning("diagnostics: unknown command %r ignored", kind)
            return
        try:
            self._commands.put_nowait(str(kind))
        except queue.Full:
            self.stats["commands_dropped"] += 1
            log.warning("diagnostics: command queue full, %r dropped", kind)

    def current(self) -> DtcReport:
        """The full set of codes known now (not yet published, perhaps)."""
        return self._report("changed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="diagnostics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> DiagnosticsService:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        listeners: list[can.Listener] = [_DmListener(self._on_dm)] if self._schedule.j1939 else []
        notifier = can.Notifier(self._bus, listeners, timeout=0.05)
        client = DiagClient(self._bus, notifier, timeout=self._schedule.request_timeout)
        next_read = time.monotonic()
        try:
            while not self._stop.is_set():
                reason = self._wait(next_read)
                try:
                    self._poll(client)
                    if reason in {"read", "request"}:
                        next_read = time.monotonic() + self._schedule.interval
                        self._read_all(client)
                    self._maybe_publish(forced="request" if reason == "request" else None)
                except Exception:  # a bug must not end diagnostics for the whole trip
                    self.stats["unexpected_errors"] += 1
                    log.exception("diagnostics: unexpected error, carrying on")
        finally:
            self._samples.flush()
            client.close()
            notifier.stop()

    def _poll(self, client: DiagClient) -> None:
        if self._poller is not None:
            self._samples.add(self._poller.step(client, time.monotonic()))
        self._samples.maybe_flush()

    def _targets(self) -> tuple[EcuTarget, ...]:
        """Whom to ask for trouble codes: the configured ECUs, the OBD-II responders found and
        the profile's UDS targets that keep codes."""
        targets = list(self._schedule.targets)
        if self._poller is not None:
            targets += self._poller.obd_targets()
        if self._schedule.diagnostics is not None:
            targets += [t.ecu() for t in self._schedule.diagnostics.uds if t.dtcs]
        unique: dict[int, EcuTarget] = {}
        for target in targets:
            unique.setdefault(target.response_id, target)
        return tuple(unique.values())

    def _wait(self, next_read: float) -> str | None:
        timeout = max(0.0, min(self._schedule.tick, next_read - time.monotonic()))
        try:
            self._commands.get(timeout=timeout)
            return "request"
        except queue.Empty:
            return "read" if time.monotonic() >= next_read and self._targets() else None

    def _read_all(self, client: DiagClient) -> None:
        now = self._clock()
        for target in self._targets():
            results: dict[str, list[Dtc] | None] = {}
            if "obd" in target.protocols:
                results["obd"], mil = read_obd(client, target, now, self.stats)
                if mil is not None:
                    self._mil[target.response_id] = mil
            if "uds" in target.protocols:
                results["uds"] = read_uds(client, target, now, self.stats)
            if all(r is None for r in results.values()):
                self.stats["unreachable_reads"] += 1
            with self._lock:  # a protocol that did not answer keeps what was last known
                for protocol, codes in results.items():
                    if codes is not None:
                        self._polled[(target.response_id, protocol)] = tuple(codes)
        self.stats["reads"] += 1

    def _on_dm(self, update: DmUpdate) -> None:
        with self._lock:
            self._dm[(update.source, update.pgn)] = (time.monotonic(), update)

    def _fresh_dms(self) -> list[DmUpdate]:
        """DMs still current; a source that went quiet is dropped (called under the lock)."""
        oldest = time.monotonic() - self._schedule.dm_timeout
        for key in [k for k, (received, _) in self._dm.items() if received < oldest]:
            _, gone = self._dm.pop(key)
            self.stats["dm_sources_lost"] += 1
            log.warning("J1939 DM from 0x%02X stopped arriving; its codes are dropped", gone.source)
        return [dm for _, dm in self._dm.values()]

    # --- reports ------------------------------------------------------------------------

    def _report(self, reason: str) -> DtcReport:
        now = self._clock()
        with self._lock:
            dms = self._fresh_dms()
            codes = [c for group in self._polled.values() for c in group]
            codes += [c for dm in dms for c in dm.codes]
            lamps = _lamps(dms, self._mil.values())
            stamped = []
            for dtc in merge(codes):
                first = self._first_seen.setdefault(dtc.key, dtc.first_seen or now)
                stamped.append(replace(dtc, first_seen=first, last_seen=dtc.last_seen or now))
            for key in set(self._first_seen) - {d.key for d in stamped}:
                del self._first_seen[key]  # cleared: a later return is a new occurrence
        return DtcReport(self._vin, now, tuple(stamped), reason=reason, lamps=lamps)

    def _maybe_publish(self, forced: str | None) -> None:
        with self._lock:
            known = bool(self._polled or self._dm)
        if not known:
            return  # no source has answered yet: say nothing rather than "no code"
        report = self._report("changed")
        last = self._published
        if forced:
            report = replace(report, reason=forced)
        elif last is not None and _same(last, report):
            if report.ts - last.ts < self._schedule.heartbeat:
                return
            report = replace(report, reason="heartbeat")
        try:
            self._publish(report)
        except Exception:
            self.stats["publish_failures"] += 1
            log.exception("diagnostics: publishing the DTC report failed; will retry")
            return
        self._published = report
        self.stats[f"published_{report.reason}"] += 1


def _same(a: DtcReport, b: DtcReport) -> bool:
    def shape(r: DtcReport) -> set[tuple[Any, ...]]:
        return {(d.key, d.status, d.uds_status) for d in r.codes}

    return shape(a) == shape(b) and dict(a.lamps) == dict(b.lamps)


def _lamps(dms: Iterable[DmUpdate], mils: Iterable[bool]) -> dict[str, bool]:
    """A lamp is on if any source says so; known off only if some source says so."""
    lamps: dict[str, bool] = {}
    for dm in dms:
        for name, on in dm.lamps.items():
            lamps[name] = lamps.get(name, False) or on
    for on in mils:
        lamps["mil"] = lamps.get("mil", False) or on
    return lamps
