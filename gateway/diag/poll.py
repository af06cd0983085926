"""Polling what the profile's diagnostics section asks for: OBD-II PIDs and UDS DIDs.

    poller = Poller(profile.diagnostics, intervals={"Vehicle.Speed": 0.5})
    samples = poller.step(client, time.monotonic())   # on the diagnostics thread

OBD-II (ISO 15765-4): ``01 00`` goes out functionally (0x7DF); every ECU answering on
0x7E8-0x7EF is a responder, asked physically (0x7E0-0x7E7) for its next supported-PID bitmaps
(0x20, 0x40, ...) while the previous one says they exist. A PID of the profile is then polled
from the *first responder* (lowest response id) that supports it, every ``every`` seconds, or
the collection plan's ``interval`` for its canonical name when the plan lists it; other
responders supporting it are not asked (one series per name, no duplicates). With no responder
(ignition off), discovery is tried again every ``REDISCOVER_S``; a responder that stops
answering ``MAX_MISSES`` times in a row is forgotten, and when none is left discovery runs
again. UDS reads go to their target's ids, on their own interval. Samples are stamped with the
wall clock when the answer came.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gateway.diag import obd
from gateway.diag.client import DiagClient, EcuTarget
from gateway.diag.config import Diagnostics, DidRead, UdsTarget
from gateway.diag.dids import decode_did
from gateway.diag.errors import DiagError
from pitstop.codec import Sample

log = logging.getLogger(__name__)

REDISCOVER_S = 10.0
MAX_MISSES = 3
MIN_INTERVAL_S = 0.1


@dataclass(frozen=True, slots=True)
class Responder:
    target: EcuTarget
    supported: frozenset[int]


@dataclass(frozen=True, slots=True)
class PidItem:
    pid: int
    canonical: str
    target: EcuTarget
    interval: float


@dataclass(frozen=True, slots=True)
class DidItem:
    target: UdsTarget
    read: DidRead
    interval: float


def discover(client: DiagClient, functional_id: int, stats: Counter[str]) -> tuple[Responder, ...]:
    """Every ECU answering ``01 00``, with the PIDs it supports (lowest response id first)."""
    candidates = [
        EcuTarget(req, resp, protocols=("obd",), name=f"obd-{resp:X}")
        for req, resp in obd.RESPONDERS_11
    ]
    answers = client.request_functional(functional_id, False, bytes([0x01, 0x00]), candidates)
    found = []
    for target in sorted(answers, key=lambda t: t.response_id):
        try:
            supported = set(_bitmap(answers[target]))
        except DiagError as err:
            stats["obd_failures"] += 1
            log.warning("OBD discovery: 0x%X: %s", target.response_id, err)
            continue
        for base in obd.SUPPORT_PIDS[1:]:
            if base not in supported:
                break
            try:
                supported |= _bitmap(client.request(target, bytes([0x01, base])))
            except DiagError as err:
                stats["obd_failures"] += 1
                log.warning("OBD discovery: 0x%X PID 0x%02X: %s", target.response_id, base, err)
                break
        found.append(Responder(target, frozenset(supported)))
    stats["obd_discoveries"] += 1
    log.info("OBD-II responders: %s", ", ".join(f"0x{r.target.response_id:X}" for r in found))
    return tuple(found)


def _bitmap(payload: bytes) -> frozenset[int]:
    _, bits = obd.decode_pid(payload)
    return bits if isinstance(bits, frozenset) else frozenset()


def pid_items(
    diagnostics: Diagnostics, responders: tuple[Responder, ...], intervals: Mapping[str, float]
) -> tuple[PidItem, ...]:
    """What to poll from whom: each PID from the first responder that supports it."""
    if diagnostics.obd is None:
        return ()
    items = []
    for pid in diagnostics.obd.pids:
        owner = next((r for r in responders if pid.pid in r.supported), None)
        if owner is not None:
            every = _interval(intervals, pid.interval, pid.canonical)
            items.append(PidItem(pid.pid, pid.canonical, owner.target, every))
    return tuple(items)


def did_items(diagnostics: Diagnostics, intervals: Mapping[str, float]) -> tuple[DidItem, ...]:
    return tuple(
        DidItem(
            target, read, _interval(intervals, read.interval, *[s.canonical for s in read.signals])
        )
        for target in diagnostics.uds
        for read in target.reads
    )


def _interval(intervals: Mapping[str, float], default: float, *names: str) -> float:
    planned = [intervals[n] for n in names if n in intervals]
    return max(MIN_INTERVAL_S, min(planned) if planned else default)


class Poller:
    """The schedule of one diagnostics thread; see the module docstring."""

    def __init__(
        self,
        diagnostics: Diagnostics,
        intervals: Mapping[str, float] | None = None,
        stats: Counter[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._diagnostics = diagnostics
        self._clock = clock
        self._intervals = dict(intervals or {})
        self.stats: Counter[str] = stats if stats is not None else Counter()
        self.responders: tuple[Responder, ...] = ()
        self._pids: tuple[PidItem, ...] = ()
        self._dids = did_items(diagnostics, self._intervals)
        self._due: dict[PidItem | DidItem, float] = {}
        self._misses: Counter[int] = Counter()
        self._next_discovery = float("-inf")

    def obd_targets(self) -> tuple[EcuTarget, ...]:
        """The OBD-II responders found, for the trouble-code reads (modes 03/07/0A)."""
        return tuple(r.target for r in self.responders)

    def step(self, client: DiagClient, now: float) -> list[Sample]:
        """Discover if due, then read every PID and DID that is due; return the samples."""
        obd_config = self._diagnostics.obd
        if obd_config is not None and not self.responders and now >= self._next_discovery:
            self._next_discovery = now + REDISCOVER_S
            self.responders = discover(client, obd_config.functional_id, self.stats)
            self._pids = pid_items(self._diagnostics, self.responders, self._intervals)
        samples: list[Sample] = []
        items: tuple[PidItem | DidItem, ...] = (*self._pids, *self._dids)
        for item in items:
            if self._due.get(item, float("-inf")) <= now:
                self._due[item] = now + item.interval
                samples += self._read(client, item)
        return samples

    def _read(self, client: DiagClient, item: PidItem | DidItem) -> list[Sample]:
        if isinstance(item, PidItem):
            target, request = item.target, bytes([0x01, item.pid])
        else:
            target, request = item.target.ecu(), item.read.request()
        try:
            payload = client.request(target, request)
            samples = self._decode(item, payload, self._clock())
        except DiagError as err:
            self.stats["poll_failures"] += 1
            log.info("poll of 0x%X (%s) failed: %s", target.response_id, request.hex(), err)
            self._missed(target)
            return []
        self._misses.pop(target.response_id, None)
        self.stats["poll_samples"] += len(samples)
        return samples

    def _decode(self, item: PidItem | DidItem, payload: bytes, wall: float) -> list[Sample]:
        if isinstance(item, DidItem):
            if not item.read.answered_by(payload):
                self.stats["poll_mismatches"] += 1
                return []
            return decode_did(item.read, payload, wall)
        pid, value = obd.decode_pid(payload)
        if pid != item.pid or not isinstance(value, float):
            self.stats["poll_mismatches"] += 1
            return []
        return [Sample(item.canonical, wall, value)]

    def _missed(self, target: EcuTarget) -> None:
        self._misses[target.response_id] += 1
        if self._misses[target.response_id] < MAX_MISSES:
            return
        if any(r.target == target for r in self.responders):
            log.warning("OBD-II responder 0x%X stopped answering", target.response_id)
            self.responders = tuple(r for r in self.responders if r.target != target)
            self._pids = pid_items(self._diagnostics, self.responders, self._intervals)
            self._misses.pop(target.response_id, None)


class SampleBatch:
    """Polled samples waiting to be handed over, at most ``seconds`` old (monotonic)."""

    def __init__(
        self,
        publish: Callable[[tuple[Sample, ...]], None],
        seconds: float,
        stats: Counter[str],
    ) -> None:
        self._publish = publish
        self._seconds = seconds
        self._stats = stats
        self._samples: list[Sample] = []
        self._since = 0.0

    def add(self, samples: list[Sample]) -> None:
        if samples and not self._samples:
            self._since = time.monotonic()
        self._samples += samples

    def maybe_flush(self) -> None:
        if self._samples and time.monotonic() - self._since >= self._seconds:
            self.flush()

    def flush(self) -> None:
        if not self._samples:
            return
        try:
            self._publish(tuple(self._samples))
        except Exception:  # kept for the next try, like a report
            self._stats["sample_publish_failures"] += 1
            log.exception("diagnostics: handing over %d polled samples failed", len(self._samples))
            return
        self._stats["sample_batches"] += 1
        self._samples = []
