"""The reader thread: source -> decode -> reduce -> batch -> spool. It never waits for the network.

With a collection plan (``Reducer``), the decoder only decodes frames with a signal due and the
reducer keeps what the plan needs. Other threads change the plan and the budget level only
through the ``ReaderControl`` (``gateway.handover``); the reader applies a change between two
frames. Without a plan every sample is kept. ``report`` is the read-only snapshot the sender
gives in its status.

A batch closes when ``interval`` seconds of *frame time* have passed since its first sample (so
a replay at full speed still makes batches of about one second of driving), when the bus has
been quiet for ``interval`` seconds of wall-clock time (so a quiet live bus still flushes), when
it reaches ``max_samples``, and when the source ends or ``stop`` is set. It closes only between
two frames of different milliseconds (as the codec rounds them): the samples of one signal in
one millisecond always travel in one batch, so the store numbers them the same way in every
copy of the batch and keeps each of them (``pitstop.codec``: no two samples merge). With capture
windows a sample may be handed on twice (the plan sent it and the window's ring sends it again);
a batch carries each exact (signal, time, value) once.

With triggers (``gateway.triggers``: the plan's, else the ``triggers`` given), a kept sample
that meets one, or a trouble-code report that matches one, makes the open batch *due*: it closes
before the next frame of another millisecond (the rule above still holds) or when the bus goes
quiet, and is spooled at once (no ``COMMIT_SECONDS`` wait), instead of after its interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.decode import Decoder
from gateway.handover import Change, ReaderControl
from gateway.reduce import Reducer
from gateway.sources import CanSource
from gateway.spool import Spool
from gateway.triggers import TriggerPlan, Triggers
from pitstop.codec import Sample, TelemetryBatch, encode_telemetry
from pitstop.errors import PitstopError

log = logging.getLogger(__name__)

COMMIT_SECONDS = 0.25


@dataclass(slots=True)
class ReaderState:
    """What the reader has done so far, for its owner's stats (others: ``Reader.report``)."""

    frames: int = 0
    batches: int = 0
    samples: int = 0
    failed_batches: int = 0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True, slots=True)
