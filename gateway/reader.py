"""The reader thread: source -> decode -> batch -> spool. It never waits for the network.

A batch closes when ``interval`` seconds of *frame time* have passed since its first sample (so
a replay at full speed still makes batches of about one second of driving), when the bus has
been quiet for ``interval`` seconds of wall-clock time (so a quiet live bus still flushes), when
it reaches ``max_samples``, and when the source ends or ``stop`` is set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.decode import Decoder
from gateway.sources import CanSource
from gateway.spool import Spool
from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.errors import PitstopError

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReaderState:
    """What the reader has done so far; read by the sender thread for status and stats."""

    frames: int = 0
    batches: int = 0
    samples: int = 0
    failed_batches: int = 0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    vin: str
    profile_hash: str
    interval: float = 1.0
    max_samples: int = 20_000
    priority: int = 0


class Reader:
    """Owns the open batch; call ``run`` on the reader thread."""

    def __init__(
        self,
        source: CanSource,
        decoder: Decoder,
        spool: Spool,
        policy: BatchPolicy,
        *,
        on_spooled: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = ReaderState()
        self._source = source
        self._decoder = decoder
        self._spool = spool
        self._policy = policy
        self._on_spooled = on_spooled
        self._monotonic = monotonic

    def run(self, stop: threading.Event) -> None:
        """Read until the source ends or ``stop`` is set; the open batch is always spooled."""
        try:
            self._loop(stop)
        except Exception as err:  # the loop boundary: report it to the owner, never vanish
            log.exception("CAN reader failed (%s)", self._source.spec.describe())
            self.state.error = err
        finally:
            self.state.done.set()

    def _loop(self, stop: threading.Event) -> None:
        batch: list[Sample] = []
        interval = self._policy.interval
        max_samples = self._policy.max_samples
        decode_into = self._decoder.decode_into
        state = self.state
        frame_start = 0.0
        wall_start = 0.0
        try:
            for msg in self._source.messages(stop):
                if msg is None:
                    if batch and self._monotonic() - wall_start >= interval:
                        self._flush(batch)
                    continue
                state.frames += 1
                ts = msg.timestamp
                if batch and (ts - frame_start >= interval or ts < frame_start):
                    self._flush(batch)
                was_empty = not batch
                if decode_into(msg, batch) and was_empty:
                    frame_start, wall_start = ts, self._monotonic()
                if len(batch) >= max_samples:
                    self._flush(batch)
        finally:
            if batch:
                self._flush(batch)

    def _flush(self, batch: list[Sample]) -> None:
        samples = tuple(batch)
        batch.clear()
        policy = self._policy

        def build(seq: int) -> bytes:
            return encode_telemetry(TelemetryBatch(policy.vin, seq, policy.profile_hash, samples))

        try:
            seq = self._spool.append(build, policy.priority)
        except PitstopError:  # a codec or spool error loses this batch, not the gateway
            log.exception("cannot spool a batch of %d samples", len(samples))
            self.state.failed_batches += 1
            return
        self.state.batches += 1
        self.state.samples += len(samples)
        log.debug("spooled batch %d: %d samples", seq, len(samples))
        self._on_spooled()
