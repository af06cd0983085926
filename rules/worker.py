"""The rules worker: telemetry from MQTT -> engine -> the firings, handed to a ``FiringSink``.

The paho callbacks only enqueue (a bounded queue; a full queue holds paho back, and with it the
broker). The worker thread decodes, evaluates and hands the firings to the sink (in production
``rules.jobsink.JobSink``: a booked job for every firing rule), and only then acknowledges the
message (manual PUBACK on a persistent session): a message the worker never finished is
delivered again after a crash.

It subscribes to what ingest accepted and stored, never to the cars' own topics: live telemetry
batches and DTC reports that ingest republishes under ``pitstop/cloud/v1/{vin}/telemetry|dtc``
(a root cars cannot publish to), so a refused message or a replayed old log (history, stored
but not handed on) never moves a rule. The VIN is the topic's. It ticks the engine on the
clock (no-data rules).
The engine state is checkpointed into the ``StateStore`` (``rules.checkpoint``) before the
messages it covers are acknowledged, so a restart neither re-fires nor forgets what was
pending (rules.core).

Several workers split the fleet with ``shard=Shard(i, n)`` (rules/shard.py): ingest publishes
each vehicle under its partition (``pitstop.topics.cloud_topic``, ``partitions`` shared by
both), and worker i subscribes (non-shared, so a vehicle's messages reach it in order) to its
own partitions only when n divides the partition count; otherwise to all of them, keeping its
own vehicles and acknowledging the others unprocessed. The alternative on EMQX is a shared
subscription with ``shared_subscription_strategy = hash_topic`` (deploy/README.md).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import paho.mqtt.client as mqtt

from jobs.errors import JobStoreError
from pitstop.dtc import decode_dtc_report
from pitstop.errors import CodecError, TopicError
from pitstop.mqtt import BrokerAddress, Received, make_client, wire_inbox
from pitstop.topics import Kind, cloud_subscription, parse_cloud_topic
from rules.checkpoint import StateStore
from rules.core import CoreStats, RulesCore
from rules.decode import read_batch
from rules.heap import fewer_collections
from rules.loader import DEFAULT_CATALOG, load_catalog
from rules.reminders import Lead
from rules.shard import Shard
from rules.sink import FiringSink

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RulesConfig:
    broker_url: str
    client_id: str = "pitstop-rules"
    share_group: str | None = None
    catalog_path: Path = DEFAULT_CATALOG
    queue_size: int = 1000
    shard: Shard = field(default_factory=Shard)
    tick_s: float = 5.0  # how often the clock is checked for no-data rules
    # most wall time between state checkpoints (and so acks): one transaction for every
    # vehicle touched meanwhile, not one per message
    checkpoint_s: float = 2.0
    checkpoint_every: int = 500  # most messages between checkpoints: half the broker's inflight
    idle_s: float = 3600.0  # data time after which a silent vehicle's memory is evicted
    partitions: int = 1  # the cloud topics' partition count (ingest's setting too)
    metrics_port: int | None = None  # serve Prometheus metrics on this port (rules.metrics)
    reminders: Lead | None = None  # remind owners of maintenance this far ahead; None: never
    sweep_s: float = 60.0  # how often the booking sweep runs (it also runs on start)
    # allocations between the cyclic GC's young collections while the worker runs (Python's
    # default is 700); 0 leaves the default (rules/heap.py)
    gc_threshold: int = 10_000


@dataclass(slots=True)
class RulesStats(CoreStats):
    """What the worker did; read by the caller once ``run_rules`` returns (the core's figures
    and the worker's own)."""

    messages: int = 0
    undecodable: int = 0
    errors: int = 0
    other_shard: int = 0
    restored_vehicles: int = 0
    late_samples: int = 0
    future_samples: int = 0


def run_rules(
    config: RulesConfig,
    sink: FiringSink,
    stop: threading.Event,
    ready: threading.Event | None = None,
    *,
    state: StateStore | None = None,
    clock: Callable[[], float] = time.time,
    sweep: Callable[[float], object] | None = None,
) -> RulesStats:
    """Evaluate the catalogue on live telemetry until ``stop`` is set; return what happened.

    ``sink`` gets what the firings ask (``rules.jobsink.JobSink`` over the job store); its
    ``JobStoreError`` is counted and logged, not fatal. ``state`` keeps the engine's state
    across restarts; without it a restart starts afresh. ``sweep(now)`` (``JobSink.sweep``)
    runs before the worker subscribes and every ``config.sweep_s``: it books the open jobs that
    have no slot (a worker killed between opening a job and booking it leaves one).
    """
    with fewer_collections(config.gc_threshold):
        return _run(config, sink, stop, ready, state=state, clock=clock, sweep=sweep)


def _run(
    config: RulesConfig,
    sink: FiringSink,
    stop: threading.Event,
    ready: threading.Event | None,
    *,
    state: StateStore | None,
    clock: Callable[[], float],
    sweep: Callable[[float], object] | None,
) -> RulesStats:
    stats = RulesStats()
    core = _restored_core(config, sink, state, clock, stats)

    def sweep_now() -> None:
        if sweep is not None:
            sweep(clock())

    _guarded(sweep_now, stats)
    client, address, inbox = _subscribed_client(config, stop, ready)
    unacked: list[Received] = []
    stale, stop_metrics = _serve_metrics(config.metrics_port, core, stats, inbox, unacked)
    client.connect_async(address.host, address.port)
    client.loop_start()
    last_tick = last_checkpoint = last_sweep = time.monotonic()

    def checkpoint() -> None:
        """Save the state the unacknowledged messages moved, then acknowledge them: a crash
        before this point has the broker deliver them again."""
        if _guarded(core.checkpoint, stats):
            for done in unacked:
                client.ack(done.mid, done.qos)
            unacked.clear()

    try:
        while not stop.is_set():
            try:
                message: Received | None = inbox.get(timeout=0.1)
            except queue.Empty:
                message = None
            if message is not None:
                newest = _handle(message, core, stats)
                unacked.append(message)
                if stale is not None and newest is not None:
                    stale.observe(max(0.0, clock() - newest))
            now = time.monotonic()
            if now - last_tick >= config.tick_s:
                last_tick = now
                _guarded(core.tick, stats)
                _guarded(lambda: core.evict(config.idle_s), stats)
            if now - last_sweep >= config.sweep_s:
                last_sweep = now
                _guarded(sweep_now, stats)
            due = now - last_checkpoint >= config.checkpoint_s
            if (unacked or core.dirty) and (due or len(unacked) >= config.checkpoint_every):
                checkpoint()
                last_checkpoint = now
        checkpoint()  # a clean stop saves and acknowledges what it has done
    finally:
        client.disconnect()
        client.loop_stop()
        stop_metrics()
        _collect(core, stats)
    return stats


def _subscribed_client(
    config: RulesConfig, stop: threading.Event, ready: threading.Event | None
) -> tuple[mqtt.Client, BrokerAddress, queue.Queue[Received]]:
    """The worker's MQTT client (not connected yet), wired to put its messages into the
    returned inbox: paho's thread only enqueues."""
    inbox: queue.Queue[Received] = queue.Queue(maxsize=config.queue_size)
    address = BrokerAddress.parse(config.broker_url)
    client = make_client(address, config.client_id, persistent_session=True, manual_ack=True)
    wire_inbox(client, _patterns(config), inbox, stop, ready=ready, name="rules")
    return client, address, inbox


def _restored_core(
    config: RulesConfig,
    sink: FiringSink,
    state: StateStore | None,
    clock: Callable[[], float],
    stats: RulesStats,
) -> RulesCore:
    """The core over the configured catalogue, with its shard's saved state loaded."""
    rules = load_catalog(config.catalog_path)
    log.info("loaded %d rules from %s", len(rules), config.catalog_path)
    core = RulesCore(
        rules,
        sink,
        shard=config.shard,
        clock=clock,
        state=state,
        stats=stats,
        reminders=config.reminders,
    )
    stats.restored_vehicles = core.restore()
    log.info(
        "restored the rules state of %d vehicles (shard %s)",
        stats.restored_vehicles,
        core.shard.scope,
    )
    return core


def _serve_metrics(
    port: int | None,
    core: RulesCore,
    stats: RulesStats,
    inbox: queue.Queue[Received],
    unacked: list[Received],
) -> tuple[Observer | None, Callable[[], None]]:
    """Prometheus metrics on ``port`` (none without one): the staleness histogram to feed,
    and what stops serving them."""
    if port is None:
        return None, lambda: None
    from prometheus_client import CollectorRegistry

    from pitstop.metrics import serve
    from rules import metrics

    registry = CollectorRegistry()

    def backlog() -> dict[str, float]:
        return {
            "inbox_messages": float(inbox.qsize()),
            "unacked_messages": float(len(unacked)),
            "vehicles": float(len(core.engine.last_seen)),
        }

    registry.register(metrics.RulesCollector(stats, backlog))
    stale = metrics.staleness(registry)
    return stale, serve(port, registry)


class Observer(Protocol):
    def observe(self, amount: float) -> None: ...


def _patterns(config: RulesConfig) -> list[str]:
    """The shard's own partitions of the cloud topics, or all of them (see the docstring)."""
    mine = config.shard.partitions(config.partitions)
    parts: list[int | None] = [None] if mine is None else list(mine)
    return [
        cloud_subscription(kind, config.share_group, part)
        for part in parts
        for kind in (Kind.TELEMETRY, Kind.DTC)
    ]


def _collect(core: RulesCore, stats: RulesStats) -> None:
    stats.late_samples = core.engine.late_samples
    stats.future_samples = core.engine.future_samples


def _guarded(work: Callable[[], object], stats: RulesStats) -> bool:
    try:
        work()
        return True
    except (JobStoreError, ValueError):
        stats.errors += 1
        log.exception("rules: %s failed", getattr(work, "__name__", "work"))
        return False


def _handle(message: Received, core: RulesCore, stats: RulesStats) -> float | None:
    """Evaluate one message; the newest sample time of a telemetry batch evaluated."""
    stats.messages += 1
    try:
        vin, kind = parse_cloud_topic(message.topic)
    except TopicError as err:
        stats.undecodable += 1
        log.warning("message on an unexpected topic %s: %s", message.topic, err)
        return None
    if not core.shard.owns(vin):
        stats.other_shard += 1
        return None
    try:
        if kind is Kind.DTC:
            core.dtc(replace(decode_dtc_report(message.payload), vin=vin))
            return None
        batch = read_batch(message.payload, core.wanted)
    except CodecError as err:
        stats.undecodable += 1
        log.warning("undecodable %s on %s: %s (ingest accepted it?)", kind, message.topic, err)
        return None
    try:
        core.telemetry_columns(vin, batch.columns, batch.profile, batch.count, others=batch.others)
    except (JobStoreError, ValueError):
        stats.errors += 1
        log.exception("rules failed on %s seq %d (%s)", vin, batch.seq, message.topic)
        return None
    return batch.newest