class ReaderReport:
    """A snapshot of the reader, for the sender's status and its end-of-replay check."""

    frames: int
    counters: Mapping[str, int]  # the decoder's counters
    done: bool  # the reader has stopped (the source ended, ``stop`` was set, or it failed)
    failed: bool


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
        on_event: Callable[[str, dict[str, Any]], None] = lambda kind, data: None,
        monotonic: Callable[[], float] = time.monotonic,
        control: ReaderControl | None = None,
        triggers: TriggerPlan | None = None,
    ) -> None:
        self.state = ReaderState()
        self._source = source
        self._decoder = decoder
        self._spool = spool
        self._policy = policy
        self._on_spooled = on_spooled
        self.on_event = on_event
        self._monotonic = monotonic
        self._control = control if control is not None else ReaderControl()
        self._reducer: Reducer | None = None
        self._base_triggers = triggers
        self.triggers: Triggers | None = None
        self._due = False  # a trigger asked for the open batch to close now
        self._ready: list[tuple[Sample, ...]] = []
        self._last_commit = float("-inf")
        self._apply(self._control.take(), install=True)

    def report(self) -> ReaderReport:
        """What the reader has done so far; any thread may call it."""
        done = self.state.done.is_set()  # before ``error``: the reader sets it last
        return ReaderReport(
            frames=self.state.frames,
            counters=self._decoder.counters.as_dict(),
            done=done,
            failed=self.state.error is not None,
        )

    def _apply(self, change: Change, install: bool = False) -> None:
        """Install a new plan (a fresh reducer) and the budget level, on the reader thread."""
        if install or change.new_plan:
            plan = change.plan
            self._reducer = None if plan is None else Reducer(plan)
            self._decoder.apply_plan(None if plan is None else plan.decode_intervals())
            wanted = plan.triggers if plan is not None and plan.triggers else self._base_triggers
            self.triggers = Triggers(wanted) if wanted else None
        if self._reducer is not None:
            self._reducer.set_level(change.budget_level)

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
        scratch: list[Sample] = []
        interval = self._batch_interval()
        max_samples = self._policy.max_samples
        decode_into = self._decoder.decode_into
        state = self.state
        control = self._control
        reducer = self._reducer
        triggers = self.triggers
        frame_start = wall_start = last_ts = 0.0
        frames = 0
        try:
            for msg in self._source.messages(stop):
                if msg is None:
                    if batch and (self._due or self._monotonic() - wall_start >= interval):
                        self._flush(batch)
                    self._commit()
                    continue
                frames += 1
                if control.pending:
                    self._apply(control.take())
                    reducer = self._reducer
                    triggers = self.triggers
                    interval = self._batch_interval()
                ts = msg.timestamp
                if (
                    batch
                    and (
                        self._due
                        or ts - frame_start >= interval
                        or ts < frame_start
                        or len(batch) >= max_samples
                    )
                    and round(ts * 1000) != round(last_ts * 1000)  # never split a millisecond
                ):
                    state.frames = frames
                    self._flush(batch)
                was_empty = not batch
                size = len(batch)
                if reducer is None:
                    kept = decode_into(msg, batch)
                elif decode_into(msg, scratch):
                    kept = reducer.keep_into(scratch, batch)
                    scratch.clear()
                    if reducer.captures is not None and reducer.captures.events:
                        self._report(reducer.captures.events)
                else:
                    continue
                if kept:
                    last_ts = ts
                    if was_empty:
                        frame_start, wall_start = ts, self._monotonic()
                    if triggers is not None and triggers.check(batch, size):
                        self._due = True
        finally:
            state.frames = frames
            if batch:
                self._flush(batch)
            self._commit(force=True)

    def _report(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        for kind, data in events:
            self.on_event(kind, data)
        events.clear()

    def _batch_interval(self) -> float:
        plan = self._reducer.plan if self._reducer is not None else None
        return plan.batch_seconds if plan and plan.batch_seconds else self._policy.interval

    def dtc_seen(self, codes: list[str], ts: float) -> None:
        """A trouble-code report was read (on the reader thread): a matching trigger makes
        the open batch due."""
        if self.triggers is not None and self.triggers.dtc(codes, ts):
            self._due = True

    def _flush(self, batch: list[Sample]) -> None:
        """Close the batch; it is committed with the others closed in the same moment, or at
        once when a trigger made it due."""
        captures = self._reducer.captures if self._reducer is not None else None
        self._ready.append(tuple(dict.fromkeys(batch)) if captures is not None else tuple(batch))
        batch.clear()
        due, self._due = self._due, False
        self._commit(force=due)

    def _commit(self, force: bool = False) -> None:
        """Spool the closed batches, in one transaction at most every ``COMMIT_SECONDS``: one
        fsync a batch on a live bus (a batch a second), far fewer in a fast replay."""
        now = self._monotonic()
        if not self._ready or (not force and now - self._last_commit < COMMIT_SECONDS):
            return
        self._last_commit = now
        ready, self._ready = self._ready, []
        policy = self._policy
        instance = self._spool.instance

        def builder(samples: tuple[Sample, ...]) -> Callable[[int], bytes]:
            return lambda seq: encode_telemetry(
                TelemetryBatch(policy.vin, seq, policy.profile_hash, samples, instance)
            )

        try:
            seqs = self._spool.append_many([builder(s) for s in ready], policy.priority)
        except PitstopError:  # a codec or spool error loses these batches, not the gateway
            log.exception("cannot spool %d batches", len(ready))
            self.state.failed_batches += len(ready)
            return
        self.state.batches += len(seqs)
        self.state.samples += sum(len(s) for s in ready)
        log.debug("spooled batches %s", seqs)
        self._on_spooled()
